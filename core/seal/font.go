package seal

import (
	"fmt"
	"strings"
	"sync"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// face is one parsed font plus the metrics the layout needs, with a cache of glyph outlines.
type face struct {
	name string
	f    *sfnt.Font
	upem float64
	// centre is the y (in em, y down, baseline 0) of the middle of the box the text height
	// measures: the ideographic em box for CJK faces, the cap height for the Latin face.
	centre float64
	// height is the text height in em: 1 for CJK (the character body), the cap height for Latin.
	height float64

	mu    sync.Mutex
	cache map[rune]*glyph
}

// glyph is an outline in em units (y down, origin on the baseline at the left side bearing).
type glyph struct {
	path    Path
	advance float64
	ok      bool // the font has the rune
}

func newFace(name string, data []byte, cjk bool) (*face, error) {
	f, err := parseFont(data)
	if err != nil {
		return nil, fmt.Errorf("failed to parse font %s: %w", name, err)
	}
	fc := &face{name: name, f: f, upem: float64(f.UnitsPerEm()), cache: map[rune]*glyph{}}
	if cjk {
		// The ideographic em box runs from 0.88 em above the baseline to 0.12 em below it.
		fc.centre, fc.height = -0.38, 1
	} else {
		var buf sfnt.Buffer
		m, err := f.Metrics(&buf, fixed.I(int(fc.upem)), 0)
		if err != nil {
			return nil, fmt.Errorf("failed to read metrics of %s: %w", name, err)
		}
		capH := float64(m.CapHeight) / 64 / fc.upem
		if capH <= 0 {
			capH = 0.716
		}
		fc.centre, fc.height = -capH/2, capH
	}
	return fc, nil
}

// glyph returns the outline of r; ok is false when the font has no glyph for it.
func (fc *face) glyph(r rune) *glyph {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if g, ok := fc.cache[r]; ok {
		return g
	}
	g := &glyph{}
	var buf sfnt.Buffer
	gi, err := fc.f.GlyphIndex(&buf, r)
	if err == nil && gi != 0 {
		ppem := fixed.I(int(fc.upem))
		segs, err1 := fc.f.LoadGlyph(&buf, gi, ppem, nil)
		adv, err2 := fc.f.GlyphAdvance(&buf, gi, ppem, 0)
		if err1 == nil && err2 == nil {
			g.ok = true
			g.advance = float64(adv) / 64 / fc.upem
			k := 1.0 / 64 / fc.upem
			pt := func(p fixed.Point26_6) Pt { return Pt{float64(p.X) * k, float64(p.Y) * k} }
			open := false
			for _, s := range segs {
				switch s.Op {
				case sfnt.SegmentOpMoveTo:
					if open {
						g.path.close()
					}
					g.path.moveTo(pt(s.Args[0]))
					open = true
				case sfnt.SegmentOpLineTo:
					g.path.lineTo(pt(s.Args[0]))
				case sfnt.SegmentOpQuadTo:
					g.path.quadTo(pt(s.Args[0]), pt(s.Args[1]))
				case sfnt.SegmentOpCubeTo:
					g.path.cubeTo(pt(s.Args[0]), pt(s.Args[1]), pt(s.Args[2]))
				}
			}
			if open {
				g.path.close()
			}
		}
	}
	fc.cache[r] = g
	return g
}

// has reports whether the font has a glyph for r (space counts as present).
func (fc *face) has(r rune) bool { return r == ' ' || fc.glyph(r).ok }

// place returns the outline of g with its text box (advance × text height) centred at c, the
// box h mm high and xs·h·advance/height mm wide (xs the width factor), turned by theta.
func (fc *face) place(g *glyph, c Pt, h, xs, ys, theta float64) Path {
	k := h / fc.height
	m := translate(-g.advance/2, -fc.centre).
		then(scale(k*xs, k*ys)).
		then(rotate(theta)).
		then(translate(c.X, c.Y))
	return g.path.transform(m)
}

// width is the advance of g in mm at text height h and width factor xs.
func (fc *face) width(g *glyph, h, xs float64) float64 { return g.advance * h / fc.height * xs }

// fontSet is the faces a seal is drawn with.
type fontSet struct {
	song, fangsong, hei, latin *face
}

// pick returns the CJK face for f, or def when f is FontDefault.
func (fs *fontSet) pick(f Font, def *face) *face {
	switch f {
	case FontSong:
		return fs.song
	case FontFangSong:
		return fs.fangsong
	case FontHei:
		return fs.hei
	}
	return def
}

var (
	fontsOnce sync.Once
	fontsVal  *fontSet
	fontsErr  error
)

func loadFonts() (*fontSet, error) {
	fontsOnce.Do(func() {
		fontsVal, fontsErr = parseFonts()
	})
	return fontsVal, fontsErr
}

func parseFonts() (*fontSet, error) {
	var fs fontSet
	var err error
	if fs.song, err = newFace("song", songData(), true); err != nil {
		return nil, err
	}
	if fs.fangsong, err = newFace("fangsong", fangsongData(), true); err != nil {
		return nil, err
	}
	if fs.hei, err = newFace("hei", heiData(), true); err != nil {
		return nil, err
	}
	if fs.latin, err = newFace("latin", latinTTF, false); err != nil {
		return nil, err
	}
	return &fs, nil
}

// parseFont parses a font file, or from a collection the Simplified Chinese member.
func parseFont(data []byte) (*sfnt.Font, error) {
	f, err := sfnt.Parse(data)
	if err == nil {
		return f, nil
	}
	c, cerr := sfnt.ParseCollection(data)
	if cerr != nil {
		return nil, err
	}
	var buf sfnt.Buffer
	for i := 0; i < c.NumFonts(); i++ {
		f, err := c.Font(i)
		if err != nil {
			return nil, err
		}
		if n, _ := f.Name(&buf, sfnt.NameIDFull); strings.Contains(n, " SC") {
			return f, nil
		}
	}
	return c.Font(0)
}
