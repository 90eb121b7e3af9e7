package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sealdesk/core/api"
	"sealdesk/core/org"
	"sealdesk/store/bolt"
)

func newTestServer(t *testing.T) *Server {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	s, err := New(context.Background(), Options{Store: st, MasterKey: key, BaseURL: "http://127.0.0.1:1", Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var paramRE = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

func concrete(pattern string) string { return paramRE.ReplaceAllString(pattern, "x") }

// Every route that is not public answers 401 without a session, and 401 with a bogus one; admin
// routes answer 403 to a logged-in non-admin. The list comes from the router's own table.
func TestNonPublicRoutesNeedSession(t *testing.T) {
	s := newTestServer(t)
	// A real session of a non-admin, made directly through the service.
	tok := sessionFor(t, s, "13900000001", false)
	checked := 0
	for _, rt := range s.routes {
		if rt.access == public {
			continue
		}
		checked++
		for _, auth := range []string{"", "Bearer sd_bogus", "Bearer " + tok} {
			req := httptest.NewRequest(rt.method, concrete(rt.pattern), strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			want := http.StatusUnauthorized
			if auth == "Bearer "+tok {
				if rt.access != admin {
					continue // a valid session passes authentication; the handler decides
				}
				want = http.StatusForbidden
			}
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, req)
			if w.Code != want {
				t.Errorf("%s %s with %q: %d, want %d", rt.method, rt.pattern, auth, w.Code, want)
			}
			var eb api.ErrorBody
			if json.Unmarshal(w.Body.Bytes(), &eb) != nil || eb.Error.Code == "" || eb.Error.Message == "" {
				t.Errorf("%s %s: error body %q", rt.method, rt.pattern, w.Body.String())
			}
		}
	}
	if checked < 15 {
		t.Fatalf("only %d non-public routes found; the router table was not enumerated", checked)
	}
}

func sessionFor(t *testing.T, s *Server, phone string, admin bool) string {
	t.Helper()
	ctx := context.Background()
	ch, err := s.org.SendCode(ctx, phone, org.PurposeRegister, "", "")
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.outbox.Messages()
	code := regexp.MustCompile(`[0-9]{6}`).FindString(msgs[len(msgs)-1].Body)
	tok, err := s.org.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Challenge: ch, Name: "测试", Password: "Passw0rdX"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if admin {
		if _, err := s.org.SetAdmin(ctx, phone, true); err != nil {
			t.Fatal(err)
		}
	}
	return tok.Token
}

// The OpenAPI document lists exactly the routes of the router.
func TestOpenAPIMatchesRouter(t *testing.T) {
	s := newTestServer(t)
	var doc struct {
		Paths map[string]map[string]struct {
			Security *[]any `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	publicDoc := map[string]bool{}
	for p, ops := range doc.Paths {
		for m, o := range ops {
			k := strings.ToUpper(m) + " " + p
			documented[k] = true
			publicDoc[k] = o.Security != nil && len(*o.Security) == 0
		}
	}
	routed := map[string]bool{}
	for _, rt := range s.routes {
		k := rt.method + " " + paramRE.ReplaceAllString(rt.pattern, "{$1}")
		routed[k] = true
		if !documented[k] {
			t.Errorf("route %s is not in openapi.json", k)
		} else if publicDoc[k] != (rt.access == public) {
			t.Errorf("route %s: openapi says public=%v, router says %v", k, publicDoc[k], rt.access == public)
		}
	}
	var extra []string
	for k := range documented {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("documented but not routed: %v", extra)
	}
	// The served document is the embedded one (with the parts merged), at both addresses.
	for _, path := range []string{"/api/v1/openapi.json", "/api/openapi.json"} {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != 200 || w.Body.Len() != len(openAPIDoc) {
			t.Errorf("served openapi at %s: %d, %d bytes", path, w.Code, w.Body.Len())
		}
	}
}

func TestUnknownRouteIsJSON404(t *testing.T) {
	s := newTestServer(t)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/nope", nil))
	if w.Code != 404 || !strings.Contains(w.Body.String(), `"not_found"`) {
		t.Errorf("%d %s", w.Code, w.Body.String())
	}
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("DELETE", "/api/v1/commands", nil))
	if w.Code != 405 || w.Header().Get("Allow") != "POST" || !strings.Contains(w.Body.String(), `"method_not_allowed"`) {
		t.Errorf("wrong method: %d %q %s", w.Code, w.Header().Get("Allow"), w.Body.String())
	}
}

func TestDevRoutesOnlyUnderDev(t *testing.T) {
	s := newTestServer(t)
	s.opts.Dev = false
	for _, rt := range s.routeTable() {
		if strings.HasPrefix(rt.pattern, "/dev/") {
			t.Errorf("%s routed without --dev", rt.pattern)
		}
	}
}
