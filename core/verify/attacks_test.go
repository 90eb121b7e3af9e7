package verify

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Attack classes the public corpus lacks, built from our own signed files following the
// published descriptions (Mladenov et al., "1 Trillion Dollar Refund" 2019; Mainka et al.,
// "Shadow Attacks" NDSS 2021; Mainka et al., "Breaking the Specification: PDF Certification"
// IEEE S&P 2021), plus the allowed changes that must stay valid.

func setObj(t testing.TB, u *pdf.Update, ref pdf.Ref, o pdf.Object) {
	t.Helper()
	if err := u.Set(ref, o); err != nil {
		t.Fatal(err)
	}
}

func pageOf(t testing.TB, v *pdf.View) pdf.Page {
	t.Helper()
	p, err := v.Page(1)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func formXObject(data string) *pdf.Stream {
	return &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
		"BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(612), pdf.Int(792)}}, Data: []byte(data)}
}

// fieldAP is a form XObject for the text field "amount" (/Rect 228 × 30, its box too), as a
// filler writes it: a filled field's appearance must show its value at a readable size
// (fillshow.go), which a page-sized box squeezed onto the widget does not.
func fieldAP(data string) *pdf.Stream {
	st := formXObject(data)
	st.Dict["BBox"] = pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(228), pdf.Int(30)}
	return st
}

// hideAndReplace appends an update that consists only of a cross-reference section pointing
// object 4 (the page content) at the unlisted shadow definition inside the signed bytes.
func hideAndReplace(t testing.TB, signed []byte, shadowOff int64) []byte {
	f, err := pdf.Open(bytes.NewReader(signed), int64(len(signed)), nil)
	if err != nil {
		t.Fatal(err)
	}
	revs := f.Revisions()
	last := revs[len(revs)-1]
	size, _ := pdf.IntOf(last.Trailer.Get("Size"))
	var b bytes.Buffer
	b.Write(signed)
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n4 1\n%010d 00000 n \ntrailer\n<</Size %d/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n",
		shadowOff, size, last.XRefOffset, xref)
	return b.Bytes()
}

func TestAttackClasses(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	attacker := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	covered, _ := makeDoc(docOpts{cover: true})
	form, _ := makeDoc(docOpts{textField: "100", emptySig: true})
	emptyForm, _ := makeDoc(docOpts{emptyText: true, emptySig: true})
	shadowDoc, shadowOff := makeDoc(docOpts{shadow: true})

	cases := []struct {
		name   string
		build  func() []byte
		want   Verdict // with the test root trusted
		change string  // a substring one of the named changes must contain ("" = none)
	}{
		// --- Shadow attacks -------------------------------------------------------------
		{"shadow hide: overlay XObject emptied", func() []byte {
			d := s.sign(t, covered, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) { setObj(t, u, pdf.Ref{Num: 6}, formXObject("")) })
		}, StatusModified, "object 6"},
		{"shadow hide: page resources replaced", func() []byte {
			d := s.sign(t, covered, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				p := pageOf(t, v)
				pd := p.Dict.Clone()
				pd["Resources"] = pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}
				setObj(t, u, p.Ref, pd)
			})
		}, StatusModified, "/Resources"},
		{"shadow replace: filled form field overwritten", func() []byte {
			d := s.sign(t, form, sigOpts{field: "Sig1"})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				w := v.Dict(pdf.Ref{Num: 7}).Clone()
				w["V"] = pdf.String{Bytes: []byte("1000000")}
				w["AP"] = pdf.Dict{"N": u.Add(formXObject("BT /Helv 12 Tf 2 10 Td (1000000) Tj ET"))}
				setObj(t, u, pdf.Ref{Num: 7}, w)
			})
		}, StatusModified, "already filled"},
		{"shadow replace: font redefined", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				setObj(t, u, pdf.Ref{Num: 5}, pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Courier"),
					"Encoding": pdf.Dict{"Differences": pdf.Array{pdf.Int(49), pdf.Name("nine")}}})
			})
		}, StatusModified, "object 5"},
		{"shadow hide-and-replace: xref points into the signed bytes", func() []byte {
			return hideAndReplace(t, s.sign(t, shadowDoc, sigOpts{}), shadowOff)
		}, StatusModified, "hide-and-replace"},
		// --- Incremental saving attacks --------------------------------------------------
		{"ISA: page content replaced", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				setObj(t, u, pdf.Ref{Num: 4}, &pdf.Stream{Dict: pdf.Dict{}, Data: []byte("BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET")})
			})
		}, StatusModified, "object 4"},
		{"ISA: page added", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				np := u.Add(pdf.Dict{"Type": pdf.Name("Page"), "Parent": pdf.Ref{Num: 2}, "MediaBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(612), pdf.Int(792)}})
				setObj(t, u, pdf.Ref{Num: 2}, pdf.Dict{"Type": pdf.Name("Pages"), "Kids": pdf.Array{pdf.Ref{Num: 3}, np}, "Count": pdf.Int(2)})
			})
		}, StatusModified, "number of pages"},
		{"ISA: catalog replaced", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				c := u.Add(pdf.Dict{"Type": pdf.Name("Catalog"), "Pages": pdf.Ref{Num: 2}, "OpenAction": pdf.Dict{"S": pdf.Name("JavaScript"), "JS": pdf.String{Bytes: []byte("app.alert(1)")}}})
				u.SetTrailer("Root", c)
			})
		}, StatusModified, "catalog"},
		{"ISA: objects appended after %%EOF without a cross-reference section", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return append(d, []byte("4 0 obj\n<</Length 40>>stream\nBT /F1 24 Tf 72 700 Td (Pay 1) Tj ET\nendstream\nendobj\n")...)
		}, StatusModified, "after the last revision"},
		{"ISA: object definition in an update whose xref does not list it", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			f, _ := pdf.Open(bytes.NewReader(d), int64(len(d)), nil)
			last := f.Revisions()[len(f.Revisions())-1]
			size, _ := pdf.IntOf(last.Trailer.Get("Size"))
			var b bytes.Buffer
			b.Write(d)
			b.WriteString("4 0 obj\n<</Length 37>>stream\nBT /F1 24 Tf 72 700 Td (Pay 1) Tj ET\nendstream\nendobj\n")
			x := b.Len()
			fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \ntrailer\n<</Size %d/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", size, last.XRefOffset, x)
			return b.Bytes()
		}, StatusModified, "does not list"},
		{"ISA: update without /Prev (a complete new xref)", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			// The new chain no longer contains the signed revision: the signature cannot be
			// tied to a revision of this document any more.
			return isaRaw(t, d, false, false)
		}, StatusInvalid, ""},
		{"ISA: update whose startxref still names the signed xref", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return isaRaw(t, d, true, true)
		}, StatusModified, ""},
		{"signature dictionary rewritten after signing", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				f := v.File()
				sigs, _, _ := f.FindSigDicts()
				sd := sigs[0].Dict.Clone()
				sd["M"] = pdf.String{Bytes: []byte("D:19800101000000Z")}
				sd["Name"] = pdf.String{Bytes: []byte("Somebody Else")}
				setObj(t, u, sigs[0].Ref, sd)
			})
		}, StatusModified, "signature dictionary"},
		// --- Universal signature forgery and signature wrapping ---------------------------
		{"USF: /Contents of zero bytes", func() []byte {
			return s.sign(t, plain, sigOpts{contents: []byte{0}})
		}, StatusInvalid, ""},
		{"USF: CMS from another document", func() []byte {
			other := s.sign(t, form, sigOpts{})
			f, _ := pdf.Open(bytes.NewReader(other), int64(len(other)), nil)
			sigs, _, _ := f.FindSigDicts()
			c := sigs[0].Dict.Get("Contents").(pdf.String).Bytes
			return s.sign(t, plain, sigOpts{contents: bytes.TrimRight(c, "\x00")})
		}, StatusInvalid, ""},
		{"SWA: gap larger than /Contents", func() []byte {
			return s.sign(t, plain, sigOpts{byteRange: func(br [4]int64) [4]int64 { return [4]int64{0, br[1] - 10, br[2], br[3]} }})
		}, StatusInvalid, ""},
		{"SWA: signed part does not end at a revision end", func() []byte {
			return s.sign(t, plain, sigOpts{byteRange: func(br [4]int64) [4]int64 { return [4]int64{0, br[1], br[2], br[3] - 20} }})
		}, StatusInvalid, ""},
		// --- Certification attacks ----------------------------------------------------------
		{"EAA: FreeText annotation on a P=2 certified document", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 2})
			return addAnnot(t, d, "FreeText", "BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET")
		}, StatusModified, "FreeText"},
		{"EAA: FreeText annotation on a P=3 certified document, painting white over the text", func() []byte {
			// The appearance's BBox (the page) is scaled to the /Rect over the amount.
			d := s.sign(t, plain, sigOpts{certify: 3})
			return addAnnot(t, d, "FreeText", "1 g 0 0 612 792 re f 0 g BT /F1 400 Tf 40 100 Td (Pay 5 yuan) Tj ET")
		}, StatusModified, "cover(s) signed content"},
		{"a FreeText whose scaled appearance only writes in blank space is allowed at P=3 (rendering)", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 3})
			return addAnnot(t, d, "FreeText", "1 g 60 690 400 40 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET")
		}, StatusValid, "FreeText annotation added"},
		{"EAA: Stamp annotation on a P=3 certified document", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 3})
			return addAnnot(t, d, "Stamp", "1 g 0 0 612 792 re f")
		}, StatusModified, "cover(s) signed content"},
		{"EAA: highlight whose appearance draws text on a P=3 document", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 3})
			return addAnnot(t, d, "Highlight", "BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET")
		}, StatusModified, "draws text"},
		{"EAA: highlight painting white over the text on a P=3 document", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 3})
			return addAnnot(t, d, "Highlight", "1 1 1 rg 60 690 400 40 re f")
		}, StatusModified, "covers the page"},
		{"EAA: sticky note whose appearance is stretched over the text on a P=3 document", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 3})
			return addAnnot(t, d, "Text", "1 1 0 rg 0 0 20 20 re f")
		}, StatusModified, "covers the page"},
		{"P=3: sticky note placed over the signature's appearance", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 3, visible: true})
			return addAnnotAt(t, d, "Text", "", pdf.Array{pdf.Int(80), pdf.Int(410), pdf.Int(100), pdf.Int(430)})
		}, StatusModified, "over signature field"},
		{"SSA: unsigned visible signature field added to a P=2 certified document", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 2})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				p := pageOf(t, v)
				ap := u.Add(formXObject("1 g 60 690 400 40 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET"))
				w := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"), "T": pdf.String{Bytes: []byte("Sneaky")},
					"Rect": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(612), pdf.Int(792)}, "F": pdf.Int(4), "P": p.Ref, "AP": pdf.Dict{"N": ap}})
				addWidget(t, u, v, p, w)
			})
		}, StatusModified, "sneaky signature"},
		{"SSA: visible signature by another signer on a P=2 certified document", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 2})
			return attacker.sign(t, d, sigOpts{visible: true})
		}, StatusModified, "sneaky signature"},
		{"P=2: a trusted co-signer adds a visible signature (cross-page seal style)", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 2})
			return s.sign(t, d, sigOpts{visible: true})
		}, StatusValid, "signed by a trusted signer"},
		{"P=1: DSS and a document timestamp are still allowed", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 1})
			return s.sign(t, d, sigOpts{docTS: true, dssOCSP: func() [][]byte {
				r, err := s.pki.OCSPResponse(s.cert.SerialNumber)
				if err != nil {
					t.Fatal(err)
				}
				return [][]byte{r}
			}()})
		}, StatusValid, "document timestamp"},
		{"SSA: extra visible widget added to the certification signature's own field", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 2, visible: true})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				fields, _ := v.Fields()
				var parent pdf.Field
				for _, f := range fields {
					if f.IsSignature() {
						parent = f
					}
				}
				p := pageOf(t, v)
				ap := u.Add(formXObject("1 g 0 0 400 40 re f 0 g BT /F1 24 Tf 2 10 Td (Pay 5 yuan) Tj ET"))
				kid := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "Parent": parent.Ref,
					"Rect": pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(460), pdf.Int(730)}, "F": pdf.Int(4), "P": p.Ref, "AP": pdf.Dict{"N": ap}})
				// The merged field/widget becomes a field with two widgets.
				fd := parent.Dict.Clone()
				old := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "Parent": parent.Ref,
					"Rect": fd["Rect"], "F": fd["F"], "P": p.Ref, "AP": fd["AP"]})
				for _, k := range []pdf.Name{"Type", "Subtype", "Rect", "F", "P", "AP"} {
					delete(fd, k)
				}
				fd["Kids"] = pdf.Array{old, kid}
				setObj(t, u, parent.Ref, fd)
				pd := p.Dict.Clone()
				ao, _ := v.Resolve(pd.Get("Annots"))
				arr, _ := ao.(pdf.Array)
				var na pdf.Array
				for _, x := range arr {
					if x != parent.Ref {
						na = append(na, x)
					}
				}
				pd["Annots"] = append(na, old, kid)
				setObj(t, u, p.Ref, pd)
			})
		}, StatusModified, ""},
		{"shadow: extra visible widget added to an approval signature's field", func() []byte {
			d := s.sign(t, plain, sigOpts{visible: true})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				fields, _ := v.Fields()
				var parent pdf.Field
				for _, f := range fields {
					if f.IsSignature() {
						parent = f
					}
				}
				p := pageOf(t, v)
				ap := u.Add(formXObject("1 g 0 0 400 40 re f 0 g BT /F1 24 Tf 2 10 Td (Pay 5 yuan) Tj ET"))
				kid := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "Parent": parent.Ref,
					"Rect": pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(460), pdf.Int(730)}, "F": pdf.Int(4), "P": p.Ref, "AP": pdf.Dict{"N": ap}})
				// The merged field/widget becomes a field with two widgets.
				fd := parent.Dict.Clone()
				old := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "Parent": parent.Ref,
					"Rect": fd["Rect"], "F": fd["F"], "P": p.Ref, "AP": fd["AP"]})
				for _, k := range []pdf.Name{"Type", "Subtype", "Rect", "F", "P", "AP"} {
					delete(fd, k)
				}
				fd["Kids"] = pdf.Array{old, kid}
				setObj(t, u, parent.Ref, fd)
				pd := p.Dict.Clone()
				ao, _ := v.Resolve(pd.Get("Annots"))
				arr, _ := ao.(pdf.Array)
				var na pdf.Array
				for _, x := range arr {
					if x != parent.Ref {
						na = append(na, x)
					}
				}
				pd["Annots"] = append(na, old, kid)
				setObj(t, u, p.Ref, pd)
			})
		}, StatusModified, "after that field was signed"},
		{"shadow hide: filling a field while rewriting an XObject the page also uses", func() []byte {
			covered2, _ := makeDoc(docOpts{cover: true, emptyText: true, emptySig: true})
			d := s.sign(t, covered2, sigOpts{field: "Sig1"})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				w := v.Dict(pdf.Ref{Num: 7}).Clone()
				w["V"] = pdf.String{Bytes: []byte("100")}
				ap := formXObject("/Tx BMC /Cover Do EMC")
				ap.Dict["Resources"] = pdf.Dict{"XObject": pdf.Dict{"Cover": pdf.Ref{Num: 6}}}
				w["AP"] = pdf.Dict{"N": u.Add(ap)}
				setObj(t, u, pdf.Ref{Num: 7}, w)
				setObj(t, u, pdf.Ref{Num: 6}, formXObject(""))
			})
		}, StatusModified, "object 6"},
		{"form filling that rewrites the field's own appearance stream in place", func() []byte {
			d := s.sign(t, emptyForm, sigOpts{field: "Sig1"})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				w := v.Dict(pdf.Ref{Num: 7}).Clone()
				w["V"] = pdf.String{Bytes: []byte("100")}
				setObj(t, u, pdf.Ref{Num: 7}, w)
				ap := formXObject("/Tx BMC BT /Helv 12 Tf 2 10 Td (100) Tj ET EMC")
				ap.Dict["BBox"] = pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(228), pdf.Int(30)}
				setObj(t, u, pdf.Ref{Num: 8}, ap)
			})
		}, StatusValid, "appearance object 8"},
		{"content stream smuggled into the DSS and changed", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				cat := v.Dict(rootOf(v)).Clone()
				cat["DSS"] = pdf.Dict{"Certs": pdf.Array{pdf.Ref{Num: 4}}}
				setObj(t, u, rootOf(v), cat)
				setObj(t, u, pdf.Ref{Num: 4}, &pdf.Stream{Dict: pdf.Dict{}, Data: []byte("BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET")})
			})
		}, StatusModified, "object 4"},
		{"content stream promoted to /Info and changed", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				u.SetTrailer("Info", pdf.Ref{Num: 4})
				setObj(t, u, pdf.Ref{Num: 4}, &pdf.Stream{Dict: pdf.Dict{}, Data: []byte("BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET")})
			})
		}, StatusModified, "object 4"},
		{"font object re-used as a new signature field", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				setObj(t, u, pdf.Ref{Num: 5}, pdf.Dict{"FT": pdf.Name("Sig"), "T": pdf.String{Bytes: []byte("Font")}})
				cat := v.Dict(rootOf(v)).Clone()
				af := v.Dict(cat.Get("AcroForm")).Clone()
				fo, _ := v.Resolve(af.Get("Fields"))
				fa, _ := fo.(pdf.Array)
				af["Fields"] = append(append(pdf.Array{}, fa...), pdf.Ref{Num: 5})
				cat["AcroForm"] = af
				setObj(t, u, rootOf(v), cat)
			})
		}, StatusModified, "object 5"},
		{"content stream re-used as the page's /Annots and changed", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				p := pageOf(t, v)
				pd := p.Dict.Clone()
				pd["Annots"] = pdf.Ref{Num: 4}
				pd["Contents"] = u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte("BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET")})
				setObj(t, u, p.Ref, pd)
				setObj(t, u, pdf.Ref{Num: 4}, pdf.Array{})
			})
		}, StatusModified, "object 4"},
		{"content stream turned into an added annotation", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				p := pageOf(t, v)
				pd := p.Dict.Clone()
				pd["Annots"] = pdf.Array{pdf.Ref{Num: 4}}
				setObj(t, u, p.Ref, pd)
				setObj(t, u, pdf.Ref{Num: 4}, pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Text"),
					"Rect": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(10), pdf.Int(10)}})
			})
		}, StatusModified, "object 4"},
		{"shadow: dangling XObject reference filled in after signing", func() []byte {
			doc := bytes.Replace(plain, []byte("/XObject<</Cover 6 0 R>>"), []byte("/XObject<</Cover 6 0 R/Late 40 0 R>>"), 1)
			doc = bytes.Replace(doc, []byte("(Pay 1000000 yuan) Tj ET"), []byte("(Pay 1000000 yuan) Tj ET /Late Do"), 1)
			doc = fixLength4(t, doc)
			d := s.sign(t, doc, sigOpts{})
			var b bytes.Buffer
			b.Write(d)
			f, _ := pdf.Open(bytes.NewReader(d), int64(len(d)), nil)
			last := f.Revisions()[len(f.Revisions())-1]
			size, _ := pdf.IntOf(last.Trailer.Get("Size"))
			off := b.Len()
			data := "1 g 0 0 612 792 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET"
			fmt.Fprintf(&b, "40 0 obj\n<</Type/XObject/Subtype/Form/BBox[0 0 612 792]/Resources<</Font<</F1 5 0 R>>>>/Length %d>>stream\n%s\nendstream\nendobj\n", len(data), data)
			x := b.Len()
			fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n40 1\n%010d 00000 n \ntrailer\n<</Size %d/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", off, max(size, 41), last.XRefOffset, x)
			return b.Bytes()
		}, StatusModified, "missing when signed"},
		{"P=1: any later signature is disallowed", func() []byte {
			d := s.sign(t, emptyForm, sigOpts{certify: 1})
			return s.sign(t, d, sigOpts{field: "Sig1"})
		}, StatusModified, "allows no changes"},
		{"FieldMDP lock: locked field filled", func() []byte {
			d := s.sign(t, emptyForm, sigOpts{field: "Sig1", fieldLock: []string{"amount"}})
			return fillText(t, d, "999")
		}, StatusModified, "locks"},
		// --- Allowed changes -----------------------------------------------------------------
		{"P=3: sticky note (Text annotation) added", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 3})
			return addAnnotAt(t, d, "Text", "", pdf.Array{pdf.Int(500), pdf.Int(700), pdf.Int(520), pdf.Int(720)})
		}, StatusValid, "Text annotation added"},
		{"P=3: highlight added", func() []byte {
			d := s.sign(t, plain, sigOpts{certify: 3})
			return addAnnot(t, d, "Highlight", "1 1 0 rg 72 695 200 30 re f")
		}, StatusValid, "Highlight annotation added"},
		{"P=2: empty field filled and a prepared field signed", func() []byte {
			d := s.sign(t, emptyForm, sigOpts{certify: 2})
			d = fillText(t, d, "100")
			return s.sign(t, d, sigOpts{field: "Sig1"})
		}, StatusValid, "filled in"},
		{"approval: second signature in a new visible field, then a document timestamp", func() []byte {
			d := s.sign(t, plain, sigOpts{visible: true})
			d = s.sign(t, d, sigOpts{visible: true})
			return s.sign(t, d, sigOpts{docTS: true})
		}, StatusValid, "signature field"},
		{"approval: DSS with OCSP added later (LTV)", func() []byte {
			d := s.sign(t, plain, sigOpts{})
			ocsp, err := s.pki.OCSPResponse(s.cert.SerialNumber)
			if err != nil {
				t.Fatal(err)
			}
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				cat := v.Dict(rootOf(v)).Clone()
				cat["DSS"] = u.Add(pdf.Dict{"OCSPs": pdf.Array{u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: ocsp})}})
				setObj(t, u, rootOf(v), cat)
			})
		}, StatusValid, "DSS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.build()
			rep := verifyBytes(t, data, s.store())
			if rep.Verdict != c.want {
				t.Fatalf("verdict %s, want %s\n%s", rep.Verdict, c.want, dump(rep))
			}
			if c.change != "" {
				all := ""
				for _, sg := range rep.Signatures {
					all += strings.Join(sg.Changes, "\n") + "\n"
				}
				if !strings.Contains(all, c.change) {
					t.Errorf("no change naming %q:\n%s", c.change, dump(rep))
				}
			}
		})
	}
}

func addWidget(t testing.TB, u *pdf.Update, v *pdf.View, p pdf.Page, w pdf.Ref) {
	pd := p.Dict.Clone()
	ao, _ := v.Resolve(pd.Get("Annots"))
	arr, _ := ao.(pdf.Array)
	pd["Annots"] = append(append(pdf.Array{}, arr...), w)
	setObj(t, u, p.Ref, pd)
	cat := v.Dict(rootOf(v)).Clone()
	af := v.Dict(cat.Get("AcroForm"))
	if af == nil {
		af = pdf.Dict{}
	}
	af = af.Clone()
	fo, _ := v.Resolve(af.Get("Fields"))
	fa, _ := fo.(pdf.Array)
	af["Fields"] = append(append(pdf.Array{}, fa...), w)
	if r, ok := cat.Get("AcroForm").(pdf.Ref); ok {
		setObj(t, u, r, af)
		return
	}
	cat["AcroForm"] = af
	setObj(t, u, rootOf(v), cat)
}

// addAnnot adds a markup annotation of subtype st (with an appearance drawing ap, if any) over
// the page's text.
func addAnnot(t testing.TB, in []byte, st, ap string) []byte {
	return addAnnotAt(t, in, st, ap, pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(460), pdf.Int(730)})
}

func addAnnotAt(t testing.TB, in []byte, st, ap string, rect pdf.Array) []byte {
	return update(t, in, func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		a := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name(st), "Rect": rect,
			"Contents": pdf.String{Bytes: []byte("note")}, "F": pdf.Int(4)}
		if ap != "" {
			a["AP"] = pdf.Dict{"N": u.Add(formXObject(ap))}
		}
		ar := u.Add(a)
		pd := p.Dict.Clone()
		ao, _ := v.Resolve(pd.Get("Annots"))
		arr, _ := ao.(pdf.Array)
		pd["Annots"] = append(append(pdf.Array{}, arr...), ar)
		setObj(t, u, p.Ref, pd)
	})
}

// fillText fills the text field "amount" (object 7) with value.
func fillText(t testing.TB, in []byte, value string) []byte {
	return update(t, in, func(u *pdf.Update, v *pdf.View) {
		w := v.Dict(pdf.Ref{Num: 7}).Clone()
		w["V"] = pdf.String{Bytes: []byte(value)}
		w["AP"] = pdf.Dict{"N": u.Add(fieldAP("/Tx BMC BT /Helv 12 Tf 2 10 Td (" + value + ") Tj ET EMC"))}
		setObj(t, u, pdf.Ref{Num: 7}, w)
	})
}

// isaRaw appends, by hand, a new content stream for object 4 and a cross-reference section:
// with or without /Prev, and with startxref naming the new section or still the old one.
func isaRaw(t testing.TB, signed []byte, prev, oldStartxref bool) []byte {
	f, err := pdf.Open(bytes.NewReader(signed), int64(len(signed)), nil)
	if err != nil {
		t.Fatal(err)
	}
	revs := f.Revisions()
	last := revs[len(revs)-1]
	size, _ := pdf.IntOf(last.Trailer.Get("Size"))
	var b bytes.Buffer
	b.Write(signed)
	off := b.Len()
	b.WriteString("4 0 obj\n<</Length 37>>stream\nBT /F1 24 Tf 72 700 Td (Pay 1) Tj ET\nendstream\nendobj\n")
	x := b.Len()
	if prev {
		fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n4 1\n%010d 00000 n \ntrailer\n<</Size %d/Root 1 0 R/Prev %d>>\n", off, size, last.XRefOffset)
	} else {
		// A full table: every object of the signed file at its latest offset, object 4 replaced.
		v := f.Latest()
		fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", size)
		for n := 1; n < int(size); n++ {
			e, _, ok := v.Entry(n)
			switch {
			case n == 4:
				fmt.Fprintf(&b, "%010d 00000 n \n", off)
			case ok && e.Type == pdf.EntryInUse:
				fmt.Fprintf(&b, "%010d %05d n \n", e.Offset, e.Gen)
			default:
				b.WriteString("0000000000 00000 f \n")
			}
		}
		fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\n", size)
	}
	sx := int64(x)
	if oldStartxref {
		sx = last.XRefOffset
	}
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", sx)
	return b.Bytes()
}

// fixLength4 rewrites the /Length of the content stream (object 4) after an edit of makeDoc's
// output, and rebuilds the cross-reference table offsets by re-parsing the objects' positions.
func fixLength4(t testing.TB, doc []byte) []byte {
	i := bytes.Index(doc, []byte("4 0 obj\n<</Length "))
	j := bytes.Index(doc[i:], []byte(">>stream\n")) + i
	k := bytes.Index(doc[j:], []byte("\nendstream")) + j
	n := k - (j + len(">>stream\n"))
	out := append(append(append([]byte{}, doc[:i]...), []byte(fmt.Sprintf("4 0 obj\n<</Length %d", n))...), doc[j:]...)
	// Re-number the xref table from the actual object positions.
	x := bytes.LastIndex(out, []byte("\nxref\n")) + 1
	lines := bytes.Split(out[x:], []byte("\n"))
	for num := 1; num+2 < len(lines); num++ {
		line := lines[num+2]
		if len(line) < 18 || line[17] != 'n' {
			continue
		}
		pos := bytes.Index(out, []byte(fmt.Sprintf("\n%d 0 obj", num)))
		if pos < 0 {
			continue
		}
		copy(line, []byte(fmt.Sprintf("%010d", pos+1)))
	}
	sx := bytes.LastIndex(out, []byte("startxref\n"))
	return append(out[:sx], []byte(fmt.Sprintf("startxref\n%d\n%%%%EOF\n", x))...)
}
