package verify

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/sign"
	"sealdesk/core/tsa"
)

// Files signed by core/sign (the product's signer) at every PAdES level: valid with the test
// root, untrusted without it; a certified document then signed by a second person stays valid.
func TestSignedByCoreSign(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }})
	cert, key := p.Leaf(t, "张三", pki.ECDSAP256)
	cert2, key2 := p.Leaf(t, "李四", pki.RSA2048)
	ts, err := tsa.New(tsa.Options{Cert: p.TSA, Key: p.TSAKey, Chain: p.Chain, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	doc, _ := makeDoc(docOpts{emptySig: true, emptyText: true})
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	store := NewTrustStore(p.Root)
	opts := func(c sign.Level) *sign.Options {
		return &sign.Options{Signer: key, Cert: cert, Chain: p.Chain, Level: c, Timestamper: ts, Page: 1,
			Rect: sign.VisibleRect{X1: 300, Y1: 300, X2: 400, Y2: 360}, Now: func() time.Time { return now }}
	}
	check := func(path string, wantSigs int) *Report {
		t.Helper()
		rep, err := File(context.Background(), path, &Options{Trust: store, Now: func() time.Time { return now.Add(time.Minute) }})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != StatusValid || len(rep.Signatures) != wantSigs {
			t.Fatalf("%s: %s with %d signatures\n%s", filepath.Base(path), rep.Verdict, len(rep.Signatures), dump(rep))
		}
		if r2, _ := File(context.Background(), path, nil); r2.Verdict != StatusUntrusted {
			t.Errorf("%s without the root: %s", filepath.Base(path), r2.Verdict)
		}
		return rep
	}
	for _, lvl := range []sign.Level{sign.LevelBB, sign.LevelBT, sign.LevelBLT, sign.LevelBLTA} {
		out := filepath.Join(dir, string(lvl)+".pdf")
		if _, err := sign.SignFile(context.Background(), in, out, opts(lvl)); err != nil {
			t.Fatalf("%s: %v", lvl, err)
		}
		want := 1
		if lvl == sign.LevelBLTA {
			want = 2
		}
		rep := check(out, want)
		sg := rep.Signatures[0]
		if lvl != sign.LevelBB && (sg.TimeSource != "timestamp" || !sg.Timestamp.Valid) {
			t.Errorf("%s: timestamp not verified: %+v", lvl, sg)
		}
		if (lvl == sign.LevelBLT || lvl == sign.LevelBLTA) && (sg.Revocation != RevocationGood || !sg.LTV) {
			t.Errorf("%s: revocation %s ltv %v\n%s", lvl, sg.Revocation, sg.LTV, dump(rep))
		}
		if lvl == sign.LevelBLTA && rep.Signatures[1].Kind != KindDocTimestamp {
			t.Errorf("B-LTA: second entry is %s", rep.Signatures[1].Kind)
		}
	}
	// Certified (P=2) into the prepared field, then the second signer fills the text field and
	// signs a new field: all allowed.
	cert1 := filepath.Join(dir, "certified.pdf")
	o := opts(sign.LevelBT)
	o.Certify, o.Field, o.Page = 2, "Sig1", 0
	if _, err := sign.SignFile(context.Background(), in, cert1, o); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(cert1)
	filled := filepath.Join(dir, "filled.pdf")
	os.WriteFile(filled, fillText(t, data, "100"), 0o644)
	second := filepath.Join(dir, "second.pdf")
	o2 := opts(sign.LevelBT)
	o2.Signer, o2.Cert, o2.Page = key2, cert2, 0
	if _, err := sign.SignFile(context.Background(), filled, second, o2); err != nil {
		t.Fatal(err)
	}
	rep := check(second, 2)
	if rep.Signatures[0].Kind != KindCertification || rep.Signatures[0].ChangesAfter != "allowed" {
		t.Errorf("certification: %+v", rep.Signatures[0])
	}
	// A flip in any sampled byte of core/sign's output is caught.
	signed, _ := os.ReadFile(filepath.Join(dir, "B-T.pdf"))
	for i := 0; i < len(signed); i += 53 {
		mod := append([]byte{}, signed...)
		mod[i] ^= 0x20
		r, err := Verify(context.Background(), bytesReader(mod), int64(len(mod)), "flip.pdf", &Options{Trust: store})
		if err != nil {
			continue
		}
		if r.Verdict == StatusValid || r.Verdict == StatusUntrusted || r.Verdict == StatusUnsigned {
			if !inGap(t, signed, int64(i)) {
				t.Fatalf("flip at %d: %s", i, r.Verdict)
			}
		}
	}
}

// inGap reports whether off lies in the /Contents gap of a signature of data.
func inGap(t testing.TB, data []byte, off int64) bool {
	rep, err := Verify(context.Background(), bytesReader(data), int64(len(data)), "x.pdf", nil)
	if err != nil {
		return false
	}
	_ = rep
	f, err := pdf.Open(bytesReader(data), int64(len(data)), nil)
	if err != nil {
		return false
	}
	sigs, _, _ := f.FindSigDicts()
	for _, sd := range sigs {
		arr, ok := sd.Dict.Get("ByteRange").(pdf.Array)
		if !ok || len(arr) != 4 {
			continue
		}
		a, _ := pdf.IntOf(arr[1])
		b, _ := pdf.IntOf(arr[2])
		if off >= a && off < b {
			return true
		}
	}
	return false
}
