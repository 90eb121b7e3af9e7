package main

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/core/seal"
)

func sealCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := realMain(args, &out, &errb)
	return code, out.String(), errb.String()
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
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

func TestSealCommand(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		w, h int
	}{
		{[]string{"--style", "official", "--name", "北京云印科技发展有限公司", "--size", "42"}, 992, 992},
		{[]string{"--style", "contract", "--name", "上海申江贸易有限公司", "--dpi", "300"}, 472, 472},
		{[]string{"--style", "invoice", "--name", "北京云印科技发展有限公司", "--code", "91310110666007217T"}, 945, 709},
		{[]string{"--style", "finance", "--name", "南京紫金电子有限公司", "--size", "22", "--dpi", "254"}, 220, 220},
		{[]string{"--style", "union", "--name", "天府软件有限公司工会委员会", "--no-star", "--dpi", "150"}, 248, 248},
	} {
		out := filepath.Join(dir, "seal.png")
		code, stdout, stderr := sealCLI(append([]string{"seal", "--out", out}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, stderr)
		}
		img := decodePNG(t, out)
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%v: %v, want %d×%d", tc.args, b, tc.w, tc.h)
		}
		if _, _, _, a := img.At(0, 0).RGBA(); a != 0 && tc.w != 220 { // (a square seal's corner is border)
			t.Errorf("%v: corner not transparent", tc.args)
		}
		if !strings.Contains(stdout, out) {
			t.Errorf("stdout %q", stdout)
		}
	}
	// A legacy code is drawn, with a warning on stderr.
	code, _, stderr := sealCLI("seal", "--out", filepath.Join(dir, "w.png"), "--name", "某某有限公司", "--code", "91350211M0000XUF46")
	if code != 0 || !strings.Contains(stderr, "warning") {
		t.Errorf("mis-checked code: exit %d, stderr %q", code, stderr)
	}
	// Bad input: exit 2, message on stderr, nothing written.
	for _, args := range [][]string{
		{"--name", "某某有限公司", "--style", "emblem"},
		{"--name", "某某有限公司", "--size", "41"},
		{"--name", strings.Repeat("长", 40)},
		{"--name", "某𠀀公司"},
		{"--style", "invoice", "--name", "某某有限公司"},
		{"--style", "special", "--name", "某某有限公司"},
		{"--name", ""},
		{"--name", "某某有限公司", "--dpi", "-5"},
	} {
		bad := filepath.Join(dir, "bad.png")
		code, _, stderr := sealCLI(append([]string{"seal", "--out", bad}, args...)...)
		if code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
		if _, err := os.Stat(bad); err == nil {
			t.Errorf("%v: output written despite the error", args)
		}
	}
}

func TestSealCleanCommand(t *testing.T) {
	dir := t.TempDir()
	ink, _, err := seal.Render(seal.Spec{Style: seal.Contract, Name: "上海申江贸易有限公司"}, 200)
	if err != nil {
		t.Fatal(err)
	}
	// The seal stamped on off-white paper, saved as a JPEG photo.
	photo := image.NewRGBA(image.Rect(0, 0, 700, 500))
	for y := 0; y < 500; y++ {
		for x := 0; x < 700; x++ {
			c := color.RGBA{238, 232, 220, 255}
			if p := image.Pt(x-200, y-100); p.In(ink.Rect) {
				a := float64(ink.NRGBAAt(p.X, p.Y).A) / 255 * 0.9
				c.R = uint8(float64(c.R) * (1 - a + a*0.8))
				c.G = uint8(float64(c.G) * (1 - a + a*0.15))
				c.B = uint8(float64(c.B) * (1 - a + a*0.2))
			}
			photo.SetRGBA(x, y, c)
		}
	}
	in := filepath.Join(dir, "photo.jpg")
	f, _ := os.Create(in)
	if err := jpeg.Encode(f, photo, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(dir, "clean.png")
	if code, _, stderr := sealCLI("seal", "clean", "--in", in, "--kind", "seal", "--recolor", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	img := decodePNG(t, out)
	if b := img.Bounds(); b.Dx() < ink.Rect.Dx() || b.Dx() > ink.Rect.Dx()*12/10 || b.Dy() > ink.Rect.Dy()*12/10 {
		t.Errorf("cleaned image %v, seal %v", b, ink.Rect)
	}
	if _, _, _, a := img.At(2, 2).RGBA(); a != 0 {
		t.Error("background not transparent")
	}
	inked := 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			if c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA); c.A > 0 {
				inked++
				if c.R != seal.SealRed.R || c.G != seal.SealRed.G || c.B != seal.SealRed.B {
					t.Fatalf("--recolor left pixel (%d,%d) %v", x, y, c)
				}
			}
		}
	}
	if inked < 1000 {
		t.Errorf("only %d ink pixels kept", inked)
	}
	for _, args := range [][]string{
		{"--in", in, "--kind", "stamp", "--out", out},
		{"--in", filepath.Join(dir, "clean.png") + ".missing", "--out", out},
		{"--in", in},
	} {
		code, _, stderr := sealCLI(append([]string{"seal", "clean"}, args...)...)
		if code == 0 || stderr == "" {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	notImage := filepath.Join(dir, "x.jpg")
	os.WriteFile(notImage, []byte("not an image"), 0o644)
	if code, _, _ := sealCLI("seal", "clean", "--in", notImage, "--out", out); code != 2 {
		t.Errorf("not an image: exit %d, want 2", code)
	}
}

func TestSealSignatureCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "sig.json")
	doc := `{"v":1,"w":50,"h":20,"strokes":[[{"x":5,"y":10,"t":0},{"x":15,"y":5,"t":40},{"x":25,"y":15,"t":80},{"x":45,"y":8,"t":150,"p":0.8}]]}`
	if err := os.WriteFile(in, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "sig.png")
	if code, _, stderr := sealCLI("seal", "signature", "--in", in, "--dpi", "254", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b := decodePNG(t, out).Bounds(); b.Dx() != 500 || b.Dy() != 200 {
		t.Errorf("pad image %v, want 500×200 (50×20 mm at 10 px/mm)", b)
	}
	if code, _, stderr := sealCLI("seal", "signature", "--in", in, "--dpi", "254", "--crop", "--out", out); code != 0 {
		t.Fatalf("crop: exit %d: %s", code, stderr)
	}
	if b := decodePNG(t, out).Bounds(); b.Dx() >= 500 || b.Dx() < 400 || b.Dy() >= 200 {
		t.Errorf("cropped image %v", b)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"v":1,"w":50,"h":20,"strokes":[[{"x":500,"y":1,"t":0}]]}`), 0o644)
	if code, _, stderr := sealCLI("seal", "signature", "--in", bad, "--out", out); code != 2 || !strings.Contains(stderr, "off the pad") {
		t.Errorf("bad strokes: exit %d, %q", code, stderr)
	}
}
