package verify

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Hidden annotations and optional content that readers evaluate differently (coverhidden.go,
// coverimages.go). Each attack row shows its effect in poppler where poppler is the reader that
// differs; the twins are legitimate files that were refused before (false positives).

// hiddenSigned signs the test document after giving it /OCProperties with the one group ocg
// (made by the caller) and the default configuration cfg (nil entries become [ocg]); it returns
// the signed bytes and the group's reference.
func hiddenSigned(t *testing.T, s *signer, ocg pdf.Dict, cfg pdf.Dict) ([]byte, pdf.Ref) {
	t.Helper()
	plain, _ := makeDoc(docOpts{})
	var ref pdf.Ref
	withOC := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		ref = u.Add(ocg)
		root, _ := rootRef(v)
		cat := v.Dict(root).Clone()
		d := pdf.Dict{"Order": pdf.Array{ref}}
		for k, x := range cfg {
			if x == nil {
				x = pdf.Array{ref}
			}
			d[k] = x
		}
		cat["OCProperties"] = pdf.Dict{"OCGs": pdf.Array{ref}, "D": d}
		setObj(t, u, root, cat)
	})
	return s.sign(t, withOC, sigOpts{}), ref
}

// rendersAlike asserts that poppler draws page 1 of d like the signed document.
func rendersAlike(signed []byte) func(t *testing.T, d []byte) {
	return func(t *testing.T, d []byte) {
		t.Helper()
		if n := changedPixels(popplerPage(t, signed, 72), popplerPage(t, d, 72)); n > 0 {
			t.Fatalf("poppler draws the twin differently from the signed page: %d pixels differ", n)
		}
	}
}

// printsDifferently asserts that poppler prints page 1 of d (pdftocairo -pdf, which draws
// annotations as a printer does) visibly differently from the signed document.
func printsDifferently(signed []byte) func(t *testing.T, d []byte) {
	return func(t *testing.T, d []byte) {
		t.Helper()
		tool := poppler(t, "pdftocairo")
		printed := func(in []byte) []byte {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "in.pdf"), in, 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(tool, "-pdf", filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")).CombinedOutput(); err != nil {
				t.Fatalf("pdftocairo: %v %s", err, out)
			}
			b, err := os.ReadFile(filepath.Join(dir, "out.pdf"))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		if n := changedPixels(popplerPage(t, printed(signed), 72), popplerPage(t, printed(d), 72)); n < 200 {
			t.Fatalf("the attack has no visible effect on paper: %d pixels differ", n)
		}
	}
}

var (
	hidOver    = pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)} // the signed amount
	hidAway    = pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(140)}
	hidUnit    = pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(1)}
	hidAmount  = "BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET" // the signed page's text (makeDoc)
	hidHelvRes = func(u *pdf.Update) pdf.Dict {
		return pdf.Dict{"Font": pdf.Dict{"F1": u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Helvetica")})}}
	}
)

// hidWhite is an appearance painting the whole of rect white (BBox = Rect, identity matrix).
func hidWhite(rect pdf.Array) func(u *pdf.Update) pdf.Object {
	return func(u *pdf.Update) pdf.Object {
		return u.Add(s4Form(rect, []byte("1 g 0 0 1000 1000 re f"), nil))
	}
}

// TestRedTeamHiddenAnnotations: an annotation whose /F sets the hidden bit is drawn by no reader
// (PDFium, poppler, MuPDF; Acrobat by the standard), so a hidden note over the signed amount is
// valid — it was called an evil annotation. /F 2.0 is hidden for PDFium and MuPDF and drawn by
// poppler: a white box with it over the amount was valid; it is an evil annotation now. An
// annotation's own /OC is honoured by poppler and MuPDF and ignored by PDFium: over the amount it
// is reported (PDFium viewers show it), away from it valid, and with another change on the page
// (a white box, and over it a copy of the amount in a group that is off: PDFium redraws the
// amount, poppler shows the box) it is reported unchecked. Printing is drawing too: an
// annotation flagged NoView and Print (a white box poppler printed over the amount) was valid;
// it is an evil annotation now, and an unprinted annotation next to other changes (a printed
// white box under an unprinted copy of the amount) is reported unchecked.
func TestRedTeamHiddenAnnotations(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	ocSigned, ocg := hiddenSigned(t, s, pdf.Dict{"Type": pdf.Name("OCG"), "Name": pdf.String{Bytes: []byte("Layer")}}, pdf.Dict{"OFF": nil})
	// restore: a white box over the amount (no /OC) and, added after it, a Square in the group
	// that is off (or with other flags: restoreWith) drawing the amount again where it was.
	var restoreWith func(withBox bool, doc []byte, copyFlags pdf.Dict) []byte
	restore := func(withBox bool) []byte { return restoreWith(withBox, ocSigned, pdf.Dict{"OC": ocg, "F": pdf.Int(4)}) }
	restoreWith = func(withBox bool, doc []byte, copyFlags pdf.Dict) []byte {
		return update(t, doc, func(u *pdf.Update, v *pdf.View) {
			p := pageOf(t, v)
			arr, _ := resolvedArray(v, p.Dict.Get("Annots"))
			annots := append(pdf.Array{}, arr...)
			if withBox {
				annots = append(annots, u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "Rect": hidOver, "F": pdf.Int(4), "AP": pdf.Dict{"N": hidWhite(hidOver)(u)}}))
			}
			copyAP := u.Add(s4Form(hidOver, []byte(hidAmount), hidHelvRes(u)))
			cp := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "Rect": hidOver, "AP": pdf.Dict{"N": copyAP}}
			for k, x := range copyFlags {
				cp[k] = x
			}
			annots = append(annots, u.Add(cp))
			pd := p.Dict.Clone()
			pd["Annots"] = annots
			setObj(t, u, p.Ref, pd)
		})
	}
	runRows(t, s, []rtRow{
		// Before: "Text annotation added whose appearance draws text or images or covers the page".
		{"hidden-note-over-amount-twin", func() []byte {
			return s4Annot(t, signed, "Text", hidOver, hidWhite(hidOver), pdf.Dict{"F": pdf.Int(2)})
		}, StatusValid, "Text annotation added", rendersAlike(signed)},
		{"hidden-square-over-amount-twin", func() []byte {
			return s4Annot(t, signed, "Square", hidOver, hidWhite(hidOver), pdf.Dict{"F": pdf.Int(6)})
		}, StatusValid, "Square annotation added", rendersAlike(signed)},
		{"flags-real-hidden-for-pdfium-only", func() []byte {
			return s4Annot(t, signed, "Square", hidOver, hidWhite(hidOver), pdf.Dict{"F": pdf.Real{Value: 2, Text: "2.0"}})
		}, StatusModified, "not a 32-bit integer", rendersDifferently(signed)},
		{"flags-beyond-32-bits", func() []byte {
			return s4Annot(t, signed, "Text", hidAway, hidWhite(hidAway), pdf.Dict{"F": pdf.Int(1<<33 | 2)})
		}, StatusModified, "not a 32-bit integer", nil},
		{"annot-oc-off-over-amount", func() []byte {
			return s4Annot(t, ocSigned, "Square", hidOver, hidWhite(hidOver), pdf.Dict{"OC": ocg})
		}, StatusModified, "cover(s) signed content", nil},
		{"annot-oc-off-away-twin", func() []byte {
			return s4Annot(t, ocSigned, "Square", hidAway, hidWhite(hidAway), pdf.Dict{"OC": ocg})
		}, StatusValid, "Square annotation added", nil},
		{"annot-oc-off-restores-covered-amount", func() []byte { return restore(true) }, StatusModified, "its own optional content", rendersDifferently(ocSigned)},
		{"annot-oc-off-copy-alone-twin", func() []byte { return restore(false) }, StatusValid, "Square annotation added", rendersAlike(ocSigned)},
		{"noview-print-over-amount", func() []byte {
			return s4Annot(t, signed, "Square", hidOver, hidWhite(hidOver), pdf.Dict{"F": pdf.Int(36)})
		}, StatusModified, "drawn only when printed", printsDifferently(signed)},
		{"noview-without-print-twin", func() []byte {
			return s4Annot(t, signed, "Square", hidOver, hidWhite(hidOver), pdf.Dict{"F": pdf.Int(32)})
		}, StatusValid, "Square annotation added", rendersAlike(signed)},
		{"unprinted-copy-restores-covered-amount", func() []byte { return restoreWith(true, signed, pdf.Dict{"F": pdf.Int(0)}) }, StatusModified, "or is not printed", printsDifferently(signed)},
		{"unprinted-copy-alone-twin", func() []byte { return restoreWith(false, signed, pdf.Dict{"F": pdf.Int(0)}) }, StatusValid, "Square annotation added", nil},
	})
}

// TestRedTeamOptionalContentReaders: optional content in an added appearance that readers
// evaluate differently (measured with pdftoppm, mutool draw and the embedded PDFium). A
// membership dictionary with an empty /OCGs is shown by PDFium and by poppler and MuPDF under
// /AllOn and /AllOff or when the document has no /OCProperties — accepted there (it was
// refused) — and hidden by poppler and MuPDF under /AnyOn and /AnyOff: a white box outside it
// and a copy of the amount inside it showed the amount in PDFium and the box in poppler. A group
// whose /Usage turns it off (PDFium, MuPDF hide; poppler shows), a group without /Type (MuPDF
// shows it), /Type /Foo with /OCGs (PDFium evaluates it; poppler and MuPDF show it) were valid
// with a white box over the amount.
func TestRedTeamOptionalContentReaders(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	noOC := s.sign(t, plain, sigOpts{})
	layer := pdf.Dict{"Type": pdf.Name("OCG"), "Name": pdf.String{Bytes: []byte("Layer")}}
	withOC, ocg := hiddenSigned(t, s, layer, pdf.Dict{"OFF": nil})
	// marked: a Square at rect whose appearance draws before (outside optional content) and
	// inside "/OC /m BDC … EMC", /m being props.
	marked := func(doc []byte, rect pdf.Array, before, inside string, props func(u *pdf.Update) pdf.Object) []byte {
		return s4Annot(t, doc, "Square", rect, func(u *pdf.Update) pdf.Object {
			res := hidHelvRes(u)
			res["Properties"] = pdf.Dict{"m": props(u)}
			return u.Add(s4Form(rect, []byte(before+" /OC /m BDC "+inside+" EMC"), res))
		}, nil)
	}
	box := func(r pdf.Array) string {
		return fmt.Sprintf("q 1 g %d %d 240 40 re f Q", r[0].(pdf.Int), r[1].(pdf.Int))
	}
	emptyMD := func(p string) func(u *pdf.Update) pdf.Object {
		return func(u *pdf.Update) pdf.Object {
			d := pdf.Dict{"Type": pdf.Name("OCMD"), "OCGs": pdf.Array{}}
			if p != "" {
				d["P"] = pdf.Name(p)
			}
			return u.Add(d)
		}
	}
	ref := func(r pdf.Ref) func(*pdf.Update) pdf.Object { return func(*pdf.Update) pdf.Object { return r } }
	usageSigned, usageOCG := hiddenSigned(t, s, pdf.Dict{"Type": pdf.Name("OCG"), "Name": pdf.String{Bytes: []byte("U")},
		"Usage": pdf.Dict{"View": pdf.Dict{"ViewState": pdf.Name("OFF")}}}, pdf.Dict{"ON": nil})
	creatorSigned, creatorOCG := hiddenSigned(t, s, pdf.Dict{"Type": pdf.Name("OCG"), "Name": pdf.String{Bytes: []byte("C")},
		"Usage": pdf.Dict{"CreatorInfo": pdf.Dict{"Creator": pdf.String{Bytes: []byte("x")}, "Subtype": pdf.Name("Artwork")}}}, pdf.Dict{"OFF": nil})
	untypedSigned, untypedOCG := hiddenSigned(t, s, pdf.Dict{"Name": pdf.String{Bytes: []byte("N")}}, pdf.Dict{"OFF": nil})
	runRows(t, s, []rtRow{
		{"empty-ocgs-anyon-restores-covered-amount", func() []byte {
			return marked(withOC, hidOver, box(hidOver), hidAmount, emptyMD(""))
		}, StatusModified, "without groups under /AnyOn", rendersDifferently(withOC)},
		{"empty-ocgs-anyoff-away", func() []byte {
			return marked(withOC, hidAway, "", box(hidAway), emptyMD("AnyOff"))
		}, StatusModified, "without groups under /AnyOff", nil},
		// Before: "an optional-content membership dictionary without groups".
		{"empty-ocgs-allon-away-twin", func() []byte {
			return marked(withOC, hidAway, "", box(hidAway), emptyMD("AllOn"))
		}, StatusValid, "Square annotation added", nil},
		{"empty-ocgs-alloff-away-twin", func() []byte {
			return marked(withOC, hidAway, "", box(hidAway), emptyMD("AllOff"))
		}, StatusValid, "Square annotation added", nil},
		{"empty-ocgs-no-ocproperties-away-twin", func() []byte {
			return marked(noOC, hidAway, "", box(hidAway), emptyMD(""))
		}, StatusValid, "Square annotation added", nil},
		{"empty-ocgs-allon-over-amount", func() []byte {
			return marked(withOC, hidOver, "", box(hidOver), emptyMD("AllOn"))
		}, StatusModified, "cover(s) signed content", rendersDifferently(withOC)},
		{"usage-view-off", func() []byte {
			return marked(usageSigned, hidOver, "", box(hidOver), ref(usageOCG))
		}, StatusModified, "/Usage sets a view or design state", rendersDifferently(usageSigned)},
		{"usage-creator-info-off-twin", func() []byte {
			return marked(creatorSigned, hidOver, "", box(hidOver), ref(creatorOCG))
		}, StatusValid, "Square annotation added", rendersAlike(creatorSigned)},
		{"untyped-group-off", func() []byte {
			return marked(untypedSigned, hidOver, "", box(hidOver), ref(untypedOCG))
		}, StatusModified, "without /Type /OCG", nil},
		{"foo-type-over-group-off", func() []byte {
			return marked(withOC, hidOver, "", box(hidOver), func(u *pdf.Update) pdf.Object {
				return u.Add(pdf.Dict{"Type": pdf.Name("Foo"), "OCGs": pdf.Array{ocg}})
			})
		}, StatusModified, "of /Type /Foo", rendersDifferently(withOC)},
		{"listed-group-off-twin", func() []byte {
			return marked(withOC, hidOver, "", box(hidOver), ref(ocg))
		}, StatusValid, "Square annotation added", rendersAlike(withOC)},
		{"untyped-properties-twin", func() []byte {
			return marked(withOC, hidAway, "", box(hidAway), func(u *pdf.Update) pdf.Object { return u.Add(pdf.Dict{"MCID": pdf.Int(0)}) })
		}, StatusValid, "Square annotation added", nil},
	})
}
