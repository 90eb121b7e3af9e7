package verify

import (
	"bytes"
	"math/rand"
	"testing"
)

// The shared pass gives every signature the digest that hashing its own ranges gives, for every
// digest algorithm (cloneable or not), with prefixes shared, repeated and out of order.
func TestSharedDigestsMatch(t *testing.T) {
	data := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(data)
	var sigs []*sigState
	for _, r := range [][2][2]int64{
		{{0, 1000}, {2000, 5000}},
		{{0, 300000}, {301000, 200000}},
		{{0, 1000}, {2000, 5000}}, // a copy
		{{0, 900000}, {900500, 148076}},
		{{0, 100}, {200, 1<<20 - 200}}, // a tail reaching the end of the file
		{{0, 500000}, {400000, 10}},    // a tail before the prefix end: hashed per signature
		{{5, 10}, {20, 30}},            // not from 0: hashed per signature
	} {
		sigs = append(sigs, &sigState{ranges: [][2]int64{r[0], r[1]}})
	}
	fd := newFileDigests(data, sigs)
	for _, d := range digestAlgTable {
		oid := d.oid
		for _, s := range sigs {
			direct, err := (&rangeHasher{r: bytes.NewReader(data), ranges: s.ranges}).digest(d)
			if err != nil {
				t.Fatal(err)
			}
			shared, err := (&rangeHasher{data: data, ranges: s.ranges, shared: fd}).digest(d)
			if err != nil || !bytes.Equal(direct, shared) {
				t.Fatalf("%s %v: shared %x, direct %x (%v)", oid, s.ranges, shared, direct, err)
			}
		}
	}
}
