package render

import (
	"archive/zip"
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/core/ofd"
)

// genPage builds a one-page OFD (120×80 mm) with content (the Layer's objects), the resources
// res (inside <ofd:Res>) and extra files under Doc_0/Res, and draws it at 100 dpi.
func genPage(t *testing.T, name, content, res string, extra map[string][]byte) (*image.RGBA, Result) {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	files := []struct {
		n string
		b []byte
	}{
		{"OFD.xml", []byte(`<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>`)},
		{"Doc_0/Document.xml", []byte(`<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:MaxUnitID>100</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 120 80</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>`)},
		{"Doc_0/PublicRes.xml", []byte(`<ofd:Res xmlns:ofd="http://www.ofdspec.org/2016" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/><ofd:Font ID="3" FontName="黑体" FamilyName="黑体"/></ofd:Fonts>` + res + `</ofd:Res>`)},
		{"Doc_0/Pages/Page_0/Content.xml", []byte(`<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="10">` + content + `</ofd:Layer></ofd:Content></ofd:Page>`)},
	}
	for n, b := range extra {
		files = append(files, struct {
			n string
			b []byte
		}{"Doc_0/Res/" + n, b})
	}
	for _, f := range files {
		fw, err := w.Create(f.n)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(f.b)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pkg, err := ofd.Open(context.Background(), bytes.NewReader(buf.Bytes()), int64(buf.Len()), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDocument(pkg, 0)
	if err != nil {
		t.Fatal(err)
	}
	img, r, err := d.Render(context.Background(), 0, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("SEALDESK_RENDER_OUT"); dir != "" {
		f, _ := os.Create(filepath.Join(dir, name+".png"))
		png.Encode(f, img)
		f.Close()
	}
	return img, r
}

const k100 = 100 / 25.4 // pixels per mm at 100 dpi

// at is the pixel at page millimetres (x, y).
func at(img *image.RGBA, x, y float64) [3]uint8 {
	c := img.RGBAAt(int(x*k100), int(y*k100))
	return [3]uint8{c.R, c.G, c.B}
}

// inkedMM counts the non-white pixels in the page rectangle (mm).
func inkedMM(img *image.RGBA, x0, y0, x1, y1 float64) int {
	return inked(img, image.Rect(int(x0*k100), int(y0*k100), int(x1*k100), int(y1*k100)))
}

// An arc (A rx ry angle large sweep x y) is drawn as its curve, not its chord: sweep 1 bulges
// up (clockwise on the page, y down), sweep 0 down; two large arcs make a filled circle.
func TestArcs(t *testing.T) {
	img, res := genPage(t, "arcs", `
<ofd:PathObject ID="11" Boundary="0 0 120 80" LineWidth="0.6"><ofd:AbbreviatedData>M 10 20 A 10 10 0 0 1 30 20</ofd:AbbreviatedData></ofd:PathObject>
<ofd:PathObject ID="12" Boundary="0 0 120 80" LineWidth="0.6"><ofd:AbbreviatedData>M 40 20 A 10 10 0 0 0 60 20</ofd:AbbreviatedData></ofd:PathObject>
<ofd:PathObject ID="13" Boundary="70 10 40 40" Fill="true" Stroke="false"><ofd:FillColor Value="200 0 0"/><ofd:AbbreviatedData>M 2 20 A 18 18 0 1 1 38 20 A 18 18 0 1 1 2 20 C</ofd:AbbreviatedData></ofd:PathObject>
<ofd:PathObject ID="14" Boundary="0 40 60 40" LineWidth="0.6"><ofd:AbbreviatedData>M 10 20 A 20 10 90 0 1 10 40</ofd:AbbreviatedData></ofd:PathObject>`, "", nil)
	if res.Skipped != 0 {
		t.Errorf("skipped %d", res.Skipped)
	}
	// sweep 1 from (10,20) to (30,20): through the top (20,10); the chord's middle stays blank.
	if inkedMM(img, 19, 9.2, 21, 10.8) == 0 || inkedMM(img, 19, 19, 21, 21) != 0 || inkedMM(img, 19, 29, 21, 31) != 0 {
		t.Errorf("sweep 1: top %d, chord %d, bottom %d", inkedMM(img, 19, 9.2, 21, 10.8), inkedMM(img, 19, 19, 21, 21), inkedMM(img, 19, 29, 21, 31))
	}
	// sweep 0 from (40,20) to (60,20): through the bottom (50,30).
	if inkedMM(img, 49, 29.2, 51, 30.8) == 0 || inkedMM(img, 49, 19, 51, 21) != 0 || inkedMM(img, 49, 9, 51, 11) != 0 {
		t.Errorf("sweep 0: bottom %d, chord %d, top %d", inkedMM(img, 49, 29.2, 51, 30.8), inkedMM(img, 49, 19, 51, 21), inkedMM(img, 49, 9, 51, 11))
	}
	// The circle of radius 18 about (90,30): red at its centre and just inside its edge, white
	// just outside and in the corner of its box.
	for _, p := range [][2]float64{{90, 30}, {90, 13}, {106.5, 30}, {90, 47}, {73.5, 30}} {
		if c := at(img, p[0], p[1]); c[0] < 150 || c[1] > 80 {
			t.Errorf("circle at %v: %v", p, c)
		}
	}
	for _, p := range [][2]float64{{90, 11}, {108.8, 30}, {72, 13}} {
		if c := at(img, p[0], p[1]); c != [3]uint8{255, 255, 255} {
			t.Errorf("outside the circle at %v: %v", p, c)
		}
	}
	// An ellipse turned 90° (rx 20 along y, ry 10 along x) from (10,60) to (10,80) on the page,
	// sweep 1 (clockwise, so to the right going down): its centre is √3·5 ≈ 8.66 mm left of the
	// chord, so the curve passes 10 − 8.66 + 10 = 11.34 mm at mid-height, off the chord at 10 mm.
	if inkedMM(img, 11.1, 69.5, 11.6, 70.5) == 0 || inkedMM(img, 9.6, 69.5, 10.2, 70.5) != 0 {
		t.Errorf("rotated arc: on the curve %d, on the chord %d", inkedMM(img, 11.1, 69.5, 11.6, 70.5), inkedMM(img, 9.6, 69.5, 10.2, 70.5))
	}
}

// Axial and radial shadings fill a path with their colours along the axis or out from the
// centre, in the object's space (its Boundary), with nothing beyond an unextended end.
func TestShadings(t *testing.T) {
	img, res := genPage(t, "shadings", `
<ofd:PathObject ID="11" Boundary="10 5 100 20" Fill="true" Stroke="false">
 <ofd:FillColor><ofd:AxialShd StartPoint="0 0" EndPoint="100 0" Extend="3">
  <ofd:Segment Position="0"><ofd:Color Value="255 0 0"/></ofd:Segment>
  <ofd:Segment Position="1"><ofd:Color Value="0 0 255"/></ofd:Segment>
 </ofd:AxialShd></ofd:FillColor>
 <ofd:AbbreviatedData>M 0 0 L 100 0 L 100 20 L 0 20 C</ofd:AbbreviatedData></ofd:PathObject>
<ofd:PathObject ID="12" Boundary="10 30 50 10" Fill="true" Stroke="false">
 <ofd:FillColor><ofd:AxialShd StartPoint="10 0" EndPoint="40 0">
  <ofd:Segment><ofd:Color Value="0 160 0"/></ofd:Segment>
  <ofd:Segment><ofd:Color Value="0 160 0"/></ofd:Segment>
 </ofd:AxialShd></ofd:FillColor>
 <ofd:AbbreviatedData>M 0 0 L 50 0 L 50 10 L 0 10 C</ofd:AbbreviatedData></ofd:PathObject>
<ofd:TextObject ID="14" Boundary="10 45 55 30" Font="3" Size="24"><ofd:FillColor><ofd:AxialShd StartPoint="0 0" EndPoint="55 0" Extend="3">
  <ofd:Segment Position="0"><ofd:Color Value="255 0 0"/></ofd:Segment>
  <ofd:Segment Position="1"><ofd:Color Value="0 0 255"/></ofd:Segment>
 </ofd:AxialShd></ofd:FillColor><ofd:TextCode X="0" Y="22">一一</ofd:TextCode></ofd:TextObject>
<ofd:PathObject ID="13" Boundary="70 30 40 40" Fill="true" Stroke="false">
 <ofd:FillColor><ofd:RadialShd StartPoint="20 20" StartRadius="0" EndPoint="20 20" EndRadius="20">
  <ofd:Segment Position="0"><ofd:Color Value="255 255 0"/></ofd:Segment>
  <ofd:Segment Position="1"><ofd:Color Value="0 0 255"/></ofd:Segment>
 </ofd:RadialShd></ofd:FillColor>
 <ofd:AbbreviatedData>M 0 0 L 40 0 L 40 40 L 0 40 C</ofd:AbbreviatedData></ofd:PathObject>`, "", nil)
	if res.Skipped != 0 {
		t.Errorf("skipped %d", res.Skipped)
	}
	near := func(c [3]uint8, want [3]int, tol int) bool {
		for i := range c {
			if d := int(c[i]) - want[i]; d < -tol || d > tol {
				return false
			}
		}
		return true
	}
	// Axial, red → blue from x = 10 to 110 mm.
	for _, tc := range []struct {
		x    float64
		want [3]int
	}{{11, [3]int{252, 0, 3}}, {35, [3]int{191, 0, 64}}, {60, [3]int{128, 0, 128}}, {85, [3]int{64, 0, 191}}, {109, [3]int{3, 0, 252}}} {
		if c := at(img, tc.x, 15); !near(c, tc.want, 8) {
			t.Errorf("axial at x=%v mm: %v, want about %v", tc.x, c, tc.want)
		}
	}
	// Unextended: painted only between the points (object x 10…40 → page 20…50 mm).
	if c := at(img, 15, 35); c != [3]uint8{255, 255, 255} {
		t.Errorf("before an unextended start: %v", c)
	}
	if c := at(img, 35, 35); !near(c, [3]int{0, 160, 0}, 4) {
		t.Errorf("between the points: %v", c)
	}
	if c := at(img, 55, 35); c != [3]uint8{255, 255, 255} {
		t.Errorf("after an unextended end: %v", c)
	}
	// Radial about (90, 50) mm, yellow at the centre to blue at 20 mm; unextended, so the
	// corners of the square (beyond 20 mm) stay white.
	for _, tc := range []struct {
		x, y float64
		want [3]int
	}{{90, 50, [3]int{255, 255, 0}}, {100, 50, [3]int{128, 128, 128}}, {90, 31, [3]int{12, 12, 243}}} {
		if c := at(img, tc.x, tc.y); !near(c, tc.want, 16) {
			t.Errorf("radial at %v,%v mm: %v, want about %v", tc.x, tc.y, c, tc.want)
		}
	}
	if c := at(img, 71, 31); c != [3]uint8{255, 255, 255} {
		t.Errorf("radial beyond its end circle: %v", c)
	}
	// Text filled with a shading: 一一 (two strokes across, 24 mm each) red on its left, blue
	// on its right; off the strokes the page stays white.
	reddest, bluest := [3]uint8{255, 255, 255}, [3]uint8{255, 255, 255} // the most covered (least green) samples
	found := 0
	for x := 10.0; x < 58; x += 0.25 {
		for y := 45.0; y < 75; y += 0.25 {
			c := at(img, x, y)
			if c == [3]uint8{255, 255, 255} {
				continue
			}
			found++
			if x < 16 && c[1] < reddest[1] {
				reddest = c
			}
			if x > 50 && c[1] < bluest[1] {
				bluest = c
			}
		}
	}
	// t = 0.05 at x < 16 mm (about 242,0,13); t > 0.72 at x > 50 mm (blue above 180)
	if found < 100 || reddest[0] < 200 || reddest[2] > 60 || bluest[2] < 160 || bluest[0] > 100 {
		t.Errorf("shaded text: %d inked samples, left %v, right %v", found, reddest, bluest)
	}
}

// Vertical text: ReadDirection 90 puts the glyphs one under the other when no DeltaY says where;
// CharDirection 90 turns each glyph clockwise (一, a horizontal stroke, stands upright).
func TestVerticalText(t *testing.T) {
	img, res := genPage(t, "vertical", `
<ofd:TextObject ID="11" Boundary="10 5 8 40" Font="3" Size="6" ReadDirection="90"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="1" Y="6">发票专用</ofd:TextCode></ofd:TextObject>
<ofd:TextObject ID="12" Boundary="30 5 40 8" Font="3" Size="6"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="1" Y="6">发票专用</ofd:TextCode></ofd:TextObject>
<ofd:TextObject ID="13" Boundary="30 30 30 30" Font="3" Size="12" CharDirection="90"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="15" Y="5">一</ofd:TextCode></ofd:TextObject>
<ofd:TextObject ID="14" Boundary="70 30 30 30" Font="3" Size="12"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="5" Y="15">一</ofd:TextCode></ofd:TextObject>
<ofd:TextObject ID="15" Boundary="100 5 8 40" Font="3" Size="6" ReadDirection="90"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="1" Y="6" DeltaY="g 3 8">发票专用</ofd:TextCode></ofd:TextObject>`, "", nil)
	if res.Skipped != 0 {
		t.Errorf("skipped %d", res.Skipped)
	}
	// Vertical: each of the four 6 mm cells down the column has ink; nothing to its right.
	for i := 0; i < 4; i++ {
		y := 5 + float64(i)*6
		if n := inkedMM(img, 10.5, y+0.5, 17.5, y+6.5); n < 40 {
			t.Errorf("vertical glyph %d: %d inked pixels", i+1, n)
		}
	}
	if n := inkedMM(img, 18, 5, 28, 45); n != 0 {
		t.Errorf("ink to the right of the vertical column: %d", n)
	}
	// The same text with ReadDirection 0 runs across, one line high.
	if n := inkedMM(img, 48, 5, 56, 13); n < 40 {
		t.Errorf("fourth horizontal glyph: %d inked pixels", n)
	}
	if n := inkedMM(img, 30, 14, 70, 30); n != 0 {
		t.Errorf("ink below the horizontal line: %d", n)
	}
	// 一 turned by CharDirection 90 is taller than wide; the upright one wider than tall.
	bbox := func(x0, y0, x1, y1 float64) (w, h int) {
		r := image.Rect(int(x0*k100), int(y0*k100), int(x1*k100), int(y1*k100))
		minX, minY, maxX, maxY := r.Max.X, r.Max.Y, r.Min.X, r.Min.Y
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if c := img.RGBAAt(x, y); c.R < 128 {
					minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
				}
			}
		}
		return maxX - minX, maxY - minY
	}
	if w, h := bbox(30, 30, 60, 60); h < 3*w || h < 20 {
		t.Errorf("一 with CharDirection 90: %d×%d pixels, want tall", w, h)
	}
	if w, h := bbox(70, 30, 100, 60); w < 3*h || w < 20 {
		t.Errorf("一 upright: %d×%d pixels, want wide", w, h)
	}
	// Given DeltaY (8 mm) wins over the default advance: the fourth glyph sits at 6+24 mm.
	if n := inkedMM(img, 100.5, 29.5, 107.5, 35.5); n < 40 {
		t.Errorf("fourth glyph placed by DeltaY: %d inked pixels", n)
	}
	if n := inkedMM(img, 100.5, 20.4, 107.5, 21.2); n != 0 {
		t.Errorf("gap between DeltaY-placed glyphs: %d", n)
	}
}

// A JBIG2 image (by Format, by file name, by its magic bytes) is drawn as a marked grey box
// labelled JBIG2 at its place and counted, not left blank; a PNG beside it is drawn.
func TestJBIG2Placeholder(t *testing.T) {
	jb2 := append(append([]byte(nil), jbig2Magic...), 1, 0, 0, 0, 1, 0, 0, 0, 0, 0x30, 0, 1, 0, 0, 0, 0x13)
	var pngBuf bytes.Buffer
	red := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range red.Pix {
		red.Pix[i] = []byte{255, 0, 0, 255}[i%4]
	}
	png.Encode(&pngBuf, red)
	img, res := genPage(t, "jbig2", `
<ofd:ImageObject ID="11" ResourceID="20" Boundary="10 10 60 40" CTM="60 0 0 40 0 0"/>
<ofd:ImageObject ID="12" ResourceID="21" Boundary="80 10 30 20" CTM="30 0 0 20 0 0"/>
<ofd:ImageObject ID="13" ResourceID="22" Boundary="80 40 30 20"/>
<ofd:ImageObject ID="14" ResourceID="23" Boundary="10 60 20 15"/>`,
		`<ofd:MultiMedias>
<ofd:MultiMedia ID="20" Type="Image" Format="JB2"><ofd:MediaFile>scan</ofd:MediaFile></ofd:MultiMedia>
<ofd:MultiMedia ID="21" Type="Image"><ofd:MediaFile>scan2.jb2</ofd:MediaFile></ofd:MultiMedia>
<ofd:MultiMedia ID="22" Type="Image"><ofd:MediaFile>scan3.bin</ofd:MediaFile></ofd:MultiMedia>
<ofd:MultiMedia ID="23" Type="Image" Format="PNG"><ofd:MediaFile>red.png</ofd:MediaFile></ofd:MultiMedia>
</ofd:MultiMedias>`, map[string][]byte{"scan": []byte("bare segments"), "scan2.jb2": []byte("bare segments"), "scan3.bin": jb2, "red.png": pngBuf.Bytes()})
	if res.Placeholders != 3 || res.Skipped != 0 {
		t.Fatalf("placeholders %d, skipped %d", res.Placeholders, res.Skipped)
	}
	grey := [3]uint8{0xEC, 0xEC, 0xEC}
	// Inside the first box, off its lines: the grey; its label in the middle; white outside.
	if c := at(img, 20, 40); c != grey {
		t.Errorf("inside the placeholder: %v", c)
	}
	if n := inkedMM(img, 30, 26, 50, 34); n < 100 {
		t.Errorf("the label: %d dark pixels", n)
	}
	if c := at(img, 5, 30); c != [3]uint8{255, 255, 255} {
		t.Errorf("outside the placeholder: %v", c)
	}
	if c := at(img, 10.1, 30); c[0] > 0xA0 {
		t.Errorf("the placeholder's edge: %v", c)
	}
	for _, p := range [][2]float64{{83, 27}, {83, 57}} {
		if c := at(img, p[0], p[1]); c != grey {
			t.Errorf("placeholder at %v: %v", p, c)
		}
	}
	if c := at(img, 20, 67); c != [3]uint8{255, 0, 0} {
		t.Errorf("the PNG: %v", c)
	}
	if !strings.Contains(string(jb2[:4]), "JB2") {
		t.Fatal("magic")
	}
}
