package ui

import (
	"os"
	"testing"
)

// TestMain puts the worker queue in test mode: the results of screens' background work (uiDo)
// are applied on the test's goroutine by waitUntil, never on the workers, where they would race
// with the test and with each other (Fyne's test driver runs fyne.Do on the calling goroutine).
func TestMain(m *testing.M) {
	workers.deferForTest()
	os.Exit(m.Run())
}
