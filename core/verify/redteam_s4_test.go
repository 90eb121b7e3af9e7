package verify

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
	"testing"
	"time"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
	"sealdesk/core/tsa"
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

// TestRedTeamSynthesizedAppearance (F1, F2): by class, every subtype a viewer draws without an
// appearance stream, added after signing over the signed text with no usable appearance (none,
// /N null, /N a plain dictionary, a state dictionary without /AS or with an /AS it lacks), is
// judged as painting its rectangle; the twins — the same annotation away from the text, or over
// it with an explicit appearance that leaves the text visible, or a light highlight — stay valid.
func TestRedTeamSynthesizedAppearance(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(460), pdf.Int(730)} // over "Pay 1000000 yuan"
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	geometry := func(st string, r pdf.Array) pdf.Dict {
		d := pdf.Dict{"Contents": pdf.String{Bytes: []byte("PAY 999999 TO MALLORY")}, "DA": pdf.String{Bytes: []byte("/Helv 24 Tf 0 g")},
			"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "IC": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}}
		pts := pdf.Array{r[0], r[1], r[2], r[1], r[2], r[3], r[0], r[3]}
		switch st {
		case "Polygon", "PolyLine":
			d["Vertices"] = pts
		case "Line":
			d["L"] = pdf.Array{r[0], r[1], r[2], r[3]}
		case "Ink":
			d["InkList"] = pdf.Array{pts}
		case "Stamp":
			d["Name"] = pdf.Name("Approved")
		}
		return d
	}
	harmless := func(r pdf.Array) func(u *pdf.Update) pdf.Object {
		return func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(r, []byte("0 0 1 RG 0.5 w "+fmt.Sprint(r[0], " ", r[1], " m ", r[2], " ", r[1], " l S")), nil))
		}
	}
	var rows []rtRow
	for _, st := range []string{"FreeText", "Stamp", "Square", "Circle", "Polygon", "Ink", "Caret", "Redact", "Text", "FileAttachment", "Sound"} {
		rows = append(rows,
			rtRow{st + "-noAP-over", func() []byte { return s4Annot(t, signed, st, over, nil, geometry(st, over)) }, StatusModified, "cover(s) signed content", nil},
			rtRow{st + "-noAP-away-twin", func() []byte { return s4Annot(t, signed, st, away, nil, geometry(st, away)) }, StatusValid, st + " annotation added", nil},
		)
	}
	white := func(u *pdf.Update) pdf.Object {
		return u.Add(s4Form(over, []byte("1 g 60 690 400 40 re f 0 g BT /Helv 24 Tf 62 700 Td (PAY 999999 TO MALLORY) Tj ET"), nil))
	}
	ft := func(rect pdf.Array, ap pdf.Object, as pdf.Object) []byte {
		extra := geometry("FreeText", rect)
		if as != nil {
			extra["AS"] = as
		}
		return update(t, s4Annot(t, signed, "FreeText", rect, nil, extra), func(u *pdf.Update, v *pdf.View) {
			p := pageOf(t, v)
			arr, _ := resolvedArray(v, p.Dict.Get("Annots"))
			ref := arr[len(arr)-1].(pdf.Ref)
			d := v.Dict(ref).Clone()
			d["AP"] = pdf.Dict{"N": ap}
			setObj(t, u, ref, d)
		})
	}
	rows = append(rows,
		rtRow{"ap-N-null", func() []byte { return ft(over, pdf.Null{}, nil) }, StatusModified, "cover(s) signed content", nil},
		// (states without /AS: readers select differently, refused before rendering, red team s8 F1)
		rtRow{"ap-N-plain-dict", func() []byte { return ft(over, pdf.Dict{"Foo": pdf.Int(1)}, nil) }, StatusModified, "without an /AS name", nil},
		rtRow{"ap-states-noAS", func() []byte {
			return s4Annot(t, signed, "FreeText", over, func(u *pdf.Update) pdf.Object { return pdf.Dict{"On": white(u)} }, nil)
		}, StatusModified, "without an /AS name", rendersDifferently(signed)},
		rtRow{"ap-states-AS-missing", func() []byte {
			return s4Annot(t, signed, "FreeText", over, func(u *pdf.Update) pdf.Object { return pdf.Dict{"On": white(u)} }, pdf.Dict{"AS": pdf.Name("Off")})
		}, StatusModified, "cover(s) signed content", nil},
		rtRow{"ap-states-AS-harmless-twin", func() []byte {
			return s4Annot(t, signed, "FreeText", over, func(u *pdf.Update) pdf.Object { return pdf.Dict{"On": harmless(over)(u)} }, pdf.Dict{"AS": pdf.Name("On")})
		}, StatusValid, "FreeText annotation added", nil},
		rtRow{"explicit-AP-over-harmless-twin", func() []byte { return s4Annot(t, signed, "Stamp", over, harmless(over), nil) }, StatusValid, "Stamp annotation added", nil},
		rtRow{"highlight-noAP-yellow-twin", func() []byte {
			return s4Annot(t, signed, "Highlight", over, nil, pdf.Dict{"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(0)},
				"QuadPoints": pdf.Array{over[0], over[3], over[2], over[3], over[0], over[1], over[2], over[1]}})
		}, StatusValid, "Highlight annotation added", nil},
	)
	// Outlines without an interior colour, and lines, are thin strokes in every viewer (iText's
	// interop file 013 adds such a circle next to signed text): valid.
	for _, st := range []string{"Square", "Circle", "Polygon", "Line", "PolyLine"} {
		rows = append(rows, rtRow{st + "-noAP-outline-over-twin", func() []byte {
			g := geometry(st, over)
			delete(g, "IC")
			g["C"] = pdf.Array{pdf.Int(1), pdf.Int(0), pdf.Int(1)}
			return s4Annot(t, signed, st, over, nil, g)
		}, StatusValid, st + " annotation added", nil})
	}
	runRows(t, s, rows)
}

// TestRedTeamFutureTimestamp (F5): a trusted authority's timestamp dated after the verification
// time (beyond MaxClockSkew) cannot be real; the signature is not valid and the report names it.
// The twin, 3 minutes ahead (clocks differ), stays valid.
func TestRedTeamFutureTimestamp(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	verifyAt := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // verifyBytes' Now
	at := func(d time.Duration) []byte {
		a, err := tsa.New(tsa.Options{Cert: s.pki.TSA, Key: s.pki.TSAKey, Chain: s.pki.Chain, Now: func() time.Time { return verifyAt.Add(d) }})
		if err != nil {
			t.Fatal(err)
		}
		s2 := *s
		s2.tsa = a
		return s2.sign(t, plain, sigOpts{timestamp: true})
	}
	runRows(t, s, []rtRow{
		{"tst-100-days-ahead", func() []byte { return at(100 * 24 * time.Hour) }, StatusInvalid, "timestamp from the future", nil},
		{"tst-10-min-ahead", func() []byte { return at(10 * time.Minute) }, StatusInvalid, "timestamp from the future", nil},
		{"tst-3-min-ahead-twin", func() []byte { return at(3 * time.Minute) }, StatusValid, "", nil},
	})
}

// TestCoverRenderTimeBound (F3, F4): whatever the caller's deadline, rendering a page for the
// cover check is bounded (maxCoverRenderTime); past it the change is "too complex to check",
// naming the limit, not valid. Deterministic: the bound is set below any render's duration.
func TestCoverRenderTimeBound(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	d := s4Annot(t, signed, "Square", away, func(u *pdf.Update) pdf.Object {
		return u.Add(s4Form(away, []byte("0 0 1 RG 330 110 m 500 110 l S"), nil))
	}, nil)
	saved := maxCoverRenderTime
	defer func() { maxCoverRenderTime = saved }()
	maxCoverRenderTime = time.Nanosecond
	rep := verifyBytes(t, d, s.store())
	if rep.Verdict != StatusModified || !reportMentions(rep, "MaxCoverRenderTime") {
		t.Fatalf("verdict %s, want modified naming MaxCoverRenderTime:\n%s", rep.Verdict, dump(rep))
	}
	maxCoverRenderTime = saved
	if rep := verifyBytes(t, d, s.store()); rep.Verdict != StatusValid {
		t.Fatalf("twin with the normal bound: verdict %s\n%s", rep.Verdict, dump(rep))
	}
}
