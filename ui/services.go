package ui

// Services are what the screens need from the rest of the program, as small interfaces that
// main.go satisfies with core services (and tests with in-memory fakes). A nil field means the
// service is not available; screens that need it say so instead of failing.
type Services struct {
	Settings SettingsStore
	Version  string         // shown in Settings › About
	Local    *LocalServices // the offline half: seals, personal key, trust (local.go)
}

// SettingsStore keeps the user's settings across starts.
type SettingsStore interface {
	Language() string // LangChinese or LangEnglish
	SetLanguage(code string)
	DataDir() string
	// SetDataDir checks that dir can be created and written, then remembers it.
	SetDataDir(dir string) error
}
