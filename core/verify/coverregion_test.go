package verify

import (
	"fmt"
	"testing"
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
