package main

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509/pkix"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sealdesk/core/keystore"
	"sealdesk/core/pki"
	"sealdesk/core/session"
	"sealdesk/ui"
)

// TestDeskCertifiesTheLocalKey opens the real local store and embedded backend in a temp data
// folder, generates the personal key, certifies it through the backend's API on 127.0.0.1 and
// finds the certificate again after a restart.
func TestDeskCertifiesTheLocalKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "SealDesk")
	d, err := openDesk(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := d.Services()
	if svc.CA == nil || len(svc.CA.Roots()) != 1 {
		t.Fatalf("backend not wired: %v", d.backend.err)
	}
	ks := keystore.New(d.store, &keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}})
	in, err := ks.Generate("246813")
	if err != nil {
		t.Fatal(err)
	}
	csr, err := ks.CSR(in.ID, "246813", pkix.Name{CommonName: "张三"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.CA.Certify(ctx, csr, "张三", "110105194912310021"); err == nil {
		t.Fatal("a bad ID number was certified")
	}
	chain, err := svc.CA.Certify(ctx, csr, "张三", "11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 3 || chain[0].Subject.CommonName != "张三" || !chain[2].Equal(svc.CA.Roots()[0]) {
		t.Fatalf("chain %d: %v", len(chain), chain[0].Subject)
	}
	// Nobody verified 张三: the certificate says the identity is self-declared, by policy and OU.
	if !pki.IsSelfDeclared(chain[0]) || !slices.Equal(chain[0].Subject.OrganizationalUnit, []string{pki.OUSelfDeclared}) {
		t.Fatalf("single-machine certificate not marked self-declared: policies %v, OU %q", chain[0].Policies, chain[0].Subject.OrganizationalUnit)
	}
	if p := d.backend.b.run.Server.ProviderNames(); !slices.Equal(p, []string{"manual", "self-declared"}) {
		t.Fatalf("embedded backend providers %v", p)
	}
	if err := ks.SetCertificate(in.ID, chain); err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("document"))
	if tok, err := svc.CA.Timestamper().Timestamp(context.Background(), crypto.SHA256, digest[:]); err != nil || len(tok) == 0 {
		t.Fatalf("timestamp from the embedded TSA: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart: same root, the local account logs in again with its stored password.
	d2, err := openDesk(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if !d2.Services().CA.Roots()[0].Equal(chain[2]) {
		t.Fatal("root changed across restarts")
	}
	ks2 := keystore.New(d2.store, nil)
	info, err := ks2.Info(in.ID)
	if err != nil || info.Certificate == nil {
		t.Fatalf("certificate after restart: %v", err)
	}
	csr2, err := ks2.CSR(in.ID, "246813", pkix.Name{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Services().CA.Certify(ctx, csr2, "张三", "11010519491231002X"); err != nil {
		t.Fatalf("second certificate after restart: %v", err)
	}
	var none *desk
	if err := none.Close(); err != nil || none.Services() != nil {
		t.Fatal("nil desk")
	}
}

// TestDeskConnectsToTheLocalBackend: by default (本机) the session signs in to the embedded
// backend as the person at this machine, syncs with it, and hands the signed-in client to the
// screens through ui.Connection.
func TestDeskConnectsToTheLocalBackend(t *testing.T) {
	d, err := openDesk(filepath.Join(t.TempDir(), "SealDesk"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var conn ui.Connection = d.Session()
	s := d.Session()
	for t0 := time.Now(); conn.Client() == nil || !s.Status().Online; time.Sleep(20 * time.Millisecond) {
		if time.Since(t0) > 30*time.Second {
			t.Fatalf("not connected to 本机: %+v", s.Status())
		}
	}
	if s.Server().Mode != session.ModeLocal || conn.Context() != "" {
		t.Fatalf("default session: %+v, context %q", s.Server(), conn.Context())
	}
	a, err := conn.Client().Me(context.Background())
	if err != nil || a.Name != "本机用户" {
		t.Fatalf("me on 本机: %+v %v", a, err)
	}
}
