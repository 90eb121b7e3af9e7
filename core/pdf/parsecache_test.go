package pdf

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// incrementalPDF writes an original revision and updates, each a map of object number to its
// body ("<< … >>" or "<< … >>\nstream\n…\nendstream"), with exact classic xref tables.
func incrementalPDF(revs ...map[int]string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	prev := int64(-1)
	size := 0
	for _, objs := range revs {
		nums := make([]int, 0, len(objs))
		for n := range objs {
			nums = append(nums, n)
			size = max(size, n+1)
		}
		for i := 1; i < len(nums); i++ {
			for j := i; j > 0 && nums[j] < nums[j-1]; j-- {
				nums[j], nums[j-1] = nums[j-1], nums[j]
			}
		}
		offs := map[int]int64{}
		for _, n := range nums {
			offs[n] = int64(b.Len())
			fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, objs[n])
		}
		xref := int64(b.Len())
		b.WriteString("xref\n")
		if prev < 0 {
			b.WriteString("0 1\n0000000000 65535 f \n")
		}
		for _, n := range nums {
			fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", n, offs[n])
		}
		fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R", size)
		if prev >= 0 {
			fmt.Fprintf(&b, " /Prev %d", prev)
		}
		fmt.Fprintf(&b, " >>\nstartxref\n%d\n%%%%EOF\n", xref)
		prev = xref
	}
	return b.Bytes()
}

// TestOpenBytesSameAsReader: a file opened over its bytes (OpenBytes: parsing in place, parses
// cached, entries indexed across revisions) shows in every revision the same entries, objects,
// spans and stream extents as the same file read through an io.ReaderAt, including a stream
// whose indirect /Length a later revision redefines (the parse depends on the revision then).
func TestOpenBytesSameAsReader(t *testing.T) {
	data := "ab\nendstream\ncd"
	revs := []map[int]string{{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
		4: "<< /Length 5 0 R >>\nstream\n" + data + "\nendstream",
		5: fmt.Sprint(len(data)),
		6: "<< /Contents <" + strings.Repeat("3082", 3000) + "> /V 0 >>",
	}}
	for k := 1; k <= 6; k++ {
		u := map[int]string{6: fmt.Sprintf("<< /Contents <%s> /V %d >>", strings.Repeat("0a", 500*k), k), 10 + k: fmt.Sprintf("<< /N %d >>", k)}
		if k == 3 {
			u[5] = "2" // the stream now ends after "ab": a different parse of object 4
		}
		if k == 5 {
			u[5] = fmt.Sprint(len(data))
		}
		revs = append(revs, u)
	}
	b := incrementalPDF(revs...)
	byReader, err := Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	inMemory, err := OpenBytes(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(inMemory.Revisions()) != 7 || inMemory.hist == nil {
		t.Fatalf("%d revisions, entry index built: %v", len(inMemory.Revisions()), inMemory.hist != nil)
	}
	lengths := map[int64]bool{}
	for pass := 0; pass < 2; pass++ { // the second pass reads through the caches
		for rev := 0; rev < 7; rev++ {
			for num := 0; num <= 20; num++ {
				va, vb := byReader.View(rev), inMemory.View(rev)
				ea, ka, oka := va.Entry(num)
				eb, kb, okb := vb.Entry(num)
				if ea != eb || ka != kb || oka != okb {
					t.Fatalf("rev %d obj %d: entry %v %d %v, in memory %v %d %v", rev, num, ea, ka, oka, eb, kb, okb)
				}
				ia, _, erra := va.Indirect(Ref{Num: num})
				ib, _, errb := vb.Indirect(Ref{Num: num})
				if (erra == nil) != (errb == nil) || !reflect.DeepEqual(ia, ib) {
					t.Fatalf("rev %d obj %d: indirect %+v (%v), in memory %+v (%v)", rev, num, ia, erra, ib, errb)
				}
				oa, erra := va.Object(Ref{Num: num})
				ob, errb := vb.Object(Ref{Num: num})
				if (erra == nil) != (errb == nil) || !reflect.DeepEqual(oa, ob) {
					t.Fatalf("rev %d obj %d: object %v (%v), in memory %v (%v)", rev, num, oa, erra, ob, errb)
				}
				if num == 4 && ib != nil {
					lengths[ib.Value.(*Stream).Length] = true
				}
			}
		}
	}
	if !lengths[2] || !lengths[int64(len(data))] {
		t.Fatalf("stream lengths seen through Indirect: %v; want both 2 (revisions 3–4) and %d", lengths, len(data))
	}
	if st, _, _ := inMemory.View(3).Indirect(Ref{Num: 4}); st.Value.(*Stream).Length != 2 {
		t.Fatalf("revision 3 reads object 4 with length %d, want 2", st.Value.(*Stream).Length)
	}
	if st, _, _ := inMemory.View(5).Indirect(Ref{Num: 4}); st.Value.(*Stream).Length != int64(len(data)) {
		t.Fatalf("revision 5 reads object 4 with length %d, want %d", st.Value.(*Stream).Length, len(data))
	}
}
