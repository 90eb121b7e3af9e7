package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// dateEntry is Fyne's DateEntry whose validation speaks the interface language and lets the
// field stay empty (an optional date). Fyne's own validator returns Go's time.Parse error,
// which showed in English ("parsing time "" as "02/01/2006"…") under 发起签署's date fields.
type dateEntry struct {
	widget.DateEntry
}

func newDateEntry() *dateEntry {
	e := &dateEntry{}
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	return e
}

// CreateRenderer keeps Fyne's parsing (the system locale's date format) and replaces the
// message of its validator.
func (e *dateEntry) CreateRenderer() fyne.WidgetRenderer {
	r := e.DateEntry.CreateRenderer()
	if parse := e.Validator; parse != nil {
		e.Validator = func(in string) error {
			if strings.TrimSpace(in) == "" {
				return nil
			}
			if parse(in) != nil {
				return errors.New(tr("date.invalid"))
			}
			return nil
		}
	}
	return r
}
