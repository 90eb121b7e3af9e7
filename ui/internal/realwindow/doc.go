// Package realwindow holds the tests that open SealDesk's real window with Fyne's GL driver (under
// Xvfb in CI) and look at the pixels it draws. It has no code of its own; it refuses to run
// without a display unless SEALDESK_CI is set, in which case a missing display fails.
package realwindow
