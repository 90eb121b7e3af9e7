// Package responsive measures, in a real window under Xvfb, that the UI goroutine stays free
// while the offline screens do heavy work: verifying a 45 MB signed PDF and a file with 20
// signatures (文件验签), refusing a 45 MB file and opening and signing a 9.5 MB one (本机签署,
// whose documents are at most 10 MB). Each wait is read against the stall of merely repainting
// the screen. It has only tests, run with SEALDESK_LONG=1.
package responsive
