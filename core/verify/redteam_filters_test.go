package verify

import (
	"encoding/hex"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// TestRedTeamFilterSpellings: a stream's decoding chain can be spelled many ways — /Filter []
// or null for none, [/Fl] for /FlateDecode, /DecodeParms [null] for the defaults. An object
// rewritten after signing with the same bytes and another spelling of the same chain is no
// change (it was called "page content changed"); the same bytes under a different chain, or
// under a spelling readers resolve differently, are a change.
func TestRedTeamFilterSpellings(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	content := "BT /F1 24 Tf 72 700 Td (" + signedAmount + ") Tj ET"
	hexContent := hex.EncodeToString([]byte(content)) + ">"
	// signedWith signs the document whose page content is data with dictionary d.
	signedWith := func(data string, d pdf.Dict) []byte {
		return s.sign(t, update(t, plain, func(u *pdf.Update, v *pdf.View) {
			setObj(t, u, pdf.Ref{Num: 4}, contentStream(data, d))
		}), sigOpts{})
	}
	// rewrite appends a revision that redefines the page content as data with dictionary d.
	rewrite := func(in []byte, data string, d pdf.Dict) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) { setObj(t, u, pdf.Ref{Num: 4}, contentStream(data, d)) })
	}
	signedPlain := signedWith(content, nil)
	signedEmpty := signedWith(content, pdf.Dict{"Filter": pdf.Array{}, "DecodeParms": pdf.Array{pdf.Null{}}})
	signedHex := signedWith(hexContent, pdf.Dict{"Filter": pdf.Name("ASCIIHexDecode")})
	// A square note in the margin whose appearance spells its filter oddly.
	note := func(in []byte, d pdf.Dict) []byte {
		ap := contentStream("0 0 1 RG 2 w 1 1 18 18 re S", d)
		ap.Dict["Type"], ap.Dict["Subtype"] = pdf.Name("XObject"), pdf.Name("Form")
		ap.Dict["BBox"] = pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(20), pdf.Int(20)}
		return addAnnotWith(t, in, "Square", ap, pdf.Dict{"Rect": pdf.Array{pdf.Int(500), pdf.Int(100), pdf.Int(520), pdf.Int(120)}})
	}
	rows := []rtRow{
		{"filter-empty-array-changed: /Filter [] does not hide changed content", func() []byte {
			return rewrite(signedPlain, redEvil, pdf.Dict{"Filter": pdf.Array{}})
		}, StatusModified, "page content", showsText(evilAmount, signedAmount)},
		{"filter-chain-swapped: the same hex bytes re-declared unfiltered (/Filter []) draw nothing", func() []byte {
			return rewrite(signedHex, hexContent, pdf.Dict{"Filter": pdf.Array{}})
		}, StatusModified, "page content", rendersDifferently(signedHex)},
		{"filter-params-beside-name: /AHx with a parameter array (pdf.js fails it, poppler ignores it)", func() []byte {
			return rewrite(signedHex, hexContent, pdf.Dict{"Filter": pdf.Name("AHx"), "DecodeParms": pdf.Array{pdf.Dict{"Predictor": pdf.Int(2)}}})
		}, StatusModified, "page content", nil},
		// twins
		{"twin: the signed content rewritten byte for byte with /Filter []", func() []byte {
			return rewrite(signedPlain, content, pdf.Dict{"Filter": pdf.Array{}})
		}, StatusValid, "", nil},
		{"twin: signed with /Filter [] /DecodeParms [null], rewritten without a filter", func() []byte {
			return rewrite(signedEmpty, content, nil)
		}, StatusValid, "", nil},
		{"twin: /ASCIIHexDecode rewritten as [/AHx] with /DecodeParms [null]", func() []byte {
			return rewrite(signedHex, hexContent, pdf.Dict{"Filter": pdf.Array{pdf.Name("AHx")}, "DecodeParms": pdf.Array{pdf.Null{}}})
		}, StatusValid, "", nil},
		{"twin: a note whose appearance says /Filter [] /DecodeParms [null]", func() []byte {
			return note(signedEmpty, pdf.Dict{"Filter": pdf.Array{}, "DecodeParms": pdf.Array{pdf.Null{}}})
		}, StatusValid, "Square annotation added", nil},
		{"twin: a note whose appearance names its filter by reference ([N 0 R] → /AHx)", func() []byte {
			return update(t, signedPlain, func(u *pdf.Update, v *pdf.View) {
				ap := contentStream(hex.EncodeToString([]byte("0 0 1 RG 2 w 1 1 18 18 re S"))+">", pdf.Dict{
					"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(20), pdf.Int(20)},
					"Filter": pdf.Array{u.Add(pdf.Name("AHx"))}})
				a := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "F": pdf.Int(4),
					"Rect": pdf.Array{pdf.Int(500), pdf.Int(100), pdf.Int(520), pdf.Int(120)}, "AP": pdf.Dict{"N": u.Add(ap)}})
				p := pageOf(t, v)
				pd := p.Dict.Clone()
				arr, _ := resolvedArray(v, pd.Get("Annots"))
				pd["Annots"] = append(append(pdf.Array{}, arr...), a)
				setObj(t, u, p.Ref, pd)
			})
		}, StatusValid, "Square annotation added", nil},
	}
	runRows(t, s, rows)
}
