package render

import (
	"fmt"
	"sealdesk/core/pdf/pdftest"
	"strings"
)

// testPage describes one page of a generated PDF.
type testPage struct {
	media   Rect
	crop    *Rect
	rotate  int
	content string // content stream; fonts /F1 Helvetica and /F2 STSong-Light (not embedded)
}

// buildPDF writes a small classic PDF (xref table) with the given pages. Font F2 is the Adobe
// GB1 CJK font STSong-Light with no font file, as many Chinese office PDFs carry it: the viewer
// must supply the glyphs.
func buildPDF(pages []testPage) []byte {
	var objs []string
	add := func(s string) int { objs = append(objs, s); return len(objs) }
	catalog := add("") // filled later
	pagesObj := add("")
	f1 := add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	fd := add("<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] " +
		"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
	cid := add(fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "+
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor %d 0 R /DW 1000 >>", fd))
	f2 := add(fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [%d 0 R] >>", cid))
	var kids []string
	for _, p := range pages {
		content := add(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(p.content), p.content))
		extra := ""
		if p.crop != nil {
			extra += fmt.Sprintf(" /CropBox [%g %g %g %g]", p.crop.LLX, p.crop.LLY, p.crop.URX, p.crop.URY)
		}
		if p.rotate != 0 {
			extra += fmt.Sprintf(" /Rotate %d", p.rotate)
		}
		pg := add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [%g %g %g %g]%s "+
			"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> /Contents %d 0 R >>",
			pagesObj, p.media.LLX, p.media.LLY, p.media.URX, p.media.URY, extra, f1, f2, content))
		kids = append(kids, fmt.Sprintf("%d 0 R", pg))
	}
	objs[catalog-1] = fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pagesObj)
	objs[pagesObj-1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids))

	return pdftest.ClassicRoot(catalog, objs...)
}

// utf16hex encodes s for a UniGB-UCS2-H string: <7B7E7AE0> for 签章.
func utf16hex(s string) string {
	var b strings.Builder
	b.WriteByte('<')
	for _, r := range s {
		fmt.Fprintf(&b, "%04X", r)
	}
	b.WriteByte('>')
	return b.String()
}

var a4 = Rect{LLX: 0, LLY: 0, URX: 595.28, URY: 841.89}

// cjkPage draws 签章测试 in the non-embedded CJK font, 60 pt, at (100, 600), and a black
// rectangle 50×50 at (400, 100) as a position marker.
func cjkPage() testPage {
	return testPage{media: a4, content: "BT /F2 60 Tf 100 600 Td " + utf16hex("签章测试") + " Tj ET\n" +
		"BT /F1 24 Tf 100 500 Td (SealDesk) Tj ET\n0 g 400 100 50 50 re f"}
}
