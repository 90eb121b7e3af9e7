package ui

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sealdesk/ui/widgets"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/sign"
	"sealdesk/core/verify"
)

// memPrefs is an in-memory LocalPrefs.
type memPrefs struct {
	mu sync.Mutex
	m  map[string]string
}

func (p *memPrefs) Setting(k string) (string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.m[k]
	return v, ok, nil
}
func (p *memPrefs) SetSetting(k, v string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]string{}
	}
	p.m[k] = v
	return nil
}

// newLocalShell is newTestShell with the offline services.
func newLocalShell(t *testing.T, local *LocalServices) (*Shell, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(NewTheme())
	if err := SetLanguage(LangChinese); err != nil {
		t.Fatal(err)
	}
	st := &memSettings{lang: LangChinese, dir: filepath.Join(t.TempDir(), "data")}
	w := test.NewTempWindow(t, nil)
	s := NewShell(a, w, Services{Settings: st, Version: "test", Local: local})
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1100, 760))
	return s, w
}

// signedTestPDF signs a fresh two-page PDF with a leaf of p into a visible field on page 1.
func signedTestPDF(t *testing.T, p *pkitest.PKI, name string) string {
	t.Helper()
	in := writeTestPDF(t, "unsigned.pdf", a4Pages(2))
	cert, key := p.Leaf(t, "李四", pki.ECDSAP256)
	out := filepath.Join(t.TempDir(), name)
	_, err := sign.SignFile(context.Background(), in, out, &sign.Options{Signer: key, Cert: cert, Chain: p.Chain, Page: 1,
		Rect: sign.VisibleRect{X1: 100, Y1: 100, X2: 250, Y2: 160}, Now: p.Now})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func uris(paths ...string) []fyne.URI {
	var out []fyne.URI
	for _, p := range paths {
		out = append(out, storage.NewFileURI(p))
	}
	return out
}

func TestVerifierDropShowsCards(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	signed := signedTestPDF(t, p, "合同-已签.pdf")
	unsigned := writeTestPDF(t, "plain.pdf", a4Pages(1))
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "broken.pdf")
	whole, _ := os.ReadFile(unsigned)
	os.WriteFile(corrupt, whole[:len(whole)*6/10], 0o600)
	jpeg := filepath.Join(dir, "photo.jpg")
	os.WriteFile(jpeg, []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), 0o600)

	local := &LocalServices{Prefs: &memPrefs{}, PlatformRoots: []*x509.Certificate{p.Root}}
	s, _ := newLocalShell(t, local)
	s.Show(NavSettings)
	s.OnDropped(fyne.NewPos(10, 10), uris(signed, unsigned, corrupt, jpeg))
	if s.Current() != NavVerify {
		t.Fatalf("a signed PDF dropped on Settings opened %v, want the verifier", s.Current())
	}
	v := s.Screen(NavVerify).(*verifierScreen)
	workers.drain(&v.wg)

	if len(v.files) != 4 {
		t.Fatalf("%d files shown", len(v.files))
	}
	if len(v.cards) != 1 {
		t.Fatalf("%d cards, want 1", len(v.cards))
	}
	c := v.cards[0]
	for _, chk := range []struct{ got, want string }{
		{c.result.Text, "有效，吊销状态未知"}, // trusted, but no OCSP/CRL in the file

		{c.tsUsed.Text, "否"},
		{c.changes.Text, "签名后没有修改"},
	} {
		if chk.got != chk.want {
			t.Errorf("card shows %q, want %q", chk.got, chk.want)
		}
	}
	if !strings.Contains(c.signer.Text, "李四") || strings.Contains(c.signer.Text, "自证身份") || !strings.Contains(c.time.Text, "签名者本机时间") || c.alg.Text == "—" {
		t.Errorf("card: signer %q time %q alg %q", c.signer.Text, c.time.Text, c.alg.Text)
	}
	if !strings.HasPrefix(c.card.Title, "签章 1") {
		t.Errorf("card title %q", c.card.Title)
	}
	text := allText(v.results)
	for _, want := range []string{"验签结论：有效且可信", "验签结论：未签名", "这份文件没有任何签名。",
		"无法验签：PDF 文件已损坏，无法读取。", "无法验签：这不是 PDF 文件。"} {
		if !strings.Contains(text, want) {
			t.Errorf("results lack %q:\n%s", want, text)
		}
	}
	if v.exportJSON.Disabled() {
		t.Error("export disabled after verification")
	}

	// The JSON report is the sealctl contract: an array with both readable files.
	out := filepath.Join(t.TempDir(), "report.json")
	if err := v.exportTo("json", out, v.reports()); err != nil {
		t.Fatal(err)
	}
	var reps []map[string]any
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &reps); err != nil || len(reps) != 2 || reps[0]["verdict"] != "valid" {
		t.Fatalf("json report: %v %s", err, b)
	}
	pdfOut := filepath.Join(t.TempDir(), "report.pdf")
	if err := v.exportTo("pdf", pdfOut, v.reports()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(strings.TrimSuffix(pdfOut, ".pdf") + "-2.pdf"); err != nil {
		t.Errorf("second report pdf: %v", err)
	}

	// 验签下一份文件 clears the results (the file chooser then opens).
	test.Tap(v.nextBtn)
	if len(v.cards) != 0 || len(v.results.Objects) != 0 {
		t.Error("results not cleared")
	}
}

func TestVerifierTrustImport(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	signed := signedTestPDF(t, p, "signed.pdf")
	prefs := &memPrefs{}
	s, _ := newLocalShell(t, &LocalServices{Prefs: prefs})
	v := s.Screen(NavVerify).(*verifierScreen)
	s.Show(NavVerify)
	s.OpenFiles([]string{signed})
	workers.drain(&v.wg)
	if got := v.cards[0].result.Text; got != "有效但证书不受信任" {
		t.Fatalf("without the root: %q", got)
	}
	rootFile := filepath.Join(t.TempDir(), "root.pem")
	os.WriteFile(rootFile, pki.EncodeCertsPEM(p.Root), 0o600)
	if n, err := importRoot(prefs, rootFile); err != nil || n != 1 {
		t.Fatalf("import: %d %v", n, err)
	}
	if n, err := importRoot(prefs, rootFile); err == nil || n != 0 {
		t.Fatalf("second import of the same root: %d %v", n, err)
	}
	leafFile := filepath.Join(t.TempDir(), "leaf.pem")
	leaf, _ := p.Leaf(t, "王五", "")
	os.WriteFile(leafFile, pki.EncodeCertsPEM(leaf), 0o600)
	if _, err := importRoot(prefs, leafFile); err == nil {
		t.Fatal("a leaf certificate was imported as a root")
	}
	s.OpenFiles([]string{signed})
	workers.drain(&v.wg)
	if got := v.cards[0].result.Text; got != "有效，吊销状态未知" { // trusted; no revocation data
		t.Fatalf("with the imported root: %q", got)
	}
}

func TestVerifierCorpusTwoSignatures(t *testing.T) {
	path := filepath.Join("..", "core", "pdf", "testdata", "corpus", "files", "07-valid-multi-two-sigs-incremental.pdf")
	if _, err := os.Stat(path); err != nil {
		t.Skip("corpus file missing")
	}
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}})
	s.Show(NavVerify)
	s.OpenFiles([]string{path})
	v := s.Screen(NavVerify).(*verifierScreen)
	workers.drain(&v.wg)
	if len(v.cards) != 2 {
		t.Fatalf("%d cards", len(v.cards))
	}
	for _, c := range v.cards {
		if c.result.Text != "有效但证书不受信任" || c.viewBtn.Disabled() {
			t.Errorf("card %d: %q", c.sig.Index, c.result.Text)
		}
	}
	if !strings.Contains(v.cards[0].changes.Text, "允许的修改") {
		t.Errorf("first signature's changes: %q", v.cards[0].changes.Text)
	}
}

// allText collects the text of every label and card under o.
func allText(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case *widget.Label:
			b.WriteString(w.Text + "\n")
		case *widget.Card:
			b.WriteString(w.Title + "\n")
			if w.Content != nil {
				walk(w.Content)
			}
		}
	}
	walk(o)
	return b.String()
}

// TestVerifierShowsSignatureOnPage: the card's button shows the page with the signature's box
// highlighted where the report says it is.
func TestVerifierShowsSignatureOnPage(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	signed := signedTestPDF(t, p, "signed.pdf")
	v, _ := newSendTest(t, &LocalServices{Prefs: &memPrefs{}})
	s := v.place.shell
	vs := s.Screen(NavVerify).(*verifierScreen)
	vs.deferUpdatesForTest()
	s.OpenFiles([]string{signed})
	vs.wait()
	c := vs.cards[0]
	if c.showBtn == nil {
		t.Fatal("no show-on-page button with a renderer")
	}
	test.Tap(c.showBtn)
	vs.wait()
	vs.shownPage.Wait()
	vs.shownPage.Scroll.Content.Refresh()
	m, ok := vs.shownPage.PageMapper(0)
	if !ok {
		t.Fatal("page not laid out")
	}
	// The field was placed at visible (100,100)-(250,160) on an unrotated A4 page.
	pos, size := m.UserRectToWidget(widgets.Rect{LLX: 100, LLY: 100, URX: 250, URY: 160})
	if !vs.shownMark.Visible() || vs.shownMark.Position() != pos || vs.shownMark.Size() != size {
		t.Fatalf("highlight at %v %v, want %v %v", vs.shownMark.Position(), vs.shownMark.Size(), pos, size)
	}
	// and the view is scrolled to it: the box (near the bottom of page 1) is inside the viewport
	off, view := vs.shownPage.Scroll.Offset, vs.shownPage.Scroll.Size()
	if pos.Y < off.Y || pos.Y+size.Height > off.Y+view.Height || pos.X < off.X || pos.X+size.Width > off.X+view.Width {
		t.Errorf("box at %v %v outside the viewport at %v %v", pos, size, off, view)
	}
}

// TestOpenFilesRouting: `sealdesk FILE…` and drops send a signed PDF to 文件验签 and anything
// else to the document view (unless the verifier is showing, which takes everything).
func TestOpenFilesRouting(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	signed := signedTestPDF(t, p, "signed.pdf")
	plain := writeTestPDF(t, "plain.pdf", a4Pages(1))
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}})
	s.Show(NavSettings)
	s.OpenFiles([]string{plain})
	if s.Current() != NavDocuments {
		t.Fatalf("an unsigned PDF opened %v", s.Current())
	}
	s.OpenFiles([]string{signed})
	if s.Current() != NavVerify {
		t.Fatalf("a signed PDF opened %v", s.Current())
	}
	v := s.Screen(NavVerify).(*verifierScreen)
	workers.drain(&v.wg)
	s.OnDropped(fyne.NewPos(1, 1), uris(plain))
	workers.drain(&v.wg)
	if s.Current() != NavVerify || len(v.files) != 1 || v.files[0].Report.Verdict != "unsigned" {
		t.Fatal("a drop on the verifier did not verify the file")
	}
	if looksSigned(plain) || !looksSigned(signed) {
		t.Fatal("looksSigned")
	}
}

// An encrypted PDF cannot be examined: the verifier says so in Chinese.
func TestVerifierEncryptedPDF(t *testing.T) {
	if _, err := exec.LookPath("qpdf"); err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("qpdf missing")
		}
		t.Skip("qpdf missing")
	}
	good := writeTestPDF(t, "good.pdf", a4Pages(1))
	enc := filepath.Join(t.TempDir(), "encrypted.pdf")
	if out, err := exec.Command("qpdf", "--encrypt", "user", "owner", "256", "--", good, enc).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v %s", err, out)
	}
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}})
	s.Show(NavVerify)
	s.OpenFiles([]string{enc})
	v := s.Screen(NavVerify).(*verifierScreen)
	workers.drain(&v.wg)
	if !strings.Contains(allText(v.results), "无法验签：这个 PDF 已加密") {
		t.Fatalf("encrypted: %s", allText(v.results))
	}
}

// Cancelling stops after the file being verified and keeps the results so far.
func TestVerifierCancel(t *testing.T) {
	path := filepath.Join("..", "core", "pdf", "testdata", "corpus", "files", "07-valid-multi-two-sigs-incremental.pdf")
	var paths []string
	for i := 0; i < 200; i++ {
		paths = append(paths, path)
	}
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}})
	s.Show(NavVerify)
	v := s.Screen(NavVerify).(*verifierScreen)
	v.deferUpdatesForTest()
	v.OpenFiles(paths)
	test.Tap(v.cancelBtn)
	v.wait()
	if len(v.files) == len(paths) || !strings.HasPrefix(v.status.Text, "已取消") || v.cancelBtn.Visible() {
		t.Fatalf("after cancel: %d files, status %q", len(v.files), v.status.Text)
	}
}

// 查看签名时版本 extracts the bytes the signature covers and opens them in the document view —
// from the bytes that were verified: the file replaced on disk after verification changes nothing.
func TestVerifierViewSignedVersion(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	orig, err := os.ReadFile(filepath.Join("..", "core", "pdf", "testdata", "corpus", "files", "07-valid-multi-two-sigs-incremental.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "two-sigs.pdf")
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}})
	s.OpenFiles([]string{path})
	v := s.Screen(NavVerify).(*verifierScreen)
	workers.drain(&v.wg)
	c := v.cards[0]
	// Another document under the same name after verification.
	if err := os.WriteFile(path, bytes.Repeat([]byte("%PDF-1.7 forged "), len(orig)/16+1), 0o600); err != nil {
		t.Fatal(err)
	}
	test.Tap(c.viewBtn)
	if s.Current() != NavDocuments {
		t.Fatalf("view signed version showed %v", s.Current())
	}
	found, _ := filepath.Glob(filepath.Join(tmp, "sealdesk-revision-*", "*.pdf"))
	if len(found) != 1 {
		t.Fatalf("extracted files %v", found)
	}
	got, _ := os.ReadFile(found[0])
	whole := orig
	if int64(len(got)) != c.sig.SignedRange || !bytes.Equal(got, whole[:len(got)]) || len(got) >= len(whole) {
		t.Fatalf("extracted %d bytes, signed range %d of %d", len(got), c.sig.SignedRange, len(whole))
	}
}

// A signed file whose page 2 was changed afterwards: the card names the change in Chinese (from
// its code, not the verifier's English sentence); the English interface shows the English one.
func TestVerifierCardNamesChangesInChinese(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	signed, err := os.ReadFile(signedTestPDF(t, p, "signed.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := pdf.Open(bytes.NewReader(signed), int64(len(signed)), nil)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := f.Latest().Page(2)
	if err != nil {
		t.Fatal(err)
	}
	u := f.NewUpdate()
	pd := pg.Dict.Clone()
	pd["Resources"] = pdf.Dict{"Font": pdf.Dict{}}
	if err := u.Set(pg.Ref, pd); err != nil {
		t.Fatal(err)
	}
	section, _, err := u.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	modified := filepath.Join(t.TempDir(), "modified.pdf")
	if err := os.WriteFile(modified, append(signed, section...), 0o600); err != nil {
		t.Fatal(err)
	}

	local := &LocalServices{Prefs: &memPrefs{}, PlatformRoots: []*x509.Certificate{p.Root}}
	s, _ := newLocalShell(t, local)
	s.OnDropped(fyne.NewPos(10, 10), uris(modified))
	v := s.Screen(NavVerify).(*verifierScreen)
	workers.drain(&v.wg)
	if len(v.cards) != 1 {
		t.Fatalf("%d cards, want 1", len(v.cards))
	}
	got := v.cards[0].changes.Text
	t.Logf("card: %s", got)
	if !strings.Contains(got, "修改页面内容（第 2 页）") {
		t.Errorf("card changes %q lack 修改页面内容（第 2 页）", got)
	}
	if strings.ContainsFunc(got, func(r rune) bool { return r >= 'a' && r <= 'z' }) {
		t.Errorf("card changes %q contain English", got)
	}

	sig := v.reports()[0].Signatures[0]
	if len(sig.Changes) == 0 || !strings.Contains(sig.Changes[0], "page 2") {
		t.Fatalf("report changes %q", sig.Changes)
	}
	unknown := sig.ChangeDetails[0]
	unknown.Code = "no-such-code"
	if got := changeSentence(unknown); got != sig.Changes[0] {
		t.Errorf("unknown code shows %q, want the English %q", got, sig.Changes[0])
	}
	if err := SetLanguage(LangEnglish); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = SetLanguage(LangChinese) })
	if got := changeSentences(sig); strings.Join(got, "|") != strings.Join(sig.Changes, "|") {
		t.Errorf("English interface shows %q, want %q", got, sig.Changes)
	}
}

// A signature whose certificate says the identity is self-declared is labelled so on its card.
func TestVerifierCardSelfDeclared(t *testing.T) {
	local := &LocalServices{Prefs: &memPrefs{}}
	s, _ := newLocalShell(t, local)
	v := s.Screen(NavVerify).(*verifierScreen)
	rep := &verify.Report{Verdict: verify.StatusValid}
	sig := verify.Signature{Index: 1, Status: verify.StatusValid, Signer: verify.Signer{Name: "王五"},
		Reasons: []string{verify.ReasonSelfDeclared}}
	if c := v.newCard("a.pdf", rep, sig); !strings.Contains(c.signer.Text, "王五（未实名：自证身份，未经实名核验）") {
		t.Errorf("self-declared signer shown as %q", c.signer.Text)
	}
	sig.Reasons = nil
	if c := v.newCard("a.pdf", rep, sig); c.signer.Text != "王五" {
		t.Errorf("verified signer shown as %q", c.signer.Text)
	}
}

// A panic inside the verifier becomes that file's error card (in Chinese); the next file is
// verified and the application goes on. Cancel reaches the running verification's context.
func TestVerifierWorkerPanicAndCancel(t *testing.T) {
	plain := writeTestPDF(t, "plain.pdf", a4Pages(1))
	boom := writeTestPDF(t, "boom.pdf", a4Pages(1))
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}})
	s.Show(NavVerify)
	v := s.Screen(NavVerify).(*verifierScreen)
	started := make(chan struct{}, 1)
	var sawCancel bool
	v.verifyFile = func(ctx context.Context, path string, opts *verify.Options) (*verify.Report, error) {
		switch filepath.Base(path) {
		case "boom.pdf":
			panic("injected")
		case "slow.pdf":
			started <- struct{}{}
			<-ctx.Done()
			sawCancel = true
			return nil, ctx.Err()
		}
		if opts.MaxFileSize != maxVerifySize {
			t.Errorf("the desktop passes MaxFileSize %d", opts.MaxFileSize)
		}
		return verify.File(ctx, path, opts)
	}
	v.OpenFiles([]string{boom, plain})
	workers.drain(&v.wg)
	if len(v.files) != 2 || !errors.Is(v.files[0].Err, verify.ErrInternal) || v.files[1].Report == nil || v.files[1].Report.Verdict != "unsigned" {
		t.Fatalf("files after a panic: %+v", v.files)
	}
	if txt := allText(v.results); !strings.Contains(txt, "验签程序在这份文件上出错") {
		t.Fatalf("no Chinese message for the panic: %s", txt)
	}
	slow := writeTestPDF(t, "slow.pdf", a4Pages(1))
	v.OpenFiles([]string{slow})
	<-started
	test.Tap(v.cancelBtn)
	workers.drain(&v.wg)
	if !sawCancel {
		t.Fatal("cancel did not reach the verification's context")
	}
}

// A signature on an event certificate (事件证书: a browser signer's one-time key) says so on its
// card, in both languages' strings.
func TestVerifierCardEventCertificate(t *testing.T) {
	local := &LocalServices{Prefs: &memPrefs{}}
	s, _ := newLocalShell(t, local)
	v := s.Screen(NavVerify).(*verifierScreen)
	rep := &verify.Report{Verdict: verify.StatusValid}
	sig := verify.Signature{Index: 1, Status: verify.StatusValid, Signer: verify.Signer{Name: "李四", Event: true}}
	if c := v.newCard("a.pdf", rep, sig); !strings.Contains(c.signer.Text, "李四（事件证书") {
		t.Errorf("event-certificate signer shown as %q", c.signer.Text)
	}
	sig.Signer.Event = false
	if c := v.newCard("a.pdf", rep, sig); c.signer.Text != "李四" {
		t.Errorf("device-certificate signer shown as %q", c.signer.Text)
	}
}
