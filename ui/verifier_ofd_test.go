package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/verify"
	"sealdesk/ui/widgets"
)

func ofdSample(t *testing.T, name string) string {
	p := filepath.Join("..", "..", "shared", "ofd", "files", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatalf("%s missing (required under SEALDESK_CI)", p)
		}
		t.Skipf("OFD samples ../shared/ofd not found: %v", err)
	}
	return p
}

// 文件验签 takes an OFD e-invoice dropped on the window: the card lists the seal (name, code,
// maker, signer, verdict, its picture) and 查看位置 draws the page with our OFD renderer, the seal
// picture in place and the highlight over it.
func TestVerifierOFDInvoice(t *testing.T) {
	inv := ofdSample(t, "ofd-v4-seal_einvoice_gomain_signedFile.ofd")
	if !looksSigned(inv) || !isOFD(inv) {
		t.Fatal("an .ofd is not routed to 文件验签")
	}
	v, _ := newSendTest(t, &LocalServices{Prefs: &memPrefs{}})
	s := v.place.shell
	vs := s.Screen(NavVerify).(*verifierScreen)
	vs.deferUpdatesForTest()
	s.OpenFiles([]string{inv})
	vs.wait()
	if len(vs.cards) != 1 {
		t.Fatalf("%d cards", len(vs.cards))
	}
	c := vs.cards[0]
	if c.sig.Seal == nil || c.sig.Status != verify.StatusUntrusted {
		t.Fatalf("card: %+v", c.sig)
	}
	var texts []string
	walkLabels(c.card, func(l string) { texts = append(texts, l) })
	all := strings.Join(texts, "\n")
	for _, want := range []string{"国家税务总局江苏省税务局", c.sig.Seal.Name, c.sig.Seal.ESID, tr("verify.ofd.type.Seal")} {
		if want == "" || !strings.Contains(all, want) {
			t.Errorf("card lacks %q:\n%s", want, all)
		}
	}
	// The tax bureau's seal picture is itself an OFD (type "ofd"): drawn by our renderer on a
	// transparent background, red strokes on it.
	if c.mark == nil || c.mark.Image == nil {
		t.Fatal("no seal picture on the card")
	}
	clear, red := 0, 0
	b := c.mark.Image.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, _, a := c.mark.Image.At(x, y).RGBA()
			if a == 0 {
				clear++
			} else if r > 0x9000 && g < 0x6000 {
				red++
			}
		}
	}
	if clear == 0 || red < 50 {
		t.Errorf("the card's picture is not the seal (transparent %d, red %d)", clear, red)
	}
	if c.showBtn == nil {
		t.Fatal("no 查看位置 for an OFD seal")
	}
	test.Tap(c.showBtn)
	vs.wait()
	vs.shownPage.Wait()
	vs.shownPage.Scroll.Content.Refresh()
	m, ok := vs.shownPage.PageMapper(0)
	if !ok {
		t.Fatal("OFD page not laid out")
	}
	if img, err := vs.shownPage.SlotImage(0); img == nil {
		t.Fatalf("OFD page not drawn: %v", err)
	}
	r := c.sig.Rect
	pos, size := m.UserRectToWidget(widgets.Rect{LLX: r[0], LLY: r[1], URX: r[2], URY: r[3]})
	if !vs.shownMark.Visible() || vs.shownMark.Position() != pos || vs.shownMark.Size() != size {
		t.Fatalf("highlight at %v %v, want %v %v", vs.shownMark.Position(), vs.shownMark.Size(), pos, size)
	}
}

func walkLabels(o fyne.CanvasObject, f func(string)) {
	switch w := o.(type) {
	case *widget.Label:
		f(w.Text)
		return
	case *widgets.CJKLabel:
		f(w.Text)
		return
	case *fyne.Container:
		for _, x := range w.Objects {
			walkLabels(x, f)
		}
		return
	case fyne.Widget:
		for _, x := range test.WidgetRenderer(w).Objects() {
			walkLabels(x, f)
		}
	}
}

// An unsigned e-invoice that draws a seal picture is not sealed, and 文件验签 says why.
func TestVerifierOFDUnsignedPicture(t *testing.T) {
	f := ofdSample(t, "ofd-unsigned_einvoice-layout_20240531141733.ofd")
	v, _ := newSendTest(t, &LocalServices{Prefs: &memPrefs{}})
	s := v.place.shell
	vs := s.Screen(NavVerify).(*verifierScreen)
	vs.deferUpdatesForTest()
	s.OpenFiles([]string{f})
	vs.wait()
	if len(vs.files) != 1 || vs.files[0].Report == nil || vs.files[0].Report.Verdict != verify.StatusUnsigned || len(vs.cards) != 0 {
		t.Fatalf("files %+v", vs.files)
	}
	var texts []string
	for _, o := range vs.results.Objects {
		walkLabels(o, func(l string) { texts = append(texts, l) })
	}
	if all := strings.Join(texts, "\n"); !strings.Contains(all, tr("verify.nosignatures.ofd")) {
		t.Errorf("no explanation:\n%s", all)
	}
}
