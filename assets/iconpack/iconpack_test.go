package iconpack

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/assets"
)

func appIcon(t *testing.T) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(assets.Icon))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// The .ico lists every size, each entry points at a PNG of that size, and the same icon gives
// the same bytes (so the build may generate it instead of committing it).
func TestICO(t *testing.T) {
	b, err := ICO(appIcon(t))
	if err != nil {
		t.Fatal(err)
	}
	var hdr [3]uint16
	binary.Read(bytes.NewReader(b), binary.LittleEndian, &hdr)
	if hdr[0] != 0 || hdr[1] != 1 || int(hdr[2]) != len(ICOSizes) {
		t.Fatalf("ICONDIR %v", hdr)
	}
	for i, n := range ICOSizes {
		e := b[6+16*i : 6+16*(i+1)]
		size := binary.LittleEndian.Uint32(e[8:])
		off := binary.LittleEndian.Uint32(e[12:])
		w := int(e[0])
		if w == 0 {
			w = 256
		}
		if w != n {
			t.Errorf("entry %d: width %d, want %d", i, w, n)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b[off : off+size]))
		if err != nil || cfg.Width != n || cfg.Height != n {
			t.Errorf("entry %d: %v %dx%d, want %d px", i, err, cfg.Width, cfg.Height, n)
		}
	}
	again, _ := ICO(appIcon(t))
	if !bytes.Equal(b, again) {
		t.Error("two encodings of the same icon differ")
	}
	// an independent reader: ImageMagick lists the sizes
	if _, err := exec.LookPath("identify"); err != nil {
		t.Skip("ImageMagick identify is not installed: the independent check of the .ico is skipped")
	}
	p := filepath.Join(t.TempDir(), "a.ico")
	os.WriteFile(p, b, 0o644)
	out, err := exec.Command("identify", p).CombinedOutput()
	if err != nil {
		t.Fatalf("identify: %v\n%s", err, out)
	}
	for _, n := range []string{"16x16", "48x48", "256x256"} {
		if !strings.Contains(string(out), n) {
			t.Errorf("identify does not list %s:\n%s", n, out)
		}
	}
}

// The .icns is a chain of typed PNG elements whose lengths add up to the file's.
func TestICNS(t *testing.T) {
	b, err := ICNS(appIcon(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:4]) != "icns" || int(binary.BigEndian.Uint32(b[4:])) != len(b) {
		t.Fatalf("header %q %d, file %d bytes", b[:4], binary.BigEndian.Uint32(b[4:]), len(b))
	}
	seen := map[string]int{}
	for off := 8; off < len(b); {
		typ := string(b[off : off+4])
		n := int(binary.BigEndian.Uint32(b[off+4:]))
		if n < 8 || off+n > len(b) {
			t.Fatalf("element %q at %d: length %d", typ, off, n)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b[off+8 : off+n]))
		if err != nil {
			t.Fatalf("element %q: %v", typ, err)
		}
		seen[typ] = cfg.Width
		off += n
	}
	for typ, want := range map[string]int{"icp4": 16, "ic07": 128, "ic09": 512, "ic14": 512} {
		if seen[typ] != want {
			t.Errorf("%s: %d px, want %d", typ, seen[typ], want)
		}
	}
	again, _ := ICNS(appIcon(t))
	if !bytes.Equal(b, again) {
		t.Error("two encodings of the same icon differ")
	}
}

func TestRefusesBadSources(t *testing.T) {
	if _, err := ICO(image.NewNRGBA(image.Rect(0, 0, 300, 200))); err == nil || !strings.Contains(err.Error(), "square") {
		t.Errorf("non-square: %v", err)
	}
	if _, err := ICNS(image.NewNRGBA(image.Rect(0, 0, 256, 256))); err == nil || !strings.Contains(err.Error(), "512") {
		t.Errorf("too small: %v", err)
	}
}
