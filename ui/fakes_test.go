package ui

import (
	"errors"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// memSettings is an in-memory SettingsStore.
type memSettings struct {
	lang, dir string
}

func (m *memSettings) Language() string { return m.lang }
func (m *memSettings) SetLanguage(c string) {
	m.lang = c
}
func (m *memSettings) DataDir() string { return m.dir }
func (m *memSettings) SetDataDir(d string) error {
	if !filepath.IsAbs(d) {
		return errors.New("not absolute")
	}
	if err := CheckWritableDir(d); err != nil {
		return err
	}
	m.dir = d
	return nil
}

// newTestShell builds the shell on the test driver with the SealDesk theme, in Chinese.
func newTestShell(t *testing.T) (*Shell, *memSettings, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(NewTheme())
	if err := SetLanguage(LangChinese); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = SetLanguage(LangChinese) })
	st := &memSettings{lang: LangChinese, dir: filepath.Join(t.TempDir(), "data")}
	w := test.NewTempWindow(t, nil)
	s := NewShell(a, w, Services{Settings: st, Version: "9.8.7"})
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1000, 700))
	return s, st, w
}
