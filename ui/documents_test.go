package ui

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pdf/render"
	"sealdesk/ui/widgets"
)

// squarePage is a page with a black square filling rect (user space).
type squarePage struct {
	media, crop [4]float64
	rotate      int
	square      [4]float64 // llx lly urx ury
	padding     int        // bytes of comment in the content stream (to make big files)
}

// squarePDF writes a PDF of squarePages and returns its bytes.
func squarePDF(pages []squarePage) []byte {
	var objs []string
	obj := func(body string) { objs = append(objs, body) }
	kids := ""
	for i := range pages {
		kids += fmt.Sprintf("%d 0 R ", 3+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, len(pages)))
	for i, p := range pages {
		extra := ""
		if p.crop != [4]float64{} {
			extra += fmt.Sprintf(" /CropBox [%g %g %g %g]", p.crop[0], p.crop[1], p.crop[2], p.crop[3])
		}
		if p.rotate != 0 {
			extra += fmt.Sprintf(" /Rotate %d", p.rotate)
		}
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [%g %g %g %g]%s /Contents %d 0 R >>",
			p.media[0], p.media[1], p.media[2], p.media[3], extra, 4+2*i))
		s := p.square
		content := fmt.Sprintf("0 g %g %g %g %g re f\n", s[0], s[1], s[2]-s[0], s[3]-s[1])
		if p.padding > 0 {
			content += "%" + strings.Repeat("x", p.padding) + "\n"
		}
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	return pdftest.Classic(objs...)
}

var testRenderEngine *render.Engine

// renderEngine is one PDFium for the package's tests, started from the compiled PDFium in the
// user cache folder (as the app does), so that nothing is left in the temp folder.
func renderEngine(t *testing.T) *render.Engine {
	t.Helper()
	if testRenderEngine == nil {
		testRenderEngine = render.New(nil)
	}
	return testRenderEngine
}

func newDocumentsShell(t *testing.T) (*Shell, *DocumentsScreen, fyne.Window) {
	t.Helper()
	s, _, w := newTestShell(t)
	s.Services.Renderer = PDFRenderer{Engine: renderEngine(t)}
	s.Rebuild()
	s.Show(NavDocuments)
	sc := s.Screen(NavDocuments).(*DocumentsScreen)
	sc.View.DeferUpdatesForTest()
	// The engine is shared by the package's tests and holds at most 8 open documents (one PDFium
	// instance each): a document left open would keep its instance, and with -count=2 the ninth
	// open would wait for a free one forever. Close what the screen (rebuilt or not) shows.
	t.Cleanup(func() {
		cur, ok := s.Screen(NavDocuments).(*DocumentsScreen)
		if !ok {
			return
		}
		cur.Wait()
		if d := cur.Document(); d != nil {
			cur.doc = nil
			cur.View.SetDocument(nil)
			d.Close()
		}
	})
	return s, sc, w
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func inkIn(img image.Image, r image.Rectangle) float64 {
	r = r.Intersect(img.Bounds())
	n, dark := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			n++
			if color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 128 {
				dark++
			}
		}
	}
	if n == 0 {
		return -1
	}
	return float64(dark) / float64(n)
}

// The page view's geometry agrees with what PDFium draws: a square placed in user space on a
// cropped page turned by /Rotate is found exactly where the mapping says, at several zooms.
func TestDocumentsGeometryMatchesPDFium(t *testing.T) {
	square := [4]float64{100, 150, 200, 200} // 100×50 pt
	var pages []squarePage
	for _, rot := range []int{0, 90, 180, 270} {
		pages = append(pages, squarePage{media: [4]float64{0, 0, 595, 842}, crop: [4]float64{50, 100, 450, 700}, rotate: rot, square: square})
	}
	path := writeFile(t, "旋转裁剪.pdf", squarePDF(pages))
	_, sc, _ := newDocumentsShell(t)
	sc.OpenFile(path)
	sc.Wait()
	if sc.Document() == nil {
		t.Fatalf("not opened: %q", sc.Status.Text)
	}
	if sc.Name.Text != "旋转裁剪.pdf" || sc.View.Document().PageCount() != 4 {
		t.Fatalf("name %q pages %d", sc.Name.Text, sc.View.Document().PageCount())
	}
	for _, zoom := range []float64{0.5, 1, 1.5} {
		sc.View.SetZoom(zoom)
		for i, rot := range []int{0, 90, 180, 270} {
			sc.View.ShowPage(i)
			sc.Wait()
			img, dpi := sc.View.SlotImage(i)
			if img == nil {
				t.Fatalf("zoom %v page %d not rendered", zoom, i+1)
			}
			m, _ := sc.View.PageMapper(i)
			pos, size := m.UserRectToWidget(widgets.Rect{LLX: square[0], LLY: square[1], URX: square[2], URY: square[3]})
			x1, y1 := m.WidgetToImage(pos, float64(dpi))
			x2, y2 := m.WidgetToImage(pos.Add(fyne.NewPos(size.Width, size.Height)), float64(dpi))
			in := image.Rect(int(x1)+2, int(y1)+2, int(x2)-2, int(y2)-2)
			out := image.Rect(int(x1)-6, int(y1)-6, int(x2)+6, int(y2)+6)
			inside := inkIn(img, in)
			// the frame around the square: out minus the square itself
			total := inkIn(img, out) * float64(out.Dx()*out.Dy())
			sq := inkIn(img, image.Rect(int(x1)-1, int(y1)-1, int(x2)+1, int(y2)+1)) * float64((int(x2)-int(x1)+2)*(int(y2)-int(y1)+2))
			frame := (total - sq) / float64(out.Dx()*out.Dy()-(int(x2)-int(x1)+2)*(int(y2)-int(y1)+2))
			if inside < 0.99 || frame > 0.01 {
				t.Errorf("zoom %v rotate %d: square expected at image %v: ink inside %.2f, around %.2f", zoom, rot, in, inside, frame)
			}
		}
	}
}

func TestDocumentsRefusalsChangeNothing(t *testing.T) {
	_, sc, _ := newDocumentsShell(t)
	good := writeFile(t, "合同.pdf", squarePDF([]squarePage{{media: [4]float64{0, 0, 595, 842}, square: [4]float64{10, 10, 20, 20}}}))
	sc.OpenFile(good)
	sc.Wait()
	first := sc.Document()
	if first == nil {
		t.Fatalf("good PDF not opened: %q", sc.Status.Text)
	}

	api.DisableConfigDir()
	var enc bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(squarePDF([]squarePage{{media: [4]float64{0, 0, 595, 842}}})), &enc,
		model.NewAESConfiguration("user", "owner", 256)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"损坏.pdf", append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("not a pdf "), 300)...), "文件已损坏或不是有效的 PDF。"},
		{"加密.pdf", enc.Bytes(), "这个 PDF 已加密，需要密码才能打开。"},
		{"说明.txt", []byte("hello"), "不支持这种文件，请选择 PDF、JPEG 或 PNG 文件。"},
	}
	for _, c := range cases {
		p := writeFile(t, c.name, c.data)
		before, _ := os.ReadFile(p)
		sc.OpenFile(p)
		sc.Wait()
		if sc.Status.Text != c.want || !sc.Status.Visible() {
			t.Errorf("%s: status %q, want %q", c.name, sc.Status.Text, c.want)
		}
		if sc.Document() != first || sc.Name.Text != "合同.pdf" {
			t.Errorf("%s: the shown document changed", c.name)
		}
		if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
			t.Errorf("%s: the file was modified", c.name)
		}
	}
	if _, err := os.Stat(filepath.Join(t.TempDir(), "missing.pdf")); err == nil {
		t.Fatal("impossible")
	}
	sc.OpenFile(filepath.Join(t.TempDir(), "missing.pdf"))
	sc.Wait()
	if !strings.HasPrefix(sc.Status.Text, "无法打开这个文件") {
		t.Errorf("missing file: %q", sc.Status.Text)
	}
}

func TestDocumentsOpenJPEGAndBigPDF(t *testing.T) {
	_, sc, _ := newDocumentsShell(t)
	img := image.NewRGBA(image.Rect(0, 0, 300, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 300; x++ {
			img.Set(x, y, color.RGBA{200, 30, 40, 255})
		}
	}
	var j bytes.Buffer
	jpeg.Encode(&j, img, nil)
	sc.OpenFile(writeFile(t, "扫描件.jpg", j.Bytes()))
	sc.Wait()
	if sc.Document() == nil || sc.Document().PageCount() != 1 || sc.Name.Text != "扫描件.jpg" {
		t.Fatalf("JPEG not opened as one page: %q", sc.Status.Text)
	}
	shown, _ := sc.View.SlotImage(0)
	if shown == nil {
		t.Fatal("JPEG page not rendered")
	}
	if r, g, _, _ := shown.At(shown.Bounds().Dx()/2, shown.Bounds().Dy()/2).RGBA(); r>>8 < 150 || g>>8 > 80 {
		t.Errorf("JPEG page centre is not the photo's red: %d %d", r>>8, g>>8)
	}

	big := squarePDF([]squarePage{{media: [4]float64{0, 0, 595, 842}, square: [4]float64{10, 10, 20, 20}, padding: 11 << 20}})
	sc.OpenFile(writeFile(t, "大文件.pdf", big))
	sc.Wait()
	if sc.Document() == nil || sc.Name.Text != "大文件.pdf" {
		t.Fatalf("11 MB PDF not opened: %q", sc.Status.Text)
	}
}

// Switching the language rebuilds the screens; the open document stays open and shown.
func TestDocumentsSurviveLanguageSwitch(t *testing.T) {
	s, sc, _ := newDocumentsShell(t)
	sc.OpenFile(writeFile(t, "合同.pdf", squarePDF([]squarePage{{media: [4]float64{0, 0, 595, 842}}})))
	sc.Wait()
	doc := sc.Document()
	if doc == nil {
		t.Fatal("not opened")
	}
	settingsScreen(t, s).Language.SetSelected("English")
	next := s.Screen(NavDocuments).(*DocumentsScreen)
	next.Wait()
	if next == sc || next.Document() != doc || next.Name.Text != "合同.pdf" || next.Open.Text != "Open file…" {
		t.Errorf("after the switch: same screen %v, doc kept %v, name %q, button %q", next == sc, next.Document() == doc, next.Name.Text, next.Open.Text)
	}
	if img, _ := next.View.SlotImage(0); img == nil {
		t.Error("page 1 not shown after the switch")
	}
	if _, _, err := doc.PageSize(0); err != nil {
		t.Errorf("the document was closed: %v", err)
	}
	settingsScreen(t, s).Language.SetSelected("简体中文")
}

// `sealdesk FILE` and drops route an unsigned PDF to the document view.
func TestShellRoutesUnsignedPDFToDocuments(t *testing.T) {
	s, sc, _ := newDocumentsShell(t)
	s.Show(NavSettings)
	p := writeFile(t, "未签.pdf", squarePDF([]squarePage{{media: [4]float64{0, 0, 595, 842}}}))
	s.OpenFiles([]string{p})
	sc.Wait()
	if s.Current() != NavDocuments || sc.Document() == nil {
		t.Errorf("routed to %s, document %v", s.Current().Key(), sc.Document())
	}
}
