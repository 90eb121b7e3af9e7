package verify

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sealdesk/core/cms"
	"testing"
	"time"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

var fuzzLimits = pdf.Limits{MaxObjectSize: 1 << 20, MaxStreamSize: 4 << 20, MaxDepth: 64, MaxObjects: 100000, MaxRevisions: 64}

// FuzzVerify: any bytes give a report or an error, never a panic; limits bound the work.
func FuzzVerify(f *testing.F) {
	s := newSigner(f, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
	signed := s.sign(f, doc, sigOpts{field: "Sig1", timestamp: true})
	f.Add(signed)
	f.Add(s.sign(f, signed, sigOpts{docTS: true}))
	f.Add(doc)
	for _, b := range s7Seeds(f, signed) { // red team s7: rebuild headers, indirect object-stream keys
		f.Add(b)
	}
	dir := filepath.Join(optionalCorpusDir(f), "files")
	for _, n := range []string{"04-valid-single-no-signed-attributes.pdf", "16-usf-02-contents-single-zero-byte.pdf", "24-byterange-two-elements.pdf", "33-crypto-ed448-shake256.pdf"} {
		if b, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
			f.Add(b)
		}
	}
	store := s.store()
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), "fuzz.pdf", &Options{
			Trust: store, MaxFileSize: 8 << 20, Limits: fuzzLimits,
			Now: func() time.Time { return time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) },
		})
		if err != nil {
			return
		}
		if rep.Verdict == "" || ExitCode(rep.Verdict) == 2 {
			t.Fatalf("bad verdict %q", rep.Verdict)
		}
		for _, sg := range rep.Signatures {
			if sg.Status == StatusValid && sg.Integrity != "valid" {
				t.Fatalf("valid status with integrity %q", sg.Integrity)
			}
		}
	})
}

// FuzzCMS: the BER reader and CMS checks on arbitrary bytes.
func FuzzCMS(f *testing.F) {
	s := newSigner(f, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{})
	signed := s.sign(f, doc, sigOpts{timestamp: true})
	pf, err := pdf.Open(bytes.NewReader(signed), int64(len(signed)), nil)
	if err != nil {
		f.Fatal(err)
	}
	sigs, _, _ := pf.FindSigDicts()
	f.Add(bytes.TrimRight(sigs[0].Dict.Get("Contents").(pdf.String).Bytes, "\x00"))
	f.Add([]byte{0x30, 0x80, 0x30, 0x80, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		h := &rangeHasher{r: bytes.NewReader(signed), ranges: [][2]int64{{0, 100}, {200, 100}}}
		for _, sub := range []string{subCAdES, subPKCS7SHA1, subRFC3161, subX509SHA1} {
			cc := checkSignatureCrypto(sub, data, [][]byte{data}, h)
			if cc == nil {
				t.Fatal("nil result")
			}
		}
		if n, _, err := cms.ParseBER(data); err == nil {
			_ = n.DER()
		}
	})
}

// FuzzPaintsOver: the appearance scan reads any bytes without panicking, and a stream that
// shows text after arbitrary bytes that tokenise is never judged harmless.
func FuzzPaintsOver(f *testing.F) {
	for _, s := range []string{"1 1 0 rg 0 0 10 10 re f", "/X Do/G gs", "BT (x)Tj%c\nET", "q 0.5 0 0 RG 9 w 0 0 m 5 5 l S Q",
		"/P0 scn 0 0 9 9 re f", "BI /W 1 /H 1 ID \x00 EI", "[(a) 3 (b)] TJ", "(unterminated", "<<>> [ ] { }", "1 1 1 1 k"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		paintsOver(data)
		if !paintsOver(append(append([]byte{}, data...), "\n(x) Tj"...)) && !bytes.ContainsAny(data, "()<>[]{}%/\\") {
			t.Fatalf("text shown after %q not seen", data)
		}
	})
}
