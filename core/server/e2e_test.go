package server_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/server"
	"sealdesk/core/sync"
)

const goodID = "11010519491231002X"

// issued is what the e2e flow produced, for the signing test to build on.
type issued struct {
	env    *env
	client *client.Client
	key    any
	cert   *x509.Certificate
	chain  []*x509.Certificate // issuing CA, root
}

// enroll runs register → real name (dev) → CSR → certificate over HTTPS on 127.0.0.1.
func enroll(t *testing.T, e *env) issued {
	phone := newPhone()
	c := e.register(t, phone)

	// Login again by password and by code on fresh clients.
	c2 := e.client(t)
	if _, err := c2.Login(ctx, org.LoginRequest{Login: phone, Password: testPassword}); err != nil {
		t.Fatalf("password login: %v", err)
	}
	err := e.client(t).SendCode(ctx, phone, org.PurposeLogin)
	wantCode(t, err, "code_too_soon") // one code per minute per number (c2, signed in before, has its own count)
	e.clock.Advance(61 * time.Second)
	if err := c2.SendCode(ctx, phone, org.PurposeLogin); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Login(ctx, org.LoginRequest{Login: "+86 " + phone, Code: e.lastCode(t, phone)}); err != nil {
		t.Fatalf("code login: %v", err)
	}
	e.clock.Advance(-61 * time.Second) // back to real time: external validators check OCSP times

	// A certificate needs a verified real name.
	key, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	csrDER, err := pki.NewCSR(key, pkix.Name{CommonName: "ignored: the server names the subject"})
	if err != nil {
		t.Fatal(err)
	}
	csrPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})
	_, err = c.RequestCertificate(ctx, csrPEM)
	wantCode(t, err, "realname_required")

	_, err = c.SubmitRealName(ctx, "张三", "110105194912310021", "dev")
	wantCode(t, err, "bad_id_number")
	_, err = c.SubmitRealName(ctx, "张三", "110105194902300025", "dev") // 30 February
	wantCode(t, err, "bad_id_number")
	v, err := c.SubmitRealName(ctx, "张三", goodID, "dev")
	if err != nil || v.Status != org.StatusApproved || v.IDNumber != "110***********002X" {
		t.Fatalf("dev real name: %+v %v", v, err)
	}
	me, err := c.Me(ctx)
	if err != nil || me.RealName == nil || me.RealName.Name != "张三" || me.PasswordHash != "" {
		t.Fatalf("me: %+v %v", me, err)
	}

	resp, err := c.RequestCertificate(ctx, csrPEM)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := pki.ParseCertsPEM([]byte(resp.Certificate))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := pki.ParseCertsPEM([]byte(resp.Chain))
	if err != nil || len(chain) != 2 {
		t.Fatalf("chain: %d %v", len(chain), err)
	}
	cert := certs[0]
	if cert.Subject.CommonName != "张三" || cert.Subject.SerialNumber != goodID {
		t.Errorf("subject %v", cert.Subject)
	}
	// The dev provider verifies nothing: its identities are self-declared.
	wantSelfDeclared(t, cert, true)
	if !cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
		t.Error("certificate is not for the CSR's key")
	}
	base := e.run.URL
	if e.run.PKIURL != "" {
		base = e.run.PKIURL
	}
	if len(cert.OCSPServer) != 1 || cert.OCSPServer[0] != base+"/ocsp" || len(cert.CRLDistributionPoints) != 1 ||
		cert.CRLDistributionPoints[0] != base+"/ca/crl" || cert.IssuingCertificateURL[0] != base+"/ca/issuing.crt" {
		t.Errorf("AIA/CRL DP: %v %v %v", cert.OCSPServer, cert.CRLDistributionPoints, cert.IssuingCertificateURL)
	}
	// The chain verifies to the root served at /ca/root.pem, for document signing.
	rootPEM, err := c.RootPEM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootPEM)
	inter := x509.NewCertPool()
	inter.AddCert(chain[0])
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}); err != nil {
		t.Fatalf("chain does not verify to the served root: %v", err)
	}
	if !chain[1].Equal(e.run.Server.Root()) {
		t.Error("chain root differs from the served root")
	}
	return issued{env: e, client: c, key: key, cert: cert, chain: chain}
}

func ocspStatus(t *testing.T, e *env, cert, issuer *x509.Certificate, useGet bool) *ocsp.Response {
	t.Helper()
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := e.run.HTTPClient()
	var resp *http.Response
	if useGet {
		// RFC 6960 A.1: base64, then URL-encoded ('/' and '+' occur in base64; an unescaped
		// "//" would be cleaned away by any HTTP router).
		resp, err = hc.Get(e.run.URL + "/ocsp/" + url.PathEscape(base64.StdEncoding.EncodeToString(req)))
	} else {
		resp, err = hc.Post(e.run.URL+"/ocsp", "application/ocsp-request", bytes.NewReader(req))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/ocsp-response" {
		t.Fatalf("ocsp: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r, err := ocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		t.Fatalf("ocsp response does not verify: %v", err)
	}
	return r
}

func TestEndToEndCertificateOCSPRevocation(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			is := enroll(t, e)
			issuer := is.chain[0]
			for _, get := range []bool{false, true} {
				if r := ocspStatus(t, e, is.cert, issuer, get); r.Status != ocsp.Good {
					t.Fatalf("ocsp (get=%v) before revocation: %d, want good", get, r.Status)
				}
			}
			// Someone else cannot revoke it.
			other := e.register(t, newPhone())
			_, err := other.RevokeCertificate(ctx, is.cert.SerialNumber.Text(16), 1)
			wantCode(t, err, "not_found")

			info, err := is.client.RevokeCertificate(ctx, is.cert.SerialNumber.Text(16), 1)
			if err != nil || !info.Revoked {
				t.Fatalf("revoke: %+v %v", info, err)
			}
			r := ocspStatus(t, e, is.cert, issuer, false)
			if r.Status != ocsp.Revoked || r.RevocationReason != 1 {
				t.Fatalf("ocsp after revocation: status %d reason %d", r.Status, r.RevocationReason)
			}
			// At most MaxActiveCertificates valid certificates per person; revoking frees a slot.
			csr := func() []byte {
				k, _ := pki.GenerateKey(pki.ECDSAP256)
				der, _ := pki.NewCSR(k, pkix.Name{})
				return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
			}
			for i := 0; i < server.MaxActiveCertificates; i++ {
				if _, err := is.client.RequestCertificate(ctx, csr()); err != nil {
					t.Fatalf("certificate %d: %v", i+1, err)
				}
			}
			_, err = is.client.RequestCertificate(ctx, csr())
			wantCode(t, err, "too_many_certificates")
			// The CRL lists it and is signed by the issuing CA.
			resp, err := e.run.HTTPClient().Get(e.run.URL + "/ca/crl")
			if err != nil {
				t.Fatal(err)
			}
			der, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			crl, err := x509.ParseRevocationList(der)
			if err != nil || crl.CheckSignatureFrom(issuer) != nil {
				t.Fatalf("crl: %v", err)
			}
			found := false
			for _, rc := range crl.RevokedCertificateEntries {
				found = found || rc.SerialNumber.Cmp(is.cert.SerialNumber) == 0
			}
			if !found {
				t.Error("revoked certificate missing from the crl")
			}
			// An unknown serial is "unknown", not good.
			stranger := &x509.Certificate{SerialNumber: big.NewInt(424242)}
			if r := ocspStatus(t, e, stranger, issuer, false); r.Status != ocsp.Unknown {
				t.Errorf("ocsp for a serial never issued: %d, want unknown", r.Status)
			}

			// The account's scope recorded every step, in order.
			me, _ := is.client.Me(ctx)
			pull, err := is.client.Pull(ctx, org.Scope(me.ID), 0, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, ev := range pull.Events {
				types = append(types, ev.Type)
			}
			want := "account.created realname.updated certificate.issued certificate.revoked" + strings.Repeat(" certificate.issued", server.MaxActiveCertificates)
			if strings.Join(types, " ") != want {
				t.Errorf("events %v, want %s", types, want)
			}
		})
	}
}

func TestTimestampVerifiesWithOpenSSL(t *testing.T) {
	openssl := pkitest.RequireTool(t, "openssl")
	e := start(t, openBolt(t), false)
	dir := t.TempDir()
	data := filepath.Join(dir, "data.txt")
	os.WriteFile(data, []byte("合同内容 "+time.Now().String()), 0o600)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	run("ts", "-query", "-data", data, "-sha256", "-cert", "-out", filepath.Join(dir, "req.tsq"))
	req, _ := os.ReadFile(filepath.Join(dir, "req.tsq"))
	resp, err := e.run.HTTPClient().Post(e.run.URL+"/tsa", "application/timestamp-query", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/timestamp-reply" {
		t.Fatalf("tsa: %d %s", resp.StatusCode, body)
	}
	os.WriteFile(filepath.Join(dir, "resp.tsr"), body, 0o600)
	os.WriteFile(filepath.Join(dir, "root.pem"), e.run.Server.RootPEM(), 0o600)
	issuing, err := e.run.HTTPClient().Get(e.run.URL + "/ca/issuing.crt")
	if err != nil {
		t.Fatal(err)
	}
	der, _ := io.ReadAll(issuing.Body)
	issuing.Body.Close()
	os.WriteFile(filepath.Join(dir, "issuing.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	run("ts", "-verify", "-data", data, "-in", filepath.Join(dir, "resp.tsr"), "-CAfile", filepath.Join(dir, "root.pem"),
		"-untrusted", filepath.Join(dir, "issuing.pem"))
	// A token for other data must not verify.
	other := filepath.Join(dir, "other.txt")
	os.WriteFile(other, []byte("改过的内容"), 0o600)
	if out, err := exec.Command(openssl, "ts", "-verify", "-data", other, "-in", filepath.Join(dir, "resp.tsr"),
		"-CAfile", filepath.Join(dir, "root.pem"), "-untrusted", filepath.Join(dir, "issuing.pem")).CombinedOutput(); err == nil {
		t.Fatalf("openssl verified a token against other data:\n%s", out)
	}
}

// The CA keys survive a restart only with the same master key; a wrong key is refused.
func TestMasterKeyRequiredToReopen(t *testing.T) {
	st := openBolt(t)
	e := start(t, st, false)
	root := e.run.Server.Root()
	e.restart(t, false)
	if !e.run.Server.Root().Equal(root) {
		t.Fatal("restart made a new root")
	}
	e.run.Shutdown(ctx)
	e.key = masterKey()
	run, err := serverStartErr(st, e.key)
	if err == nil {
		run.Shutdown(ctx)
		t.Fatal("a wrong master key opened the CA")
	}
	// The sealed keys are not in clear in the store.
	st.View(ctx, func(tx sync.Tx) error {
		v, _ := tx.Get("ca", "issuing.key")
		if bytes.Contains(v, []byte{0x30, 0x81}) && len(v) < 40 {
			t.Error("issuing key looks unsealed")
		}
		return nil
	})
}
