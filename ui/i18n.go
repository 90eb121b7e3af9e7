package ui

import (
	"embed"
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// The interface languages. The code is what Settings stores.
const (
	LangChinese = "zh"
	LangEnglish = "en"
)

// Language is one choice in Settings.
type Language struct {
	Code string // LangChinese, LangEnglish
	Name string // in its own script: 简体中文, English
}

// Languages lists the choices, Chinese first.
var Languages = []Language{{LangChinese, "简体中文"}, {LangEnglish, "English"}}

//go:embed translations
var translations embed.FS

var translationFiles = map[string]string{
	LangChinese: "translations/sealdesk.zh_Hans.json",
	LangEnglish: "translations/sealdesk.en.json",
}

// fyneLocales are the locales Fyne's lang package may pick from the system (it ships these
// translations, plus ours). SetLanguage registers the chosen language's strings under every one of
// them, so our strings follow the user's choice whatever the system locale is, on every OS.
var fyneLocales = []fyne.Locale{"en", "cs", "de", "el", "es", "fr", "pl", "pt", "pt-BR", "ru", "sv", "ta",
	"uk", "zh-Hans", "zh-Hant", "ja", "ko"}

// SetLanguage makes lang.L return SealDesk's strings in the given language (LangChinese or
// LangEnglish; anything else means Chinese). It can be called again at run time: widgets built
// afterwards use the new language (the shell rebuilds its screens). On Linux and BSD it also sets
// LANGUAGE so that Fyne's own strings (file dialogs) follow.
func SetLanguage(code string) error {
	if _, ok := translationFiles[code]; !ok {
		code = LangChinese
	}
	// Fyne's translation bundle has no lock: re-adding strings while a background goroutine
	// translates would race, so only a real change writes to it.
	if activeLanguage == code {
		return nil
	}
	data, err := translations.ReadFile(translationFiles[code])
	if err != nil {
		return fmt.Errorf("failed to read translations for %s: %w", code, err)
	}
	if code == LangChinese {
		os.Setenv("LANGUAGE", "zh_CN")
	} else {
		os.Setenv("LANGUAGE", "en")
	}
	for _, l := range fyneLocales {
		if err := lang.AddTranslationsForLocale(data, l); err != nil {
			activeLanguage = ""
			return fmt.Errorf("failed to load translations for %s: %w", code, err)
		}
	}
	activeLanguage = code
	return nil
}

// activeLanguage mirrors the language loaded into Fyne's process-wide translation bundle (which
// is global state of Fyne's lang package); it is touched only on the UI goroutine.
var activeLanguage string

// tr translates key with optional template data ({{.Name}}).
func tr(key string, data ...any) string {
	return lang.L(key, data...)
}

// newSelect is widget.NewSelect with our placeholder: Fyne's own, "(Select one)", is a constant
// that its translations do not cover, so it showed in English in the Chinese interface.
// TestSelectRule keeps widget.NewSelect out of the package.
func newSelect(options []string, changed func(string)) *widget.Select {
	s := widget.NewSelect(options, changed)
	s.PlaceHolder = tr("select.placeholder")
	return s
}
