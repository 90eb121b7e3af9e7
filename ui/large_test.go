package ui

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"os"
	"path/filepath"
	"sealdesk/core/pdf/render"
	"testing"
	"time"

	"sealdesk/core/keystore"
	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/sign"
	"sealdesk/core/verify"
)

// writeLargePDF writes a one-page PDF carrying an image XObject of n random bytes (so the file
// is about n bytes and nothing compresses it away).
func writeLargePDF(t testing.TB, n int) string {
	t.Helper()
	side := 1
	for side*side*3 < n {
		side++
	}
	data := make([]byte, side*side*3)
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "large.pdf")
	doc := pdftest.Classic(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
		pdftest.Stream("q 400 0 0 400 97 300 cm /Im1 Do Q", ""),
		pdftest.Stream(string(data), fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8", side, side)),
	)
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLargeFileSignAndVerify signs and verifies a 45 MB PDF the way the screens do (off the UI
// goroutine) and reports the times. Behind SEALDESK_LONG.
func TestLargeFileSignAndVerify(t *testing.T) {
	if os.Getenv("SEALDESK_LONG") == "" {
		t.Skip("set SEALDESK_LONG=1 to sign and verify a 45 MB file")
	}
	now := time.Now()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	in := writeLargePDF(t, 45<<20)
	ks := keystore.New(&memKeys{}, nil)
	info, err := ks.Generate("135790")
	if err != nil {
		t.Fatal(err)
	}
	ca := newTestCA(t, p)
	csr, _ := ks.CSR(info.ID, "135790", pkixName("张三"))
	chain, err := ca.Certify(context.Background(), csr, "张三", "11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	ks.SetCertificate(info.ID, chain)
	info, _ = ks.Info(info.ID)
	out := filepath.Join(t.TempDir(), "large-signed.pdf")
	start := time.Now()
	signer, err := ks.Unlock(info.ID, "135790")
	if err != nil {
		t.Fatal(err)
	}
	stamped, err := signWithSigner(context.Background(), signer, in, out, &sign.Options{Cert: info.Certificate, Chain: info.Chain,
		Page: 1, Rect: sign.VisibleRect{X1: 100, Y1: 100, X2: 250, Y2: 160}, Image: drawnSignature(t).PNG}, ca.Timestamper())
	if err != nil || !stamped {
		t.Fatalf("sign: %v stamped %v", err, stamped)
	}
	signTime := time.Since(start)
	start = time.Now()
	rep, err := verify.File(context.Background(), out, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore([]*x509.Certificate{p.Root}...)})
	if err != nil || rep.Verdict != verify.StatusValid {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	st, _ := os.Stat(out)
	t.Logf("%.1f MB: sign (with PIN unlock and TSA) %v, verify %v", float64(st.Size())/(1<<20), signTime, time.Since(start))
}

func pkixName(cn string) pkix.Name { return pkix.Name{CommonName: cn} }
