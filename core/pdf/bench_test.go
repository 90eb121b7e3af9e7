package pdf

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// countingReader counts the bytes read through ReadAt.
type countingReader struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// sizedPDF generates a file of about size bytes: pages scale with the size (one per 100 kB,
// at least 10) and a padding stream makes up the rest. stream selects an xref-stream variant
// (object streams via qpdf).
func sizedPDF(tb testing.TB, dir string, size int, stream bool) string {
	tb.Helper()
	pages := max(10, size/100_000)
	b := genPDF(genOpts{nPages: pages, padBytes: size - pages*400, form: true})
	if stream {
		b = qpdfConvert(tb, b, "--object-streams=generate", "--compress-streams=n")
	}
	p := filepath.Join(dir, fmt.Sprintf("%dMB-stream=%v.pdf", size>>20, stream))
	if err := os.WriteFile(p, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

var (
	benchOnce  sync.Once
	benchDir   string
	benchFiles = map[string]string{}
)

// benchInputs generates the benchmark files once per process.
func benchInputs(b *testing.B) map[string]string {
	benchOnce.Do(func() {
		d, err := os.MkdirTemp("", "sealdesk-pdf-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = d
		for _, mb := range []int{1, 10, 45} {
			for _, st := range []bool{false, true} {
				benchFiles[fmt.Sprintf("%dMB/%s", mb, map[bool]string{false: "table", true: "xrefstream"}[st])] = sizedPDF(b, d, mb<<20, st)
			}
		}
	})
	return benchFiles
}

// TestOpenIsLazy proves that opening a 10 MB file and reading page 1 touches a tiny part of it.
func TestOpenIsLazy(t *testing.T) {
	for _, st := range []bool{false, true} {
		p := sizedPDF(t, t.TempDir(), 10<<20, st)
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := fh.Stat()
		cr := &countingReader{r: fh}
		f, err := Open(cr, fi.Size(), nil)
		if err != nil {
			t.Fatal(err)
		}
		pg, err := f.Page(1)
		if err != nil || pg.MediaBox.IsZero() {
			t.Fatal(err)
		}
		if n, _ := f.Latest().NumPages(); n != 104 {
			t.Errorf("pages %d", n)
		}
		if read := cr.n.Load(); read > 512<<10 {
			t.Errorf("stream=%v: open + page 1 read %d bytes of %d", st, read, fi.Size())
		}
		fh.Close()
	}
}

// BenchmarkOpen measures open + revisions + page 1 geometry. read-B/op is the number of file
// bytes read; file-B is the file size.
func BenchmarkOpen(b *testing.B) {
	files := benchInputs(b)
	for _, name := range []string{"1MB/table", "1MB/xrefstream", "10MB/table", "10MB/xrefstream", "45MB/table", "45MB/xrefstream"} {
		p := files[name]
		b.Run(name, func(b *testing.B) {
			fh, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			defer fh.Close()
			fi, _ := fh.Stat()
			cr := &countingReader{r: fh}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f, err := Open(cr, fi.Size(), nil)
				if err != nil {
					b.Fatal(err)
				}
				if len(f.Revisions()) != 1 {
					b.Fatal("revisions")
				}
				if _, err := f.Page(1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cr.n.Load())/float64(b.N), "read-B/op")
			b.ReportMetric(float64(fi.Size()), "file-B")
		})
	}
}

// BenchmarkFloor is the signer's floor for the same files: read everything and SHA-256 it.
func BenchmarkFloor(b *testing.B) {
	files := benchInputs(b)
	for _, name := range []string{"1MB/table", "10MB/table", "45MB/table"} {
		p := files[name]
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 1<<20)
			for i := 0; i < b.N; i++ {
				fh, err := os.Open(p)
				if err != nil {
					b.Fatal(err)
				}
				h := sha256.New()
				if _, err := io.CopyBuffer(h, fh, buf); err != nil {
					b.Fatal(err)
				}
				fh.Close()
			}
		})
	}
}

// BenchmarkAppend measures building a small update (a signature dictionary with placeholders
// and a changed catalog) on the 45 MB file.
func BenchmarkAppend(b *testing.B) {
	files := benchInputs(b)
	for _, name := range []string{"45MB/table", "45MB/xrefstream"} {
		p := files[name]
		b.Run(name, func(b *testing.B) {
			f, err := OpenFile(p, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				cat, _ := f.Catalog()
				root := f.Latest().Trailer().Get("Root").(Ref)
				u := f.NewUpdate()
				sig := u.Add(Dict{"Type": Name("Sig"), "Contents": HexPlaceholder("c", 8192), "ByteRange": ByteRangePlaceholder("b")})
				c := cat.Clone()
				c["X"] = sig
				if err := u.Set(root, c); err != nil {
					b.Fatal(err)
				}
				if _, _, err := u.Bytes(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFindSigDicts reads every object of every revision of a 20-page form with 966
// fields (corpus 29), as the verifier does.
func BenchmarkFindSigDicts(b *testing.B) {
	p := filepath.Join(corpusDir, "files", "29-allowed-form-filled-after-signing.pdf")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f, err := OpenFile(p, nil)
		if err != nil {
			b.Fatal(err)
		}
		if sigs, _, err := f.FindSigDicts(); err != nil || len(sigs) < 2 {
			b.Fatal(err)
		}
		f.Close()
	}
}
