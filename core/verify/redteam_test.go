package verify

import (
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

	cases := []struct {
		name   string
		build  func() []byte
		want   string
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
