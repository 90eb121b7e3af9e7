package ui

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sealdesk/core/pdf/render"
	"strconv"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/cms"
	"sealdesk/core/keystore"
	"sealdesk/core/pki"
	"sealdesk/core/sign"
	"sealdesk/core/tsa"
	"sealdesk/core/verify"
)

// serverCA certifies through a real server as the signed-in account (what the desktop's session
// does with a remote server: the CSR goes to POST /api/v1/certificates, the chain comes back).
type serverCA struct {
	c    *client.Client
	root *x509.Certificate
}

func (s serverCA) Certify(ctx context.Context, csrPEM []byte, _, _ string) ([]*x509.Certificate, error) {
	resp, err := s.c.RequestCertificate(ctx, csrPEM)
	if err != nil {
		return nil, err
	}
	return pki.ParseCertsPEM([]byte(resp.Certificate + resp.Chain))
}
func (s serverCA) Timestamper() tsa.Timestamper {
	return &tsa.Client{URL: s.c.TSAURL(), HTTP: s.c.HTTP}
}
func (s serverCA) Roots() []*x509.Certificate { return []*x509.Certificate{s.root} }

// TestSM2DeviceKey walks the SM2 device key end to end against a real server on loopback:
// 设置 › 签名密钥 › 密钥类型 SM2 is remembered and preselected in 签署's key dialog; the key made
// there is SM2, the server's CA certifies it (an SM2 public key in the certificate, chaining to the
// server's root, the device named); the sign screen signs a placed box with it; the signature is
// SM3/SM2 (PKCS #7 OIDs), OpenSSL checks the SM3 messageDigest over the ByteRange and the SM2
// signature over the signed attributes with the GM/T 0009 default ID (-sigopt
// distid:1234567812345678) and the chain with the server's root, and our verifier says 有效且可信
// with the server's OCSP answer "good"; the panel names the key's algorithm.
func TestSM2DeviceKey(t *testing.T) {
	openssl := ""
	if p, err := exec.LookPath("openssl"); err == nil {
		openssl = p
	} else if os.Getenv("SEALDESK_CI") != "" {
		t.Fatal("openssl is required under SEALDESK_CI")
	}
	run := contractsServer(t)
	a := newTestParty(t, run, "王五")
	root, err := pki.ParseCertsPEM(run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	local := &LocalServices{Prefs: &memPrefs{}, Library: &memLibrary{}, PlatformRoots: root[:1],
		Keys: keystore.New(&memKeys{}, &keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}}), CA: serverCA{c: a.c, root: root[0]}}
	local.Library.Save(drawnSignature(t))
	v, _ := newSendTest(t, local)
	shell := v.place.shell

	// 设置 › 签名密钥: choose SM2.
	shell.Show(NavSettings)
	kp := shell.Screen(NavSettings).(*SettingsScreen).Keys
	if kp.KeyType.Selected != tr("keys.type.ecdsa-p256") {
		t.Fatalf("default key type %q", kp.KeyType.Selected)
	}
	kp.KeyType.SetSelected(tr("keys.type.sm2"))
	if got, _, _ := local.Prefs.Setting(prefKeyType); got != string(pki.SM2) {
		t.Fatalf("stored key type %q", got)
	}

	// 签署 › 创建签名密钥: the dialog starts on SM2.
	shell.Show(NavSend)
	sg := v.sign
	sg.onCreateKeyTapped()
	k := sg.keyDlg
	if k == nil || k.kind.Selected != tr("keys.type.sm2") {
		t.Fatalf("key dialog: %+v", k)
	}
	k.name.SetText("王五")
	k.id.SetText("11010519491231002X")
	k.pin.SetText("135790")
	k.pin2.SetText("135790")
	k.form.OnSubmit()
	workers.drain(&sg.wg)
	list, _ := local.Keys.List()
	if len(list) != 1 || list[0].Certificate == nil {
		t.Fatalf("keys %+v (%q, %q)", list, sg.status.Text, k.msg.Text)
	}
	in := list[0]
	cert := in.Certificate
	if in.Algorithm() != "SM2" || !pki.IsSM2(cert.PublicKey) || cert.Subject.CommonName != "王五" {
		t.Fatalf("certified %s key, certificate %T for %q", in.Algorithm(), cert.PublicKey, cert.Subject.CommonName)
	}
	sroots, inter := smx509.NewCertPool(), smx509.NewCertPool()
	sroots.AddCert((*smx509.Certificate)(root[0]))
	for _, c := range in.Chain {
		inter.AddCert((*smx509.Certificate)(c))
	}
	if _, err := (*smx509.Certificate)(cert).Verify(smx509.VerifyOptions{Roots: sroots, Intermediates: inter,
		KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("chain to the server's root: %v", err)
	}
	serial := strings.ToLower(cert.SerialNumber.Text(16))
	certs, err := a.c.Certificates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	recorded := false
	for _, ci := range certs {
		recorded = recorded || ci.Serial == serial
	}
	if !recorded {
		t.Fatalf("the server did not record certificate %s: %+v", serial, certs)
	}
	shell.Show(NavSettings)
	kp.refresh()
	if !strings.Contains(kp.Current.Text, "密钥算法：SM2") {
		t.Errorf("current key: %q", kp.Current.Text)
	}

	// Sign a placed box with it.
	shell.Show(NavSend)
	placed := filepath.Join(t.TempDir(), "contract-待签.pdf")
	if err := sign.AddFields(writeTestPDF(t, "contract.pdf", a4Pages(1)), placed, []sign.FieldSpec{
		{Name: "r1-sign-1", Page: 1, Rect: sign.VisibleRect{X1: 80, Y1: 200, X2: 200, Y2: 248}},
	}); err != nil {
		t.Fatal(err)
	}
	sg.OpenFiles([]string{placed})
	workers.drain(&sg.wg)
	sg.pv.Wait()
	sg.image.SetSelectedIndex(0)
	out := filepath.Join(t.TempDir(), "signed.pdf")
	sg.signTo("135790", out)
	workers.drain(&sg.wg)
	signed, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no signed file: %v (%q)", err, sg.status.Text)
	}

	rep, err := verify.File(context.Background(), out, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(root[0]), Online: true, HTTPClient: a.c.HTTP})
	if err != nil || len(rep.Signatures) != 1 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	s := rep.Signatures[0]
	if rep.Verdict != verify.StatusValid || s.Revocation != "good" || !strings.Contains(s.Algorithm, "SM2") || s.Signer.Name != "王五" {
		t.Fatalf("verdict %s, revocation %s, algorithm %s, signer %q, reasons %v", rep.Verdict, s.Revocation, s.Algorithm, s.Signer.Name, s.Reasons)
	}

	// OpenSSL, an independent implementation.
	if openssl == "" {
		t.Skip("openssl not installed: the SM2 signature was checked by our verifier only")
	}
	checkSM2WithOpenSSL(t, openssl, signed, root[0], in.Chain)
}

// checkSM2WithOpenSSL checks the PDF's one SM2 signature with OpenSSL: SM3 of the ByteRange is
// the messageDigest attribute, the SM2 signature over the DER signed attributes verifies with the
// default ID (and not over changed attributes), and the signer's certificate chains to root.
func checkSM2WithOpenSSL(t *testing.T, openssl string, signed []byte, root *x509.Certificate, chain []*x509.Certificate) {
	t.Helper()
	dir := t.TempDir()
	w := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	m := regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`).FindSubmatch(signed)
	if m == nil {
		t.Fatal("no ByteRange")
	}
	var br [4]int
	for i := range br {
		br[i], _ = strconv.Atoi(string(m[i+1]))
	}
	// The CMS's own length ends it, not the last non-zero digit: trimming the placeholder's zeros
	// also trimmed a signature ending in a zero byte (1 run in 256 failed).
	padded, err := hex.DecodeString(string(signed[br[1]+1 : br[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	var whole asn1.RawValue
	if _, err := asn1.Unmarshal(padded, &whole); err != nil {
		t.Fatal(err)
	}
	der := whole.FullBytes
	p, err := cms.Parse(der)
	if err != nil || len(p.Signers) != 1 {
		t.Fatalf("cms: %v", err)
	}
	s := p.Signers[0]
	if !s.DigestAlgorithm.Algorithm.Equal(cms.OIDSM3) || !s.SignatureAlgorithm.Algorithm.Equal(cms.OIDSM2SM3) {
		t.Fatalf("algorithms %v %v", s.DigestAlgorithm.Algorithm, s.SignatureAlgorithm.Algorithm)
	}
	leaf := p.Certificates[0]
	for _, c := range p.Certificates {
		if pki.IsSM2(c.PublicKey) {
			leaf = c
		}
	}
	pubDER, err := pki.MarshalPKIXPublicKey(leaf.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ranges := append(append([]byte(nil), signed[br[0]:br[0]+br[1]]...), signed[br[2]:br[2]+br[3]]...)
	dg, err := exec.Command(openssl, "dgst", "-sm3", "-binary", w("ranges.bin", ranges)).Output()
	if err != nil {
		t.Fatalf("openssl has no SM3: %v", err)
	}
	if want := sm3.Sum(ranges); !bytes.Equal(dg, want[:]) || !bytes.Equal(s.MessageDigest(), dg) {
		t.Fatalf("messageDigest %x, openssl SM3 of the ranges %x", s.MessageDigest(), dg)
	}
	pub := w("pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	sig := w("sig.der", s.Signature)
	vo, err := exec.Command(openssl, "dgst", "-sm3", "-verify", pub, "-sigopt", "distid:1234567812345678", "-signature", sig,
		w("attrs.der", s.SignedAttrsRaw)).CombinedOutput()
	if err != nil || !strings.Contains(string(vo), "Verified OK") {
		t.Fatalf("openssl SM2 verify: %v %s", err, vo)
	}
	bad := append([]byte(nil), s.SignedAttrsRaw...)
	bad[len(bad)-1] ^= 1
	if vo, err := exec.Command(openssl, "dgst", "-sm3", "-verify", pub, "-sigopt", "distid:1234567812345678", "-signature", sig,
		w("bad.der", bad)).CombinedOutput(); err == nil {
		t.Fatalf("openssl verified changed attributes: %s", vo)
	}
	vo, err = exec.Command(openssl, "verify", "-CAfile", w("root.pem", pki.EncodeCertsPEM(root)),
		"-untrusted", w("chain.pem", pki.EncodeCertsPEM(chain...)), w("leaf.pem", pki.EncodeCertsPEM(leaf))).CombinedOutput()
	if err != nil || !strings.Contains(string(vo), ": OK") {
		t.Fatalf("openssl verify of the certificate: %v %s", err, vo)
	}
}

// TestContractSignedWithSM2Key: B's device key is SM2 (certified by the server); B signs a
// contract from 待我签 with it; the server accepts the SM3/SM2 signature and completes the
// contract, and the final PDF's signature by B verifies 有效 in our verifier with the server's
// root, as SM2-SM3.
func TestContractSignedWithSM2Key(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	pa, pb := newTestParty(t, run, "张三"), newTestParty(t, run, "李四")
	old, _ := pb.Keys.List()
	in, err := pb.Keys.GenerateType(testPIN, pki.SM2)
	if err != nil {
		t.Fatal(err)
	}
	csr, _ := pb.Keys.CSR(in.ID, testPIN, pkixName("李四"))
	resp, err := pb.c.RequestCertificate(context.Background(), csr)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := pki.ParseCertsPEM([]byte(resp.Certificate + resp.Chain))
	if err != nil || pb.Keys.SetCertificate(in.ID, chain) != nil {
		t.Fatalf("certify: %v", err)
	}
	for _, o := range old {
		pb.Keys.Delete(o.ID)
	}
	sa, _ := newPartyShell(t, pa)
	sb, _ := newPartyShell(t, pb)
	sendTo(t, sa, "国密签署合同", pb)
	v := openToSign(t, sb)
	v.sign.image.SetSelectedIndex(0)
	v.Submit(testPIN)
	workers.drain(&v.sign.wg)
	d := documentsOf(sb).Contracts.detail
	if d == nil || d.env.Status != api.EnvelopeCompleted {
		t.Fatalf("after 立即提交: %q", v.sign.status.Text)
	}
	final, err := pb.c.EnvelopeDocument(context.Background(), d.env.ID, 0, client.VersionFinal)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := pki.ParseCertsPEM(run.Server.RootPEM())
	rep, err := verify.Verify(context.Background(), bytes.NewReader(final), int64(len(final)), "final.pdf", &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(root[0])})
	if err != nil {
		t.Fatal(err)
	}
	sm2 := 0
	for _, s := range rep.Signatures {
		if strings.Contains(s.Algorithm, "SM2") {
			sm2++
			if s.Status != verify.StatusValid || s.Signer.Name != "李四" {
				t.Errorf("B's SM2 signature: %s %q %v", s.Status, s.Signer.Name, s.Reasons)
			}
		}
	}
	if sm2 == 0 {
		t.Fatalf("no SM2 signature in the final PDF: %+v", rep.Signatures)
	}
}
