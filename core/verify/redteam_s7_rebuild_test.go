package verify

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s7, G2/G4/G5: gaps in the model of what a reader that rebuilds the cross-reference
// table sees. Each row appends, by hand, one update to a document signed here (test PKI made
// in the test) whose trailer /Size is out of range (MuPDF and poppler rebuild on it, this
// parser tolerates it) and which holds a definition of object 4 (the signed page's content)
// or of object 3 (the page) that only a rebuilding reader takes:
//
//   - G4: a header with a comment between its tokens ("4 0 % c⏎obj", "4 % c⏎0 obj") or a sign
//     ("+4 0 obj"): MuPDF's repair lexer skips comments and reads signed numbers;
//   - G5: a header right after 255 bytes of one line: poppler reads lines in 255-byte chunks
//     (getLine(buf, 256)) and examines each chunk as a line start;
//   - G2: an object stream whose /N, /First or /Type is a reference: MuPDF's repair resolves
//     them and loads the page it holds.
//
// Every attack row shows the forged amount in the reader it aims at (poppler's pdftotext or
// MuPDF's mutool) and names the hidden definition, so it cannot pass on the trigger alone (a
// rebuild trigger after signing is itself a disallowed change). The twins hide a copy
// identical to what was signed, or a spelling no reader takes (shown in both readers): only
// the trigger is reported, never a hidden definition (quirkTwin).

const (
	s7Signed = "BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET"
	s7Forged = "BT /F1 24 Tf 72 700 Td (Pay 9999999 yuan) Tj ET"
)

// s7Stream is an indirect object body: a stream with dict entries and data.
func s7Stream(dict, data string) string {
	return fmt.Sprintf("<<%s/Length %d>>stream\n%s\nendstream", dict, len(data), data)
}

// s7Def is a complete definition of content object 4 under the header hdr.
func s7Def(hdr, content string) string {
	return fmt.Sprintf("%s\n<</Length %d>>stream\n%s\nendstream\nendobj\n", hdr, len(content), content)
}

// s7Update appends one update to signed: orphan bytes (listed nowhere) followed by the
// objects bodies(n) returns, numbered from n (the signed trailer's /Size) and listed in a
// table; the trailer's /Size is size ("" = the right one).
func s7Update(t testing.TB, signed []byte, orphan string, bodies func(n int) []string, size string) []byte {
	t.Helper()
	sz, root, prev := updateBase(t, signed)
	out := append(append([]byte{}, signed...), orphan...)
	n := int(sz)
	var offs []int
	for i, body := range bodies(n) {
		offs = append(offs, len(out))
		out = append(out, fmt.Sprintf("%d 0 obj\n%s\nendobj\n", n+i, body)...)
	}
	xref := len(out)
	var sb strings.Builder
	fmt.Fprintf(&sb, "xref\n%d %d\n", n, len(offs))
	for _, o := range offs {
		fmt.Fprintf(&sb, "%010d 00000 n \n", o)
	}
	if size == "" {
		size = strconv.Itoa(n + len(offs))
	}
	fmt.Fprintf(&sb, "trailer\n<</Size %s/Root %d %d R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", size, root.Num, root.Gen, prev, xref)
	return append(out, sb.String()...)
}

// s7Note is a listed object that refers to nothing and nothing refers to (the update needs
// one listed object).
func s7Note(int) []string { return []string{"<</Note(update)>>"} }

// s7Hide returns bodies whose first object is a stream hiding data: with indirectLen its
// /Length is a reference (MuPDF's repair then resyncs on the first "endstream" in the data
// and reads what follows as top-level objects).
func s7Hide(data string, indirectLen bool) func(n int) []string {
	return func(n int) []string {
		if !indirectLen {
			return []string{s7Stream("", data)}
		}
		return []string{fmt.Sprintf("<</Length %d 0 R>>stream\n%s\nendstream", n+1, data), strconv.Itoa(len(data))}
	}
}

// s7InData wraps a definition for MuPDF's resync inside a stream with an indirect /Length.
func s7InData(def string) string { return "x endstream endobj " + def + "77 0 obj (pad) " }

// s7PageCopy is the signed page (object 3) with its /Contents replaced by ref.
func s7PageCopy(t testing.TB, signed []byte, contents string) string {
	t.Helper()
	f, err := pdf.Open(bytesReader(signed), int64(len(signed)), nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.Latest().Object(pdf.Ref{Num: 3})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := o.(pdf.Dict)
	if !ok {
		t.Fatalf("object 3 is %T, not the page", o)
	}
	d = d.Clone()
	d["Contents"] = pdf.Ref{Num: mustAtoi(t, contents)}
	b, err := pdf.AppendObject(nil, d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustAtoi(t testing.TB, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// s7ObjStm returns bodies: an object stream (first) holding the given objects, with its /N,
// /First or /Type given by reference as indirect names, then the objects those references
// name, then more bodies. holds(n) gives the pairs' numbers and bodies.
func s7ObjStm(indirect string, holds func(n int) ([]int, []string), more func(n int) []string) func(n int) []string {
	return func(n int) []string {
		nums, bods := holds(n)
		var idx, body strings.Builder
		for i, m := range nums {
			fmt.Fprintf(&idx, "%d %d ", m, body.Len())
			body.WriteString(bods[i] + " ")
		}
		first := idx.Len()
		vals := map[string]string{"N": strconv.Itoa(len(nums)), "First": strconv.Itoa(first), "Type": "/ObjStm"}
		var dict strings.Builder
		extra := []string{}
		for _, k := range []string{"Type", "N", "First"} {
			if strings.Contains(indirect, k) {
				fmt.Fprintf(&dict, "/%s %d 0 R", k, n+1+len(extra))
				extra = append(extra, vals[k])
				continue
			}
			fmt.Fprintf(&dict, "/%s %s", k, vals[k])
		}
		out := []string{s7Stream(dict.String(), idx.String()+body.String())}
		out = append(out, extra...)
		return append(out, more(n+len(out))...)
	}
}

func TestRedTeamS7Rebuild(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	approval := s.sign(t, plain, sigOpts{})
	certified := s.sign(t, plain, sigOpts{certify: 1})
	shows := func(tool func(*testing.T, []byte) string, name string) func(t *testing.T, d []byte) {
		return func(t *testing.T, d []byte) {
			if got := tool(t, d); !strings.Contains(got, "9999999") {
				t.Fatalf("%s does not show the forged amount: %q", name, got)
			}
		}
	}
	poppler, mupdf := shows(popplerText, "poppler"), shows(mupdfText, "MuPDF")
	both := func(t *testing.T, d []byte) { poppler(t, d); mupdf(t, d) }
	// neither: no reader takes the spelling (what makes the twin harmless, shown).
	neither := func(t *testing.T, d []byte) {
		for name, tool := range map[string]func(*testing.T, []byte) string{"poppler": popplerText, "MuPDF": mupdfText} {
			if got := tool(t, d); strings.Contains(got, "9999999") || !strings.Contains(got, "1000000") {
				t.Fatalf("%s does not show the signed amount: %q", name, got)
			}
		}
	}
	const huge = "2000000000"
	store := s.store()
	chunk := "%" + strings.Repeat("x", 254) // poppler's next chunk starts after these 255 bytes
	const why = "reads differently for a viewer that rebuilds"
	const unlisted = "cross-reference section does not list"
	const objstm = "object stream"
	// pageTo: the page copy in the object stream shows content object c (set once n is known).
	pageTo := func(signed []byte, content string) func(indirect string) func(n int) []string {
		return func(indirect string) func(n int) []string {
			return func(n int) []string {
				c := n + 1
				for _, k := range []string{"Type", "N", "First"} {
					if strings.Contains(indirect, k) {
						c++ // the object naming its value comes first
					}
				}
				holds := func(int) ([]int, []string) {
					return []int{3}, []string{s7PageCopy(t, signed, strconv.Itoa(c))}
				}
				return s7ObjStm(indirect, holds, func(int) []string { return []string{s7Stream("", content)} })(n)
			}
		}
	}
	// zeroN: the page copy in an object stream whose /N is a reference to 0: it declares no
	// object for any reader (MuPDF reads zero pairs), so nothing is redefined.
	zeroN := func(signed []byte) func(n int) []string {
		return func(n int) []string {
			idx := "3 0 "
			dict := fmt.Sprintf("/Type/ObjStm/N %d 0 R/First %d", n+1, len(idx))
			return []string{s7Stream(dict, idx+s7PageCopy(t, signed, strconv.Itoa(n+2))), "0", s7Stream("", s7Forged)}
		}
	}
	var rows []rtRow
	for _, doc := range []struct {
		name   string
		signed []byte
	}{{"approval", approval}, {"p1", certified}} {
		d := doc.signed
		add := func(name string, want Verdict, reason string, effect func(*testing.T, []byte), build func() []byte) {
			rows = append(rows, rtRow{doc.name + "/" + name, build, want, reason, effect})
		}
		// G4: MuPDF's lexer skips a comment between the header's tokens.
		// A sign is part of MuPDF's number token: "+4" is 4.
		for _, h := range []struct{ name, hdr string }{
			{"comment-before-obj", "4 0 % c\nobj"}, {"comment-before-gen", "4 % c\n0 obj"},
			{"signed-number", "+4 0 obj"}, {"signed-generation-comment", "4 +0 % c\nobj"},
		} {
			add("g4-top-"+h.name, StatusModified, unlisted, mupdf, func() []byte {
				return s7Update(t, d, s7Def(h.hdr, s7Forged), s7Note, huge)
			})
			add("g4-in-stream-"+h.name, StatusModified, why, mupdf, func() []byte {
				return s7Update(t, d, "", s7Hide(s7InData(s7Def(h.hdr, s7Forged)), true), huge)
			})
			add("g4-in-stream-"+h.name+"-twin", StatusModified, quirkReason, quirkTwin(store, why, nil), func() []byte {
				return s7Update(t, d, "", s7Hide(s7InData(s7Def(h.hdr, s7Signed)), true), huge)
			})
		}
		// "4 0obj" is one bad token for MuPDF, and poppler wants white space after the
		// generation: no reader takes it.
		add("g4-top-no-space-before-obj-twin", StatusModified, quirkReason, quirkTwin(store, unlisted, neither), func() []byte {
			return s7Update(t, d, s7Def("4 0obj", s7Forged), s7Note, huge)
		})
		// G5: poppler's 255-byte chunks.
		add("g5-top-chunk", StatusModified, unlisted, poppler, func() []byte {
			return s7Update(t, d, chunk+s7Def("4 0 obj", s7Forged), s7Note, huge)
		})
		add("g5-in-stream-chunk", StatusModified, why, poppler, func() []byte {
			return s7Update(t, d, "", s7Hide("q Q\n"+chunk+s7Def("4 0 obj", s7Forged)+"q Q", false), huge)
		})
		add("g5-in-stream-chunk-twin", StatusModified, quirkReason, quirkTwin(store, why, nil), func() []byte {
			return s7Update(t, d, "", s7Hide("q Q\n"+chunk+s7Def("4 0 obj", s7Signed)+"q Q", false), huge)
		})
		// One byte short of a chunk: the digits sit inside the comment for every reader.
		add("g5-top-254-twin", StatusModified, quirkReason, quirkTwin(store, unlisted, neither), func() []byte {
			return s7Update(t, d, chunk[:254]+s7Def("4 0 obj", s7Forged), s7Note, huge)
		})
		// G4 and G5 together: both readers show the forgery.
		add("g4-g5-top-both", StatusModified, unlisted, both, func() []byte {
			return s7Update(t, d, chunk+s7Def("4 0 obj", s7Forged)+s7Def("4 0 % c\nobj", s7Forged), s7Note, huge)
		})
		// G2: MuPDF's repair resolves an object stream's /N, /First and /Type.
		for _, ind := range []string{"N", "First", "Type", "N First"} {
			add("g2-objstm-indirect-"+strings.ReplaceAll(ind, " ", "-"), StatusModified, objstm, mupdf, func() []byte {
				return s7Update(t, d, "", pageTo(d, s7Forged)(ind), huge)
			})
		}
		add("g2-objstm-indirect-N-zero-twin", StatusModified, quirkReason, quirkTwin(store, objstm, neither), func() []byte {
			return s7Update(t, d, "", zeroN(d), huge)
		})
		// An object stream hidden inside another stream's data, found by MuPDF's resync.
		add("g2-hidden-objstm", StatusModified, objstm, mupdf, func() []byte {
			return s7Update(t, d, "", func(n int) []string {
				content := n + 2
				hold := s7ObjStm("N", func(int) ([]int, []string) {
					return []int{3}, []string{s7PageCopy(t, d, strconv.Itoa(content))}
				}, func(int) []string { return nil })(80)
				inner := fmt.Sprintf("x endstream endobj 80 0 obj\n%s\nendobj\n81 0 obj\n%s\nendobj\n78 0 obj (pad) ", hold[0], hold[1])
				return []string{fmt.Sprintf("<</Length %d 0 R>>stream\n%s\nendstream", n+1, inner), strconv.Itoa(len(inner)), s7Stream("", s7Forged)}
			}, huge)
		})
	}
	runRows(t, s, rows)
}

// s7Seeds are the shapes of TestRedTeamS7Rebuild for FuzzVerify.
func s7Seeds(t testing.TB, signed []byte) [][]byte {
	chunk := "%" + strings.Repeat("x", 254)
	return [][]byte{
		s7Update(t, signed, s7Def("4 0 % c\nobj", s7Forged), s7Note, "2000000000"),
		s7Update(t, signed, "", s7Hide(s7InData(s7Def("4 % c\n0 obj", s7Forged)), true), "2000000000"),
		s7Update(t, signed, chunk+s7Def("4 0 obj", s7Forged), s7Note, "2000000000"),
		s7Update(t, signed, "", func(n int) []string {
			idx := "3 0 "
			return []string{s7Stream(fmt.Sprintf("/Type %d 0 R/N %d 0 R/First %d 0 R", n+1, n+2, n+3), idx+s7PageCopy(t, signed, "4")), "/ObjStm", "1", strconv.Itoa(len(idx))}
		}, "2000000000"),
	}
}

// TestRedTeamS7RebuildLastPerReader: which copy of a number is "the last" differs between
// readers, so the rebuilt view is compared per reader's rule. The document as signed (prepared
// by the attacker) hides a forged copy of object 4 that poppler finds, then a copy identical
// to the signed content spelled "4 0 % c⏎obj", which only MuPDF's lexer finds; an update
// after signing carries only a /Size out of range. Taking the last header of any rule would
// compare the harmless copy and miss what poppler shows; the twin hides two harmless copies
// (only the trigger is reported).
func TestRedTeamS7RebuildLastPerReader(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	prepare := func(first string) []byte {
		p := update(t, plain, func(u *pdf.Update, _ *pdf.View) {
			u.Add(s5Shadow(4, first))
			u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte("\n" + s7Def("4 0 % c\nobj", s7Signed))})
		})
		return s.sign(t, p, sigOpts{})
	}
	poppler := func(t *testing.T, d []byte) {
		if got := popplerText(t, d); !strings.Contains(got, "9999999") {
			t.Fatalf("poppler does not show the forged amount: %q", got)
		}
	}
	runRows(t, s, []rtRow{
		{"forged-then-mupdf-only-copy", func() []byte { return s7Update(t, prepare(s7Forged), "", s7Note, "2000000000") }, StatusModified, "reads differently for a viewer that rebuilds", poppler},
		{"twin", func() []byte { return s7Update(t, prepare(s7Signed), "", s7Note, "2000000000") }, StatusModified, quirkReason, quirkTwin(s.store(), "reads differently for a viewer that rebuilds", nil)},
	})
}
