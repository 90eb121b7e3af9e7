package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"sealdesk/core/cms"
)

func TestSignatureAlgorithmRules(t *testing.T) {
	msg := []byte("signed attributes")
	sum := sha256.Sum256(msg)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	r, s, _ := ecdsa.Sign(rand.Reader, ec, sum[:])
	plain := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	der, _ := ecdsa.SignASN1(rand.Reader, ec, sum[:])
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	pkcs1, _ := rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, sum[:])
	pss, _ := rsa.SignPSS(rand.Reader, rk, crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: 32})
	ecKey := publicKey{alg: "ecdsa", ec: &ec.PublicKey}
	rsaKey := publicKey{alg: "rsa", rsa: &rk.PublicKey}
	sha256Alg := digestAlgs(oidSHA256)
	in := signedInput{msg: msg}
	cases := []struct {
		name string
		key  publicKey
		oid  string
		sig  []byte
		ok   bool
	}{
		{"ecdsa-with-SHA256 DER", ecKey, "1.2.840.10045.4.3.2", der, true},
		{"ecPublicKey as algorithm", ecKey, oidECKey, der, true},
		{"plain ECDSA r||s (BSI)", ecKey, "0.4.0.127.0.7.1.1.4.1.3", plain, true},
		{"plain ECDSA given DER", ecKey, "0.4.0.127.0.7.1.1.4.1.3", der, false},
		{"ecdsa-with-SHA384 over a SHA-256 digest", ecKey, "1.2.840.10045.4.3.3", der, false},
		{"RSA OID with an EC key", ecKey, "1.2.840.113549.1.1.11", der, false},
		{"curve OID as algorithm (corpus 26)", rsaKey, "1.2.840.10045.3.1.7", pkcs1, false},
		{"sha256WithRSA", rsaKey, "1.2.840.113549.1.1.11", pkcs1, true},
		{"sha3-256WithRSA declared, SHA-256 computed (corpus 27)", rsaKey, "2.16.840.1.101.3.4.3.14", pkcs1, false},
		{"rsaEncryption", rsaKey, oidRSA, pkcs1, true},
		{"PKCS#1 value under PSS", rsaKey, oidRSAPSS, pkcs1, false},
		{"unknown algorithm", rsaKey, "1.2.3.4", pkcs1, false},
	}
	for _, c := range cases {
		_, err := verifySignatureValue(c.key, c.oid, nil, sha256Alg, c.sig, in)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.name, err, c.ok)
		}
	}
	// PSS with explicit parameters: SHA-256, MGF1-SHA-256, salt 32.
	params, _, _ := cms.ParseBER([]byte{0x30, 0x34,
		0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
		0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,
		0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
		0xa2, 0x03, 0x02, 0x01, 0x20})
	if _, err := verifySignatureValue(rsaKey, oidRSAPSS, &params, sha256Alg, pss, in); err != nil {
		t.Errorf("PSS with parameters: %v", err)
	}
	// Default PSS parameters mean SHA-1: a SHA-256 signature must not pass under them.
	if _, err := verifySignatureValue(rsaKey, oidRSAPSS, nil, sha256Alg, pss, in); err == nil {
		t.Errorf("PSS with default (SHA-1) parameters accepted a SHA-256 signature")
	}
	if _, err := digestFor(oidMD5, nil); err == nil {
		t.Errorf("MD5 accepted")
	}
}

// signing-certificate-v2 must name the signer's certificate.
func TestSigningCertificateAttribute(t *testing.T) {
	s := newSigner(t, "")
	other := newSigner(t, "")
	for _, c := range []struct {
		name string
		h    crypto.Hash
		of   *x509.Certificate
		ok   bool
	}{
		{"own, SHA-256 default", crypto.SHA256, s.cert, true},
		{"own, SHA-384", crypto.SHA384, s.cert, true},
		{"another certificate", crypto.SHA256, other.cert, false},
	} {
		der, err := cms.SigningCertificateV2(c.of, c.h)
		if err != nil {
			t.Fatal(err)
		}
		n, _, err := cms.ParseBER(der)
		if err != nil {
			t.Fatal(err)
		}
		ci, err := parseCertInfo(s.cert.Raw)
		if err != nil {
			t.Fatal(err)
		}
		si := &signerInfo{attrs: map[string][]node{oidAttrSigningCert2: {n}}}
		if err := checkSigningCertAttr(si, ci); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
