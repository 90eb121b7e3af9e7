// Package responsive measures, in a real window under Xvfb, that the UI goroutine stays free
// while the offline screens do heavy work (verifying a 45 MB signed PDF). It has only tests.
package responsive
