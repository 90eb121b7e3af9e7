package server_test

import (
	"context"
	"crypto"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sealdesk/core/pdf/render"
	"slices"
	"strings"
	"testing"

	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/server"
	"sealdesk/core/sign"
	"sealdesk/core/tsa"
	"sealdesk/core/verify"
)

// onePagePDF writes a small valid one-page PDF.
func onePagePDF(t *testing.T, path string) {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		"",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	stream := "BT /F1 24 Tf 72 720 Td (SealDesk contract) Tj ET"
	objs[3] = fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream)
	if err := os.WriteFile(path, pdftest.Classic(objs...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// register → verify → CSR → certificate → sign a PDF with it (timestamp and revocation data from
// the same server) → our verifier and poppler's pdfsig accept it with the server's root.
func TestEndToEndSignPDF(t *testing.T) {
	e := &env{store: openBolt(t), clock: &clock{}, key: masterKey()}
	// The API over HTTPS; OCSP, CRL and CA certificates also on a plain-HTTP PKI listener that
	// the certificates point at, because PDF validators (NSS included) fetch them over HTTP.
	run, err := server.Start(ctx, server.Options{Store: e.store, MasterKey: e.key, Dev: true, Now: e.clock.Now},
		server.ListenOptions{TLS: true, PKIAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	e.run = run
	t.Cleanup(func() { run.Shutdown(ctx) })
	is := enroll(t, e)

	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "signed.pdf")
	onePagePDF(t, in)
	res, err := sign.SignFile(context.Background(), in, out, &sign.Options{
		Signer: is.key.(crypto.Signer), Cert: is.cert, Chain: is.chain,
		Page: 1, Rect: sign.VisibleRect{X1: 72, Y1: 600, X2: 272, Y2: 680},
		Level:       sign.LevelBLT,
		Timestamper: &tsa.Client{URL: is.client.TSAURL(), HTTP: run.HTTPClient()},
		Revocation:  &sign.HTTPRevocation{},
		Reason:      "同意", Location: "北京",
	})
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	t.Logf("signed: %+v", res)
	if !strings.HasPrefix(run.PKIURL, "http://127.0.0.1:") || is.cert.OCSPServer[0] != run.PKIURL+"/ocsp" {
		t.Fatalf("certificate points at %v, pki listener %s", is.cert.OCSPServer, run.PKIURL)
	}
	// The PKI listener serves only the public PKI routes.
	if resp, err := http.Get(run.PKIURL + "/api/v1/me"); err != nil || resp.StatusCode != 404 {
		t.Errorf("api on the pki listener: %v %v", resp.StatusCode, err)
	}
	if resp, err := http.Get(run.PKIURL + "/ca/root.pem"); err != nil || resp.StatusCode != 200 {
		t.Errorf("root on the pki listener: %v", err)
	}

	rep, err := verify.File(context.Background(), out, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(run.Server.Root())})
	if err != nil {
		t.Fatal(err)
	}
	// --dev verifies no identity: the certificate is self-declared, which no anchor makes
	// trusted (SPEC §7, one rule for the desktop and sealctl): intact, timestamped, untrusted.
	if rep.Verdict != "untrusted" || len(rep.Signatures) == 0 {
		t.Fatalf("our verifier: verdict %s: %+v", rep.Verdict, rep.Signatures)
	}
	sig := rep.Signatures[0]
	if sig.Signer.Name != "张三" || sig.Integrity != "valid" || !slices.Contains(sig.Reasons, verify.ReasonSelfDeclared) ||
		sig.TimeSource != "timestamp" || !sig.Timestamp.Valid {
		t.Errorf("signature report: %+v", sig)
	}
	if sig.Revocation != "good" {
		t.Errorf("revocation from the embedded OCSP answer: %q", sig.Revocation)
	}
	// Without the server's root it is not trusted.
	if rep2, err := verify.File(context.Background(), out, &verify.Options{Renderer: render.Shared()}); err != nil || rep2.Verdict != "untrusted" {
		t.Errorf("without trust anchors: %v %v", rep2.Verdict, err)
	}

	pkitest.RequireTool(t, "pdfsig")
	pkitest.RequireTool(t, "certutil")
	nss := filepath.Join(dir, "nss")
	os.MkdirAll(nss, 0o700)
	rootPEM := filepath.Join(dir, "root.pem")
	os.WriteFile(rootPEM, run.Server.RootPEM(), 0o600)
	for _, args := range [][]string{
		{"-N", "--empty-password", "-d", "sql:" + nss},
		{"-A", "-n", "sealdesk-server-root", "-t", "CT,C,C", "-i", rootPEM, "-d", "sql:" + nss},
	} {
		if b, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, b)
		}
	}
	cmd := exec.Command("pdfsig", "-nssdir", "sql:"+nss, out)
	b, _ := cmd.CombinedOutput()
	report := string(b)
	if !strings.Contains(report, "Signature Validation: Signature is Valid.") || !strings.Contains(report, "Certificate Validation: Certificate is Trusted.") {
		t.Fatalf("pdfsig does not accept the signature:\n%s", report)
	}
	if !strings.Contains(report, "张三") {
		t.Errorf("pdfsig does not show the signer:\n%s", report)
	}
}
