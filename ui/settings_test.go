package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func settingsScreen(t *testing.T, s *Shell) *SettingsScreen {
	t.Helper()
	sc, ok := s.Screen(NavSettings).(*SettingsScreen)
	if !ok {
		t.Fatal("no settings screen")
	}
	return sc
}

func TestSettingsLanguageSwitchesLive(t *testing.T) {
	s, st, w := newTestShell(t)
	s.Show(NavSettings)
	sc := settingsScreen(t, s)
	if sc.Language.Selected != "简体中文" {
		t.Fatalf("selected %q, want 简体中文", sc.Language.Selected)
	}
	sc.Language.SetSelected("English")
	if st.lang != LangEnglish {
		t.Fatalf("stored language %q, want en", st.lang)
	}
	if got := s.NavButton(NavSettings).Text; got != "Settings" {
		t.Errorf("after switching to English the navigation reads %q", got)
	}
	if got := w.Title(); got != "SealDesk e-contracts" {
		t.Errorf("title %q", got)
	}
	if s.Current() != NavSettings {
		t.Errorf("switching language left settings (now %s)", s.Current().Key())
	}
	sc = settingsScreen(t, s) // rebuilt
	if sc.Language.Selected != "English" || sc.DataDirChange.Text != "Change…" {
		t.Errorf("rebuilt settings: %q, %q", sc.Language.Selected, sc.DataDirChange.Text)
	}
	sc.Language.SetSelected("简体中文")
	if st.lang != LangChinese || s.NavButton(NavSettings).Text != "设置" {
		t.Errorf("back to Chinese: stored %q, nav %q", st.lang, s.NavButton(NavSettings).Text)
	}
}

func TestSettingsDataDir(t *testing.T) {
	s, st, _ := newTestShell(t)
	sc := settingsScreen(t, s)
	before := st.dir
	if sc.DataDir.Text != before {
		t.Fatalf("shows %q, want %q", sc.DataDir.Text, before)
	}

	// a regular file where the folder should be
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	sc.SetDataDir(filepath.Join(blocker, "sub"))
	if st.dir != before || sc.DataDir.Text != before {
		t.Errorf("bad folder was accepted: store %q label %q", st.dir, sc.DataDir.Text)
	}
	if !sc.DataDirStatus.Visible() || !strings.HasPrefix(sc.DataDirStatus.Text, "无法使用这个文件夹") ||
		sc.DataDirStatus.Importance != widget.DangerImportance {
		t.Errorf("error status %q (visible %v)", sc.DataDirStatus.Text, sc.DataDirStatus.Visible())
	}

	good := filepath.Join(t.TempDir(), "新的 数据")
	sc.SetDataDir(good)
	if st.dir != good || sc.DataDir.Text != good {
		t.Errorf("good folder: store %q label %q", st.dir, sc.DataDir.Text)
	}
	if !strings.Contains(sc.DataDirStatus.Text, good) || sc.DataDirStatus.Importance != widget.SuccessImportance {
		t.Errorf("status %q", sc.DataDirStatus.Text)
	}
	if fi, err := os.Stat(good); err != nil || !fi.IsDir() {
		t.Errorf("folder not created: %v", err)
	}
	if ents, _ := os.ReadDir(good); len(ents) != 0 {
		t.Errorf("write check left files behind: %v", ents)
	}
}

func TestSettingsDialogs(t *testing.T) {
	s, _, w := newTestShell(t)
	sc := settingsScreen(t, s)
	test.Tap(sc.DataDirChange)
	if w.Canvas().Overlays().Top() == nil {
		t.Error("change data folder opened no dialog")
	}
	w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())

	test.Tap(sc.Licences)
	if w.Canvas().Overlays().Top() == nil {
		t.Error("licences opened no dialog")
	}
	txt := LicencesText()
	for _, want := range []string{"SealDesk 使用以下开源软件和字体", "Fyne", "pdfcpu", "go-pdfium", "SIL OPEN FONT LICENSE Version 1.1"} {
		if !strings.Contains(txt, want) {
			t.Errorf("licences text lacks %q", want)
		}
	}
	if !strings.Contains(sc.Version.Text, "9.8.7") {
		t.Errorf("version label %q", sc.Version.Text)
	}
}

func TestPrefsSettingsPersist(t *testing.T) {
	a := test.NewTempApp(t)
	def := filepath.Join(t.TempDir(), "default")
	p := NewPrefsSettings(a.Preferences(), def)
	if p.Language() != LangChinese || p.DataDir() != def {
		t.Fatalf("defaults: %q %q", p.Language(), p.DataDir())
	}
	p.SetLanguage(LangEnglish)
	dir := filepath.Join(t.TempDir(), "d")
	if err := p.SetDataDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := p.SetDataDir("relative/dir"); err == nil {
		t.Error("relative data folder accepted")
	}
	again := NewPrefsSettings(a.Preferences(), def)
	if again.Language() != LangEnglish || again.DataDir() != dir {
		t.Errorf("not persisted: %q %q", again.Language(), again.DataDir())
	}
	p.SetLanguage("fr") // unknown codes fall back to Chinese
	if again.Language() != LangChinese {
		t.Errorf("unknown language read as %q", again.Language())
	}
}

// The settings screen as a person sees it, in both languages (golden images of the screen alone,
// so that adding a screen to the navigation does not change them; to accept a change, copy the
// new image from testdata/failed/ over the master).
func TestSettingsGolden(t *testing.T) {
	for _, code := range []string{LangChinese, LangEnglish} {
		t.Run(code, func(t *testing.T) {
			s, st, w := newTestShell(t)
			st.dir = "/home/user/.config/SealDesk"
			st.lang = code
			if err := SetLanguage(code); err != nil {
				t.Fatal(err)
			}
			s.Rebuild()
			w.SetContent(s.Screen(NavSettings).Content())
			w.Resize(fyne.NewSize(720, 560))
			w.Content().Refresh() // wrapped labels measure their height at the new width
			test.AssertImageMatches(t, "settings_"+code+".png", w.Canvas().Capture())
		})
	}
}
