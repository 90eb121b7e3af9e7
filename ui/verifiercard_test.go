package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"sealdesk/core/pki/pkitest"
	"sealdesk/core/verify"
)

// A company seal's card says 印章 and the seal's name, names the signing party and the box
// instead of the raw field name, explains the version in words, and shows what the page shows.
func TestVerifierCardShowsSealNameKindAndPlace(t *testing.T) {
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}})
	s.Services.Renderer = pagesRenderer{}
	s.Rebuild()
	v := s.Screen(NavVerify).(*verifierScreen)
	rep := &verify.Report{Verdict: verify.StatusUntrusted}
	sig := verify.Signature{Index: 2, Kind: verify.KindApproval, Status: verify.StatusUntrusted, Signer: verify.Signer{Name: "张三"},
		Field: "r1-seal-1", Reason: verify.MarkReason(verify.MarkSeal, "合同专用章"), Page: 1, Rect: []float64{72, 144, 191, 263},
		Revision: 3, Revisions: 4}
	c := v.newCard("a.pdf", rep, sig)
	c.card.Resize(fyne.NewSize(1000, 900))
	texts := strings.Join(dialogTexts(c.card), " | ")
	for _, want := range []string{"签章 2（印章）", "印章名", "合同专用章", "签署方 1", "第 1 页，签署方 1 的印章",
		"签名覆盖文件的第 3 个版本"} {
		if !strings.Contains(texts, want) {
			t.Errorf("card lacks %q: %s", want, texts)
		}
	}
	for _, bad := range []string{"r1-seal-1", "（签名）", "3/4"} {
		if strings.Contains(texts, bad) {
			t.Errorf("card shows %q: %s", bad, texts)
		}
	}
	if c.mark == nil {
		t.Fatal("no place for the seal's image on the card")
	}
	sig.Field, sig.Reason = "r1-cross-1", verify.MarkReason(verify.MarkCross, "公章")
	if c := v.newCard("a.pdf", rep, sig); c.card.Title != "签章 2（骑缝章）" {
		t.Errorf("骑缝章 card title %q", c.card.Title)
	}
	sig.Field, sig.Reason = "Signature1", ""
	c = v.newCard("a.pdf", rep, sig)
	c.card.Resize(fyne.NewSize(1000, 900))
	if c.card.Title != "签章 2（签名）" || !strings.Contains(strings.Join(dialogTexts(c.card), " "), "签名域“Signature1”") {
		t.Errorf("another producer's card: %q %v", c.card.Title, dialogTexts(c.card))
	}
}

// The card's image is cut from the page's render at the signature's box.
func TestVerifierCardImageFromPage(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	path := signedTestPDF(t, p, "signed.pdf")
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}})
	s.Services.Renderer = pagesRenderer{}
	s.Rebuild()
	v := s.Screen(NavVerify).(*verifierScreen)
	v.deferUpdatesForTest()
	v.verifyFiles([]string{path})
	v.wait()
	if len(v.cards) != 1 || v.cards[0].mark == nil || v.cards[0].mark.Image == nil {
		t.Fatalf("cards %d, image missing", len(v.cards))
	}
	b := v.cards[0].mark.Image.Bounds()
	r := v.cards[0].sig.Rect
	if want := (r[2] - r[0]) * 100 / 72; b.Dx() < int(want)-2 || b.Dx() > int(want)+2 {
		t.Errorf("image %v for a box %v wide at 100 dpi", b, r[2]-r[0])
	}
}

// A file that cannot be read is not reported as verified: the status says what happened.
func TestVerifierSaysWhenNothingWasVerified(t *testing.T) {
	s, _ := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}})
	v := s.Screen(NavVerify).(*verifierScreen)
	bad := filepath.Join(t.TempDir(), "坏文件.pdf")
	if err := os.WriteFile(bad, []byte("%PDF-1.7\n这不是 PDF"), 0o644); err != nil {
		t.Fatal(err)
	}
	v.deferUpdatesForTest()
	v.verifyFiles([]string{bad})
	v.wait()
	if strings.Contains(v.status.Text, "已完成") || !strings.HasPrefix(v.status.Text, "无法验签：") {
		t.Errorf("status %q for an unreadable file", v.status.Text)
	}
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	good := signedTestPDF(t, p, "好文件.pdf")
	v.verifyFiles([]string{good, bad})
	v.wait()
	if v.status.Text != "已验签 1 份文件；另有 1 份无法读取，原因见下方。" {
		t.Errorf("status %q for one good and one unreadable file", v.status.Text)
	}
}
