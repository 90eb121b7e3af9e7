package verify

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sealdesk/core/cms"
	"strings"
	"testing"
)

// GB/T 32905-2016 Appendix A.
func TestSM3Vectors(t *testing.T) {
	for in, want := range map[string]string{
		"abc":                      "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		strings.Repeat("abcd", 16): "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
	} {
		h := newSM3()
		// Write in odd pieces to exercise buffering.
		for i := 0; i < len(in); i += 7 {
			h.Write([]byte(in[i:min(i+7, len(in))]))
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("SM3(%q) = %s, want %s", in, got, want)
		}
	}
}

// An SM2 signature made by OpenSSL (dgst -sm3 with the default ID) verifies; a changed message
// or signature does not.
func TestSM2AgainstOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("openssl missing")
		}
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Skipf("openssl %v: %v\n%s (no SM2 support in this OpenSSL)", args, err, out)
		}
		return out
	}
	key := filepath.Join(dir, "key.pem")
	run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", key)
	spki := filepath.Join(dir, "pub.der")
	run("pkey", "-in", key, "-pubout", "-outform", "DER", "-out", spki)
	msg := filepath.Join(dir, "msg.bin")
	os.WriteFile(msg, []byte("signed attributes of a contract"), 0o644)
	sigPath := filepath.Join(dir, "sig.der")
	run("dgst", "-sm3", "-sign", key, "-sigopt", "distid:1234567812345678", "-out", sigPath, msg)
	spkiDER, _ := os.ReadFile(spki)
	n, err := cms.ParseBERStrict(spkiDER)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := parseKey(nil, &n)
	if err != nil || pk.alg != "sm2" {
		t.Fatalf("SM2 key: %v %v", pk.alg, err)
	}
	sig, _ := os.ReadFile(sigPath)
	m, _ := os.ReadFile(msg)
	alg, err := verifySignatureValue(pk, oidSM2SM3, nil, digestAlgs[oidSM3], sig, signedInput{msg: m})
	if err != nil || alg != "SM2-SM3" {
		t.Fatalf("openssl SM2 signature: %s %v", alg, err)
	}
	if _, err := verifySignatureValue(pk, oidSM2SM3, nil, digestAlgs[oidSM3], sig, signedInput{msg: append(m, '!')}); err == nil {
		t.Error("changed message accepted")
	}
	bad := append([]byte{}, sig...)
	bad[len(bad)-1] ^= 1
	if _, err := verifySignatureValue(pk, oidSM2SM3, nil, digestAlgs[oidSM3], bad, signedInput{msg: m}); err == nil {
		t.Error("changed signature accepted")
	}
	// The declared digest must be SM3.
	if _, err := verifySignatureValue(pk, oidSM2SM3, nil, digestAlgs[oidSHA256], sig, signedInput{msg: m}); err == nil {
		t.Error("SM2 with SHA-256 declared accepted")
	}
}
