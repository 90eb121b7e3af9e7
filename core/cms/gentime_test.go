package cms

import (
	"testing"
	"time"
)

// TestGeneralizedTimeDER: genTime as RFC 3161 §2.4.2 asks (DER, UTC) is read; a local time, an
// offset, trailing zeros in the fraction, a bare "." and a UTCTime are refused, while TimeValue
// still reads the lenient forms (red team s8b F7b).
func TestGeneralizedTimeDER(t *testing.T) {
	gt := func(s string) Node { return Node{Tag: TagGenTime, Content: []byte(s)} }
	cases := []struct {
		n    Node
		want time.Time // zero: refused
	}{
		{gt("20260301100000Z"), time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
		{gt("20260301100000.5Z"), time.Date(2026, 3, 1, 10, 0, 0, 500e6, time.UTC)},
		{gt("20260301100000.123456789Z"), time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)},
		{gt("20260301100000"), time.Time{}},
		{gt("20260302000000+1400"), time.Time{}},
		{gt("20260301100000-0000"), time.Time{}},
		{gt("20260301100000.50Z"), time.Time{}},
		{gt("20260301100000.Z"), time.Time{}},
		{gt("20260301100000,5Z"), time.Time{}},
		{gt("202603011000Z"), time.Time{}},
		{gt("20261301100000Z"), time.Time{}},
		{gt("2026030110000aZ"), time.Time{}},
		{Node{Tag: TagUTCTime, Content: []byte("260301100000Z")}, time.Time{}},
		{Node{Tag: TagGenTime, Constructed: true, Content: []byte("20260301100000Z")}, time.Time{}},
	}
	for _, c := range cases {
		got, err := c.n.GeneralizedTimeDER()
		if c.want.IsZero() {
			if err == nil {
				t.Errorf("%q (tag %d): accepted as %v", c.n.Content, c.n.Tag, got)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("%q: %v, %v; want %v", c.n.Content, got, err, c.want)
		}
	}
	// The lenient reader keeps reading what other fields may hold.
	for _, s := range []string{"20260301100000", "20260302000000+1400", "20260301100000.50Z"} {
		n := gt(s)
		if _, err := n.TimeValue(); err != nil {
			t.Errorf("TimeValue(%q): %v", s, err)
		}
	}
}
