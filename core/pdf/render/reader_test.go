package render

import (
	"bytes"
	"errors"
	"testing"
)

// TestOpenPDFReaderAndReplace: a PDF read through a reader renders exactly as the same bytes
// copied in, and ReplacePDF turns the document into another one in the same instance (its
// page count and pictures, none of the old document's cached images).
func TestOpenPDFReaderAndReplace(t *testing.T) {
	one := buildPDF([]testPage{cjkPage()})
	two := buildPDF([]testPage{cjkPage(), {media: Rect{LLX: 0, LLY: 0, URX: 300, URY: 200}, content: "0 0 1 rg 10 10 100 50 re f"}})
	want, err := open(t, testEngine, "bytes.pdf", one).Render(ctx(t), 0, 48)
	if err != nil {
		t.Fatal(err)
	}
	d, err := testEngine.OpenPDFReader(ctx(t), "reader.pdf", bytes.NewReader(one), int64(len(one)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := d.Render(ctx(t), 0, 48)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Pix, want.Pix) || d.PageCount() != 1 {
		t.Fatalf("a PDF read through a reader renders differently (%d pages)", d.PageCount())
	}
	if err := d.ReplacePDF(ctx(t), "two.pdf", bytes.NewReader(two), int64(len(two))); err != nil {
		t.Fatal(err)
	}
	if d.PageCount() != 2 || d.Name() != "two.pdf" {
		t.Fatalf("after ReplacePDF: %d pages, name %q", d.PageCount(), d.Name())
	}
	img, err := d.Render(ctx(t), 1, 72)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 300 || ink(img, img.Bounds()) < 0.05 {
		t.Fatalf("page 2 of the new document: %v, ink %.3f", img.Bounds(), ink(img, img.Bounds()))
	}
	// Refusals leave nothing half open.
	if _, err := testEngine.OpenPDFReader(ctx(t), "notes.txt", bytes.NewReader([]byte("hello")), 5); !errors.Is(err, ErrUnsupported) {
		t.Errorf("text through a reader: %v", err)
	}
	junk := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("garbage "), 500)...)
	if err := d.ReplacePDF(ctx(t), "corrupt.pdf", bytes.NewReader(junk), int64(len(junk))); !errors.Is(err, ErrCorrupt) {
		t.Errorf("replacing with a corrupt file: %v", err)
	}
	if _, err := d.Render(ctx(t), 0, 48); err == nil {
		t.Error("a document whose replacement failed still renders")
	}
}
