package server_test

import (
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"path/filepath"
	"sealdesk/core/pdf/render"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/sign"
	"sealdesk/core/verify"
)

// TestReportDeviceLost is 挂失 end to end on a real server (both stores): device A signs a
// contract (timestamped by the server's TSA); the same person, signed in on device B, lists
// the certificates by device and revokes A's; A's next signature is refused by the server's
// check, and a signature A makes offline verifies as revoked (with the revocation time), while
// the earlier, timestamped one stays valid.
func TestReportDeviceLost(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), nil)
			sender, a := newParty(t, e, "王菲菲"), newParty(t, e, "李四")
			// Device B: the same account, another sign-in and its own key and certificate.
			b := e.client(t)
			b.DeviceName = "李四的备用笔记本"
			if _, err := b.Login(ctx, org.LoginRequest{Login: a.phone, Password: testPassword}); err != nil {
				t.Fatal(err)
			}
			keyB, _ := pki.GenerateKey(pki.ECDSAP256)
			csr, _ := pki.NewCSR(keyB, pkix.Name{CommonName: a.name})
			certB, err := b.RequestCertificate(ctx, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))
			if err != nil {
				t.Fatal(err)
			}

			fields := []api.FieldPlacement{{Recipient: 0, Document: 0, Kind: api.FieldSignature, Page: 1, Rect: [4]float64{72, 500, 222, 560}}}
			send := func(subject string) api.Envelope {
				return sendTo(t, sender, subject, []client.NamedFile{{Name: subject + ".pdf", Data: pdfBytes(t, 1, subject)}},
					[]api.Recipient{person(a)}, fields)
			}
			env1 := send("合同一")
			signed1 := signDocument(t, e, a, env1.ID, 0, env1.Documents[0].Fields[0])
			if _, err := a.c.UploadRevision(ctx, client.NewIdempotencyKey(), env1.ID, 0, signed1); err != nil {
				t.Fatalf("A's first signature: %v", err)
			}

			e.clock.Advance(time.Minute)
			list, err := b.Certificates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			serialA := ""
			for _, c := range list {
				switch c.Device {
				case "test desktop of " + a.name:
					serialA = c.Serial
				case b.DeviceName:
					if c.Serial != certB.Serial {
						t.Errorf("device B's certificate %s, issued %s", c.Serial, certB.Serial)
					}
				default:
					t.Errorf("certificate without its device: %+v", c)
				}
			}
			if serialA == "" || len(list) != 2 {
				t.Fatalf("certificates: %+v", list)
			}
			rev, err := b.RevokeCertificate(ctx, serialA, 1) // keyCompromise
			if err != nil || !rev.Revoked || rev.RevokedAt.IsZero() {
				t.Fatalf("revoke: %+v %v", rev, err)
			}
			e.clock.Advance(time.Minute)

			// A's next signature (with a fresh timestamp): refused by the server.
			env2 := send("合同二")
			signed2 := signDocument(t, e, a, env2.ID, 0, env2.Documents[0].Fields[0])
			_, err = a.c.UploadRevision(ctx, client.NewIdempotencyKey(), env2.ID, 0, signed2)
			wantCode(t, err, "revoked_certificate")

			// A signs offline (no timestamp: the signer's clock, after the revocation).
			dir := t.TempDir()
			in, off := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "offline.pdf")
			os.WriteFile(in, pdfBytes(t, 1, "offline"), 0o600)
			if _, err := sign.SignFile(ctx, in, off, &sign.Options{Signer: a.key, Cert: a.cert, Chain: a.chain,
				Page: 1, Rect: sign.VisibleRect{X1: 60, Y1: 200, X2: 180, Y2: 260}, Image: testImage(t, "png"),
				Now: e.clock.Now}); err != nil {
				t.Fatal(err)
			}
			opts := &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(a.chain[len(a.chain)-1]), Online: true, HTTPClient: e.run.HTTPClient(),
				Now: e.clock.Now}
			rep, err := verify.File(ctx, off, opts)
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Signatures[0]
			if s.Revocation != verify.RevocationRevoked || s.Status == verify.StatusValid || s.RevokedAt == "" {
				t.Fatalf("offline signature after 挂失: %s %s revoked at %q %v", s.Revocation, s.Status, s.RevokedAt, s.Reasons)
			}
			// The signature made before, timestamped: still valid, and the report names the later
			// revocation.
			f1 := filepath.Join(dir, "one.pdf")
			os.WriteFile(f1, signed1, 0o600)
			rep, err = verify.File(ctx, f1, opts)
			if err != nil {
				t.Fatal(err)
			}
			s = rep.Signatures[len(rep.Signatures)-1]
			if s.Status != verify.StatusValid || s.Revocation != verify.RevocationGood || s.TimeSource != "timestamp" {
				t.Fatalf("earlier signature after 挂失: %s %s %s %v", s.Status, s.Revocation, s.TimeSource, s.Reasons)
			}
			if s.RevokedAt == "" {
				t.Errorf("the later revocation is not named: %v", s.Reasons)
			}
		})
	}
}
