package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// benchFile builds a signed file of about size bytes: an xref table or stream, n signatures,
// each an incremental update signed by our test PKI. The first fills the document's empty
// field; every later one adds a visible signature, each in its own place (a grid of 5 × 10 on
// the page, as signers place their signatures), or all in the same place when stacked.
func benchFile(tb testing.TB, s *signer, size int, stream bool, n int, stacked bool) []byte {
	doc, _ := makeDoc(docOpts{pad: size, xrefStream: stream, emptySig: true})
	style := pdf.StyleTable
	if stream {
		style = pdf.StyleStream
	}
	for i := 0; i < n; i++ {
		o := sigOpts{style: style, visible: true}
		if i == 0 {
			o = sigOpts{style: style, field: "Sig1"}
		} else if !stacked {
			x, y := 20+118*((i-1)%5), 170+44*((i-1)/5%10)
			o.visibleAt = pdf.Array{pdf.Int(x), pdf.Int(y), pdf.Int(x + 100), pdf.Int(y + 36)}
			o.visibleAP = fmt.Sprintf("1 0 0 rg %d %d 100 36 re f 0 g BT /F1 10 Tf %d %d Td (Signed) Tj ET", x, y, x+4, y+14)
		}
		doc = s.sign(tb, doc, o)
	}
	return doc
}

var benchShapes = []struct {
	mb      int
	stream  bool
	sigs    int
	stacked bool // every visible signature in the same place: each page is rendered
}{
	{1, false, 1, false}, {1, true, 1, false}, {1, false, 10, false}, {1, true, 10, false},
	{10, false, 1, false}, {10, true, 1, false}, {10, false, 10, false}, {10, true, 10, false},
	{45, false, 1, false}, {45, true, 1, false}, {45, false, 10, false}, {45, true, 10, false},
	{45, false, 50, false}, // issue 13: ≤ 0.2 s (every byte hashed once, not once per signature)
	{45, false, 50, true},
}

func shapeName(mb int, stream bool, sigs int, stacked bool) string {
	x := "table"
	if stream {
		x = "xrefstream"
	}
	if stacked {
		return fmt.Sprintf("%dMB-%s-%dsig-stacked", mb, x, sigs)
	}
	return fmt.Sprintf("%dMB-%s-%dsig", mb, x, sigs)
}

// BenchmarkVerify: full verification (ByteRange, CMS, chain, change analysis) of signed files.
func BenchmarkVerify(b *testing.B) {
	s := newSigner(b, pki.ECDSAP256)
	for _, sh := range benchShapes {
		b.Run(shapeName(sh.mb, sh.stream, sh.sigs, sh.stacked), func(b *testing.B) {
			data := benchFile(b, s, sh.mb<<20, sh.stream, sh.sigs, sh.stacked)
			path := filepath.Join(b.TempDir(), "bench.pdf")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				b.Fatal(err)
			}
			store := s.store()
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rep, err := File(context.Background(), path, &Options{Trust: store})
				if err != nil || rep.Verdict != StatusValid {
					b.Fatalf("%v %v", err, rep)
				}
			}
		})
	}
}

// TestWriteBenchFiles writes the benchmark files and the test root for bench/pdfsig-compare.sh
// (only when SEALDESK_BENCH_DIR is set).
func TestWriteBenchFiles(t *testing.T) {
	dir := os.Getenv("SEALDESK_BENCH_DIR")
	if dir == "" {
		t.Skip("SEALDESK_BENCH_DIR not set")
	}
	s := newSigner(t, pki.ECDSAP256)
	for _, sh := range benchShapes {
		data := benchFile(t, s, sh.mb<<20, sh.stream, sh.sigs, sh.stacked)
		if err := os.WriteFile(filepath.Join(dir, shapeName(sh.mb, sh.stream, sh.sigs, sh.stacked)+".pdf"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "1MB-ttf-2sig-rendered.pdf"), benchTTFFile(t, s, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "root.pem"), pki.EncodeCertsPEM(s.pki.Root), 0o644); err != nil {
		t.Fatal(err)
	}
	if db := strings.TrimPrefix(s.pki.NSSDB(t), "sql:"); db != "" {
		// pkitest's NSS database lives in a test temp dir; copy it next to the files.
		nss := filepath.Join(dir, "nss")
		os.MkdirAll(nss, 0o755)
		entries, _ := os.ReadDir(db)
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(db, e.Name()))
			if err == nil {
				os.WriteFile(filepath.Join(nss, e.Name()), b, 0o644)
			}
		}
	}
}
