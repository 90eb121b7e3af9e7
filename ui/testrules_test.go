package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestWaitRule keeps this package's tests on the rule of uiqueue.go: workers' results queue
// until the test applies them, so a test waits for a screen's work with workers.drain(&x.wg) (or
// the screen's Wait, waitUntil, waitFor), never with x.wg.Wait(), which returns before the results
// are applied and leaves the screen as it was.
func TestWaitRule(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	bad := regexp.MustCompile(`(?m)^\s*([A-Za-z0-9_.]+)\.wg\.Wait\(\)`)
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, m := range bad.FindAllSubmatchIndex(b, -1) {
			line := 1 + strings.Count(string(b[:m[0]]), "\n")
			t.Errorf("%s:%d: %s.wg.Wait() — use workers.drain(&%s.wg)", f, line, b[m[2]:m[3]], b[m[2]:m[3]])
		}
	}
	if checked < 10 {
		t.Fatalf("only %d test files found", checked)
	}
}
