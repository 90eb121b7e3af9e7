// Package journey walks the 发起签署 › 本机签署 screen the way a person does, in a real window
// under Xvfb: open a document with two signature boxes, sign box 1 (PIN dialog, then the save
// dialog), sign box 2 on the file the view moved to, and check that the final file holds both
// signatures with core/verify and with poppler's pdfsig. With SEALDESK_SHOTS=DIR it also writes
// pictures of 发起签署 and 本机签署 in Chinese and English at 1366×768 and 1024×640; give Xvfb a
// screen larger than the window (a window beyond the screen makes Mesa's software renderer fail
// with BadMatch):
//
//	SEALDESK_SHOTS=/tmp/shots xvfb-run -a -s "-screen 0 1600x1000x24" go test ./ui/internal/journey/
//
// It has only tests. Without a DISPLAY they skip (CI runs them under xvfb-run, where a missing
// display is a failure).
package journey
