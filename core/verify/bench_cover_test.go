package verify

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"

	"sealdesk/core/pdf"
)

// benchTTFFile builds the cover check's costly case: a page of text in an embedded TrueType
// font (Go Regular), padded to about size bytes, signed, then signed again with a visible
// widget below the text (an embedded font's glyphs have no bound of our own, so
// coverbound.go cannot judge it: the page is rendered).
func benchTTFFile(tb testing.TB, s *signer, size int) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(goregular.TTF)
	zw.Close()
	var content strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&content, "BT /F2 11 Tf 56 %d Td (Line %02d: the party of the first part pays 1,000,000 yuan on delivery.) Tj ET\n", 760-16*i, i+1)
	}
	widths := make([]string, 95)
	for i := range widths {
		widths[i] = "600"
	}
	pad := size - z.Len() - 4096
	if pad < 0 {
		pad = 0
	}
	doc := onePagePDF(content.String(), "/Font<</F1 5 0 R/F2 6 0 R>>",
		"<</Type/Font/Subtype/TrueType/BaseFont/GoRegular/FirstChar 32/LastChar 126/Widths["+strings.Join(widths, " ")+"]/Encoding/WinAnsiEncoding/FontDescriptor 7 0 R>>",
		"<</Type/FontDescriptor/FontName/GoRegular/Flags 32/FontBBox[-200 -250 1200 950]/ItalicAngle 0/Ascent 930/Descent -220/CapHeight 700/StemV 80/FontFile2 8 0 R>>",
		fmt.Sprintf("<</Length %d/Length1 %d/Filter/FlateDecode>>stream\n%s\nendstream", z.Len(), len(goregular.TTF), z.Bytes()),
		streamObj("", strings.Repeat("%", pad)))
	doc = s.sign(tb, doc, sigOpts{})
	rect := pdf.Array{pdf.Int(300), pdf.Int(60), pdf.Int(500), pdf.Int(120)}
	return s.sign(tb, doc, sigOpts{visible: true, visibleAt: rect, visibleAP: "0 0 1 RG 2 w 302 62 196 56 re S 0 0 1 rg BT /F1 12 Tf 310 85 Td (Signed) Tj ET"})
}
