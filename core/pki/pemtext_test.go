package pki_test

import (
	"bytes"
	"crypto"
	"crypto/x509/pkix"
	"encoding/pem"
	"testing"
	"time"
	"unicode/utf16"

	"sealdesk/core/pki"
	"sealdesk/core/verify"
)

// windowsText is data as Windows editors save it: CRLF line endings, and a byte-order mark
// (UTF-8), or UTF-16 little- or big-endian with its mark (Notepad's "Unicode").
func windowsText(pemData []byte, enc string) []byte {
	crlf := bytes.ReplaceAll(pemData, []byte("\n"), []byte("\r\n"))
	switch enc {
	case "utf8-bom":
		return append([]byte{0xEF, 0xBB, 0xBF}, crlf...)
	case "utf16le", "utf16be":
		out := []byte{0xFF, 0xFE}
		if enc == "utf16be" {
			out = []byte{0xFE, 0xFF}
		}
		for _, u := range utf16.Encode([]rune(string(crlf))) {
			if enc == "utf16le" {
				out = append(out, byte(u), byte(u>>8))
			} else {
				out = append(out, byte(u>>8), byte(u))
			}
		}
		return out
	}
	return crlf
}

// Certificates, keys and CSRs saved by Windows editors read as the originals: every block, not
// all but the first (pem.Decode alone skips a BEGIN line after a BOM); so does the trust store's
// import (文件验签 › 导入根证书).
func TestPEMFromWindowsEditors(t *testing.T) {
	key, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a, err := pki.SelfSign(key, pkix.Name{CommonName: "测试根证书 A"}, now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pki.SelfSign(key, pkix.Name{CommonName: "测试根证书 B"}, now, now.Add(time.Hour))
	certs := pki.EncodeCertsPEM(a, b)
	keyPEM, _ := pki.MarshalPrivateKeyPEM(key)
	csrDER, _ := pki.NewCSR(key, pkix.Name{CommonName: "张三"})
	csrPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})
	for _, enc := range []string{"crlf", "utf8-bom", "utf16le", "utf16be"} {
		got, err := pki.ParseCertsPEM(windowsText(certs, enc))
		if err != nil || len(got) != 2 || !got[0].Equal(a) || !got[1].Equal(b) {
			t.Errorf("%s: certificates %d, %v", enc, len(got), err)
		}
		k, err := pki.ParsePrivateKeyPEM(windowsText(keyPEM, enc))
		if err != nil || !k.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
			t.Errorf("%s: key %v", enc, err)
		}
		if _, err := pki.ParseCSR(windowsText(csrPEM, enc)); err != nil {
			t.Errorf("%s: csr %v", enc, err)
		}
		ts := verify.NewTrustStore()
		if n, err := ts.AddPEM(windowsText(certs, enc)); n != 2 || err != nil {
			t.Errorf("%s: trust store took %d (%v)", enc, n, err)
		}
	}
	// the plain forms are unchanged, DER included
	if got := pki.PEMText(certs); !bytes.Equal(got, certs) {
		t.Error("plain PEM changed")
	}
	if got := pki.PEMText(a.Raw); !bytes.Equal(got, a.Raw) {
		t.Error("DER changed")
	}
}
