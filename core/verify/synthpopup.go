package verify

import "sealdesk/core/pdf"

// Popup windows opened at load (red team s10 WIN 5). A Popup annotation is never drawn by
// PDFium's page rendering, so the cover check could not see one; but ISO 32000-1 12.5.6.14
// says a popup with /Open true "shall initially be displayed open", and Acrobat shows it at
// load as an opaque comment window at its /Rect (pdf.js opens it too). A note added after
// signing whose popup was open over "Buyer: Alice … Amount: USD 1,000.00" showed another buyer
// and amount there while the report said valid.
//
// So a popup that a viewer opens at load is judged as what it is on screen: an opaque box at
// the popup's /Rect, painted over the new rendering before the comparison like any annotation
// the renderer does not draw (synth.go). Over signed content that is a covering change with its
// region; over blank paper it changes nothing and stays allowed. It is painted when an added or
// changed annotation opens it:
//
//   - a Popup whose /Open, or whose /Parent's /Open, is set;
//   - a markup annotation (with a /Popup) whose own /Open, or whose popup's /Open, is set —
//     a changed note makes its open popup show something else, even when the popup object is
//     the one that was signed.
//
// /Open is set when it is anything but absent, null, false or 0: pdf.js takes any other value
// as true. A popup is shown unless both it and its parent are flagged hidden or no-view (pdf.js
// takes the parent's flags for a popup it would not show). pdf.js places its window beside the
// parent's /Rect rather than at the popup's /Rect, at a height that depends on the text; that
// position is not judged.

// openFlag reports whether an /Open entry is set (see the top of this file).
func (a *analysis) openFlag(o pdf.Object) bool {
	o, err := a.cur.Resolve(o)
	if err != nil {
		return true // unreadable: a reader may take it as set
	}
	switch x := o.(type) {
	case nil, pdf.Null:
		return false
	case pdf.Bool:
		return bool(x)
	case pdf.Int:
		return x != 0
	case pdf.Real:
		return x.Value != 0
	}
	return true
}

// shownFlags reports whether an annotation with d's /F may be shown on screen (flags readers
// read differently count as shown).
func (a *analysis) shownFlags(d pdf.Dict) bool {
	f, odd := a.annotFlags(d)
	return odd || f&(2|32) == 0
}

// synthesizeOpenPopup records the box of a popup that the added or changed annotation d opens
// at load on page (see the top of this file).
func (a *analysis) synthesizeOpenPopup(page int, d pdf.Dict) {
	if page <= 0 {
		return
	}
	var popup, parent pdf.Dict
	if d.NameOf("Subtype") == "Popup" {
		popup, parent = d, a.cur.Dict(d.Get("Parent"))
	} else if d.Get("Popup") != nil {
		popup, parent = a.cur.Dict(d.Get("Popup")), d
	}
	if popup == nil {
		return
	}
	open := a.openFlag(popup.Get("Open")) || parent != nil && a.openFlag(parent.Get("Open"))
	shown := a.shownFlags(popup) || parent != nil && a.shownFlags(parent)
	if !open || !shown {
		return
	}
	rc, ok := pdf.RectFrom(a.cur, popup.Get("Rect"))
	if !ok || rc.IsZero() {
		return
	}
	if a.synthesized == nil {
		a.synthesized = map[int][]synthPaint{}
	}
	a.synthesized[page] = append(a.synthesized[page], synthPaint{rect: rc})
}
