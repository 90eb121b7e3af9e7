package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	_ "image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/tsa"
)

func fileSum(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// qpdfMake runs qpdf to derive a variant of in (linearized, object streams, encrypted).
func (e *env) qpdfMake(name, in string, args ...string) string {
	pkitest.RequireTool(e.t, "qpdf")
	out := filepath.Join(e.dir, name)
	cmd := exec.Command("qpdf", append(append(args, in), out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		e.t.Fatalf("qpdf %v: %v\n%s", args, err, b)
	}
	return out
}

// TestSignAfterZeroPadding: an earlier signature's /Contents is mostly zero padding (a
// timestamped one reserves a lot). pdfsign's signer searched the file for zeros and could
// overwrite it; here offsets come from the layout and both signatures stay valid.
func TestSignAfterZeroPadding(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{pages: 1}))
	first := filepath.Join(e.dir, "first.pdf")
	o := e.opts("first")
	o.Level, o.Timestamper = LevelBT, e.ts
	if _, err := SignFile(context.Background(), in, first, o); err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(e.dir, "second.pdf")
	o2 := e.opts("second")
	o2.Page, o2.Rect, o2.Image = 1, VisibleRect{100, 400, 200, 500}, sealPNG(t)
	if _, err := SignFile(context.Background(), first, second, o2); err != nil {
		t.Fatal(err)
	}
	e.c.check(second, 2)
	// The first revision is byte-for-byte the earlier file.
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(second)
	if !bytes.HasPrefix(b, a) {
		t.Fatal("earlier revision was altered")
	}
}

// TestSignCorpusFromOtherProducts signs files signed by other products (two incremental
// signatures; a signature plus DSS and two document timestamps).
func TestSignCorpusFromOtherProducts(t *testing.T) {
	e := newEnv(t)
	for _, pat := range []string{"07-*.pdf", "09-*.pdf", "01-*.pdf", "13-*.pdf"} {
		m, _ := filepath.Glob(filepath.Join("..", "pdf", "testdata", "corpus", "files", pat))
		if len(m) == 0 {
			t.Fatalf("corpus file %s missing", pat)
		}
		in := m[0]
		before := len(e.c.pdfsigIfAny(in))
		out := filepath.Join(e.dir, filepath.Base(in))
		o := e.opts("corpus")
		// In the page's corner, over nothing: a seal that hides another product's signed text
		// is (rightly) a change the earlier signatures see.
		o.Page, o.Rect, o.Image = 1, VisibleRect{2, 2, 18, 18}, sealPNG(t)
		_, err := SignFile(context.Background(), in, out, o)
		if pat == "13-*.pdf" {
			// certified with P=1: no further signature may be added
			if !errors.Is(err, ErrCertifiedNoChanges) {
				t.Errorf("%s: %v, want ErrCertifiedNoChanges", pat, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", pat, err)
		}
		e.c.check(out, before+1)
	}
}

func (c *checker) pdfsigIfAny(path string) []pdfsigBlock {
	if c.nss == "" {
		return nil
	}
	return c.pdfsig(path)
}

// TestOversizedCMS: RSA-4096 key, a six-level chain and a timestamp fit the reserved space
// on the first try.
func TestOversizedCMS(t *testing.T) {
	// Six CA levels (P-256 keys keep key generation fast) under an RSA-4096 leaf.
	p := pkitest.New(t, &pkitest.Options{ExtraIntermediates: 4})
	a, err := tsa.New(tsa.Options{Cert: p.TSA, Key: p.TSAKey, Chain: p.Chain})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, p: p, c: newChecker(t, p), ts: a, dir: t.TempDir()}
	in := e.write("in.pdf", genPDF(genOpts{}))
	cert, key := p.Leaf(t, "big", pki.RSA4096)
	cs := &countingSigner{Signer: key}
	for _, pss := range []bool{false, true} {
		out := filepath.Join(e.dir, fmt.Sprintf("out-pss-%v.pdf", pss)) // a signed file is never replaced by another signing
		res, err := SignFile(context.Background(), in, out, &Options{Signer: cs, Cert: cert, Chain: p.Chain, Level: LevelBT, Timestamper: a, Hash: crypto.SHA512, PSS: pss, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		if res.CMSSize < 8000 || res.CMSSize > res.Reserved {
			t.Errorf("cms %d bytes, reserved %d", res.CMSSize, res.Reserved)
		}
		// pdfsign's verify has no RSASSA-PSS; pdfsig, pdfcpu's structure checks, qpdf and
		// core/verify check the PSS signature.
		e.c.noPdfsign = pss
		e.c.check(out, 1)
		e.c.noPdfsign = false
	}
	if n := cs.n.Load(); n != 2 {
		t.Errorf("signer called %d times for 2 signatures", n)
	}
}

type countingSigner struct {
	crypto.Signer
	n atomic.Int32
}

func (c *countingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	c.n.Add(1)
	return c.Signer.Sign(r, d, o)
}

// TestFormFieldsSurvive: 28 filled text fields, /DR and /DA are still there after signing.
func TestFormFieldsSurvive(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{textFields: 28}))
	out := filepath.Join(e.dir, "out.pdf")
	o := e.opts("form")
	o.Page, o.Rect, o.Image = 1, VisibleRect{50, 50, 150, 150}, sealPNG(t)
	if _, err := SignFile(context.Background(), in, out, o); err != nil {
		t.Fatal(err)
	}
	e.c.check(out, 1)
	before, after := formSnapshot(t, in), formSnapshot(t, out)
	for name, v := range before {
		if after[name] != v {
			t.Errorf("field %s: %q became %q", name, v, after[name])
		}
	}
	if len(after) != len(before)+1 || after["@DR"] != before["@DR"] || after["@DA"] != before["@DA"] {
		t.Errorf("form after signing: %d fields, DR %q→%q, DA %q→%q", len(after), before["@DR"], after["@DR"], before["@DA"], after["@DA"])
	}
}

// formSnapshot maps field names to their values, plus "@DR" and "@DA" for the form defaults.
func formSnapshot(t *testing.T, path string) map[string]string {
	f, err := pdf.OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, err := f.Fields()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, fl := range fs {
		if s, ok := fl.Value.(pdf.String); ok {
			m[fl.Name] = s.Text()
		} else {
			m[fl.Name] = string(fl.Type)
		}
	}
	cat, _ := f.Catalog()
	af := f.Latest().Dict(cat.Get("AcroForm"))
	dr, _ := pdf.AppendObject(nil, af.Get("DR"))
	da, _ := pdf.AppendObject(nil, af.Get("DA"))
	m["@DR"], m["@DA"] = string(dr), string(da)
	return m
}

// TestRotatedCroppedSealLandsInBox renders pages with /Rotate and a CropBox and checks that the
// seal's red pixels sit inside the box given in visible coordinates.
func TestRotatedCroppedSealLandsInBox(t *testing.T) {
	pkitest.RequireTool(t, "pdftoppm")
	e := newEnv(t)
	for _, rot := range []int{0, 90, 180, 270} {
		in := e.write("in.pdf", genPDF(genOpts{media: "[0 0 600 800]", crop: "[40 60 560 760]", rotate: rot}))
		out := filepath.Join(e.dir, fmt.Sprintf("out-%d.pdf", rot))
		o := e.opts("rot")
		box := VisibleRect{60, 80, 180, 200}
		o.Page, o.Rect, o.Image, o.Fit = 1, box, sealPNG(t), Stretch
		if _, err := SignFile(context.Background(), in, out, o); err != nil {
			t.Fatal(err)
		}
		e.c.check(out, 1)
		img := render(t, out, 1)
		// Visible page is 520×700 (700×520 when turned); 72 dpi: 1 px per point, y downwards.
		vw, vh := 520, 700
		if rot%180 == 90 {
			vw, vh = vh, vw
		}
		if img.Bounds().Dx() != vw || img.Bounds().Dy() != vh {
			t.Fatalf("rotate %d: rendered %v, want %dx%d", rot, img.Bounds(), vw, vh)
		}
		in0, out0 := redPixels(img, box, vh)
		if in0 < 500 || out0 > in0/50 {
			t.Errorf("rotate %d: %d red pixels inside the box, %d outside", rot, in0, out0)
		}
		// Upright: the seal's filled square is centred; the ring's top is at the box's top.
		// Check the top-middle of the box is red and the centre is red.
		cx, cy := int((box.X1+box.X2)/2), vh-int((box.Y1+box.Y2)/2)
		if !isRed(img, cx, cy) {
			t.Errorf("rotate %d: centre of the box is not red", rot)
		}
	}
}

// TestUprightSeal draws an asymmetric image (red only in its top half) on rotated pages and
// checks that the red half is at the top as the user sees it.
func TestUprightSeal(t *testing.T) {
	pkitest.RequireTool(t, "pdftoppm")
	e := newEnv(t)
	topHalf := image.NewNRGBA(image.Rect(0, 0, 100, 100))
	for y := 0; y < 50; y++ {
		for x := 0; x < 100; x++ {
			topHalf.Pix[(y*100+x)*4+0] = 0xd0
			topHalf.Pix[(y*100+x)*4+3] = 0xff
		}
	}
	png := encodePNG(t, topHalf)
	for _, rot := range []int{90, 270} {
		in := e.write("in.pdf", genPDF(genOpts{rotate: rot}))
		out := filepath.Join(e.dir, fmt.Sprintf("out-%d.pdf", rot))
		o := e.opts("up")
		box := VisibleRect{100, 100, 300, 300}
		o.Page, o.Rect, o.Image = 1, box, png
		if _, err := SignFile(context.Background(), in, out, o); err != nil {
			t.Fatal(err)
		}
		img := render(t, out, 1)
		vh := img.Bounds().Dy()
		if !isRed(img, 200, vh-250) || isRed(img, 200, vh-150) {
			t.Errorf("rotate %d: seal is not upright", rot)
		}
	}
}

// TestEncryptedRefused: RC4 and AES encrypted inputs are refused; nothing is written.
func TestEncryptedRefused(t *testing.T) {
	e := newEnv(t)
	plain := e.write("plain.pdf", genPDF(genOpts{}))
	for _, c := range []struct{ name, bits string }{{"rc4.pdf", "40"}, {"rc4-128.pdf", "128"}, {"aes.pdf", "256"}} {
		args := []string{"--allow-weak-crypto", "--encrypt", "user", "owner", c.bits}
		if c.bits == "128" {
			args = append(args, "--use-aes=n")
		}
		args = append(args, "--")
		in := e.qpdfMake(c.name, plain, args...)
		sum := fileSum(t, in)
		out := filepath.Join(e.dir, "out-"+c.name)
		_, err := SignFile(context.Background(), in, out, e.opts("enc"))
		if !errors.Is(err, pdf.ErrEncrypted) {
			t.Errorf("%s: %v, want ErrEncrypted", c.name, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output exists after refusal", c.name)
		}
		if fileSum(t, in) != sum {
			t.Errorf("%s: input changed", c.name)
		}
	}
	assertNoPartials(t, e.dir)
}

func assertNoPartials(t *testing.T, dir string) {
	m, _ := filepath.Glob(filepath.Join(dir, ".*.partial"))
	if len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

// TestFileShapes: PDF 2.0, xref streams, object streams (qpdf), hybrid, linearized, 250 pages.
func TestFileShapes(t *testing.T) {
	e := newEnv(t)
	base := e.write("base.pdf", genPDF(genOpts{pages: 3, textFields: 2}))
	shapes := map[string]string{
		"pdf20.pdf":    e.write("pdf20.pdf", genPDF(genOpts{version: "2.0"})),
		"xrefstm.pdf":  e.write("xrefstm.pdf", genPDF(genOpts{pages: 2, xrefStream: true})),
		"hybrid.pdf":   e.write("hybrid.pdf", genPDF(genOpts{pages: 2, hybrid: true})),
		"pages250.pdf": e.write("pages250.pdf", genPDF(genOpts{pages: 250})),
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		shapes["objstm.pdf"] = e.qpdfMake("objstm.pdf", base, "--object-streams=generate")
		shapes["linear.pdf"] = e.qpdfMake("linear.pdf", base, "--linearize")
		shapes["linear-objstm.pdf"] = e.qpdfMake("linear-objstm.pdf", base, "--linearize", "--object-streams=generate")
	}
	// The inputs are what their names say, as core/pdf reads them.
	for name, want := range map[string]func(*pdf.File) bool{
		"hybrid.pdf":  func(f *pdf.File) bool { return f.Revisions()[0].Hybrid },
		"xrefstm.pdf": func(f *pdf.File) bool { return f.Revisions()[0].XRefStream },
		"linear.pdf":  func(f *pdf.File) bool { return f.Linearized() },
		"pdf20.pdf":   func(f *pdf.File) bool { return f.Version() == "2.0" },
	} {
		path, ok := shapes[name]
		if !ok {
			continue
		}
		f, err := pdf.OpenFile(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !want(f) {
			t.Errorf("%s is not read as its shape", name)
		}
		f.Close()
	}
	for name, in := range shapes {
		out := filepath.Join(e.dir, "signed-"+name)
		o := e.opts("shape")
		o.Page, o.Rect, o.Image = 1, VisibleRect{300, 300, 400, 400}, sealPNG(t)
		o.Level, o.Timestamper = LevelBT, e.ts
		if _, err := SignFile(context.Background(), in, out, o); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		e.c.check(out, 1)
		// The update is in the file's own xref style.
		f, err := pdf.OpenFile(out, nil)
		if err != nil {
			t.Fatal(err)
		}
		revs := f.Revisions()
		if revs[len(revs)-1].XRefStream != revs[len(revs)-2].XRefStream && !revs[len(revs)-2].Hybrid {
			t.Errorf("%s: update xref style differs from the file's", name)
		}
		f.Close()
	}
}

// TestFiveSignersThenLTA: five signers fill their own pre-placed fields in sequence, then the
// file is upgraded to B-LTA: six signatures, all valid.
func TestFiveSignersThenLTA(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{pages: 2}))
	placed := filepath.Join(e.dir, "placed.pdf")
	var specs []FieldSpec
	for i := 0; i < 5; i++ {
		specs = append(specs, FieldSpec{Name: "signer" + string(rune('A'+i)), Page: 1 + i%2, Rect: VisibleRect{X1: 40 + float64(i)*100, Y1: 500, X2: 130 + float64(i)*100, Y2: 590}})
	}
	if err := AddFields(in, placed, specs); err != nil {
		t.Fatal(err)
	}
	cur := placed
	for i, s := range specs {
		next := filepath.Join(e.dir, "s"+string(rune('1'+i))+".pdf")
		o := e.opts(s.Name)
		o.Field, o.Image = s.Name, sealPNG(t)
		if i == 0 {
			o.Certify = 2
		}
		if i%2 == 1 {
			o.Level, o.Timestamper = LevelBT, e.ts
		}
		res, err := SignFile(context.Background(), cur, next, o)
		if err != nil {
			t.Fatalf("signer %d: %v", i+1, err)
		}
		if res.Field != s.Name {
			t.Errorf("signed %q, want %q", res.Field, s.Name)
		}
		cur = next
	}
	e.c.check(cur, 5)
	final := filepath.Join(e.dir, "final.pdf")
	if _, err := Upgrade(context.Background(), cur, final, &UpgradeOptions{Level: LevelBLTA, Timestamper: e.ts}); err != nil {
		t.Fatal(err)
	}
	e.c.check(final, 6)
	e.c.assertLTV(final)
	// Every signer's VRI entry is in the DSS.
	f, err := pdf.OpenFile(final, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cat, _ := f.Catalog()
	dss := f.Latest().Dict(cat.Get("DSS"))
	vri := f.Latest().Dict(dss.Get("VRI"))
	if len(vri) != 5 {
		t.Errorf("dss has %d vri entries, want 5", len(vri))
	}
}

func TestDocMDP(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{sigFields: []string{"a", "b"}}))
	p1 := filepath.Join(e.dir, "p1.pdf")
	o := e.opts("certifier")
	o.Field, o.Certify = "a", 1
	if _, err := SignFile(context.Background(), in, p1, o); err != nil {
		t.Fatal(err)
	}
	e.c.check(p1, 1)
	if _, err := SignFile(context.Background(), p1, filepath.Join(e.dir, "x.pdf"), &Options{Signer: o.Signer, Cert: o.Cert, Field: "b"}); !errors.Is(err, ErrCertifiedNoChanges) {
		t.Errorf("signing after P=1: %v", err)
	}
	p2 := filepath.Join(e.dir, "p2.pdf")
	o.Certify = 3
	if _, err := SignFile(context.Background(), in, p2, o); err != nil {
		t.Fatal(err)
	}
	o2 := e.opts("approver")
	o2.Field = "b"
	p2b := filepath.Join(e.dir, "p2b.pdf")
	if _, err := SignFile(context.Background(), p2, p2b, o2); err != nil {
		t.Fatal(err)
	}
	e.c.check(p2b, 2)
	o2.Certify, o2.Field = 2, ""
	if _, err := SignFile(context.Background(), p2b, filepath.Join(e.dir, "y.pdf"), o2); !errors.Is(err, ErrAlreadySigned) {
		t.Errorf("certifying a signed document: %v", err)
	}
	o2.Certify, o2.Field = 0, "a"
	if _, err := SignFile(context.Background(), p2b, filepath.Join(e.dir, "z.pdf"), o2); !errors.Is(err, ErrFieldNotEmpty) {
		t.Errorf("filling a signed field: %v", err)
	}
	assertNoPartials(t, e.dir)
}

// TestCrossPageSeal cuts a seal over three pages' right edges in one signature.
func TestCrossPageSeal(t *testing.T) {
	pkitest.RequireTool(t, "pdftoppm")
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{pages: 3, rotate: 90}))
	out := filepath.Join(e.dir, "out.pdf")
	o := e.opts("qifeng")
	o.CrossPage = &CrossPage{Image: sealPNG(t), Width: 120}
	if _, err := SignFile(context.Background(), in, out, o); err != nil {
		t.Fatal(err)
	}
	e.c.check(out, 1)
	// The same seal also stamped in a box on page 2, in the same signature (four widgets).
	both := filepath.Join(e.dir, "both.pdf")
	o2 := e.opts("qifeng2")
	o2.CrossPage = &CrossPage{Image: sealPNG(t), Width: 120, Pages: []int{1, 2, 3}}
	o2.Page, o2.Rect, o2.Image = 2, VisibleRect{100, 100, 220, 220}, sealPNG(t)
	if _, err := SignFile(context.Background(), in, both, o2); err != nil {
		t.Fatal(err)
	}
	e.c.check(both, 1)
	if in0, _ := redPixels(render(t, both, 2), VisibleRect{100, 100, 220, 220}, render(t, both, 2).Bounds().Dy()); in0 < 500 {
		t.Errorf("main seal on page 2: %d red pixels", in0)
	}
	for pg := 1; pg <= 3; pg++ {
		img := render(t, out, pg)
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		strip := VisibleRect{float64(w) - 40, float64(h)/2 - 60, float64(w), float64(h)/2 + 60}
		in0, out0 := redPixels(img, strip, h)
		if in0 < 200 || out0 > 0 {
			t.Errorf("page %d: %d red pixels in the edge strip, %d elsewhere", pg, in0, out0)
		}
	}
}

// TestFailureLeavesNothing: a signer that fails leaves the input untouched and no output.
func TestFailureLeavesNothing(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{}))
	sum := fileSum(t, in)
	o := e.opts("fail")
	o.Signer = failingSigner{o.Signer}
	if _, err := SignFile(context.Background(), in, in, o); err == nil {
		t.Fatal("failing signer reported success")
	}
	if fileSum(t, in) != sum {
		t.Error("input changed")
	}
	assertNoPartials(t, e.dir)
	// Signing in place works and keeps the original as the first revision.
	orig, _ := os.ReadFile(in)
	if _, err := SignFile(context.Background(), in, in, e.opts("inplace")); err != nil {
		t.Fatal(err)
	}
	now, _ := os.ReadFile(in)
	if !bytes.HasPrefix(now, orig) {
		t.Error("in-place signing altered the original bytes")
	}
}

type failingSigner struct{ crypto.Signer }

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("token removed")
}

// TestPdfcpuRSACrypto: pdfcpu's validator checks RSA CAdES cryptography; for our RSA signature
// it gets past the cryptographic checks and stops only at trust (no local store).
func TestPdfcpuRSACrypto(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{sigFields: []string{"a"}}))
	out := filepath.Join(e.dir, "out.pdf")
	cert, key := e.p.Leaf(t, "rsa", pki.RSA2048)
	if _, err := SignFile(context.Background(), in, out, &Options{Signer: key, Cert: cert, Chain: e.p.Chain, Field: "a", Now: testNow}); err != nil {
		t.Fatal(err)
	}
	e.c.check(out, 1)
	res, err := api.ValidateSignatures(out, true, model.NewDefaultConfiguration())
	if err != nil || len(res) != 1 {
		t.Fatalf("pdfcpu: %v %v", res, err)
	}
	switch res[0].Reason {
	case model.SignatureReasonDocModified, model.SignatureReasonSignatureForged, model.SignatureReasonUnsupported, model.SignatureReasonMalformed:
		t.Errorf("pdfcpu: %v %v", res[0].Reason, res[0].Problems)
	}
}

// TestFieldLock: a pre-placed field with /Lock /All; its signature carries a FieldMDP
// reference, which verifiers enforce on later changes.
func TestFieldLock(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{textFields: 2}))
	placed := filepath.Join(e.dir, "placed.pdf")
	if err := AddFields(in, placed, []FieldSpec{{Name: "locker", Page: 1, Rect: VisibleRect{50, 50, 150, 120}, LockAll: true}}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(e.dir, "out.pdf")
	o := e.opts("locker")
	o.Field = "locker"
	if _, err := SignFile(context.Background(), placed, out, o); err != nil {
		t.Fatal(err)
	}
	e.c.check(out, 1)
	f, err := pdf.OpenFile(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fl, err := f.Latest().Field("locker")
	if err != nil {
		t.Fatal(err)
	}
	sig := f.Latest().Dict(fl.Value)
	refs, _ := sig.Get("Reference").(pdf.Array)
	if len(refs) != 1 {
		t.Fatalf("reference %v", refs)
	}
	r := refs[0].(pdf.Dict)
	tp := r.Get("TransformParams").(pdf.Dict)
	if r.NameOf("TransformMethod") != "FieldMDP" || tp.NameOf("Action") != "All" {
		t.Errorf("fieldmdp reference %v", r)
	}
}

// TestSignWholeCorpus signs every corpus file that can take a signature (other products,
// attack samples, odd cryptography): our new signature is valid and trusted, and every
// signature pdfsig found valid before is still valid after. Files that must be refused are.
func TestSignWholeCorpus(t *testing.T) {
	e := newEnv(t)
	m, _ := filepath.Glob(filepath.Join("..", "pdf", "testdata", "corpus", "files", "*.pdf"))
	if len(m) < 30 {
		t.Fatalf("corpus has %d files", len(m))
	}
	refused := map[string]error{
		"13": ErrCertifiedNoChanges, "14": ErrCertifiedNewField, "15": ErrCertifiedNewField,
		"23": ErrCertifiedNewField, "20": pdf.ErrUnsafeAppend, "22": pdf.ErrUnsafeAppend,
	}
	for _, in := range m {
		base := filepath.Base(in)
		out := filepath.Join(e.dir, base)
		o := e.opts("corpus")
		o.Page, o.Rect, o.Image = 1, VisibleRect{10, 10, 60, 60}, sealPNG(t)
		_, err := SignFile(context.Background(), in, out, o)
		if want, ok := refused[base[:2]]; ok {
			if !errors.Is(err, want) {
				t.Errorf("%s: %v, want %v", base, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		// pdfsig comparisons for the files of other products that are valid as they come (the
		// attack samples and odd cryptography only need to take a signature); all of them
		// under SEALDESK_LONG.
		if e.c.nss == "" || (!strings.Contains(base, "-valid-") && !strings.Contains(base, "-allowed-") && os.Getenv("SEALDESK_LONG") == "") {
			continue
		}
		before, after := e.c.pdfsig(in), e.c.pdfsig(out)
		if len(after) != len(before)+1 {
			t.Errorf("%s: pdfsig lists %d signatures after, %d before", base, len(after), len(before))
			continue
		}
		for i := range before {
			if before[i].valid && !after[i].valid {
				t.Errorf("%s: signature #%d was valid and is not any more", base, i+1)
			}
		}
		last := after[len(after)-1]
		if !last.valid || !last.trusted || !last.ours {
			t.Errorf("%s: our signature: %s", base, last.text)
		}
	}
}

// TestCancelAndProgress: progress reaches the file size; a cancelled signing writes nothing.
func TestCancelAndProgress(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{padBytes: 3 << 20}))
	st, _ := os.Stat(in)
	var last int64
	o := e.opts("progress")
	o.Progress = func(done, total int64) {
		if done < last || total != st.Size() {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	}
	if _, err := SignFile(context.Background(), in, filepath.Join(e.dir, "out.pdf"), o); err != nil {
		t.Fatal(err)
	}
	if last != st.Size() {
		t.Errorf("progress ended at %d of %d", last, st.Size())
	}
	ctx, cancel := context.WithCancel(context.Background())
	o = e.opts("cancel")
	o.Progress = func(done, total int64) { cancel() }
	cancelled := filepath.Join(e.dir, "cancelled.pdf")
	if _, err := SignFile(ctx, in, cancelled, o); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled signing: %v", err)
	}
	if _, err := os.Stat(cancelled); !os.IsNotExist(err) {
		t.Error("cancelled signing left an output")
	}
	assertNoPartials(t, e.dir)
}

// TestFillFieldOnlyPNames: a pre-placed field whose widget no page lists (only /P names the
// page) is listed on its page when signed, so viewers show it.
func TestFillFieldOnlyPNames(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{orphanSig: "hidden"}))
	out := filepath.Join(e.dir, "out.pdf")
	o := e.opts("p-only")
	o.Field, o.Image = "hidden", sealPNG(t)
	if _, err := SignFile(context.Background(), in, out, o); err != nil {
		t.Fatal(err)
	}
	e.c.check(out, 1)
	f, err := pdf.OpenFile(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fl, err := f.Latest().Field("hidden")
	if err != nil {
		t.Fatal(err)
	}
	if len(fl.Widgets) != 1 || !fl.Widgets[0].OnPageAnnots || fl.Widgets[0].Page != 1 {
		t.Errorf("widget %+v not listed on page 1", fl.Widgets)
	}
}

func TestOutputKeepsPermissions(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{}))
	os.Chmod(in, 0o640)
	out := filepath.Join(e.dir, "out.pdf")
	if _, err := SignFile(context.Background(), in, out, e.opts("perm")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("output mode %v, want 0640 like the input (%v)", st.Mode().Perm(), err)
	}
}

// TestAlgorithms: ECDSA P-256/P-384 and RSA (PKCS#1 v1.5 and PSS) with SHA-256/384/512, each
// through every verifier.
func TestAlgorithms(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{}))
	for _, c := range []struct {
		kt   pki.KeyType
		h    crypto.Hash
		pss  bool
		name string
	}{
		{pki.ECDSAP256, crypto.SHA256, false, "p256-sha256"},
		{pki.ECDSAP384, crypto.SHA384, false, "p384-sha384"},
		{pki.ECDSAP256, crypto.SHA512, false, "p256-sha512"},
		{pki.RSA2048, crypto.SHA256, false, "rsa-sha256"},
		{pki.RSA2048, crypto.SHA512, false, "rsa-sha512"},
		{pki.RSA2048, crypto.SHA384, true, "rsapss-sha384"},
	} {
		cert, key := e.p.Leaf(t, c.name, c.kt)
		out := filepath.Join(e.dir, c.name+".pdf")
		if _, err := SignFile(context.Background(), in, out, &Options{Signer: key, Cert: cert, Chain: e.p.Chain, Hash: c.h, PSS: c.pss, Now: testNow}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		e.c.noPdfsign = c.pss
		e.c.check(out, 1)
		e.c.noPdfsign = false
	}
}

// TestRemoteSigner: a signer that only ever sees a digest (a server-held seal key) is called
// once and the result verifies.
func TestRemoteSigner(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{}))
	cert, key := e.p.Leaf(t, "某某有限公司", "")
	calls := 0
	rs := &RemoteSigner{Pub: key.Public(), Func: func(digest []byte, opts crypto.SignerOpts) ([]byte, error) {
		calls++
		if len(digest) != opts.HashFunc().Size() {
			t.Errorf("remote signer got %d bytes, not a %v digest", len(digest), opts.HashFunc())
		}
		return key.Sign(nil, digest, opts)
	}}
	out := filepath.Join(e.dir, "out.pdf")
	if _, err := SignFile(context.Background(), in, out, &Options{Signer: rs, Cert: cert, Chain: e.p.Chain, Level: LevelBT, Timestamper: e.ts, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("remote signer called %d times", calls)
	}
	e.c.check(out, 1)
}

// TestCrossPageSealIntoPlacedField: a 骑缝章 box placed as an empty field on page 2 is filled
// with the cross-page seal: its widget carries page 2's strip, new widgets of the same field carry
// the other pages' strips, all in the one signed revision, and no other field appears.
func TestCrossPageSealIntoPlacedField(t *testing.T) {
	pkitest.RequireTool(t, "pdftoppm")
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{pages: 3, rotate: 90}))
	placed := filepath.Join(e.dir, "placed.pdf")
	box := VisibleRect{X1: 300, Y1: 200, X2: 420, Y2: 320}
	if err := AddFields(in, placed, []FieldSpec{{Name: "r1-cross-1", Page: 2, Rect: box}}); err != nil {
		t.Fatal(err)
	}
	pf, err := pdf.OpenFile(placed, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, err := pf.Latest().Field("r1-cross-1")
	pf.Close()
	if err != nil || len(before.Widgets) != 1 || before.Widgets[0].Ref != before.Ref {
		t.Fatalf("placed field %+v: %v (want one merged widget)", before, err)
	}
	out := filepath.Join(e.dir, "out.pdf")
	o := e.opts("qifeng-placed")
	o.Field = "r1-cross-1"
	o.CrossPage = &CrossPage{Image: sealPNG(t), Width: 120, CenterY: 260}
	res, err := SignFile(context.Background(), placed, out, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Field != "r1-cross-1" || res.Revisions != 1 {
		t.Errorf("signed field %q in %d revisions", res.Field, res.Revisions)
	}
	e.c.check(out, 1)

	f, err := pdf.OpenFile(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fields, err := f.Latest().Fields()
	if err != nil {
		t.Fatal(err)
	}
	var sigFields []pdf.Field
	for _, fl := range fields {
		if fl.IsSignature() {
			sigFields = append(sigFields, fl)
		}
	}
	if len(sigFields) != 1 || sigFields[0].Name != "r1-cross-1" || sigFields[0].Ref != before.Ref || sigFields[0].Value == nil {
		t.Fatalf("signature fields %+v, want only the placed one, signed", sigFields)
	}
	ws := sigFields[0].Widgets
	if len(ws) != 3 {
		t.Fatalf("%d widgets, want one strip per page", len(ws))
	}
	pages := map[int]bool{}
	for _, w := range ws {
		pages[w.Page] = true
		if !w.OnPageAnnots || w.Ref == before.Ref || w.Dict.Get("V") == nil {
			t.Errorf("widget %+v: not listed on its page, still the field object, or without /V", w)
		}
	}
	if len(pages) != 3 {
		t.Errorf("widgets on pages %v", pages)
	}
	// Every page shows its strip at the right edge, centred at y 260; the box itself is empty.
	for pg := 1; pg <= 3; pg++ {
		img := render(t, out, pg)
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		strip := VisibleRect{float64(w) - 40, 260 - 60, float64(w), 260 + 60}
		in0, out0 := redPixels(img, strip, h)
		if in0 < 200 || out0 > 0 {
			t.Errorf("page %d: %d red pixels in the edge strip, %d elsewhere", pg, in0, out0)
		}
	}

	// After a P=2 certification the other pages' strips would be new annotations: refused.
	cert := filepath.Join(e.dir, "cert.pdf")
	oc := e.opts("certifier")
	oc.Certify = 2
	if _, err := SignFile(context.Background(), placed, cert, oc); err != nil {
		t.Fatal(err)
	}
	o2 := e.opts("qifeng-after-cert")
	o2.Field, o2.CrossPage = "r1-cross-1", &CrossPage{Image: sealPNG(t), Width: 120}
	if _, err := SignFile(context.Background(), cert, filepath.Join(e.dir, "refused.pdf"), o2); !errors.Is(err, ErrCertifiedNewField) {
		t.Errorf("cross-page seal after a P=2 certification: %v", err)
	}
	assertNoPartials(t, e.dir)
}
