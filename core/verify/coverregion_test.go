package verify

import (
	"fmt"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// TestCoverRegionSameVerdicts: rendering only the region around what changed (coverregion.go)
// decides like rendering whole pages. The cover rows and the red-team rows that render are
// verified as their tests make them (by region where it applies), then every file that was
// rendered by region is verified again rendering whole pages: the verdicts and change codes
// must be the same.
func TestCoverRegionSameVerdicts(t *testing.T) {
	type seen struct {
		name  string
		data  []byte
		store *TrustStore
		rep   *Report
	}
	var regional []seen
	all := 0
	cur := ""
	verifySink = func(data []byte, store *TrustStore, rep *Report, byRegion bool) {
		all++
		if byRegion {
			regional = append(regional, seen{cur, data, store, rep})
		}
	}
	tests := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"cover-shortcut", TestCoverShortcutNeverAcceptsWhatRenderingRefuses},
		{"red-team-cover", TestRedTeamCover},
		{"form-appearances", TestRedTeamFormAppearances},
		{"real-world-allowed", TestRedTeamRealWorldAllowed},
		{"synthesized", TestRedTeamSynthesizedAppearance},
		{"undecodable-images", TestRedTeamUndecodableImages},
		{"mesh-shadings", TestRedTeamMeshShadings},
		{"optional-content", TestRedTeamOptionalContent},
		{"sneaky-signature-cover", TestRedTeamSneakySignatureCover},
		{"glyph-cover", TestRedTeamGlyphCover},
		{"hidden-annotations", TestRedTeamHiddenAnnotations},
		{"optional-content-readers", TestRedTeamOptionalContentReaders},
		{"lacked-resources", TestRedTeamLackedResources},
		{"attack-classes", TestAttackClasses},
		{"regressions", TestRedTeamRegressions},
		{"paint-beyond-the-rect", paintBeyondTheRect},
		{"ink-lines", TestCoverInkLineRows},
	}
	for _, tc := range tests {
		cur = tc.name
		t.Run(tc.name, tc.fn)
	}
	verifySink = nil
	if t.Failed() {
		return
	}
	if len(regional) < 20 {
		t.Fatalf("only %d of %d verifications rendered a page by region: the comparison proves little", len(regional), all)
	}
	t.Logf("%d of %d verifications rendered by region; verifying them again with whole pages", len(regional), all)
	coverRegions = false
	defer func() { coverRegions = true }()
	for i, s := range regional {
		whole := verifyBytes(t, s.data, s.store)
		if s.rep.Verdict != whole.Verdict || fmt.Sprint(changeCodes(s.rep)) != fmt.Sprint(changeCodes(whole)) {
			t.Errorf("%s (file %d): by region %s %v, whole pages %s %v", s.name, i, s.rep.Verdict, changeCodes(s.rep), whole.Verdict, changeCodes(whole))
		}
	}
}

// paintBeyondTheRect: appearances that try to paint beyond their annotation's /Rect — a white
// box over the signed amount outside the /BBox, a /BBox as large as the page squeezed into a
// small /Rect, a /Matrix moving the paint — are clipped and mapped onto the /Rect by PDFium
// and poppler alike (the region's premise): valid, poppler shows the amount.
func paintBeyondTheRect(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	page := pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(612), pdf.Int(792)}
	shift := pdf.Array{pdf.Int(1), pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(-260), pdf.Int(590)}
	row := func(bbox, matrix pdf.Array) func() []byte {
		return func() []byte {
			return s4Annot(t, signed, "Square", hidAway, func(u *pdf.Update) pdf.Object {
				st := s4Form(bbox, []byte("1 g 60 690 240 40 re f"), nil)
				if matrix != nil {
					st.Dict["Matrix"] = matrix
				}
				return u.Add(st)
			}, nil)
		}
	}
	runRows(t, s, []rtRow{
		{"outside-the-bbox", row(hidAway, nil), StatusValid, "Square annotation added", rendersAlike(signed)},
		{"page-bbox-into-a-small-rect", row(page, nil), StatusValid, "Square annotation added", nil},
		{"matrix-moves-the-paint", row(hidAway, shift), StatusValid, "Square annotation added", nil},
	})
}
