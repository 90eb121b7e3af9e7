package server_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/billing"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pki"
	"sealdesk/core/server"
	"sealdesk/core/sync"
)

// faceCheck is a real-name provider that verifies (as a face-scan provider plugged in by a
// deployment would) and approves at once: certificates of its people are not self-declared, so
// their signatures can be "valid and trusted".
type faceCheck struct{}

func (faceCheck) Name() string                           { return "facecheck" }
func (faceCheck) Start(org.Verification) (string, error) { return org.StatusApproved, nil }
func (faceCheck) Verifies() bool                         { return true }

var idSeq struct {
	stdsync.Mutex
	n int
}

// newResidentID makes a valid 18-digit resident ID number (GB 11643 check character) that no
// other test account uses.
func newResidentID() string {
	idSeq.Lock()
	idSeq.n++
	n := idSeq.n
	idSeq.Unlock()
	seq := (int(time.Now().UnixNano()/1000)%900 + n*7) % 1000
	body := fmt.Sprintf("110105%04d%02d%02d%03d", 1950+n%50, 1+n%12, 1+n%28, seq)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// party is a contract party: a logged-in client with a device key and its certificate.
type party struct {
	c     *client.Client
	phone string
	name  string
	key   crypto.Signer
	cert  *x509.Certificate
	chain []*x509.Certificate
}

// startContracts runs a --dev server over st with the facecheck provider.
func startContracts(t testing.TB, st sync.Store, tune func(*server.Options)) *env {
	e := &env{store: st, clock: &clock{}, key: masterKey(), pki: true, tune: func(o *server.Options) {
		o.Providers = append(o.Providers, faceCheck{})
		if tune != nil {
			tune(o)
		}
	}}
	e.restart(t, true)
	return e
}

// newParty registers an account with a verified real name, a device certificate and 50
// documents of personal quota.
func newParty(t testing.TB, e *env, name string) *party { return newPartyWith(t, e, name, 50) }

// newPartyWith is newParty with quota documents of personal quota (0: none).
func newPartyWith(t testing.TB, e *env, name string, quota int) *party {
	phone := newPhone()
	c := e.client(t)
	if err := c.SendCode(ctx, phone, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: e.lastCode(t, phone), Name: name, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitRealName(ctx, name, newResidentID(), "facecheck"); err != nil {
		t.Fatal(err)
	}
	key, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := pki.NewCSR(key, pkix.Name{CommonName: name})
	if err != nil {
		t.Fatal(err)
	}
	c.DeviceName = "test desktop of " + name
	resp, err := c.RequestCertificate(ctx, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))
	if err != nil {
		t.Fatal(err)
	}
	certs, err := pki.ParseCertsPEM([]byte(resp.Certificate))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := pki.ParseCertsPEM([]byte(resp.Chain))
	if err != nil {
		t.Fatal(err)
	}
	c.DeviceName = "test desktop of " + name
	if quota > 0 {
		me, err := c.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.Update(ctx, func(tx sync.Tx) error {
			return billing.Credit(tx, billing.Personal(me.ID), "test-order-"+me.ID, quota, 365*24*time.Hour, e.clock.Now())
		}); err != nil {
			t.Fatal(err)
		}
	}
	return &party{c: c, phone: phone, name: name, key: key, cert: certs[0], chain: chain}
}

// pdfBytes is a small valid PDF with pages pages of text.
func pdfBytes(t testing.TB, pages int, text string) []byte {
	return pdfBytesPage(t, pages, text, "/MediaBox [0 0 595 842]")
}

// pdfBytesPage is pdfBytes with page as the pages' size entries (/MediaBox, /UserUnit).
func pdfBytesPage(t testing.TB, pages int, text, page string) []byte {
	var objs []string
	kids := []string{}
	for i := 0; i < pages; i++ {
		kids = append(kids, fmt.Sprintf("%d 0 R", 4+2*i))
	}
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>", fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), pages),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for i := 0; i < pages; i++ {
		s := fmt.Sprintf("BT /F1 20 Tf 72 720 Td (%s page %d) Tj ET", text, i+1)
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R %s /Contents %d 0 R /Resources << /Font << /F1 3 0 R >> >> >>", page, 5+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(s), s))
	}
	return pdftest.Classic(objs...)
}

// bigPDF is a valid one-page PDF padded to about size bytes with an unused stream.
func bigPDF(t testing.TB, size int) []byte {
	base := pdfBytes(t, 1, "big")
	pad := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	// Insert an unreferenced object before the xref: rebuild with an extra object.
	i := bytes.Index(base, []byte("xref\n"))
	obj := fmt.Sprintf("99 0 obj\n<< /Length %d >>\nstream\n", len(pad))
	var b bytes.Buffer
	b.Write(base[:i])
	b.WriteString(obj)
	b.Write(pad)
	b.WriteString("\nendstream\nendobj\n")
	shift := b.Len() - i
	// Re-point startxref.
	rest := string(base[i:])
	k := strings.LastIndex(rest, "startxref\n")
	var old int
	fmt.Sscanf(rest[k+len("startxref\n"):], "%d", &old)
	rest = rest[:k] + fmt.Sprintf("startxref\n%d\n%%%%EOF\n", old+shift)
	b.WriteString(rest)
	return b.Bytes()
}

func jpegBytes(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeTemp(t testing.TB, name string, b []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
