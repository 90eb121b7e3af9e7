package render

import (
	"archive/zip"
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"sealdesk/core/ofd"
)

func sample(t testing.TB, name string) *ofd.Package {
	t.Helper()
	p := filepath.Join("..", "..", "..", "..", "shared", "ofd", "files", name)
	b, err := os.ReadFile(p)
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatalf("%s missing (required under SEALDESK_CI)", p)
		}
		t.Skipf("OFD samples ../shared/ofd not found: %v", err)
	}
	pkg, err := ofd.Open(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// inked counts pixels that are not white in r.
func inked(img *image.RGBA, r image.Rectangle) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if c.R < 200 || c.G < 200 || c.B < 200 {
				n++
			}
		}
	}
	return n
}

// A real e-invoice page comes out with its text and rules where the file puts them, and a seal
// picture lands in its boundary, clipped.
func TestInvoicePage(t *testing.T) {
	pkg := sample(t, "ofd-v4-seal_einvoice_gomain_signedFile.ofd")
	d, err := NewDocument(pkg, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, h, _ := d.PageSize(0)
	if w != 210 || h != 140 {
		t.Fatalf("page %v×%v mm, want 210×140", w, h)
	}
	red := image.NewRGBA(image.Rect(0, 0, 40, 40))
	for i := range red.Pix {
		red.Pix[i] = []byte{255, 0, 0, 255}[i%4]
	}
	st := []Stamp{{Page: 0, Picture: red, Box: ofd.Box{X: 100, Y: 100, W: 20, H: 20}, Clip: ofd.Box{W: 10, H: 20}, HasClip: true}}
	img, res, err := d.Render(context.Background(), 0, 100, st)
	if err != nil {
		t.Fatal(err)
	}
	k := 100 / 25.4
	px := func(x, y, x2, y2 float64) image.Rectangle {
		return image.Rect(int(x*k), int(y*k), int(x2*k), int(y2*k))
	}
	// The title 江苏增值税电子普通发票 in Boundary 69 7 72 7.67.
	if n := inked(img, px(69, 7, 141, 15)); n < 500 {
		t.Errorf("title: %d inked pixels", n)
	}
	// The margin left of the title is blank.
	if n := inked(img, px(0, 0, 4, 4)); n != 0 {
		t.Errorf("corner: %d inked pixels", n)
	}
	// The seal: red in the clip, nothing of it beyond.
	if c := img.RGBAAt(int(105*k), int(110*k)); c.R < 200 || c.G > 60 {
		t.Errorf("inside the clip: %v", c)
	}
	if c := img.RGBAAt(int(115*k), int(110*k)); c.R > 200 && c.G < 60 {
		t.Errorf("outside the clip drawn: %v", c)
	}
	// The QR code (a JBIG2 image, Boundary 8.5 3.5 20 20) is drawn by core/jbig2, not as a
	// placeholder: its top-left finder pattern's dark ring, light ring and dark core.
	if res.Placeholders != 0 {
		t.Errorf("%d images drawn as placeholders", res.Placeholders)
	}
	mod := 20.0 / 100 * 2.7 // mm per QR module (100 pixels over 20 mm, ~2.7 pixels a module)
	for _, c := range []struct {
		at   float64
		dark bool
	}{{0.5 * mod, true}, {1.5 * mod, false}, {3.5 * mod, true}} {
		px := img.RGBAAt(int((8.5+c.at)*k), int((3.5+c.at)*k))
		if dark := px.R < 128; dark != c.dark {
			t.Errorf("QR finder pattern at %.2f mm: %v", c.at, px)
		}
	}
	t.Logf("objects %d, skipped %d", res.Objects, res.Skipped)
	if dir := os.Getenv("SEALDESK_RENDER_OUT"); dir != "" {
		f, _ := os.Create(filepath.Join(dir, "invoice.png"))
		png.Encode(f, img)
		f.Close()
	}
}

// Drawing one invoice page at 150 dpi takes well under 300 ms (the bound).
func BenchmarkInvoicePage(b *testing.B) {
	pkg := sample(b, "ofd-v4-seal_einvoice_gomain_signedFile.ofd")
	d, _ := NewDocument(pkg, 0)
	d.Render(context.Background(), 0, 150, nil) // fonts parsed once per document
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := d.Render(context.Background(), 0, 150, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRenderPage: whatever a page's content and resources say, drawing returns an image or an
// error, within its limits, never a panic.
func FuzzRenderPage(f *testing.F) {
	f.Add([]byte(`<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="1"><ofd:TextObject ID="2" Boundary="10 10 50 10" Font="3" Size="5" CTM="1 0 0 1 0 0"><ofd:FillColor Value="255 0 0"/><ofd:TextCode X="0" Y="4" DeltaX="g 2 5">发票</ofd:TextCode></ofd:TextObject><ofd:PathObject ID="4" Boundary="0 0 100 100" Fill="true"><ofd:AbbreviatedData>M 0 0 L 10 0 B 1 2 3 4 5 6 Q 1 1 2 2 A 1 1 0 0 1 5 5 C</ofd:AbbreviatedData></ofd:PathObject><ofd:ImageObject ID="5" ResourceID="6" Boundary="0 0 10 10" CTM="10 0 0 10 0 0"/></ofd:Layer></ofd:Content></ofd:Page>`),
		[]byte(`<ofd:Res xmlns:ofd="http://www.ofdspec.org/2016" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="3" FontName="宋体"><ofd:FontFile>f.ttf</ofd:FontFile></ofd:Font></ofd:Fonts><ofd:MultiMedias><ofd:MultiMedia ID="6" Type="Image"><ofd:MediaFile>i.png</ofd:MediaFile></ofd:MultiMedia></ofd:MultiMedias></ofd:Res>`))
	f.Fuzz(func(t *testing.T, content, res []byte) {
		var buf bytes.Buffer
		w := zip.NewWriter(&buf)
		for _, e := range []struct {
			n string
			b []byte
		}{
			{"OFD.xml", []byte(`<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>`)},
			{"Doc_0/Document.xml", []byte(`<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 60 40</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>`)},
			{"Doc_0/PublicRes.xml", res},
			{"Doc_0/Pages/Page_0/Content.xml", content},
			{"Doc_0/Res/f.ttf", content},
			{"Doc_0/Res/i.png", res},
		} {
			fw, _ := w.Create(e.n)
			fw.Write(e.b)
		}
		w.Close()
		pkg, err := ofd.Open(context.Background(), bytes.NewReader(buf.Bytes()), int64(buf.Len()), nil)
		if err != nil {
			return
		}
		d, err := NewDocument(pkg, 0)
		if err != nil {
			return
		}
		d.Render(context.Background(), 0, 50, nil)
	})
}
