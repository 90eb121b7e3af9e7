package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"sealdesk/core/pdf"
	"sealdesk/core/pki/pkitest"
	"sealdesk/ui/widgets"
)

// coverAfterSigning appends to the signed file at in a revision with a FreeText annotation whose
// appearance paints a white box over the page's signed line of text ("Page 1" at 72,72).
func coverAfterSigning(t *testing.T, in string) string {
	t.Helper()
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	u, v := f.NewUpdate(), f.Latest()
	pg, err := v.Page(1)
	if err != nil {
		t.Fatal(err)
	}
	rect := pdf.Array{pdf.Int(60), pdf.Int(60), pdf.Int(200), pdf.Int(98)}
	ap := &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": rect},
		Data: []byte("1 1 1 rg 60 60 140 38 re f")}
	annot := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("FreeText"), "Rect": rect, "F": pdf.Int(4),
		"DA": pdf.String{Bytes: []byte("/Helv 12 Tf 0 g")}, "Contents": pdf.String{Bytes: []byte("note")}, "AP": pdf.Dict{"N": u.Add(ap)}})
	pd := pg.Dict.Clone()
	old, _ := v.Resolve(pd.Get("Annots"))
	arr, _ := old.(pdf.Array)
	pd["Annots"] = append(append(pdf.Array{}, arr...), annot)
	if err := u.Set(pg.Ref, pd); err != nil {
		t.Fatal(err)
	}
	section, _, err := u.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "covered.pdf")
	if err := os.WriteFile(out, append(data, section...), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVerifierShowsChangesOnPage: when a change after signing covers signed content, the card
// offers 查看改动位置, which shows the page with the covered place outlined where the report says;
// the untouched file has no such button.
func TestVerifierShowsChangesOnPage(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	signed := signedTestPDF(t, p, "signed.pdf")
	covered := coverAfterSigning(t, signed)
	v, w := newSendTest(t, &LocalServices{Prefs: &memPrefs{}})
	s := v.place.shell
	vs := s.Screen(NavVerify).(*verifierScreen)
	vs.deferUpdatesForTest()

	s.OpenFiles([]string{signed})
	vs.wait()
	if len(vs.cards) != 1 || vs.cards[0].changesBtn != nil {
		t.Fatalf("the untouched file offers 查看改动位置 (%d cards)", len(vs.cards))
	}

	s.OpenFiles([]string{covered})
	vs.wait()
	if len(vs.cards) != 1 {
		t.Fatalf("%d cards", len(vs.cards))
	}
	c := vs.cards[0]
	marks := changeMarks(c.sig)
	if c.changesBtn == nil || len(marks) == 0 {
		t.Fatalf("no 查看改动位置 for a file whose signed text is covered (changes %q)", c.sig.Changes)
	}
	if c.changesBtn.Text != "查看改动位置" {
		t.Errorf("button %q", c.changesBtn.Text)
	}
	r := marks[0].rect
	if marks[0].page != 0 || r.URX < 72 || r.LLX > 140 || r.URY < 66 || r.LLY > 98 {
		t.Errorf("the region %+v (page %d) is not where the text was covered", r, marks[0].page+1)
	}
	test.Tap(c.changesBtn)
	vs.wait()
	vs.shownPage.Wait()
	vs.shownPage.Scroll.Content.Refresh()
	m, ok := vs.shownPage.PageMapper(0)
	if !ok {
		t.Fatal("page not laid out")
	}
	pos, size := m.UserRectToWidget(widgets.Rect(r))
	if !vs.shownMark.Visible() || vs.shownMark.Position() != pos || vs.shownMark.Size() != size {
		t.Fatalf("outline at %v %v, want %v %v", vs.shownMark.Position(), vs.shownMark.Size(), pos, size)
	}
	if vs.shownMark.StrokeColor == nil {
		t.Error("the outline has no stroke")
	}
	if d := os.Getenv("SEALDESK_SHOTS"); d != "" {
		WritePNG(filepath.Join(d, "verify-changes-dialog.png"), w.Canvas().Capture())
		vs.shownDlg.Hide()
		WritePNG(filepath.Join(d, "verify-changes-card.png"), w.Canvas().Capture())
	}
}
