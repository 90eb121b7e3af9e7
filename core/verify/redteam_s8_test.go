package verify

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pdf/pdftest"
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

// TestRedTeamS8Names (F5, F6): names that one reader cuts short. poppler ends a name at #00 and
// MuPDF and poppler keep 127 bytes; PDFium keeps the whole name. An added annotation reachable
// only through /N#00, an /AS /On#00 beside a state /On, an appearance drawing "/X#00 Do" with a
// resource /X, or an /AS and a state key equal only in their first 127 bytes, drew a white box
// and a new amount in poppler or MuPDF while PDFium drew nothing. Such names written after
// signing are ambiguous objects; names of 127 bytes and ordinary ones stay valid.
func TestRedTeamS8Names(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)}
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	res := pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}
	const cover = "1 g 60 690 240 40 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET"
	const note = "0 0 1 RG 2 w 322 102 236 56 re S"
	long := func(last string) pdf.Name { return pdf.Name(strings.Repeat("S", maxNameBytes) + last) }
	// annot adds a Square at rect whose /AP is ap(form), with extra entries.
	annot := func(rect pdf.Array, data string, ap func(f pdf.Object) pdf.Dict, extra pdf.Dict) []byte {
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			p := pageOf(t, v)
			f := u.Add(s4Form(rect, []byte(data), res))
			a := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "Rect": rect, "F": pdf.Int(4), "AP": ap(f)}
			for k, x := range extra {
				a[k] = x
			}
			pd := p.Dict.Clone()
			arr, _ := resolvedArray(v, pd.Get("Annots"))
			pd["Annots"] = append(append(pdf.Array{}, arr...), u.Add(a))
			setObj(t, u, p.Ref, pd)
		})
	}
	apKey := func(k pdf.Name) func(f pdf.Object) pdf.Dict {
		return func(f pdf.Object) pdf.Dict { return pdf.Dict{k: f} }
	}
	state := func(k pdf.Name) func(f pdf.Object) pdf.Dict {
		return func(f pdf.Object) pdf.Dict { return pdf.Dict{"N": pdf.Dict{k: f}} }
	}
	// doX: an appearance drawing form /X through the name use, its resources naming it key.
	doX := func(rect pdf.Array, use, key pdf.Name, data string) []byte {
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			p := pageOf(t, v)
			inner := u.Add(s4Form(rect, []byte(data), res))
			name, err := pdf.AppendObject(nil, use)
			if err != nil {
				t.Fatal(err)
			}
			outer := u.Add(s4Form(rect, append(name, " Do"...), pdf.Dict{"XObject": pdf.Dict{key: inner}}))
			a := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "Rect": rect, "F": pdf.Int(4), "AP": pdf.Dict{"N": outer}}
			pd := p.Dict.Clone()
			arr, _ := resolvedArray(v, pd.Get("Annots"))
			pd["Annots"] = append(append(pdf.Array{}, arr...), u.Add(a))
			setObj(t, u, p.Ref, pd)
		})
	}
	const nul = "a name holding a NUL"
	const cut = "which MuPDF and poppler cut at 127"
	runRows(t, s, []rtRow{
		{"/AP << /N#00 … >>: poppler draws it as /N", func() []byte {
			return annot(over, cover, apKey("N\x00"), nil)
		}, StatusModified, nul, readersShow(signed, 200, "poppler")},
		{"/AS /On#00 beside a state /On", func() []byte {
			return annot(over, cover, state("On"), pdf.Dict{"AS": pdf.Name("On\x00")})
		}, StatusModified, nul, readersShow(signed, 200, "poppler")},
		{"/X#00 Do with a resource /X", func() []byte {
			return doX(over, "X\x00", "X", cover)
		}, StatusModified, nul, readersShow(signed, 200, "poppler")},
		{"an /AS and a state equal in their first 127 bytes", func() []byte {
			return annot(over, cover, state(long("B")), pdf.Dict{"AS": long("A")})
		}, StatusModified, cut, readersShow(signed, 200, "mupdf")},
		{"a Do name and its resource equal in their first 127 bytes", func() []byte {
			return doX(over, long("A"), long("B"), cover)
		}, StatusModified, cut, readersShow(signed, 200, "mupdf")},
		{"twin: a state and an /AS of 127 bytes, in blank space", func() []byte {
			return annot(away, note, state(long("")), pdf.Dict{"AS": long("")})
		}, StatusValid, "Square annotation added", nil},
		{"twin: a Do name of 127 bytes, in blank space", func() []byte {
			return doX(away, long(""), long(""), note)
		}, StatusValid, "Square annotation added", nil},
	})
}

// TestRedTeamS8NoRotate (F8): on a page shown turned, poppler and MuPDF keep an annotation
// flagged NoRotate upright, pivoted about its upper-left corner, where PDFium turns it with the
// page: a patch drawn pre-turned fell in blank space for the cover check and on the amount in
// poppler and MuPDF. The area where they may draw it upright (the /Rect grown by its longer
// side) is judged by the rendering as painted dark (synthesizeNoRotate): a patch whose upright
// drawing lands on the amount is refused, one in blank space both ways is valid — as are
// Acrobat's and PDFBox's sticky notes, flagged NoRotate, in the margin of a landscape page
// (the producers campaign: refused for the flag alone before).
func TestRedTeamS8NoRotate(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc := func(rotate int) []byte {
		return pdftest.Classic(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate %d /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>", rotate),
			pdftest.Stream("BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET", ""),
			"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		)
	}
	turned := s.sign(t, doc(90), sigOpts{})
	upright := s.sign(t, doc(0), sigOpts{})
	rect := pdf.Array{pdf.Int(300), pdf.Int(300), pdf.Int(400), pdf.Int(400)}
	const patch = "0 0 1 rg 300 300 100 60 re f"
	square := func(in []byte, flags int) []byte {
		return s4Annot(t, in, "Square", rect, func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(rect, []byte(patch), nil))
		}, pdf.Dict{"F": pdf.Int(int64(flags))})
	}
	// Just below the amount: PDFium draws the white patch on blank paper below it, poppler and
	// MuPDF draw it upright from its top-left corner, over the amount.
	below := pdf.Array{pdf.Int(72), pdf.Int(610), pdf.Int(272), pdf.Int(690)}
	const white = "1 g 72 610 200 80 re f"
	whiteBelow := func(flags int) []byte {
		return s4Annot(t, turned, "Square", below, func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(below, []byte(white), nil))
		}, pdf.Dict{"F": pdf.Int(int64(flags))})
	}
	// poppler draws the NoRotate version elsewhere than the plain one: the flag matters to it
	// (PDFium, the cover check's renderer, draws both alike).
	flagMatters := func(t *testing.T, d []byte) {
		t.Helper()
		if n := changedPixels(popplerPage(t, square(turned, 4), 72), popplerPage(t, d, 72)); n < 200 {
			t.Fatalf("poppler draws the NoRotate annotation as the plain one (%d pixels differ)", n)
		}
	}
	runRows(t, s, []rtRow{
		{"NoRotate (Print|NoRotate): a white patch drawn upright over the amount", func() []byte { return whiteBelow(20) },
			StatusModified, "cover(s) signed content", readersShow(turned, 200, "poppler", "mupdf")},
		{"NoZoom|NoRotate: the same", func() []byte { return whiteBelow(28) },
			StatusModified, "cover(s) signed content", readersShow(turned, 200, "poppler", "mupdf")},
		{"twin: the white patch without NoRotate (PDFium, poppler and MuPDF draw it below the amount)", func() []byte { return whiteBelow(4) },
			StatusValid, "Square annotation added", nil},
		{"twin: NoRotate on a page turned 90°, blank space both ways", func() []byte { return square(turned, 20) },
			StatusValid, "Square annotation added", flagMatters},
		{"twin: the same annotation without NoRotate on the turned page", func() []byte { return square(turned, 4) },
			StatusValid, "Square annotation added", nil},
		{"twin: NoZoom|NoRotate on an upright page (a note's usual flags)", func() []byte { return square(upright, 28) },
			StatusValid, "Square annotation added", nil},
	})
}

// TestRedTeamS8WideReferences (F9): MuPDF keeps an object number modulo 2^32, so /AP << /N
// 4294967317 0 R >> is object 21 to it while PDFium and poppler (and our parser) resolve
// nothing: it drew a white box and a new amount the cover check never saw. References beyond
// the object numbers readers agree on, written after signing, are ambiguous objects — in a
// classic object and in an object stream.
func TestRedTeamS8WideReferences(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)}
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	const cover = "1 g 60 690 240 40 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET"
	const note = "0 0 1 RG 2 w 322 102 236 56 re S"
	// wide appends, by hand, annotation 20 (a Square over rect whose /AP /N is ref, "%d" standing
	// for its form's number 21) and the form; objStm puts the annotation in object stream 30.
	wide := func(rect pdf.Array, data, ref string, objStm bool) []byte {
		if strings.Contains(ref, "%d") {
			ref = fmt.Sprintf(ref, 21)
		}
		annot := fmt.Sprintf("<</Type/Annot/Subtype/Square/Rect[%v %v %v %v]/F 4/AP<</N %s>>>>", rect[0], rect[1], rect[2], rect[3], ref)
		form := fmt.Sprintf("<</Type/XObject/Subtype/Form/BBox[%v %v %v %v]/Resources<</Font<</F1 5 0 R>>>>/Length %d>>stream\n%s\nendstream", rect[0], rect[1], rect[2], rect[3], len(data), data)
		rows := []xrow{{num: 21, typ: 1, body: form}}
		var streams []osStream
		if objStm {
			streams = append(streams, osStream{num: 30, pairs: []int{20}, bodies: []string{annot}, first: -1})
			rows = append(rows, xrow{num: 20, typ: 2, stm: 30})
		} else {
			rows = append(rows, xrow{num: 20, typ: 1, body: annot})
		}
		return objStmUpdate(t, signed, streams, rows, false)
	}
	const plainRef = "%d 0 R"
	wideRef := fmt.Sprintf("%d 0 R", int64(1)<<32+21)
	runRows(t, s, []rtRow{
		{"/AP /N 2^32+n 0 R in a classic object (MuPDF reads object n)", func() []byte {
			return wide(over, cover, wideRef, false)
		}, StatusModified, "beyond the object numbers readers agree on", nil},
		{"the same reference in an object stream", func() []byte {
			return wide(over, cover, wideRef, true)
		}, StatusModified, "beyond the object numbers readers agree on", nil},
		{"twin: the annotation with its plain reference, in an object stream, in blank space", func() []byte {
			return wide(away, note, plainRef, true)
		}, StatusValid, "Square annotation added", nil},
		{"twin: the annotation with its plain reference, in blank space", func() []byte {
			return wide(away, note, plainRef, false)
		}, StatusValid, "Square annotation added", nil},
	})
}

// TestRedTeamS8BrokenTail (s8b F8): a prepared document holds a second, unlisted definition of
// its page content; after signing, "startxref 0 %%EOF" appended makes the last startxref
// unreadable, so poppler, MuPDF and qpdf rebuild the file from its bytes and show the hidden
// copy, while our reader's reconstruction kept the signed view and took the tail into the signed
// revision. Bytes after the signed %%EOF that no section accounts for are a disallowed change;
// white-space padding stays a note.
func TestRedTeamS8BrokenTail(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{shadow: true})
	signed := s.sign(t, plain, sigOpts{})
	tail := func(b string) func() []byte {
		return func() []byte { return append(append([]byte{}, signed...), b...) }
	}
	const why = "after the signed %%EOF that no cross-reference section accounts for"
	runRows(t, s, []rtRow{
		{"startxref 0 %%EOF appended", tail("startxref\n0\n%%EOF\n"), StatusModified, why, readersShow(signed, 200, "poppler", "mupdf")},
		{"startxref beyond the file appended", tail("startxref\n99999999\n%%EOF\n"), StatusModified, why, nil},
		{"startxref without %%EOF appended", tail("startxref\n0\n"), StatusModified, why, nil},
		{"twin: the signed prepared document", tail(""), StatusValid, "", nil},
		{"twin: white-space padding after %%EOF", tail("\r\n\n  \x00\n"), StatusValid, "", nil},
	})
}

// TestRedTeamS8TSAProfile (s8b F2, F5): a time-stamping authority's certificate that is also
// a CA's, whose key only enciphers, whose timeStamping purpose is one of several or not
// critical, proves no time: an expired signer whose token came from such a certificate is not
// rescued. tsaProfile is what buildChain asks of a TSA certificate.
func TestRedTeamS8TSAProfile(t *testing.T) {
	base := func() *x509.Certificate {
		return &x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
			KeyUsage:   x509.KeyUsageDigitalSignature,
			Extensions: []pkix.Extension{{Id: oidExtKeyUsage, Critical: true}}}
	}
	cases := []struct {
		name string
		edit func(c *x509.Certificate)
		want string
	}{
		{"twin: timeStamping alone, critical, digitalSignature", func(*x509.Certificate) {}, ""},
		{"twin: nonRepudiation", func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageContentCommitment }, ""},
		{"another purpose beside timeStamping", func(c *x509.Certificate) {
			c.ExtKeyUsage = append(c.ExtKeyUsage, x509.ExtKeyUsageCodeSigning)
		}, "purposes besides timeStamping"},
		{"an unknown purpose beside timeStamping", func(c *x509.Certificate) {
			c.UnknownExtKeyUsage = []asn1.ObjectIdentifier{{1, 2, 3}}
		}, "purposes besides timeStamping"},
		{"timeStamping not critical", func(c *x509.Certificate) { c.Extensions[0].Critical = false }, "not critical"},
		{"keyEncipherment only", func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyEncipherment }, "neither digitalSignature"},
		{"a CA", func(c *x509.Certificate) { c.BasicConstraintsValid, c.IsCA = true, true }, "CA certificate"},
	}
	for _, c := range cases {
		x := base()
		c.edit(x)
		got := tsaProfile(x)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
