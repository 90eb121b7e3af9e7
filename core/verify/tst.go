package verify

import (
	"bytes"
	"fmt"
	"sealdesk/core/cms"
	"time"
)

// tstInfo is an RFC 3161 TSTInfo.
type tstInfo struct {
	imprintAlg digestAlg
	imprint    []byte
	genTime    time.Time
	accuracy   time.Duration // TSTInfo.accuracy, zero when absent
	serial     string
	flaws      []string // what makes the token no timestamp (RFC 3161 §2.4.2), for timestampCheck.problems
}

// latest is the latest time the token can have been made at, the time it proves existence
// before: genTime + accuracy (RFC 3161 §2.4.2: the time is genTime ± accuracy), and never later
// than now, when the data exists anyway. Wherever a timestamp is a proof of existence (the
// signer's and the TSA's certificate validity, revocation) this is the time used, not genTime
// (red team s8b F7: genTime 10 days ago ± 30 days rescued a certificate expired 5 days ago).
func (t tstInfo) latest(now time.Time) time.Time {
	l := t.genTime.Add(t.accuracy)
	if l.After(now) && !t.genTime.After(now) {
		return now
	}
	return l
}

// timestampCheck is the verified content of one timestamp token.
type timestampCheck struct {
	sd       *signedData
	info     tstInfo
	cms      *cmsResult
	problems []string
	unbound  string // reasonUnboundTST, or ""
}

// reasonUnboundTST: a token without a signing-certificate(-v2) attribute (RFC 3161 §2.4.1
// requires it, RFC 5816 allows v2) does not bind its authority's certificate — the token's
// certificates and sid are not signed, so another certificate for the same key could stand in —
// and proves no time (tsaValidate).
const reasonUnboundTST = "the time-stamping authority's certificate is not bound to the token: RFC 3161 requires the signing-certificate attribute, without which another certificate for the same key can replace it"

func (t *timestampCheck) ok() bool { return len(t.problems) == 0 && len(t.cms.problems) == 0 }

// checkTimestampToken parses and verifies a timestamp token: a SignedData holding a TSTInfo,
// signed by one TSA, whose messageImprint must equal the digest of imprinted (computed with the
// imprint's own algorithm).
func checkTimestampToken(token []byte, imprinted signedInput) (*timestampCheck, error) {
	sd, err := parseContentInfo(token)
	if err != nil {
		return nil, err
	}
	tc := &timestampCheck{sd: sd}
	if sd.eContentType != oidTSTInfo || !sd.hasEContent {
		return nil, fmt.Errorf("timestamp token does not carry a TSTInfo")
	}
	if tc.info, err = parseTSTInfo(sd.eContent); err != nil {
		return nil, err
	}
	if len(sd.signers) != 1 {
		tc.problems = append(tc.problems, fmt.Sprintf("timestamp token has %d SignerInfos", len(sd.signers)))
	}
	tc.cms = sd.verifySigner(sd.signers[0], signedInput{msg: sd.eContent}, nil)
	if tc.cms.cert != nil && sd.signers[0].signedAttrs == nil {
		tc.problems = append(tc.problems, "timestamp token has no signed attributes")
	}
	_, v1 := sd.signers[0].attrs[oidAttrSigningCert]
	_, v2 := sd.signers[0].attrs[oidAttrSigningCert2]
	if !v1 && !v2 {
		tc.unbound = reasonUnboundTST
	}
	want, err := imprinted.sum(tc.info.imprintAlg)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(want, tc.info.imprint) {
		tc.problems = append(tc.problems, "timestamp message imprint does not match the timestamped data")
	}
	tc.problems = append(tc.problems, tc.info.flaws...)
	return tc, nil
}

// parseTSTInfo reads a TSTInfo with the reader core/tsa shares (cms.ParseTSTInfo) and judges its
// imprint algorithm by this package's digest policy.
func parseTSTInfo(b []byte) (tstInfo, error) {
	var t tstInfo
	ti, err := cms.ParseTSTInfo(b)
	if err != nil {
		return t, err
	}
	if t.imprintAlg, err = digestFor(ti.ImprintAlg, ti.ImprintParams); err != nil {
		return t, fmt.Errorf("timestamp imprint: %w", err)
	}
	t.imprint, t.genTime, t.accuracy, t.flaws = ti.Imprint, ti.GenTime, ti.Accuracy, ti.Flaws
	t.serial = ti.Serial.Text(16)
	return t, nil
}
