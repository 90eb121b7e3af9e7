package assets

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// gb2312 returns the characters of the GB2312 region (rows A1–F7, cells A1–FE), decoded with
// the GBK decoder (a superset with identical mappings there); user-defined cells are skipped.
func gb2312() []rune {
	var out []rune
	d := simplifiedchinese.GBK.NewDecoder()
	for b1 := 0xA1; b1 <= 0xF7; b1++ {
		for b2 := 0xA1; b2 <= 0xFE; b2++ {
			s, err := d.Bytes([]byte{byte(b1), byte(b2)})
			if err != nil {
				continue
			}
			r := []rune(string(s))
			if len(r) == 1 && r[0] != '\uFFFD' && (r[0] < 0xE000 || r[0] > 0xF8FF) {
				out = append(out, r[0])
			}
		}
	}
	return out
}

func TestFontsParseAndCoverGB2312(t *testing.T) {
	chars := gb2312()
	hanzi := 0
	for _, r := range chars {
		if r >= 0x4E00 && r <= 0x9FFF {
			hanzi++
		}
	}
	// 6763 hanzi in levels 1 and 2 (rows B0–F7)
	if hanzi < 6763 || len(chars) < 7400 {
		t.Fatalf("decoded %d GB2312 characters (%d hanzi), want ≥7400 (6763 hanzi)", len(chars), hanzi)
	}
	extra := []rune("ASCII abc 123 『』「」【】、。，：；！？（）《》—…·￥")
	faces := []struct {
		name string
		data []byte
	}{{"SansRegular", SansRegular}, {"SansBold", SansBold}, {"SerifBold", SerifBold}, {"FangSong", FangSong}}
	for _, f := range faces {
		t.Run(f.name, func(t *testing.T) {
			if n := len(f.data); n < 1<<20 || n > 3<<20 {
				t.Errorf("size %d bytes, want a GB2312 subset of 1–3 MB", n)
			}
			font, err := opentype.Parse(f.data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			var buf sfnt.Buffer
			var missing []rune
			for _, r := range append(chars, extra...) {
				if r == ' ' {
					continue
				}
				gi, err := font.GlyphIndex(&buf, r)
				if err != nil || gi == 0 {
					missing = append(missing, r)
				}
			}
			// GB2312 row A6–A8 has a handful of symbols (e.g. some Zhuyin) that Noto SC lacks;
			// no hanzi and no punctuation may be missing.
			for _, r := range missing {
				if r >= 0x4E00 && r <= 0x9FFF || strings.ContainsRune(string(extra), r) {
					t.Errorf("%s has no glyph for %q (U+%04X)", f.name, r, r)
				}
			}
			if len(missing) > 40 {
				t.Errorf("%s misses %d GB2312 characters: %q", f.name, len(missing), string(missing))
			}
		})
	}
}

func TestIcon(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(Icon))
	if err != nil {
		t.Fatalf("icon: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 512 || b.Dy() != 512 {
		t.Fatalf("icon is %v, want 512×512", b)
	}
	// the centre of the ring's stroke is seal red
	r, g, b, a := img.At(256, 26).RGBA()
	if a < 0xF000 || r < 0xA000 || g > 0x5000 || b > 0x5000 {
		t.Errorf("ring pixel is %x %x %x %x, want opaque red", r, g, b, a)
	}
}
