package verify

import (
	"bytes"
	"compress/zlib"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s4: annotations added after signing whose appearance the embedded renderer cannot be
// trusted with. Each generator appends one update to a document signed in the test (test PKI
// made here) and has a harmless twin that must stay valid.

// s4Annot appends an annotation of subtype st at rect whose /AP /N is made by ap (nil: none);
// extra entries are merged into the annotation.
func s4Annot(t *testing.T, in []byte, st string, rect pdf.Array, ap func(u *pdf.Update) pdf.Object, extra pdf.Dict) []byte {
	t.Helper()
	return update(t, in, func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		a := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name(st), "Rect": rect, "F": pdf.Int(4)}
		if ap != nil {
			a["AP"] = pdf.Dict{"N": ap(u)}
		}
		for k, x := range extra {
			a[k] = x
		}
		ar := u.Add(a)
		pd := p.Dict.Clone()
		arr, _ := resolvedArray(v, pd.Get("Annots"))
		pd["Annots"] = append(append(pdf.Array{}, arr...), ar)
		setObj(t, u, p.Ref, pd)
	})
}

func s4Form(rect pdf.Array, data []byte, res pdf.Dict) *pdf.Stream {
	st := &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": rect}, Data: data}
	if res != nil {
		st.Dict["Resources"] = res
	}
	return st
}

// TestRedTeamAppearanceBombs (F3, F4): a few kilobytes of appended appearance — a form drawing
// itself, a chain of forms each drawing the next ten times, a flate bomb, hundreds of thousands
// of path operations — made PDFium grow past 2 GB and the process die. They are measured before
// rendering and judged "cannot judge: too complex", naming the limit; the twins (the same
// structures at a harmless size) render and stay valid.
func TestRedTeamAppearanceBombs(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	// recursive: form 1 draws itself twice (q /X Do Q /X Do); the twin draws another form once.
	recursive := func(self bool) []byte {
		return s4Annot(t, signed, "FreeText", away, func(u *pdf.Update) pdf.Object {
			ref := u.Reserve()
			target := pdf.Object(ref)
			if !self {
				target = u.Add(s4Form(away, []byte("0 0 1 rg 330 110 20 20 re f"), nil))
			}
			u.Set(ref, s4Form(away, []byte("q /X Do Q /X Do"), pdf.Dict{"XObject": pdf.Dict{"X": target}}))
			return ref
		}, nil)
	}
	// fanout: a chain of n forms, each drawing the next k times.
	fanout := func(n, k int) []byte {
		return s4Annot(t, signed, "FreeText", away, func(u *pdf.Update) pdf.Object {
			next := u.Add(s4Form(away, []byte("0 0 1 rg 330 110 20 20 re f"), nil))
			for i := 0; i < n; i++ {
				next = u.Add(s4Form(away, []byte(strings.Repeat("q /X Do Q ", k)), pdf.Dict{"XObject": pdf.Dict{"X": next}}))
			}
			return next
		}, nil)
	}
	// flate: an appearance that inflates to size bytes of blanks before one small fill.
	flate := func(size int) []byte {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		blank := bytes.Repeat([]byte{' '}, 1<<16)
		for n := 0; n < size; n += len(blank) {
			w.Write(blank)
		}
		w.Write([]byte("0 0 1 rg 330 110 20 20 re f"))
		w.Close()
		return s4Annot(t, signed, "FreeText", away, func(u *pdf.Update) pdf.Object {
			st := s4Form(away, z.Bytes(), nil)
			st.Dict["Filter"] = pdf.Name("FlateDecode")
			return u.Add(st)
		}, nil)
	}
	manyOps := func(n int) []byte {
		return s4Annot(t, signed, "FreeText", away, func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(away, bytes.Repeat([]byte("330 110 m 560 160 l S\n"), n), nil))
		}, nil)
	}
	runRows(t, s, []rtRow{
		{"recursive-form", func() []byte { return recursive(true) }, StatusModified, "form XObject recursion", nil},
		{"recursive-form-twin", func() []byte { return recursive(false) }, StatusValid, "FreeText annotation added", nil},
		{"fanout-30x10", func() []byte { return fanout(30, 10) }, StatusModified, "MaxAppearanceDrawnBytes", nil},
		{"fanout-twin-3x3", func() []byte { return fanout(3, 3) }, StatusValid, "FreeText annotation added", nil},
		{"flate-bomb-64MB", func() []byte { return flate(64 << 20) }, StatusModified, "MaxAppearanceStreamBytes", nil},
		{"flate-twin-64KB", func() []byte { return flate(64 << 10) }, StatusValid, "FreeText annotation added", nil},
		{"many-ops-300k", func() []byte { return manyOps(300_000) }, StatusModified, "MaxAppearanceStreamBytes", nil},
		{"many-ops-twin-1k", func() []byte { return manyOps(1000) }, StatusValid, "FreeText annotation added", nil},
	})
	rep := verifyBytes(t, recursive(true), s.store())
	var d *ChangeDetail
	for i, c := range rep.Signatures[0].ChangeDetails {
		if c.Code == ChangeTooComplex {
			d = &rep.Signatures[0].ChangeDetails[i]
		}
	}
	if d == nil || d.Key != "form XObject recursion" || d.Allowed {
		t.Fatalf("no disallowed %s detail naming the limit: %+v", ChangeTooComplex, rep.Signatures[0].ChangeDetails)
	}
	var sb strings.Builder
	rep.WriteText(&sb, "zh")
	if !strings.Contains(sb.String(), "无法判断") {
		t.Errorf("the Chinese report does not say it cannot judge:\n%s", sb.String())
	}
}
