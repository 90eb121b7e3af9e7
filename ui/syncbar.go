package ui

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/session"
	"sealdesk/core/sync"
)

// syncBar is the sync status under the navigation: which server, signed in or not, online or
// offline, "3 项更改待同步", the last sync time, and a button for refused changes — each kept
// until the user has read it and pressed 知道了.
type syncBar struct {
	shell   *Shell
	Text    *widget.Label
	Refused *widget.Button // "1 项更改被拒绝": opens the list
	SignIn  *widget.Button // shown when a remote server is chosen and nobody is signed in
	Dialog  dialog.Dialog  // the refusals dialog while it is open (for tests)
	content *fyne.Container
}

func newSyncBar(s *Shell) *syncBar {
	b := &syncBar{shell: s}
	b.Text = widget.NewLabel("")
	b.Text.Wrapping = fyne.TextWrapWord
	b.Refused = widget.NewButton("", b.onRefusedTapped)
	b.Refused.Importance = widget.DangerImportance
	b.SignIn = widget.NewButton(tr("account.signin"), func() { s.ShowSignIn() })
	b.SignIn.Importance = widget.HighImportance
	b.content = container.NewVBox(widget.NewSeparator(), b.Text, b.Refused, b.SignIn)
	return b
}

// refresh shows the session's status now.
func (b *syncBar) refresh() {
	ss := b.shell.session()
	if ss == nil {
		b.content.Hide()
		return
	}
	b.content.Show()
	st := ss.Status()
	b.Text.SetText(statusText(st, time.Now()))
	if n := len(st.Refused); n > 0 {
		b.Refused.SetText(tr("sync.refused.button", map[string]any{"N": n}))
		b.Refused.Show()
	} else {
		b.Refused.Hide()
	}
	if st.Mode == session.ModeRemote && !st.SignedIn && !st.Connecting {
		b.SignIn.Show()
	} else {
		b.SignIn.Hide()
	}
}

// statusText is the status in lines: the server, the state, what waits, the last sync.
func statusText(st session.Status, now time.Time) string {
	var lines []string
	if st.Mode == session.ModeRemote {
		host := st.Server
		if u, err := url.Parse(st.Server); err == nil && u.Host != "" {
			host = u.Host
		}
		lines = append(lines, tr("sync.server.remote", map[string]any{"Host": host}))
	} else {
		lines = append(lines, tr("sync.server.local"))
	}
	var changed *session.FingerprintChangedError
	switch {
	case st.Connecting:
		lines = append(lines, tr("sync.connecting"))
	case errors.As(st.Problem, &changed):
		lines = append(lines, tr("sync.fingerprint.changed"))
	case errors.Is(st.Problem, session.ErrSessionExpired):
		lines = append(lines, tr("sync.expired"))
	case !st.SignedIn && st.Mode == session.ModeLocal && st.Problem != nil:
		lines = append(lines, tr("sync.local.down"))
	case !st.SignedIn:
		lines = append(lines, tr("sync.signedout"))
	case !st.Online && st.Problem != nil:
		lines = append(lines, tr("sync.offline"))
	case st.Online:
		lines = append(lines, tr("sync.online"))
	default:
		lines = append(lines, tr("sync.connecting"))
	}
	if st.Pending > 0 {
		lines = append(lines, tr("sync.pending", map[string]any{"N": st.Pending}))
	}
	if !st.LastSync.IsZero() {
		when := st.LastSync.Local().Format("15:04")
		if st.LastSync.Local().YearDay() != now.Local().YearDay() {
			when = st.LastSync.Local().Format("01-02 15:04")
		}
		lines = append(lines, tr("sync.last", map[string]any{"When": when}))
	}
	return strings.Join(lines, "\n")
}

// onRefusedTapped lists the refused changes with the server's words; 知道了 dismisses them, 稍后
// keeps them.
func (b *syncBar) onRefusedTapped() {
	ss := b.shell.session()
	if ss == nil {
		return
	}
	refused := ss.Status().Refused
	if len(refused) == 0 {
		return
	}
	rows := container.NewVBox()
	ids := make([]string, 0, len(refused))
	for _, e := range refused {
		ids = append(ids, e.ID)
		msg := widget.NewLabel(refusalText(e))
		msg.Wrapping = fyne.TextWrapWord
		rows.Add(widget.NewCard("", commandName(e.Command.Type)+" · "+e.Enqueued.Local().Format("01-02 15:04"), msg))
	}
	intro := widget.NewLabel(tr("sync.refused.intro"))
	intro.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(tr("sync.refused.title"), tr("sync.refused.dismiss"), tr("sync.refused.later"),
		container.NewBorder(intro, nil, nil, nil, container.NewVScroll(rows)), func(ok bool) {
			b.Dialog = nil
			if ok {
				if err := ss.Dismiss(ids...); err != nil {
					showError(b.shell.Window, errMessage(err))
				}
				b.refresh()
			}
		}, b.shell.Window)
	d.Resize(fyne.NewSize(min(520, b.shell.Window.Canvas().Size().Width-40), 380))
	b.Dialog = d
	d.Show()
}

// refusalText is the server's sentence for a refused change (its code when it sent none).
func refusalText(e sync.OutboxEntry) string {
	if e.Message != "" {
		return e.Message
	}
	return tr("sync.refused.code", map[string]any{"Code": e.Code})
}

// commandName names a command type for people ("profile.rename" → 修改姓名); unknown types are
// shown as they are.
func commandName(typ string) string {
	key := "cmd." + typ
	if s := tr(key); s != key {
		return s
	}
	return typ
}

// refreshSwitcher fills the switcher with 个人版 and the user's enterprises and selects the
// active one; it is hidden while nobody is signed in.
func (s *Shell) refreshSwitcher() {
	ss := s.session()
	if s.Switcher == nil {
		return
	}
	if ss == nil || ss.Client() == nil {
		s.Switcher.Hide()
		return
	}
	es := ss.Enterprises()
	opts := []string{tr("context.personal")}
	s.switchIDs = []string{""}
	sel := opts[0]
	for _, e := range es {
		name := shortName(e.Name, 12)
		for slices.Contains(opts, name) {
			name += "·"
		}
		opts = append(opts, name)
		s.switchIDs = append(s.switchIDs, e.ID)
		if e.ID == ss.Context() {
			sel = name
		}
	}
	s.Switcher.OnChanged = nil
	s.Switcher.Options = opts
	s.Switcher.SetSelected(sel)
	s.Switcher.OnChanged = s.onSwitcherChanged
	s.Switcher.Show()
}

// shortName cuts a long name to n characters with an ellipsis (the navigation is narrow).
func shortName(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (s *Shell) onSwitcherChanged(name string) {
	ss := s.session()
	if ss == nil {
		return
	}
	for i, o := range s.Switcher.Options {
		if o == name && i < len(s.switchIDs) {
			if err := ss.SetContext(s.switchIDs[i]); err != nil {
				showError(s.Window, errMessage(err))
				s.refreshSwitcher()
			}
			return
		}
	}
}
