package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// EnterprisePanel is a tab of the 企业 screen that another area contributes (主管理员变更, 对接集成).
// It works in the session's current enterprise (Services.Conn.Context()).
type EnterprisePanel interface {
	Content() fyne.CanvasObject
	// Reload reads everything again from the server; call on the UI goroutine.
	Reload()
	// Wait waits until the server calls in flight have answered (tests).
	Wait()
}

// enterpriseTab is one line of the 企业 screen's tab registry.
type enterpriseTab struct {
	key   string // translation key of the tab's title
	build func(*Shell) EnterprisePanel
}

// enterpriseTabs lists the tabs areas add to the 企业 screen, after its own (成员, 角色, 认证…):
// the screen builds one tab per line, in this order.
func enterpriseTabs() []enterpriseTab {
	return []enterpriseTab{
		{"admin.tab", func(s *Shell) EnterprisePanel { return newAdminPanel(s) }},
		{"hooks.tab", func(s *Shell) EnterprisePanel { return newHooksPanel(s) }},
		{"audit.tab", func(s *Shell) EnterprisePanel { return newAuditPanel(s) }},
		{"apikeys.tab", func(s *Shell) EnterprisePanel { return newAPIKeysPanel(s) }},
		{"console.tab", newConsolePanel},
	}
}

// NewEnterpriseTabs builds the contributed tabs of the 企业 screen for s (in the current
// language) and reads them once; the 企业 screen appends the same panels to its own tabs.
func NewEnterpriseTabs(s *Shell) (*container.AppTabs, []EnterprisePanel) {
	tabs := container.NewAppTabs()
	var panels []EnterprisePanel
	for _, e := range enterpriseTabs() {
		p := e.build(s)
		panels = append(panels, p)
		tabs.Append(container.NewTabItem(tr(e.key), p.Content()))
		p.Reload()
	}
	return tabs, panels
}
