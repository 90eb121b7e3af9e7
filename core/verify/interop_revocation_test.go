package verify

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sealdesk/core/pki"
)

// TestRevocationPolicy: all embedded revocation data counts, "revoked" anywhere wins, the
// freshest covering response decides, stale data is unknown (see checkCertRevocation).
func TestRevocationPolicy(t *testing.T) {
	doc, _ := makeDoc(docOpts{})
	type resp struct {
		at      time.Duration // produced at signing time + at
		revoked bool
	}
	cases := []struct {
		name    string
		revoke  time.Duration // revocation time relative to signing; 0 = never
		resps   []resp
		want    Verdict // verdict
		rev     string  // revocation status
		reason  string
		trusted bool
	}{
		{"fresh-good: one good response produced an hour after signing", 0, []resp{{time.Hour, false}}, StatusValid, RevocationGood, "", true},
		{"good-then-revoked: a good response two days before and a revoked one after (old code: first good decided)",
			-time.Hour, []resp{{-48 * time.Hour, false}, {time.Hour, true}}, StatusUntrusted, RevocationRevoked, "revoked at", false},
		{"revoked-stale-still-wins: a month-old response already saying revoked beside a fresh good one",
			-40 * 24 * time.Hour, []resp{{-30 * 24 * time.Hour, true}, {time.Hour, false}}, StatusUntrusted, RevocationRevoked, "revoked at", false},
		{"two-good: an older and a fresher good response", 0, []resp{{-72 * time.Hour, false}, {time.Hour, false}}, StatusValid, RevocationGood, "", true},
		{"stale-only: the only response is 30 days older than the signing time", 0, []resp{{-30 * 24 * time.Hour, false}}, StatusValid, RevocationUnknown, "more than 8 days older", true},
		{"revoked-after-signing: revoked a day after the timestamp", 24 * time.Hour, []resp{{48 * time.Hour, true}}, StatusValid, RevocationGood, "after the signing time", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSigner(t, pki.ECDSAP256)
			// The issuing CA answers itself: its delegated responder's certificate, issued an
			// hour before signing, speaks for no time before it (ocspEvidence), and the rows
			// need responses from a month before. Once revoked, later responses say so too.
			var ders [][]byte
			revoked := false
			for _, r := range c.resps {
				at := s.now.Add(r.at)
				revoked = revoked || r.revoked
				st := pki.CertStatus{Serial: s.cert.SerialNumber, Good: !revoked, ThisUpdate: at.Add(-time.Minute), NextUpdate: at.Add(24 * time.Hour)}
				if revoked {
					st.RevokedAt = s.now.Add(c.revoke)
				}
				d, err := pki.CreateOCSPResponse(s.pki.Intermediate, s.pki.Intermediate, s.pki.IntKey, st, at)
				if err != nil {
					t.Fatal(err)
				}
				ders = append(ders, d)
			}
			rep := verifyBytes(t, s.sign(t, doc, sigOpts{dssOCSP: ders, timestamp: true}), s.store())
			sg := rep.Signatures[0]
			if rep.Verdict != c.want || sg.Revocation != c.rev || (sg.Trust == "trusted") != c.trusted {
				t.Fatalf("verdict %s revocation %s trust %s, want %s %s trusted=%v\n%s", rep.Verdict, sg.Revocation, sg.Trust, c.want, c.rev, c.trusted, dump(rep))
			}
			if c.reason != "" && !reportMentions(rep, c.reason) {
				t.Errorf("no reason mentions %q\n%s", c.reason, dump(rep))
			}
			var sb strings.Builder
			rep.WriteText(&sb, "zh")
			if c.rev == RevocationUnknown && c.want == StatusValid && !strings.Contains(sb.String(), "有效，吊销状态未知") {
				t.Errorf("the zh text does not say 有效，吊销状态未知:\n%s", sb.String())
			}
		})
	}
}

// "View the signed version" writes from the bytes that were verified; ExtractRevision, for a
// report without them, refuses a file that changed since.
func TestExtractSignedFromVerifiedBytes(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{})
	signed := s.sign(t, doc, sigOpts{})
	twice := s.sign(t, signed, sigOpts{})
	dir := t.TempDir()
	path := filepath.Join(dir, "a.pdf")
	os.WriteFile(path, twice, 0o600)
	rep, err := File(context.Background(), path, &Options{Trust: s.store()})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, bytes.Repeat([]byte("x"), len(twice)), 0o600) // replaced after verifying
	out := filepath.Join(dir, "v1.pdf")
	if err := rep.ExtractSigned(1, out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, signed) {
		t.Fatalf("extracted %d bytes, not the %d the first signature covers", len(got), len(signed))
	}
	bare := &Report{File: rep.File, SHA256: rep.SHA256, Verdict: rep.Verdict, Signatures: rep.Signatures}
	if err := ExtractRevision(path, bare, 1, out); err == nil || !strings.Contains(err.Error(), "changed since") {
		t.Fatalf("ExtractRevision of a replaced file: %v", err)
	}
	os.WriteFile(path, twice, 0o600)
	if err := ExtractRevision(path, bare, 2, out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, twice) {
		t.Fatal("signature 2 does not cover the whole file")
	}
}
