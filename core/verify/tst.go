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

// maxAccuracy bounds TSTInfo.accuracy's seconds (a year): beyond it the token proves nothing a
// verifier could use, and the sum must not overflow time.Duration.
const maxAccuracy = 366 * 24 * time.Hour

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
	tc.problems = append(tc.problems, tc.info.flaws...)
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
	if t.genTime, err = n.Children[4].GeneralizedTimeDER(); err != nil {
		// Read it anyway to report it; a genTime that is not DER in UTC is no timestamp (red
		// team s8b F7b: a local time without 'Z' and a +1400 offset were taken as UTC).
		if t.genTime, err = n.Children[4].TimeValue(); err != nil || !n.Children[4].Is(0, cms.TagGenTime) {
			return t, fmt.Errorf("failed to parse genTime: %w", cms.ErrBER)
		}
		t.flaws = append(t.flaws, fmt.Sprintf("the timestamp's genTime %q is not a DER GeneralizedTime in UTC (RFC 3161 §2.4.2)", n.Children[4].Content))
	}
	// The optional fields, in their order: accuracy, ordering, nonce, [0] tsa, [1] extensions.
	next := 0
	for i := 5; i < len(n.Children); i++ {
		c := &n.Children[i]
		var order int
		switch {
		case c.Is(0, cms.TagSequence):
			order = 1
			acc, err := parseAccuracy(c)
			if err != nil {
				t.flaws = append(t.flaws, "the timestamp's accuracy is malformed")
				continue
			}
			t.accuracy = acc
		case c.Is(0, cms.TagBoolean):
			order = 2
		case c.Is(0, cms.TagInteger):
			order = 3
		case c.Is(2, 0):
			order = 4
		case c.Is(2, 1):
			order = 5
			exts := c.Children
			if len(exts) == 1 && len(exts[0].Children) > 0 && exts[0].Children[0].Is(0, cms.TagSequence) {
				// [1] written EXPLICIT around the SEQUENCE OF (RFC 3161's module tags
				// implicitly): read through it, so that a critical extension is named.
				exts = exts[0].Children
				t.flaws = append(t.flaws, "the timestamp's extensions are malformed")
			}
			for k := range exts {
				if oid, critical, ok := extensionCritical(&exts[k]); !ok {
					t.flaws = append(t.flaws, "the timestamp's extensions are malformed")
				} else if critical {
					// RFC 3161 §2.4.2 defines no TSTInfo extension this verifier could honour,
					// and a critical one it does not understand makes the token unusable
					// (RFC 5280 §4.2) (red team s8b F7b).
					t.flaws = append(t.flaws, "the timestamp token has an unknown critical extension "+oid)
				}
			}
		default:
			t.flaws = append(t.flaws, "the TSTInfo has an element RFC 3161 does not define")
			continue
		}
		if order <= next {
			t.flaws = append(t.flaws, "the TSTInfo's optional fields are repeated or out of order")
		}
		next = order
	}
	return t, nil
}

// parseAccuracy reads Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER
// (1..999) OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL }.
func parseAccuracy(n *node) (time.Duration, error) {
	var d time.Duration
	next := 0
	for i := range n.Children {
		c := n.Children[i]
		order, unit, max := 0, time.Second, int(maxAccuracy/time.Second)
		switch {
		case c.Is(0, cms.TagInteger):
			order = 1
		case c.Is(2, 0) && !c.Constructed:
			order, unit, max = 2, time.Millisecond, 999
		case c.Is(2, 1) && !c.Constructed:
			order, unit, max = 3, time.Microsecond, 999
		default:
			return 0, cms.ErrBER
		}
		if order <= next {
			return 0, cms.ErrBER
		}
		next = order
		c.Class, c.Tag = 0, cms.TagInteger
		v, err := c.SmallInt()
		if err != nil || v < 0 || v > max || (order > 1 && v < 1) {
			return 0, cms.ErrBER
		}
		d += time.Duration(v) * unit
	}
	return d, nil
}

// extensionCritical reads an Extension: its OID and critical flag.
func extensionCritical(e *node) (oid string, critical, ok bool) {
	if !e.Is(0, cms.TagSequence) || len(e.Children) < 2 || len(e.Children) > 3 {
		return "", false, false
	}
	oid, err := e.Children[0].OID()
	if err != nil {
		return "", false, false
	}
	if len(e.Children) == 3 {
		b := &e.Children[1]
		if !b.Is(0, cms.TagBoolean) || len(b.Content) != 1 {
			return "", false, false
		}
		critical = b.Content[0] != 0
	}
	return oid, critical, e.Children[len(e.Children)-1].Is(0, cms.TagOctetString)
}
