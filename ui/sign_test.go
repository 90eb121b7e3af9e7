package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sealdesk/core/keystore"
	"sealdesk/core/pdf"
	"sealdesk/core/pdf/render"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/seal"
	"sealdesk/core/tsa"
	"sealdesk/core/verify"
)

// memKeys is an in-memory keystore.Store.
type memKeys struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memKeys) GetKey(id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[id]
	if !ok {
		return nil, keystore.ErrNotFound
	}
	return append([]byte(nil), b...), nil
}
func (s *memKeys) PutKey(id string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[id] = append([]byte(nil), b...)
	return nil
}
func (s *memKeys) ListKeys() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}
func (s *memKeys) DeleteKey(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}

// testCA certifies CSRs with a test PKI's issuing CA and stamps with its TSA, in process.
type testCA struct {
	p   *pkitest.PKI
	tsa *tsa.Authority
}

func newTestCA(t *testing.T, p *pkitest.PKI) *testCA {
	a, err := tsa.New(tsa.Options{Cert: p.TSA, Key: p.TSAKey, Chain: p.Chain, Now: p.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{p: p, tsa: a}
}

func (c *testCA) Certify(_ context.Context, csrPEM []byte, name, id string) ([]*x509.Certificate, error) {
	b, _ := pem.Decode(csrPEM)
	if b == nil {
		return nil, errors.New("no csr")
	}
	now := c.p.Now()
	cert, err := pki.IssueFromCSR(c.p.Issuer(), b.Bytes, pki.Request{Profile: pki.ProfilePerson,
		Subject: pkix.Name{CommonName: name, SerialNumber: id}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)})
	if err != nil {
		return nil, err
	}
	return append([]*x509.Certificate{cert}, c.p.Chain...), nil
}

func (c *testCA) Timestamper() tsa.Timestamper { return c.tsa }
func (c *testCA) Roots() []*x509.Certificate   { return []*x509.Certificate{c.p.Root} }

// drawnSignature is a library item made from strokes, as the pad makes it.
func drawnSignature(t *testing.T) LibraryItem {
	sig := &seal.Signature{Version: seal.SignatureVersion, Width: 80, Height: 30, Strokes: []seal.Stroke{
		{{X: 10, Y: 20, T: 0}, {X: 30, Y: 8, T: 50}, {X: 50, Y: 22, T: 100}, {X: 70, Y: 10, T: 150}}}}
	img, err := sig.Render(300, color.NRGBA{0x10, 0x10, 0x10, 0xff})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	strokes, _ := sig.Marshal()
	return LibraryItem{Kind: ItemSignatureDraw, Name: "张三签名", PNG: b.Bytes(), Strokes: strokes}
}

func fileSum(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestSignEndToEnd: open a PDF, place two boxes, save; create the personal key here (certified
// by the CA); sign one box with it; check a wrong PIN changes nothing; verify the result with
// our verifier and with poppler's pdfsig trusting the root through an NSS database.
func TestSignEndToEnd(t *testing.T) {
	now := time.Now()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	lib := &memLibrary{}
	lib.Save(drawnSignature(t))
	local := &LocalServices{Prefs: &memPrefs{}, Library: lib, PlatformRoots: []*x509.Certificate{p.Root},
		Keys: keystore.New(&memKeys{}, &keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}}),
		CA:   newTestCA(t, p)}
	v, _ := newSendTest(t, local)

	// 1. Place a signature box for signer 1 and a seal box for signer 2 on page 1.
	in := writeTestPDF(t, "contract.pdf", a4Pages(2))
	pl := v.place
	pl.OpenFiles([]string{in})
	workers.drain(&pl.wg)
	pl.pv.Wait()
	dragPalette(pl.palette[0], absOfDisplay(pl.pv, 0, 150, 600))
	dragPalette(pl.palette[2], absOfDisplay(pl.pv, 0, 150, 680))
	pl.recipient.SetSelectedIndex(1)
	dragPalette(pl.palette[1], absOfDisplay(pl.pv, 0, 400, 600))
	placed := filepath.Join(t.TempDir(), "contract-待签.pdf")
	pl.saveTo(placed)
	workers.drain(&pl.wg)

	// 2. The personal key: refused inputs first, then made and certified.
	sg := v.sign
	if !sg.signBtn.Disabled() {
		t.Fatal("sign enabled without a document and key")
	}
	for _, bad := range [][4]string{
		{"", "11010519491231002X", "135790", "135790"},
		{"张三", "110105194912310021", "135790", "135790"},
		{"张三", "11010519491231002X", "135790", "135791"},
		{"张三", "11010519491231002X", "123456", "123456"},
	} {
		if err := sg.createKey(bad[0], bad[1], bad[2], bad[3]); err == nil {
			t.Fatalf("createKey%q accepted", bad)
		}
	}
	if err := sg.createKey("张三", "11010519491231002X", "135790", "135790"); err != nil {
		t.Fatal(err)
	}
	workers.drain(&sg.wg)
	if info, ok := sg.keyInfo(); !ok || info.Certificate == nil || info.Certificate.Subject.CommonName != "张三" {
		t.Fatalf("key not certified: %q", sg.status.Text)
	}

	// 3. Open the placed document: its two empty fields are the targets.
	sg.OpenFiles([]string{placed})
	workers.drain(&sg.wg)
	sg.pv.Wait()
	if len(sg.targets) != 3 || sg.selected == nil {
		t.Fatalf("targets %d (%q)", len(sg.targets), sg.status.Text)
	}
	for _, tg := range sg.targets {
		if tg.field == "r1-sign-1" {
			sg.selectTarget(tg)
		}
	}
	sg.image.SetSelectedIndex(0)
	if sg.signBtn.Disabled() {
		t.Fatal("sign button disabled with document, field, image and key")
	}

	// 4. A wrong PIN: a clear message, no output, the input untouched.
	before := fileSum(t, placed)
	out := filepath.Join(t.TempDir(), "contract-已签.pdf")
	sg.signTo("000000", out)
	workers.drain(&sg.wg)
	if !strings.Contains(sg.status.Text, "签约密码错误，还可以再试 4 次") {
		t.Fatalf("wrong pin: %q", sg.status.Text)
	}
	if _, err := os.Stat(out); err == nil || fileSum(t, placed) != before {
		t.Fatal("a wrong PIN wrote something")
	}

	// 5. The right PIN signs, with the TSA's timestamp.
	sg.signTo("135790", out)
	workers.drain(&sg.wg)
	if !strings.Contains(sg.status.Text, "本机时间戳（未经第三方认证）") {
		t.Fatalf("sign: %q", sg.status.Text)
	}
	if fileSum(t, placed) != before {
		t.Fatal("signing changed the input")
	}

	// 6. Our verifier (through the 验证签署后的文件 button): valid and trusted, timestamped.
	shell := v.place.shell
	if !sg.checkBtn.Visible() {
		t.Fatal("no button to verify the signed copy")
	}
	test.Tap(sg.checkBtn)
	if shell.Current() != NavVerify {
		t.Fatalf("the check button showed %v", shell.Current())
	}
	vs := shell.Screen(NavVerify).(*verifierScreen)
	workers.drain(&vs.wg)
	if len(vs.cards) != 1 {
		t.Fatalf("%d cards", len(vs.cards))
	}
	c := vs.cards[0]
	if c.result.Text != "有效，吊销状态未知" || !strings.HasPrefix(c.tsUsed.Text, "是") || !strings.Contains(c.signer.Text, "张三") || c.sig.Field != "r1-sign-1" ||
		c.signerID.Text != "110***********002X" || !strings.Contains(c.time.Text, "权威时间戳") {
		t.Fatalf("card: %q %q %q %q %q field %q", c.result.Text, c.tsUsed.Text, c.signer.Text, c.signerID.Text, c.time.Text, c.sig.Field)
	}
	if fields, _ := emptySignatureFields(out); len(fields) != 2 {
		t.Fatalf("empty fields after signing: %v", fields)
	}

	// 6b. The date box of the same signer, signed over the first signature as a second
	// incremental update: both signatures stay valid.
	sg.OpenFiles([]string{out})
	workers.drain(&sg.wg)
	sg.pv.Wait()
	for _, tg := range sg.targets {
		if tg.field == "r1-date-1" {
			sg.selectTarget(tg)
		}
	}
	sg.image.ClearSelected()
	if sg.selected == nil || sg.selected.field != "r1-date-1" || sg.signBtn.Disabled() {
		t.Fatal("a date field needs no image and should be signable")
	}
	out2 := filepath.Join(t.TempDir(), "contract-已签-日期.pdf")
	sg.signTo("135790", out2)
	workers.drain(&sg.wg)
	out = out2
	if d := os.Getenv("SEALDESK_SHOTS"); d != "" {
		if b, err := os.ReadFile(out); err == nil {
			os.WriteFile(filepath.Join(d, "signed-e2e.pdf"), b, 0o644)
		}
	}
	shell.OpenFiles([]string{out})
	workers.drain(&vs.wg)
	if len(vs.cards) != 2 || vs.cards[0].result.Text != "有效，吊销状态未知" || vs.cards[1].result.Text != "有效，吊销状态未知" || vs.cards[1].sig.Field != "r1-date-1" {
		t.Fatalf("after the date: %d cards (%q)", len(vs.cards), sg.status.Text)
	}
	if fields, _ := emptySignatureFields(out); len(fields) != 1 || fields[0].field != "r2-seal-1" {
		t.Fatalf("empty fields after signing: %v", fields)
	}

	// 7. pdfsig with the root in an NSS database.
	pkitest.RequireTool(t, "pdfsig")
	nss := p.NSSDB(t)
	res, err := exec.Command("pdfsig", "-nssdir", nss, out).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfsig: %v\n%s", err, res)
	}
	for _, want := range []string{"Signature Validation: Signature is Valid.", "Certificate Validation: Certificate is Trusted."} {
		if !strings.Contains(string(res), want) {
			t.Fatalf("pdfsig lacks %q:\n%s", want, res)
		}
	}
}

// TestDocumentRefusals: a corrupt PDF, an 11 MB file, an encrypted PDF and a JPEG each give a
// clear Chinese message and change nothing.
func TestDocumentRefusals(t *testing.T) {
	v, _ := newSendTest(t, &LocalServices{Prefs: &memPrefs{}})
	dir := t.TempDir()
	good := writeTestPDF(t, "good.pdf", a4Pages(1))
	whole, _ := os.ReadFile(good)

	corrupt := filepath.Join(dir, "corrupt.pdf")
	os.WriteFile(corrupt, whole[:len(whole)/2], 0o600)

	big := filepath.Join(dir, "big.pdf")
	var b bytes.Buffer
	b.Write(whole)
	b.WriteString("%")
	b.Write(bytes.Repeat([]byte("x"), 11<<20))
	b.WriteString("\n")
	os.WriteFile(big, b.Bytes(), 0o600)

	jpeg := filepath.Join(dir, "photo.jpg")
	os.WriteFile(jpeg, []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01"), 0o600)

	cases := []struct{ path, want string }{
		{corrupt, "PDF 文件已损坏，无法读取。"},
		{big, "文件超过 10 MB，无法作为签署文件。"},
		{jpeg, "只能处理 PDF 文件（这是一张图片或其他文件）。"},
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		enc := filepath.Join(dir, "encrypted.pdf")
		if out, err := exec.Command("qpdf", "--encrypt", "user", "owner", "256", "--", good, enc).CombinedOutput(); err != nil {
			t.Fatalf("qpdf: %v %s", err, out)
		}
		cases = append(cases, struct{ path, want string }{enc, "这个 PDF 已加密（有打开密码或权限限制），无法处理。请先去除加密。"})
	} else if os.Getenv("SEALDESK_CI") != "" {
		t.Fatal("qpdf missing")
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			before := fileSum(t, tc.path)
			v.place.OpenFiles([]string{tc.path})
			workers.drain(&v.place.wg)
			if v.place.status.Text != tc.want || v.place.doc != nil {
				t.Errorf("placement: %q, want %q", v.place.status.Text, tc.want)
			}
			v.sign.OpenFiles([]string{tc.path})
			workers.drain(&v.sign.wg)
			if v.sign.status.Text != tc.want || v.sign.doc != nil {
				t.Errorf("sign: %q, want %q", v.sign.status.Text, tc.want)
			}
			if fileSum(t, tc.path) != before {
				t.Error("file changed")
			}
			entries, _ := os.ReadDir(filepath.Dir(tc.path))
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".") {
					t.Errorf("left a temp file %s", e.Name())
				}
			}
		})
	}
}

func init() {
	shotHooks = append(shotHooks, func(t *testing.T, s *Shell, w fyne.Window, shot func(string, fyne.Window)) {
		eng := render.New(nil)
		t.Cleanup(func() { eng.Close() })
		now := time.Now()
		p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
		s.Services.Renderer = PDFRenderer{Engine: eng}
		lib := &memLibrary{}
		lib.Save(drawnSignature(t))
		s.Services.Local.Library = lib
		s.Services.Local.Keys = keystore.New(&memKeys{}, &keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}})
		s.Services.Local.CA = newTestCA(t, p)
		s.Services.Local.PlatformRoots = []*x509.Certificate{p.Root}
		s.Rebuild()
		s.Show(NavSend)
		v := s.Screen(NavSend).(*sendScreen)
		crop := [4]float64{30, 30, 565, 812}
		in := writeTestPDF(t, "采购合同.pdf", []testPage{{Media: [4]float64{0, 0, 595, 842}, Crop: &crop}, {Media: [4]float64{0, 0, 595, 842}, Rotate: 90}})
		v.place.OpenFiles([]string{in})
		workers.drain(&v.place.wg)
		v.place.pv.Wait()
		v.place.pv.SetZoom(0.75)
		v.place.pv.Wait()
		dragPalette(v.place.palette[0], absOfDisplay(v.place.pv, 0, 150, 500))
		v.place.recipient.SetSelectedIndex(1)
		dragPalette(v.place.palette[1], absOfDisplay(v.place.pv, 0, 380, 520))
		dragPalette(v.place.palette[3], absOfDisplay(v.place.pv, 0, 500, 300))
		v.place.pv.Wait()
		time.Sleep(300 * time.Millisecond)
		shot("send-place", w)
		placed := filepath.Join(t.TempDir(), "采购合同-待签.pdf")
		v.place.saveTo(placed)
		workers.drain(&v.place.wg)
		v.tabs.Select(v.signTab)
		v.sign.createKey("张三", "11010519491231002X", "135790", "135790")
		workers.drain(&v.sign.wg)
		v.sign.OpenFiles([]string{placed})
		workers.drain(&v.sign.wg)
		v.sign.pv.Wait()
		v.sign.image.SetSelectedIndex(0)
		v.sign.pv.SetZoom(0.75)
		v.sign.pv.Wait()
		time.Sleep(300 * time.Millisecond)
		shot("send-sign", w)
		out := filepath.Join(t.TempDir(), "采购合同-已签.pdf")
		v.sign.signTo("135790", out)
		workers.drain(&v.sign.wg)
		s.Show(NavVerify)
		s.OpenFiles([]string{out})
		vs := s.Screen(NavVerify).(*verifierScreen)
		workers.drain(&vs.wg)
		shot("verify-own", w)
		test.Tap(vs.cards[0].showBtn)
		workers.drain(&vs.wg)
		vs.shownPage.Wait()
		vs.shownPage.SetZoom(0.7)
		vs.shownPage.Wait()
		time.Sleep(300 * time.Millisecond)
		shot("verify-showpage", w)
	})
}

// TestSignCrossPageSeal: a 骑缝章 box is signed as a seal cut into strips along the right edge of
// every page, at the box's height, into the placed field itself; the signature is valid.
func TestSignCrossPageSeal(t *testing.T) {
	now := time.Now()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	sealPNG, err := renderSealPNG(seal.Spec{Style: seal.Contract, Name: "北京示例科技有限公司"})
	if err != nil {
		t.Fatal(err)
	}
	lib := &memLibrary{}
	lib.Save(LibraryItem{Kind: ItemDesignedSeal, Name: "合同专用章", PNG: sealPNG, WidthMM: 40, HeightMM: 40})
	local := &LocalServices{Prefs: &memPrefs{}, Library: lib,
		Keys: keystore.New(&memKeys{}, &keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}}),
		CA:   newTestCA(t, p)}
	v, _ := newSendTest(t, local)
	in := writeTestPDF(t, "contract.pdf", a4Pages(3))
	v.place.OpenFiles([]string{in})
	workers.drain(&v.place.wg)
	v.place.pv.Wait()
	dragPalette(v.place.palette[3], absOfDisplay(v.place.pv, 0, 500, 300))
	placed := filepath.Join(t.TempDir(), "placed.pdf")
	v.place.saveTo(placed)
	workers.drain(&v.place.wg)

	sg := v.sign
	if err := sg.createKey("张三", "11010519491231002X", "135790", "135790"); err != nil {
		t.Fatal(err)
	}
	workers.drain(&sg.wg)
	sg.OpenFiles([]string{placed})
	workers.drain(&sg.wg)
	sg.pv.Wait()
	if len(sg.targets) != 1 || sg.selected.field != "r1-cross-1" {
		t.Fatalf("targets %d", len(sg.targets))
	}
	sg.image.SetSelectedIndex(0)
	out := filepath.Join(t.TempDir(), "signed.pdf")
	sg.signTo("135790", out)
	workers.drain(&sg.wg)
	if d := os.Getenv("SEALDESK_SHOTS"); d != "" {
		if b, err := os.ReadFile(out); err == nil {
			os.WriteFile(filepath.Join(d, "signed-crosspage.pdf"), b, 0o644)
		}
	}
	rep, err := verify.File(context.Background(), out, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(p.Root)})
	if err != nil || rep.Verdict != verify.StatusValid || len(rep.Signatures) != 1 {
		t.Fatalf("verify: %v %+v (%q)", err, rep, sg.status.Text)
	}
	f, err := pdf.OpenFile(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fields, _ := f.Fields()
	var strips []pdf.Widget
	var sigFields []string
	for _, fd := range fields {
		if fd.IsSignature() {
			sigFields = append(sigFields, fd.Name)
		}
		if fd.IsSignature() && fd.Value != nil {
			if fd.Name != "r1-cross-1" {
				t.Errorf("the seal went into field %q, not the placed box r1-cross-1", fd.Name)
			}
			strips = fd.Widgets
		}
	}
	if len(sigFields) != 1 {
		t.Errorf("signature fields %v, want only the placed box (signed)", sigFields)
	}
	if len(strips) != 3 {
		t.Fatalf("%d strips, want one per page", len(strips))
	}
	wantCY := 842 - 300.0 // the box's centre, 300 points from the top
	for i, w := range strips {
		cy := (w.Rect.LLY + w.Rect.URY) / 2
		if w.Page != i+1 || !near(w.Rect.URX, 595) || math.Abs(cy-wantCY) > 1 || w.Rect.Height() < 100 {
			t.Errorf("strip %d on page %d at %+v", i, w.Page, w.Rect)
		}
	}
}
