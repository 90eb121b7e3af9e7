package sign

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// render rasterises one page at 72 dpi with pdftoppm (1 pixel per point).
func render(t *testing.T, path string, page int) image.Image {
	t.Helper()
	dir := t.TempDir()
	prefix := filepath.Join(dir, "p")
	out, err := exec.Command("pdftoppm", "-r", "72", "-cropbox", "-png", "-f", fmt.Sprint(page), "-l", fmt.Sprint(page), "-singlefile", path, prefix).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	f, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func isRed(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r>>8 > 150 && g>>8 < 100 && b>>8 < 100
}

// redPixels counts red pixels inside box (visible coordinates, y up; vh the page height in
// pixels) and outside it (with a 2-pixel tolerance band for anti-aliasing).
func redPixels(img image.Image, box VisibleRect, vh int) (in, out int) {
	b := img.Bounds()
	n := box.norm()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !isRed(img, x, y) {
				continue
			}
			vx, vy := float64(x)+0.5, float64(vh-y)-0.5
			switch {
			case vx >= n.X1 && vx <= n.X2 && vy >= n.Y1 && vy <= n.Y2:
				in++
			case vx >= n.X1-2 && vx <= n.X2+2 && vy >= n.Y1-2 && vy <= n.Y2+2:
			default:
				out++
			}
		}
	}
	return in, out
}

func encodePNG(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func lookTool(name string) (string, error) { return exec.LookPath(name) }
