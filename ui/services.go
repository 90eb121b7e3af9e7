package ui

import (
	"context"

	"sealdesk/ui/widgets"
)

// Services are what the screens need from the rest of the program, as small interfaces that
// main.go satisfies with core services (and tests with in-memory fakes). A nil field means the
// service is not available; screens that need it say so instead of failing.
type Services struct {
	Settings SettingsStore
	Renderer Renderer       // nil: the documents screen says the renderer is unavailable
	Version  string         // shown in Settings › About
	Local    *LocalServices // the offline half: seals, personal key, trust (local.go)
	Conn     Connection     // the server session (connection.go); nil: platform screens ask to sign in
	// Session is the rest of the same session for the desktop's own parts: 设置 › 服务器, 登录 /
	// 注册, the context switcher and the sync status (session.go). main.go gives the same value
	// as Conn; nil: those parts say the session is not available.
	Session SessionService
	// Updates is the self-update of 设置 › 关于 (about.go); nil: 检查更新 is disabled.
	Updates UpdateService
	// Diagnostics writes 导出诊断信息's zip; nil: the button is disabled.
	Diagnostics DiagnosticsService
}

// SettingsStore keeps the user's settings across starts.
type SettingsStore interface {
	Language() string // LangChinese or LangEnglish
	SetLanguage(code string)
	DataDir() string
	// SetDataDir checks that dir can be created and written, then remembers it.
	SetDataDir(dir string) error
}

// Renderer opens documents for viewing (PDFRenderer adapts core/pdf/render).
type Renderer interface {
	// Open reads a PDF, JPEG or PNG file (an image becomes a one-page document).
	Open(ctx context.Context, path string) (OpenDocument, error)
	// OpenBytes is Open for data in memory; name is shown to the user.
	OpenBytes(ctx context.Context, name string, data []byte) (OpenDocument, error)
}

// OpenDocument is a document the UI holds open and closes when done.
type OpenDocument interface {
	widgets.Document
	Close() error
}
