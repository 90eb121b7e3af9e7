package pdf

import (
	"bytes"
	"math"
	"strconv"
	"testing"
)

func TestInRange(t *testing.T) {
	for _, c := range []struct {
		off, n, size int64
		want         bool
	}{
		{0, 0, 0, true},
		{0, 10, 10, true},
		{10, 0, 10, true},
		{1, 10, 10, false},
		{-1, 1, 10, false},
		{1, -1, 10, false},
		{5, math.MaxInt64, 10, false},
		{math.MaxInt64, math.MaxInt64, math.MaxInt64, false},
		{math.MaxInt64, 0, math.MaxInt64, true},
		{11, 0, 10, false},
	} {
		if got := InRange(c.off, c.n, c.size); got != c.want {
			t.Errorf("InRange(%d, %d, %d) = %v", c.off, c.n, c.size, got)
		}
	}
	if _, ok := AddOffset(math.MaxInt64, 1); ok {
		t.Error("AddOffset overflowed silently")
	}
	if s, ok := AddOffset(3, 4); !ok || s != 7 {
		t.Errorf("AddOffset(3, 4) = %d, %v", s, ok)
	}
}

// TestHugeNumbersFromFile: lengths and offsets near the int64 range never slice out of range.
func TestHugeNumbersFromFile(t *testing.T) {
	for _, body := range []string{
		"<</Length 9223372036854775807>>stream\nabc\nendstream",
		"<</Length 9223372036854775000>>stream\nabc\nendstream",
		"<</Type/ObjStm/N 1/First 9223372036854775807/Length 3>>stream\n1 0\nendstream",
		"<</Type/ObjStm/N 1/First 4/Length 4>>stream\n2 9223372036854775807\nendstream",
	} {
		doc := genRaw(t, body)
		f, err := Open(bytes.NewReader(doc), int64(len(doc)), nil)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		o, _ := f.Object(Ref{Num: 3})
		if st, ok := o.(*Stream); ok {
			f.StreamData(st)
		}
		f.Object(Ref{Num: 2}) // compressed in object stream 3 when it is one
	}
}

// genRaw writes a file whose object 3 is body; object 2 is listed as compressed in stream 3.
func genRaw(t *testing.T, body string) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	o1 := b.Len()
	b.WriteString("1 0 obj<</Type/Catalog>>endobj\n")
	o3 := b.Len()
	b.WriteString("3 0 obj" + body + "\nendobj\n")
	x := b.Len()
	b.WriteString("4 0 obj<</Type/XRef/Size 5/W[1 4 2]/Root 1 0 R/Length 35>>stream\n")
	row := func(typ byte, f2 uint32, f3 uint16) {
		b.Write([]byte{typ, byte(f2 >> 24), byte(f2 >> 16), byte(f2 >> 8), byte(f2), byte(f3 >> 8), byte(f3)})
	}
	row(0, 0, 65535)
	row(1, uint32(o1), 0)
	row(2, 3, 0)
	row(1, uint32(o3), 0)
	row(1, uint32(x), 0)
	b.WriteString("\nendstream\nendobj\nstartxref\n")
	b.WriteString(strconv.Itoa(x) + "\n%%EOF\n")
	return b.Bytes()
}
