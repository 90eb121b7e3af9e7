package verify

import (
	"slices"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s10 WIN 5: a note added after signing whose popup is open at load (/Open true) and
// lies over the signed text. PDFium never draws popups, so the cover check saw nothing while
// Acrobat opens an opaque comment window there (synthpopup.go). Each row appends one update to
// a document signed here; the twins (closed, hidden, or open over blank paper) stay valid.

// popupNote appends, in one update, a Text note at noteRect (with an appearance) and its Popup
// at popupRect;
// noteExtra and popupExtra are merged into the two dictionaries.
func popupNote(t *testing.T, in []byte, noteRect, popupRect pdf.Array, noteExtra, popupExtra pdf.Dict) []byte {
	t.Helper()
	return update(t, in, func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		nr, pr := u.Reserve(), u.Reserve()
		note := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Text"), "Rect": noteRect, "F": pdf.Int(28),
			"P": p.Ref, "Contents": pdf.String{Bytes: []byte("Pay 9999999 yuan")}, "Name": pdf.Name("Comment"), "Popup": pr}
		popup := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Popup"), "Rect": popupRect, "F": pdf.Int(28),
			"P": p.Ref, "Parent": nr}
		// A drawn icon of its own: PDFium draws the note alike in both revisions, so only the
		// popup's window can cover anything.
		icon := u.Add(s4Form(pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(16), pdf.Int(16)}, []byte("1 1 0 rg 2 2 12 12 re f"), nil))
		note["AP"] = pdf.Dict{"N": icon}
		for k, x := range noteExtra {
			note[k] = x
		}
		for k, x := range popupExtra {
			popup[k] = x
		}
		setObj(t, u, nr, note)
		setObj(t, u, pr, popup)
		pd := p.Dict.Clone()
		arr, _ := resolvedArray(v, pd.Get("Annots"))
		pd["Annots"] = append(append(pdf.Array{}, arr...), nr, pr)
		setObj(t, u, p.Ref, pd)
	})
}

// setAnnotKeys appends an update that sets keys of the page's annotation of subtype st.
func setAnnotKeys(t *testing.T, in []byte, st string, keys pdf.Dict) []byte {
	t.Helper()
	return update(t, in, func(u *pdf.Update, v *pdf.View) {
		arr, _ := resolvedArray(v, pageOf(t, v).Dict.Get("Annots"))
		for _, e := range arr {
			r, ok := e.(pdf.Ref)
			if d := v.Dict(e); ok && d.NameOf("Subtype") == pdf.Name(st) {
				d = d.Clone()
				for k, x := range keys {
					d[k] = x
				}
				setObj(t, u, r, d)
				return
			}
		}
		t.Fatalf("no %s annotation", st)
	})
}

func TestRedTeamS10OpenPopup(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	margin := pdf.Array{pdf.Int(20), pdf.Int(760), pdf.Int(36), pdf.Int(776)}    // the icon, in the blank top-left corner
	overText := pdf.Array{pdf.Int(60), pdf.Int(680), pdf.Int(320), pdf.Int(735)} // over "Pay 1000000 yuan"
	blank := pdf.Array{pdf.Int(320), pdf.Int(400), pdf.Int(560), pdf.Int(460)}
	open, closed := pdf.Dict{"Open": pdf.Bool(true)}, pdf.Dict{"Open": pdf.Bool(false)}

	// A note signed with its popup closed over the text, changed afterwards.
	withClosed := s.sign(t, popupNote(t, plain, margin, overText, closed, closed), sigOpts{})

	rows := []struct {
		name   string
		data   []byte
		covers bool
	}{
		{"popup open over text", popupNote(t, signed, margin, overText, open, open), true},
		{"only the popup open", popupNote(t, signed, margin, overText, closed, open), true},
		{"only the note open", popupNote(t, signed, margin, overText, open, closed), true},
		{"popup /Open 1", popupNote(t, signed, margin, overText, nil, pdf.Dict{"Open": pdf.Int(1)}), true},
		{"popup hidden, its note shown", popupNote(t, signed, margin, overText, open, pdf.Dict{"Open": pdf.Bool(true), "F": pdf.Int(6)}), true},
		{"signed popup opened", setAnnotKeys(t, withClosed, "Popup", open), true},
		{"signed note opened", setAnnotKeys(t, withClosed, "Text", open), true},
		// Twins.
		{"twin: popup closed", popupNote(t, signed, margin, overText, closed, closed), false},
		{"twin: no /Open", popupNote(t, signed, margin, overText, nil, nil), false},
		{"twin: open over blank paper", popupNote(t, signed, margin, blank, open, open), false},
		{"twin: open, both hidden", popupNote(t, signed, margin, overText, pdf.Dict{"Open": pdf.Bool(true), "F": pdf.Int(6)}, pdf.Dict{"Open": pdf.Bool(true), "F": pdf.Int(6)}), false},
		{"twin: signed popup changed, still closed", setAnnotKeys(t, withClosed, "Popup", pdf.Dict{"M": pdf.String{Bytes: []byte("D:20260301120000Z")}}), false},
		{"twin: signed popup opened over blank paper", setAnnotKeys(t, withClosed, "Popup", pdf.Dict{"Open": pdf.Bool(true), "Rect": blank}), false},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			rep := verifyBytes(t, r.data, s.store())
			codes := changeCodes(rep)
			if r.covers {
				if rep.Verdict != StatusModified || !slices.Contains(codes, "1:"+string(ChangeCoversContent)+":false") {
					t.Fatalf("verdict %s %v, want modified with %s\n%s", rep.Verdict, codes, ChangeCoversContent, dump(rep))
				}
				return
			}
			if rep.Verdict != StatusValid {
				t.Fatalf("verdict %s %v, want valid\n%s", rep.Verdict, codes, dump(rep))
			}
		})
	}
}
