package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"sealdesk/core/api"
	"sealdesk/core/server"
)

// The browser signing routes (/s/… and /p/…) have a token bucket per address (issue 21): past
// the burst, a page answers the Chinese 429 page and a call the JSON refusal, both naming the
// limit, with Retry-After, before the token is even looked at; another address, and the other
// routes of the same address, are not affected. The rate is one token per 100 s, so the test
// does not depend on how fast the machine runs it. Both stores, real server on 127.0.0.1.
func TestWebSignRateLimitPerAddress(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startWith(t, open(t), false, func(o *server.Options) { o.WebRate = 0.01; o.WebBurst = 3 })
			hc1, _ := e.fromAddr(t, "127.0.0.1")
			hc2, _ := e.fromAddr(t, "127.0.0.2")
			get := func(hc *http.Client, path string) (*http.Response, string) {
				t.Helper()
				resp, err := hc.Get(e.run.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp, string(b)
			}
			const limit = "每秒最多 0.01 次（连续最多 3 次）"
			// The burst: three unknown links answer their 404 page.
			for i := range 3 {
				if resp, body := get(hc1, "/s/sometoken"+strconv.Itoa(i)); resp.StatusCode != 404 || !strings.Contains(body, "链接无效") {
					t.Fatalf("request %d inside the burst: %s %.200s", i+1, resp.Status, body)
				}
			}
			// The fourth: the Chinese 429 page naming the limit.
			resp, body := get(hc1, "/s/sometoken3")
			ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			if resp.StatusCode != 429 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(body, "操作过于频繁") || !strings.Contains(body, limit) || ra < 1 {
				t.Fatalf("past the burst: %s %q Retry-After %q\n%.600s", resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Retry-After"), body)
			}
			// The page's calls get JSON; /p/ shares the bucket.
			r, err := hc1.Post(e.run.URL+"/s/sometoken0/code", "application/json", strings.NewReader(`{"purpose":"open"}`))
			if err != nil {
				t.Fatal(err)
			}
			var eb api.ErrorBody
			err = json.NewDecoder(r.Body).Decode(&eb)
			r.Body.Close()
			if err != nil || r.StatusCode != 429 || eb.Error.Code != "rate_limited" || !strings.Contains(eb.Error.Message, limit) {
				t.Errorf("a call past the burst: %s %+v %v", r.Status, eb, err)
			}
			if resp, body := get(hc1, "/p/somepad"); resp.StatusCode != 429 || !strings.Contains(body, limit) {
				t.Errorf("the pad past the burst: %s %.200s", resp.Status, body)
			}
			// Other routes of that address are not limited by it.
			if resp, body := get(hc1, "/healthz"); resp.StatusCode != 200 {
				t.Errorf("/healthz of the limited address: %s %.200s", resp.Status, body)
			}
			// Another address has its own bucket.
			if resp, body := get(hc2, "/s/sometoken0"); resp.StatusCode != 404 {
				t.Errorf("another address: %s %.200s", resp.Status, body)
			}
		})
	}
}
