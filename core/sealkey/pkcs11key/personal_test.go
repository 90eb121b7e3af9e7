//go:build cgo

package pkcs11key_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"testing"

	"sealdesk/core/keystore"
	"sealdesk/core/pki"
	"sealdesk/core/sealkey"
	"sealdesk/core/sealkey/pkcs11key"
	"sealdesk/core/sealkey/pkcs11key/softhsmtest"
)

// TestPersonalToken: a UKey stand-in (SoftHSM2) listed, a key pair of each kind made on it, the
// CSR signed on it, a wrong PIN refused by the token even right after a correct login, and a
// token gone mid-signing reported as a token failure.
func TestPersonalToken(t *testing.T) {
	cfg := softhsmtest.Token(t)
	toks, err := pkcs11key.ListTokens(cfg.Module)
	if err != nil || len(toks) != 1 || toks[0].Label != cfg.TokenLabel || !toks[0].ECDSA || !toks[0].RSA {
		t.Fatalf("tokens %+v %v", toks, err)
	}
	p := pkcs11key.NewPersonal()
	defer p.Close()
	for _, alg := range []pkcs11key.Alg{pkcs11key.AlgECDSAP256, pkcs11key.AlgRSA2048} {
		ref, pub, err := p.Generate(cfg.Module, cfg.TokenLabel, "", cfg.PIN, alg)
		if err != nil {
			t.Fatal(alg, err)
		}
		s, err := p.Signer(ref, cfg.PIN)
		if err != nil {
			t.Fatal(alg, err)
		}
		csr, err := pki.NewCSR(s, pkix.Name{CommonName: "张三"})
		if err != nil {
			t.Fatal(alg, err)
		}
		req, err := x509.ParseCertificateRequest(csr)
		if err != nil || req.CheckSignature() != nil {
			t.Fatalf("%s: csr made on the token does not verify: %v", alg, err)
		}
		d := sha256.Sum256([]byte("doc"))
		var opts crypto.SignerOpts = crypto.SHA256
		sig, err := s.Sign(rand.Reader, d[:], opts)
		if err != nil {
			t.Fatal(alg, err)
		}
		switch k := pub.(type) {
		case *ecdsa.PublicKey:
			if !ecdsa.VerifyASN1(k, d[:], sig) {
				t.Fatal("ecdsa signature")
			}
		case *rsa.PublicKey:
			if rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], sig) != nil {
				t.Fatal("rsa signature")
			}
		}
		// Logged in with the right PIN: a wrong one is still refused by the token.
		if _, err := p.Signer(ref, "00000000"); !errors.Is(err, sealkey.ErrPINIncorrect) {
			t.Fatalf("%s: wrong PIN after a login: %v", alg, err)
		}
		// The token "removed" (this process's session to it ended) while a signer is held.
		s, err = p.Signer(ref, cfg.PIN)
		if err != nil {
			t.Fatal(err)
		}
		p.Logout(ref)
		if _, err := s.Sign(rand.Reader, d[:], opts); !errors.Is(err, sealkey.ErrTokenFailed) {
			t.Fatalf("%s: sign after removal: %v", alg, err)
		}
	}
	if _, err := p.Signer(keystore.TokenRef{Module: cfg.Module, Token: "no-such-token", KeyID: []byte{1}}, cfg.PIN); !errors.Is(err, sealkey.ErrTokenAbsent) {
		t.Fatalf("absent token: %v", err)
	}
}
