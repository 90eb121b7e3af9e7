package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	"sealdesk/core/sync"
)

// MaxJSONBody bounds a JSON request body.
const MaxJSONBody = 1 << 20

// errBodyTimeout is what decodeJSON returns when the body did not arrive before the read deadline.
var errBodyTimeout = errors.New("request body timed out")

// decodeJSON reads one JSON object of at most max bytes into v: unknown fields, trailing data,
// a wrong content type and oversized bodies are refused with a *sync.Refusal.
func decodeJSON(r *http.Request, max int64, v any) error {
	if err := checkJSONType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return errBodyTimeout
	}
	if err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_request", "读取请求体失败")
	}
	if int64(len(body)) > max {
		return sync.Refuse(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("请求体不能超过 %d 字节", max))
	}
	return decodeBytes(body, v)
}

// checkJSONType accepts no content type, or exactly application/json (any case) with at most a
// charset parameter of utf-8: "application/jsonp" or "application/json-patch+json" are not JSON
// objects for this API.
func checkJSONType(ct string) error {
	if ct == "" {
		return nil
	}
	bad := sync.Refuse(http.StatusUnsupportedMediaType, "bad_content_type", "请求体须为 JSON（Content-Type: application/json）")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return bad
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return bad
		}
	}
	return nil
}

// decodeBytes is the strict decoder behind decodeJSON (fuzzed).
func decodeBytes(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return sync.Refuse(http.StatusBadRequest, "bad_json", "请求体为空")
		case errors.As(err, &se):
			return sync.Refuse(http.StatusBadRequest, "bad_json", fmt.Sprintf("JSON 格式错误（第 %d 字节）", se.Offset))
		case errors.As(err, &te):
			return sync.Refuse(http.StatusBadRequest, "bad_json", fmt.Sprintf("字段 %s 的类型不正确", te.Field))
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return sync.Refuse(http.StatusBadRequest, "bad_json", "未知字段："+strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return sync.Refuse(http.StatusBadRequest, "bad_json", "JSON 格式错误")
	}
	if dec.More() {
		return sync.Refuse(http.StatusBadRequest, "bad_json", "请求体只能包含一个 JSON 对象")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return sync.Refuse(http.StatusBadRequest, "bad_json", "请求体只能包含一个 JSON 对象")
	}
	return nil
}
