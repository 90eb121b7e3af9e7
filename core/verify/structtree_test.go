package verify

import (
	"fmt"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// TestStructTreeChanges (red team s10 WIN 1): the structure tree says what the page's content
// is to screen readers, text extraction and reflow (pdf.js sets an element's /ActualText as the
// aria-label of the text it marks). A tagged contract is signed — Document → P "Buyer" (MCID 0)
// and P "Amount" (MCID 1), the page's parent-tree entry naming both — and updated after signing
// in every way that makes the tree say something else about the signed content: each is a
// disallowed change. The harmless twin is what a signer writes into a tagged document: a /Form
// element for its new widget (an OBJR), appended to the Document element, with a new
// parent-tree key; it stays valid (as do iText's tagged interop files 012, 013 and 094).
func TestStructTreeChanges(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	var root, doc, buyer, amount, ptree, roleMap int
	ref := func(n int) pdf.Ref { return pdf.Ref{Num: n} }
	p := func(mcid int, extra pdf.Dict) pdf.Dict {
		d := pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("P"), "P": ref(doc), "Pg": pdf.Ref{Num: 3}, "K": pdf.Int(mcid)}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	tagged := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		for _, n := range []*int{&root, &doc, &buyer, &amount, &ptree, &roleMap} {
			*n = u.Reserve().Num
		}
		setObj(t, u, ref(root), pdf.Dict{"Type": pdf.Name("StructTreeRoot"), "K": ref(doc), "ParentTree": ref(ptree), "ParentTreeNextKey": pdf.Int(1), "RoleMap": ref(roleMap)})
		setObj(t, u, ref(doc), pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("Document"), "P": ref(root), "K": pdf.Array{ref(buyer), ref(amount)}})
		setObj(t, u, ref(buyer), p(0, nil))
		setObj(t, u, ref(amount), p(1, nil))
		setObj(t, u, ref(ptree), pdf.Dict{"Nums": pdf.Array{pdf.Int(0), pdf.Array{ref(buyer), ref(amount)}}})
		setObj(t, u, ref(roleMap), pdf.Dict{"Clause": pdf.Name("P")})
		pg := v.Dict(pdf.Ref{Num: 3}).Clone()
		pg["StructParents"] = pdf.Int(0)
		setObj(t, u, pdf.Ref{Num: 3}, pg)
		c := v.Dict(pdf.Ref{Num: 1}).Clone()
		c["StructTreeRoot"] = ref(root)
		c["MarkInfo"] = pdf.Dict{"Marked": pdf.Bool(true)}
		setObj(t, u, pdf.Ref{Num: 1}, c)
	})
	signed := s.sign(t, tagged, sigOpts{})
	if rep := verifyBytes(t, signed, s.store()); rep.Verdict != StatusValid {
		t.Fatalf("signed tagged document: %s\n%s", rep.Verdict, dump(rep))
	}
	after := func(fn func(u *pdf.Update, v *pdf.View)) []byte { return update(t, signed, fn) }
	text := func(s string) pdf.String { return pdf.String{Bytes: []byte(s)} }
	// newForm adds a widget-like annotation and a /Form element naming it, appended where fn
	// puts it; it returns the element.
	newForm := func(u *pdf.Update, v *pdf.View, extra pdf.Dict, kids pdf.Object) pdf.Ref {
		w := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "Rect": nums(400, 100, 420, 120), "F": pdf.Int(4), "StructParent": pdf.Int(1)})
		if kids == nil {
			kids = pdf.Dict{"Type": pdf.Name("OBJR"), "Obj": w, "Pg": pdf.Ref{Num: 3}}
		}
		e := pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("Form"), "P": ref(doc), "Pg": pdf.Ref{Num: 3}, "K": kids}
		for k, x := range extra {
			e[k] = x
		}
		el := u.Add(e)
		pg := v.Dict(pdf.Ref{Num: 3}).Clone()
		annots, _ := v.Resolve(pg.Get("Annots"))
		list, _ := annots.(pdf.Array)
		pg["Annots"] = append(append(pdf.Array{}, list...), w)
		setObj(t, u, pdf.Ref{Num: 3}, pg)
		return el
	}
	docWith := func(u *pdf.Update, kids ...pdf.Object) {
		setObj(t, u, ref(doc), pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("Document"), "P": ref(root), "K": pdf.Array(kids)})
	}
	ptreeWith := func(u *pdf.Update, extra ...pdf.Object) {
		setObj(t, u, ref(ptree), pdf.Dict{"Nums": append(pdf.Array{pdf.Int(0), pdf.Array{ref(buyer), ref(amount)}}, extra...)})
	}

	cases := []struct {
		name  string
		data  []byte
		valid bool
		want  string
	}{
		{"twin: a /Form element for a new widget, a new parent-tree key", after(func(u *pdf.Update, v *pdf.View) {
			el := newForm(u, v, nil, nil)
			docWith(u, ref(buyer), ref(amount), el)
			ptreeWith(u, pdf.Int(1), el)
		}), true, ""},
		{"twin: the same element with /Alt, inserted between the paragraphs", after(func(u *pdf.Update, v *pdf.View) {
			el := newForm(u, v, pdf.Dict{"Alt": text("signature of the buyer")}, nil)
			docWith(u, ref(buyer), el, ref(amount))
			ptreeWith(u, pdf.Int(1), el)
		}), true, ""},
		{"/ActualText on the signed amount's paragraph", after(func(u *pdf.Update, v *pdf.View) {
			setObj(t, u, ref(amount), p(1, pdf.Dict{"ActualText": text("Amount: USD 9,000,000.00")}))
		}), false, fmt.Sprintf("element %d changed what it says", amount)},
		{"/Alt on the signed buyer's paragraph", after(func(u *pdf.Update, v *pdf.View) {
			setObj(t, u, ref(buyer), p(0, pdf.Dict{"Alt": text("Buyer: Mallory")}))
		}), false, fmt.Sprintf("element %d changed what it says", buyer)},
		{"/Lang on a signed paragraph", after(func(u *pdf.Update, v *pdf.View) {
			setObj(t, u, ref(buyer), p(0, pdf.Dict{"Lang": text("zh-CN")}))
		}), false, fmt.Sprintf("element %d changed what it says", buyer)},
		{"a signed paragraph retyped as an artifact-like custom role", after(func(u *pdf.Update, v *pdf.View) {
			d := p(1, nil)
			d["S"] = pdf.Name("Clause")
			setObj(t, u, ref(amount), d)
		}), false, fmt.Sprintf("element %d changed what it says", amount)},
		{"a new element wrapping the signed amount, with /ActualText", after(func(u *pdf.Update, v *pdf.View) {
			w := u.Add(pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("Span"), "P": ref(doc), "K": ref(amount), "ActualText": text("USD 9,000,000.00")})
			docWith(u, ref(buyer), w)
			d := p(1, nil)
			d["P"] = w
			setObj(t, u, ref(amount), d)
		}), false, "holds signed content"},
		{"a new element naming the signed amount's marked content", after(func(u *pdf.Update, v *pdf.View) {
			w := u.Add(pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("Span"), "P": ref(doc), "Pg": pdf.Ref{Num: 3}, "K": pdf.Int(1), "ActualText": text("USD 9,000,000.00")})
			docWith(u, ref(buyer), ref(amount), w)
		}), false, "names signed content"},
		{"a new element naming the signed content through an MCR", after(func(u *pdf.Update, v *pdf.View) {
			w := u.Add(pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("Span"), "P": ref(doc), "ActualText": text("Mallory"),
				"K": pdf.Dict{"Type": pdf.Name("MCR"), "Pg": pdf.Ref{Num: 3}, "MCID": pdf.Int(0)}})
			docWith(u, w, ref(buyer), ref(amount))
		}), false, "names signed content"},
		{"the signed paragraphs reordered", after(func(u *pdf.Update, v *pdf.View) {
			docWith(u, ref(amount), ref(buyer))
		}), false, "reading order changed"},
		{"a signed paragraph dropped from the tree", after(func(u *pdf.Update, v *pdf.View) {
			docWith(u, ref(buyer))
		}), false, fmt.Sprintf("element %d of the signed tree was removed", amount)},
		{"the page's parent-tree entry pointed at a new element", after(func(u *pdf.Update, v *pdf.View) {
			w := u.Add(pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("P"), "P": ref(doc), "Pg": pdf.Ref{Num: 3}, "ActualText": text("USD 9,000,000.00")})
			setObj(t, u, ref(ptree), pdf.Dict{"Nums": pdf.Array{pdf.Int(0), pdf.Array{ref(buyer), w}}})
		}), false, "parent tree's entry 0"},
		{"a role map entry changed", after(func(u *pdf.Update, v *pdf.View) {
			setObj(t, u, ref(roleMap), pdf.Dict{"Clause": pdf.Name("Artifact")})
		}), false, "/RoleMap entry /Clause changed"},
		{"a new structure tree root in place of the signed one", after(func(u *pdf.Update, v *pdf.View) {
			el := u.Add(pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("P"), "Pg": pdf.Ref{Num: 3}, "K": pdf.Int(1), "ActualText": text("USD 9,000,000.00")})
			r := u.Add(pdf.Dict{"Type": pdf.Name("StructTreeRoot"), "K": el})
			c := v.Dict(pdf.Ref{Num: 1}).Clone()
			c["StructTreeRoot"] = r
			setObj(t, u, pdf.Ref{Num: 1}, c)
		}), false, fmt.Sprintf("element %d of the signed tree was removed", doc)},
	}
	for _, c := range cases {
		rep := verifyBytes(t, c.data, s.store())
		if c.valid {
			if rep.Verdict != StatusValid {
				t.Errorf("%s: %s\n%s", c.name, rep.Verdict, dump(rep))
			}
			continue
		}
		if rep.Verdict == StatusValid || !strings.Contains(strings.Join(rep.Signatures[0].Changes, "\n"), c.want) {
			t.Errorf("%s: %s, want a change naming %q\n%s", c.name, rep.Verdict, c.want, dump(rep))
		}
	}
}
