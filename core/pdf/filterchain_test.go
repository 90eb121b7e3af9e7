package pdf

import (
	"bytes"
	"fmt"
	"testing"
)

// TestEmptyFilterSpellings: /Filter [] (and null, and a /DecodeParms of nulls) is no filter —
// for content, object streams and xref streams alike — and FilterChain gives every spelling
// of one decoding chain the same canonical form, and different chains (or spellings readers
// resolve differently) different ones.
func TestEmptyFilterSpellings(t *testing.T) {
	raw := []byte("BT (x) Tj ET")
	for _, c := range []struct {
		filter, parms Object
	}{
		{Array{}, nil}, {Null{}, nil}, {Array{}, Array{}}, {Array{}, Array{Null{}}}, {Null{}, Null{}},
	} {
		got, rest, err := DecodeFilters(raw, c.filter, c.parms, 1<<20)
		if err != nil || !bytes.Equal(got, raw) || rest != nil {
			t.Errorf("/Filter %v /DecodeParms %v: %q %v %v", c.filter, c.parms, got, rest, err)
		}
	}

	flate := Name("FlateDecode")
	png := Dict{"Predictor": Int(12), "Columns": Int(4)}
	same := [][2]Dict{
		{{}, {"Filter": Array{}}},
		{{}, {"Filter": Null{}, "DecodeParms": Null{}}},
		{{}, {"Filter": Array{}, "DecodeParms": Array{Null{}, Null{}}}},
		{{"Filter": flate}, {"Filter": Array{Name("Fl")}}},
		{{"Filter": flate}, {"Filter": Array{flate}, "DecodeParms": Array{Null{}}}},
		{{"Filter": flate}, {"Filter": flate, "DecodeParms": Dict{}}},
		{{"Filter": flate, "DecodeParms": png}, {"Filter": Array{Name("Fl")}, "DecodeParms": Array{png}}},
		{{"Filter": flate, "DecodeParms": png}, {"Filter": flate, "DecodeParms": Dict{"Predictor": Int(12), "Columns": Int(4), "Colors": Null{}}}},
		{{"Filter": Array{Name("AHx"), flate}}, {"Filter": Array{Name("ASCIIHexDecode"), Name("Fl")}, "DecodeParms": Array{Null{}, Dict{}}}},
	}
	for _, p := range same {
		if !SameFilters(p[0], p[1]) || !SameFilters(p[1], p[0]) {
			t.Errorf("%v and %v spell one decoding chain", p[0], p[1])
		}
	}
	different := [][2]Dict{
		{{}, {"Filter": flate}},
		{{"Filter": flate}, {"Filter": flate, "DecodeParms": png}},
		{{"Filter": flate, "DecodeParms": png}, {"Filter": flate, "DecodeParms": Dict{"Predictor": Int(12), "Columns": Int(5)}}},
		{{"Filter": Array{Name("AHx"), flate}}, {"Filter": Array{flate, Name("AHx")}}},
		// Readers differ here (pdf.js fails on a parameter array beside a single name; a
		// dictionary beside an array is dropped by some, applied by others): no canonical form.
		{{"Filter": flate}, {"Filter": flate, "DecodeParms": Array{png}}},
		{{"Filter": Array{flate}}, {"Filter": Array{flate}, "DecodeParms": png}},
		{{}, {"Filter": Array{}, "DecodeParms": Array{png}}},
		{{"Filter": flate}, {"Filter": Array{flate, Null{}}}},
		{{"Filter": flate}, {"Filter": Ref{Num: 9}}},
	}
	for _, p := range different {
		if SameFilters(p[0], p[1]) || SameFilters(p[1], p[0]) {
			t.Errorf("%v and %v must not count as one decoding chain", p[0], p[1])
		}
	}

	// A file whose object stream and xref stream say /Filter [] (and /DecodeParms [null]) reads
	// as any other.
	var o objStmBuilder
	o.off = map[int]int{}
	o.b.WriteString("%PDF-1.5\n")
	o.obj(1, "<< /Type /Catalog /Pages 2 0 R /Probe 3 0 R >>")
	o.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	m := "<< /V (A) >>"
	o.obj(5, fmt.Sprintf("<< /Type /ObjStm /N 1 /First 4 /Filter [] /DecodeParms [null] /Length %d >>\nstream\n3 0 %s\nendstream", 4+len(m), m))
	x := o.b.Len()
	var rows []byte
	rows = append(rows, xrefRow(1, o.off[1], 0)...)
	rows = append(rows, xrefRow(1, o.off[2], 0)...)
	rows = append(rows, xrefRow(2, 5, 0)...)
	rows = append(rows, xrefRow(1, o.off[5], 0)...)
	rows = append(rows, xrefRow(1, x, 0)...)
	o.xrefstm(6, "1 3 5 2", rows, " /Filter [] /DecodeParms []")
	fmt.Fprintf(&o.b, "startxref\n%d\n%%%%EOF\n", x)
	f := openBytes(t, o.b.Bytes())
	if v, _ := f.Latest().Dict(Ref{Num: 3}).Get("V").(String); string(v.Bytes) != "A" {
		t.Fatalf("object 3 through an object stream with /Filter []: /V %q", v.Bytes)
	}
	if an := f.Revisions()[0].Anomalies; len(an) > 0 {
		t.Errorf("anomalies %v", an)
	}
}
