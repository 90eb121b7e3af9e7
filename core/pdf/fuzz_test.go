package pdf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzLimits keep each fuzz input cheap.
var fuzzLimits = Limits{MaxObjectSize: 1 << 20, MaxStreamSize: 4 << 20, MaxDepth: 64, MaxObjects: 1 << 16, MaxRevisions: 64}

// crashers are inputs that once made the reader misbehave; they stay as table rows.
var crashers = []string{
	"%PDF-1.4\nstartxref\n9\n%%EOF",
	"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 1 0 R>>endobj\nxref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer<</Root 1 0 R/Size 2>>\nstartxref\n51\n%%EOF\n",
	"%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer<</Prev 9/Size 1>>\nstartxref\n9\n%%EOF",
	"%PDF-1.5\n1 0 obj<</Type/XRef/W[1 1 1]/Size 1/Length 3>>stream\n\x02\x01\x00\nendstream endobj\nstartxref\n9\n%%EOF",
	"%PDF-1.4\n1 0 obj<</Length 1 0 R>>stream\nabc\nendstream endobj\nxref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer<</Root 1 0 R/Size 2>>\nstartxref\n56\n%%EOF",
}

func FuzzOpen(f *testing.F) {
	for _, c := range crashers {
		f.Add([]byte(c))
	}
	f.Add(genPDF(genOpts{nPages: 3, form: true}))
	// Red team s7: headers only a rebuilding reader takes, an object stream with indirect keys.
	f.Add([]byte("%PDF-1.4\n%" + strings.Repeat("x", 254) + "4 0 obj 1 endobj\n4 % c\n0 obj 2 endobj\n" +
		"5 0 obj<</Type 6 0 R/N 7 0 R/First 8 0 R/Length 9>>stream\n1 0 <<>>\nendstream endobj 6 0 obj/ObjStm endobj 7 0 obj 1 endobj 8 0 obj 4 endobj\n" +
		"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R/Size 2000000000>>\n%%EOF\n"))
	f.Add(genPDF(genOpts{pages: []genPage{{media: "[0 0 10 10]", crop: "[1 1 5 5]", rotate: "90"}}}))
	for _, name := range []string{"03-valid-single-signer-id-by-ski.pdf", "20-isa-B-empty-xref-keyword.pdf", "24-byterange-two-elements.pdf", "38-crypto-sha1-detached.pdf"} {
		if b, err := os.ReadFile(filepath.Join(corpusDir, "files", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		exerciseFile(t, b)
	})
}

func TestCrashers(t *testing.T) {
	for _, c := range crashers {
		exerciseFile(t, []byte(c))
	}
}

// exerciseFile opens b and walks everything a signer or verifier would: every revision's
// pages and fields, signature dictionaries, and the streams of the latest revision.
func exerciseFile(t *testing.T, b []byte) {
	f, err := Open(bytes.NewReader(b), int64(len(b)), &Options{Limits: fuzzLimits})
	if err != nil {
		return
	}
	f.Tail()
	for k := range f.Revisions() {
		v := f.View(k)
		v.Pages()
		v.Page(1)
		v.NumPages()
		v.Fields()
		v.Version()
	}
	f.FindSigDicts()
	hs := NewHeaderScanner(b).RebuildHeaders(0, int64(len(b)))
	for i, h := range hs {
		if h.Offset < 0 || h.Offset >= int64(len(b)) || h.Ref.Num <= 0 || (i > 0 && h.Offset < hs[i-1].Offset) {
			t.Fatalf("header scan: %+v out of range or order", h)
		}
	}
	last := f.Revisions()[len(f.Revisions())-1]
	for i, n := range last.Defined {
		if i > 200 {
			break
		}
		o, err := f.Object(Ref{Num: n})
		if err != nil {
			continue
		}
		if s, ok := o.(*Stream); ok {
			f.StreamData(s)
		}
		if _, err := AppendObject(nil, o); err != nil {
			if _, isStream := o.(*Stream); !isStream {
				t.Errorf("object %d read but cannot be written: %v", n, err)
			}
		}
	}
	u := f.NewUpdate()
	u.Add(Dict{"Fuzz": Bool(true)})
	u.Bytes()
}

// FuzzParseObject checks that any object the parser accepts can be written and read back to an
// equal object (the writer re-serialises dictionaries the signer changes).
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{
		"<< /Type /Sig /Contents <00FF> /ByteRange [0 10 20 30] /M (D:2026\\)) >>",
		"[1 2.50 -.5 /N#20ame (a\\nb) <414> true false null 3 0 R]",
		"<< /A << /B [ << >> [] ] >> /C 612.0 /D +7 >>",
		"(\\101\\t\\\r\n)",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := NewParser(NewBytesLexer(b, 0, 1<<16), &Limits{MaxDepth: 32})
		o, err := p.ParseObject()
		if err != nil {
			return
		}
		out, err := AppendObject(nil, o)
		if err != nil {
			t.Fatalf("parsed %#v but cannot write it: %v", o, err)
		}
		back, err := NewParser(NewBytesLexer(out, 0, 1<<16), &Limits{MaxDepth: 40}).ParseObject()
		if err != nil {
			t.Fatalf("cannot re-read %q: %v", out, err)
		}
		if !Equal(o, back) {
			t.Fatalf("round trip changed the object:\n%#v\n%q\n%#v", o, out, back)
		}
	})
}
