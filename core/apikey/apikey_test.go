package apikey_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/apikey"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
)

// The signature is the documented HMAC over the five lines, computed here independently.
func TestSignMatchesDocumentation(t *testing.T) {
	body := []byte(`{"subject":"合同"}`)
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte("sk_secret"))
	m.Write([]byte("POST\n/api/v1/open/envelopes?x=1\n1700000000\nnonce-0123456789abc\n" + hex.EncodeToString(sum[:])))
	if got, want := apikey.Sign("sk_secret", "POST", "/api/v1/open/envelopes?x=1", "1700000000", "nonce-0123456789abc", body), hex.EncodeToString(m.Sum(nil)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

// The store keeps neither the secret nor anything that signs: a service with another server
// secret cannot check requests of the key (it fails loudly, not as a bad signature).
func TestSecretNotStored(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Now()
	mk := func(b byte) *apikey.Service {
		sec := make([]byte, 32)
		sec[0] = b
		s, err := apikey.New(apikey.Options{Store: st, Secret: sec, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := mk(1)
	var k api.APIKeyCreated
	if err := st.Update(ctx, func(tx sync.Tx) error {
		var err error
		k, err = s.Create(tx, "e1", "u1", "管理员", api.APIKeyRequest{Name: "ERP", Scopes: []string{"read", "send"}}, now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if k.Key.Scopes[0] != "send" || k.Key.Scopes[1] != "read" {
		t.Errorf("scopes not in order: %v", k.Key.Scopes)
	}
	raw := []byte{}
	st.View(ctx, func(tx sync.Tx) error { raw, _ = tx.Get(apikey.BucketKeys, k.Key.ID); return nil })
	if len(raw) == 0 || bytesContains(raw, k.Secret) || bytesContains(raw, k.Secret[3:]) {
		t.Fatalf("stored record %s holds the secret", raw)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	rq := func(nonce string) apikey.Request {
		return apikey.Request{KeyID: k.Key.ID, Timestamp: ts, Nonce: nonce, Method: "GET", URI: "/x",
			Signature: apikey.Sign(k.Secret, "GET", "/x", ts, nonce, nil)}
	}
	if _, err := s.Authenticate(ctx, rq("nonce-aaaaaaaaaaaaaaaa"), nil); err != nil {
		t.Fatal(err)
	}
	var ref *sync.Refusal
	if _, err := s.Authenticate(ctx, rq("nonce-aaaaaaaaaaaaaaaa"), nil); !errors.As(err, &ref) || ref.Code != apikey.CodeReplayed {
		t.Errorf("replay: %v", err)
	}
	if _, err := mk(2).Authenticate(ctx, rq("nonce-bbbbbbbbbbbbbbbb"), nil); err == nil || errors.As(err, &ref) {
		t.Errorf("another server secret: %v", err)
	}
	if _, err := s.Authenticate(ctx, rq("short"), nil); !errors.As(err, &ref) || ref.Code != apikey.CodeMissing || ref.Status != http.StatusUnauthorized {
		t.Errorf("short nonce: %v", err)
	}
}

func bytesContains(b []byte, s string) bool { return strings.Contains(string(b), s) }
