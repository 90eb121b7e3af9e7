package cms

import (
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// TSTInfo is an RFC 3161 TSTInfo as the one strict reader shared by core/tsa (the client that
// checks a fresh token, the signer that embeds it) and core/verify reads it: two readers of one
// token could otherwise see two times (encoding/asn1 took a genTime with a +1400 offset as that
// time while the verifier refused it).
type TSTInfo struct {
	Version int
	Policy  asn1.ObjectIdentifier
	// ImprintAlg is the messageImprint's AlgorithmIdentifier: its OID and its parameters element
	// (nil when absent), for the caller's own digest policy.
	ImprintAlg    string
	ImprintParams *Node
	Imprint       []byte
	Serial        *big.Int
	GenTime       time.Time
	Accuracy      time.Duration // zero when absent
	Ordering      bool
	Nonce         *big.Int // nil when absent
	// Flaws are what makes the token no timestamp although it parses (RFC 3161 §2.4.2): a
	// genTime that is not DER in UTC, a critical extension, a malformed accuracy, optional
	// fields repeated, out of order or undefined. A verifier reports them; the TSA client
	// refuses the token.
	Flaws []string
}

// MaxAccuracy bounds TSTInfo.accuracy's seconds (a year): beyond it the token proves nothing a
// verifier could use, and the sum must not overflow time.Duration.
const MaxAccuracy = 366 * 24 * time.Hour

// ParseTSTInfo reads a DER TSTInfo. It fails only where the structure is not a TSTInfo at all;
// what parses but disqualifies the token is listed in Flaws.
func ParseTSTInfo(b []byte) (*TSTInfo, error) {
	t := &TSTInfo{}
	n, rest, err := ParseBER(b)
	if err != nil {
		return nil, fmt.Errorf("failed to parse TSTInfo: %w", err)
	}
	if len(rest) != 0 {
		// eContent holds the TSTInfo and nothing else (no /Contents zero padding here).
		return nil, fmt.Errorf("failed to parse TSTInfo: %w: %d bytes after it", ErrBER, len(rest))
	}
	if !n.Is(0, TagSequence) || len(n.Children) < 5 {
		return nil, fmt.Errorf("failed to parse TSTInfo: %w", ErrBER)
	}
	if t.Version, err = n.Children[0].SmallInt(); err != nil {
		return nil, fmt.Errorf("failed to parse TSTInfo version: %w", err)
	}
	policy, err := n.Children[1].OID()
	if err != nil {
		return nil, fmt.Errorf("failed to parse TSTInfo policy: %w", err)
	}
	if t.Policy, err = OIDFromString(policy); err != nil {
		return nil, err
	}
	mi := &n.Children[2]
	if !mi.Is(0, TagSequence) || len(mi.Children) != 2 || !mi.Children[1].Is(0, TagOctetString) {
		return nil, fmt.Errorf("failed to parse messageImprint: %w", ErrBER)
	}
	if t.ImprintAlg, t.ImprintParams, err = mi.Children[0].Algorithm(); err != nil {
		return nil, err
	}
	t.Imprint = mi.Children[1].Content
	if t.Serial, err = n.Children[3].Integer(); err != nil {
		return nil, fmt.Errorf("failed to parse TSTInfo serialNumber: %w", err)
	}
	if t.GenTime, err = n.Children[4].GeneralizedTimeDER(); err != nil {
		// Read it anyway to report it; a genTime that is not DER in UTC is no timestamp (red
		// team s8b F7b: a local time without 'Z' and a +1400 offset were taken as UTC).
		if t.GenTime, err = n.Children[4].TimeValue(); err != nil || !n.Children[4].Is(0, TagGenTime) {
			return nil, fmt.Errorf("failed to parse genTime: %w", ErrBER)
		}
		t.Flaws = append(t.Flaws, fmt.Sprintf("the timestamp's genTime %q is not a DER GeneralizedTime in UTC (RFC 3161 §2.4.2)", n.Children[4].Content))
	}
	// The optional fields, in their order: accuracy, ordering, nonce, [0] tsa, [1] extensions.
	next := 0
	for i := 5; i < len(n.Children); i++ {
		c := &n.Children[i]
		var order int
		switch {
		case c.Is(0, TagSequence):
			order = 1
			acc, err := parseAccuracy(c)
			if err != nil {
				t.Flaws = append(t.Flaws, "the timestamp's accuracy is malformed")
				continue
			}
			t.Accuracy = acc
		case c.Is(0, TagBoolean):
			order = 2
			t.Ordering = len(c.Content) == 1 && c.Content[0] != 0
		case c.Is(0, TagInteger):
			order = 3
			if t.Nonce, err = c.Integer(); err != nil {
				t.Flaws = append(t.Flaws, "the timestamp's nonce is malformed")
			}
		case c.Is(2, 0):
			order = 4
		case c.Is(2, 1):
			order = 5
			exts := c.Children
			if len(exts) == 1 && len(exts[0].Children) > 0 && exts[0].Children[0].Is(0, TagSequence) {
				// [1] written EXPLICIT around the SEQUENCE OF (RFC 3161's module tags
				// implicitly): read through it, so that a critical extension is named.
				exts = exts[0].Children
				t.Flaws = append(t.Flaws, "the timestamp's extensions are malformed")
			}
			for k := range exts {
				if oid, critical, ok := extensionCritical(&exts[k]); !ok {
					t.Flaws = append(t.Flaws, "the timestamp's extensions are malformed")
				} else if critical {
					// RFC 3161 §2.4.2 defines no TSTInfo extension this verifier could honour,
					// and a critical one it does not understand makes the token unusable
					// (RFC 5280 §4.2) (red team s8b F7b).
					t.Flaws = append(t.Flaws, "the timestamp token has an unknown critical extension "+oid)
				}
			}
		default:
			t.Flaws = append(t.Flaws, "the TSTInfo has an element RFC 3161 does not define")
			continue
		}
		if order <= next {
			t.Flaws = append(t.Flaws, "the TSTInfo's optional fields are repeated or out of order")
		}
		next = order
	}
	return t, nil
}

// parseAccuracy reads Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER
// (1..999) OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL }.
func parseAccuracy(n *Node) (time.Duration, error) {
	var d time.Duration
	next := 0
	for i := range n.Children {
		c := n.Children[i]
		order, unit, max := 0, time.Second, int(MaxAccuracy/time.Second)
		switch {
		case c.Is(0, TagInteger):
			order = 1
		case c.Is(2, 0) && !c.Constructed:
			order, unit, max = 2, time.Millisecond, 999
		case c.Is(2, 1) && !c.Constructed:
			order, unit, max = 3, time.Microsecond, 999
		default:
			return 0, ErrBER
		}
		if order <= next {
			return 0, ErrBER
		}
		next = order
		c.Class, c.Tag = 0, TagInteger
		v, err := c.SmallInt()
		if err != nil || v < 0 || v > max || (order > 1 && v < 1) {
			return 0, ErrBER
		}
		d += time.Duration(v) * unit
	}
	return d, nil
}

// extensionCritical reads an Extension: its OID and critical flag.
func extensionCritical(e *Node) (oid string, critical, ok bool) {
	if !e.Is(0, TagSequence) || len(e.Children) < 2 || len(e.Children) > 3 {
		return "", false, false
	}
	oid, err := e.Children[0].OID()
	if err != nil {
		return "", false, false
	}
	if len(e.Children) == 3 {
		b := &e.Children[1]
		if !b.Is(0, TagBoolean) || len(b.Content) != 1 {
			return "", false, false
		}
		critical = b.Content[0] != 0
	}
	return oid, critical, e.Children[len(e.Children)-1].Is(0, TagOctetString)
}
