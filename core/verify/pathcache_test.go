package verify

import (
	"testing"
	"time"

	"sealdesk/core/pki/pkitest"
)

// TestPathCacheSameAsUncached: the TrustStore's cache of path validations gives, for the same
// leaf and intermediates at many times inside, before and after the certificates' validity, and
// with the intermediates missing, exactly what a store without a cache gives; a time outside a
// validity period is never answered from a success cached at a time inside it.
func TestPathCacheSameAsUncached(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	leafX, _ := p.Leaf(t, "张三", "")
	info := func(raw []byte) *certInfo {
		c, err := parseCertInfo(raw)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	leaf, inter := info(leafX.Raw), info(p.Intermediate.Raw)
	cached := NewTrustStore(p.Root)
	times := []time.Time{now, leafX.NotBefore.Add(-time.Hour), now.Add(time.Hour), leafX.NotAfter.Add(time.Hour),
		now, leafX.NotAfter.Add(-time.Minute), leafX.NotBefore.Add(time.Minute), leafX.NotAfter.Add(24 * time.Hour), now}
	trusted := 0
	for round := 0; round < 2; round++ {
		for i, at := range times {
			for _, pool := range [][]*certInfo{{inter}, nil, {inter, leaf}} {
				got := cached.buildChain(leaf, pool, at, purposeSigner)
				want := NewTrustStore(p.Root).buildChain(leaf, pool, at, purposeSigner)
				if got.trusted != want.trusted || got.reason != want.reason || len(got.chain) != len(want.chain) {
					t.Fatalf("round %d time %d (%s), %d intermediates: cached %v %q (%d certs), uncached %v %q (%d certs)", round, i, at, len(pool),
						got.trusted, got.reason, len(got.chain), want.trusted, want.reason, len(want.chain))
				}
				for k := range got.chain {
					if !got.chain[k].Equal(want.chain[k]) {
						t.Fatalf("time %d: certificate %d of the chain differs", i, k)
					}
				}
				if got.trusted {
					trusted++
					if got.chain[0] != leaf.x {
						t.Fatalf("the chain does not start with the caller's leaf")
					}
				}
			}
		}
	}
	if trusted == 0 || len(cached.paths) == 0 {
		t.Fatalf("%d trusted results, %d cached paths: the test did not exercise the cache", trusted, len(cached.paths))
	}
	// A new anchor empties the cache.
	cached.Add(p.Intermediate)
	if len(cached.paths) != 0 {
		t.Fatalf("the cache kept %d paths after the anchors changed", len(cached.paths))
	}
}
