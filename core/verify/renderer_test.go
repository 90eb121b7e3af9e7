package verify

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"sealdesk/core/pdf/render"
	"sealdesk/core/pki"
)

// TestMain draws the cover check's pages with PDFium in this process (Options.Renderer nil
// means none in the product: cmd/sealctl, the server and the desktop each pass theirs).
func TestMain(m *testing.M) {
	defaultRenderer = render.Shared()
	os.Exit(m.Run())
}

// Without a renderer, a change that only drawing can judge is reported as not checked and the
// document is not valid; with one, the same file is valid (the widget leaves the text visible).
func TestNoRendererIsNotChecked(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	data := benchTTFFile(t, s, 64<<10)
	opts := func(r *Options) *Options {
		r.Trust, r.Now = s.store(), func() time.Time { return time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) }
		return r
	}
	rep, err := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), "ttf.pdf", opts(&Options{Renderer: render.Shared()}))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != StatusValid {
		t.Fatalf("with PDFium: verdict %s, changes %q", rep.Verdict, rep.Signatures[0].Changes)
	}
	saved := defaultRenderer
	defaultRenderer = nil
	defer func() { defaultRenderer = saved }()
	rep, err = Verify(context.Background(), bytes.NewReader(data), int64(len(data)), "ttf.pdf", opts(&Options{}))
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, d := range rep.Signatures[0].ChangeDetails {
		codes = append(codes, d.Code)
	}
	if rep.Verdict == StatusValid || rep.Signatures[0].Status == StatusValid || !strings.Contains(strings.Join(codes, " "), ChangeCoverUnchecked) ||
		!strings.Contains(strings.Join(rep.Signatures[0].Changes, " "), errNoRenderer.Error()) {
		t.Fatalf("without a renderer: verdict %s, codes %q, changes %q", rep.Verdict, codes, rep.Signatures[0].Changes)
	}
}
