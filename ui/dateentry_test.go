package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// TestDateEntrySpeaksChinese: 发起签署's optional dates accept an empty field and say a wrong one
// in the interface language, never Go's time.Parse error.
func TestDateEntrySpeaksChinese(t *testing.T) {
	v, _ := newSendTest(t, &LocalServices{Prefs: &memPrefs{}})
	e := v.compose.deadline
	test.WidgetRenderer(e) // the validator is set with the renderer
	if err := e.Validator(""); err != nil {
		t.Errorf("an empty optional date: %v", err)
	}
	err := e.Validator("明天")
	if err == nil || err.Error() != tr("date.invalid") || strings.Contains(err.Error(), "parsing time") {
		t.Errorf("a wrong date: %v", err)
	}
	d := time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	e.SetDate(&d)
	if err := e.Validator(e.Text); err != nil {
		t.Errorf("the date it wrote itself (%q): %v", e.Text, err)
	}
}
