package ui

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/client"
)

// NavID names a place in the main navigation; the order of the constants is the order shown.
type NavID int

const (
	NavHome NavID = iota
	NavDocuments
	NavSend
	NavVerify
	NavSeals
	NavEnterprise
	NavApprovals
	NavArchive
	NavBilling
	NavSettings
	navCount
)

// navKeys are the translation keys of the navigation labels.
var navKeys = [navCount]string{"nav.home", "nav.documents", "nav.send", "nav.verify", "nav.seals",
	"nav.enterprise", "nav.approvals", "nav.archive", "nav.billing", "nav.settings"}

// Slug is the place's name in file names and on the command line: "documents", "settings".
func (n NavID) Slug() string { return navKeys[n][len("nav."):] }

// Key is the translation key of the place's label; String is the label in the current language.
func (n NavID) Key() string    { return navKeys[n] }
func (n NavID) String() string { return tr(navKeys[n]) }

// Screen is one main screen. Its constructor builds its widgets (in the current language).
type Screen interface {
	Content() fyne.CanvasObject
}

// screenEntry is one line of the registry.
type screenEntry struct {
	nav   NavID
	icon  fyne.ThemeIconName
	build func(*Shell) Screen
}

// registry lists the screens: a screen that exists is one line here, in any order (the navigation
// follows NavID order). Places without a line are not shown.
func registry() []screenEntry {
	return []screenEntry{
		{NavHome, theme.IconNameHome, newHomeScreen},
		{NavDocuments, theme.IconNameFile, newDocumentsScreen},
		{NavSettings, theme.IconNameSettings, newSettingsScreen},
		{NavVerify, theme.IconNameConfirm, newVerifierScreen},
		{NavSeals, theme.IconNameColorPalette, newSealsScreen},
		{NavSend, theme.IconNameMailSend, newSendScreen},
		{NavEnterprise, theme.IconNameAccount, newEnterpriseScreen},
		{NavBilling, theme.IconNameStorage, newBillingScreen},
		{NavApprovals, theme.IconNameCheckButtonChecked, newApprovalsScreen},
		{NavArchive, theme.IconNameFolder, newArchiveScreen},
	}
}

// Shell is the main window's content: the navigation on the left, the current screen on the right.
type Shell struct {
	App      fyne.App
	Window   fyne.Window
	Services Services

	title   *canvas.Text
	nav     *fyne.Container
	buttons map[NavID]*widget.Button
	body    *fyne.Container
	root    *fyne.Container
	screens map[NavID]Screen
	current NavID
	picker  *filePicker   // the file dialog shown last (for tests)
	notHere dialog.Dialog // the "key cannot be used here" dialog shown last (for tests)
	unwatch func()        // stops following the seal library

	// Switcher picks 个人版 or an enterprise (shown when signed in); SyncBar is the sync
	// status under the navigation (syncbar.go).
	Switcher  *widget.Select
	SyncBar   *syncBar
	switchIDs []string      // the context id of each Switcher option
	unsub     func()        // stops following the session
	signIn    *signInDialog // the 登录 / 注册 dialog while it is open (for tests)
	caPrompt  string        // the changed CA fingerprint the user was last asked about

	contracts *contractWatch // follows the server's contracts (contractwatch.go)
	profile   string         // the local data's profile the screens were built for (Profile.ID)
	noHandoff bool           // build: the old screens hand nothing over (another profile)
	accountMu sync.Mutex
	account   string         // the signed-in account's id, once known
	accountOf *client.Client // the client it was read with
}

// NewShell builds the shell and its screens, titles the window and shows the first screen.
func NewShell(a fyne.App, w fyne.Window, svc Services) *Shell {
	s := &Shell{App: a, Window: w, Services: svc, body: container.NewStack()}
	s.profile = s.profileID()
	s.nav = container.NewStack()
	s.root = container.NewBorder(nil, nil, s.nav, nil, s.body)
	s.build()
	w.SetTitle(s.Title())
	s.Show(s.Places()[0])
	if l := svc.Local; l != nil && l.Library != nil {
		// Every list of seals and signatures follows the library: the store says when it
		// changed (from whichever goroutine changed it), the screens refresh on the UI goroutine.
		s.unwatch = l.Library.Watch(func() { uiDo(s.onLibraryChanged) })
	}
	if c := svc.Conn; c != nil {
		// sign-in, sign-out, a switch of context or new data: title, switcher, status and the
		// screens that follow the session are brought up to date on the UI goroutine
		s.unsub = c.Subscribe(func() { uiDo(s.onSessionChanged) })
	}
	s.watchContracts()
	return s
}

// StopWatching ends the shell's background follow-ups of the server and writes the draft of
// 发起签署 that waits to be written (the window is closing).
func (s *Shell) StopWatching() {
	s.contracts.Stop()
	if ss, ok := s.screens[NavSend].(*sendScreen); ok && ss.compose != nil {
		ss.compose.flushDraft()
	}
}

// sessionFollower is a screen that shows data of the session (the signed-in account, the
// active enterprise); sessionChanged runs on the UI goroutine.
type sessionFollower interface{ sessionChanged() }

func (s *Shell) onSessionChanged() {
	if id := s.profileID(); id != s.profile {
		s.profileChanged(id)
	}
	s.Window.SetTitle(s.Title())
	s.promptChangedCA()
	s.refreshSwitcher()
	s.SyncBar.refresh()
	for _, sc := range s.screens {
		if f, ok := sc.(sessionFollower); ok {
			f.sessionChanged()
		}
	}
}

// profileID is the active profile of the local data ("" without profiles).
func (s *Shell) profileID() string {
	if l := s.Services.Local; l != nil && l.Profile != nil {
		return l.Profile.ID()
	}
	return ""
}

// profileDir is the folder of the active profile's files (drafts, templates, the
// signed-offline outbox, downloaded contracts): the data folder without profiles.
func (s *Shell) profileDir() string {
	if l := s.Services.Local; l != nil && l.Profile != nil {
		return l.Profile.Dir()
	}
	if s.Services.Settings != nil {
		return s.Services.Settings.DataDir()
	}
	return ""
}

// profileChanged runs when another account signed in or the person signed out: the draft of
// 发起签署 that waits is written to the profile it belongs to, and every screen is built anew
// for the new profile — nothing of the first account (an open document, a half-filled form, a
// list) stays on screen, and no screen writes into the other account's data.
func (s *Shell) profileChanged(id string) {
	s.profile = id
	if ss, ok := s.screens[NavSend].(*sendScreen); ok && ss.compose != nil {
		ss.compose.flushDraft()
	}
	cur := s.current
	s.noHandoff = true
	s.build()
	s.noHandoff = false
	if !s.Show(cur) {
		s.Show(s.Places()[0])
	}
	s.onLibraryChanged()
}

// libraryFollower is a screen that shows seals and signatures of the library.
type libraryFollower interface{ libraryChanged() }

func (s *Shell) onLibraryChanged() {
	for _, sc := range s.screens {
		if f, ok := sc.(libraryFollower); ok {
			f.libraryChanged()
		}
	}
}

// Title is the window title in the current language, with the active enterprise's name.
func (s *Shell) Title() string {
	if ss := s.session(); ss != nil {
		if e, ok := ss.Active(); ok {
			return tr("app.title") + " — " + e.Name
		}
	}
	return tr("app.title")
}

// ShowSlug shows the place with the given slug ("settings"); it reports false if there is none.
func (s *Shell) ShowSlug(slug string) bool {
	for _, n := range s.Places() {
		if n.Slug() == slug {
			return s.Show(n)
		}
	}
	return false
}

// Content is the window content.
func (s *Shell) Content() fyne.CanvasObject { return s.root }

// Places lists the navigation places that have a screen, in navigation order.
func (s *Shell) Places() []NavID {
	var out []NavID
	for n := NavID(0); n < navCount; n++ {
		if _, ok := s.screens[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Screen returns the screen at a place, or nil when it does not exist.
func (s *Shell) Screen(n NavID) Screen { return s.screens[n] }

// Current is the place shown.
func (s *Shell) Current() NavID { return s.current }

// NavButton is the navigation button of a place (nil if the place is not shown); for tests.
func (s *Shell) NavButton(n NavID) *widget.Button { return s.buttons[n] }

// Show switches to a place; it reports false if that place has no screen.
func (s *Shell) Show(n NavID) bool {
	sc, ok := s.screens[n]
	if !ok {
		return false
	}
	s.current = n
	for id, b := range s.buttons {
		if id == n {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.LowImportance
		}
		b.Refresh()
	}
	s.body.Objects = []fyne.CanvasObject{sc.Content()}
	s.body.Refresh()
	if o, ok := sc.(interface{ shown() }); ok {
		o.shown()
	}
	return true
}

// Rebuild recreates the navigation and every screen, e.g. after the language changed, and shows
// the same place again.
func (s *Shell) Rebuild() {
	cur := s.current
	s.build()
	s.Window.SetTitle(s.Title())
	if !s.Show(cur) {
		s.Show(s.Places()[0])
	}
}

func (s *Shell) build() {
	old := s.screens
	s.screens = map[NavID]Screen{}
	s.buttons = map[NavID]*widget.Button{}
	icons := map[NavID]fyne.ThemeIconName{}
	for _, e := range registry() {
		s.screens[e.nav] = e.build(s)
		icons[e.nav] = e.icon
		// a rebuilt screen may take over what the old one held (an open document), unless the
		// screens are rebuilt for another account's data
		if h, ok := old[e.nav].(interface{ Handoff(next Screen) }); ok && !s.noHandoff {
			h.Handoff(s.screens[e.nav])
		}
	}
	s.title = canvas.NewText(tr("app.title"), theme.Color(theme.ColorNameForeground))
	s.title.TextStyle = fyne.TextStyle{Bold: true}
	s.title.TextSize = theme.TextSubHeadingSize()
	objs := []fyne.CanvasObject{container.NewPadded(s.title), widget.NewSeparator()}
	s.Switcher = newSelect(nil, s.onSwitcherChanged)
	s.Switcher.Hide()
	objs = append(objs, s.Switcher)
	s.SyncBar = newSyncBar(s)
	for _, n := range s.Places() {
		b := widget.NewButtonWithIcon(n.String(), theme.Icon(icons[n]), s.onNavTapped(n))
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		s.buttons[n] = b
		objs = append(objs, b)
	}
	s.nav.Objects = []fyne.CanvasObject{container.NewBorder(nil, nil, nil, widget.NewSeparator(),
		container.NewBorder(container.NewVBox(objs...), s.SyncBar.content, nil, nil))}
	s.refreshSwitcher()
	s.SyncBar.refresh()
	s.nav.Refresh()
}

func (s *Shell) onNavTapped(n NavID) func() {
	return func() { s.Show(n) }
}
