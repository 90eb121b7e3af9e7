package cms

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// An SM2 key signs with SM3 and SM2-with-SM3 under PKCS#7 OIDs, or with the GB/T 35275 ones
// (GMOIDs); Parse (the reader the verifier shares) reads both and the signature verifies over
// the DER signed attributes with the default ID.
func TestSignSM2(t *testing.T) {
	k, _ := sm2.GenerateKey(rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "SM2"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := smx509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := smx509.ParseCertificate(der)
	cert := sc.ToX509()
	digest := sm3.Sum([]byte("byte ranges"))
	for _, gm := range []bool{false, true} {
		sd, err := Sign(SignOptions{Signer: k, Cert: cert, Digest: digest[:], GMOIDs: gm})
		if err != nil {
			t.Fatalf("gm=%v: %v", gm, err)
		}
		b, err := sd.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		n, _ := ParseBERStrict(b)
		ct, _ := n.Children[0].OID()
		wantCT, wantAlg := OIDSignedData, OIDSM2SM3
		if gm {
			wantCT, wantAlg = OIDGMSignedData, OIDSM2Sign
		}
		p, err := Parse(b)
		if err != nil {
			t.Fatalf("gm=%v: parse: %v", gm, err)
		}
		s := p.Signers[0]
		if ct != wantCT.String() || !s.SignatureAlgorithm.Algorithm.Equal(wantAlg) || !s.DigestAlgorithm.Algorithm.Equal(OIDSM3) {
			t.Errorf("gm=%v: content type %s, algorithms %v %v", gm, ct, s.SignatureAlgorithm.Algorithm, s.DigestAlgorithm.Algorithm)
		}
		if !sm2.VerifyASN1WithSM2(&k.PublicKey, nil, s.SignedAttrsRaw, s.Signature) {
			t.Errorf("gm=%v: SM2 signature over the signed attributes does not verify", gm)
		}
		if string(s.MessageDigest()) != string(digest[:]) || len(p.Certificates) != 1 {
			t.Errorf("gm=%v: messageDigest or certificate", gm)
		}
	}
	// A digest of the wrong size is refused before the key is used.
	if _, err := Sign(SignOptions{Signer: k, Cert: cert, Digest: make([]byte, 20)}); err == nil {
		t.Error("20-byte digest accepted for SM3")
	}
}
