package sign

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	pdfrender "sealdesk/core/pdf/render"
	"strings"
	"testing"

	"github.com/digitorus/pdfsign/verify"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/tsa"
	sdverify "sealdesk/core/verify"
)

// checker runs every independent verifier over a signed file.
type checker struct {
	t       *testing.T
	nss     string // "" when certutil/pdfsig are missing
	rootPEM []byte
	trust   *sdverify.TrustStore
	// noPdfsign skips pdfsign's verify, which has no RSASSA-PSS ("unsupported algorithm").
	noPdfsign bool
}

func newChecker(t *testing.T, p *pkitest.PKI) *checker {
	t.Helper()
	c := &checker{t: t, rootPEM: pki.EncodeCertsPEM(p.Root), trust: sdverify.NewTrustStore(p.Root)}
	if _, err := exec.LookPath("pdfsig"); err == nil {
		c.nss = p.NSSDB(t)
	} else if os.Getenv("SEALDESK_CI") != "" {
		t.Fatal("pdfsig missing under SEALDESK_CI")
	}
	return c
}

var (
	pdfsigSig    = regexp.MustCompile(`(?m)^Signature #\d+:`)
	signedRanges = regexp.MustCompile(`Signed Ranges: .*`)
)

// check verifies path: wantSigs signatures (including document timestamps) all valid and
// trusted in pdfsig; every signer valid in pdfsign's verify; qpdf --check clean; pdfcpu
// validates; our reader opens every revision.
func (c *checker) check(path string, wantSigs int) {
	t := c.t
	t.Helper()
	docTS := c.checkDocTimestamps(path)
	if c.nss != "" {
		blocks := c.pdfsig(path)
		// pdfsig (poppler 22) cannot validate ETSI.RFC3161 document timestamps ("Unimplemented
		// Feature"); checkDocTimestamps checks those with openssl instead. Every other
		// signature must be valid, and trusted unless it was made by another product.
		nTS := 0
		if len(blocks) != wantSigs {
			t.Errorf("pdfsig found %d signed signatures, want %d", len(blocks), wantSigs)
		}
		for i, b := range blocks {
			if b.docTimestamp {
				nTS++
				continue
			}
			if !b.valid {
				t.Errorf("pdfsig: signature #%d is not valid:\n%s", i+1, b.text)
			}
			if b.ours && !b.trusted {
				t.Errorf("pdfsig: signature #%d is not trusted:\n%s", i+1, b.text)
			}
		}
		if nTS != docTS {
			t.Errorf("pdfsig lists %d document timestamps, the file has %d", nTS, docTS)
		}
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		out, err := exec.Command("qpdf", "--check", path).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("No syntax or stream encoding errors found")) {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	} else if os.Getenv("SEALDESK_CI") != "" {
		t.Fatal("qpdf missing under SEALDESK_CI")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if c.noPdfsign {
		f.Close()
		c.checkStructure(path)
		c.ourVerifier(path, wantSigs)
		return
	}
	opts := verify.DefaultVerifyOptions()
	opts.AllowUntrustedRoots = true // pdfsign trusts only system roots; the test root is embedded
	resp, err := verify.VerifyFileWithOptions(f, opts)
	if err != nil {
		t.Errorf("pdfsign verify: %v", err)
	} else {
		if len(resp.Signers) != wantSigs {
			t.Errorf("pdfsign verify found %d signers, want %d", len(resp.Signers), wantSigs)
		}
		skipped := 0
		for i, s := range resp.Signers {
			// pdfsign's verify treats a document timestamp as a CAdES signature and reports a
			// digest mismatch; those are checked by checkDocTimestamps.
			if s.TimeStamp == nil && len(s.Certificates) == 0 && skipped < docTS {
				skipped++ // pdfsign stops before reading the certificates of a document timestamp
				continue
			}
			if !s.ValidSignature {
				t.Errorf("pdfsign verify: signer %d (%s) invalid: %s", i, s.Name, resp.Error)
			}
			for _, cert := range s.Certificates {
				if cert.VerifyError != "" && strings.HasPrefix(cert.Certificate.Issuer.CommonName, "SealDesk Test") {
					t.Errorf("pdfsign verify: signer %d certificate %s: %s", i, cert.Certificate.Subject.CommonName, cert.VerifyError)
				}
			}
		}
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	if err := api.ValidateFile(path, conf); err != nil {
		t.Errorf("pdfcpu validate: %v", err)
	}
	// pdfcpu v0.15.0's signature validation checks RSA CAdES cryptography but calls ECDSA and
	// document timestamps "unsupported", and has no per-call trust store, so for our files it
	// answers "unknown" at best; it must never answer "invalid".
	if res, err := api.ValidateSignatures(path, true, model.NewDefaultConfiguration()); err != nil {
		// pdfcpu stops at an empty (unsigned) signature field; other errors count.
		if !strings.Contains(err.Error(), "missing signature dict reference") {
			t.Errorf("pdfcpu validate signatures: %v", err)
		}
	} else {
		for _, r := range res {
			if r.Status == model.SignatureStatusInvalid {
				t.Errorf("pdfcpu: signature in field %s invalid: %v %v", r.Details.FieldName, r.Reason, r.Problems)
			}
		}
	}
	c.ourVerifier(path, wantSigs)
	pf, err := pdf.OpenFile(path, nil)
	if err != nil {
		t.Errorf("core/pdf cannot reopen the output: %v", err)
	} else {
		pf.Close()
	}
}

// checkDocTimestamps verifies every ETSI.RFC3161 document timestamp of path: the token's
// imprint equals the SHA-256 of its byte range, the token verifies (tsa.ParseToken) and, with
// openssl ts -verify, chains to the test root. It returns how many it found.
func (c *checker) checkDocTimestamps(path string) int {
	t := c.t
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	sigs, _, err := f.FindSigDicts()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	n := 0
	for _, sd := range sigs {
		if sd.Dict.NameOf("SubFilter") != "ETSI.RFC3161" {
			continue
		}
		ct, _ := sd.Dict.Get("Contents").(pdf.String)
		if seen[string(ct.Bytes)] {
			continue
		}
		seen[string(ct.Bytes)] = true
		n++
		br, _ := sd.Dict.Get("ByteRange").(pdf.Array)
		if len(br) != 4 {
			t.Errorf("document timestamp byte range %v", br)
			continue
		}
		var v [4]int64
		for i := range br {
			v[i], _ = pdf.IntOf(br[i])
		}
		info, err := tsa.ParseToken(ct.Bytes)
		if err != nil {
			t.Errorf("document timestamp token: %v", err)
			continue
		}
		h := info.Hash.New()
		h.Write(data[v[0] : v[0]+v[1]])
		h.Write(data[v[2] : v[2]+v[3]])
		if !bytes.Equal(info.Digest, h.Sum(nil)) {
			t.Errorf("document timestamp imprint does not match its byte range")
		}
		if _, err := exec.LookPath("openssl"); err == nil && strings.HasPrefix(info.Signer.Issuer.CommonName, "SealDesk Test") {
			dir := t.TempDir()
			tok := filepath.Join(dir, "tok.der")
			root := filepath.Join(dir, "root.pem")
			os.WriteFile(tok, bytes.TrimRight(ct.Bytes, "\x00"), 0o600)
			os.WriteFile(root, c.rootPEM, 0o600)
			out, err := exec.Command("openssl", "ts", "-verify", "-digest", hex.EncodeToString(h.Sum(nil)), "-"+strings.ToLower(strings.ReplaceAll(info.Hash.String(), "-", "")), "-token_in", "-in", tok, "-CAfile", root).CombinedOutput()
			if err != nil {
				t.Errorf("openssl ts -verify of the document timestamp: %v\n%s", err, out)
			}
		}
	}
	return n
}

type pdfsigBlock struct {
	text                               string
	valid, trusted, docTimestamp, ours bool
}

// pdfsig runs poppler's pdfsig with the test NSS database and splits its report per signature.
func (c *checker) pdfsig(path string) []pdfsigBlock {
	out, _ := exec.Command("pdfsig", "-nssdir", c.nss, path).CombinedOutput()
	parts := pdfsigSig.Split(string(out), -1)
	var blocks []pdfsigBlock
	byRange := map[string]int{}
	for _, p := range parts[1:] {
		if strings.Contains(p, "The signature form field is not signed.") {
			continue // pdfsig lists empty signature fields too
		}
		// poppler lists a signature once per widget (a cross-page seal has several): merge
		// entries with the same signed ranges.
		if m := signedRanges.FindString(p); m != "" {
			if i, ok := byRange[m]; ok {
				blocks[i].trusted = blocks[i].trusted || strings.Contains(p, "Certificate Validation: Certificate is Trusted.")
				blocks[i].valid = blocks[i].valid && strings.Contains(p, "Signature Validation: Signature is Valid.")
				continue
			}
			byRange[m] = len(blocks)
		}
		blocks = append(blocks, pdfsigBlock{
			text:         p,
			valid:        strings.Contains(p, "Signature Validation: Signature is Valid."),
			trusted:      strings.Contains(p, "Certificate Validation: Certificate is Trusted."),
			docTimestamp: strings.Contains(p, "Signature Type: unknown") || strings.Contains(p, "ETSI.RFC3161"),
			ours:         strings.Contains(p, "O=SealDesk Test"),
		})
	}
	return blocks
}

// checkStructure runs only the structural checks (qpdf, pdfcpu, our reader).
func (c *checker) checkStructure(path string) {
	t := c.t
	t.Helper()
	if _, err := exec.LookPath("qpdf"); err == nil {
		out, err := exec.Command("qpdf", "--check", path).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("No syntax or stream encoding errors found")) {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	if err := api.ValidateFile(path, conf); err != nil {
		t.Errorf("pdfcpu validate: %v", err)
	}
}

// ourVerifier runs core/verify with the test root: every signature intact with no disallowed
// change after it, and every signature made by the test PKI valid and trusted.
func (c *checker) ourVerifier(path string, wantSigs int) {
	t := c.t
	t.Helper()
	rep, err := sdverify.File(context.Background(), path, &sdverify.Options{Renderer: pdfrender.Shared(), Trust: c.trust})
	if err != nil {
		t.Errorf("core/verify: %v", err)
		return
	}
	if len(rep.Signatures) != wantSigs {
		t.Errorf("core/verify found %d signatures, want %d", len(rep.Signatures), wantSigs)
	}
	for _, s := range rep.Signatures {
		if s.Integrity != "valid" || s.ChangesAfter == "disallowed" {
			t.Errorf("core/verify: signature %d (%s, %s): integrity %s, changes after %s %v, reasons %v",
				s.Index, s.Field, s.Kind, s.Integrity, s.ChangesAfter, s.Changes, s.Reasons)
		}
		if strings.HasPrefix(s.Signer.Issuer, "SealDesk Test") || strings.Contains(s.Signer.Issuer, "SealDesk Test") {
			if s.Status != "valid" {
				t.Errorf("core/verify: our signature %d (%s) status %s: %v", s.Index, s.Field, s.Status, s.Reasons)
			}
		}
	}
}

// assertLTV checks with core/verify that every signature of path has its whole chain's
// revocation status embedded (B-LT and above).
func (c *checker) assertLTV(path string) {
	t := c.t
	t.Helper()
	rep, err := sdverify.File(context.Background(), path, &sdverify.Options{Renderer: pdfrender.Shared(), Trust: c.trust})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Signatures {
		if !s.LTV || s.Revocation != "good" {
			t.Errorf("signature %s (%s): ltv %v, revocation %s", s.Field, s.Kind, s.LTV, s.Revocation)
		}
	}
}
