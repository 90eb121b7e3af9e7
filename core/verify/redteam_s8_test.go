package verify

import (
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s8 (black-box, /work/redteam-s8 in the session that wrote this): each class rebuilt by
// a generator here, attack next to its harmless twin.

// TestRedTeamS8StateSelection (F1): an added annotation whose normal appearance is a dictionary
// of states without /AS. poppler draws a lone state, PDFium (the cover check's renderer) the
// state /V names or /Off, MuPDF none: a white box and a new amount as the only state was valid
// while poppler showed the new amount. With /AS naming the state every reader draws it, and the
// rendering judges it.
func TestRedTeamS8StateSelection(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)}
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	res := pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}
	const cover = "1 g 60 690 240 40 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET"
	const note = "0 0 1 RG 2 w 322 102 236 56 re S"
	states := func(rect pdf.Array, data string, names ...pdf.Name) func(u *pdf.Update) pdf.Object {
		return func(u *pdf.Update) pdf.Object {
			d := pdf.Dict{}
			for _, n := range names {
				d[n] = u.Add(s4Form(rect, []byte(data), res))
			}
			return d
		}
	}
	as := func(n pdf.Object) pdf.Dict { return pdf.Dict{"AS": n} }
	runRows(t, s, []rtRow{
		{"one state without /AS over the amount (poppler draws it)", func() []byte {
			return s4Annot(t, signed, "Square", over, states(over, cover, "On"), nil)
		}, StatusModified, "without an /AS name", readersShow(signed, 200, "poppler")},
		{"two states without /AS over the amount", func() []byte {
			return s4Annot(t, signed, "Square", over, states(over, cover, "On", "Off"), nil)
		}, StatusModified, "without an /AS name", nil},
		{"one state with a string /AS", func() []byte {
			return s4Annot(t, signed, "Square", over, states(over, cover, "On"), as(pdf.String{Bytes: []byte("On")}))
		}, StatusModified, "without an /AS name", nil},
		{"the same state named by /AS: the rendering judges the cover", func() []byte {
			return s4Annot(t, signed, "Square", over, states(over, cover, "On"), as(pdf.Name("On")))
		}, StatusModified, "cover(s) signed content", nil},
		{"twin: a state named by /AS in blank space", func() []byte {
			return s4Annot(t, signed, "Square", away, states(away, note, "On", "Off"), as(pdf.Name("On")))
		}, StatusValid, "Square annotation added", nil},
		// (poppler then draws a Square of its own, a thin border, which is judged as drawn)
		{"twin: /AS naming no state: no reader draws the state", func() []byte {
			return s4Annot(t, signed, "Square", over, states(over, cover, "On"), as(pdf.Name("Off")))
		}, StatusValid, "Square annotation added", nil},
		{"twin: one state named by /AS in blank space, drawn alike", func() []byte {
			return s4Annot(t, signed, "Square", away, states(away, note, "On"), as(pdf.Name("On")))
		}, StatusValid, "Square annotation added", nil},
	})
}

