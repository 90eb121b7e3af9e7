package server

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"sealdesk/core/org"
	"sealdesk/core/sync"
)

func TestDecodeJSON(t *testing.T) {
	type T struct {
		A string `json:"a"`
		B int    `json:"b"`
	}
	cases := []struct {
		body, ct string
		ok       bool
	}{
		{`{"a":"x","b":1}`, "application/json", true},
		{`{"a":"x"}`, "", true},
		{`{"a":"x","c":1}`, "application/json", false},
		{`{"a":"x"} {"a":"y"}`, "application/json", false},
		{`{"a":"x"} x`, "application/json", false},
		{`{"b":"str"}`, "application/json", false},
		{``, "application/json", false},
		{`{"a":`, "application/json", false},
		{`{"a":"x"}`, "text/plain", false},
		{`{"a":"` + strings.Repeat("x", 200) + `"}`, "application/json", false}, // over the limit below
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
		if c.ct != "" {
			r.Header.Set("Content-Type", c.ct)
		}
		var v T
		err := decodeJSON(r, 100, &v)
		var ref *sync.Refusal
		if c.ok != (err == nil) || (err != nil && !errors.As(err, &ref)) {
			t.Errorf("%.40q: %v", c.body, err)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"login":"13800000000","code":"123456","name":"张三","password":"Passw0rdX"}`,
		`{"login":1}`, `{}`, `[]`, `null`, `{"x":1}`, `{"name":"\ud800"}`, `{"login":"a"}{}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r org.RegisterRequest
		err := decodeBytes(b, &r)
		if err != nil {
			var ref *sync.Refusal
			if !errors.As(err, &ref) || ref.Status != 400 || ref.Message == "" {
				t.Fatalf("decode error is not a 400 refusal: %v", err)
			}
		}
		var cmd sync.Command
		_ = decodeBytes(b, &cmd)
	})
}
