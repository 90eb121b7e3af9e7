package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Base64 OCSP requests sent by GET contain '/' and '+'; clients that skip RFC 6960's URL-encoding
// send "//" raw, which a plain mux would redirect to a cleaned (undecodable) path.
func TestKeepOCSPSlashes(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ocsp/{request...}", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.PathValue("request")))
	})
	h := keepOCSPSlashes(mux)
	for _, tc := range []struct{ path, want string }{
		{"/ocsp/MEow//SDBG+A==", "MEow//SDBG+A=="},
		{"/ocsp/MEow%2F%2FSDBG%2BA%3D%3D", "MEow//SDBG+A=="},
		{"/ocsp/ab/cd", "ab/cd"},
		{"/ocsp/abcd", "abcd"},
	} {
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest("GET", tc.path, nil))
		if rr.Code != 200 || rr.Body.String() != tc.want {
			t.Errorf("GET %s: %d %q, want 200 %q", tc.path, rr.Code, rr.Body.String(), tc.want)
		}
	}
	// Without the wrapper the first path is redirected: the test above would catch a regression.
	rr := httptest.NewRecorder()
	mux.ServeHTTP(rr, httptest.NewRequest("GET", "/ocsp/MEow//SDBG+A==", nil))
	if rr.Code/100 != 3 {
		t.Fatalf("plain mux answered %d; the premise of keepOCSPSlashes changed", rr.Code)
	}
}
