package render

import (
	"context"
	"fmt"
	"math"

	"github.com/klippa-app/go-pdfium/requests"

	"sealdesk/core/pdf/raster"
)

// ErrTooManyChars: a page holds more characters than the caller's limit (core/pdf/raster's, so
// that errors.Is finds it on either side of a raster.Process).
var ErrTooManyChars = raster.ErrTooManyChars

// Text returns the characters PDFium reads on page i (0-based), without the ones it generates
// (spaces and line ends it infers) and without those that have no box. More than maxChars
// characters is ErrTooManyChars.
func (d *Document) Text(ctx context.Context, i, maxChars int) ([]TextChar, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	if i < 0 || i >= d.pages {
		return nil, fmt.Errorf("page %d of %d: %w", i+1, d.pages, ErrPageRange)
	}
	// Loading the text page parses the page's content and fonts: as bounded as drawing it.
	return guarded(ctx, d, func() ([]TextChar, error) {
		tp, err := d.inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: d.page(i)})
		if err != nil {
			return nil, fmt.Errorf("failed to read the text of page %d: %w", i+1, err)
		}
		defer d.inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
		n, err := d.inst.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
		if err != nil {
			return nil, fmt.Errorf("failed to read the text of page %d: %w", i+1, err)
		}
		if n.Count > maxChars {
			return nil, fmt.Errorf("page %d has %d characters, the limit is %d: %w", i+1, n.Count, maxChars, ErrTooManyChars)
		}
		out := make([]TextChar, 0, n.Count)
		for k := 0; k < n.Count; k++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if g, err := d.inst.FPDFText_IsGenerated(&requests.FPDFText_IsGenerated{TextPage: tp.TextPage, Index: k}); err == nil && g.IsGenerated {
				continue
			}
			b, err := d.inst.FPDFText_GetLooseCharBox(&requests.FPDFText_GetLooseCharBox{TextPage: tp.TextPage, Index: k})
			if err != nil {
				continue
			}
			r := normRect(float64(b.Rect.Left), float64(b.Rect.Bottom), float64(b.Rect.Right), float64(b.Rect.Top))
			if !(r.Width() > 0 || r.Height() > 0) || math.IsNaN(r.LLX+r.LLY+r.URX+r.URY) || math.IsInf(r.LLX+r.LLY+r.URX+r.URY, 0) {
				continue
			}
			c := TextChar{Box: r}
			if u, err := d.inst.FPDFText_GetUnicode(&requests.FPDFText_GetUnicode{TextPage: tp.TextPage, Index: k}); err == nil {
				c.Rune = rune(u.Unicode)
			}
			if a, err := d.inst.FPDFText_GetCharAngle(&requests.FPDFText_GetCharAngle{TextPage: tp.TextPage, Index: k}); err == nil && a.CharAngle >= 0 {
				c.Angle = float64(a.CharAngle)
			}
			out = append(out, c)
		}
		return out, nil
	})
}
