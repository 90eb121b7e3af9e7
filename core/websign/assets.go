package websign

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"path"
)

//go:embed web
var web embed.FS

var errorPage = template.Must(template.ParseFS(web, "web/error.html"))

// Asset returns an embedded file of the pages ("sign.js", "sign.css", "sign.html", "pad.html")
// with its content type; ok is false for any other name.
func Asset(name string) (data []byte, contentType string, ok bool) {
	if name == "" || name == "error.html" || path.Base(name) != name {
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
