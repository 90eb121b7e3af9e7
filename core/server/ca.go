package server

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	stdsync "sync"
	"time"

	"sealdesk/core/pki"
	"sealdesk/core/sync"
)

// Buckets of the CA.
const (
	bucketCA      = "ca"
	bucketCerts   = "certificates"
	bucketCertsBy = "certificates_by_account"
	// bucketCertsActive indexes the unrevoked person certificates by account
	// ("<account>/<serial>" → activeCert), so issuance reads only those, not every certificate
	// the account ever had.
	bucketCertsActive = "certificates_active"
)

// activeCert is the index entry of an unrevoked person certificate.
type activeCert struct {
	NotAfter time.Time `json:"not_after"`
}

// CertRecord is what the server remembers of a certificate it issued.
type CertRecord struct {
	Serial    string    `json:"serial"` // lower-case hex
	AccountID string    `json:"account_id,omitempty"`
	Profile   string    `json:"profile"`
	Subject   string    `json:"subject"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Revoked   bool      `json:"revoked,omitempty"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Reason    int       `json:"reason,omitempty"`
	DER       []byte    `json:"der"`
	// Device is the device the person named when requesting it (see api.CertificateRequest).
	Device string `json:"device,omitempty"`
}

// authority is the server's CA: a root, an issuing CA under it (which signs person, TLS and TSA
// certificates, CRLs and OCSP responses) and the TSA's key. Keys are kept sealed in the store.
type authority struct {
	store      sync.Store
	keys       *keyring
	root       *x509.Certificate
	issuing    *x509.Certificate
	issuingKey crypto.Signer
	tsaCert    *x509.Certificate
	tsaKey     crypto.Signer
	baseURL    string
	now        func() time.Time

	crlMu      stdsync.Mutex
	crl        []byte
	crlExpires time.Time

	serialMu   stdsync.Mutex
	serialNext int64
	serialEnd  int64
}

const tsaSerialBlock = 1000

func serialHex(n *big.Int) string { return strings.ToLower(n.Text(16)) }

// loadAuthority reads the CA from the store, creating it on first start. Several processes may
// race here: the store's serializable transactions make exactly one creation win.
func loadAuthority(ctx context.Context, st sync.Store, master []byte, org string, now func() time.Time) (*authority, error) {
	var salt []byte
	err := st.Update(ctx, func(tx sync.Tx) error {
		s, err := tx.Get(bucketCA, "salt")
		if errors.Is(err, sync.ErrNotFound) {
			s = make([]byte, 16)
			if _, err := rand.Read(s); err != nil {
				return err
			}
			err = tx.Put(bucketCA, "salt", s)
		}
		salt = s
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read ca salt: %w", err)
	}
	keys, err := newKeyring(master, salt)
	if err != nil {
		return nil, err
	}
	a := &authority{store: st, keys: keys, now: now}
	err = st.Update(ctx, func(tx sync.Tx) error {
		check, err := tx.Get(bucketCA, "check")
		if err == nil {
			if _, err := keys.open("check", check); err != nil {
				return err
			}
			if err := indexActive(tx, now().UTC()); err != nil {
				return err
			}
			return a.load(tx)
		}
		if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		return a.create(tx, org)
	})
	if err != nil {
		return nil, fmt.Errorf("failed to load the certificate authority: %w", err)
	}
	return a, nil
}

func (a *authority) create(tx sync.Tx, org string) error {
	now := a.now().UTC()
	if org == "" {
		org = "SealDesk"
	}
	rootKey, err := pki.GenerateKey(pki.ECDSAP384)
	if err != nil {
		return err
	}
	root, err := pki.SelfSign(rootKey, pkix.Name{Country: []string{"CN"}, Organization: []string{org}, CommonName: org + " Root CA"},
		now.Add(-time.Hour), now.AddDate(20, 0, 0))
	if err != nil {
		return err
	}
	issKey, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		return err
	}
	iss, err := pki.Issue(pki.Issuer{Cert: root, Key: rootKey}, pki.Request{Profile: pki.ProfileIntermediateCA, PublicKey: issKey.Public(),
		Subject:   pkix.Name{Country: []string{"CN"}, Organization: []string{org}, CommonName: org + " Issuing CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0)})
	if err != nil {
		return err
	}
	tsaKey, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		return err
	}
	tsaCert, err := pki.Issue(pki.Issuer{Cert: iss, Key: issKey}, pki.Request{Profile: pki.ProfileTSA, PublicKey: tsaKey.Public(),
		Subject:   pkix.Name{Country: []string{"CN"}, Organization: []string{org}, CommonName: org + " Timestamp Authority"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(5, 0, 0)})
	if err != nil {
		return err
	}
	check, err := a.keys.seal("check", []byte("sealdesk"))
	if err != nil {
		return err
	}
	if err := tx.Put(bucketCA, "check", check); err != nil {
		return err
	}
	for name, k := range map[string]crypto.Signer{"root.key": rootKey, "issuing.key": issKey, "tsa.key": tsaKey} {
		if err := a.putKey(tx, name, k); err != nil {
			return err
		}
	}
	for name, c := range map[string]*x509.Certificate{"root.crt": root, "issuing.crt": iss, "tsa.crt": tsaCert} {
		if err := tx.Put(bucketCA, name, c.Raw); err != nil {
			return err
		}
	}
	if err := recordCert(tx, tsaCert, "", pki.ProfileTSA); err != nil {
		return err
	}
	if err := tx.Put(bucketCA, "index.active.v1", []byte("1")); err != nil {
		return err
	}
	if err := sync.Audit(tx, sync.AuditEntry{Time: now, Actor: "system", Action: "ca.create", Target: serialHex(root.SerialNumber)}); err != nil {
		return err
	}
	return a.load(tx)
}

func (a *authority) putKey(tx sync.Tx, name string, k crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return err
	}
	sealed, err := a.keys.seal("ca/"+name, der)
	if err != nil {
		return err
	}
	return tx.Put(bucketCA, name, sealed)
}

func (a *authority) getKey(tx sync.Tx, name string) (crypto.Signer, error) {
	sealed, err := tx.Get(bucketCA, name)
	if err != nil {
		return nil, err
	}
	der, err := a.keys.open("ca/"+name, sealed)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("stored key %s is not a signer", name)
	}
	return s, nil
}

func getCert(tx sync.Tx, name string) (*x509.Certificate, error) {
	der, err := tx.Get(bucketCA, name)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func (a *authority) load(tx sync.Tx) error {
	var err error
	if a.root, err = getCert(tx, "root.crt"); err != nil {
		return err
	}
	if a.issuing, err = getCert(tx, "issuing.crt"); err != nil {
		return err
	}
	if a.tsaCert, err = getCert(tx, "tsa.crt"); err != nil {
		return err
	}
	if a.issuingKey, err = a.getKey(tx, "issuing.key"); err != nil {
		return err
	}
	a.tsaKey, err = a.getKey(tx, "tsa.key")
	return err
}

func (a *authority) issuer() pki.Issuer {
	return pki.Issuer{Cert: a.issuing, Key: a.issuingKey, OCSPURL: a.baseURL + "/ocsp",
		CAIssuerURL: a.baseURL + "/ca/issuing.crt", CRLURL: a.baseURL + "/ca/crl"}
}

func recordCert(tx sync.Tx, c *x509.Certificate, accountID string, p pki.Profile) error {
	return recordCertOn(tx, c, accountID, p, "")
}

// recordCertOn is recordCert naming the device that holds the key.
func recordCertOn(tx sync.Tx, c *x509.Certificate, accountID string, p pki.Profile, device string) error {
	rec := CertRecord{Serial: serialHex(c.SerialNumber), AccountID: accountID, Profile: p.String(), Subject: c.Subject.String(),
		NotBefore: c.NotBefore, NotAfter: c.NotAfter, DER: c.Raw, Device: device}
	if err := sync.InsertJSON(tx, bucketCerts, rec.Serial, rec); err != nil {
		return err
	}
	if accountID != "" {
		if err := sync.PutJSON(tx, bucketCertsActive, accountID+"/"+rec.Serial, activeCert{NotAfter: rec.NotAfter}); err != nil {
			return err
		}
		return tx.Put(bucketCertsBy, accountID+"/"+rec.Serial, nil)
	}
	return nil
}

// indexActive builds bucketCertsActive from the certificates issued before it existed (once per
// store, marked in the CA bucket).
func indexActive(tx sync.Tx, now time.Time) error {
	if _, err := tx.Get(bucketCA, "index.active.v1"); err == nil {
		return nil
	} else if !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	var keys []string
	if err := tx.Scan(bucketCertsBy, "", "", 0, func(k string, _ []byte) error {
		keys = append(keys, k)
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		acct, serial, ok := strings.Cut(k, "/")
		if !ok {
			continue
		}
		var rec CertRecord
		if err := sync.GetJSON(tx, bucketCerts, serial, &rec); err != nil {
			return err
		}
		if !rec.Revoked && now.Before(rec.NotAfter) {
			if err := sync.PutJSON(tx, bucketCertsActive, acct+"/"+serial, activeCert{NotAfter: rec.NotAfter}); err != nil {
				return err
			}
		}
	}
	return tx.Put(bucketCA, "index.active.v1", []byte("1"))
}

// tlsRenewBefore is how long before its end a stored TLS certificate is replaced.
const tlsRenewBefore = 30 * 24 * time.Hour

// storedTLS is the server's TLS certificate kept in the CA bucket, its key sealed.
type storedTLS struct {
	DER []byte `json:"der"`
	Key []byte `json:"key"` // sealed PKCS #8
}

// tlsCertificate returns the TLS server certificate for hosts (names or IP addresses): the one
// stored for the same hosts if it was issued by the current issuing CA and has more than
// tlsRenewBefore left, else a new one, which is stored for the next start. A restart therefore
// does not add a certificate to the store, and clients see the same certificate.
func (a *authority) tlsCertificate(ctx context.Context, hosts []string) (*x509.Certificate, crypto.Signer, error) {
	sorted := append([]string(nil), hosts...)
	slices.Sort(sorted)
	name := "tls/" + strings.Join(slices.Compact(sorted), ",")
	if len(name) > sync.MaxKeyLen {
		name = name[:sync.MaxKeyLen]
	}
	var cert *x509.Certificate
	var key crypto.Signer
	err := a.store.Update(ctx, func(tx sync.Tx) error {
		cert, key = nil, nil
		var st storedTLS
		err := sync.GetJSON(tx, bucketCA, name, &st)
		if err == nil {
			c, cerr := x509.ParseCertificate(st.DER)
			der, kerr := a.keys.open("ca/"+name, st.Key)
			if cerr == nil && kerr == nil && c.CheckSignatureFrom(a.issuing) == nil && a.now().Add(tlsRenewBefore).Before(c.NotAfter) {
				if k, perr := x509.ParsePKCS8PrivateKey(der); perr == nil {
					if signer, ok := k.(crypto.Signer); ok {
						cert, key = c, signer
						return nil
					}
				}
			}
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		k, err := pki.GenerateKey(pki.ECDSAP256)
		if err != nil {
			return err
		}
		req := pki.Request{Profile: pki.ProfileTLSServer, PublicKey: k.Public(), Subject: pkix.Name{CommonName: hosts[0]},
			NotBefore: a.now().Add(-time.Hour), NotAfter: a.now().AddDate(1, 0, 0)}
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				req.IPAddresses = append(req.IPAddresses, ip)
			} else {
				req.DNSNames = append(req.DNSNames, h)
			}
		}
		c, err := pki.Issue(a.issuer(), req)
		if err != nil {
			return err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return err
		}
		sealed, err := a.keys.seal("ca/"+name, der)
		if err != nil {
			return err
		}
		if err := sync.PutJSON(tx, bucketCA, name, storedTLS{DER: c.Raw, Key: sealed}); err != nil {
			return err
		}
		cert, key = c, k
		return recordCert(tx, c, "", pki.ProfileTLSServer)
	})
	return cert, key, err
}

// nextTSASerial hands out TSA serial numbers: blocks of tsaSerialBlock are reserved in the store,
// so numbers are unique across processes and strictly increasing within one.
func (a *authority) nextTSASerial() (*big.Int, error) {
	a.serialMu.Lock()
	defer a.serialMu.Unlock()
	if a.serialNext >= a.serialEnd {
		var block int64
		err := a.store.Update(context.Background(), func(tx sync.Tx) error {
			block = 0
			if err := sync.GetJSON(tx, bucketCA, "tsa.serial_block", &block); err != nil && !errors.Is(err, sync.ErrNotFound) {
				return err
			}
			block++
			return sync.PutJSON(tx, bucketCA, "tsa.serial_block", block)
		})
		if err != nil {
			return nil, fmt.Errorf("failed to reserve timestamp serial numbers: %w", err)
		}
		a.serialNext, a.serialEnd = block*tsaSerialBlock, (block+1)*tsaSerialBlock
	}
	n := big.NewInt(a.serialNext)
	a.serialNext++
	return n, nil
}

// crlDER returns the issuing CA's current CRL, re-signed at most once a minute per process (and
// at once after a revocation in this process). Its number comes from the store, so it grows
// across processes.
func (a *authority) crlDER(ctx context.Context) ([]byte, error) {
	a.crlMu.Lock()
	defer a.crlMu.Unlock()
	now := a.now()
	if a.crl != nil && now.Before(a.crlExpires) {
		return a.crl, nil
	}
	var revoked []pki.Revoked
	var number int64
	err := a.store.Update(ctx, func(tx sync.Tx) error {
		revoked, number = nil, 0
		if err := sync.GetJSON(tx, bucketCA, "crl.number", &number); err != nil && !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		number++
		if err := sync.PutJSON(tx, bucketCA, "crl.number", number); err != nil {
			return err
		}
		return tx.Scan(bucketCA, "revoked/", "", 0, func(k string, v []byte) error {
			var rec CertRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if !rec.NotAfter.IsZero() && now.After(rec.NotAfter) {
				return nil // expired: RFC 5280 §3.3 lets it leave the CRL
			}
			n, ok := new(big.Int).SetString(rec.Serial, 16)
			if !ok {
				return fmt.Errorf("bad serial %q", rec.Serial)
			}
			revoked = append(revoked, pki.Revoked{Serial: n, RevokedAt: rec.RevokedAt, Reason: rec.Reason})
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	der, err := pki.CreateCRL(a.issuer(), revoked, big.NewInt(number), now.Add(-time.Minute), now.Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	a.crl, a.crlExpires = der, now.Add(time.Minute)
	return der, nil
}

func (a *authority) invalidateCRL() {
	a.crlMu.Lock()
	a.crl = nil
	a.crlMu.Unlock()
}

// revoke marks a certificate revoked in tx (idempotent: a second revocation keeps the first time).
func revokeInTx(tx sync.Tx, serial string, reason int, now time.Time) (CertRecord, error) {
	var rec CertRecord
	if err := sync.GetJSON(tx, bucketCerts, serial, &rec); err != nil {
		return rec, err
	}
	if rec.Revoked {
		return rec, nil
	}
	rec.Revoked, rec.RevokedAt, rec.Reason = true, now, reason
	if err := sync.PutJSON(tx, bucketCerts, serial, rec); err != nil {
		return rec, err
	}
	if rec.AccountID != "" {
		if err := tx.Delete(bucketCertsActive, rec.AccountID+"/"+serial); err != nil {
			return rec, err
		}
	}
	slim := rec
	slim.DER = nil
	return rec, sync.PutJSON(tx, bucketCA, "revoked/"+serial, slim)
}

// ocspResponse answers a DER OCSP request about a certificate of the issuing CA.
func (a *authority) ocspResponse(ctx context.Context, reqDER []byte) ([]byte, error) {
	serial, err := pki.ParseOCSPRequest(reqDER, a.issuing)
	if err != nil {
		return nil, err
	}
	now := a.now()
	st := pki.CertStatus{Serial: serial, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}
	var rec CertRecord
	err = a.store.View(ctx, func(tx sync.Tx) error { return sync.GetJSON(tx, bucketCerts, serialHex(serial), &rec) })
	switch {
	case errors.Is(err, sync.ErrNotFound):
		// Unknown: neither Good nor revoked.
	case err != nil:
		return nil, err
	case rec.Revoked:
		st.RevokedAt, st.Reason = rec.RevokedAt, rec.Reason
	default:
		st.Good = true
	}
	return pki.CreateOCSPResponse(a.issuing, a.issuing, a.issuingKey, st, now)
}
