package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"sealdesk/core/pdf/pdftest"
	"testing"
)

// testPage describes one page of a generated PDF.
type testPage struct {
	Media  [4]float64
	Crop   *[4]float64 // nil: no CropBox
	Rotate int
}

// writeTestPDF writes a small, well-formed PDF (classic xref table) with the given pages, each
// with a line of text, and returns its path.
func writeTestPDF(t testing.TB, name string, pages []testPage) string {
	t.Helper()
	var objs []string
	obj := func(body string) { objs = append(objs, body) }
	n := len(pages)
	// 1 catalog, 2 pages, 3 font, then per page: page, content.
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := ""
	for i := 0; i < n; i++ {
		kids += fmt.Sprintf("%d 0 R ", 4+2*i)
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for i, p := range pages {
		extra := ""
		if p.Crop != nil {
			extra += fmt.Sprintf(" /CropBox [%g %g %g %g]", p.Crop[0], p.Crop[1], p.Crop[2], p.Crop[3])
		}
		if p.Rotate != 0 {
			extra += fmt.Sprintf(" /Rotate %d", p.Rotate)
		}
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [%g %g %g %g]%s /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>",
			p.Media[0], p.Media[1], p.Media[2], p.Media[3], extra, 5+2*i))
		content := fmt.Sprintf("BT /F1 24 Tf %g %g Td (Page %d) Tj ET", p.Media[0]+72, p.Media[1]+72, i+1)
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	data := pdftest.Classic(objs...)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func a4Pages(n int) []testPage {
	out := make([]testPage, n)
	for i := range out {
		out[i] = testPage{Media: [4]float64{0, 0, 595, 842}}
	}
	return out
}
