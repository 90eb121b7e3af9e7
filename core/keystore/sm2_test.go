package keystore

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
)

// An SM2 key: made, stored encrypted (the record holds no PKCS #8 in the clear and names the SM2
// curve in its public key), unlocked into an SM2 signer whose signatures verify with SM3 and the
// default ID, its CSR certified by the CA, the certificate read back, the PIN changed, a wrong
// PIN counted as for any key; a type other than KeyTypes is refused.
func TestSM2Key(t *testing.T) {
	ks, st, _ := newKS(t)
	in, err := ks.GenerateType("135790", pki.SM2)
	if err != nil {
		t.Fatal(err)
	}
	if !pki.IsSM2(in.PublicKey) || in.Algorithm() != "SM2" {
		t.Fatalf("generated %T (%s)", in.PublicKey, in.Algorithm())
	}
	var e Entry
	if err := json.Unmarshal(st.m[in.ID], &e); err != nil || len(e.Sealed) < 100 {
		t.Fatalf("record: %v", err)
	}
	s, err := ks.Unlock(in.ID, "135790")
	if err != nil {
		t.Fatal(err)
	}
	sk, ok := s.(*sm2.PrivateKey)
	if !ok {
		t.Fatalf("unlocked %T", s)
	}
	sig, err := sk.Sign(rand.Reader, []byte("合同"), sm2.NewSM2SignerOption(true, nil))
	if err != nil || !sm2.VerifyASN1WithSM2(&sk.PublicKey, nil, []byte("合同"), sig) {
		t.Fatalf("sign: %v", err)
	}
	if _, err := ks.Unlock(in.ID, "246813"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("wrong pin: %v", err)
	}

	csr, err := ks.CSR(in.ID, "135790", pkix.Name{CommonName: "张三"})
	if err != nil {
		t.Fatal(err)
	}
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }})
	cert, err := pki.IssueFromCSR(p.Issuer(), []byte(csr), pki.Request{Profile: pki.ProfilePerson, Subject: pkix.Name{CommonName: "张三"},
		NotBefore: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.SetCertificate(in.ID, append([]*x509.Certificate{cert}, p.Intermediate)); err != nil {
		t.Fatal(err)
	}
	back, err := ks.Info(in.ID)
	if err != nil || back.Certificate == nil || !pki.IsSM2(back.Certificate.PublicKey) || len(back.Chain) != 1 {
		t.Fatalf("info: %+v %v", back, err)
	}
	// Another key's certificate is refused.
	other, _ := pkitest.New(t, nil).Leaf(t, "李四", pki.ECDSAP256)
	if err := ks.SetCertificate(in.ID, []*x509.Certificate{other}); err == nil || !strings.Contains(err.Error(), "not for this key") {
		t.Fatalf("foreign certificate: %v", err)
	}
	if err := ks.ChangePIN(in.ID, "135790", "802468"); err != nil {
		t.Fatal(err)
	}
	if s2, err := ks.Unlock(in.ID, "802468"); err != nil || !pki.IsSM2(s2.Public()) {
		t.Fatalf("after ChangePIN: %v", err)
	}
	if _, err := ks.GenerateType("135790", pki.RSA2048); !errors.Is(err, pki.ErrKeyType) {
		t.Fatalf("rsa-2048 personal key: %v", err)
	}
}
