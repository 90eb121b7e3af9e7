package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/server"
	"sealdesk/core/sync"
)

// counting counts the certificate records read inside Update transactions.
type counting struct {
	sync.Store
	reads atomic.Int64
}

type countingTx struct {
	sync.Tx
	reads *atomic.Int64
}

func (c *counting) Update(ctx context.Context, fn func(sync.Tx) error) error {
	return c.Store.Update(ctx, func(tx sync.Tx) error { return fn(countingTx{tx, &c.reads}) })
}

func (t countingTx) Get(bucket, key string) ([]byte, error) {
	if strings.HasPrefix(bucket, "certificates") {
		t.reads.Add(1)
	}
	return t.Tx.Get(bucket, key)
}

func (t countingTx) Scan(bucket, prefix, after string, limit int, fn func(string, []byte) error) error {
	return t.Tx.Scan(bucket, prefix, after, limit, func(k string, v []byte) error {
		if strings.HasPrefix(bucket, "certificates") {
			t.reads.Add(1)
		}
		return fn(k, v)
	})
}

// Item 7: issuance reads only the account's unrevoked certificates (it used to read every
// certificate the account ever had: 2.9 ms → 138 ms after 1,500), revoking does not give
// issuance back (a quota per period), and expired revocations leave the CRL.
func TestCertificateGrowthBounded(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := &counting{Store: open(t)}
			e := startWith(t, st, true, func(o *server.Options) { o.CertificatesPerPeriod = 1000 })
			c := e.register(t, newPhone())
			if _, err := c.SubmitRealName(ctx, "张三", residentID(7), "dev"); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 30; i++ {
				cert := requestPersonCert(t, c)
				if _, err := c.RevokeCertificate(ctx, strings.ToLower(cert.SerialNumber.Text(16)), 4); err != nil {
					t.Fatal(err)
				}
			}
			requestPersonCert(t, c) // one active
			st.reads.Store(0)
			requestPersonCert(t, c)
			if n := st.reads.Load(); n > 6 {
				t.Errorf("issuance read %d certificate records after 30 issue/revoke cycles, want ≤ 6 (the active ones)", n)
			}
			list, err := c.Certificates(ctx)
			if err != nil || len(list) != 32 {
				t.Errorf("list: %d certificates %v, want 32", len(list), err)
			}
		})
	}
	// The default quota: 10 per 30 days, revoked ones included.
	e := start(t, openBolt(t), true)
	phone := newPhone()
	c := e.register(t, phone)
	if _, err := c.SubmitRealName(ctx, "张三", residentID(8), "dev"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < server.DefaultCertificatesPerPeriod; i++ {
		cert := requestPersonCert(t, c)
		if _, err := c.RevokeCertificate(ctx, strings.ToLower(cert.SerialNumber.Text(16)), 4); err != nil {
			t.Fatal(err)
		}
	}
	crlEntries := func() int {
		resp, err := e.run.HTTPClient().Get(e.run.URL + "/ca/crl")
		if err != nil {
			t.Fatal(err)
		}
		der, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		return len(crl.RevokedCertificateEntries)
	}
	if n := crlEntries(); n != server.DefaultCertificatesPerPeriod {
		t.Errorf("CRL has %d entries, want %d", n, server.DefaultCertificatesPerPeriod)
	}
	_, err := c.RequestCertificate(ctx, csrPEM(t))
	wantCode(t, err, "certificate_limit")
	e.clock.Advance(31 * 24 * time.Hour)
	if _, err := c.Login(ctx, org.LoginRequest{Login: phone, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RequestCertificate(ctx, csrPEM(t)); err != nil {
		t.Fatalf("after the period: %v", err)
	}
	e.clock.Advance(server.PersonCertValidity)
	if n := crlEntries(); n != 0 {
		t.Errorf("CRL still lists %d expired certificates", n)
	}
}

// Item 7: an upload is decoded and re-encoded; bytes behind a valid header are refused, and an
// abandoned verification's uploads are deleted once it expires.
func TestUploadsCleanedAndExpired(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			c := e.register(t, newPhone())
			v, err := c.SubmitRealName(ctx, "张三", residentID(9), "manual")
			if err != nil {
				t.Fatal(err)
			}
			good := testImage(t, "png")
			junk := append(append([]byte{}, good[:33]...), bytes.Repeat([]byte{0x5a}, 5<<20-200)...)
			_, err = c.UploadIDPhoto(ctx, v.ID, "front", junk)
			wantCode(t, err, "photo_type")
			noise := make([]byte, 1<<20)
			for i := range noise {
				noise[i] = byte(rand.Uint32())
			}
			if _, err := c.UploadIDPhoto(ctx, v.ID, "front", append(append([]byte{}, good...), noise...)); err != nil {
				t.Fatal(err)
			}
			var stored []byte
			e.store.View(ctx, func(tx sync.Tx) error {
				return tx.Scan(org.BucketBlobs, "", "", 0, func(_ string, b []byte) error {
					stored = b
					return nil
				})
			})
			if len(stored) == 0 || len(stored) > len(good)+1024 {
				t.Errorf("stored %d bytes for a %d-byte picture with 1 MB appended", len(stored), len(good))
			}
			if _, err := png.Decode(bytes.NewReader(stored)); err != nil {
				t.Errorf("stored photo: %v", err)
			}
			// Abandoned: the back never comes. After the TTL the janitor's pass expires it.
			e.clock.Advance(org.AbandonedUploadTTL + time.Hour)
			n, err := e.run.Server.Org().ExpireAbandoned(ctx, org.AbandonedUploadTTL)
			if err != nil || n != 1 {
				t.Fatalf("expired %d %v, want 1", n, err)
			}
			blobs := 0
			e.store.View(ctx, func(tx sync.Tx) error {
				return tx.Scan(org.BucketBlobs, "", "", 0, func(string, []byte) error { blobs++; return nil })
			})
			if blobs != 0 {
				t.Errorf("%d uploads kept after the verification expired", blobs)
			}
			cur, err := e.run.Server.Org().CurrentVerification(ctx, v.AccountID)
			if err != nil || cur.Status != org.StatusRejected || cur.Reason != "expired" {
				t.Errorf("after expiry: %+v %v", cur, err)
			}
		})
	}
}

// Item 9: the server's TLS certificate is reused across starts (one was written to the store at
// every start), and HTTPS answers carry HSTS.
func TestTLSCertificateReusedAndHSTS(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			serial := func() string {
				conn, err := tls.Dial("tcp", strings.TrimPrefix(e.run.URL, "https://"), &tls.Config{InsecureSkipVerify: true})
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
			}
			tlsRecords := func() int {
				n := 0
				e.store.View(ctx, func(tx sync.Tx) error {
					return tx.Scan("certificates", "", "", 0, func(_ string, v []byte) error {
						var rec server.CertRecord
						json.Unmarshal(v, &rec)
						if rec.Profile == "tls-server" {
							n++
						}
						return nil
					})
				})
				return n
			}
			first, n1 := serial(), tlsRecords()
			for i := 0; i < 3; i++ {
				e.restart(t, true)
			}
			if s := serial(); s != first {
				t.Errorf("TLS certificate changed across restarts: %s → %s", first, s)
			}
			if n := tlsRecords(); n != n1 || n != 1 {
				t.Errorf("%d TLS certificates recorded after 4 starts (%d after the first), want 1", n, n1)
			}
			resp, err := e.run.HTTPClient().Get(e.run.URL + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if h := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
				t.Errorf("HSTS header %q", h)
			}
		})
	}
	// Plain HTTP (the PKI listener, loopback development) sends no HSTS.
	run, err := server.Start(ctx, server.Options{Store: openBolt(t), MasterKey: masterKey()}, server.ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(ctx)
	resp, err := http.Get(run.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("HSTS over plain HTTP: %q", h)
	}
}

func csrPEM(t *testing.T) []byte {
	k, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.NewCSR(k, pkix.Name{})
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}
