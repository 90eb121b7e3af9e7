package seal

import (
	"bytes"
	"strconv"
)

// PDFContent returns a PDF content stream that fills d in its colour, in a coordinate system of
// PDF points with the origin at the drawing's bottom-left corner: use it as a form XObject with
// /BBox [0 0 Width·72/25.4 Height·72/25.4]. Paths are filled with the non-zero rule, one fill
// per part; the colour's alpha is not applied (that needs an ExtGState).
func (d *Drawing) PDFContent() []byte {
	var b bytes.Buffer
	k := 72 / 25.4
	num := func(v float64) {
		b.WriteString(strconv.FormatFloat(v, 'f', 3, 64))
	}
	pt := func(q Pt) {
		num(q.X * k)
		b.WriteByte(' ')
		num((d.Height - q.Y) * k)
		b.WriteByte(' ')
	}
	b.WriteString("q\n")
	num(float64(d.Color.R) / 255)
	b.WriteByte(' ')
	num(float64(d.Color.G) / 255)
	b.WriteByte(' ')
	num(float64(d.Color.B) / 255)
	b.WriteString(" rg\n")
	for _, p := range d.Parts {
		var cur Pt
		for _, s := range p.Path {
			switch s.Op {
			case MoveTo:
				pt(s.Pts[0])
				b.WriteString("m\n")
				cur = s.Pts[0]
			case LineTo:
				pt(s.Pts[0])
				b.WriteString("l\n")
				cur = s.Pts[0]
			case QuadTo: // PDF has only cubics: raise the degree.
				q, e := s.Pts[0], s.Pts[1]
				pt(Pt{cur.X + 2.0/3*(q.X-cur.X), cur.Y + 2.0/3*(q.Y-cur.Y)})
				pt(Pt{e.X + 2.0/3*(q.X-e.X), e.Y + 2.0/3*(q.Y-e.Y)})
				pt(e)
				b.WriteString("c\n")
				cur = e
			case CubeTo:
				pt(s.Pts[0])
				pt(s.Pts[1])
				pt(s.Pts[2])
				b.WriteString("c\n")
				cur = s.Pts[2]
			case Close:
				b.WriteString("h\n")
			}
		}
		b.WriteString("f\n")
	}
	b.WriteString("Q\n")
	return b.Bytes()
}
