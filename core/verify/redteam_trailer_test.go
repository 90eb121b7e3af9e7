package verify

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Hidden trailers (issue 13 §1): a reader that rebuilds its cross-reference table takes the
// document's root from the trailers it finds by scanning the bytes — poppler the last "trailer"
// that names a new root number, MuPDF the last dictionary with /Root it meets outside object
// data (xref stream dictionaries too), qpdf 11 the first "trailer" at the start of a line — so an
// update after signing that hides "trailer <</Root 20 0 R>>" and a catalog, page tree and page
// with fresh numbers inside a stream's data (plus one quirk that makes the reader rebuild) shows
// a whole different document, built from objects nothing in the cross-reference view refers
// to. Each row appends such an update, by hand, to a document signed here (test PKI made in the
// test); each attack row first shows the forged page in the reader whose rule it uses, and each
// twin hides the same kind of text harmlessly and stays valid.

// trQuirk shapes the hand-written update.
type trQuirk struct {
	xrefStream   bool   // the update's own section is an xref stream (no "trailer" keyword), else a table
	trailerFirst bool   // the update's section comes before the hiding stream (the hidden trailer is then the last in the file)
	indirectLen  bool   // the hiding stream's /Length is indirect (MuPDF's repair resyncs on its first "endstream")
	gap          string // between "startxref" and its number ("" = "\n"); 1100 blanks make poppler and qpdf rebuild
	unrefEOF     bool   // one more entry, referenced by nothing, at an offset past the end of the file (MuPDF repairs)
	hide         string // "trailer", "xrefstream", "rootdict" (a bare dictionary with /Root), "infodict" (one with /Info only), "catalog", "text" (the word in a string), "none"
	sameRoot     bool   // the hidden trailer names the document's own root (a twin); the forged catalog is left out
	info         bool   // the hidden trailer also names a hidden /Info (title "Forged")
	// swallow ends the hidden data with "77 0 obj (": MuPDF's repair reads the rest of the
	// file as that string, so the update's own xref stream, which names the real root after
	// the hidden trailer, is never met (the update's bytes hold no ")").
	swallow bool
}

const (
	trSigned = "BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET"
	trForged = "BT /F1 24 Tf 72 700 Td (Pay 9999999 yuan) Tj ET"
)

// trUpdate appends the update to signed and returns the file.
func trUpdate(t *testing.T, signed []byte, q trQuirk) []byte {
	t.Helper()
	size, root, prev := updateBase(t, signed)
	n := int(size)    // the hiding stream
	fresh := n + 10   // the forged catalog, pages, page, content, info: numbers nothing uses
	xrefNum := n + 2  // the update's xref stream, when it is one
	unrefNum := n + 3 // the entry past the end of the file
	rootNum := fresh
	if q.sameRoot {
		rootNum = root.Num
	}
	inner := trHidden(q, fresh, rootNum)

	// The update's objects, with offsets relative to where they start.
	type ent struct{ num, off int }
	var rel []ent
	var objs strings.Builder
	rel = append(rel, ent{n, 0})
	if q.indirectLen {
		fmt.Fprintf(&objs, "%d 0 obj\n<</Length %d 0 R>>stream\n%s\nendstream\nendobj\n", n, n+1, inner)
		rel = append(rel, ent{n + 1, objs.Len()})
		fmt.Fprintf(&objs, "%d 0 obj\n%d\nendobj\n", n+1, len(inner))
	} else {
		fmt.Fprintf(&objs, "%d 0 obj\n<</Length %d>>stream\n%s\nendstream\nendobj\n", n, len(inner), inner)
	}
	// section writes the update's cross-reference section at xrefOff, its objects at base; the
	// length does not depend on the offsets (fixed-width in both styles).
	section := func(xrefOff, base, total int) string {
		var all []ent
		for _, e := range rel {
			all = append(all, ent{e.num, base + e.off})
		}
		if q.unrefEOF {
			all = append(all, ent{unrefNum, total + 100000})
		}
		sz := n + 4
		var sb strings.Builder
		if q.xrefStream {
			var rows []byte
			idx := ""
			for _, e := range append(all, ent{xrefNum, xrefOff}) {
				idx += fmt.Sprintf(" %d 1", e.num)
				rows = append(rows, 1, byte(e.off>>24), byte(e.off>>16), byte(e.off>>8), byte(e.off), 0, 0)
			}
			fmt.Fprintf(&sb, "%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Index[%s]/Root %d %d R/Prev %010d/Length %d>>stream\n", xrefNum, sz, idx[1:], root.Num, root.Gen, prev, len(rows))
			sb.Write(rows)
			sb.WriteString("\nendstream\nendobj\n")
			return sb.String()
		}
		sb.WriteString("xref\n")
		for _, e := range all {
			fmt.Fprintf(&sb, "%d 1\n%010d 00000 n \n", e.num, e.off)
		}
		fmt.Fprintf(&sb, "trailer\n<</Size %d/Root %d %d R/Prev %d>>\n", sz, root.Num, root.Gen, prev)
		return sb.String()
	}
	gap := q.gap
	if gap == "" {
		gap = "\n"
	}
	out := append([]byte{}, signed...)
	xrefOff := len(out)
	if q.trailerFirst {
		secLen := len(section(0, 0, 0))
		base := xrefOff + secLen
		total := base + objs.Len()
		out = append(out, section(xrefOff, base, total)...)
		out = append(out, objs.String()...)
	} else {
		base := len(out)
		xrefOff = base + objs.Len()
		out = append(out, objs.String()...)
		out = append(out, section(xrefOff, base, xrefOff+len(section(0, 0, 0)))...)
	}
	out = append(out, fmt.Sprintf("startxref%s%d\n%%%%EOF\n", gap, xrefOff)...)
	if q.swallow && bytes.IndexByte(out[bytes.LastIndex(out, []byte("77 0 obj (")):], ')') >= 0 {
		t.Fatal("the update holds a \")\": MuPDF's string would end there")
	}
	return out
}

// trHidden is the text the hiding stream holds: a fake end for MuPDF's resync, the forged
// catalog, pages, page and content under numbers from fresh on, and what q.hide asks for.
func trHidden(q trQuirk, fresh, rootNum int) string {
	if q.hide == "none" {
		return "(pad) "
	}
	var h strings.Builder
	h.WriteString("x endstream endobj\n")
	if !q.sameRoot || q.hide == "catalog" {
		fmt.Fprintf(&h, "%d 0 obj\n<</Type/Catalog/Pages %d 0 R>>\nendobj\n", fresh, fresh+1)
	}
	fmt.Fprintf(&h, "%d 0 obj\n<</Type/Pages/Kids[%d 0 R]/Count 1>>\nendobj\n", fresh+1, fresh+2)
	fmt.Fprintf(&h, "%d 0 obj\n<</Type/Page/Parent %d 0 R/MediaBox[0 0 612 792]/Resources<</Font<</F1 5 0 R>>>>/Contents %d 0 R>>\nendobj\n", fresh+2, fresh+1, fresh+3)
	content := trForged
	if q.sameRoot {
		content = trSigned
	}
	fmt.Fprintf(&h, "%d 0 obj\n<</Length %d>>stream\n%s\nendstream\nendobj\n", fresh+3, len(content), content)
	infoRef := ""
	if q.info {
		fmt.Fprintf(&h, "%d 0 obj\n<</Title(Forged)>>\nendobj\n", fresh+4)
		infoRef = fmt.Sprintf("/Info %d 0 R", fresh+4)
	}
	switch q.hide {
	case "trailer":
		fmt.Fprintf(&h, "trailer\n<</Size %d/Root %d 0 R%s>>\n", fresh+5, rootNum, infoRef)
	case "xrefstream":
		// Rows for the forged objects only; enough for a reader that takes this stream.
		fmt.Fprintf(&h, "%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Index[%d 4]/Root %d 0 R%s/Length 28>>stream\n", fresh+6, fresh+7, fresh, rootNum, infoRef)
		h.Write(make([]byte, 28))
		h.WriteString("\nendstream\nendobj\n")
	case "rootdict":
		fmt.Fprintf(&h, "<</Root %d 0 R%s>>\n", rootNum, infoRef)
	case "infodict":
		fmt.Fprintf(&h, "<<%s>>\n", infoRef)
	case "text":
		h.WriteString("BT /F1 12 Tf 72 72 Td (trailer) Tj (trailer <</Root) Tj ET\n")
	}
	if q.swallow {
		h.WriteString("77 0 obj (")
	} else {
		h.WriteString("(pad) ")
	}
	return h.String()
}

// qpdfText is the text of the pages qpdf writes out (qpdf --qdf keeps only what the root
// reaches, its content streams uncompressed); without qpdf the effect check is skipped.
func qpdfText(t *testing.T, d []byte) string {
	t.Helper()
	tool, err := exec.LookPath("qpdf")
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("qpdf missing")
		}
		t.Skip("qpdf not installed: the attack's effect in qpdf cannot be shown")
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(in, d, 0o600); err != nil {
		t.Fatal(err)
	}
	exec.Command(tool, "--qdf", "--object-streams=disable", in, out).Run() // exit 3: warnings (the repair)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("qpdf wrote nothing: %v", err)
	}
	return string(b)
}

// trShows asserts that a reader's text of d holds want and not gone.
func trShows(reader string, text func(*testing.T, []byte) string, want, gone string) func(t *testing.T, d []byte) {
	return func(t *testing.T, d []byte) {
		t.Helper()
		got := text(t, d)
		if !strings.Contains(got, want) || strings.Contains(got, gone) {
			t.Fatalf("%s does not show %q instead of %q: %.400q", reader, want, gone, got)
		}
	}
}

// pdfinfoTitle is the document title poppler's pdfinfo reads.
func pdfinfoTitle(t *testing.T, d []byte) string {
	t.Helper()
	tool := poppler(t, "pdfinfo")
	f := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(f, d, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(tool, f).Output()
	return string(out)
}

// mupdfShow is what "mutool show" prints for path in d (after MuPDF's repair, when it repairs).
func mupdfShow(t *testing.T, d []byte, path string) string {
	t.Helper()
	tool, err := exec.LookPath("mutool")
	if err != nil {
		t.Skip("mutool (MuPDF) not installed: the attack's effect in MuPDF cannot be shown")
	}
	f := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(f, d, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(tool, "show", f, path).Output()
	return string(out)
}

// TestRedTeamHiddenTrailers: each reader's rule for the root of a rebuilt table, with an
// attack whose forged page the reader really shows and a twin that hides the same text naming
// the document's own root — for an approval signature and under DocMDP P=1 and P=3. The
// update is an xref stream (no "trailer" keyword of its own after the hidden one); poppler and
// qpdf rebuild on a startxref 1100 bytes before the end, MuPDF on an entry past the end of the
// file, reading the hiding stream, whose /Length is indirect, as top-level syntax from its
// fake "endstream" on.
func TestRedTeamHiddenTrailers(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	gap := "\n" + strings.Repeat(" ", 1100)
	popplerShows := trShows("poppler", popplerText, "9999999", "1000000")
	mupdfShows := trShows("MuPDF", mupdfText, "9999999", "1000000")
	qpdfShows := trShows("qpdf", qpdfText, "9999999", "1000000")
	const why = "that is not its own and names /Root"
	for _, mdp := range []int{0, 1, 3} {
		plain, _ := makeDoc(docOpts{})
		signed := s.sign(t, plain, sigOpts{certify: mdp})
		plainX, _ := makeDoc(docOpts{xrefStream: true})
		signedX := s.sign(t, plainX, sigOpts{certify: mdp})
		pfx := fmt.Sprintf("P%d-", mdp)
		if mdp == 0 {
			pfx = "approval-"
		}
		var rows []rtRow
		for _, c := range []struct {
			name   string
			doc    []byte
			q      trQuirk
			effect func(t *testing.T, d []byte)
			twin   func(t *testing.T, d []byte)
		}{
			// poppler: the last trailer naming a new root number.
			{"poppler-last-trailer", signed, trQuirk{xrefStream: true, gap: gap, hide: "trailer"}, popplerShows,
				trShows("poppler", popplerText, "1000000", "9999999")},
			// MuPDF: the last /Root its repair meets; the hidden data ends in an open string
			// that swallows the update's own xref stream.
			{"mupdf-last-root", signed, trQuirk{xrefStream: true, indirectLen: true, unrefEOF: true, hide: "trailer", swallow: true}, mupdfShows,
				trShows("MuPDF", mupdfText, "1000000", "9999999")},
			// qpdf 11: the first trailer starting a line (the signed document has none).
			{"qpdf-first-trailer", signedX, trQuirk{xrefStream: true, gap: gap, hide: "trailer"}, qpdfShows,
				trShows("qpdf", qpdfText, "1000000", "9999999")},
		} {
			q := c.q
			twin := q
			twin.sameRoot = true
			rows = append(rows,
				rtRow{pfx + c.name, func() []byte { return trUpdate(t, c.doc, q) }, StatusModified, why, c.effect},
				rtRow{pfx + c.name + "-twin", func() []byte { return trUpdate(t, c.doc, twin) }, StatusModified, quirkReason, quirkTwin(s.store(), why, c.twin)})
		}
		if mdp == 0 {
			rows = append(rows,
				// MuPDF takes /Root from any dictionary outside object data, and from any object
				// whose dictionary has /Type /XRef.
				rtRow{"mupdf-bare-root-dict", func() []byte {
					return trUpdate(t, signed, trQuirk{xrefStream: true, indirectLen: true, unrefEOF: true, hide: "rootdict", swallow: true})
				}, StatusModified, why, mupdfShows},
				rtRow{"mupdf-hidden-xref-stream", func() []byte {
					return trUpdate(t, signed, trQuirk{xrefStream: true, indirectLen: true, unrefEOF: true, hide: "xrefstream", swallow: true})
				}, StatusModified, why, mupdfShows},
				// MuPDF takes /Info from any dictionary too: the same root, a forged title.
				rtRow{"mupdf-bare-info-dict", func() []byte {
					return trUpdate(t, signed, trQuirk{xrefStream: true, indirectLen: true, unrefEOF: true, hide: "infodict", sameRoot: true, info: true, swallow: true})
				}, StatusModified, "names /Info", func(t *testing.T, d []byte) {
					if got := mupdfShow(t, d, "trailer/Info"); !strings.Contains(got, "Forged") {
						t.Fatalf("MuPDF does not take the forged /Info: %q", got)
					}
				}},
				// A catalog alone under a fresh number: MuPDF and qpdf 12 take one when a rebuild
				// finds no usable root (none of the installed readers is led there here).
				rtRow{"hidden-catalog-fresh-number", func() []byte {
					return trUpdate(t, signed, trQuirk{xrefStream: true, gap: gap, hide: "catalog"})
				}, StatusModified, "hides a document catalog", nil},
				// The trailer poppler takes also gives /Info: the same root, a forged title.
				rtRow{"poppler-hidden-info", func() []byte {
					return trUpdate(t, signedX, trQuirk{xrefStream: true, gap: gap, hide: "trailer", sameRoot: true, info: true})
				}, StatusModified, "names /Info", func(t *testing.T, d []byte) {
					if got := pdfinfoTitle(t, d); !strings.Contains(got, "Forged") {
						t.Fatalf("pdfinfo does not show the forged title: %q", got)
					}
				}},
				// The word in a content string, and a broken dictionary after it, name no root.
				rtRow{"trailer-word-in-string-twin", func() []byte {
					return trUpdate(t, signed, trQuirk{xrefStream: true, gap: gap, hide: "text", sameRoot: true})
				}, StatusModified, quirkReason, quirkTwin(s.store(), why, nil)},
			)
		}
		t.Run(pfx[:len(pfx)-1], func(t *testing.T) { runRows(t, s, rows) })
	}
}

// TestRedTeamHiddenTrailerPrepared: the hidden trailer and forged page are in the bytes the
// signature covers (a stream added before signing, whose data no viewer shows); an update after
// signing that carries only a quirk makes poppler and qpdf rebuild and take them (the document
// has no other "trailer": it is written with xref streams). The verifier applies
// each reader's rule to the whole file when some reader may rebuild; the twin's update is in
// strict syntax.
func TestRedTeamHiddenTrailerPrepared(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plainX, _ := makeDoc(docOpts{xrefStream: true})
	prepared := update(t, plainX, func(u *pdf.Update, _ *pdf.View) {
		u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte("\n" + trHidden(trQuirk{hide: "trailer"}, 40, 40))})
	})
	signed := s.sign(t, prepared, sigOpts{})
	gap := "\n" + strings.Repeat(" ", 1100)
	runRows(t, s, []rtRow{
		{"quirk-after-signing", func() []byte { return trUpdate(t, signed, trQuirk{xrefStream: true, gap: gap, hide: "none"}) },
			StatusModified, "poppler would rebuild", func(t *testing.T, d []byte) {
				trShows("poppler", popplerText, "9999999", "1000000")(t, d)
				trShows("qpdf", qpdfText, "9999999", "1000000")(t, d)
			}},
		{"strict-twin", func() []byte { return trUpdate(t, signed, trQuirk{xrefStream: true, hide: "none"}) }, StatusValid, "", nil},
	})
}
