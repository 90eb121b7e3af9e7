package verify

import (
	"fmt"
	"math"

	"sealdesk/core/pdf"
)

// Annotations that readers leave out (issue 13 §3; measured with pdftoppm, mutool draw and the
// embedded PDFium, December 2026).
//
// The hidden flag (/F bit 2) is honoured by every reader — PDFium, poppler, MuPDF, Acrobat — on
// screen and in print, when /F is an integer: an added or changed annotation that sets it draws
// nothing anywhere, so what its appearance would draw is not judged (it was reported as an evil
// annotation). But the readers read other /F values differently: /F 2.0 is hidden for PDFium and
// MuPDF and drawn by poppler (which takes only integers and otherwise no flags), and a value
// beyond 32 bits is hidden for MuPDF only. A white box with /F 2.0 over the signed amount was
// valid (PDFium draws nothing) while poppler showed the box. Such an /F is an ambiguity the
// rendering cannot settle: reported as an evil annotation.
//
// An annotation's own /OC is honoured by poppler and MuPDF but not by PDFium (its annotation
// list draws every annotation that is not hidden, whatever /OC says — PDFium before 2019
// checked it): an annotation in a group that is off is left out by poppler and drawn by PDFium,
// whose rendering is what the cover check compares. Drawn over signed text it is reported as
// covering it — Chrome and every PDFium viewer show it there. Left out by poppler it shows less
// than PDFium, which is harmless only when nothing else changed on the page that poppler draws:
// otherwise what the other changes paint (a white box) shows through where PDFium draws the
// annotation (a copy of the signed text) over it. So a page with such an annotation and any
// other change is reported unchecked (checkCover, partlyLeftOut).

// annotFlags returns an annotation's /F as every reader reads it, and whether readers may read
// it differently (a value that is not an integer, or one beyond 32 bits).
func (a *analysis) annotFlags(d pdf.Dict) (int64, bool) {
	o := d.Get("F")
	if o == nil {
		return 0, false
	}
	r, err := a.cur.Resolve(o)
	if err != nil {
		return 0, true
	}
	n, ok := r.(pdf.Int)
	if !ok || int64(n) < math.MinInt32 || int64(n) > math.MaxInt32 {
		return 0, true
	}
	return int64(n), false
}

// hiddenEverywhere reports whether no reader draws annotation d: its /F is an integer with the
// hidden bit.
func (a *analysis) hiddenEverywhere(d pdf.Dict) bool {
	f, odd := a.annotFlags(d)
	return !odd && f&2 != 0
}

// oddFlags names an annotation /F that readers read differently, "" otherwise.
func (a *analysis) oddFlags(d pdf.Dict) string {
	if _, odd := a.annotFlags(d); odd {
		return "annotation flags (/F) that are not a 32-bit integer, which readers read differently (PDFium and MuPDF hide an annotation with /F 2.0, poppler draws it)"
	}
	return ""
}

// Printing is drawing too. The cover check renders the screen, where PDFium (like every
// reader) leaves out an annotation flagged NoView and draws one without the Print flag; a
// printer does the reverse. A white box with /F 36 (NoView, Print) over the signed amount was
// valid and poppler printed it over the amount: drawn only on paper, it is reported as an evil
// annotation. And an annotation with an appearance but without the Print flag is left out on
// paper while PDFium draws it on screen — like an annotation's own /OC, harmless alone and
// reported unchecked next to other changes on its page (a printed white box under an unprinted
// copy of the amount); when every change on the page is left out on paper, the paper shows
// the signed page and the screen is judged by the rendering.

// printOnly names an annotation drawn when printed and not on screen, "" otherwise.
func (a *analysis) printOnly(d pdf.Dict) string {
	if f, odd := a.annotFlags(d); !odd && f&2 == 0 && f&32 != 0 && f&4 != 0 {
		return "annotation flags NoView and Print (drawn only when printed, which the screen rendering of the cover check does not show)"
	}
	return ""
}

// turnedNoRotate names an annotation flagged NoRotate on a page shown turned (/Rotate 90, 180 or
// 270), "" otherwise (red team s8 F8). poppler and MuPDF keep such an appearance upright, pivoted
// about its upper-left corner, while PDFium — the cover check's renderer — turns it with the
// page: a white patch and a new digit drawn pre-turned landed in blank space for PDFium and on
// the signed amount for poppler and MuPDF. Notes on upright pages keep the flag they usually
// carry. On a turned page the place the other readers draw it is judged by the rendering as
// painted dark (synthesizeNoRotate): Acrobat and PDFBox flag every sticky note NoRotate, and a
// note in the margin of a landscape page was refused for the flag alone.
func (a *analysis) turnedNoRotate(d pdf.Dict, page int) string {
	f, odd := a.annotFlags(d)
	if odd || f&16 == 0 || f&2 != 0 || page <= 0 {
		return ""
	}
	pages, err := a.cur.Pages()
	if err != nil || page > len(pages) || pages[page-1].Rotate == 0 {
		return ""
	}
	return fmt.Sprintf("the NoRotate flag on a page turned %d°, which poppler and MuPDF draw upright and PDFium turns", pages[page-1].Rotate)
}

// noteScreenOnly records an added or changed annotation on page that PDFium's screen rendering
// draws while poppler and MuPDF (its own /OC) or printers (its own /OC, or no Print flag) may
// leave it out.
func (a *analysis) noteScreenOnly(page int, d pdf.Dict) {
	f, _ := a.annotFlags(d)
	oc := d.Get("OC") != nil
	unprinted := f&4 == 0 && len(a.appearanceStreams(d)) > 0
	if !oc && !unprinted {
		return
	}
	if a.annotOC == nil {
		a.annotOC = map[int]*[2]int{}
	}
	n := a.annotOC[page]
	if n == nil {
		n = new([2]int)
		a.annotOC[page] = n
	}
	if oc {
		n[0]++
	}
	n[1]++
}

// partlyLeftOut reports whether a reader's screen or paper may leave out some of the changes
// on page while drawing others (total changes in all): what PDFium draws over the others is
// then no proof for that reader (see above). All or none left out is judged by the rendering.
func (a *analysis) partlyLeftOut(page, total int) bool {
	n := a.annotOC[page]
	return n != nil && ((n[0] > 0 && n[0] < total) || (n[1] > 0 && n[1] < total))
}

// Names an added appearance lacks (issue 13 §3, the added side of covertextmode.go's
// missingResourceName). An added or changed appearance with its own /Resources that names, with
// Tf or Do, a font or XObject missing from that category there is drawn with Helvetica or
// nothing by PDFium, while poppler looks the name up in the page's resources. Where the page's
// entry is an XObject, a Type 3 font (its glyphs paint anything) or a font with its own glyph
// program, poppler may paint what PDFium's rendering never showed: reported as an evil
// annotation. A page font that is a standard face without a font file (Helvetica under /Helv)
// draws the same text in both, so an ordinary filled field whose /DA font comes from
// /AcroForm /DR, or from the page, is not refused; nor is an appearance without /Resources
// (every reader then uses the page's).

// lackedResource names what in annotation d's appearances (on page, 1-based) readers resolve
// differently, "" when nothing.
func (a *analysis) lackedResource(d pdf.Dict, page int) string {
	if page <= 0 {
		return ""
	}
	pages, err := a.cur.Pages()
	if err != nil || page > len(pages) {
		return ""
	}
	outer := a.cur.Dict(pages[page-1].Resources)
	if outer == nil {
		return ""
	}
	for _, st := range a.appearanceStreams(d) {
		res := a.cur.Dict(st.Dict.Get("Resources"))
		if res == nil || st.Length > maxDecodedAppearance {
			continue
		}
		data, err := a.v.f.OptionalStreamData(st)
		if err != nil {
			continue
		}
		for _, n := range missingResourceNames(a.cur, data, res, outer) {
			if a.riskyPageResource(n.cat, a.cur.Dict(outer.Get(n.cat)).Get(n.name)) {
				return fmt.Sprintf("an appearance naming %s /%s that its own /Resources lack while the page's have it (PDFium draws Helvetica or nothing, poppler draws the page's)", n.cat, n.name)
			}
		}
	}
	return ""
}

// riskyPageResource: whether a page resource that poppler would use for a name an appearance
// lacks can draw what PDFium's fallback does not (see above).
func (a *analysis) riskyPageResource(cat pdf.Name, o pdf.Object) bool {
	if cat != "Font" {
		return true
	}
	f := a.cur.Dict(o)
	if f == nil {
		return false
	}
	switch f.NameOf("Subtype") {
	case "Type1", "TrueType", "MMType1":
		fd := a.cur.Dict(f.Get("FontDescriptor"))
		return fd.Get("FontFile") != nil || fd.Get("FontFile2") != nil || fd.Get("FontFile3") != nil
	}
	return true // Type 3, Type 0 (composite, mostly embedded) or unknown
}

// synthesizeNoRotate records, for an annotation that turnedNoRotate names, the area where
// poppler, MuPDF and Acrobat may draw it upright: turned about a corner of its /Rect by a
// multiple of 90°, it stays within the /Rect grown by its longer side. That area is painted
// dark over the new rendering before the comparison (synth.go), so that the change is valid
// only where the upright drawing, whatever it is, can neither cover signed ink nor add a mark
// to a line of signed text (coverink.go); PDFium's own drawing, turned with the page, is
// judged as rendered. An annotation without a usable /Rect is drawn by none.
func (a *analysis) synthesizeNoRotate(page int, d pdf.Dict) {
	if a.turnedNoRotate(d, page) == "" {
		return
	}
	rc, ok := pdf.RectFrom(a.cur, d.Get("Rect"))
	if !ok || rc.IsZero() {
		return
	}
	g := max(rc.Width(), rc.Height())
	if a.synthesized == nil {
		a.synthesized = map[int][]synthPaint{}
	}
	a.synthesized[page] = append(a.synthesized[page], synthPaint{
		rect:   pdf.Rect{LLX: rc.LLX - g, LLY: rc.LLY - g, URX: rc.URX + g, URY: rc.URY + g},
		colour: []float64{0, 0, 0},
	})
}
