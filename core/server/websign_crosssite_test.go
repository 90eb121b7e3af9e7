package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"sealdesk/core/api"
)

// Red team F3: the signing page's POSTs refuse a request a browser says comes from another site
// (Sec-Fetch-Site, or an Origin that is not this server) with 403 cross_site, before the link is
// looked up; the page's own requests (same origin) and clients sending neither header reach the
// handler (which then answers for the unknown link or the bad body, never cross_site). Both stores, real server on 127.0.0.1.
func TestWebSignRefusesCrossSitePosts(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startWith(t, open(t), false, nil)
			hc, _ := e.fromAddr(t, "127.0.0.1")
			self := strings.TrimSuffix(e.run.URL, "/")
			post := func(path string, h map[string]string) (int, api.ErrorBody) {
				t.Helper()
				req, err := http.NewRequest("POST", e.run.URL+path, strings.NewReader(`{"purpose":"open"}`))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				for k, v := range h {
					req.Header.Set(k, v)
				}
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var eb api.ErrorBody
				b, _ := io.ReadAll(resp.Body)
				json.Unmarshal(b, &eb)
				return resp.StatusCode, eb
			}
			for _, c := range []struct {
				what   string
				header map[string]string
				status int
				code   string
			}{
				{"another site's Origin", map[string]string{"Origin": "https://evil.example"}, 403, "cross_site"},
				{"Origin null", map[string]string{"Origin": "null"}, 403, "cross_site"},
				{"same host, other port", map[string]string{"Origin": "https://127.0.0.1:1"}, 403, "cross_site"},
				{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "cross_site"},
				{"Sec-Fetch-Site same-site", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": self}, 403, "cross_site"},
				{"the page itself", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": self}, 0, ""},
				{"Origin only, this server", map[string]string{"Origin": self}, 0, ""},
				{"no browser headers", nil, 0, ""},
			} {
				for _, path := range []string{"/s/sometoken/code", "/s/sometoken/sign", "/p/somepad"} {
					status, eb := post(path, c.header)
					switch {
					case c.status == 0 && (status == 403 || eb.Error.Code == "cross_site"):
						t.Errorf("%s, POST %s: %d %+v, want it to reach the handler", c.what, path, status, eb.Error)
					case c.status != 0 && (status != c.status || eb.Error.Code != c.code || !strings.Contains(eb.Error.Message, "跨站请求被拒绝")):
						t.Errorf("%s, POST %s: %d %+v, want %d %s", c.what, path, status, eb.Error, c.status, c.code)
					}
				}
			}
			// Pages (GET) are not refused: a link opened from an e-mail or SMS app is cross-site.
			req, _ := http.NewRequest("GET", e.run.URL+"/s/sometoken", nil)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 404 {
				t.Errorf("a link opened from another site: %s, want the page (404 for an unknown link)", resp.Status)
			}
		})
	}
}
