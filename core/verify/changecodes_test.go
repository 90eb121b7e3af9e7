package verify

import (
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// checkChangeDetails fails unless every named change of every signature has a known code and
// the detail carries exactly the report's sentence. verifyBytes runs it on every report, so the
// attack, allowed-change and red-team tests all walk through it.
func checkChangeDetails(t testing.TB, rep *Report) {
	t.Helper()
	known := map[string]bool{}
	for _, c := range ChangeCodes {
		known[c] = true
	}
	for _, s := range rep.Signatures {
		if len(s.ChangeDetails) != len(s.Changes) {
			t.Errorf("signature %d: %d changes but %d details", s.Index, len(s.Changes), len(s.ChangeDetails))
			continue
		}
		for i, d := range s.ChangeDetails {
			if d.Code == "" || !known[d.Code] {
				t.Errorf("signature %d: change %q has code %q", s.Index, s.Changes[i], d.Code)
			}
			if d.Text != s.Changes[i] {
				t.Errorf("signature %d: detail text %q, change %q", s.Index, d.Text, s.Changes[i])
			}
		}
	}
}

func TestChangeCodesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range ChangeCodes {
		if c == "" || seen[c] {
			t.Errorf("code %q empty or listed twice", c)
		}
		seen[c] = true
	}
}

// Each kind of change records its code and place beside the unchanged English sentence.
func TestChangeDetails(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	emptyForm, _ := makeDoc(docOpts{emptyText: true, emptySig: true})

	pageEdit := update(t, s.sign(t, plain, sigOpts{}), func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		pd := p.Dict.Clone()
		pd["Resources"] = pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}
		setObj(t, u, p.Ref, pd)
	})
	filled := fillText(t, s.sign(t, emptyForm, sigOpts{field: "Sig1"}), "42")

	cases := []struct {
		name string
		data []byte
		want ChangeDetail // Text is not compared
	}{
		{"page resources", pageEdit, ChangeDetail{Code: ChangePageContent, Page: 1, Key: "Resources"}},
		{"field filled", filled, ChangeDetail{Code: ChangeFieldFilled, Allowed: true, Field: "amount"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := verifyBytes(t, c.data, s.store())
			if len(rep.Signatures) == 0 {
				t.Fatal("no signatures")
			}
			var got []ChangeDetail
			for _, d := range rep.Signatures[0].ChangeDetails {
				d2 := d
				d2.Text = ""
				if d2 == c.want {
					return
				}
				got = append(got, d)
			}
			t.Errorf("no change %+v among %+v", c.want, got)
		})
	}
}
