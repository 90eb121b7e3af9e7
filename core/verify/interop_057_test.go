package verify

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"sealdesk/core/pdf"
)

// TestInterop057CoversSignedText documents why interop 057 (EU DSS's lt-short.pdf, an Excel
// sheet signed 25 times) is "modified" here although DSS's test calls it valid: DSS does not
// look at what later signatures paint. Their opaque appearances are placed over the signed
// table ("Eye of rend", "Devilsaur", "Ring" and numbers lose letters), which is what the
// sneaky-signature attack does with a new amount. The test shows it in poppler, independently:
// rendering the revision the first signature covers and the final file, signed ink disappears
// inside the regions our report gives.
func TestInterop057CoversSignedText(t *testing.T) {
	path := filepath.Join(interopDir(t), "files", "057-dss-lt-short.pdf")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := File(context.Background(), path, &Options{Trust: NewTrustStore()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != StatusModified || len(rep.Signatures) == 0 {
		t.Fatalf("verdict %s", rep.Verdict)
	}
	first := rep.Signatures[0]
	var regions []Region
	for _, d := range first.ChangeDetails {
		if d.Code == ChangeCoversContent {
			regions = append(regions, d.Regions...)
		}
	}
	if len(regions) == 0 {
		t.Fatalf("signature 1 has no covered regions:\n%s", dump(rep))
	}
	f, err := pdf.Open(bytesReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	signed := data[:f.Revisions()[first.Revision-1].End]
	page, err := f.View(first.Revision - 1).Page(1)
	if err != nil {
		t.Fatal(err)
	}
	before, after := popplerPage(t, signed, 72), popplerPage(t, data, 72)
	lost := 0
	for _, r := range regions {
		if r.Page != 1 {
			continue
		}
		for y := int(page.MediaBox.URY - r.Rect.URY); y < int(page.MediaBox.URY-r.Rect.LLY); y++ {
			for x := int(r.Rect.LLX - page.MediaBox.LLX); x < int(r.Rect.URX-page.MediaBox.LLX); x++ {
				ar, ag, ab, _ := before.At(x, y).RGBA()
				br, bg, bb, _ := after.At(x, y).RGBA()
				if (ar+ag+ab)/3>>8 < 128 && (br+bg+bb)/3>>8 > 200 {
					lost++
				}
			}
		}
	}
	if lost < 20 {
		t.Fatalf("poppler shows only %d signed ink pixels lost inside the %d reported regions", lost, len(regions))
	}
	t.Logf("057: %d covered regions for signature 1; poppler loses %d signed ink pixels inside them", len(regions), lost)
}
