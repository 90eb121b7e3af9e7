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
	serial     string
}

// timestampCheck is the verified content of one timestamp token.
type timestampCheck struct {
	sd       *signedData
	info     tstInfo
	cms      *cmsResult
	problems []string
}

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
	want, err := imprinted.sum(tc.info.imprintAlg)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(want, tc.info.imprint) {
		tc.problems = append(tc.problems, "timestamp message imprint does not match the timestamped data")
	}
	return tc, nil
}

func parseTSTInfo(b []byte) (tstInfo, error) {
	var t tstInfo
	n, err := cms.ParseBERStrict(b)
	if err != nil {
		return t, fmt.Errorf("failed to parse TSTInfo: %w", err)
	}
	if !n.Is(0, cms.TagSequence) || len(n.Children) < 5 {
		return t, fmt.Errorf("failed to parse TSTInfo: %w", cms.ErrBER)
	}
	mi := &n.Children[2]
	if !mi.Is(0, cms.TagSequence) || len(mi.Children) != 2 || !mi.Children[1].Is(0, cms.TagOctetString) {
		return t, fmt.Errorf("failed to parse messageImprint: %w", cms.ErrBER)
	}
	oid, params, err := mi.Children[0].Algorithm()
	if err != nil {
		return t, err
	}
	if t.imprintAlg, err = digestFor(oid, params); err != nil {
		return t, fmt.Errorf("timestamp imprint: %w", err)
	}
	t.imprint = mi.Children[1].Content
	if s, err := n.Children[3].Integer(); err == nil {
		t.serial = s.Text(16)
	}
	if t.genTime, err = n.Children[4].TimeValue(); err != nil {
		return t, fmt.Errorf("failed to parse genTime: %w", err)
	}
	return t, nil
}
