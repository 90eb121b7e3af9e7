package raster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeRenderer draws a page whose pixels are a function of the document's bytes, page and DPI,
// so that a test can check what crossed the pipe. Page 9 never finishes drawing.
type fakeRenderer struct{}

type fakeDoc struct {
	data []byte
	sum  int
}

func (fakeRenderer) OpenRaster(ctx context.Context, name string, r io.ReaderAt, size int64) (Document, error) {
	d := &fakeDoc{}
	return d, d.ReplacePDF(ctx, name, r, size)
}

func (d *fakeDoc) ReplacePDF(ctx context.Context, name string, r io.ReaderAt, size int64) error {
	b := make([]byte, size)
	if _, err := r.ReadAt(b, 0); err != nil && err != io.EOF {
		return err
	}
	if !bytes.HasPrefix(b, []byte("%PDF")) {
		return fmt.Errorf("%s: damaged or invalid file", name)
	}
	d.data, d.sum = b, 0
	for i, c := range b {
		d.sum += (i%251 + 1) * int(c) // every byte, at its place, shows in the page's height
	}
	return nil
}

func (d *fakeDoc) PageInfo(i int) (PageInfo, error) {
	return PageInfo{MediaBox: Rect{0, 0, 595.25, 842}, CropBox: Rect{1.5, 2, 590, 840}, Rotate: 90,
		Width: 838, Height: 588.5 + float64(d.sum)}, nil
}

func fakeImage(d *fakeDoc, i, dpi int, r image.Rectangle, content bool) *image.RGBA {
	img := image.NewRGBA(r)
	for k := range img.Pix {
		img.Pix[k] = byte(k*7 + i + dpi + len(d.data))
		if content {
			img.Pix[k] ^= 0xff
		}
	}
	return img
}

func (d *fakeDoc) Render(ctx context.Context, i, dpi int) (*image.RGBA, error) {
	if i == 9 {
		time.Sleep(time.Hour)
	}
	return fakeImage(d, i, dpi, image.Rect(0, 0, 30, 20), false), nil
}

func (d *fakeDoc) RenderContent(ctx context.Context, i, dpi int) (*image.RGBA, error) {
	return fakeImage(d, i, dpi, image.Rect(0, 0, 30, 20), true), nil
}

func (d *fakeDoc) RenderRegion(ctx context.Context, i, dpi int, r image.Rectangle, contentOnly bool) (*image.RGBA, error) {
	// a sub-image: its Pix starts inside a larger buffer, as render's cached images may
	return fakeImage(d, i, dpi, image.Rect(0, 0, 40, 40), contentOnly).SubImage(r).(*image.RGBA), nil
}

func (d *fakeDoc) Text(ctx context.Context, i, maxChars int) ([]TextChar, error) {
	chars := []TextChar{{'签', Rect{10.25, 20, 21.5, 31}, 0}, {'A', Rect{22, 20, 30, 31.125}, 1.5707963267948966}}
	if len(chars) > maxChars {
		return nil, fmt.Errorf("page %d has %d characters, the limit is %d: %w", i+1, len(chars), maxChars, ErrTooManyChars)
	}
	return chars, nil
}

func (d *fakeDoc) Close() error { return nil }

const childArg = "-raster-test-child"

func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == childArg {
		if err := Serve(os.Stdin, os.Stdout, fakeRenderer{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Everything a Document returns in process arrives through Process the same (the child reading
// the PDF from the parent's reader): page geometry,
// whole, content-only and region images (a region's bounds kept), text, errors (their text,
// and ErrTooManyChars for errors.Is), and a replaced document.
func TestProcessMatchesInProcess(t *testing.T) {
	p := &Process{Path: os.Args[0], Args: []string{childArg}}
	defer p.Close()
	ctx := context.Background()
	pdfA := []byte("%PDF-1.7 first")
	// the second is read through several of the child's blocks, not aligned at their ends
	pdfB := append([]byte("%PDF-1.7 the second, longer"), bytes.Repeat([]byte("0123456789abcdef"), 3*readBlock/16+77)...)
	local, _ := fakeRenderer{}.OpenRaster(ctx, "a", bytes.NewReader(pdfA), int64(len(pdfA)))
	remote, err := p.OpenRaster(ctx, "a", bytes.NewReader(pdfA), int64(len(pdfA)))
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, a, b any, errA, errB error) {
		t.Helper()
		if fmt.Sprint(errA) != fmt.Sprint(errB) {
			t.Fatalf("%s: error %v, in process %v", what, errB, errA)
		}
		if ia, ok := a.(*image.RGBA); ok {
			ib := b.(*image.RGBA)
			if ia.Bounds() != ib.Bounds() {
				t.Fatalf("%s: bounds %v, in process %v", what, ib.Bounds(), ia.Bounds())
			}
			for y := ia.Rect.Min.Y; y < ia.Rect.Max.Y; y++ {
				for x := ia.Rect.Min.X; x < ia.Rect.Max.X; x++ {
					if ia.RGBAAt(x, y) != ib.RGBAAt(x, y) {
						t.Fatalf("%s: pixel (%d,%d) %v, in process %v", what, x, y, ib.RGBAAt(x, y), ia.RGBAAt(x, y))
					}
				}
			}
			return
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: %v, in process %v", what, b, a)
		}
	}
	for round, data := range [][]byte{pdfA, pdfB} {
		if round == 1 {
			local.ReplacePDF(ctx, "b", bytes.NewReader(data), int64(len(data)))
			if err := remote.ReplacePDF(ctx, "b", bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatal(err)
			}
		}
		ia, ea := local.PageInfo(0)
		ib, eb := remote.PageInfo(0)
		same("page info", ia, ib, ea, eb)
		ra, ea := local.Render(ctx, 1, 72)
		rb, eb := remote.Render(ctx, 1, 72)
		same("render", ra, rb, ea, eb)
		ra, ea = local.RenderContent(ctx, 1, 96)
		rb, eb = remote.RenderContent(ctx, 1, 96)
		same("render content", ra, rb, ea, eb)
		region := image.Rect(5, 7, 33, 19)
		ra, ea = local.RenderRegion(ctx, 2, 144, region, true)
		rb, eb = remote.RenderRegion(ctx, 2, 144, region, true)
		same("render region", ra, rb, ea, eb)
		ta, ea := local.Text(ctx, 0, 10)
		tb, eb := remote.Text(ctx, 0, 10)
		same("text", ta, tb, ea, eb)
		ta, ea = local.Text(ctx, 0, 1)
		tb, eb = remote.Text(ctx, 0, 1)
		same("too many chars", ta, tb, ea, eb)
		if !errors.Is(eb, ErrTooManyChars) {
			t.Fatalf("errors.Is(%v, ErrTooManyChars) is false", eb)
		}
	}
	if _, err := p.OpenRaster(ctx, "c", strings.NewReader("not a pdf"), 9); err == nil || err.Error() != "c: damaged or invalid file" {
		t.Fatalf("open of a non-PDF: %v", err)
	}
	if err := remote.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := remote.PageInfo(0); err == nil {
		t.Fatal("a closed document still answers")
	}
}

// A draw that outlives its context kills the child: the call returns, with the context's
// error, and later calls of the child's documents fail instead of hanging; the next document
// starts a new child.
func TestProcessContextKillsChild(t *testing.T) {
	p := &Process{Path: os.Args[0], Args: []string{childArg}}
	defer p.Close()
	pdfA := []byte("%PDF-1.7")
	d, err := p.OpenRaster(context.Background(), "a", bytes.NewReader(pdfA), int64(len(pdfA)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := d.Render(ctx, 9, 72); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("render past the deadline: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("the call took %v", time.Since(start))
	}
	if _, err := d.Render(context.Background(), 1, 72); err == nil {
		t.Fatal("the killed child still answers")
	}
	// the next document gets a new child
	d2, err := p.OpenRaster(context.Background(), "b", bytes.NewReader(pdfA), int64(len(pdfA)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Render(context.Background(), 1, 72); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PageInfo(0); err == nil {
		t.Fatal("a document of the killed child answers through the new one")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

// A program that cannot be started is an error of OpenRaster naming it.
func TestProcessMissingProgram(t *testing.T) {
	missing := t.TempDir() + "/sealctl-render"
	p := &Process{Path: missing}
	defer p.Close()
	_, err := p.OpenRaster(context.Background(), "a", strings.NewReader("%PDF"), 4)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing program: %v", err)
	}
}
