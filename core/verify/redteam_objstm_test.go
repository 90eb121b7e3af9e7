package verify

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Object-stream index tricks (issue 13 §1): an update after signing adds a note annotation
// (object 20) that lives in an object stream whose index is crafted so that readers disagree
// about what object 20 is — poppler and PDFium return null for an index that names another
// number and poppler drops a stream whose offsets are not increasing or whose index is short,
// pdf.js takes whatever sits at the entry's index, readers that rebuild the table from the
// bytes take another stream's or a classic copy. This package reads the harmless note in each;
// the verdict must still not be "valid", because another reader sees something else.

// The note every reader should see, in the margin, and the attacker's white box over the amount.
const (
	objStmNote = "<</Type/Annot/Subtype/Square/Rect[500 100 520 120]/F 4/C[0 0 1]>>"
	objStmEvil = "<</Type/Annot/Subtype/Square/Rect[60 690 460 730]/F 4/C[1 1 1]/IC[1 1 1]>>"
)

// osStream is one object stream of the update: its index (pairs "num off" relative to
// /First; "" = built from bodies), its bodies, and extra dictionary entries.
type osStream struct {
	num    int
	pairs  []int    // num, num, … — the object numbers listed, in order (with bodies)
	bodies []string // one per listed number
	index  string   // a hand-written index that replaces the built one
	n      int      // /N (0 = len(pairs))
	first  int      // /First (-1 = the built index's length)
	extra  string
}

func (o osStream) data() (string, int, int) {
	var idx, body strings.Builder
	for i, n := range o.pairs {
		fmt.Fprintf(&idx, "%d %d ", n, body.Len())
		body.WriteString(o.bodies[i])
		body.WriteString(" ")
	}
	ix := idx.String()
	if o.index != "" {
		ix = o.index
	}
	n, first := o.n, o.first
	if n == 0 {
		n = len(o.pairs)
	}
	if first < 0 {
		first = len(ix)
	}
	return ix + body.String(), n, first
}

// xrow is one row of the update's xref stream.
type xrow struct {
	num  int
	typ  byte // 1 in use (offset filled in for objects the update writes), 2 compressed
	stm  int  // for typ 2
	idx  int  // for typ 2
	body string
}

// objStmUpdate appends to in a revision that lists the page (with object 20 appended to its
// /Annots), the object streams and rows, in an xref stream (or, with hybridTable, a classic
// table that lists the rows of type 1 and a /XRefStm that lists all rows).
func objStmUpdate(t *testing.T, in []byte, streams []osStream, rows []xrow, hybridTable bool) []byte {
	t.Helper()
	f, err := pdf.Open(bytes.NewReader(in), int64(len(in)), nil)
	if err != nil {
		t.Fatal(err)
	}
	last := f.Revisions()[len(f.Revisions())-1]
	v := f.Latest()
	page := pageOf(t, v)
	pd := page.Dict.Clone()
	arr, _ := resolvedArray(v, pd.Get("Annots"))
	pd["Annots"] = append(append(pdf.Array{}, arr...), pdf.Ref{Num: 20})
	var b bytes.Buffer
	b.Write(in)
	offs := map[int]int{}
	offs[page.Ref.Num] = b.Len()
	pb, err := pdf.AppendObject(nil, pd)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", page.Ref.Num, pb)
	all := append([]xrow{{num: page.Ref.Num, typ: 1}}, rows...)
	for _, s := range streams {
		data, n, first := s.data()
		offs[s.num] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n<</Type/ObjStm/N %d/First %d%s/Length %d>>stream\n%s\nendstream\nendobj\n", s.num, n, first, s.extra, len(data), data)
		all = append(all, xrow{num: s.num, typ: 1})
	}
	for _, r := range rows {
		if r.typ == 1 && r.body != "" {
			offs[r.num] = b.Len()
			fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", r.num, r.body)
		}
	}
	xs := 40 // the xref stream's number
	size := xs + 1
	xoff := b.Len()
	all = append(all, xrow{num: xs, typ: 1})
	offs[xs] = xoff
	var data []byte
	var index []string
	for _, r := range all {
		index = append(index, fmt.Sprintf("%d 1", r.num))
		switch r.typ {
		case 1:
			o := offs[r.num]
			data = append(data, 1, byte(o>>24), byte(o>>16), byte(o>>8), byte(o), 0, 0)
		case 2:
			data = append(data, 2, 0, 0, byte(r.stm>>8), byte(r.stm), byte(r.idx>>8), byte(r.idx))
		}
	}
	fmt.Fprintf(&b, "%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Index[%s]/Root 1 0 R/Prev %d/Length %d>>stream\n", xs, size, strings.Join(index, " "), last.XRefOffset, len(data))
	b.Write(data)
	b.WriteString("\nendstream\nendobj\n")
	if !hybridTable {
		fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", xoff)
		return b.Bytes()
	}
	// The hybrid section: a table of the uncompressed rows (object 20 too when a row writes
	// it), /XRefStm naming the stream above.
	tx := b.Len()
	b.WriteString("xref\n")
	for _, r := range all {
		if r.num == xs {
			continue
		}
		if o, ok := offs[r.num]; ok {
			fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", r.num, o)
		}
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R/Prev %d/XRefStm %d>>\nstartxref\n%d\n%%%%EOF\n", size, last.XRefOffset, xoff, tx)
	return b.Bytes()
}

func TestRedTeamObjStmIndex(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	note2 := strings.Replace(objStmNote, "500 100 520 120", "530 100 550 120", 1)
	in := func(stm, idx int) xrow { return xrow{num: 20, typ: 2, stm: stm, idx: idx} }
	one := func(pairs []int, bodies ...string) osStream {
		return osStream{num: 21, pairs: pairs, bodies: bodies, first: -1}
	}
	up := func(streams []osStream, rows ...xrow) []byte { return objStmUpdate(t, signed, streams, rows, false) }
	// The note's offset in a stream whose first body is the evil one.
	evilThenNote := len(objStmEvil) + 1
	rows := []rtRow{
		{"objstm-index-names-another: the entry's index 0 holds object 22 (the white box); pdf.js draws it, poppler and PDFium read null", func() []byte {
			return up([]osStream{one([]int{22, 20}, objStmEvil, objStmNote)}, in(21, 0))
		}, StatusModified, "index 0", nil},
		{"objstm-duplicate-in-stream: object 20 listed twice, the note first, the white box second", func() []byte {
			return up([]osStream{one([]int{20, 20}, objStmNote, objStmEvil)}, in(21, 0))
		}, StatusModified, "more than once", nil},
		{"objstm-offsets-out-of-order: poppler drops the whole stream", func() []byte {
			st := one([]int{20, 24}, objStmEvil, objStmNote)
			st.index = fmt.Sprintf("20 %d 24 0 ", evilThenNote) // 20 → the note (second body)
			return up([]osStream{st}, in(21, 0), xrow{num: 24, typ: 2, stm: 21, idx: 1})
		}, StatusModified, "not increasing", nil},
		{"objstm-n-larger-than-index: /N 3 with one pair", func() []byte {
			st := one([]int{20}, objStmNote)
			st.n = 3
			return up([]osStream{st}, in(21, 0))
		}, StatusModified, "/N is 3", nil},
		{"objstm-first-inside-index: /First cuts the index after the first pair", func() []byte {
			st := one([]int{20, 24}, objStmNote, note2)
			st.first = len("20 0 ")
			return up([]osStream{st}, in(21, 0), xrow{num: 24, typ: 2, stm: 21, idx: 1})
		}, StatusModified, "inside the index", nil},
		{"objstm-overlap: object 20's dictionary runs into object 24's bytes (poppler cuts it)", func() []byte {
			st := one([]int{20, 24}, objStmNote, note2)
			st.index = fmt.Sprintf("20 0 24 %d ", len(objStmNote)-10)
			return up([]osStream{st}, in(21, 0), xrow{num: 24, typ: 2, stm: 21, idx: 1})
		}, StatusModified, "runs into", nil},
		{"objstm-duplicate-across-streams: stream 23 also holds object 20 (the white box)", func() []byte {
			return up([]osStream{one([]int{20}, objStmNote), {num: 23, pairs: []int{20}, bodies: []string{objStmEvil}, first: -1}}, in(21, 0))
		}, StatusModified, "object stream 23 holds a definition of object 20", nil},
		{"objstm-and-classic-same-revision: object 20 written as a classic object (the note) and inside stream 21 (the white box)", func() []byte {
			return up([]osStream{one([]int{20}, objStmEvil)}, xrow{num: 20, typ: 1, body: objStmNote})
		}, StatusModified, "does not point to", nil},
		{"objstm-hybrid-table-vs-xrefstm: the table lists the note at an offset, its /XRefStm the white box in stream 21", func() []byte {
			return objStmUpdate(t, signed, []osStream{one([]int{20}, objStmEvil)}, []xrow{{num: 20, typ: 1, body: objStmNote}}, true)
		}, StatusModified, "object 20", nil},
		// twins
		{"twin: the note in a well-formed object stream", func() []byte {
			return up([]osStream{one([]int{20}, objStmNote)}, in(21, 0))
		}, StatusValid, "Square annotation added", nil},
		{"twin: two well-formed object streams, each object listed once", func() []byte {
			return up([]osStream{one([]int{20}, objStmNote), {num: 23, pairs: []int{24}, bodies: []string{note2}, first: -1}},
				in(21, 0), xrow{num: 24, typ: 2, stm: 23, idx: 0})
		}, StatusValid, "Square annotation added", nil},
		{"twin: /Extends chains in a cycle (21 → 23 → 21) and to itself: no reader resolves objects through /Extends", func() []byte {
			a := one([]int{20}, objStmNote)
			a.extra = "/Extends 23 0 R"
			c := osStream{num: 23, pairs: []int{24}, bodies: []string{note2}, first: -1, extra: "/Extends 21 0 R"}
			d := osStream{num: 25, pairs: []int{26}, bodies: []string{note2}, first: -1, extra: "/Extends 25 0 R"}
			return up([]osStream{a, c, d}, in(21, 0), xrow{num: 24, typ: 2, stm: 23, idx: 0}, xrow{num: 26, typ: 2, stm: 25, idx: 0})
		}, StatusValid, "Square annotation added", nil},
		{"twin: a hybrid update whose table and /XRefStm agree", func() []byte {
			return objStmUpdate(t, signed, []osStream{one([]int{20}, objStmNote)}, []xrow{in(21, 0)}, true)
		}, StatusValid, "Square annotation added", nil},
	}
	runRows(t, s, rows)
}
