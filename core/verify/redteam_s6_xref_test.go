package verify

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s6, root cause 1 (F2, F3, F5): the verifier compared "what a rebuilding reader sees"
// only when its own parser met an anomaly, while poppler, qpdf and MuPDF rebuild on syntax it
// tolerates. Each row appends, by hand, one update to a document signed here (test PKI made in
// the test) holding a stream whose data hides "4 0 obj …" (object 4 is the signed page's
// content) plus one quirk that makes some reader rebuild; the twins hide a byte-identical copy
// of the signed content and stay valid.

// s6Quirk shapes the hand-written update.
type s6Quirk struct {
	indirectLen bool   // the hiding stream's /Length is an indirect object (MuPDF's repair then resyncs on its fake "endstream")
	gap         string // between "startxref" and its offset
	xrefHead    string // after the "xref" keyword line (a comment line, say)
	subTail     string // after each subsection header's two numbers
	size        string // the trailer's /Size ("" = the right one)
	unrefEOF    bool   // one more entry, referenced by nothing, at an offset past the end of the file
	noShadow    bool   // the stream hides nothing (the quirk alone)
	entry       string // the first entry's format ("" = "%010d 00000 n \n")
}

// updateBase reads what a hand-written update of signed refers to: the latest trailer's /Size,
// the catalog and the offset of the last cross-reference section.
func updateBase(t testing.TB, signed []byte) (size int64, root pdf.Ref, prev int) {
	t.Helper()
	f, err := pdf.Open(bytesReader(signed), int64(len(signed)), nil)
	if err != nil {
		t.Fatal(err)
	}
	size, _ = pdf.IntOf(f.Latest().Trailer().Get("Size"))
	root, ok := rootRef(f.Latest())
	if !ok {
		t.Fatal("the signed test document has no /Root")
	}
	at := bytes.LastIndex(signed, []byte("startxref"))
	prev, err = strconv.Atoi(strings.Fields(string(signed[at+len("startxref"):]))[0])
	if err != nil {
		t.Fatal(err)
	}
	return size, root, prev
}

// s6Update appends the update to signed.
func s6Update(t *testing.T, signed []byte, content string, q s6Quirk) []byte {
	t.Helper()
	size, root, prev := updateBase(t, signed)
	out := append([]byte{}, signed...)
	inner := fmt.Sprintf("x endstream endobj 4 0 obj\n<</Length %d>>stream\n%s\nendstream\nendobj\n%d 0 obj (pad) ", len(content), content, size+3)
	if q.noShadow {
		inner = "x"
	}
	n := int(size)
	type ent struct{ num, off int }
	var ents []ent
	ents = append(ents, ent{n, len(out)})
	if q.indirectLen {
		out = append(out, fmt.Sprintf("%d 0 obj\n<</Length %d 0 R>>stream\n%s\nendstream\nendobj\n", n, n+1, inner)...)
		ents = append(ents, ent{n + 1, len(out)})
		out = append(out, fmt.Sprintf("%d 0 obj\n%d\nendobj\n", n+1, len(inner))...)
	} else {
		out = append(out, fmt.Sprintf("%d 0 obj\n<</Length %d>>stream\n%s\nendstream\nendobj\n", n, len(inner), inner)...)
	}
	if q.unrefEOF {
		ents = append(ents, ent{n + 2, len(out) + 100000})
	}
	xref := len(out)
	var sb strings.Builder
	sb.WriteString("xref\n" + q.xrefHead)
	fmt.Fprintf(&sb, "%d %d%s\n", n, len(ents), q.subTail)
	for i, e := range ents {
		if i == 0 && q.entry != "" {
			fmt.Fprintf(&sb, q.entry, e.off)
			continue
		}
		fmt.Fprintf(&sb, "%010d 00000 n \n", e.off)
	}
	sz := q.size
	if sz == "" {
		sz = strconv.Itoa(n + len(ents))
	}
	gap := q.gap
	if gap == "" {
		gap = "\n"
	}
	fmt.Fprintf(&sb, "trailer\n<</Size %s/Root %d %d R/Prev %d>>\nstartxref%s%d\n%%%%EOF\n", sz, root.Num, root.Gen, prev, gap, xref)
	return append(out, sb.String()...)
}

// mupdfText is what MuPDF's mutool reads from the document's pages; without mutool the effect
// check is skipped with a message.
func mupdfText(t *testing.T, d []byte) string {
	t.Helper()
	tool, err := exec.LookPath("mutool")
	if err != nil {
		t.Skip("mutool (MuPDF) not installed: the attack's effect in MuPDF cannot be shown")
	}
	f := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(f, d, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(tool, "draw", "-q", "-F", "txt", f).Output()
	return string(out)
}

func TestRedTeamS6RebuildingReaders(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	const signedContent = "BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET"
	const forged = "BT /F1 24 Tf 72 700 Td (Pay 9999999 yuan) Tj ET"
	poppler := func(t *testing.T, d []byte) {
		if got := popplerText(t, d); !strings.Contains(got, "9999999") {
			t.Fatalf("poppler does not show the forged amount: %q", got)
		}
	}
	mupdf := func(t *testing.T, d []byte) {
		if got := mupdfText(t, d); !strings.Contains(got, "9999999") {
			t.Fatalf("MuPDF does not show the forged amount: %q", got)
		}
	}
	const why = "reads differently for a viewer that rebuilds"
	var rows []rtRow
	for _, c := range []struct {
		name   string
		q      s6Quirk
		effect func(t *testing.T, d []byte)
	}{
		// F2: poppler and qpdf look for startxref only near the end of the file.
		{"startxref-1100-spaces", s6Quirk{gap: "\n" + strings.Repeat(" ", 1100)}, poppler},
		{"startxref-1100-nul", s6Quirk{gap: "\n" + strings.Repeat("\x00", 1100)}, poppler},
		// F3: MuPDF checks every entry at load and repairs; the indirect /Length makes its
		// repair resync on the fake endstream.
		{"unreferenced-entry-past-eof", s6Quirk{indirectLen: true, unrefEOF: true}, mupdf},
		// F5: table and trailer syntax MuPDF or poppler reject.
		{"xref-comment-line", s6Quirk{indirectLen: true, xrefHead: "% c\n"}, mupdf},
		{"subsection-trailing-blanks", s6Quirk{indirectLen: true, subTail: "  "}, mupdf},
		{"size-huge", s6Quirk{indirectLen: true, size: "2000000000"}, mupdf},
		{"size-indirect", s6Quirk{indirectLen: true, size: "1 0 R"}, mupdf},
	} {
		rows = append(rows,
			rtRow{c.name, func() []byte { return s6Update(t, signed, forged, c.q) }, StatusModified, why, c.effect},
			// The quirk alone is refused after signing (no signer writes it); the rebuilt view
			// of the twin still matches.
			rtRow{c.name + "-twin", func() []byte { return s6Update(t, signed, signedContent, c.q) }, StatusModified, quirkReason, quirkTwin(s.store(), why, nil)})
	}
	runRows(t, s, rows)
}

// TestRedTeamS6QuirkAloneAfterSigning: the tolerated syntax is an anomaly of the revision, so a
// definition hidden in the bytes the signature covers (a stream of the document as it was
// signed, after the listed object 4) is compared as a rebuilding reader sees it when an update
// made after signing carries only the quirk; the twins' updates are in strict syntax.
func TestRedTeamS6QuirkAloneAfterSigning(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	const forged = "BT /F1 24 Tf 72 700 Td (Pay 9999999 yuan) Tj ET"
	prepared := update(t, plain, func(u *pdf.Update, _ *pdf.View) { u.Add(s5Shadow(4, forged)) })
	signed := s.sign(t, prepared, sigOpts{})
	poppler := func(t *testing.T, d []byte) {
		if got := popplerText(t, d); !strings.Contains(got, "9999999") {
			t.Fatalf("poppler does not show the forged amount: %q", got)
		}
	}
	mupdf := func(t *testing.T, d []byte) {
		if got := mupdfText(t, d); !strings.Contains(got, "9999999") {
			t.Fatalf("MuPDF does not show the forged amount: %q", got)
		}
	}
	const why = "reads differently for a viewer that rebuilds"
	runRows(t, s, []rtRow{
		{"startxref-1100-spaces", func() []byte {
			return s6Update(t, signed, "", s6Quirk{noShadow: true, gap: "\n" + strings.Repeat(" ", 1100)})
		}, StatusModified, why, poppler},
		{"size-huge", func() []byte { return s6Update(t, signed, "", s6Quirk{noShadow: true, size: "2000000000"}) }, StatusModified, why, poppler},
		{"strict-twin", func() []byte { return s6Update(t, signed, "", s6Quirk{noShadow: true}) }, StatusValid, "", nil},
	})

	// MuPDF reads table entries 20 bytes at a time and its repair skips stream data, so the
	// second body of object 4 lies between revisions of the prepared document, outside any
	// object (red team s8b, g05_tail_update_badentry: an update of one nine-digit entry).
	dup := append(append([]byte{}, plain...), fmt.Sprintf("4 0 obj\n<</Length %d>>stream\n%s\nendstream\nendobj\n", len(forged), forged)...)
	dupSigned := s.sign(t, s6Update(t, dup, "", s6Quirk{noShadow: true}), sigOpts{})
	runRows(t, s, []rtRow{
		{"entry-nine-digits", func() []byte { return s6Update(t, dupSigned, "", s6Quirk{noShadow: true, entry: "%09d 00000 n\n"}) }, StatusModified, why, mupdf},
		{"entry-21-bytes-last-twin", func() []byte { return s6Update(t, dupSigned, "", s6Quirk{noShadow: true, entry: "%010d 00000 n \r\n"}) }, StatusValid, "", nil},
	})
}

// TestRebuildTriggerPadding: padding after the last %%EOF that puts startxref more than 1 KB
// before the end makes poppler, qpdf and MuPDF rebuild, yet it is a note, not a change (peers
// accept it, issue 13) — unlike every other rebuild trigger after signing, which is refused.
// So what a rebuilding reader would see is still compared: a definition hidden in the update
// is reported (MuPDF shows it), and the same update hiding the signed content is valid.
func TestRebuildTriggerPadding(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	const signedContent = "BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET"
	const forged = "BT /F1 24 Tf 72 700 Td (Pay 9999999 yuan) Tj ET"
	pad := func(d []byte, b byte) []byte {
		return append(append([]byte{}, d...), bytes.Repeat([]byte{b}, 1100)...)
	}
	mupdf := func(t *testing.T, d []byte) {
		if got := mupdfText(t, d); !strings.Contains(got, "9999999") {
			t.Fatalf("MuPDF does not show the forged amount: %q", got)
		}
	}
	const why = "reads differently for a viewer that rebuilds"
	runRows(t, s, []rtRow{
		{"spaces-hiding-forged-page", func() []byte { return pad(s6Update(t, signed, forged, s6Quirk{indirectLen: true}), ' ') }, StatusModified, why, mupdf},
		{"spaces-hiding-signed-page-twin", func() []byte { return pad(s6Update(t, signed, signedContent, s6Quirk{indirectLen: true}), ' ') }, StatusValid, "padding", nil},
		{"nul-after-signing-twin", func() []byte { return pad(signed, 0) }, StatusValid, "padding", nil},
	})
}
