package verify

import (
	"context"
	"crypto"
	"crypto/x509/pkix"
	"strings"
	"testing"
	"time"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
)

// Our own signatures: valid with the test root, untrusted without it, for each key type,
// digest and cross-reference style. (The legacy adbe.x509.rsa_sha1 is SHA-1, untrusted after its
// sunset without a timestamp: TestRedTeamS8bAlgorithmPolicy.)
func TestOwnSignatures(t *testing.T) {
	cases := []struct {
		name string
		kt   pki.KeyType
		o    sigOpts
		doc  docOpts
		alg  string
	}{
		{"ecdsa-p256 table", pki.ECDSAP256, sigOpts{visible: true}, docOpts{}, "ECDSA-P256-SHA256"},
		{"ecdsa-p384 sha384 xref stream", pki.ECDSAP384, sigOpts{hash: crypto.SHA384}, docOpts{xrefStream: true}, "ECDSA-P384-SHA384"},
		{"rsa pkcs1 sha512", pki.RSA2048, sigOpts{hash: crypto.SHA512, style: pdf.StyleStream}, docOpts{}, "RSA-SHA512"},
		{"rsa pss", pki.RSA2048, sigOpts{pss: true}, docOpts{}, "RSA-PSS-SHA256"},
		{"ed25519", pki.Ed25519, sigOpts{hash: crypto.SHA512}, docOpts{}, "Ed25519"},
		{"fill empty field with timestamp", pki.ECDSAP256, sigOpts{field: "Sig1", timestamp: true}, docOpts{emptySig: true}, "ECDSA-P256-SHA256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSigner(t, c.kt)
			doc, _ := makeDoc(c.doc)
			signed := s.sign(t, doc, c.o)
			rep := verifyBytes(t, signed, s.store())
			if rep.Verdict != StatusValid {
				t.Fatalf("with the root: %s\n%s", rep.Verdict, dump(rep))
			}
			sg := rep.Signatures[0]
			if sg.Algorithm != c.alg || sg.Signer.Name != "张三" || sg.Trust != "trusted" || sg.Integrity != "valid" || sg.ChangesAfter != "none" {
				t.Errorf("report: %+v", sg)
			}
			if c.o.timestamp && (sg.TimeSource != "timestamp" || !sg.Timestamp.Valid || sg.SigningTime != "2026-03-01T10:00:00Z") {
				t.Errorf("timestamp not used: %+v", sg)
			}
			if c.o.field == "Sig1" && sg.Field != "Sig1" {
				t.Errorf("field %q", sg.Field)
			}
			if c.o.visible && (sg.Page != 1 || sg.Rect[2] != 272) {
				t.Errorf("position %d %v", sg.Page, sg.Rect)
			}
			rep = verifyBytes(t, signed, nil)
			if rep.Verdict != StatusUntrusted {
				t.Errorf("without the root: %s", rep.Verdict)
			}
			// Another PKI's root does not help.
			other := newSigner(t, pki.ECDSAP256)
			if rep := verifyBytes(t, signed, other.store()); rep.Verdict != StatusUntrusted {
				t.Errorf("with a foreign root: %s", rep.Verdict)
			}
		})
	}
}

// Flipping any single byte inside the signed ranges breaks the signature.
func TestByteFlips(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
	signed := s.sign(t, doc, sigOpts{field: "Sig1"})
	rep := verifyBytes(t, signed, s.store())
	if rep.Verdict != StatusValid {
		t.Fatalf("baseline %s\n%s", rep.Verdict, dump(rep))
	}
	f, _ := pdf.Open(bytesReader(signed), int64(len(signed)), nil)
	sigs, _, _ := f.FindSigDicts()
	arr := sigs[0].Dict.Get("ByteRange").(pdf.Array)
	gapStart, gapEnd := int64(arr[1].(pdf.Int)), int64(arr[2].(pdf.Int))
	bad := 0
	for i := 0; i < len(signed); i++ {
		if int64(i) >= gapStart && int64(i) < gapEnd {
			continue
		}
		mod := append([]byte{}, signed...)
		mod[i] ^= 0x01
		r, err := Verify(context.Background(), bytesReader(mod), int64(len(mod)), "flip.pdf", &Options{Trust: s.store()})
		if err != nil {
			continue // no longer a readable PDF at all: not accepted either
		}
		if r.Verdict != StatusInvalid {
			bad++
			if bad < 5 {
				t.Errorf("flip at %d (%q): verdict %s", i, signed[max(0, i-10):min(len(signed), i+10)], r.Verdict)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d single-byte flips were not caught", bad)
	}
}

// Revocation from embedded OCSP (DSS): good → LTV; revoked before signing → not trusted.
func TestRevocation(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{})
	chainOCSP := func() [][]byte {
		leaf, err := s.pki.OCSPResponse(s.cert.SerialNumber)
		if err != nil {
			t.Fatal(err)
		}
		return [][]byte{leaf}
	}
	signed := s.sign(t, doc, sigOpts{dssOCSP: chainOCSP(), timestamp: true})
	rep := verifyBytes(t, signed, s.store())
	sg := rep.Signatures[0]
	if rep.Verdict != StatusValid || sg.Revocation != RevocationGood {
		t.Fatalf("good: %s %s\n%s", rep.Verdict, sg.Revocation, dump(rep))
	}
	if !sg.LTV {
		t.Errorf("LTV not reported although the leaf's status is embedded and the CAs name no revocation service")
	}
	// The same response inside the CMS (adbe-revocationInfoArchival) instead of the DSS.
	rep = verifyBytes(t, s.sign(t, doc, sigOpts{adbeOCSP: chainOCSP(), timestamp: true}), s.store())
	if sg := rep.Signatures[0]; rep.Verdict != StatusValid || sg.Revocation != RevocationGood || !sg.LTV {
		t.Fatalf("adbe-revocationInfoArchival: %s %s %v\n%s", rep.Verdict, sg.Revocation, sg.LTV, dump(rep))
	}
	s.pki.Revoke(s.cert.SerialNumber, s.now.Add(-30*time.Minute))
	signed = s.sign(t, doc, sigOpts{dssOCSP: chainOCSP(), timestamp: true})
	rep = verifyBytes(t, signed, s.store())
	sg = rep.Signatures[0]
	if rep.Verdict != StatusUntrusted || sg.Revocation != RevocationRevoked {
		t.Fatalf("revoked: %s %s\n%s", rep.Verdict, sg.Revocation, dump(rep))
	}
}

// The certificate is checked at the verified timestamp's time when there is one.
func TestValidityAtTimestampTime(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{})
	late := func(data []byte) *Report {
		rep, err := Verify(context.Background(), bytesReader(data), int64(len(data)), "x.pdf", &Options{Trust: s.store(),
			Now: func() time.Time { return s.now.AddDate(3, 0, 0) }}) // the leaf expired after 2 years
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := late(s.sign(t, doc, sigOpts{}))
	if rep.Verdict != StatusUntrusted {
		t.Errorf("expired certificate without timestamp: %s\n%s", rep.Verdict, dump(rep))
	}
	rep = late(s.sign(t, doc, sigOpts{timestamp: true}))
	if rep.Verdict != StatusValid || rep.Signatures[0].TimeSource != "timestamp" {
		t.Errorf("expired certificate with a timestamp from its validity: %s\n%s", rep.Verdict, dump(rep))
	}
	// No signature timestamp, but a document timestamp over it (B-LTA): proof of existence.
	rep = late(s.sign(t, s.sign(t, doc, sigOpts{}), sigOpts{docTS: true}))
	if rep.Verdict != StatusValid || rep.Signatures[0].Trust != "trusted" {
		t.Errorf("expired certificate covered by a document timestamp: %s\n%s", rep.Verdict, dump(rep))
	}
}

// A certificate whose EKU is for TLS servers is not a document signer.
func TestSignerKeyUsage(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	cert, err := pki.Issue(s.pki.Issuer(), pki.Request{Profile: pki.ProfileTLSServer, PublicKey: s.key.Public(),
		Subject: pkix.Name{CommonName: "server.example"}, DNSNames: []string{"server.example"}, NotBefore: s.now.Add(-time.Hour), NotAfter: s.now.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := makeDoc(docOpts{})
	rep := verifyBytes(t, s.sign(t, doc, sigOpts{signerCert: cert}), s.store())
	if rep.Verdict != StatusUntrusted || !strings.Contains(strings.Join(rep.Signatures[0].Reasons, "\n"), "extended key usage") {
		t.Errorf("TLS certificate as signer: %s\n%s", rep.Verdict, dump(rep))
	}
}

// Online revocation, only when asked: the pkitest responder on 127.0.0.1.
func TestOnlineRevocation(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }})
	cert, key := p.Leaf(t, "李四", pki.ECDSAP256)
	s := &signer{pki: p, cert: cert, key: key, now: now}
	doc, _ := makeDoc(docOpts{})
	signed := s.sign(t, doc, sigOpts{})
	check := func(online bool) *Report {
		rep, err := Verify(context.Background(), bytesReader(signed), int64(len(signed)), "x.pdf", &Options{Trust: s.store(), Online: online,
			Now: func() time.Time { return now.Add(time.Hour) }})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	before := p.Requests["/ocsp"]
	if rep := check(false); rep.Signatures[0].Revocation != RevocationUnknown || p.Requests["/ocsp"] != before {
		t.Fatalf("offline verification went online or knew the status: %+v", rep.Signatures[0])
	}
	if rep := check(true); rep.Signatures[0].Revocation != RevocationGood || rep.Signatures[0].LTV {
		t.Fatalf("online good: %+v", rep.Signatures[0])
	}
	p.Revoke(cert.SerialNumber, now.Add(-time.Hour))
	if rep := check(true); rep.Signatures[0].Revocation != RevocationRevoked || rep.Verdict != StatusUntrusted {
		t.Fatalf("online revoked: %s %+v", rep.Verdict, rep.Signatures[0])
	}
}
