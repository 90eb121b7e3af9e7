// Package pdftest writes small, correct PDF files for tests: the objects given, numbered from 1,
// one classic cross-reference table and a trailer. It is the one place tests outside core/pdf
// get a plain document from; tests that need a malformed or unusual file (the verifier's attack
// generators, the parser's quirk tests) write their bytes themselves.
package pdftest

import (
	"bytes"
	"fmt"
)

// Classic is a PDF 1.7 file holding objs as objects 1…len(objs), with object 1 as the catalog.
func Classic(objs ...string) []byte {
	return ClassicRoot(1, objs...)
}

// ClassicRoot is Classic with object root as the catalog.
func ClassicRoot(root int, objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, root, xref)
	return b.Bytes()
}

// Stream is a stream object holding data, with its /Length and extra dictionary entries (e.g.
// "/Subtype /Form /BBox [0 0 10 10]").
func Stream(data, extra string) string {
	if extra != "" {
		extra = " " + extra
	}
	return fmt.Sprintf("<< /Length %d%s >>\nstream\n%s\nendstream", len(data), extra, data)
}

// OnePage is a one-page A4 document (595×842) showing text in 24-point Helvetica at (72, 720).
func OnePage(text string) []byte {
	content := "BT /F1 24 Tf 72 720 Td (" + text + ") Tj ET"
	return Classic(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		Stream(content, ""),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	)
}
