package websign

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
)

//go:embed web
var web embed.FS

var (
	errorPage = template.Must(template.ParseFS(web, "web/error.html"))
	signPage  = template.Must(template.ParseFS(web, "web/sign.html"))
)

// Asset returns an embedded file of the pages ("sign.js", "sign.css", "pad.html") with its
// content type; ok is false for any other name (the signing page is SignPage's).
func Asset(name string) (data []byte, contentType string, ok bool) {
	if name == "" || name == "error.html" || name == "sign.html" || path.Base(name) != name {
		return nil, "", false
	}
	b, err := fs.ReadFile(web, "web/"+name)
	if err != nil {
		return nil, "", false
	}
	switch path.Ext(name) {
	case ".js":
		contentType = "text/javascript; charset=utf-8"
	case ".css":
		contentType = "text/css; charset=utf-8"
	default:
		contentType = "text/html; charset=utf-8"
	}
	return b, contentType, true
}

// titles of the error page by HTTP status.
var titles = map[int][2]string{
	http.StatusNotFound:              {"链接无效或内容不存在", "The link is not valid, or what it names does not exist."},
	http.StatusGone:                  {"链接已失效", "This link can no longer be used."},
	http.StatusLocked:                {"链接已锁定", "This link is locked."},
	http.StatusConflict:              {"暂时无法签署", "This cannot be signed now."},
	http.StatusRequestEntityTooLarge: {"上传内容过大", "What was sent is too large."},
	http.StatusUnauthorized:          {"请先验证身份", "Please verify it is you first."},
	http.StatusTooManyRequests:       {"操作过于频繁", "Too many attempts; wait a moment."},
}

// ErrorPage renders the Chinese page of a refusal (message as the refusal says it).
func ErrorPage(status int, message string) []byte {
	tt, ok := titles[status]
	if !ok {
		tt = [2]string{"无法完成操作", "The request could not be completed."}
	}
	var b bytes.Buffer
	errorPage.Execute(&b, struct{ Title, Message, English string }{tt[0], message, tt[1]})
	return b.Bytes()
}

// LogoHeight is the height in CSS pixels of the sender's LOGO in the signing page's header bar.
const LogoHeight = 32

// SignPage renders the signing page of the link whose address is base ("/s/<token>"). With lg
// (the sender enterprise's LOGO) the header shows it from base + "/logo", the URL versioned by
// the LOGO's hash so a browser may cache it; without one the page has no image element at all
// (nothing broken to show).
func SignPage(base string, lg *Logo) ([]byte, error) {
	var data struct {
		LogoURL       string
		Width, Height int
	}
	if lg != nil && lg.SHA256 != "" && lg.Width > 0 && lg.Height > 0 {
		data.LogoURL = base + "/logo?v=" + lg.SHA256[:min(16, len(lg.SHA256))]
		data.Height = LogoHeight
		data.Width = max(1, min(5*LogoHeight, (lg.Width*LogoHeight+lg.Height/2)/lg.Height))
	}
	var b bytes.Buffer
	if err := signPage.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("failed to render the signing page: %w", err)
	}
	return b.Bytes(), nil
}
