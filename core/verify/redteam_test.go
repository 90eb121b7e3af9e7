package verify

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Regression tests for the bypasses a red team found in the change analysis and the signature
// checks (issue 4 hardening). Each row is the red team's build function, ported to these
// helpers; the expected verdict is with the test root trusted.

const redEvil = "BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET"

func contentStream(data string, extra pdf.Dict) *pdf.Stream {
	d := pdf.Dict{}
	for k, v := range extra {
		d[k] = v
	}
	return &pdf.Stream{Dict: d, Data: []byte(data)}
}

func TestRedTeamRegressions(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	attacker := newSigner(t, pki.ECDSAP256)
	colleague := &signer{pki: s.pki, tsa: s.tsa, now: s.now}
	colleague.cert, colleague.key = s.pki.Leaf(t, "李四", pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	approval := s.sign(t, plain, sigOpts{})
	repContent := func(base []byte, extra pdf.Dict) []byte {
		return update(t, base, func(u *pdf.Update, v *pdf.View) { setObj(t, u, pdf.Ref{Num: 4}, contentStream(redEvil, extra)) })
	}
	// The victim's signature named as usage rights (UR3) by a later catalog.
	ur3 := func() []byte {
		return update(t, approval, func(u *pdf.Update, v *pdf.View) {
			setObj(t, u, pdf.Ref{Num: 4}, contentStream(redEvil, nil))
			sigs, _, _ := v.File().FindSigDicts()
			c := v.Dict(pdf.Ref{Num: 1}).Clone()
			c["Perms"] = pdf.Dict{"UR3": sigs[0].Ref}
			setObj(t, u, pdf.Ref{Num: 1}, c)
		})
	}
	checkbox := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		yes := u.Add(formXObject("0 g 2 2 16 16 re f"))
		off := u.Add(formXObject("0 G 2 2 16 16 re S"))
		w := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Btn"), "T": pdf.String{Bytes: []byte("agree")},
			"V": pdf.Name("Yes"), "AS": pdf.Name("Yes"), "Rect": pdf.Array{pdf.Int(72), pdf.Int(500), pdf.Int(92), pdf.Int(520)}, "F": pdf.Int(4), "P": p.Ref,
			"AP": pdf.Dict{"N": pdf.Dict{"Yes": yes, "Off": off}}})
		d := p.Dict.Clone()
		d["Annots"] = pdf.Array{w}
		setObj(t, u, p.Ref, d)
		c := v.Dict(pdf.Ref{Num: 1}).Clone()
		c["AcroForm"] = pdf.Dict{"Fields": pdf.Array{w}}
		setObj(t, u, pdf.Ref{Num: 1}, c)
	})
	setBox := func(in []byte, state string) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			f, _ := v.Fields()
			for _, fl := range f {
				if fl.Name == "agree" {
					w := fl.Dict.Clone()
					w["V"] = pdf.Name(state)
					w["AS"] = pdf.Name(state)
					setObj(t, u, fl.Ref, w)
				}
			}
		})
	}

	cert3 := s.sign(t, plain, sigOpts{certify: 3})
	cert1 := s.sign(t, plain, sigOpts{certify: 1})
	highlight := func(ap string, res pdf.Dict, extra pdf.Dict) []byte {
		var st *pdf.Stream
		if ap != "" {
			st = formXObject(ap)
			if res != nil {
				st.Dict["Resources"] = res
			}
		}
		return addAnnotWith(t, cert3, "Highlight", st, extra)
	}
	withXMP := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		c := v.Dict(pdf.Ref{Num: 1}).Clone()
		c["Metadata"] = u.Add(contentStream("<x:xmpmeta/>", pdf.Dict{"Type": pdf.Name("Metadata"), "Subtype": pdf.Name("XML")}))
		setObj(t, u, pdf.Ref{Num: 1}, c)
	})
	replaceXMP := func(in []byte) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			r := v.Dict(pdf.Ref{Num: 1}).Get("Metadata").(pdf.Ref)
			setObj(t, u, r, contentStream("<x/>", pdf.Dict{"Type": pdf.Name("Metadata"), "Subtype": pdf.Name("XML")}))
		})
	}
	addInfo := func(in []byte) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			u.SetTrailer("Info", u.Add(pdf.Dict{"Title": pdf.String{Bytes: []byte("x")}}))
		})
	}

	indirectContents := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		d := v.Dict(pdf.Ref{Num: 3}).Clone()
		d["Contents"] = u.Add(pdf.Array{pdf.Ref{Num: 4}})
		setObj(t, u, pdf.Ref{Num: 3}, d)
	})
	// The page's indirect /Contents array gains content streams dressed up as annotations.
	disguisedContents := func(certify int) []byte {
		d := s.sign(t, indirectContents, sigOpts{certify: certify})
		return update(t, d, func(u *pdf.Update, v *pdf.View) {
			var arr pdf.Array
			for i := 0; i < 8; i++ {
				data := ""
				if i == 0 {
					data = redEvil + " 0 0 1 1 re W n"
				}
				arr = append(arr, u.Add(contentStream(data, pdf.Dict{"Subtype": pdf.Name("Text"), "Rect": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}})))
			}
			arr = append(arr, pdf.Ref{Num: 4})
			cr := v.Dict(pdf.Ref{Num: 3}).Get("Contents").(pdf.Ref)
			setObj(t, u, cr, arr)
		})
	}
	emptyForm, _ := makeDoc(docOpts{emptyText: true, emptySig: true})
	indirectAnnots := update(t, emptyForm, func(u *pdf.Update, v *pdf.View) {
		d := v.Dict(pdf.Ref{Num: 3}).Clone()
		d["Annots"] = u.Add(pdf.Array{pdf.Ref{Num: 7}, pdf.Ref{Num: 9}})
		setObj(t, u, pdf.Ref{Num: 3}, d)
	})

	// Dangling references of the signed revision filled in by a later one.
	danglingBody := map[string]string{
		"content":    "<</Length 68>>stream\n1 g 60 690 400 40 re f 0 g " + redEvil + "\nendstream",
		"xobject":    "<</Type/XObject/Subtype/Form/BBox[0 0 612 792]/Resources<</Font<</F1 5 0 R>>>>/Length 68>>stream\n1 g 60 690 400 40 re f 0 g " + redEvil + "\nendstream",
		"openaction": "<</S/JavaScript/JS(app.alert('pay to account 666'))>>",
		"annots":     "<</Type/Annot/Subtype/FreeText/Rect[60 690 460 730]/F 4/DA(/Helv 24 Tf 0 g)/Contents(Pay 5 yuan)/AP<</N 40 0 R>>>>",
	}
	dangling := func(kind string, null bool, certify int) []byte {
		base, _ := makeDoc(docOpts{dangling: kind, nullDef: null})
		d := s.sign(t, base, sigOpts{certify: certify})
		objs := []rawObject{{20, danglingBody[kind]}}
		if kind == "annots" {
			objs = append(objs, rawObject{40, "<</Type/XObject/Subtype/Form/BBox[0 0 400 40]/Resources<</Font<</F1 5 0 R>>>>/Length 64>>stream\n1 g 0 0 400 40 re f 0 g BT /F1 24 Tf 12 10 Td (Pay 5 yuan) Tj ET\nendstream"})
		}
		return rawAppend(t, d, objs)
	}

	// A new XMP stream (allowed) whose data holds a complete "4 0 obj"; skew moves the final
	// startxref so that viewers rebuild the cross-reference table by scanning.
	hiddenInXMP := func(skew int) []byte {
		body := "\n4 0 obj\n<</Length 41>>stream\n" + redEvil + "\nendstream\nendobj\n"
		d := update(t, approval, func(u *pdf.Update, v *pdf.View) {
			c := v.Dict(pdf.Ref{Num: 1}).Clone()
			c["Metadata"] = u.Add(contentStream(body, pdf.Dict{"Type": pdf.Name("Metadata"), "Subtype": pdf.Name("XML")}))
			setObj(t, u, pdf.Ref{Num: 1}, c)
		})
		i := bytes.LastIndex(d, []byte("startxref\n"))
		var x int
		fmt.Sscanf(string(d[i+10:]), "%d", &x)
		return append(d[:i:i], fmt.Sprintf("startxref\n%d\n%%%%EOF\n", x+skew)...)
	}

	cases := []struct {
		name   string
		build  func() []byte
		want   Verdict
		reason string // a substring of some change or reason ("" = none checked)
	}{
		{"usf-subfilter-Foo_Bar: unknown /SubFilter", func() []byte {
			return s.sign(t, plain, sigOpts{sigEdit: func(d pdf.Dict) { d["SubFilter"] = pdf.Name("Foo.Bar") }})
		}, StatusInvalid, "unknown /SubFilter"},
		{"usf-subfilter-missing: no /SubFilter", func() []byte {
			return s.sign(t, plain, sigOpts{sigEdit: func(d pdf.Dict) { delete(d, "SubFilter") }})
		}, StatusInvalid, "no /SubFilter"},
		{"usf-filter-missing stays valid (only /Filter absent)", func() []byte {
			return s.sign(t, plain, sigOpts{sigEdit: func(d pdf.Dict) { delete(d, "Filter") }})
		}, StatusValid, ""},
		{"isa-content-typed-xref: content replaced by a stream claiming /Type /XRef", func() []byte {
			return repContent(approval, pdf.Dict{"Type": pdf.Name("XRef")})
		}, StatusModified, "object 4"},
		{"isa-content-typed-objstm: content replaced by a stream claiming /Type /ObjStm", func() []byte {
			return repContent(approval, pdf.Dict{"Type": pdf.Name("ObjStm")})
		}, StatusModified, "object 4"},
		{"isa-ur3-hides-victim-sig: later /Perms /UR3 names the victim, attacker signs on top", func() []byte {
			return attacker.sign(t, ur3(), sigOpts{})
		}, StatusModified, "/Perms"},
		{"isa-ur3-hides-victim-sig-colleague: same, trusted colleague on top", func() []byte {
			return colleague.sign(t, ur3(), sigOpts{})
		}, StatusModified, "object 4"},
		{"isa-ur3-hides-only-sig: /Perms /UR3 names the only signature", ur3, StatusModified, "object 4"},
		{"replace-checked-box-unchecked: a checked box unchecked after signing", func() []byte {
			return setBox(s.sign(t, checkbox, sigOpts{}), "Off")
		}, StatusModified, "already set"},
		{"an unchecked box checked after signing is form filling", func() []byte {
			return setBox(s.sign(t, setBox(checkbox, "Off"), sigOpts{}), "Yes")
		}, StatusValid, "filled in"},
		// --- appearances of annotations allowed at P=3 -------------------------------------
		{"ok-p3-text-annot: a note without appearance is an icon, whatever its /Rect (beside the text)", func() []byte {
			return addAnnotWith(t, cert3, "Text", nil, pdf.Dict{"Rect": pdf.Array{pdf.Int(480), pdf.Int(500), pdf.Int(900), pdf.Int(730)}})
		}, StatusValid, "Text annotation added"},
		{"a note icon drawn over the signed amount covers it (rendering)", func() []byte {
			return addAnnotWith(t, cert3, "Text", nil, nil)
		}, StatusModified, "cover(s) signed content"},
		{"eaa-p3-black-highlight-no-ap: black highlight without appearance", func() []byte {
			return highlight("", nil, pdf.Dict{"C": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0)}})
		}, StatusModified, "evil annotation"},
		{"a yellow highlight without appearance stays allowed", func() []byte {
			return highlight("", nil, pdf.Dict{"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(0)}})
		}, StatusValid, "Highlight annotation added"},
		{"eaa-p3-highlight-Do-slash: '/X Do/G gs' draws the cover XObject", func() []byte {
			return highlight("/X Do/G gs", pdf.Dict{"XObject": pdf.Dict{"X": pdf.Ref{Num: 6}}}, nil)
		}, StatusModified, "evil annotation"},
		{"eaa-p3-highlight-shading: '/Sh0 sh' paints a shading", func() []byte {
			sh := pdf.Dict{"ShadingType": pdf.Int(2), "ColorSpace": pdf.Name("DeviceGray"), "Coords": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(612), pdf.Int(0)},
				"Function": pdf.Dict{"FunctionType": pdf.Int(2), "Domain": pdf.Array{pdf.Int(0), pdf.Int(1)}, "C0": pdf.Array{pdf.Int(1)}, "C1": pdf.Array{pdf.Int(1)}, "N": pdf.Int(1)}}
			return highlight("/Sh0 sh", pdf.Dict{"Shading": pdf.Dict{"Sh0": sh}}, nil)
		}, StatusModified, "evil annotation"},
		{"eaa-p3-highlight-Tj-no-space: '(..)Tj%'", func() []byte {
			return highlight("BT /F1 24 Tf 72 700 Td (Pay 5 yuan)Tj%x\nET", nil, nil)
		}, StatusModified, "evil annotation"},
		{"eaa-p3-highlight-Tj-slash: '<..>Tj/F1 1 Tf'", func() []byte {
			return highlight("BT /F1 24 Tf 72 700 Td <5061792035207975616E>Tj/F1 1 Tf ET", nil, nil)
		}, StatusModified, "evil annotation"},
		{"a highlight filling a black box covers the text", func() []byte {
			return highlight("0 0 0 rg 0 0 400 40 re f", nil, nil)
		}, StatusModified, "evil annotation"},
		{"a highlight filling a light grey box covers the text", func() []byte {
			return highlight("0.95 g 0 0 400 40 re f", nil, nil)
		}, StatusModified, "evil annotation"},
		{"a highlight appearance that does not tokenise counts as drawing", func() []byte {
			return highlight("1 1 0 rg 0 0 10 10 re f )", nil, nil)
		}, StatusModified, "evil annotation"},
		{"an underline drawn as a thin blue stroke stays allowed", func() []byte {
			return addAnnotWith(t, cert3, "Underline", formXObject("0 0 1 RG 60 690 m 460 690 l S"), nil)
		}, StatusValid, "Underline annotation added"},
		// --- P=1: nothing but DSS and document timestamps ----------------------------------
		{"p1-xmp-update: XMP replaced after P=1", func() []byte {
			return replaceXMP(s.sign(t, withXMP, sigOpts{certify: 1}))
		}, StatusModified, "XMP metadata updated although"},
		{"p1-info-update: /Info added after P=1", func() []byte { return addInfo(cert1) }, StatusModified, "Info"},
		{"XMP replaced after an approval signature stays allowed", func() []byte {
			return replaceXMP(s.sign(t, withXMP, sigOpts{}))
		}, StatusValid, "XMP metadata updated"},
		{"/Info added after an approval signature stays allowed", func() []byte { return addInfo(approval) }, StatusValid, "Info"},
		{"isa-prev-self-loop: content redefined by a section whose /Prev names itself", func() []byte {
			return rawAppendPrev(t, approval, []rawObject{{4, "<</Length 41>>stream\n" + redEvil + "\nendstream"}}, true)
		}, StatusModified, "object 4"},
		{"isa-reconstruct-hidden-in-xmp: object hidden in an XMP stream, startxref 7 bytes off", func() []byte {
			return hiddenInXMP(7)
		}, StatusModified, "hides a definition of object 4"},
		// Red team s6: whether a viewer rebuilds is not the verifier's to know (poppler, qpdf and
		// MuPDF rebuild on syntax it tolerates), so the hidden copy counts with an exact
		// startxref too.
		{"the same XMP stream with an exact startxref: a hidden, different object 4 still counts", func() []byte {
			return hiddenInXMP(0)
		}, StatusModified, "reads differently for a viewer that rebuilds"},
		{"p2-second-certification: an attacker certifies P=3 over a P=2 certification, then adds a Square", func() []byte {
			d := attacker.sign(t, s.sign(t, plain, sigOpts{certify: 2}), sigOpts{certify: 3})
			return addAnnotWith(t, d, "Square", formXObject("1 g 0 0 400 40 re f"), nil)
		}, StatusModified, "second certification"},
		// --- arrays judged by their role in the signed revision ------------------------------
		{"isa-contents-array-disguised-as-annots-p0", func() []byte { return disguisedContents(0) }, StatusModified, "array"},
		{"isa-contents-array-disguised-as-annots-p3", func() []byte { return disguisedContents(3) }, StatusModified, "array"},
		{"ok-indirect-contents-sig: indirect /Contents array, nothing changed", func() []byte {
			return s.sign(t, indirectContents, sigOpts{})
		}, StatusValid, ""},
		{"ok-indirect-annots-second-sig: a second signature's widget appended to the indirect /Annots array", func() []byte {
			return colleague.sign(t, s.sign(t, indirectAnnots, sigOpts{field: "Sig1"}), sigOpts{visible: true})
		}, StatusValid, "signature field"},
		{"ok-indirect-annots-p3-note: a note appended to the page's indirect /Annots array", func() []byte {
			d := s.sign(t, indirectAnnots, sigOpts{certify: 3})
			return update(t, d, func(u *pdf.Update, v *pdf.View) {
				n := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Text"), "Rect": pdf.Array{pdf.Int(500), pdf.Int(700), pdf.Int(520), pdf.Int(720)}, "Contents": pdf.String{Bytes: []byte("ok")}})
				ar := v.Dict(pdf.Ref{Num: 3}).Get("Annots").(pdf.Ref)
				o, _ := v.Resolve(ar)
				setObj(t, u, ar, append(append(pdf.Array{}, o.(pdf.Array)...), n))
			})
		}, StatusValid, "Text annotation added"},
	}
	for _, kind := range []string{"content", "xobject", "openaction", "annots"} {
		for _, null := range []bool{false, true} {
			for _, certify := range []int{0, 2} {
				kind, null, certify := kind, null, certify
				cases = append(cases, struct {
					name   string
					build  func() []byte
					want   Verdict
					reason string
				}{fmt.Sprintf("shadow-dangling-%s null=%v P=%d", kind, null, certify), func() []byte { return dangling(kind, null, certify) },
					StatusModified, "missing when signed"})
			}
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := verifyBytes(t, c.build(), s.store())
			if rep.Verdict != c.want {
				t.Fatalf("verdict %s, want %s\n%s", rep.Verdict, c.want, dump(rep))
			}
			if c.reason != "" && !reportMentions(rep, c.reason) {
				t.Errorf("nothing in the report mentions %q:\n%s", c.reason, dump(rep))
			}
		})
	}
}

// reportMentions reports whether a change or reason of any signature contains sub.
func reportMentions(rep *Report, sub string) bool {
	for _, sg := range rep.Signatures {
		for _, l := range [][]string{sg.Changes, sg.Reasons} {
			for _, x := range l {
				if strings.Contains(x, sub) {
					return true
				}
			}
		}
	}
	return false
}

// addAnnotWith adds an annotation of subtype st over the page's text (the red team's addAnnot):
// appearance ap if not nil, QuadPoints for text markup, and extra entries.
func addAnnotWith(t testing.TB, in []byte, st string, ap *pdf.Stream, extra pdf.Dict) []byte {
	return update(t, in, func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		a := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name(st), "Rect": pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(460), pdf.Int(730)},
			"Contents": pdf.String{Bytes: []byte("note")}, "F": pdf.Int(4)}
		if ap != nil {
			a["AP"] = pdf.Dict{"N": u.Add(ap)}
		}
		switch st {
		case "Highlight", "Underline", "StrikeOut", "Squiggly":
			a["QuadPoints"] = pdf.Array{pdf.Int(60), pdf.Int(730), pdf.Int(460), pdf.Int(730), pdf.Int(60), pdf.Int(690), pdf.Int(460), pdf.Int(690)}
		}
		for k, x := range extra {
			a[k] = x
		}
		ar := u.Add(a)
		pd := p.Dict.Clone()
		ao, _ := v.Resolve(pd.Get("Annots"))
		arr, _ := ao.(pdf.Array)
		pd["Annots"] = append(append(pdf.Array{}, arr...), ar)
		setObj(t, u, p.Ref, pd)
	})
}

// rawObject is one object of a hand-written update.
type rawObject struct {
	num  int
	body string // between "N 0 obj\n" and "\nendobj"
}

// rawAppend appends objs and a classic cross-reference section listing them, by hand.
func rawAppend(t testing.TB, d []byte, objs []rawObject) []byte {
	return rawAppendPrev(t, d, objs, false)
}

// rawAppendPrev is rawAppend; with selfPrev the new section's /Prev names the section itself.
func rawAppendPrev(t testing.TB, d []byte, objs []rawObject, selfPrev bool) []byte {
	f, err := pdf.Open(bytes.NewReader(d), int64(len(d)), nil)
	if err != nil {
		t.Fatal(err)
	}
	last := f.Revisions()[len(f.Revisions())-1]
	size, _ := pdf.IntOf(last.Trailer.Get("Size"))
	var b bytes.Buffer
	b.Write(d)
	var rows []string
	for _, o := range objs {
		rows = append(rows, fmt.Sprintf("%d 1\n%010d 00000 n \n", o.num, b.Len()))
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", o.num, o.body)
		size = max(size, int64(o.num)+1)
	}
	x := b.Len()
	prev := last.XRefOffset
	if selfPrev {
		prev = int64(x)
	}
	fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n%strailer\n<</Size %d/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", strings.Join(rows, ""), size, prev, x)
	return b.Bytes()
}
