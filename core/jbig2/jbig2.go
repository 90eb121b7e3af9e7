// Package jbig2 decodes the JBIG2 images (ITU-T T.88) that OFD files carry: the generic regions
// coded with the MQ arithmetic coder (templates 0–3, adaptive pixels, typical prediction), which
// is what the tax bureaus' invoice QR codes and most single-image encoders write, composed on
// the page by their combination operators. Input is a JBIG2 file (sequential or random-access
// organisation) or a bare sequence of segments (how PDF and some OFD producers store it); the
// first page is decoded.
//
// # What it refuses
//
// Everything else is refused with ErrUnsupported naming the segment type, so that a caller can
// draw a placeholder instead of a wrong picture: symbol dictionaries and text regions,
// halftone and pattern segments, refinement regions, MMR-coded generic regions. Every size read
// from the data is checked against Limits before anything is allocated (*LimitError), truncated
// data is an error, and the work is bounded by the pixels it may decode.
package jbig2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
)

// Errors.
var (
	// ErrUnsupported means the image uses a JBIG2 feature this package does not decode.
	ErrUnsupported = errors.New("jbig2: unsupported feature")
	// ErrFormat means the data is not well-formed JBIG2.
	ErrFormat = errors.New("jbig2: malformed data")
)

// LimitError says which limit the data exceeded.
type LimitError struct {
	Limit    string
	Max, Got int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("jbig2: %s of %d is over the limit of %d", e.Limit, e.Got, e.Max)
}

// Limits bound a decode; zero fields take the defaults.
type Limits struct {
	MaxPixels   int64 // page width × height (default 64 Mi)
	MaxSegments int   // segments read (default 10000)
}

func (l *Limits) withDefaults() Limits {
	out := Limits{MaxPixels: 64 << 20, MaxSegments: 10000}
	if l != nil {
		if l.MaxPixels > 0 {
			out.MaxPixels = l.MaxPixels
		}
		if l.MaxSegments > 0 {
			out.MaxSegments = l.MaxSegments
		}
	}
	return out
}

// fileMagic starts a JBIG2 file (T.88 D.4.1).
var fileMagic = []byte{0x97, 'J', 'B', '2', 0x0D, 0x0A, 0x1A, 0x0A}

// Segment types (T.88 7.3).
const (
	segImmGenericRegion         = 38
	segImmLosslessGenericRegion = 39
	segPageInfo                 = 48
	segEndOfPage                = 49
	segEndOfStripe              = 50
	segEndOfFile                = 51
	segProfiles                 = 52
	segTables                   = 53
	segExtension                = 62
)

type segment struct {
	number uint32
	typ    int
	page   uint32
	data   []byte
}

// Decode returns the first page of data as a black-on-white image (1 bits black).
func Decode(data []byte, lim *Limits) (*image.Gray, error) {
	l := lim.withDefaults()
	segs, err := readSegments(data, l)
	if err != nil {
		return nil, err
	}
	var pg *page
	for _, s := range segs {
		if pg == nil && s.typ != segPageInfo && s.typ != segProfiles && s.typ != segExtension && s.typ != segTables {
			if s.typ == segEndOfFile {
				break
			}
			return nil, fmt.Errorf("%w: segment type %d before the page information", ErrFormat, s.typ)
		}
		switch s.typ {
		case segPageInfo:
			if pg != nil {
				return pg.image(), nil // a second page: the first is done
			}
			if pg, err = newPage(s.data, l); err != nil {
				return nil, err
			}
		case segImmGenericRegion, segImmLosslessGenericRegion:
			if err := pg.genericRegion(s.data, l); err != nil {
				return nil, err
			}
		case segEndOfStripe:
			if len(s.data) < 4 {
				return nil, fmt.Errorf("%w: end of stripe", ErrFormat)
			}
			pg.stripeEnd(int64(binary.BigEndian.Uint32(s.data)) + 1)
		case segEndOfPage, segEndOfFile:
			return pg.image(), nil
		case segProfiles, segExtension, segTables:
			// nothing to draw
		default:
			return nil, fmt.Errorf("%w: segment type %d", ErrUnsupported, s.typ)
		}
	}
	if pg == nil {
		return nil, fmt.Errorf("%w: no page information", ErrFormat)
	}
	return pg.image(), nil
}

// readSegments reads a file (after its header) or bare segments.
func readSegments(data []byte, l Limits) ([]segment, error) {
	r := &reader{b: data}
	sequential := true
	if len(data) >= 9 && string(data[:8]) == string(fileMagic) {
		r.pos = 8
		flags, _ := r.u8()
		sequential = flags&1 == 1
		if flags&2 == 0 {
			if _, err := r.u32(); err != nil {
				return nil, err
			}
		}
	}
	var segs []segment
	var lengths []uint32
	for r.pos < len(r.b) {
		if len(segs) >= l.MaxSegments {
			return nil, &LimitError{Limit: "segments", Max: int64(l.MaxSegments), Got: int64(len(segs) + 1)}
		}
		s, n, err := r.header()
		if err != nil {
			return nil, err
		}
		if n == 0xFFFFFFFF {
			return nil, fmt.Errorf("%w: segment of unknown length", ErrUnsupported)
		}
		if sequential {
			if s.data, err = r.bytes(int(n)); err != nil {
				return nil, err
			}
		}
		segs = append(segs, s)
		lengths = append(lengths, n)
		if s.typ == segEndOfFile {
			break
		}
	}
	if !sequential {
		for i := range segs {
			var err error
			if segs[i].data, err = r.bytes(int(lengths[i])); err != nil {
				return nil, err
			}
		}
	}
	return segs, nil
}

type reader struct {
	b   []byte
	pos int
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.pos {
		return nil, fmt.Errorf("%w: %d bytes wanted at offset %d, %d left", ErrFormat, n, r.pos, len(r.b)-r.pos)
	}
	b := r.b[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

func (r *reader) u8() (uint8, error) {
	b, err := r.bytes(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (r *reader) u16() (uint16, error) {
	b, err := r.bytes(2)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint16(b), nil
}

func (r *reader) u32() (uint32, error) {
	b, err := r.bytes(4)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b), nil
}

// header reads a segment header (T.88 7.2) and returns the segment and its data length.
func (r *reader) header() (segment, uint32, error) {
	var s segment
	var err error
	if s.number, err = r.u32(); err != nil {
		return s, 0, err
	}
	flags, err := r.u8()
	if err != nil {
		return s, 0, err
	}
	s.typ = int(flags & 0x3F)
	first, err := r.u8()
	if err != nil {
		return s, 0, err
	}
	count := int(first >> 5)
	switch {
	case count == 7:
		r.pos--
		v, err := r.u32()
		if err != nil {
			return s, 0, err
		}
		count = int(v & 0x1FFFFFFF)
		if _, err := r.bytes((count + 8) / 8); err != nil { // retention flags
			return s, 0, err
		}
	case count > 4:
		return s, 0, fmt.Errorf("%w: referred-to segment count %d", ErrFormat, count)
	}
	size := 4
	if s.number <= 256 {
		size = 1
	} else if s.number <= 65536 {
		size = 2
	}
	if _, err := r.bytes(count * size); err != nil {
		return s, 0, err
	}
	if flags&0x40 != 0 {
		s.page, err = r.u32()
	} else {
		var p uint8
		p, err = r.u8()
		s.page = uint32(p)
	}
	if err != nil {
		return s, 0, err
	}
	n, err := r.u32()
	return s, n, err
}

// region is a decoded region bitmap placed on the page.
type region struct {
	bm   *bitmap
	x, y int
	op   int
}

// page collects the regions of one page; its height may be unknown until its end (striping).
type page struct {
	w, h     int64 // h < 0: unknown
	def      byte
	defOp    int
	regions  []region
	stripeH  int64
	maxPixel int64
	decoded  int64 // region pixels decoded so far
}

func newPage(b []byte, l Limits) (*page, error) {
	if len(b) < 19 {
		return nil, fmt.Errorf("%w: page information of %d bytes", ErrFormat, len(b))
	}
	w, h := int64(binary.BigEndian.Uint32(b)), int64(binary.BigEndian.Uint32(b[4:]))
	flags := b[16]
	p := &page{w: w, h: h, def: (flags >> 2) & 1, defOp: int(flags>>3) & 3, maxPixel: l.MaxPixels}
	if h == 0xFFFFFFFF {
		p.h = -1
	}
	if w == 0 || w > l.MaxPixels || p.h > l.MaxPixels || w*max(p.h, 1) > l.MaxPixels {
		return nil, &LimitError{Limit: "page pixels", Max: l.MaxPixels, Got: max(w*max(p.h, 1), w, p.h)}
	}
	return p, nil
}

func (p *page) stripeEnd(y int64) { p.stripeH = max(p.stripeH, y) }

func (p *page) height() int64 {
	if p.h >= 0 {
		return p.h
	}
	h := p.stripeH
	for _, r := range p.regions {
		h = max(h, int64(r.y)+int64(r.bm.h))
	}
	return h
}

// image composes the page: black where the bit is 1.
func (p *page) image() *image.Gray {
	h := p.height()
	if h*p.w > p.maxPixel || h <= 0 {
		h = max(1, min(h, p.maxPixel/p.w))
	}
	pb := newBitmap(int(p.w), int(h))
	if p.def == 1 {
		for i := range pb.pix {
			pb.pix[i] = 1
		}
	}
	for _, r := range p.regions {
		pb.compose(r.bm, r.x, r.y, r.op)
	}
	img := image.NewGray(image.Rect(0, 0, pb.w, pb.h))
	for i, v := range pb.pix {
		if v == 0 {
			img.Pix[i] = 0xFF
		}
	}
	return img
}

// regionInfo reads the region segment information field (T.88 7.4.1).
func regionInfo(b []byte, l Limits) (w, h, x, y, op int, err error) {
	if len(b) < 17 {
		return 0, 0, 0, 0, 0, fmt.Errorf("%w: region information", ErrFormat)
	}
	w64, h64 := int64(binary.BigEndian.Uint32(b)), int64(binary.BigEndian.Uint32(b[4:]))
	if w64*h64 > l.MaxPixels || w64 > l.MaxPixels || h64 > l.MaxPixels {
		return 0, 0, 0, 0, 0, &LimitError{Limit: "region pixels", Max: l.MaxPixels, Got: max(w64*h64, w64, h64)}
	}
	x64, y64 := int64(binary.BigEndian.Uint32(b[8:])), int64(binary.BigEndian.Uint32(b[12:]))
	if x64 > 1<<30 || y64 > 1<<30 {
		return 0, 0, 0, 0, 0, fmt.Errorf("%w: region at %d,%d", ErrFormat, x64, y64)
	}
	return int(w64), int(h64), int(x64), int(y64), int(b[16] & 7), nil
}

// genericRegion decodes an immediate generic region segment (T.88 7.4.6) onto the page.
func (p *page) genericRegion(b []byte, l Limits) error {
	w, h, x, y, op, err := regionInfo(b, l)
	if err != nil {
		return err
	}
	r := &reader{b: b, pos: 17}
	flags, err := r.u8()
	if err != nil {
		return err
	}
	if flags&1 != 0 {
		return fmt.Errorf("%w: MMR-coded generic region", ErrUnsupported)
	}
	if flags&0x10 != 0 {
		return fmt.Errorf("%w: extended generic template", ErrUnsupported)
	}
	tmpl := int(flags>>1) & 3
	tpgdon := flags&8 != 0
	nAT := 1
	if tmpl == 0 {
		nAT = 4
	}
	at := make([][2]int, nAT)
	for i := range at {
		xy, err := r.bytes(2)
		if err != nil {
			return err
		}
		at[i] = [2]int{int(int8(xy[0])), int(int8(xy[1]))}
	}
	// Every region's pixels count against the page's budget (many regions at the limit each
	// would otherwise multiply the work).
	p.decoded += int64(w) * int64(h)
	if p.decoded > 2*l.MaxPixels {
		return &LimitError{Limit: "decoded pixels", Max: 2 * l.MaxPixels, Got: p.decoded}
	}
	if w == 0 || h == 0 {
		return nil
	}
	bm := decodeGeneric(newMQ(r.b[r.pos:]), w, h, tmpl, tpgdon, at)
	p.regions = append(p.regions, region{bm: bm, x: x, y: y, op: op})
	return nil
}

// bitmap is one byte per pixel, 1 = black.
type bitmap struct {
	w, h int
	pix  []byte
}

func newBitmap(w, h int) *bitmap { return &bitmap{w: w, h: h, pix: make([]byte, w*h)} }

func (b *bitmap) at(x, y int) byte {
	if x < 0 || y < 0 || x >= b.w || y >= b.h {
		return 0
	}
	return b.pix[y*b.w+x]
}

// compose puts src at (x, y) with the combination operator (0 OR, 1 AND, 2 XOR, 3 XNOR,
// 4 REPLACE).
func (b *bitmap) compose(src *bitmap, x, y, op int) {
	for sy := 0; sy < src.h; sy++ {
		dy := y + sy
		if dy < 0 || dy >= b.h {
			continue
		}
		for sx := 0; sx < src.w; sx++ {
			dx := x + sx
			if dx < 0 || dx >= b.w {
				continue
			}
			s, d := src.pix[sy*src.w+sx], &b.pix[dy*b.w+dx]
			switch op {
			case 0:
				*d |= s
			case 1:
				*d &= s
			case 2:
				*d ^= s
			case 3:
				*d = 1 ^ (*d ^ s)
			default:
				*d = s
			}
		}
	}
}

// templates are the fixed neighbours of each generic template (T.88 6.2.5.3); the AT pixels are
// added, and the context is the neighbours' bits in (y, x) order, first the most significant.
var templates = [4][][2]int{
	{{-1, -2}, {0, -2}, {1, -2}, {-2, -1}, {-1, -1}, {0, -1}, {1, -1}, {2, -1}, {-4, 0}, {-3, 0}, {-2, 0}, {-1, 0}},
	{{-1, -2}, {0, -2}, {1, -2}, {2, -2}, {-2, -1}, {-1, -1}, {0, -1}, {1, -1}, {2, -1}, {-3, 0}, {-2, 0}, {-1, 0}},
	{{-1, -2}, {0, -2}, {1, -2}, {-2, -1}, {-1, -1}, {0, -1}, {1, -1}, {-2, 0}, {-1, 0}},
	{{-3, -1}, {-2, -1}, {-1, -1}, {0, -1}, {1, -1}, {-4, 0}, {-3, 0}, {-2, 0}, {-1, 0}},
}

// tpContexts are the contexts of the SLTP pseudo-pixel per template (T.88 6.2.5.7).
var tpContexts = [4]int{0x9B25, 0x0795, 0x00E5, 0x0195}

// neighbours returns template tmpl with its AT pixels, sorted by (y, x).
func neighbours(tmpl int, at [][2]int) [][2]int {
	n := append(append([][2]int(nil), templates[tmpl]...), at...)
	for i := 1; i < len(n); i++ {
		for j := i; j > 0 && (n[j][1] < n[j-1][1] || n[j][1] == n[j-1][1] && n[j][0] < n[j-1][0]); j-- {
			n[j], n[j-1] = n[j-1], n[j]
		}
	}
	return n
}

// decodeGeneric decodes a w×h generic region (T.88 6.2.5.7) from d.
func decodeGeneric(d *mq, w, h, tmpl int, tpgdon bool, at [][2]int) *bitmap {
	bm := newBitmap(w, h)
	nb := neighbours(tmpl, at)
	cx := make([]uint8, 1<<len(nb))
	ltp := false
	for y := 0; y < h; y++ {
		if tpgdon {
			if d.decode(cx, tpContexts[tmpl]) == 1 {
				ltp = !ltp
			}
			if ltp {
				if y > 0 {
					copy(bm.pix[y*w:(y+1)*w], bm.pix[(y-1)*w:y*w])
				}
				continue
			}
		}
		row := bm.pix[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			c := 0
			for _, q := range nb {
				c = c<<1 | int(bm.at(x+q[0], y+q[1]))
			}
			row[x] = byte(d.decode(cx, c))
		}
	}
	return bm
}
