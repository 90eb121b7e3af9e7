package main

import (
	"bytes"
	"context"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/sync"
	"sealdesk/store/postgres/pgtest"
)

// Two server processes on one PostgreSQL database behave as one server: codes, sessions,
// lockouts, idempotency keys, long polls, the CA and revocation are all shared through the store.
func TestTwoProcessesShareOnePostgres(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	key := filepath.Join(t.TempDir(), "master.key")
	a := startChild(t, dsn, "--master-key-file", key)
	b := startChild(t, dsn, "--master-key-file", key)
	ctx := context.Background()
	get := func(url string) []byte {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return body
	}
	if ra, rb := get(a.url+"/ca/root.pem"), get(b.url+"/ca/root.pem"); !bytes.Equal(ra, rb) || len(ra) == 0 {
		t.Fatal("the two processes serve different roots")
	}
	ca, cb := &client.Client{BaseURL: a.url, HTTP: http.DefaultClient}, &client.Client{BaseURL: b.url, HTTP: http.DefaultClient}

	// The code is sent through A (and lands in A's dev outbox) and used on B.
	phone := "13600000042"
	if err := ca.SendCode(ctx, phone, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	msgs, _ := ca.DevOutbox(ctx)
	code := codeRE.FindStringSubmatch(msgs[len(msgs)-1].Body)[1]
	if _, err := cb.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Challenge: ca.Challenge(org.PurposeRegister, phone), Name: "赵六", Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	// B's session works on A.
	ca.Token = cb.Token
	me, err := ca.Me(ctx)
	if err != nil {
		t.Fatalf("session from B on A: %v", err)
	}
	scope := org.Scope(me.ID)

	// An idempotency key used on A is known to B.
	cmd := sync.Command{Type: "settings.put", Scope: scope, Payload: json.RawMessage(`{"key":"k","value":1}`)}
	k := client.NewIdempotencyKey()
	r1, err := ca.Command(ctx, k, cmd)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := cb.Command(ctx, k, cmd)
	if err != nil || !r2.Replayed || r2.Applied.Events[0] != r1.Applied.Events[0] {
		t.Fatalf("retry on the other process: %+v %v", r2, err)
	}

	// A long poll on B sees a command applied on A (woken by LISTEN/NOTIFY, not only by B's
	// periodic re-read).
	p, _ := cb.Pull(ctx, scope, 0, 0, 0)
	done := make(chan error, 1)
	go func() {
		p2, err := cb.Pull(ctx, scope, p.Cursor, 0, 20*time.Second)
		if err == nil && len(p2.Events) != 1 {
			err = io.ErrUnexpectedEOF
		}
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	if _, err := ca.Command(ctx, client.NewIdempotencyKey(), cmd); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("long poll on B: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll on B did not see A's event")
	}

	// Failed logins on both processes add up to one lockout.
	for i, c := range []*client.Client{ca, cb, ca, cb, ca} {
		fresh := &client.Client{BaseURL: c.BaseURL, HTTP: http.DefaultClient}
		if _, err := fresh.Login(ctx, org.LoginRequest{Login: phone, Password: "Wrong0neX"}); !client.IsCode(err, "bad_credentials") {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	fresh := &client.Client{BaseURL: b.url, HTTP: http.DefaultClient}
	if _, err := fresh.Login(ctx, org.LoginRequest{Login: phone, Password: "Passw0rdX"}); !client.IsCode(err, "locked") {
		t.Fatalf("after 5 failures across processes: %v", err)
	}

	// A certificate issued by A is good at B's OCSP; revoked through B, A's OCSP says revoked.
	if _, err := ca.SubmitRealName(ctx, "赵六", "11010519491231002X", "dev"); err != nil {
		t.Fatal(err)
	}
	k256, _ := pki.GenerateKey(pki.ECDSAP256)
	csr, _ := pki.NewCSR(k256, pkix.Name{})
	resp, err := ca.RequestCertificate(ctx, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))
	if err != nil {
		t.Fatal(err)
	}
	certs, _ := pki.ParseCertsPEM([]byte(resp.Certificate))
	chain, _ := pki.ParseCertsPEM([]byte(resp.Chain))
	status := func(url string) int {
		req, _ := ocsp.CreateRequest(certs[0], chain[0], nil)
		hr, err := http.Post(url+"/ocsp", "application/ocsp-request", bytes.NewReader(req))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(hr.Body)
		hr.Body.Close()
		r, err := ocsp.ParseResponseForCert(body, certs[0], chain[0])
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	if status(b.url) != ocsp.Good {
		t.Fatal("B does not know A's certificate")
	}
	if _, err := cb.RevokeCertificate(ctx, resp.Serial, 4); err != nil {
		t.Fatal(err)
	}
	if status(a.url) != ocsp.Revoked {
		t.Fatal("A does not know B's revocation")
	}
}
