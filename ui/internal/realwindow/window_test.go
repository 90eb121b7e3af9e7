package realwindow

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"sealdesk/ui"
	"sealdesk/ui/internal/windowtest"
)

var (
	win   fyne.Window
	shell *ui.Shell
)

type memSettings struct{ dir string }

func (m *memSettings) Language() string          { return ui.LangChinese }
func (m *memSettings) SetLanguage(string)        {}
func (m *memSettings) DataDir() string           { return m.dir }
func (m *memSettings) SetDataDir(d string) error { m.dir = d; return nil }

// TestMain runs the Fyne app on the main thread (GLFW needs it) and the tests beside it.
func TestMain(m *testing.M) {
	windowtest.RequireDisplay()
	// Mesa's llvmpipe returns an empty front buffer to glReadPixels under Xvfb; softpipe reads it.
	if os.Getenv("GALLIUM_DRIVER") == "" {
		os.Setenv("GALLIUM_DRIVER", "softpipe")
	}
	cfg, err := os.MkdirTemp("", "sealdesk-realwindow-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", cfg) // Fyne's preferences go here, not into the user's folder

	a := app.NewWithID("com.sealdesk.test.realwindow")
	a.Settings().SetTheme(ui.NewTheme())
	if err := ui.SetLanguage(ui.LangChinese); err != nil {
		panic(err)
	}
	win = a.NewWindow("")
	shell = ui.NewShell(a, win, ui.Services{Settings: &memSettings{dir: "/home/user/.config/SealDesk"}, Version: "0.0.0"})
	shell.Show(ui.NavSettings) // the screen whose words the OCR looks for
	win.SetContent(shell.Content())
	win.Resize(fyne.NewSize(900, 600))
	win.Show()

	code := 1
	go func() {
		defer fyne.Do(a.Quit)
		code = m.Run()
	}()
	a.Run()
	os.RemoveAll(cfg) // os.Exit skips deferred calls
	os.Exit(code)
}

func TestRealWindowDrawsChinese(t *testing.T) {
	start := time.Now()
	img, err := ui.CaptureWhenDrawn(win, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first captured frame after %v", time.Since(start))
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 500 {
		t.Fatalf("captured %v, want the 900×600 window", b)
	}
	path := filepath.Join(t.TempDir(), "window.png")
	if err := ui.WritePNG(path, img); err != nil {
		t.Fatal(err)
	}

	// the navigation's title "SealDesk 电子签约" sits in the top-left corner: it must have ink
	ink := inkFraction(img, image.Rect(0, 0, 170, 40))
	if ink < 0.03 {
		t.Errorf("title area has %.1f%% ink; nothing drawn there", ink*100)
	}

	// read it back: tofu boxes or missing glyphs do not OCR as these words
	if _, err := exec.LookPath("tesseract"); err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("tesseract is missing (install tesseract-ocr tesseract-ocr-chi-sim)")
		}
		t.Skip("tesseract not installed; pixel check only")
	}
	words := func(img image.Image) (int, string) {
		text, err := ocr(t, img)
		if err != nil {
			t.Fatal(err)
		}
		squashed := strings.Join(strings.Fields(text), "")
		found := 0
		for _, want := range []string{"电子签约", "设置", "语言", "数据文件夹", "关于", "许可证"} {
			if strings.Contains(squashed, want) {
				found++
			}
		}
		return found, text
	}
	found, text := words(img)
	// The set-up shows 设置 before the window opens; once, at load 15 in CI, the first frame
	// still showed the home screen (its words drew fine). Show 设置 again and read the next
	// frame before judging the glyphs.
	for try := 0; found < 4 && try < 2; try++ {
		t.Logf("OCR found %d of 6 words of 设置 (try %d); showing 设置 again:\n%s", found, try+1, text)
		fyne.DoAndWait(func() { shell.Show(ui.NavSettings) })
		time.Sleep(500 * time.Millisecond)
		if img, err = ui.CaptureWhenDrawn(win, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		found, text = words(img)
	}
	if found < 4 {
		t.Errorf("OCR of the window found %d of 6 Chinese words; got:\n%s", found, text)
	}
}

// inkFraction is the share of pixels in r that differ clearly from r's corner colour.
func inkFraction(img image.Image, r image.Rectangle) float64 {
	r = r.Intersect(img.Bounds())
	bg := gray(img.At(r.Min.X, r.Min.Y))
	n, ink := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			n++
			if d := gray(img.At(x, y)) - bg; d > 60 || d < -60 {
				ink++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(ink) / float64(n)
}

func gray(c color.Color) int {
	r, g, b, _ := c.RGBA()
	return int((299*r + 587*g + 114*b) / 1000 >> 8)
}

// ocr runs tesseract (simplified Chinese) on img made dark-on-light and twice as large.
func ocr(t *testing.T, img image.Image) (string, error) {
	b := img.Bounds()
	dark := inkFraction(img, image.Rect(b.Min.X, b.Min.Y, b.Min.X+1, b.Min.Y+1)) == 0 && gray(img.At(b.Max.X-5, b.Max.Y-5)) < 128
	out := image.NewGray(image.Rect(0, 0, b.Dx()*2, b.Dy()*2))
	for y := 0; y < b.Dy()*2; y++ {
		for x := 0; x < b.Dx()*2; x++ {
			v := gray(img.At(b.Min.X+x/2, b.Min.Y+y/2))
			if dark {
				v = 255 - v
			}
			out.SetGray(x, y, color.Gray{Y: uint8(v)})
		}
	}
	p := filepath.Join(t.TempDir(), "ocr.png")
	if err := ui.WritePNG(p, out); err != nil {
		return "", err
	}
	cmd := exec.Command("tesseract", p, "stdout", "-l", "chi_sim+eng", "--psm", "3")
	res, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("tesseract: %w: %s", err, ee.Stderr)
		}
		return "", fmt.Errorf("tesseract: %w", err)
	}
	return string(res), nil
}
