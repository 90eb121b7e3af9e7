package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sealdesk/assets"

	"sealdesk/ui/widgets"
)

// SettingsScreen is 设置: interface language, data folder, about.
type SettingsScreen struct {
	shell *Shell

	Language      *widget.RadioGroup
	DataDir       *widget.Label
	DataDirChange *widget.Button
	DataDirStatus *widget.Label
	Version       *widget.Label
	Licences      *widget.Button
	// About is 关于: version, 检查更新, 导出诊断信息 (about.go).
	About *aboutPanel
	// Server is 服务器 and 账户 (settings_server.go).
	Server *serverPanel
	// Account is 账户安全: 账号信息, 修改登录密码, 二次校验, 实名认证CA证书 (account.go).
	Account *accountPanel
	// Keys is 签名密钥: key protection, UKeys, devices and 挂失 (keysettings.go).
	Keys *keyPanel

	content fyne.CanvasObject
}

func newSettingsScreen(s *Shell) Screen {
	sc := &SettingsScreen{shell: s}
	names := make([]string, len(Languages))
	current := ""
	for i, l := range Languages {
		names[i] = l.Name
		if l.Code == s.settings().Language() {
			current = l.Name
		}
	}
	sc.Language = widget.NewRadioGroup(names, nil)
	sc.Language.Horizontal = true
	sc.Language.Required = true
	sc.Language.SetSelected(current)
	sc.Language.OnChanged = sc.onLanguageChanged

	sc.DataDir = widget.NewLabel(s.settings().DataDir())
	sc.DataDir.Wrapping = fyne.TextWrapBreak
	sc.DataDirChange = widget.NewButton(tr("settings.datadir.change"), sc.onDataDirChangeTapped)
	sc.DataDirStatus = widget.NewLabel("")
	sc.DataDirStatus.Wrapping = fyne.TextWrapWord
	sc.DataDirStatus.Hide()

	sc.About = newAboutPanel(s)
	sc.Version = sc.About.Version
	sc.Licences = sc.About.Licences
	sc.Licences.OnTapped = sc.onLicencesTapped

	hint := func(key string) *widgets.CJKLabel {
		return widgets.NewCJKLabel(tr(key)) // body size: caption text was too small to read
	}
	sc.Server = newServerPanel(s)
	var cards []fyne.CanvasObject
	if s.session() != nil {
		cards = sc.Server.cards
	}
	sc.Account = newAccountPanel(s)
	if s.Services.Conn != nil {
		cards = append(cards, sc.Account.card) // read when 设置 is shown (Content)
	}
	if s.Services.Local != nil && s.Services.Local.Keys != nil {
		sc.Keys = newKeyPanel(s)
		cards = append(cards, sc.Keys.card)
	}
	sc.content = container.NewVScroll(container.NewVBox(append(cards,
		widget.NewCard(tr("settings.language"), "", container.NewVBox(sc.Language, hint("settings.language.hint"))),
		widget.NewCard(tr("settings.datadir"), "", container.NewVBox(
			container.NewBorder(nil, nil, nil, sc.DataDirChange, sc.DataDir),
			hint("settings.datadir.hint"), sc.DataDirStatus)),
		widget.NewCard(tr("settings.about"), "", sc.About.content))...,
	))
	return sc
}

// ShowKeys scrolls 设置 to 签名密钥 and lists the devices' certificates again (挂失 from the
// "key cannot be used here" dialog goes there).
func (sc *SettingsScreen) ShowKeys() {
	if sc.Keys == nil {
		return
	}
	if s, ok := sc.content.(*container.Scroll); ok {
		s.Offset = fyne.NewPos(0, sc.Keys.card.Position().Y)
		s.Refresh()
	}
	sc.Keys.onDevicesRefresh()
}

// FindTokens sets the PKCS #11 module path of 签名密钥 and lists its UKeys (as 查找 UKey does).
func (sc *SettingsScreen) FindTokens(module string) {
	if sc.Keys == nil || sc.Keys.Module == nil {
		return
	}
	sc.Keys.Module.SetText(module)
	sc.Keys.onFindTapped()
}

func (sc *SettingsScreen) sessionChanged() {
	sc.Server.refresh()
	if sc.shell.Services.Conn != nil && sc.shell.Current() == NavSettings {
		sc.Account.refresh()
	}
}

func (s *Shell) settings() SettingsStore { return s.Services.Settings }

func (sc *SettingsScreen) Content() fyne.CanvasObject {
	if sc.shell.Services.Conn != nil {
		sc.Account.refresh()
	}
	return sc.content
}

func (sc *SettingsScreen) onLanguageChanged(name string) {
	for _, l := range Languages {
		if l.Name != name || l.Code == sc.shell.settings().Language() {
			continue
		}
		sc.shell.settings().SetLanguage(l.Code)
		if err := SetLanguage(l.Code); err != nil {
			fyne.LogError("language switch", err)
			return
		}
		// rebuild after this callback returns: the radio group is part of what gets replaced
		fyne.Do(sc.shell.Rebuild)
	}
}

func (sc *SettingsScreen) onDataDirChangeTapped() {
	sc.shell.chooseFolder(sc.SetDataDir)
}

// SetDataDir is what choosing a folder does: check it, remember it, say so.
func (sc *SettingsScreen) SetDataDir(dir string) {
	if err := sc.shell.settings().SetDataDir(dir); err != nil {
		sc.DataDirStatus.SetText(tr("settings.datadir.error", map[string]any{"Reason": err.Error()}))
		sc.DataDirStatus.Importance = widget.DangerImportance
	} else {
		sc.DataDir.SetText(dir)
		sc.DataDirStatus.SetText(tr("settings.datadir.saved", map[string]any{"Path": dir}))
		sc.DataDirStatus.Importance = widget.SuccessImportance
	}
	sc.DataDirStatus.Show()
	sc.DataDirStatus.Refresh()
}

// licences lists the components shipped in the binary with their licences.
var licences = []struct{ name, licence string }{
	{"Fyne", "BSD-3-Clause"},
	{"Noto Sans CJK SC, Noto Serif CJK SC (subset)", "SIL Open Font License 1.1"},
	{"PDFium (WebAssembly build, via go-pdfium)", "BSD-3-Clause / Apache-2.0"},
	{"go-pdfium", "MIT"},
	{"wazero", "Apache-2.0"},
	{"pdfcpu", "Apache-2.0"},
	{"digitorus/pdfsign, pkcs7, timestamp", "BSD-2-Clause / MIT"},
	{"bbolt", "MIT"},
	{"pgx", "MIT"},
	{"go-qrcode", "MIT"},
	{"CIRCL", "BSD-3-Clause"},
	{"Go, golang.org/x/crypto, image, text", "BSD-3-Clause"},
}

// LicencesText is the text of the licences dialog.
func LicencesText() string {
	var b strings.Builder
	b.WriteString(tr("licences.intro"))
	b.WriteString("\n\n")
	for _, l := range licences {
		b.WriteString("• " + l.name + " — " + l.licence + "\n")
	}
	b.WriteString("\n")
	b.WriteString(assets.FontLicence)
	return b.String()
}

func (sc *SettingsScreen) onLicencesTapped() {
	text := widget.NewLabel(LicencesText())
	text.Wrapping = fyne.TextWrapWord
	scroll := container.NewVScroll(text)
	scroll.SetMinSize(fyne.NewSize(560, 420))
	dialog.NewCustom(tr("licences.title"), tr("common.close"), scroll, sc.shell.Window).Show()
}
