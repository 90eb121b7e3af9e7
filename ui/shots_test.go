package ui

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"sealdesk/core/pki/pkitest"
)

// TestShots writes pictures of the offline screens in their interesting states (results shown,
// preview drawn) into $SEALDESK_SHOTS, for a reviewer to look at; without it the test skips.
func TestShots(t *testing.T) {
	dir := os.Getenv("SEALDESK_SHOTS")
	if dir == "" {
		t.Skip("set SEALDESK_SHOTS=DIR to write screen pictures")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := func(name string, w fyne.Window) {
		t.Helper()
		if err := WritePNG(filepath.Join(dir, name+".png"), w.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	signed := signedTestPDF(t, p, "采购合同-已签.pdf")
	corpus := filepath.Join("..", "core", "pdf", "testdata", "corpus", "files", "07-valid-multi-two-sigs-incremental.pdf")

	s, w := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}})
	for _, n := range shotHooks {
		n(t, s, w, shot)
	}
	s.Show(NavVerify)
	s.OpenFiles([]string{signed, corpus})
	s.Screen(NavVerify).(*verifierScreen).wg.Wait()
	shot("verify-results", w)
}

// shotHooks let other screens' tests add their pictures.
var shotHooks []func(t *testing.T, s *Shell, w fyne.Window, shot func(string, fyne.Window))
