package server_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/server"
	"sealdesk/core/tsa"
)

func tsaQuery(t *testing.T) []byte {
	digest := sha256.Sum256([]byte("合同"))
	req, err := (&tsa.Request{Hash: crypto.SHA256, Digest: digest[:], CertReq: true}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func postBytes(t *testing.T, hc *http.Client, url, ct string, body []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := hc.Post(url, ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// F3 of the server red team: /tsa and /ocsp had no rate limit (one client got 39 649 timestamps
// signed in 20 s, and /healthz p99 went from 5 to 128 ms). Now each address has a token bucket;
// over it the answer is 429 with Retry-After, before any work.
func TestPKIRateLimitPerAddress(t *testing.T) {
	e := startWith(t, openBolt(t), false, func(o *server.Options) { o.PKIRate = 2; o.PKIBurst = 10 })
	q := tsaQuery(t)
	hc1, _ := e.fromAddr(t, "127.0.0.1")
	hc2, _ := e.fromAddr(t, "127.0.0.2")

	t0 := time.Now()
	ok, limited := 0, 0
	for range 30 {
		resp, body := postBytes(t, hc1, e.run.URL+"/tsa", "application/timestamp-query", q)
		switch resp.StatusCode {
		case 200:
			ok++
		case 429:
			limited++
			var eb api.ErrorBody
			json.Unmarshal(body, &eb)
			ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			if eb.Error.Code != "rate_limited" || ra < 1 {
				t.Errorf("429 with code %q and Retry-After %q, want rate_limited and ≥ 1 s", eb.Error.Code, resp.Header.Get("Retry-After"))
			}
		default:
			t.Fatalf("tsa: %s %s", resp.Status, body)
		}
	}
	if most := 10 + int(2*time.Since(t0).Seconds()) + 1; ok < 10 || ok > most || limited == 0 {
		t.Errorf("30 timestamps from one address: %d signed, %d refused; want 10..%d signed and the rest 429", ok, limited, most)
	}
	// Another address has its own bucket.
	if resp, body := postBytes(t, hc2, e.run.URL+"/tsa", "application/timestamp-query", q); resp.StatusCode != 200 {
		t.Errorf("another address refused: %s %s", resp.Status, body)
	}
	// OCSP has its own bucket too; over it: 429 with the RFC 6960 tryLater answer.
	okO, limO := 0, 0
	for range 20 {
		resp, body := postBytes(t, hc1, e.run.URL+"/ocsp", "application/ocsp-request", []byte("not ocsp"))
		switch resp.StatusCode {
		case 429:
			limO++
			if !bytes.Equal(body, []byte{0x30, 0x03, 0x0a, 0x01, 0x03}) || resp.Header.Get("Retry-After") == "" {
				t.Errorf("ocsp 429: body %x, Retry-After %q; want tryLater and Retry-After", body, resp.Header.Get("Retry-After"))
			}
		default:
			okO++
		}
	}
	if okO < 10 || limO == 0 {
		t.Errorf("20 OCSP requests from one address: %d answered, %d refused; want ≥ 10 answered and the rest 429", okO, limO)
	}
	// The bucket refills.
	time.Sleep(1100 * time.Millisecond)
	if resp, body := postBytes(t, hc1, e.run.URL+"/tsa", "application/timestamp-query", q); resp.StatusCode != 200 {
		t.Errorf("after a second: %s %s", resp.Status, body)
	}
}

// The default limits never refuse an honest desktop: a batch of 200 signings back to back, each
// with one timestamp, is all served.
func TestPKIRateLimitLetsBatchesThrough(t *testing.T) {
	e := start(t, openBolt(t), false)
	q := tsaQuery(t)
	hc, _ := e.fromAddr(t, "127.0.0.1")
	for i := range 200 {
		if resp, body := postBytes(t, hc, e.run.URL+"/tsa", "application/timestamp-query", q); resp.StatusCode != 200 {
			t.Fatalf("timestamp %d of a batch: %s %s", i+1, resp.Status, body)
		}
	}
}
