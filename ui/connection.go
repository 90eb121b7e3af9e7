package ui

import "sealdesk/core/client"

// Connection is the desktop's session with a SealDesk server — the embedded backend (本机) or a
// remote one chosen in 设置 › 服务器 — through which the platform screens (企业, 文件, 企业印章,
// 费用中心) work. main.go provides it; screens never build clients themselves, so a test gives them
// a Connection to a real server on loopback.
type Connection interface {
	// Client returns the signed-in API client, or nil while nobody is signed in.
	Client() *client.Client
	// Context is where the user works now: "" for 个人版, otherwise an enterprise id. It is shown
	// in the window title and the navigation.
	Context() string
	// Subscribe calls fn (from any goroutine) after sign-in, sign-out, a switch of Context or a
	// sync that changed data; the returned func stops the calls.
	Subscribe(fn func()) (cancel func())
}
