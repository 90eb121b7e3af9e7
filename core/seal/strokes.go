package seal

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
)

// Point is one sample of a pen or finger: position in millimetres from the top-left corner of
// the drawing pad, time in milliseconds since the signature began, and pressure in (0, 1] when
// the device reports it (0 means unknown).
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	T int64   `json:"t"`
	P float64 `json:"p,omitempty"`
}

// Stroke is the points of one pen-down … pen-up.
type Stroke []Point

// Signature is a hand-drawn signature as its strokes, so it can be redrawn at any size. Its JSON
// form is what the desktop pad and the phone page store and sync.
type Signature struct {
	Version int      `json:"v"`
	Width   float64  `json:"w"`             // pad width, mm
	Height  float64  `json:"h"`             // pad height, mm
	Pen     float64  `json:"pen,omitempty"` // nominal pen width, mm (0: DefaultPen)
	Strokes []Stroke `json:"strokes"`
}

// Limits on signatures, checked by ParseSignature and Validate.
const (
	SignatureVersion  = 1
	MaxSignatureJSON  = 2 << 20 // bytes
	MaxStrokes        = 500
	MaxStrokePoints   = 20_000 // in all strokes together
	MaxPadMM          = 1000.0
	MaxPenMM          = 10.0
	DefaultPen        = 0.8 // mm
	maxSignatureMilli = 24 * 3600 * 1000
	maxStrokeSamples  = 100_000
)

// ErrBadSignature wraps every refusal of signature data.
var ErrBadSignature = errors.New("invalid signature strokes")

// ParseSignature reads a signature's JSON, refusing oversized or malformed data.
func ParseSignature(b []byte) (*Signature, error) {
	if len(b) > MaxSignatureJSON {
		return nil, fmt.Errorf("signature data is %d bytes, more than %d: %w", len(b), MaxSignatureJSON, ErrBadSignature)
	}
	var s Signature
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("failed to parse signature: %v: %w", err, ErrBadSignature)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Marshal returns the JSON form of s.
func (s *Signature) Marshal() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

// Validate checks the version, pad size, pen width, counts, and that every point is finite,
// on the pad (with 1 mm of slack), in time order within its stroke, with pressure in [0, 1].
func (s *Signature) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("signature: "+format+": %w", append(a, ErrBadSignature)...)
	}
	if s.Version != SignatureVersion {
		return bad("version %d, want %d", s.Version, SignatureVersion)
	}
	if !(s.Width > 0 && s.Width <= MaxPadMM && s.Height > 0 && s.Height <= MaxPadMM) {
		return bad("pad %g×%g mm outside (0, %g]", s.Width, s.Height, MaxPadMM)
	}
	if !(s.Pen >= 0 && s.Pen <= MaxPenMM) {
		return bad("pen width %g mm outside [0, %g]", s.Pen, MaxPenMM)
	}
	if len(s.Strokes) == 0 {
		return bad("no strokes")
	}
	if len(s.Strokes) > MaxStrokes {
		return bad("%d strokes, more than %d", len(s.Strokes), MaxStrokes)
	}
	n := 0
	for i, st := range s.Strokes {
		if len(st) == 0 {
			return bad("stroke %d is empty", i)
		}
		n += len(st)
		if n > MaxStrokePoints {
			return bad("more than %d points", MaxStrokePoints)
		}
		for j, p := range st {
			if !(p.X >= -1 && p.X <= s.Width+1 && p.Y >= -1 && p.Y <= s.Height+1) {
				return bad("stroke %d point %d (%g, %g) is off the pad", i, j, p.X, p.Y)
			}
			if !(p.P >= 0 && p.P <= 1) {
				return bad("stroke %d point %d pressure %g outside [0, 1]", i, j, p.P)
			}
			if p.T < 0 || p.T > maxSignatureMilli || j > 0 && p.T < st[j-1].T {
				return bad("stroke %d point %d time %d out of order", i, j, p.T)
			}
		}
	}
	return nil
}

// Render draws s at dpi (0: DefaultDPI) in colour c (zero: black) on a transparent pad-sized
// image. Use Drawing and Drawing.Crop to trim it to the ink.
func (s *Signature) Render(dpi float64, c color.NRGBA) (*image.NRGBA, error) {
	d, err := s.Drawing(c)
	if err != nil {
		return nil, err
	}
	return d.Rasterize(dpi)
}

// Drawing turns the strokes into filled outlines: each stroke is smoothed with a Catmull-Rom
// spline through its points and drawn with round ends, its width following the pressure where
// known, otherwise thinning as the pen speeds up.
func (s *Signature) Drawing(c color.NRGBA) (*Drawing, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if c == (color.NRGBA{}) {
		c = color.NRGBA{A: 0xFF}
	}
	pen := s.Pen
	if pen == 0 {
		pen = DefaultPen
	}
	// A sample every 0.25 mm, fewer when the strokes are very long (at most about
	// maxStrokeSamples in all, plus one per point).
	total := 0.0
	for _, st := range s.Strokes {
		for i := 0; i+1 < len(st); i++ {
			total += math.Hypot(st[i+1].X-st[i].X, st[i+1].Y-st[i].Y)
		}
	}
	spacing := math.Max(0.25, total/maxStrokeSamples)
	d := &Drawing{Width: s.Width, Height: s.Height, Color: c}
	for _, st := range s.Strokes {
		d.Parts = append(d.Parts, Part{PartStroke, strokeOutline(st, pen, spacing)})
	}
	return d, nil
}

// strokeWidths gives each point a width: from pressure when the stroke has it, else from speed
// (slow, heavy lines; fast, thin ones), smoothed along the stroke.
func strokeWidths(st Stroke, pen float64) []float64 {
	w := make([]float64, len(st))
	hasP := false
	for _, p := range st {
		hasP = hasP || p.P > 0
	}
	for i, p := range st {
		switch {
		case hasP:
			w[i] = pen * (0.35 + 0.9*p.P)
		case i == 0:
			w[i] = pen
		default:
			q := st[i-1]
			v := math.Hypot(p.X-q.X, p.Y-q.Y) / float64(max(p.T-q.T, 1)) // mm/ms
			w[i] = pen * math.Max(0.45, math.Min(1.15, 1.15-0.5*v))
		}
	}
	for i := 1; i < len(w); i++ { // exponential smoothing
		w[i] = 0.7*w[i-1] + 0.3*w[i]
	}
	return w
}

// strokeOutline is the union of discs at the samples of the smoothed stroke and the trapezoids
// between them, all wound the same way so overlaps add up instead of cancelling.
func strokeOutline(st Stroke, pen, spacing float64) Path {
	ws := strokeWidths(st, pen)
	type sample struct {
		p Pt
		w float64
	}
	var ss []sample
	at := func(i int) Pt { i = max(0, min(len(st)-1, i)); return Pt{st[i].X, st[i].Y} }
	ss = append(ss, sample{at(0), ws[0]})
	for i := 0; i+1 < len(st); i++ {
		p0, p1, p2, p3 := at(i-1), at(i), at(i+1), at(i+2)
		seg := math.Hypot(p2.X-p1.X, p2.Y-p1.Y)
		n := max(1, min(64, int(math.Ceil(seg/spacing))))
		for k := 1; k <= n; k++ {
			t := float64(k) / float64(n)
			ss = append(ss, sample{catmullRom(p0, p1, p2, p3, t), ws[i] + (ws[i+1]-ws[i])*t})
		}
	}
	var path Path
	for i, s := range ss {
		path.ellipse(s.p, s.w/2, s.w/2, true)
		if i == 0 {
			continue
		}
		a, b := ss[i-1], s
		dx, dy := b.p.X-a.p.X, b.p.Y-a.p.Y
		l := math.Hypot(dx, dy)
		if l < 1e-9 {
			continue
		}
		nx, ny := -dy/l, dx/l
		q := [4]Pt{
			{a.p.X + nx*a.w/2, a.p.Y + ny*a.w/2},
			{b.p.X + nx*b.w/2, b.p.Y + ny*b.w/2},
			{b.p.X - nx*b.w/2, b.p.Y - ny*b.w/2},
			{a.p.X - nx*a.w/2, a.p.Y - ny*a.w/2},
		}
		// Clockwise on screen (y down) like the discs: positive shoelace area.
		area := 0.0
		for j := 0; j < 4; j++ {
			area += q[j].X*q[(j+1)%4].Y - q[(j+1)%4].X*q[j].Y
		}
		if area < 0 {
			q[1], q[3] = q[3], q[1]
		}
		path.moveTo(q[0])
		path.lineTo(q[1])
		path.lineTo(q[2])
		path.lineTo(q[3])
		path.close()
	}
	return path
}

// catmullRom interpolates between p1 and p2 (uniform Catmull-Rom).
func catmullRom(p0, p1, p2, p3 Pt, t float64) Pt {
	t2, t3 := t*t, t*t*t
	f := func(a, b, c, d float64) float64 {
		return 0.5 * (2*b + (-a+c)*t + (2*a-5*b+4*c-d)*t2 + (-a+3*b-3*c+d)*t3)
	}
	return Pt{f(p0.X, p1.X, p2.X, p3.X), f(p0.Y, p1.Y, p2.Y, p3.Y)}
}

// Crop returns a copy of d whose box is the ink's bounding box plus margin mm on each side.
func (d *Drawing) Crop(margin float64) *Drawing {
	lo, hi := Pt{math.Inf(1), math.Inf(1)}, Pt{math.Inf(-1), math.Inf(-1)}
	for _, p := range d.Parts {
		a, b := p.Path.Bounds()
		lo.X, lo.Y = math.Min(lo.X, a.X), math.Min(lo.Y, a.Y)
		hi.X, hi.Y = math.Max(hi.X, b.X), math.Max(hi.Y, b.Y)
	}
	if lo.X > hi.X {
		return d
	}
	out := *d
	m := translate(margin-lo.X, margin-lo.Y)
	out.Parts = make([]Part, len(d.Parts))
	for i, p := range d.Parts {
		out.Parts[i] = Part{p.Kind, p.Path.transform(m)}
	}
	out.Width, out.Height = hi.X-lo.X+2*margin, hi.Y-lo.Y+2*margin
	return &out
}
