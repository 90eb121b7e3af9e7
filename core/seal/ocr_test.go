package seal

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	xdraw "golang.org/x/image/draw"
)

// The horizontal titles and the invoice number must read back exactly with tesseract (Debian's
// tesseract-ocr with chi_sim): proof that the glyphs are real, upright, in order and legible.

func needTesseract(t *testing.T, lang string) string {
	t.Helper()
	bin, err := exec.LookPath("tesseract")
	if err == nil {
		out, _ := exec.Command(bin, "--list-langs").CombinedOutput()
		if !strings.Contains(string(out), lang) {
			err = os.ErrNotExist
		}
	}
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatalf("tesseract with %s is required in CI: %v", lang, err)
		}
		t.Skipf("tesseract with %s not installed: %v", lang, err)
	}
	return bin
}

// ocrLine renders d's parts of kind at a resolution where they are pxHigh pixels tall, crops
// them with a margin, undoes the horizontal compression (xs) so glyphs have their natural
// shape, and reads the line with tesseract.
func ocrLine(t *testing.T, bin string, d *Drawing, kind PartKind, textH, xs, pxHigh float64, args ...string) string {
	t.Helper()
	dpi := pxHigh / textH * 25.4
	img, err := d.Rasterize(dpi)
	if err != nil {
		t.Fatal(err)
	}
	a, b, ok := d.Bounds(kind)
	if !ok {
		t.Fatalf("no parts of kind %d", kind)
	}
	k := dpi / 25.4
	m := 0.6
	r := image.Rect(int(math.Floor((a.X-m)*k)), int(math.Floor((a.Y-m)*k)), int(math.Ceil((b.X+m)*k)), int(math.Ceil((b.Y+m)*k))).Intersect(img.Rect)
	// Black ink on white paper.
	g := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			g.SetGray(x, y, color.Gray{255 - img.NRGBAAt(r.Min.X+x, r.Min.Y+y).A})
		}
	}
	const pad = 20
	w := int(math.Round(float64(r.Dx()) / xs))
	page := image.NewGray(image.Rect(0, 0, w+2*pad, r.Dy()+2*pad))
	for i := range page.Pix {
		page.Pix[i] = 255
	}
	xdraw.CatmullRom.Scale(page, image.Rect(pad, pad, pad+w, pad+r.Dy()), g, g.Bounds(), xdraw.Src, nil)
	path := filepath.Join(t.TempDir(), "line.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, page); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{path, "stdout"}, args...)...)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1") // the cases run in parallel
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tesseract: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), "")
}

func TestOCRTitles(t *testing.T) {
	bin := needTesseract(t, "chi_sim")
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Style: Contract, Name: "上海申江贸易有限公司"}, "合同专用章"},
		{Spec{Style: Contract, Size: Round45, Name: "上海申江国际贸易有限公司"}, "合同专用章"},
		{Spec{Style: Special, Name: "广州南方物流股份有限公司", Title: "人事专用章"}, "人事专用章"},
		{Spec{Style: Department, Name: "深圳前海数据服务有限公司", Title: "人力资源部"}, "人力资源部"},
		{Spec{Style: Finance, Name: "南京紫金电子有限公司"}, "财务专用章"},
		{Spec{Style: Finance, Size: Round42, Name: "南京紫金电子有限公司", NoStar: true}, "财务专用章"},
		{Spec{Style: Invoice, Name: "北京云印科技发展有限公司", Code: "91310110666007217T"}, "发票专用章"},
		{Spec{Style: Union, Name: "天府软件有限公司工会委员会", Title: "工会委员会"}, "工会委员会"},
		{Spec{Style: Foreign, Name: "苏州博世（中国）投资有限公司", Title: "合同专用章"}, "合同专用章"},
		{Spec{Style: League, Name: "共青团杭州西湖区委员会", Title: "组织部"}, "组织部"},
	} {
		t.Run(tc.want+"-"+tc.spec.Style.String(), func(t *testing.T) {
			t.Parallel()
			d, err := Layout(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			h := roundGeoms()[d.Width].titleH
			if d.Width != d.Height {
				h = ovalGeoms()[d.Width].titleH
			}
			got := ocrLine(t, bin, d, PartTitle, h, d.TitleXScale, 32, "-l", "chi_sim", "--psm", "7")
			if got != tc.want {
				t.Errorf("%s %v: tesseract read the title as %q, want %q", tc.spec.Style, d.Width, got, tc.want)
			}
		})
	}
}

func TestOCRInvoiceNumber(t *testing.T) {
	bin := needTesseract(t, "eng")
	for _, code := range []string{"91310110666007217T", "91350100M000100Y43"} {
		d, err := Layout(Spec{Style: Invoice, Name: "北京云印科技发展有限公司", Code: code})
		if err != nil {
			t.Fatal(err)
		}
		// Each glyph is 1.3 mm wide where Arial's digits would be 2.9 mm: undo that for reading.
		xs := 1.3 / (0.556 / 0.716 * 3.7)
		got := ocrLine(t, bin, d, PartNumber, 3.7, xs, 32, "-l", "eng", "--psm", "7",
			"-c", "tessedit_char_whitelist=0123456789ABCDEFGHJKLMNPQRTUWXY") // GB 32100 alphabet
		if got != code {
			t.Errorf("tesseract read the number as %q, want %q", got, code)
		}
	}
}
