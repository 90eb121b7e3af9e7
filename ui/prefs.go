package ui

import (
	"fmt"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
)

// PrefsSettings keeps the settings in Fyne's preferences file (the app's config folder). The local
// store will take them over once it exists; the screens only see SettingsStore.
type PrefsSettings struct {
	prefs          fyne.Preferences
	defaultDataDir string
}

var _ SettingsStore = (*PrefsSettings)(nil)

const (
	prefLanguage = "language"
	prefDataDir  = "dataDir"
)

// NewPrefsSettings reads and writes settings in p; defaultDataDir is used until the user picks one.
func NewPrefsSettings(p fyne.Preferences, defaultDataDir string) *PrefsSettings {
	return &PrefsSettings{prefs: p, defaultDataDir: defaultDataDir}
}

func (s *PrefsSettings) Language() string {
	if l := s.prefs.String(prefLanguage); l == LangEnglish {
		return l
	}
	return LangChinese
}

func (s *PrefsSettings) SetLanguage(code string) {
	s.prefs.SetString(prefLanguage, code)
}

func (s *PrefsSettings) DataDir() string {
	if d := s.prefs.String(prefDataDir); d != "" {
		return d
	}
	return s.defaultDataDir
}

func (s *PrefsSettings) SetDataDir(dir string) error {
	if err := CheckWritableDir(dir); err != nil {
		return err
	}
	s.prefs.SetString(prefDataDir, dir)
	return nil
}

// CheckWritableDir creates dir if needed and proves a file can be written, synced and removed there.
func CheckWritableDir(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("data folder %q is not an absolute path", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failed to create data folder: %w", err)
	}
	f, err := os.CreateTemp(dir, ".sealdesk-write-check-*")
	if err != nil {
		return fmt.Errorf("data folder is not writable: %w", err)
	}
	name := f.Name()
	_, werr := f.Write([]byte("ok"))
	serr := f.Sync()
	cerr := f.Close()
	rerr := os.Remove(name)
	for _, err := range []error{werr, serr, cerr, rerr} {
		if err != nil {
			return fmt.Errorf("data folder is not writable: %w", err)
		}
	}
	return nil
}
