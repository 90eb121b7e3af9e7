package textpdf

import (
	"strings"
	"testing"

	"sealdesk/assets"
)

// TestBreakLines: lines fit the text width, continuation lines are indented, nothing is lost,
// and every rune is measured a bounded number of times however long the unbroken word (red team
// s10 DoS 5: a 5,000-character certificate name re-measured each shorter prefix, 20 s).
func TestBreakLines(t *testing.T) {
	w, err := New(assets.SansRegular, "NotoSansSC-Regular")
	if err != nil {
		t.Fatal(err)
	}
	maxW := pageW - 2*margin
	for _, s := range []string{
		"  Signer: " + strings.Repeat("A", 20000),
		"签章人: " + strings.Repeat("示例科技有限公司", 500),
		"short line",
		strings.Repeat(" ", 400) + strings.Repeat("W", 300),
	} {
		w.measured = 0
		lines := w.breakLines(s, 9.5)
		if w.measured > 2*len([]rune(s))+len(lines)*12 {
			t.Errorf("%d runes measured %d times for %d lines", len([]rune(s)), w.measured, len(lines))
		}
		indent := min(len(s)-len(strings.TrimLeft(s, " ")), 8) + 2
		var joined strings.Builder
		for i, l := range lines {
			if w.textWidth(l, 9.5) > maxW && len([]rune(strings.TrimLeft(l, " "))) > 1 {
				t.Errorf("line %d is wider than the text: %q", i, l)
			}
			if i > 0 {
				l = strings.TrimPrefix(l, strings.Repeat(" ", indent))
			}
			joined.WriteString(l)
		}
		if strings.TrimLeft(joined.String(), " ") != strings.TrimLeft(s, " ") {
			t.Errorf("text lost breaking %d runes into %d lines", len([]rune(s)), len(lines))
		}
	}
}
