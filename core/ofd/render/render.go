// Package render draws the pages of an OFD package (core/ofd) for what e-invoices and notices
// use: text with the package's embedded fonts or, when a font is not embedded or cannot be read,
// the CJK faces SealDesk ships (assets); paths (AbbreviatedData: move, line, quadratic and cubic
// curves, elliptical arcs, close) filled with a colour or an axial or radial shading; text in
// any ReadDirection and CharDirection (vertical text); images (PNG, JPEG, GIF, BMP); templates;
// annotation appearances; and the seal pictures of signatures at their StampAnnot boundaries
// with their clip, which the caller passes (core/verify decodes the seals).
//
// # What it does not draw
//
// JBIG2 images are decoded by core/jbig2 (ours: no Go JBIG2 decoder could be had here — the
// module proxy refuses the pure-Go github.com/dkrisman/gobig2, the others are internal packages
// of PDF libraries), which does the arithmetic-coded generic regions that invoices' QR codes
// use. One it refuses (symbol dictionaries and text regions, halftones, refinement, MMR: scanned
// pages) is drawn as a grey, crossed box labelled JBIG2 at its place and counted in
// Result.Placeholders — never left blank as if the page had nothing there.
//
// It refuses nothing loudly: an object it cannot draw (a composite object, an image that does
// not decode) is skipped and counted in Result.Skipped, so a page always comes out. Coordinates are
// millimetres from the page's top-left corner, y down (GB/T 33190); the image has dpi pixels per
// inch. Work is bounded by the package's own limits (core/ofd) and by MaxObjects per page.
package render

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif"  // images
	_ "image/jpeg" // images
	_ "image/png"  // images
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"sync"

	"sealdesk/assets"
	"sealdesk/core/jbig2"
	"sealdesk/core/ofd"

	_ "golang.org/x/image/bmp" // images
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// MaxObjects bounds the objects drawn on one page (templates and annotations included).
const MaxObjects = 200000

// MaxPixels bounds the image of one page.
const MaxPixels = 64 << 20

// Stamp is a seal picture to draw on a page.
type Stamp struct {
	Page    int // 0-based page index
	Picture image.Image
	Box     ofd.Box // mm
	Clip    ofd.Box // relative to Box, mm
	HasClip bool
}

// Result says what a render drew.
type Result struct {
	Objects int
	Skipped int // objects it could not draw
	// Placeholders are images drawn as a marked grey box instead of their pixels: JBIG2 that
	// core/jbig2 does not decode (see the package doc).
	Placeholders int
}

// Document draws the pages of one document of a package; it caches fonts and resources and is
// safe for concurrent use.
type Document struct {
	pkg *ofd.Package
	doc *ofd.Document
	// Transparent leaves the page background transparent instead of white (seal pictures).
	Transparent bool

	mu        sync.Mutex
	res       *resources
	fonts     map[string]*sfnt.Font
	images    map[string]image.Image
	annots    map[string][]string // page ID → annotation parts
	annotsErr error
}

// NewDocument prepares document index doc of pkg for drawing.
func NewDocument(pkg *ofd.Package, doc int) (*Document, error) {
	if doc < 0 || doc >= len(pkg.Documents) {
		return nil, fmt.Errorf("document %d of %d", doc+1, len(pkg.Documents))
	}
	return &Document{pkg: pkg, doc: pkg.Documents[doc], fonts: map[string]*sfnt.Font{}, images: map[string]image.Image{}}, nil
}

// PageCount is the number of pages.
func (d *Document) PageCount() int { return len(d.doc.Pages) }

// PageSize is the page's physical box in millimetres.
func (d *Document) PageSize(page int) (w, h float64, err error) {
	b, err := d.pageBox(page)
	return b.W, b.H, err
}

func (d *Document) pageBox(page int) (ofd.Box, error) {
	if page < 0 || page >= len(d.doc.Pages) {
		return ofd.Box{}, fmt.Errorf("page %d of %d", page+1, len(d.doc.Pages))
	}
	box := d.doc.PhysicalBox
	if b, ok := d.pkg.Part(d.doc.Pages[page].Loc); ok {
		// A page's own Area overrides the document's (read cheaply: only the first element).
		if i := bytes.Index(b, []byte("PhysicalBox>")); i >= 0 && i < 4096 {
			if j := bytes.IndexByte(b[i+12:], '<'); j > 0 {
				if pb, ok := ofd.ParseBox(string(b[i+12 : i+12+j])); ok {
					box = pb
				}
			}
		}
	}
	if box.W <= 0 || box.H <= 0 {
		box = ofd.Box{W: 210, H: 297}
	}
	return box, nil
}

// xnode is an XML element: local name, attributes, children and text.
type xnode struct {
	name  string
	attr  map[string]string
	kids  []*xnode
	text  string
	depth int
}

func (n *xnode) get(k string) string { return n.attr[k] }

func (n *xnode) child(name string) *xnode {
	for _, c := range n.kids {
		if c.name == name {
			return c
		}
	}
	return nil
}

var errTooDeep = errors.New("xml nesting deeper than 64")

func parseXML(b []byte) (*xnode, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	var stack []*xnode
	var root *xnode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return root, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: t.Name.Local, attr: map[string]string{}}
			for _, a := range t.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else if root == nil {
				root = n
			}
			if len(stack) >= 64 {
				return root, errTooDeep
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("empty xml")
	}
	return root, nil
}

// resources are the document's fonts, media and draw parameters (PublicRes, DocumentRes and
// page resources merged by ID).
type resources struct {
	fonts  map[string]*xnode
	fontAt map[string]string // font ID → font file part
	media  map[string]string // image ID → part
	format map[string]string // image ID → MultiMedia Format (upper case)
	params map[string]*xnode
}

func (d *Document) loadRes(extra []string) *resources {
	r := &resources{fonts: map[string]*xnode{}, fontAt: map[string]string{}, media: map[string]string{}, format: map[string]string{}, params: map[string]*xnode{}}
	for _, loc := range append(append([]string(nil), d.doc.PublicRes...), extra...) {
		b, ok := d.pkg.Part(loc)
		if !ok {
			continue
		}
		x, err := parseXML(b)
		if err != nil || x == nil {
			continue
		}
		base := path.Dir(loc)
		if bl := x.get("BaseLoc"); bl != "" {
			if p, err := ofd.Resolve(loc, bl); err == nil {
				base = p
			}
		}
		resolve := func(f string) string {
			f = strings.TrimSpace(f)
			if strings.HasPrefix(f, "/") {
				return strings.TrimPrefix(path.Clean(f), "/")
			}
			p, err := ofd.Resolve(base+"/x", f)
			if err != nil {
				return ""
			}
			return p
		}
		for _, sec := range x.kids {
			for _, it := range sec.kids {
				id := it.get("ID")
				switch it.name {
				case "Font":
					r.fonts[id] = it
					if ff := it.child("FontFile"); ff != nil {
						r.fontAt[id] = resolve(ff.text)
					}
				case "MultiMedia":
					if mf := it.child("MediaFile"); mf != nil {
						r.media[id] = resolve(mf.text)
					}
					r.format[id] = strings.ToUpper(strings.TrimSpace(it.get("Format")))
				case "DrawParam":
					r.params[id] = it
				}
			}
		}
	}
	return r
}

// Render draws page (0-based) at dpi with the seal pictures of stamps that are on it.
func (d *Document) Render(ctx context.Context, page int, dpi float64, stamps []Stamp) (*image.RGBA, Result, error) {
	var res Result
	box, err := d.pageBox(page)
	if err != nil {
		return nil, res, err
	}
	k := dpi / 25.4
	w, h := int(math.Ceil(box.W*k)), int(math.Ceil(box.H*k))
	if w <= 0 || h <= 0 || w*h > MaxPixels {
		return nil, res, fmt.Errorf("page image of %d×%d pixels is above the limit", w, h)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	if !d.Transparent {
		draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	}
	d.mu.Lock()
	if d.res == nil {
		d.res = d.loadRes(nil)
	}
	d.mu.Unlock()
	p := &painter{d: d, ctx: ctx, img: img, k: k, ox: -box.X, oy: -box.Y, res: &res}
	pg := d.doc.Pages[page]
	b, ok := d.pkg.Part(pg.Loc)
	if !ok {
		return img, res, fmt.Errorf("%w: %s", ofd.ErrMissingPart, pg.Loc)
	}
	x, err := parseXML(b)
	if err != nil && x == nil {
		return img, res, fmt.Errorf("%s: %w", pg.Loc, err)
	}
	// Page resources (PageRes) join the document's for this page.
	if pr := x.child("PageRes"); pr != nil {
		if loc, err := ofd.Resolve(pg.Loc, pr.text); err == nil {
			extra := d.loadRes([]string{loc})
			p.local = extra
		}
	}
	var fore []*xnode
	for _, t := range x.kids {
		if t.name != "Template" {
			continue
		}
		if loc, ok := d.doc.Templates[t.get("TemplateID")]; ok {
			if tb, ok := d.pkg.Part(loc); ok {
				if tx, _ := parseXML(tb); tx != nil {
					if t.get("ZOrder") == "Foreground" {
						fore = append(fore, tx)
					} else {
						p.content(tx)
					}
				}
			}
		}
	}
	p.content(x)
	for _, tx := range fore {
		p.content(tx)
	}
	d.drawAnnots(p, pg)
	for _, s := range stamps {
		if s.Page == page && s.Picture != nil {
			p.stamp(s)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, res, err
	}
	return img, res, nil
}

func (d *Document) drawAnnots(p *painter, pg *ofd.Page) {
	d.mu.Lock()
	if d.annots == nil {
		d.annots = map[string][]string{}
		if b, ok := d.pkg.Part(d.doc.Annotations); ok && d.doc.Annotations != "" {
			if x, _ := parseXML(b); x != nil {
				for _, pa := range x.kids {
					if pa.name != "Page" {
						continue
					}
					if fl := pa.child("FileLoc"); fl != nil {
						if loc, err := ofd.Resolve(d.doc.Annotations, fl.text); err == nil {
							d.annots[pa.get("PageID")] = append(d.annots[pa.get("PageID")], loc)
						}
					}
				}
			}
		}
	}
	locs := d.annots[pg.ID]
	d.mu.Unlock()
	for _, loc := range locs {
		b, ok := d.pkg.Part(loc)
		if !ok {
			continue
		}
		x, _ := parseXML(b)
		if x == nil {
			continue
		}
		for _, an := range x.kids {
			if an.name != "Annot" || an.get("Visible") == "false" {
				continue
			}
			ap := an.child("Appearance")
			if ap == nil {
				continue
			}
			bx, _ := ofd.ParseBox(ap.get("Boundary"))
			sub := *p
			sub.ox, sub.oy = p.ox+bx.X, p.oy+bx.Y
			sub.objects(ap.kids, nil)
		}
	}
}

// painter draws objects in page millimetres (offset ox, oy) onto img.
type painter struct {
	d      *Document
	ctx    context.Context
	img    *image.RGBA
	k      float64 // pixels per mm
	ox, oy float64 // added to every coordinate (mm)
	local  *resources
	res    *Result
}

func (p *painter) content(x *xnode) {
	if c := x.child("Content"); c != nil {
		for _, layer := range c.kids {
			if layer.name == "Layer" {
				p.objects(layer.kids, p.param(layer.get("DrawParam")))
			}
		}
	}
}

func (p *painter) param(id string) *xnode {
	if id == "" {
		return nil
	}
	if p.local != nil {
		if n, ok := p.local.params[id]; ok {
			return n
		}
	}
	return p.d.res.params[id]
}

func (p *painter) objects(list []*xnode, dp *xnode) {
	for _, o := range list {
		if p.ctx.Err() != nil || p.res.Objects >= MaxObjects {
			return
		}
		p.res.Objects++
		odp := dp
		if id := o.get("DrawParam"); id != "" {
			odp = p.param(id)
		}
		switch o.name {
		case "TextObject":
			p.text(o, odp)
		case "PathObject":
			p.path(o, odp)
		case "ImageObject":
			p.image(o)
		case "PageBlock":
			p.objects(o.kids, odp)
		default:
			p.res.Skipped++
		}
	}
}

// affine is a 2×3 matrix [a b c d e f] as OFD writes CTM: x' = a x + c y + e, y' = b x + d y + f.
type affine [6]float64

var identity = affine{1, 0, 0, 1, 0, 0}

func parseCTM(s string) affine {
	f := numbers(s)
	if len(f) != 6 {
		return identity
	}
	return affine{f[0], f[1], f[2], f[3], f[4], f[5]}
}

func (m affine) apply(x, y float64) (float64, float64) {
	return m[0]*x + m[2]*y + m[4], m[1]*x + m[3]*y + m[5]
}

func numbers(s string) []float64 {
	var out []float64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil
		}
		out = append(out, v)
	}
	return out
}

// toPx maps object-local coordinates (after CTM, relative to the boundary's origin) to pixels.
func (p *painter) toPx(bx ofd.Box, m affine) func(x, y float64) (float32, float32) {
	return func(x, y float64) (float32, float32) {
		x, y = m.apply(x, y)
		return float32((x + bx.X + p.ox) * p.k), float32((y + bx.Y + p.oy) * p.k)
	}
}

func parseColor(n *xnode, def color.NRGBA, alpha uint8) color.NRGBA {
	c := def
	if n != nil {
		var v []float64
		for _, f := range strings.Fields(n.get("Value")) {
			if strings.HasPrefix(f, "#") {
				x, _ := strconv.ParseUint(f[1:], 16, 8)
				v = append(v, float64(x))
			} else {
				x, _ := strconv.ParseFloat(f, 64)
				v = append(v, x)
			}
		}
		switch len(v) {
		case 1:
			c = color.NRGBA{uint8(v[0]), uint8(v[0]), uint8(v[0]), 255}
		case 3:
			c = color.NRGBA{uint8(v[0]), uint8(v[1]), uint8(v[2]), 255}
		case 4:
			cy, mg, ye, bk := v[0]/255, v[1]/255, v[2]/255, v[3]/255
			c = color.NRGBA{uint8(255 * (1 - cy) * (1 - bk)), uint8(255 * (1 - mg) * (1 - bk)), uint8(255 * (1 - ye) * (1 - bk)), 255}
		}
		if a := n.get("Alpha"); a != "" {
			x, _ := strconv.Atoi(a)
			c.A = uint8(max(0, min(255, x)))
		}
	}
	if alpha != 255 {
		c.A = uint8(int(c.A) * int(alpha) / 255)
	}
	return c
}

func objAlpha(o *xnode) uint8 {
	if a := o.get("Alpha"); a != "" {
		x, err := strconv.Atoi(a)
		if err == nil {
			return uint8(max(0, min(255, x)))
		}
	}
	return 255
}

func colorOf(o, dp *xnode, name string, def color.NRGBA) color.NRGBA {
	return parseColor(colorNode(o, dp, name), def, objAlpha(o))
}

// colorNode is the object's colour element name, else its draw parameter's.
func colorNode(o, dp *xnode, name string) *xnode {
	n := o.child(name)
	if n == nil && dp != nil {
		n = dp.child(name)
	}
	return n
}

func boolAttr(o *xnode, name string, def bool) bool {
	switch o.get(name) {
	case "true":
		return true
	case "false":
		return false
	}
	return def
}

// shape collects a path in page pixels; it is rasterized within its own bounds only (a
// rasterizer the size of the page per object made a page take seconds).
type shape struct {
	ops                    []shapeOp
	minX, minY, maxX, maxY float32
}

type shapeOp struct {
	kind byte // 'M', 'L', 'Q', 'C', 'Z'
	p    [6]float32
}

func (s *shape) grow(pts ...float32) {
	for i := 0; i+1 < len(pts); i += 2 {
		x, y := pts[i], pts[i+1]
		if len(s.ops) == 0 && i == 0 || x < s.minX {
			s.minX = x
		}
		if len(s.ops) == 0 && i == 0 || y < s.minY {
			s.minY = y
		}
		if len(s.ops) == 0 && i == 0 || x > s.maxX {
			s.maxX = x
		}
		if len(s.ops) == 0 && i == 0 || y > s.maxY {
			s.maxY = y
		}
	}
}

func (s *shape) MoveTo(x, y float32) {
	s.grow(x, y)
	s.ops = append(s.ops, shapeOp{'M', [6]float32{x, y}})
}
func (s *shape) LineTo(x, y float32) {
	s.grow(x, y)
	s.ops = append(s.ops, shapeOp{'L', [6]float32{x, y}})
}
func (s *shape) QuadTo(a, b, x, y float32) {
	s.grow(a, b, x, y)
	s.ops = append(s.ops, shapeOp{'Q', [6]float32{a, b, x, y}})
}
func (s *shape) CubeTo(a, b, c, d, x, y float32) {
	s.grow(a, b, c, d, x, y)
	s.ops = append(s.ops, shapeOp{'C', [6]float32{a, b, c, d, x, y}})
}
func (s *shape) ClosePath() { s.ops = append(s.ops, shapeOp{kind: 'Z'}) }

func (p *painter) fill(s *shape, c color.NRGBA) {
	if c.A == 0 {
		return
	}
	p.fillSrc(s, image.NewUniform(c))
}

// fillSrc fills s with src, read at page pixel coordinates (a colour or a shading).
func (p *painter) fillSrc(s *shape, src image.Image) {
	if len(s.ops) == 0 {
		return
	}
	r := image.Rect(int(math.Floor(float64(s.minX)))-1, int(math.Floor(float64(s.minY)))-1,
		int(math.Ceil(float64(s.maxX)))+1, int(math.Ceil(float64(s.maxY)))+1).Intersect(p.img.Bounds())
	if r.Empty() {
		return
	}
	z := vector.NewRasterizer(r.Dx(), r.Dy())
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	for _, o := range s.ops {
		q := o.p
		switch o.kind {
		case 'M':
			z.MoveTo(q[0]-ox, q[1]-oy)
		case 'L':
			z.LineTo(q[0]-ox, q[1]-oy)
		case 'Q':
			z.QuadTo(q[0]-ox, q[1]-oy, q[2]-ox, q[3]-oy)
		case 'C':
			z.CubeTo(q[0]-ox, q[1]-oy, q[2]-ox, q[3]-oy, q[4]-ox, q[5]-oy)
		case 'Z':
			z.ClosePath()
		}
	}
	z.Draw(p.img, r, src, r.Min)
}

// path draws a PathObject.
func (p *painter) path(o, dp *xnode) {
	bx, _ := ofd.ParseBox(o.get("Boundary"))
	m := parseCTM(o.get("CTM"))
	tr := p.toPx(bx, m)
	ad := o.child("AbbreviatedData")
	if ad == nil {
		p.res.Skipped++
		return
	}
	subs := flatten(ad.text)
	black := color.NRGBA{0, 0, 0, 255}
	if boolAttr(o, "Fill", false) {
		r := &shape{}
		for _, s := range subs {
			for i, pt := range s.pts {
				x, y := tr(pt[0], pt[1])
				if i == 0 {
					r.MoveTo(x, y)
				} else {
					r.LineTo(x, y)
				}
			}
			r.ClosePath()
		}
		inv := p.inverse(bx, m)
		if sh := shadingOf(colorNode(o, dp, "FillColor"), objAlpha(o)); sh != nil && inv != nil {
			sh.inv = inv
			p.fillSrc(r, sh)
		} else {
			p.fill(r, colorOf(o, dp, "FillColor", black))
		}
	}
	if boolAttr(o, "Stroke", true) {
		lw := 0.353
		if dp != nil && dp.get("LineWidth") != "" {
			lw, _ = strconv.ParseFloat(dp.get("LineWidth"), 64)
		}
		if v := o.get("LineWidth"); v != "" {
			lw, _ = strconv.ParseFloat(v, 64)
		}
		scale := math.Sqrt(math.Abs(m[0]*m[3] - m[1]*m[2]))
		if scale == 0 {
			scale = 1
		}
		wpx := math.Max(lw*scale*p.k, 0.7)
		r := &shape{}
		for _, s := range subs {
			pts := s.pts
			if s.closed && len(pts) > 1 {
				pts = append(pts, pts[0])
			}
			var prev [2]float32
			for i, pt := range pts {
				x, y := tr(pt[0], pt[1])
				if i > 0 {
					strokeSeg(r, prev[0], prev[1], x, y, float32(wpx))
				}
				prev = [2]float32{x, y}
			}
		}
		p.fill(r, colorOf(o, dp, "StrokeColor", black))
	}
}

// strokeSeg adds a segment of width w with square ends (joins overlap).
func strokeSeg(r *shape, x0, y0, x1, y1, w float32) {
	dx, dy := x1-x0, y1-y0
	l := float32(math.Hypot(float64(dx), float64(dy)))
	if l == 0 {
		return
	}
	nx, ny := -dy/l*w/2, dx/l*w/2
	ex, ey := dx/l*w/2, dy/l*w/2
	r.MoveTo(x0+nx-ex, y0+ny-ey)
	r.LineTo(x1+nx+ex, y1+ny+ey)
	r.LineTo(x1-nx+ex, y1-ny+ey)
	r.LineTo(x0-nx-ex, y0-ny-ey)
	r.ClosePath()
}

type subpath struct {
	pts    [][2]float64
	closed bool
}

// flatten reads AbbreviatedData into polylines: S/M move, L line, Q quadratic, B cubic, A arc,
// C/Z close.
func flatten(s string) []subpath {
	tok := strings.Fields(s)
	var out []subpath
	var cur *subpath
	var x, y float64
	num := func(i int) (float64, bool) {
		if i >= len(tok) {
			return 0, false
		}
		v, err := strconv.ParseFloat(tok[i], 64)
		return v, err == nil
	}
	nums := func(i, n int) ([]float64, bool) {
		v := make([]float64, n)
		for j := range v {
			f, ok := num(i + j)
			if !ok {
				return nil, false
			}
			v[j] = f
		}
		return v, true
	}
	add := func(px, py float64) {
		if cur == nil {
			out = append(out, subpath{pts: [][2]float64{{x, y}}})
			cur = &out[len(out)-1]
		}
		cur.pts = append(cur.pts, [2]float64{px, py})
		x, y = px, py
	}
	for i := 0; i < len(tok) && len(out) < 100000; {
		switch tok[i] {
		case "S", "M":
			v, ok := nums(i+1, 2)
			if !ok {
				return out
			}
			x, y = v[0], v[1]
			out = append(out, subpath{pts: [][2]float64{{x, y}}})
			cur = &out[len(out)-1]
			i += 3
		case "L":
			v, ok := nums(i+1, 2)
			if !ok {
				return out
			}
			add(v[0], v[1])
			i += 3
		case "Q":
			v, ok := nums(i+1, 4)
			if !ok {
				return out
			}
			x0, y0 := x, y
			for t := 1; t <= 8; t++ {
				u := float64(t) / 8
				add((1-u)*(1-u)*x0+2*(1-u)*u*v[0]+u*u*v[2], (1-u)*(1-u)*y0+2*(1-u)*u*v[1]+u*u*v[3])
			}
			i += 5
		case "B":
			v, ok := nums(i+1, 6)
			if !ok {
				return out
			}
			x0, y0 := x, y
			for t := 1; t <= 12; t++ {
				u := float64(t) / 12
				a, b, c, d := (1-u)*(1-u)*(1-u), 3*(1-u)*(1-u)*u, 3*(1-u)*u*u, u*u*u
				add(a*x0+b*v[0]+c*v[2]+d*v[4], a*y0+b*v[1]+c*v[3]+d*v[5])
			}
			i += 7
		case "A":
			v, ok := nums(i+1, 7)
			if !ok {
				return out
			}
			for _, pt := range arcPoints(x, y, v[0], v[1], v[2], v[3] != 0, v[4] != 0, v[5], v[6]) {
				add(pt[0], pt[1])
			}
			i += 8
		case "C", "Z":
			if cur != nil {
				cur.closed = true
				x, y = cur.pts[0][0], cur.pts[0][1]
				cur = nil
			}
			i++
		default:
			i++
		}
	}
	return out
}

// arcPoints flattens the OFD arc "A rx ry angle large sweep x y" from (x0, y0): an elliptical
// arc in SVG's endpoint form (GB/T 33190 §9.3.2 takes it from there), y down, so sweep 1 turns
// clockwise on the page. Radii too small to reach the end point are scaled up (SVG F.6.6); a
// zero radius or the same end point gives a line. The points end at (x, y).
func arcPoints(x0, y0, rx, ry, angle float64, large, sweep bool, x, y float64) [][2]float64 {
	rx, ry = math.Abs(rx), math.Abs(ry)
	if rx == 0 || ry == 0 || x0 == x && y0 == y || math.IsNaN(rx+ry+angle) || math.IsInf(rx+ry+angle, 0) {
		return [][2]float64{{x, y}}
	}
	phi := angle * math.Pi / 180
	cs, sn := math.Cos(phi), math.Sin(phi)
	// F.6.5: centre parameterisation.
	dx, dy := (x0-x)/2, (y0-y)/2
	x1, y1 := cs*dx+sn*dy, -sn*dx+cs*dy
	if l := x1*x1/(rx*rx) + y1*y1/(ry*ry); l > 1 {
		rx, ry = rx*math.Sqrt(l), ry*math.Sqrt(l)
	}
	num := rx*rx*ry*ry - rx*rx*y1*y1 - ry*ry*x1*x1
	den := rx*rx*y1*y1 + ry*ry*x1*x1
	co := math.Sqrt(math.Max(0, num/den))
	if large == sweep {
		co = -co
	}
	cx1, cy1 := co*rx*y1/ry, -co*ry*x1/rx
	cx, cy := cs*cx1-sn*cy1+(x0+x)/2, sn*cx1+cs*cy1+(y0+y)/2
	ang := func(ux, uy, vx, vy float64) float64 { return math.Atan2(ux*vy-uy*vx, ux*vx+uy*vy) }
	t1 := ang(1, 0, (x1-cx1)/rx, (y1-cy1)/ry)
	dt := ang((x1-cx1)/rx, (y1-cy1)/ry, (-x1-cx1)/rx, (-y1-cy1)/ry)
	if !sweep && dt > 0 {
		dt -= 2 * math.Pi
	} else if sweep && dt < 0 {
		dt += 2 * math.Pi
	}
	// About one segment per 6 degrees, at least 4, at most 120.
	n := int(math.Min(120, math.Max(4, math.Abs(dt)*30/math.Pi)))
	pts := make([][2]float64, 0, n)
	for i := 1; i < n; i++ {
		t := t1 + dt*float64(i)/float64(n)
		ex, ey := rx*math.Cos(t), ry*math.Sin(t)
		pts = append(pts, [2]float64{cs*ex - sn*ey + cx, sn*ex + cs*ey + cy})
	}
	return append(pts, [2]float64{x, y})
}

// deltas expands DeltaX/DeltaY ("g 3 2.5" is three times 2.5).
func deltas(s string) []float64 {
	f := strings.Fields(s)
	var out []float64
	for i := 0; i < len(f) && len(out) < 100000; i++ {
		if f[i] == "g" && i+2 < len(f) {
			n, _ := strconv.Atoi(f[i+1])
			v, _ := strconv.ParseFloat(f[i+2], 64)
			for j := 0; j < n && len(out) < 100000; j++ {
				out = append(out, v)
			}
			i += 2
			continue
		}
		v, err := strconv.ParseFloat(f[i], 64)
		if err == nil {
			out = append(out, v)
		}
	}
	return out
}

// text draws a TextObject glyph by glyph.
func (p *painter) text(o, dp *xnode) {
	if !boolAttr(o, "Fill", true) {
		return
	}
	bx, _ := ofd.ParseBox(o.get("Boundary"))
	m := parseCTM(o.get("CTM"))
	tr := p.toPx(bx, m)
	size, _ := strconv.ParseFloat(o.get("Size"), 64)
	if size <= 0 {
		size = 3.5
	}
	hscale := 1.0
	if v, err := strconv.ParseFloat(o.get("HScale"), 64); err == nil && v > 0 {
		hscale = v
	}
	fnt := p.d.font(p, o.get("Font"), o.get("Weight"))
	if fnt == nil {
		p.res.Skipped++
		return
	}
	c := colorOf(o, dp, "FillColor", color.NRGBA{0, 0, 0, 255})
	r := &shape{}
	var buf sfnt.Buffer
	upem := float64(fnt.UnitsPerEm())
	const ppem = 1000
	scale := size / ppem // mm per loaded unit
	// ReadDirection: the way the glyphs follow each other where DeltaX/DeltaY do not say
	// (0 left to right, 90 top to bottom, 180 right to left, 270 bottom to top); CharDirection:
	// each glyph turned clockwise about its origin by that many degrees (GB/T 33190 §11.3).
	read := direction(o.get("ReadDirection"))
	turn := float64(direction(o.get("CharDirection"))) * math.Pi / 180
	cs, sn := math.Cos(turn), math.Sin(turn)
	x, y := 0.0, 0.0
	for _, tc := range o.kids {
		if tc.name != "TextCode" {
			continue
		}
		if v, err := strconv.ParseFloat(tc.get("X"), 64); err == nil {
			x = v
		}
		if v, err := strconv.ParseFloat(tc.get("Y"), 64); err == nil {
			y = v
		}
		dx, dy := deltas(tc.get("DeltaX")), deltas(tc.get("DeltaY"))
		for i, ch := range []rune(tc.text) {
			gi, err := fnt.GlyphIndex(&buf, ch)
			f := fnt
			if err != nil || gi == 0 {
				if fb := p.d.fallback(o.get("Weight")); fb != nil {
					f = fb
					gi, _ = f.GlyphIndex(&buf, ch)
				}
			}
			segs, err := f.LoadGlyph(&buf, gi, fixed.I(ppem), nil)
			if err == nil {
				pt := func(q fixed.Point26_6) (float32, float32) {
					gx, gy := float64(q.X)/64*scale*hscale, float64(q.Y)/64*scale
					return tr(x+gx*cs-gy*sn, y+gx*sn+gy*cs)
				}
				for _, s := range segs {
					switch s.Op {
					case sfnt.SegmentOpMoveTo:
						r.MoveTo(pt(s.Args[0]))
					case sfnt.SegmentOpLineTo:
						r.LineTo(pt(s.Args[0]))
					case sfnt.SegmentOpQuadTo:
						ax, ay := pt(s.Args[0])
						bx, by := pt(s.Args[1])
						r.QuadTo(ax, ay, bx, by)
					case sfnt.SegmentOpCubeTo:
						ax, ay := pt(s.Args[0])
						bx, by := pt(s.Args[1])
						cx, cy := pt(s.Args[2])
						r.CubeTo(ax, ay, bx, by, cx, cy)
					}
				}
			}
			// The advance along the reading direction: the glyph's own width across, the
			// font size (a CJK em) down or up.
			adv := size
			if read == 0 || read == 180 {
				if a, err := f.GlyphAdvance(&buf, gi, fixed.I(int(upem)), 0); err == nil {
					adv = float64(a) / 64 / upem * size * hscale
				}
			}
			switch {
			case i < len(dx):
				x += dx[i]
			case read == 0:
				x += adv
			case read == 180:
				x -= adv
			}
			switch {
			case i < len(dy):
				y += dy[i]
			case read == 90:
				y += adv
			case read == 270:
				y -= adv
			}
		}
	}
	// A shading fills the glyphs as it fills a path (in the text object's space).
	if sh := shadingOf(colorNode(o, dp, "FillColor"), objAlpha(o)); sh != nil {
		if inv := p.inverse(bx, m); inv != nil {
			sh.inv = inv
			p.fillSrc(r, sh)
			return
		}
	}
	p.fill(r, c)
}

// direction reads ReadDirection/CharDirection: 0, 90, 180 or 270 degrees (anything else is 0).
func direction(s string) int {
	switch v, _ := strconv.Atoi(strings.TrimSpace(s)); v {
	case 90, 180, 270:
		return v
	}
	return 0
}

// font returns the face of a Font resource: its embedded file, else a SealDesk CJK face chosen by
// name (黑体/Hei/Arial → sans; others → serif).
func (d *Document) font(p *painter, id, weight string) *sfnt.Font {
	res := d.res
	if p.local != nil {
		if _, ok := p.local.fonts[id]; ok {
			res = p.local
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	key := id + "|" + weight
	if f, ok := d.fonts[key]; ok {
		return f
	}
	var f *sfnt.Font
	if loc := res.fontAt[id]; loc != "" {
		if b, ok := d.pkg.Part(loc); ok {
			if pf, err := sfnt.Parse(b); err == nil {
				var buf sfnt.Buffer
				if gi, err := pf.GlyphIndex(&buf, '0'); err == nil && gi != 0 || pf.NumGlyphs() > 1 {
					f = pf
				}
			}
		}
	}
	if f == nil {
		name := ""
		if n := res.fonts[id]; n != nil {
			name = strings.ToLower(n.get("FontName") + " " + n.get("FamilyName"))
			if n.get("Bold") == "true" {
				weight = "700"
			}
		}
		f = systemFace(name, weight)
	}
	d.fonts[key] = f
	return f
}

func (d *Document) fallback(weight string) *sfnt.Font {
	return systemFace("", weight)
}

var (
	facesOnce sync.Once
	faces     map[string]*sfnt.Font
)

func systemFace(name, weight string) *sfnt.Font {
	facesOnce.Do(func() {
		faces = map[string]*sfnt.Font{}
		for k, b := range map[string][]byte{"sans": assets.SansRegular, "sans-bold": assets.SansBold, "serif": assets.FangSong, "serif-bold": assets.SerifBold} {
			if f, err := sfnt.Parse(b); err == nil {
				faces[k] = f
			}
		}
	})
	key := "serif"
	for _, s := range []string{"黑", "hei", "arial", "helvetica", "courier", "sans", "雅黑", "yahei"} {
		if strings.Contains(name, s) {
			key = "sans"
		}
	}
	if w, _ := strconv.Atoi(weight); w >= 600 || strings.Contains(name, "bold") {
		key += "-bold"
	}
	return faces[key]
}

// image draws an ImageObject: CTM maps the unit square onto the boundary.
func (p *painter) image(o *xnode) {
	id := o.get("ResourceID")
	loc, format := "", ""
	if p.local != nil {
		loc, format = p.local.media[id], p.local.format[id]
	}
	if loc == "" {
		loc, format = p.d.res.media[id], p.d.res.format[id]
	}
	bx, _ := ofd.ParseBox(o.get("Boundary"))
	m := parseCTM(o.get("CTM"))
	if o.get("CTM") == "" {
		m = affine{bx.W, 0, 0, bx.H, 0, 0}
	}
	src := p.d.decoded(loc, format)
	if src == nil && p.d.isJBIG2(loc, format) {
		p.placeholder(bx, m, "JBIG2")
		p.res.Placeholders++
		return
	}
	if src == nil {
		p.res.Skipped++
		return
	}
	sb := src.Bounds()
	// src pixel → unit square → CTM → boundary → page pixels
	s2d := func(px, py float64) (float64, float64) {
		x, y := m.apply(px/float64(sb.Dx()), py/float64(sb.Dy()))
		return (x + bx.X + p.ox) * p.k, (y + bx.Y + p.oy) * p.k
	}
	ox, oy := s2d(0, 0)
	ax, ay := s2d(1, 0)
	bx2, by2 := s2d(0, 1)
	aff := [6]float64{ax - ox, bx2 - ox, ox - (ax-ox)*float64(sb.Min.X) - (bx2-ox)*float64(sb.Min.Y),
		ay - oy, by2 - oy, oy - (ay-oy)*float64(sb.Min.X) - (by2-oy)*float64(sb.Min.Y)}
	xdraw.ApproxBiLinear.Transform(p.img, aff, src, sb, xdraw.Over, nil)
}

// jbig2Magic starts a JBIG2 file (T.88 Annex D.4.1); OFD producers also store bare segments.
var jbig2Magic = []byte{0x97, 'J', 'B', '2', 0x0D, 0x0A, 0x1A, 0x0A}

// isJBIG2 reports whether the image at loc is JBIG2: by its MultiMedia Format, its file name or
// its first bytes.
func (d *Document) isJBIG2(loc, format string) bool {
	if format == "JB2" || format == "JBIG2" || format == "GBIG2" { // GBIG2: the tax bureaus' spelling
		return true
	}
	if ext := strings.ToLower(path.Ext(loc)); ext == ".jb2" || ext == ".jbig2" {
		return true
	}
	b, ok := d.pkg.Part(loc)
	return ok && bytes.HasPrefix(b, jbig2Magic)
}

// placeholder marks the place of an image it cannot draw: the image's unit square (through m
// and the boundary) filled light grey, outlined, crossed, and labelled (in the SealDesk sans
// face, when it fits), so that a reader sees that something is there and what it is.
func (p *painter) placeholder(bx ofd.Box, m affine, label string) {
	tr := p.toPx(bx, m)
	var c [4][2]float32
	for i, u := range [4][2]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}} {
		c[i][0], c[i][1] = tr(u[0], u[1])
	}
	r := &shape{}
	r.MoveTo(c[0][0], c[0][1])
	for _, q := range c[1:] {
		r.LineTo(q[0], q[1])
	}
	r.ClosePath()
	p.fill(r, color.NRGBA{0xEC, 0xEC, 0xEC, 0xFF})
	w := float32(math.Max(1, 0.3*p.k))
	lines := &shape{}
	for i := range c {
		strokeSeg(lines, c[i][0], c[i][1], c[(i+1)%4][0], c[(i+1)%4][1], w)
	}
	strokeSeg(lines, c[0][0], c[0][1], c[2][0], c[2][1], w/2)
	strokeSeg(lines, c[1][0], c[1][1], c[3][0], c[3][1], w/2)
	p.fill(lines, color.NRGBA{0x88, 0x88, 0x88, 0xFF})
	// The label, centred, about a fifth of the box's height (at most 6 mm), on a white patch.
	face := systemFace("sans", "700")
	minX, minY, maxX, maxY := c[0][0], c[0][1], c[0][0], c[0][1]
	for _, q := range c[1:] {
		minX, minY = min(minX, q[0]), min(minY, q[1])
		maxX, maxY = max(maxX, q[0]), max(maxY, q[1])
	}
	size := math.Min(float64(maxY-minY)/5, 6*p.k)
	if face == nil || size < 6 {
		return
	}
	var buf sfnt.Buffer
	upem := float64(face.UnitsPerEm())
	width := 0.0
	for _, ch := range label {
		gi, _ := face.GlyphIndex(&buf, ch)
		if a, err := face.GlyphAdvance(&buf, gi, fixed.I(int(upem)), 0); err == nil {
			width += float64(a) / 64 / upem * size
		}
	}
	if width > float64(maxX-minX)*0.9 {
		return
	}
	x := float64(minX+maxX)/2 - width/2
	base := float64(minY+maxY)/2 + size*0.35
	patch := &shape{}
	pad := size * 0.3
	patch.MoveTo(float32(x-pad), float32(base-size*0.9))
	patch.LineTo(float32(x+width+pad), float32(base-size*0.9))
	patch.LineTo(float32(x+width+pad), float32(base+size*0.3))
	patch.LineTo(float32(x-pad), float32(base+size*0.3))
	patch.ClosePath()
	p.fill(patch, color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF})
	text := &shape{}
	for _, ch := range label {
		gi, _ := face.GlyphIndex(&buf, ch)
		if segs, err := face.LoadGlyph(&buf, gi, fixed.I(1000), nil); err == nil {
			k := size / 1000
			pt := func(q fixed.Point26_6) (float32, float32) {
				return float32(x + float64(q.X)/64*k), float32(base + float64(q.Y)/64*k)
			}
			for _, s := range segs {
				switch s.Op {
				case sfnt.SegmentOpMoveTo:
					text.MoveTo(pt(s.Args[0]))
				case sfnt.SegmentOpLineTo:
					text.LineTo(pt(s.Args[0]))
				case sfnt.SegmentOpQuadTo:
					ax, ay := pt(s.Args[0])
					bx, by := pt(s.Args[1])
					text.QuadTo(ax, ay, bx, by)
				case sfnt.SegmentOpCubeTo:
					ax, ay := pt(s.Args[0])
					bx, by := pt(s.Args[1])
					cx, cy := pt(s.Args[2])
					text.CubeTo(ax, ay, bx, by, cx, cy)
				}
			}
		}
		if a, err := face.GlyphAdvance(&buf, gi, fixed.I(int(upem)), 0); err == nil {
			x += float64(a) / 64 / upem * size
		}
	}
	p.fill(text, color.NRGBA{0x55, 0x55, 0x55, 0xFF})
}

// decoded is the image at loc (nil when it does not decode): PNG, JPEG, GIF, BMP, or JBIG2
// through core/jbig2 (which refuses what it cannot decode: the caller draws a placeholder).
func (d *Document) decoded(loc, format string) image.Image {
	if loc == "" {
		return nil
	}
	jb := d.isJBIG2(loc, format)
	d.mu.Lock()
	defer d.mu.Unlock()
	if im, ok := d.images[loc]; ok {
		return im
	}
	var im image.Image
	if b, ok := d.pkg.Part(loc); ok {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil && cfg.Width*cfg.Height <= MaxPixels {
			im, _, _ = image.Decode(bytes.NewReader(b))
		} else if jb {
			if g, err := jbig2.Decode(b, &jbig2.Limits{MaxPixels: MaxPixels}); err == nil {
				im = g
			}
		}
	}
	d.images[loc] = im
	return im
}

// stamp draws a seal picture into its boundary, clipped when the StampAnnot says so.
func (p *painter) stamp(s Stamp) {
	k := p.k
	dst := image.Rect(int((s.Box.X+p.ox)*k), int((s.Box.Y+p.oy)*k), int(math.Ceil((s.Box.X+s.Box.W+p.ox)*k)), int(math.Ceil((s.Box.Y+s.Box.H+p.oy)*k)))
	clip := dst
	if s.HasClip {
		clip = image.Rect(int((s.Box.X+s.Clip.X+p.ox)*k), int((s.Box.Y+s.Clip.Y+p.oy)*k),
			int(math.Ceil((s.Box.X+s.Clip.X+s.Clip.W+p.ox)*k)), int(math.Ceil((s.Box.Y+s.Clip.Y+s.Clip.H+p.oy)*k)))
	}
	clip = clip.Intersect(p.img.Bounds())
	if clip.Empty() || dst.Dx() <= 0 || dst.Dy() <= 0 {
		return
	}
	sub := p.img.SubImage(clip).(*image.RGBA)
	xdraw.ApproxBiLinear.Scale(sub, dst, s.Picture, s.Picture.Bounds(), xdraw.Over, nil)
}

// SealPicture turns an SES seal picture into an image: PNG, JPEG, GIF or BMP decoded, or — what
// the tax bureaus' invoice seals use — an OFD package ("ofd"), whose first page is drawn here on
// a transparent background at dpi. The OFD is read under tight limits (a picture, not a
// document).
func SealPicture(ctx context.Context, typ string, data []byte, dpi float64) (image.Image, error) {
	if strings.EqualFold(strings.TrimSpace(typ), "ofd") || bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		pkg, err := ofd.Open(ctx, bytes.NewReader(data), int64(len(data)), &ofd.Limits{MaxFileSize: 8 << 20, MaxEntries: 200,
			MaxEntrySize: 8 << 20, MaxTotalSize: 16 << 20, MaxPages: 4, MaxDocuments: 1, MaxSignatures: 1})
		if err != nil {
			return nil, fmt.Errorf("seal picture: %w", err)
		}
		d, err := NewDocument(pkg, 0)
		if err != nil {
			return nil, fmt.Errorf("seal picture: %w", err)
		}
		d.Transparent = true
		img, _, err := d.Render(ctx, 0, dpi, nil)
		if err != nil {
			return nil, fmt.Errorf("seal picture: %w", err)
		}
		return img, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("seal picture: %w", err)
	}
	if cfg.Width*cfg.Height > MaxPixels {
		return nil, fmt.Errorf("seal picture of %d×%d pixels is above the limit", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	return img, err
}
