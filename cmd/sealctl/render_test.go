package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/core/pdf/raster"
	"sealdesk/core/pdf/render"
)

// TestMain makes this test binary its own sealctl-render: started with renderChildArg, it
// serves the page renderer's protocol as cmd/sealctl-render does; otherwise renderCommand points
// at it.
const renderChildArg = "-sealctl-test-render-child"

func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == renderChildArg {
		if err := raster.Serve(os.Stdin, os.Stdout, render.Shared()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	renderCommand = func() (string, []string) { return os.Args[0], []string{renderChildArg} }
	os.Exit(m.Run())
}

// A file whose change after signing (a form filled) can only be judged by drawing the page:
// with sealctl-render it is judged (allowed; exit 3, untrusted test roots); without it beside
// sealctl, the page is reported as not checked, naming the missing program, and the file is
// never valid.
func TestVerifyNeedsRenderer(t *testing.T) {
	file := filepath.Join(verifyCorpus(t), "29-allowed-form-filled-after-signing.pdf")
	changes := func(out string) string {
		var rep struct {
			Signatures []struct {
				Changes []string `json:"changes"`
			} `json:"signatures"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Signatures) == 0 {
			t.Fatalf("report %q: %v", out, err)
		}
		return strings.Join(rep.Signatures[0].Changes, "\n")
	}
	code, out, stderr := runCLI("--json", file)
	if code != 3 || strings.Contains(changes(out), "could not be rendered") {
		t.Fatalf("with the renderer: exit %d (want 3), stderr %q, changes %q", code, stderr, changes(out))
	}

	saved := renderCommand
	defer func() { renderCommand = saved }()
	missing := filepath.Join(t.TempDir(), "sealctl-render")
	renderCommand = func() (string, []string) { return missing, nil }
	code, out, stderr = runCLI("--json", file)
	if code != 1 || !strings.Contains(changes(out), "could not be rendered") || !strings.Contains(changes(out), missing) {
		t.Fatalf("without the renderer: exit %d (want 1), stderr %q, changes %q", code, stderr, changes(out))
	}
}
