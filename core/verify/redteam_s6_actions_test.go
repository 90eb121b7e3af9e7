package verify

import (
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s6 F1: actions inside annotations and signature fields added (or changed) after
// signing. Acrobat runs an added annotation's page-open /AA and a link's /A with its /Next
// chain; JavaScript there rewrote the signed amount field while the verdict was valid. Each
// attack has a twin with navigation only (URI, GoTo) that stays valid.

func s6JS(code string) pdf.Dict {
	return pdf.Dict{"S": pdf.Name("JavaScript"), "JS": pdf.String{Bytes: []byte(code)}}
}

func s6URI(uri string) pdf.Dict {
	return pdf.Dict{"S": pdf.Name("URI"), "URI": pdf.String{Bytes: []byte(uri)}}
}

const s6Script = `this.getField("amount").value="999 USD";`

// s6Annot adds an annotation of subtype st in a blank corner of the page, with the entries
// extra makes (they may add objects).
func s6Annot(t *testing.T, in []byte, st string, extra func(u *pdf.Update) pdf.Dict) []byte {
	return update(t, in, func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		a := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name(st), "F": pdf.Int(4),
			"Rect": pdf.Array{pdf.Int(500), pdf.Int(100), pdf.Int(510), pdf.Int(110)}}
		if extra != nil {
			for k, x := range extra(u) {
				a[k] = x
			}
		}
		ar := u.Add(a)
		pd := p.Dict.Clone()
		ao, _ := v.Resolve(pd.Get("Annots"))
		arr, _ := ao.(pdf.Array)
		pd["Annots"] = append(append(pdf.Array{}, arr...), ar)
		setObj(t, u, p.Ref, pd)
	})
}

// s6Change rewrites the page's Link annotation with edit.
func s6Change(t *testing.T, in []byte, edit func(u *pdf.Update, d pdf.Dict)) []byte {
	return update(t, in, func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		ao, _ := v.Resolve(p.Dict.Get("Annots"))
		arr, _ := ao.(pdf.Array)
		var r pdf.Ref
		for _, x := range arr {
			if xr, ok := x.(pdf.Ref); ok && v.Dict(xr).NameOf("Subtype") == "Link" {
				r = xr
			}
		}
		if r.Num == 0 {
			t.Fatal("the test document has no link to change")
		}
		d := v.Dict(r).Clone()
		edit(u, d)
		setObj(t, u, r, d)
	})
}

// s6SigField adds an empty signature field Late whose widget sits in a blank corner, with the
// widget entries extra makes.
func s6SigField(t *testing.T, in []byte, extra func(u *pdf.Update) pdf.Dict) []byte {
	return update(t, in, func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		w := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"), "T": pdf.String{Bytes: []byte("Late")},
			"Rect": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}, "F": pdf.Int(4), "P": p.Ref}
		if extra != nil {
			for k, x := range extra(u) {
				w[k] = x
			}
		}
		addWidget(t, u, v, p, u.Add(w))
	})
}

// s6Code fails unless some change of the first signature has code, a Key containing key and
// the given Allowed.
func s6Code(t *testing.T, rep *Report, code, key string, allowed bool) {
	t.Helper()
	for _, s := range rep.Signatures {
		for _, d := range s.ChangeDetails {
			if d.Code == code && strings.Contains(d.Key, key) && d.Allowed == allowed {
				return
			}
		}
	}
	t.Errorf("no change %s with key %q (allowed %v):\n%s", code, key, allowed, dump(rep))
}

func TestRedTeamAnnotActions(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{textField: "100 USD"})
	signed := s.sign(t, plain, sigOpts{})
	p3 := s.sign(t, plain, sigOpts{certify: 3})
	p2 := s.sign(t, plain, sigOpts{certify: 2})
	// A link present when the document was signed, changed afterwards.
	withLink := s.sign(t, s6Annot(t, plain, "Link", func(*pdf.Update) pdf.Dict { return pdf.Dict{"A": s6URI("https://example.com/")} }), sigOpts{})
	po := func(act func(u *pdf.Update) pdf.Object) func(u *pdf.Update) pdf.Dict {
		return func(u *pdf.Update) pdf.Dict { return pdf.Dict{"AA": pdf.Dict{"PO": act(u), "PV": act(u)}} }
	}
	js := func(*pdf.Update) pdf.Object { return s6JS(s6Script) }
	const why = "with actions that can change what the document shows: "
	rows := []rtRow{
		{"screen-aa-po-js", func() []byte { return s6Annot(t, signed, "Screen", po(js)) }, StatusModified, why + "JavaScript", nil},
		{"screen-twin", func() []byte { return s6Annot(t, signed, "Screen", nil) }, StatusValid, "Screen annotation added", nil},
		{"square-aa-po-js-indirect", func() []byte {
			return s6Annot(t, signed, "Square", po(func(u *pdf.Update) pdf.Object { return u.Add(s6JS(s6Script)) }))
		}, StatusModified, why + "JavaScript", nil},
		{"link-uri-next-js", func() []byte {
			return s6Annot(t, signed, "Link", func(u *pdf.Update) pdf.Dict {
				a := s6URI("https://example.com/")
				a["Next"] = u.Add(s6JS(s6Script))
				return pdf.Dict{"A": a}
			})
		}, StatusModified, why + "JavaScript", nil},
		{"link-next-array-goto-then-js", func() []byte {
			return s6Annot(t, signed, "Link", func(u *pdf.Update) pdf.Dict {
				a := s6URI("https://example.com/")
				a["Next"] = pdf.Array{pdf.Dict{"S": pdf.Name("GoTo"), "D": pdf.Array{pdf.Int(0), pdf.Name("Fit")}}, u.Add(pdf.Dict{"S": pdf.Name("Launch"), "F": pdf.String{Bytes: []byte("cmd.exe")}})}
				return pdf.Dict{"A": a}
			})
		}, StatusModified, why + "Launch", nil},
		{"link-uri-twin", func() []byte {
			return s6Annot(t, signed, "Link", func(*pdf.Update) pdf.Dict { return pdf.Dict{"A": s6URI("https://example.com/")} })
		}, StatusValid, "Link annotation added", nil},
		{"link-goto-named-next-cycle-twin", func() []byte {
			// A /Next chain that loops back on itself: walked once, navigation only.
			return s6Annot(t, signed, "Link", func(u *pdf.Update) pdf.Dict {
				self := u.Add(pdf.Null{})
				setObj(t, u, self, pdf.Dict{"S": pdf.Name("Named"), "N": pdf.Name("NextPage"), "Next": pdf.Array{self, pdf.Dict{"S": pdf.Name("GoTo"), "D": pdf.Array{pdf.Int(0), pdf.Name("Fit")}}}})
				return pdf.Dict{"A": self}
			})
		}, StatusValid, "Link annotation added", nil},
		{"link-next-chain-too-long", func() []byte {
			return s6Annot(t, signed, "Link", func(u *pdf.Update) pdf.Dict {
				var next pdf.Object
				for i := 0; i <= maxAnnotActions; i++ {
					a := s6URI("https://example.com/")
					if next != nil {
						a["Next"] = next
					}
					next = u.Add(a)
				}
				return pdf.Dict{"A": next}
			})
		}, StatusModified, "MaxAnnotActions", nil},
		{"new-sig-field-widget-aa-po-js", func() []byte {
			return s6SigField(t, signed, po(js))
		}, StatusModified, "signature field Late added on page 1 " + why + "JavaScript", nil},
		{"new-sig-field-twin", func() []byte { return s6SigField(t, signed, nil) }, StatusValid, "signature field Late added", nil},
		{"p3-screen-aa-po-js", func() []byte { return s6Annot(t, p3, "Screen", po(js)) }, StatusModified, why + "JavaScript", nil},
		{"p3-square-twin", func() []byte { return s6Annot(t, p3, "Square", nil) }, StatusValid, "Square annotation added", nil},
		{"changed-link-uri-to-js", func() []byte {
			return s6Change(t, withLink, func(_ *pdf.Update, d pdf.Dict) { d["A"] = s6JS(s6Script) })
		}, StatusModified, "Link annotation changed " + why + "JavaScript", nil},
		{"changed-link-contents-twin", func() []byte {
			return s6Change(t, withLink, func(_ *pdf.Update, d pdf.Dict) { d["Contents"] = pdf.String{Bytes: []byte("see the site")} })
		}, StatusValid, "Link annotation modified", nil},
	}
	for _, typ := range []string{"Launch", "SubmitForm", "ResetForm", "ImportData", "Hide", "SetOCGState", "GoToE", "GoToR", "Rendition", "Sound", "Movie", "RichMediaExecute", "Trans", "Thread", "Bogus"} {
		rows = append(rows, rtRow{"link-a-" + typ, func() []byte {
			return s6Annot(t, signed, "Link", func(u *pdf.Update) pdf.Dict {
				return pdf.Dict{"A": u.Add(pdf.Dict{"S": pdf.Name(typ)})}
			})
		}, StatusModified, why + typ, nil})
	}
	rows = append(rows,
		rtRow{"link-a-untyped", func() []byte {
			return s6Annot(t, signed, "Link", func(*pdf.Update) pdf.Dict { return pdf.Dict{"A": pdf.Dict{"JS": pdf.String{Bytes: []byte(s6Script)}}} })
		}, StatusModified, why + "untyped", nil},
		rtRow{"link-goto-twin", func() []byte {
			return s6Annot(t, signed, "Link", func(*pdf.Update) pdf.Dict {
				return pdf.Dict{"A": pdf.Dict{"S": pdf.Name("GoTo"), "D": pdf.Array{pdf.Int(0), pdf.Name("Fit")}}}
			})
		}, StatusValid, "Link annotation added", nil},
	)
	runRows(t, s, rows)

	// The codes and their places, for the report's translations.
	rep := verifyBytes(t, s6Annot(t, signed, "Screen", po(js)), s.store())
	s6Code(t, rep, ChangeAnnotAction, "JavaScript", false)
	rep = verifyBytes(t, s6SigField(t, signed, po(js)), s.store())
	s6Code(t, rep, ChangeFieldAction, "JavaScript", false)
	// At P=2 the annotation is refused anyway; the action is named too.
	rep = verifyBytes(t, s6Annot(t, p2, "Screen", po(js)), s.store())
	s6Code(t, rep, ChangeAnnotNotPermitted, "Screen", false)
	s6Code(t, rep, ChangeAnnotAction, "JavaScript", false)
}

// TestRedTeamFileAttachment (s6 F1, related): a FileAttachment annotation added after signing
// can carry a "final" copy of the document with other amounts. It is named in the change list:
// a visible note where annotations are allowed (approval, P=3), disallowed at P=2.
func TestRedTeamFileAttachment(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{textField: "100 USD"})
	attach := func(in []byte) []byte {
		return s6Annot(t, in, "FileAttachment", func(u *pdf.Update) pdf.Dict {
			ef := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("EmbeddedFile")}, Data: []byte("%PDF-1.7 Amount: 999999 USD")})
			return pdf.Dict{"FS": pdf.Dict{"Type": pdf.Name("Filespec"), "F": pdf.String{Bytes: []byte("invoice.pdf")},
				"UF": pdf.EncodeText("invoice_signed_final.pdf"), "EF": pdf.Dict{"F": ef}}, "Name": pdf.Name("PushPin")}
		})
	}
	const note = "an attached file was added after signing: invoice_signed_final.pdf"
	signed := s.sign(t, plain, sigOpts{})
	p3 := s.sign(t, plain, sigOpts{certify: 3})
	p2 := s.sign(t, plain, sigOpts{certify: 2})
	runRows(t, s, []rtRow{
		{"approval", func() []byte { return attach(signed) }, StatusValid, note, nil},
		{"p3", func() []byte { return attach(p3) }, StatusValid, note, nil},
		{"p2", func() []byte { return attach(p2) }, StatusModified, note, nil},
	})
	rep := verifyBytes(t, attach(signed), s.store())
	s6Code(t, rep, ChangeAttachmentAdded, "invoice_signed_final.pdf", true)
	var zh []string
	for _, sg := range rep.Signatures {
		zh = append(zh, sg.ChangeTexts("zh")...)
	}
	if !strings.Contains(strings.Join(zh, "\n"), "签署后新增了附件（第 1 页）：invoice_signed_final.pdf") {
		t.Errorf("Chinese change list lacks the attachment: %q", zh)
	}
	rep = verifyBytes(t, attach(p2), s.store())
	s6Code(t, rep, ChangeAttachmentAdded, "invoice_signed_final.pdf", false)
}

// TestRedTeamActionTargets (red team s7 G11): the allow-list also judges what a navigation
// action targets — only the four named actions ISO defines (Acrobat runs /Print, /Quit and
// other menu items by name) and http, https and mailto links (a javascript: URI runs a script in
// some viewers, a file: URI opens a local program) — and refuses annotations that run content
// of their own: a 3D model activated on page open with an /OnInstantiate script, rich media.
func TestRedTeamActionTargets(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{textField: "100 USD"})
	signed := s.sign(t, plain, sigOpts{})
	p3 := s.sign(t, plain, sigOpts{certify: 3})
	link := func(a pdf.Dict) func(*pdf.Update) pdf.Dict {
		return func(*pdf.Update) pdf.Dict { return pdf.Dict{"A": a} }
	}
	named := func(n string) pdf.Dict { return pdf.Dict{"S": pdf.Name("Named"), "N": pdf.Name(n)} }
	const why = "with actions that can change what the document shows: "
	threeD := func(u *pdf.Update) pdf.Dict {
		js := u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte(s6Script)})
		model := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("3D"), "Subtype": pdf.Name("U3D"), "OnInstantiate": js}, Data: []byte("U3D\x00")})
		return pdf.Dict{"3DD": model, "3DA": pdf.Dict{"A": pdf.Name("PO")}}
	}
	rows := []rtRow{
		{"named-print-on-page-open", func() []byte {
			return s6Annot(t, signed, "Screen", func(*pdf.Update) pdf.Dict { return pdf.Dict{"AA": pdf.Dict{"PO": named("Print")}} })
		}, StatusModified, why + "Named /Print", nil},
		{"named-quit", func() []byte { return s6Annot(t, signed, "Link", link(named("Quit"))) }, StatusModified, why + "Named /Quit", nil},
		{"named-next-page-twin", func() []byte { return s6Annot(t, signed, "Link", link(named("NextPage"))) }, StatusValid, "Link annotation added", nil},
		{"uri-javascript", func() []byte { return s6Annot(t, signed, "Link", link(s6URI(" JavaScript:app.alert(1)"))) }, StatusModified, why + "URI javascript:", nil},
		{"uri-file", func() []byte {
			return s6Annot(t, p3, "Link", link(s6URI("file:///C:/Windows/System32/calc.exe")))
		}, StatusModified, why + "URI file:", nil},
		{"uri-no-scheme", func() []byte { return s6Annot(t, signed, "Link", link(s6URI("calc.exe"))) }, StatusModified, why + "URI (no http", nil},
		{"uri-mailto-twin", func() []byte { return s6Annot(t, p3, "Link", link(s6URI("mailto:legal@example.com"))) }, StatusValid, "Link annotation added", nil},
		{"uri-http-upper-twin", func() []byte { return s6Annot(t, signed, "Link", link(s6URI("HTTP://example.com/a"))) }, StatusValid, "Link annotation added", nil},
		{"3d-on-page-open-script", func() []byte { return s6Annot(t, signed, "3D", threeD) }, StatusModified, why + "3D content", nil},
		{"3d-p3", func() []byte { return s6Annot(t, p3, "3D", threeD) }, StatusModified, why + "3D content", nil},
		{"richmedia", func() []byte {
			return s6Annot(t, signed, "RichMedia", func(*pdf.Update) pdf.Dict {
				return pdf.Dict{"RichMediaSettings": pdf.Dict{"Activation": pdf.Dict{"Condition": pdf.Name("PO")}}}
			})
		}, StatusModified, why + "RichMedia content", nil},
	}
	runRows(t, s, rows)
}
