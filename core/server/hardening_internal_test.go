package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	stdsync "sync"
	"testing"
	"time"
)

// Long polls leave nothing in the wake-up registry: not when the scope is refused (a wait was
// once registered before the access check and never removed, 307 B per request), not when
// the wait times out, not when the client goes away.
func TestLongPollRegistryDoesNotLeak(t *testing.T) {
	s := newTestServer(t)
	tok := sessionFor(t, s, "13900000002", false)
	get := func(ctx context.Context, query string) int {
		req := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/sync?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		return w.Code
	}
	var wg stdsync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := get(context.Background(), "scope=enterprise:e"+strings.Repeat("x", i%50)+"&wait=30s"); code != http.StatusForbidden {
				t.Errorf("forbidden scope: %d, want 403", code)
			}
		}()
	}
	wg.Wait()
	if n := s.hub.Len(); n != 0 {
		t.Errorf("%d scopes registered after 200 refused long polls, want 0", n)
	}
	// Own scope: timed out waits and abandoned waits.
	for i := 0; i < 5; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if code := get(context.Background(), "since=1000&wait=150ms"); code != 200 {
				t.Errorf("own scope long poll: %d", code)
			}
		}()
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			get(ctx, "since=1000&wait=30s")
		}()
	}
	time.Sleep(50 * time.Millisecond)
	if s.hub.Len() != 1 {
		t.Errorf("%d scopes registered while 10 polls wait on one scope, want 1", s.hub.Len())
	}
	wg.Wait()
	if n := s.hub.Len(); n != 0 {
		t.Errorf("%d scopes registered after every long poll ended, want 0", n)
	}
}

// The JSON content-type check parses the media type: exactly application/json (any case, at most
// charset=utf-8), not anything that starts with it.
func TestJSONContentTypeExact(t *testing.T) {
	s := newTestServer(t)
	for ct, want415 := range map[string]bool{
		"application/json":                  false,
		"application/json; charset=utf-8":   false,
		"Application/JSON; Charset=UTF-8":   false,
		"":                                  false,
		"application/jsonp":                 true,
		"application/json-patch+json":       true,
		"application/json5":                 true,
		"application/json; charset=latin1":  true,
		"application/json; boundary=x":      true,
		"application/json;;":                true,
		"text/plain; note=application/json": true,
	} {
		req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"login":"13900000003","password":"Wrong0neX"}`))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		if (w.Code == http.StatusUnsupportedMediaType) != want415 {
			t.Errorf("content type %q: %d %s", ct, w.Code, w.Body.String())
		}
	}
}

// Expensive unauthenticated PKI work (timestamps, OCSP) runs inside a bounded gate: over it the
// answer is 503 with Retry-After (OCSP: the RFC 6960 tryLater response), without signing.
func TestPKIWorkBounded(t *testing.T) {
	s := newTestServer(t)
	release, err := s.pkiGate.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Fill every slot.
	var releases []func()
	for {
		r, err := s.pkiGate.Enter(context.Background())
		if err != nil {
			break
		}
		releases = append(releases, r)
	}
	t0 := time.Now()
	req := httptest.NewRequest("POST", "/tsa", strings.NewReader("x"))
	req.Header.Set("Content-Type", "application/timestamp-query")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "繁忙") {
		t.Errorf("TSA while busy: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body.String())
	}
	if time.Since(t0) < BusyPause {
		t.Errorf("busy answer after %v: an unauthenticated flood is not slowed", time.Since(t0))
	}
	req = httptest.NewRequest("POST", "/ocsp", strings.NewReader("x"))
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || w.Body.String() != "\x30\x03\x0a\x01\x03" {
		t.Errorf("OCSP while busy: %d %q %x", w.Code, w.Header().Get("Retry-After"), w.Body.Bytes())
	}
	release()
	for _, r := range releases {
		r()
	}
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/ocsp", strings.NewReader("x")))
	if w.Code != http.StatusBadRequest {
		t.Errorf("OCSP after the gate freed: %d", w.Code)
	}
}
