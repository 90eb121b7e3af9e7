package sign

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sealdesk/core/pki/pkitest"
	"sealdesk/core/tsa"
)

var testNow = func() time.Time { return time.Now().Add(-time.Minute) }

type env struct {
	t   *testing.T
	p   *pkitest.PKI
	c   *checker
	ts  *tsa.Authority
	dir string
}

func newEnv(t *testing.T) *env {
	p := pkitest.New(t, nil)
	a, err := tsa.New(tsa.Options{Cert: p.TSA, Key: p.TSAKey, Chain: p.Chain})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, p: p, c: newChecker(t, p), ts: a, dir: t.TempDir()}
}

func (e *env) write(name string, b []byte) string {
	path := filepath.Join(e.dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return path
}

func (e *env) opts(name string) *Options {
	cert, key := e.p.Leaf(e.t, name, "")
	return &Options{Signer: key, Cert: cert, Chain: e.p.Chain, Now: testNow, Reason: "test", Location: "北京"}
}

// sealPNG is a paletted PNG with transparency: a red ring on a transparent background.
func sealPNG(t testing.TB) []byte {
	pal := color.Palette{color.NRGBA{0, 0, 0, 0}, color.NRGBA{0xd0, 0x1f, 0x2a, 0xff}}
	img := image.NewPaletted(image.Rect(0, 0, 200, 200), pal)
	for y := 0; y < 200; y++ {
		for x := 0; x < 200; x++ {
			dx, dy := x-100, y-100
			if d := dx*dx + dy*dy; d < 95*95 && d > 80*80 || (dx > -30 && dx < 30 && dy > -30 && dy < 30) {
				img.SetColorIndex(x, y, 1)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSignBasicLevels(t *testing.T) {
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{pages: 2}))
	for _, lvl := range []Level{LevelBB, LevelBT, LevelBLT, LevelBLTA} {
		out := filepath.Join(e.dir, "out-"+string(lvl)+".pdf")
		o := e.opts("张三")
		o.Level, o.Timestamper = lvl, e.ts
		o.Page, o.Rect, o.Image = 1, VisibleRect{300, 100, 420, 220}, sealPNG(t)
		res, err := SignFile(context.Background(), in, out, o)
		if err != nil {
			t.Fatalf("%s: %v", lvl, err)
		}
		want := 1
		if lvl == LevelBLTA {
			want = 2
		}
		t.Logf("%s: %+v", lvl, res)
		e.c.check(out, want)
		if lvl == LevelBLT {
			e.c.assertLTV(out)
		}
	}
}
