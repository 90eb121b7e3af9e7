package render

import (
	"context"
	"errors"
	"sealdesk/core/pdf/pdftest"
	"testing"
	"time"
)

// recursivePDF is one page that draws form 4, which draws itself twice (q /X Do Q /X Do): the
// red team s4 F3 appearance, which made PDFium grow past 2 GB.
func recursivePDF() []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /XObject << /X 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /XObject /Subtype /Form /BBox [0 0 200 200] /Resources << /XObject << /X 4 0 R >> >> /Length 31 >>\nstream\n0 0 1 rg 0 0 9 9 re f q /X Do Q /X Do\nendstream",
		"<< /Length 5 >>\nstream\n/X Do\nendstream",
	}
	return pdftest.Classic(objs...)
}

// A hostile page neither crashes the process nor outlives its caller: the instance's memory is
// capped (Options.MaxMemoryBytes) and a render past its context's deadline is stopped, its
// instance killed (ErrKilled), while the engine goes on serving other documents.
func TestRenderBombIsBounded(t *testing.T) {
	e := New(&Options{CacheDir: testCacheDir, MaxMemoryBytes: 256 << 20, MaxDocuments: 2})
	defer e.Close()
	d := open(t, e, "bomb.pdf", recursivePDF())
	c, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.Render(c, 0, 72)
	took := time.Since(start)
	t.Logf("render: %v after %v", err, took)
	if err == nil && took < 500*time.Millisecond {
		t.Skip("this PDFium build cuts the recursion itself; nothing to bound")
	}
	if err == nil || took > 8*time.Second {
		t.Fatalf("render of a self-drawing form: %v after %v", err, took)
	}
	if took >= 500*time.Millisecond && !errors.Is(err, ErrKilled) {
		t.Errorf("stopped by the deadline without ErrKilled: %v", err)
	}
	if _, err := d.Render(ctx(t), 0, 72); err == nil {
		t.Errorf("a killed document still renders")
	}
	d.Close()
	ok := open(t, e, "ok.pdf", buildPDF([]testPage{{media: Rect{LLX: 0, LLY: 0, URX: 200, URY: 200}, content: "0 0 1 rg 10 10 50 50 re f"}}))
	if _, err := ok.Render(ctx(t), 0, 72); err != nil {
		t.Fatalf("the engine no longer renders after a killed document: %v", err)
	}
}
