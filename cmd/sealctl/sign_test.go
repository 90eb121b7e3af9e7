package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sealdesk/core/pdf/render"
	"strings"
	"testing"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/tsa"
	"sealdesk/core/verify"
)

// minimalPDF is a one-page PDF with a classic xref table.
func minimalPDF() []byte {
	return pdftest.Classic(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Rotate 90 >>",
	)
}

func cli(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := realMain(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSignCommand(t *testing.T) {
	p := pkitest.New(t, nil)
	a, err := tsa.New(tsa.Options{Cert: p.TSA, Key: p.TSAKey, Chain: p.Chain})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	dir := t.TempDir()
	w := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	in := w("in.pdf", minimalPDF())
	cert, key := p.Leaf(t, "李四", pki.RSA2048)
	keyPEM, _ := pki.MarshalPrivateKeyPEM(key)
	certF, keyF := w("cert.pem", pki.EncodeCertsPEM(cert)), w("key.pem", keyPEM)
	chainF := w("chain.pem", pki.EncodeCertsPEM(p.Chain...))
	p12, err := pkcs12.Modern.Encode(key, cert, p.Chain, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	p12F := w("id.p12", p12)
	_ = rand.Reader

	// Pre-placed field, then a PKCS#12 signer fills it (certifying, B-T), then a PEM signer
	// adds a new visible B-B signature, then the file is upgraded to B-LTA.
	placed := filepath.Join(dir, "placed.pdf")
	placed0 := filepath.Join(dir, "placed0.pdf")
	if code, _, errs := cli("fields", "add", "--in", in, "--out", placed0, "--name", "甲方", "--page", "1", "--rect", "100,100,200,200"); code != 0 {
		t.Fatalf("fields add: %d %s", code, errs)
	}
	if code, _, errs := cli("fields", "add", "--in", placed0, "--out", placed, "--name", "乙方", "--page", "1", "--rect", "300,300,400,400"); code != 0 {
		t.Fatalf("fields add: %d %s", code, errs)
	}
	t.Setenv("P12PASS", "s3cret")
	s1 := filepath.Join(dir, "s1.pdf")
	if code, out, errs := cli("sign", "--in", placed, "--out", s1, "--p12", p12F, "--pass-env", "P12PASS", "--field", "甲方",
		"--tsa", srv.URL, "--level", "B-T", "--certify", "p2", "--reason", "同意", "--caption", "李四|2026-03-01"); code != 0 {
		t.Fatalf("sign p12: %d %s %s", code, out, errs)
	}
	s2 := filepath.Join(dir, "s2.pdf")
	// After certification a new visible field is refused; the pre-placed one is signed.
	if code, _, errs := cli("sign", "--in", s1, "--out", s2, "--cert", certF, "--key", keyF, "--chain", chainF,
		"--page", "1", "--rect", "300,300,400,400"); code != 1 || !strings.Contains(errs, "certified") {
		t.Fatalf("new visible field after certification: %d %s", code, errs)
	}
	if code, out, errs := cli("sign", "--in", s1, "--out", s2, "--cert", certF, "--key", keyF, "--chain", chainF,
		"--field", "乙方"); code != 0 {
		t.Fatalf("sign pem: %d %s %s", code, out, errs)
	}
	s3 := filepath.Join(dir, "s3.pdf")
	if code, out, errs := cli("sign", "--upgrade", "--in", s2, "--out", s3, "--level", "B-LTA", "--tsa", srv.URL); code != 0 {
		t.Fatalf("upgrade: %d %s %s", code, out, errs)
	}
	rep, err := verify.File(context.Background(), s3, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(p.Root)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != "valid" || len(rep.Signatures) != 3 {
		t.Fatalf("verdict %s with %d signatures: %+v", rep.Verdict, len(rep.Signatures), rep.Signatures)
	}
	if rep.Signatures[0].Kind != "certification" || rep.Signatures[0].Field != "甲方" {
		t.Errorf("first signature %s in %q", rep.Signatures[0].Kind, rep.Signatures[0].Field)
	}

	// An encrypted input is refused with the Chinese message, and nothing is written.
	if _, err := exec.LookPath("qpdf"); err == nil {
		enc := filepath.Join(dir, "enc.pdf")
		if out, err := exec.Command("qpdf", "--encrypt", "u", "o", "256", "--", in, enc).CombinedOutput(); err != nil {
			t.Fatalf("qpdf: %v %s", err, out)
		}
		encOut := filepath.Join(dir, "enc-signed.pdf")
		code, _, errs := cli("sign", "--in", enc, "--out", encOut, "--cert", certF, "--key", keyF)
		if code != 1 || !strings.Contains(errs, "加密文档无法签署") {
			t.Errorf("encrypted input: exit %d %s", code, errs)
		}
		if _, err := os.Stat(encOut); !os.IsNotExist(err) {
			t.Error("output written for an encrypted input")
		}
	}

	// Usage errors and a wrong password.
	for _, args := range [][]string{
		{"sign"},
		{"sign", "--in", in, "--out", s1},
		{"sign", "--in", in, "--out", s1, "--cert", certF, "--key", keyF, "--level", "B-X"},
		{"sign", "--in", in, "--out", s1, "--cert", certF, "--key", keyF, "--rect", "1,2,3"},
		{"fields", "add", "--in", in},
	} {
		if code, _, _ := cli(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	t.Setenv("P12PASS", "wrong")
	if code, _, errs := cli("sign", "--in", in, "--out", filepath.Join(dir, "x.pdf"), "--p12", p12F, "--pass-env", "P12PASS"); code != 2 || !strings.Contains(errs, "PKCS#12") {
		t.Errorf("wrong password: exit %d %s", code, errs)
	}
}
