package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sealdesk/core/pdf/render"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pki"
	"sealdesk/core/sign"
	"sealdesk/core/verify"
)

// signer is a registered account with a device key and its certificate (dev real name).
type signer struct {
	c     *client.Client
	phone string
	key   crypto.Signer
	cert  []byte
}

func newSigner(t *testing.T, url, phone string) *signer {
	c := register(t, url, http.DefaultClient, phone)
	ctx := context.Background()
	ids := map[string]string{"13700000001": "11010519491231002X", "13700000002": "110105195001011234"}
	if _, err := c.SubmitRealName(ctx, "签署人", ids[phone], "dev"); err != nil {
		t.Fatal(err)
	}
	key, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	csr, _ := pki.NewCSR(key, pkix.Name{CommonName: "x"})
	resp, err := c.RequestCertificate(ctx, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))
	if err != nil {
		t.Fatal(err)
	}
	return &signer{c: c, phone: phone, key: key, cert: []byte(resp.Certificate + resp.Chain)}
}

// paddedPDF is a one-page PDF of about size bytes (an unreferenced stream pads it).
func paddedPDF(size int) []byte {
	pad := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	s := "BT /F1 20 Tf 72 720 Td (kill -9 contract) Tj ET"
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(s), s), "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(pad), pad)}
	return pdftest.Classic(objs...)
}

// signedRevision downloads the current document and signs it as s in a new box named field.
func signedRevision(t *testing.T, s *signer, id, field string) []byte {
	ctx := context.Background()
	cur, err := s.c.EnvelopeDocument(ctx, id, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	os.WriteFile(in, cur, 0o600)
	certs, err := pki.ParseCertsPEM(s.cert)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.SignFile(ctx, in, out, &sign.Options{Signer: s.key, Cert: certs[0], Chain: certs[1:], Field: field,
		Page: 1, Rect: sign.VisibleRect{X1: 72, Y1: 300, X2: 200, Y2: 360}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	return b
}

// slowBody hands out its bytes in small pieces with pauses, and closes half once half is sent.
type slowBody struct {
	b    []byte
	off  int
	half chan struct{}
}

func (s *slowBody) Read(p []byte) (int, error) {
	if s.off >= len(s.b) {
		return 0, io.EOF
	}
	if s.off > len(s.b)/2 && s.half != nil {
		close(s.half)
		s.half = nil
		time.Sleep(2 * time.Second) // the server is killed while it waits for the rest
	}
	n := copy(p[:min(len(p), 256<<10)], s.b[s.off:])
	s.off += n
	time.Sleep(10 * time.Millisecond)
	return n, nil
}

// kill -9 of the real server process during signature uploads: once while the body is arriving,
// once just after it arrived (while the server verifies and commits, or just after). Each upload
// is retried with its idempotency key after a restart; afterwards every signature was applied
// exactly once, the hash chain of the steps is unbroken, and the contract completes with valid
// documents (the completion itself may be interrupted too: the restarted server finishes it).
func TestContractKill9DuringSignatureUpload(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, "bolt:"+filepath.Join(dir, "server.db"), "--free-contracts", "--master-key-file", filepath.Join(dir, "master.key"))
	ctx := context.Background()
	a := register(t, c.url, http.DefaultClient, "13700000009")
	b, d := newSigner(t, c.url, "13700000001"), newSigner(t, c.url, "13700000002")
	ref, err := a.UploadBlob(ctx, paddedPDF(8<<20))
	if err != nil {
		t.Fatal(err)
	}
	env, err := a.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "断电测试", Order: api.OrderSequential,
		Files:      []api.FileRef{{Name: "big.pdf", SHA256: ref.SHA256}},
		Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: "签署人", Phone: b.phone}, {Kind: api.RecipientPerson, Name: "签署人", Phone: d.phone}}})
	if err != nil {
		t.Fatal(err)
	}

	// 1. B's upload: the server dies while the body is half-way.
	revB := signedRevision(t, b, env.ID, "R1.sig1")
	keyB := client.NewIdempotencyKey()
	half := make(chan struct{})
	go func() {
		req, _ := http.NewRequest("POST", c.url+"/api/v1/envelopes/"+env.ID+"/documents/0/revisions", &slowBody{b: revB, half: half})
		req.Header.Set("Authorization", "Bearer "+b.c.Token)
		req.Header.Set("Idempotency-Key", keyB)
		req.ContentLength = int64(len(revB))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-half
	c.kill()
	c.start()
	got, err := b.c.UploadRevision(ctx, keyB, env.ID, 0, revB)
	if err != nil || got.Recipients[0].State != api.RecipientSigned {
		t.Fatalf("B's retry after the kill: %v", err)
	}

	// 2. D's upload: the server dies shortly after the whole body was sent.
	revD := signedRevision(t, d, env.ID, "R2.sig1")
	keyD := client.NewIdempotencyKey()
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.c.UploadRevision(ctx, keyD, env.ID, 0, revD)
	}()
	time.Sleep(400 * time.Millisecond)
	c.kill()
	<-done
	c.start()
	got, err = d.c.UploadRevision(ctx, keyD, env.ID, 0, revD)
	if err != nil {
		t.Fatalf("D's retry after the kill: %v", err)
	}
	// The completion may have been cut short: the restarted server's janitor finishes it.
	deadline := time.Now().Add(60 * time.Second)
	for got.Status != api.EnvelopeCompleted && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		if got, err = a.Envelope(ctx, env.ID); err != nil {
			t.Fatal(err)
		}
	}
	if got.Status != api.EnvelopeCompleted {
		t.Fatalf("status %s after the kills", got.Status)
	}
	// Exactly once: one signed step per signer, each starting where the last one ended.
	var signed []api.Step
	for _, st := range got.Steps {
		if st.Action == "signed" {
			signed = append(signed, st)
		}
	}
	if len(signed) != 2 || signed[0].Before != got.Documents[0].Sent || signed[1].Before != signed[0].After {
		t.Fatalf("signed steps: %+v", signed)
	}
	// A retry now changes nothing.
	if again, err := b.c.UploadRevision(ctx, keyB, env.ID, 0, revB); err != nil || len(again.Steps) != len(got.Steps) {
		t.Errorf("late retry: %v", err)
	}
	final, err := a.EnvelopeDocument(ctx, env.ID, 0, client.VersionFinal)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(final, revD) {
		t.Error("the final document does not extend D's revision")
	}
	rep, err := verify.Verify(ctx, bytes.NewReader(final), int64(len(final)), "final.pdf", &verify.Options{Renderer: render.Shared()})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Signatures {
		if s.Integrity != "valid" || s.ChangesAfter == "disallowed" {
			t.Errorf("signature %s: %s %s %v", s.Field, s.Integrity, s.ChangesAfter, s.Changes)
		}
	}
	if len(rep.Signatures) != 4 { // the server's, B's, D's, the document timestamp
		t.Errorf("%d signatures in the final document", len(rep.Signatures))
	}
	if log, _ := os.ReadFile(c.log); strings.Contains(string(log), "panic") {
		t.Errorf("server log:\n%s", log)
	}
}
