package tsa_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sealdesk/core/cms"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/tsa"
)

var t0 = time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)

func newAuthority(t testing.TB) (*pkitest.PKI, *tsa.Authority) {
	p := pkitest.New(t, &pkitest.Options{NoServer: true, Now: func() time.Time { return t0 }})
	a, err := tsa.New(tsa.Options{Cert: p.TSA, Key: p.TSAKey, Chain: p.Chain, Now: func() time.Time { return t0 }, Accuracy: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p, a
}

func TestTokenContents(t *testing.T) {
	_, a := newAuthority(t)
	d := sha256.Sum256([]byte("document"))
	var last *big.Int
	for i := 0; i < 20; i++ {
		tok, err := a.Timestamp(context.Background(), crypto.SHA256, d[:])
		if err != nil {
			t.Fatal(err)
		}
		info, err := tsa.ParseToken(tok)
		if err != nil {
			t.Fatal(err)
		}
		if !info.Time.Equal(t0) || info.Accuracy != 1500*time.Millisecond || !info.Policy.Equal(tsa.DefaultPolicy) {
			t.Fatalf("token info %+v", info)
		}
		if string(info.Digest) != string(d[:]) || info.Hash != crypto.SHA256 {
			t.Fatal("imprint not echoed")
		}
		if last != nil && info.Serial.Cmp(last) <= 0 {
			t.Fatalf("serial %v not above %v", info.Serial, last)
		}
		last = info.Serial
		if len(info.Certificates) != 3 {
			t.Errorf("%d certificates embedded, want tsa + chain", len(info.Certificates))
		}
	}
	tok, _ := a.Timestamp(context.Background(), crypto.SHA256, d[:])
	tok[len(tok)-10] ^= 1
	if _, err := tsa.ParseToken(tok); err == nil {
		t.Error("tampered token accepted")
	}
}

func TestRefusals(t *testing.T) {
	_, a := newAuthority(t)
	d := sha512.Sum512([]byte("x"))
	cases := []struct {
		name string
		der  func() []byte
		fail int
	}{
		{"garbage", func() []byte { return []byte("hello") }, tsa.FailBadDataFormat},
		{"digest length", func() []byte {
			b, _ := (&tsa.Request{Hash: crypto.SHA256, Digest: d[:]}).Marshal()
			return b
		}, tsa.FailBadDataFormat},
		{"policy", func() []byte {
			b, _ := (&tsa.Request{Hash: crypto.SHA512, Digest: d[:], Policy: asn1.ObjectIdentifier{1, 2, 3}}).Marshal()
			return b
		}, tsa.FailUnacceptedPolicy},
		{"sha1", func() []byte {
			// version 1, imprint {sha1, 20 bytes}
			b, _ := asn1.Marshal(struct {
				V  int
				MI struct {
					A struct{ O asn1.ObjectIdentifier }
					H []byte
				}
			}{V: 1, MI: struct {
				A struct{ O asn1.ObjectIdentifier }
				H []byte
			}{A: struct{ O asn1.ObjectIdentifier }{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}}, H: make([]byte, 20)}})
			return b
		}, tsa.FailBadAlg},
		{"too large", func() []byte { return make([]byte, tsa.MaxRequestSize+1) }, tsa.FailBadDataFormat},
	}
	for _, c := range cases {
		resp, err := a.Respond(c.der())
		if err != nil {
			t.Fatal(err)
		}
		_, err = tsa.ParseResponse(resp)
		var re *tsa.ResponseError
		if !errors.As(err, &re) || re.Status != 2 || re.FailInfo != c.fail {
			t.Errorf("%s: %v, want rejection with failInfo %d", c.name, err, c.fail)
		}
	}
}

func TestHTTPClient(t *testing.T) {
	_, a := newAuthority(t)
	srv := httptest.NewServer(a)
	defer srv.Close()
	c := &tsa.Client{URL: srv.URL}
	d := sha256.Sum256([]byte("over http"))
	tok, err := c.Timestamp(context.Background(), crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	if info, err := tsa.ParseToken(tok); err != nil || info.Nonce == nil {
		t.Fatalf("%v %v", info, err)
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET answered %d", resp.StatusCode)
	}
	bad := &tsa.Client{URL: srv.URL, Policy: asn1.ObjectIdentifier{1, 2, 3, 4}}
	if _, err := bad.Timestamp(context.Background(), crypto.SHA256, d[:]); err == nil {
		t.Error("refused policy reported as success")
	}
}

// TestOpenSSLVerifies runs openssl's own request through the responder and verifies the reply
// with openssl ts -verify against the test root.
func TestOpenSSLVerifies(t *testing.T) {
	pkitest.RequireTool(t, "openssl")
	p, a := pkitest.New(t, &pkitest.Options{NoServer: true}), (*tsa.Authority)(nil)
	a, err := tsa.New(tsa.Options{Cert: p.TSA, Key: p.TSAKey, Chain: p.Chain})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := func(n string) string { return filepath.Join(dir, n) }
	os.WriteFile(f("root.pem"), pki.EncodeCertsPEM(p.Root), 0o600)
	os.WriteFile(f("data"), []byte("some document bytes"), 0o600)
	run := func(args ...string) string {
		out, err := exec.Command("openssl", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	for _, alg := range []string{"-sha256", "-sha512"} {
		run("ts", "-query", "-data", f("data"), alg, "-cert", "-out", f("req.tsq"))
		req, _ := os.ReadFile(f("req.tsq"))
		resp, err := a.Respond(req)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(f("resp.tsr"), resp, 0o600)
		out := run("ts", "-verify", "-data", f("data"), "-in", f("resp.tsr"), "-CAfile", f("root.pem"))
		if !strings.Contains(out, "OK") {
			t.Fatalf("openssl ts -verify: %s", out)
		}
		text := run("ts", "-reply", "-in", f("resp.tsr"), "-text")
		if !strings.Contains(text, "Granted") || !strings.Contains(text, "Nonce") {
			t.Errorf("reply text lacks status or nonce:\n%s", text)
		}
	}
	// A digest-only verify, the way a PDF verifier checks a signature timestamp.
	d := sha256.Sum256([]byte("signature value"))
	tok, _ := a.Timestamp(context.Background(), crypto.SHA256, d[:])
	os.WriteFile(f("tok.der"), tok, 0o600)
	out := run("ts", "-verify", "-digest", hex.EncodeToString(d[:]), "-token_in", "-in", f("tok.der"), "-CAfile", f("root.pem"))
	if !strings.Contains(out, "OK") {
		t.Fatalf("openssl ts -verify -digest: %s", out)
	}
}

func BenchmarkStamp(b *testing.B) {
	_, a := newAuthority(b)
	d := sha256.Sum256([]byte("bench"))
	req, _ := (&tsa.Request{Hash: crypto.SHA256, Digest: d[:], CertReq: true, Nonce: big.NewInt(12345678)}).Marshal()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Respond(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

func FuzzParseRequest(f *testing.F) {
	_, a := newAuthority(f)
	d := sha256.Sum256([]byte("x"))
	seed, _ := (&tsa.Request{Hash: crypto.SHA256, Digest: d[:], CertReq: true, Nonce: big.NewInt(7)}).Marshal()
	f.Add(seed)
	f.Add(seed[:10])
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		resp, err := a.Respond(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tsa.ParseResponse(resp); err != nil {
			var re *tsa.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("response does not parse: %v", err)
			}
		}
	})
}

func FuzzParseToken(f *testing.F) {
	_, a := newAuthority(f)
	d := sha256.Sum256([]byte("x"))
	tok, _ := a.Timestamp(context.Background(), crypto.SHA256, d[:])
	f.Add(tok)
	f.Add(tok[:100])
	f.Fuzz(func(t *testing.T, b []byte) {
		tsa.ParseToken(b)
	})
}

// BenchmarkHTTPClient measures tokens per second through the HTTP handler and the checking
// client on loopback (the target is ≥ 500/s on a 2-core machine with a P-256 key).
func BenchmarkHTTPClient(b *testing.B) {
	_, a := newAuthority(b)
	srv := httptest.NewServer(a)
	defer srv.Close()
	c := &tsa.Client{URL: srv.URL, HTTP: srv.Client()}
	d := sha256.Sum256([]byte("bench"))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Timestamp(context.Background(), crypto.SHA256, d[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// A busy authority (429 or 503, as the SealDesk server answers a flood) is retried after its
// Retry-After; one that stays busy gives ErrBusy after the bounded retries, and a cancelled
// signing stops waiting at once.
func TestHTTPClientRetriesBusy(t *testing.T) {
	_, a := newAuthority(t)
	var calls, busyFor int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls <= busyFor {
			w.Header().Set("Retry-After", "0")
			if calls%2 == 0 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
			} else {
				http.Error(w, "slow down", http.StatusTooManyRequests)
			}
			return
		}
		a.ServeHTTP(w, r)
	}))
	defer srv.Close()
	d := sha256.Sum256([]byte("busy"))
	busyFor = 3
	if _, err := (&tsa.Client{URL: srv.URL}).Timestamp(context.Background(), crypto.SHA256, d[:]); err != nil || calls != 4 {
		t.Fatalf("after 3 busy answers: err %v, %d calls", err, calls)
	}
	calls, busyFor = 0, 100
	_, err := (&tsa.Client{URL: srv.URL, Retries: 2}).Timestamp(context.Background(), crypto.SHA256, d[:])
	if !errors.Is(err, tsa.ErrBusy) || calls != 3 {
		t.Fatalf("always busy: err %v, %d calls", err, calls)
	}
	calls = 0
	_, err = (&tsa.Client{URL: srv.URL, Retries: -1}).Timestamp(context.Background(), crypto.SHA256, d[:])
	if !errors.Is(err, tsa.ErrBusy) || calls != 1 {
		t.Fatalf("no retries: err %v, %d calls", err, calls)
	}
	// A long Retry-After does not outlive the caller's context.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer slow.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = (&tsa.Client{URL: slow.URL}).Timestamp(ctx, crypto.SHA256, d[:])
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("cancelled wait: err %v after %v", err, time.Since(start))
	}
}

// TestParseTokenRefusesWhatVerifyRefuses (red team s8b F7b, F2b): a token whose genTime has no
// 'Z' or an offset, that carries a critical extension, or whose CMS is digested with SHA-1 is
// refused by the client's reader as core/verify refuses it; the same token with a UTC genTime,
// a fraction, or a non-critical extension is read.
func TestParseTokenRefusesWhatVerifyRefuses(t *testing.T) {
	p, _ := newAuthority(t)
	d := sha256.Sum256([]byte("document"))
	token := func(genTime string, ext []byte) []byte {
		t.Helper()
		enc := func(v any) []byte {
			b, err := asn1.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		body := append(enc(1), enc(tsa.DefaultPolicy)...)
		body = append(body, enc(struct {
			Alg    struct{ OID asn1.ObjectIdentifier }
			Digest []byte
		}{struct{ OID asn1.ObjectIdentifier }{cms.OIDSHA256}, d[:]})...)
		body = append(body, enc(42)...)
		body = append(body, cms.EncodeTLV(0, cms.TagGenTime, false, []byte(genTime))...)
		body = append(body, ext...)
		info := cms.EncodeTLV(0, cms.TagSequence, true, body)
		sd, err := cms.Sign(cms.SignOptions{Signer: p.TSAKey, Cert: p.TSA, Chain: p.Chain, Content: info, ContentType: cms.OIDTSTInfo})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := sd.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ext := func(critical bool) []byte {
		e := append(cms.EncodeTLV(0, cms.TagOID, false, []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x07}), []byte{0x01, 0x01, 0xff}...)
		if !critical {
			e = e[:len(e)-3]
		}
		e = append(e, cms.EncodeTLV(0, cms.TagOctetString, false, []byte{0x05, 0x00})...)
		return cms.EncodeTLV(2, 1, true, cms.EncodeTLV(0, cms.TagSequence, true, e))
	}
	accuracy := func(sec, millis int) []byte {
		body := cms.EncodeTLV(0, cms.TagInteger, false, []byte{byte(sec)})
		m, _ := asn1.Marshal(millis)
		m[0] = 0x80 // [0] IMPLICIT INTEGER
		body = append(body, m...)
		return cms.EncodeTLV(0, cms.TagSequence, true, body)
	}
	nonce := cms.EncodeTLV(0, cms.TagInteger, false, []byte{77})
	cases := []struct {
		name string
		tok  []byte
		ok   bool
	}{
		{"twin: UTC genTime", token("20260504030201Z", nil), true},
		{"twin: UTC genTime with a fraction", token("20260504030201.5Z", nil), true},
		{"twin: a non-critical extension", token("20260504030201Z", ext(false)), true},
		{"genTime without Z", token("20260504030201", nil), false},
		{"genTime with an offset", token("20260504170201+1400", nil), false},
		{"genTime with a trailing zero", token("20260504030201.50Z", nil), false},
		{"a critical extension", token("20260504030201Z", ext(true)), false},
		// Since the client reads with core/verify's reader (cms.ParseTSTInfo), the optional
		// fields are judged alike too: encoding/asn1 had taken millis 0, a nonce before the
		// accuracy and an element RFC 3161 does not define.
		{"twin: accuracy 1 s 500 ms and a nonce", token("20260504030201Z", append(accuracy(1, 500), nonce...)), true},
		{"accuracy millis 0", token("20260504030201Z", accuracy(1, 0)), false},
		{"nonce before accuracy", token("20260504030201Z", append(append([]byte{}, nonce...), accuracy(1, 500)...)), false},
		{"an undefined element", token("20260504030201Z", cms.EncodeTLV(0, cms.TagOctetString, false, []byte{1})), false},
	}
	for _, c := range cases {
		info, err := tsa.ParseToken(c.tok)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.ok && err == nil && info.Time.Location() != time.UTC {
			t.Errorf("%s: time %v", c.name, info.Time)
		}
		if c.ok && err == nil && strings.Contains(c.name, "nonce") && (info.Accuracy != 1500*time.Millisecond || info.Nonce == nil || info.Nonce.Int64() != 77) {
			t.Errorf("%s: accuracy %v nonce %v", c.name, info.Accuracy, info.Nonce)
		}
	}
}
