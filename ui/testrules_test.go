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

// TestSelectRule: selects are made with newSelect, whose placeholder is translated (Fyne's
// default "(Select one)" is not, and showed in English in the Chinese interface).
func TestSelectRule(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "i18n.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		if i := strings.Index(string(b), "widget.NewSelect("); i >= 0 {
			t.Errorf("%s:%d: widget.NewSelect — use newSelect (translated placeholder)", f, 1+strings.Count(string(b[:i]), "\n"))
		}
	}
	if checked < 10 {
		t.Fatalf("only %d files found", checked)
	}
	if s := newSelect(nil, nil); s.PlaceHolder == "(Select one)" || s.PlaceHolder == "" {
		t.Errorf("placeholder %q", s.PlaceHolder)
	}
}
