package verify

import (
	"encoding"
	"hash"
	"sort"
	"strconv"
	"sync"

	"sealdesk/core/pdf"
)

// fileDigests digests the signed ranges of every signature of one file so that each byte is
// hashed once per digest algorithm, not once per signature: a signature's ranges are a prefix
// [0, a) and a tail [b, c) (the rest of its revision after the /Contents gap). One running hash
// goes through the file in order; at each prefix end a it is cloned, and each clone then hashes
// only its own tail — which is short (the end of the signature dictionary and the
// cross-reference section). A 45 MB file with 50 signatures is hashed once, not 50 times.
//
// The first signature to ask for an algorithm computes every signature's digest with it (the
// workers that check signatures in parallel wait for that one pass). An algorithm whose hash
// cannot be cloned (hash.Cloner or encoding.BinaryMarshaler) is hashed per signature.
type fileDigests struct {
	data   []byte
	ranges [][4]int64 // every signature's well-formed ByteRange starting at 0

	mu      sync.Mutex
	algs    map[string]*algDigests
	fileSum []byte // SHA-256 of the whole file, from the SHA-256 pass
}

type algDigests struct {
	once sync.Once
	sums map[[4]int64][]byte // nil when the hash cannot be cloned
}

func newFileDigests(data []byte, sigs []*sigState) *fileDigests {
	fd := &fileDigests{data: data, algs: map[string]*algDigests{}}
	seen := map[[4]int64]bool{}
	for _, s := range sigs {
		if br, ok := prefixTail(s.ranges, int64(len(data))); ok && !seen[br] {
			seen[br] = true
			fd.ranges = append(fd.ranges, br)
		}
	}
	return fd
}

// prefixTail returns ranges as [0 a b n] when they are a prefix from 0 and a tail after it,
// inside size bytes.
func prefixTail(ranges [][2]int64, size int64) ([4]int64, bool) {
	if len(ranges) != 2 || ranges[0][0] != 0 || !pdf.InRange(0, ranges[0][1], size) ||
		!pdf.InRange(ranges[1][0], ranges[1][1], size) || ranges[1][0] < ranges[0][1] {
		return [4]int64{}, false
	}
	return [4]int64{0, ranges[0][1], ranges[1][0], ranges[1][1]}, true
}

// digest returns the digest with d of the signature whose ranges are given, or nil when it was
// not computed here (the caller then hashes the ranges itself).
func (fd *fileDigests) digest(d digestAlg, ranges [][2]int64) []byte {
	br, ok := prefixTail(ranges, int64(len(fd.data)))
	if !ok {
		return nil
	}
	return fd.pass(d).sums[br]
}

// warm runs the SHA-256 pass (the digest of almost every signature, and the report's file
// digest) ahead of the workers that will ask for it.
func (fd *fileDigests) warm() { fd.pass(digestAlgs(oidSHA256)) }

// fileSHA256 returns the whole file's SHA-256 from the SHA-256 pass (nil if it had none).
func (fd *fileDigests) fileSHA256() []byte {
	fd.pass(digestAlgs(oidSHA256))
	fd.mu.Lock()
	defer fd.mu.Unlock()
	return fd.fileSum
}

// pass returns algorithm d's digests, computing them once.
func (fd *fileDigests) pass(d digestAlg) *algDigests {
	key := d.oid + "/" + strconv.Itoa(d.size)
	fd.mu.Lock()
	a := fd.algs[key]
	if a == nil {
		a = &algDigests{}
		fd.algs[key] = a
	}
	fd.mu.Unlock()
	a.once.Do(func() { a.sums = fd.compute(d) })
	return a
}

func (fd *fileDigests) compute(d digestAlg) map[[4]int64][]byte {
	if _, ok := clone(d, d.New()); !ok {
		return nil
	}
	// Prefix ends in file order; the running hash stops at each and is cloned.
	ends := make([]int64, 0, len(fd.ranges))
	for _, br := range fd.ranges {
		ends = append(ends, br[1])
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	run := d.New()
	at := map[int64]hash.Hash{}
	pos := int64(0)
	for _, a := range ends {
		if _, done := at[a]; done {
			continue
		}
		run.Write(fd.data[pos:a])
		pos = a
		c, ok := clone(d, run)
		if !ok {
			return nil
		}
		at[a] = c
	}
	if d.oid == oidSHA256 {
		run.Write(fd.data[pos:])
		fd.mu.Lock()
		fd.fileSum = run.Sum(nil)
		fd.mu.Unlock()
	}
	sums := make(map[[4]int64][]byte, len(fd.ranges))
	for _, br := range fd.ranges {
		h, ok := clone(d, at[br[1]])
		if !ok {
			return nil
		}
		h.Write(fd.data[br[2] : br[2]+br[3]])
		sums[br] = h.Sum(nil)
	}
	return sums
}

// clone copies h's state into a new hash of algorithm d.
func clone(d digestAlg, h hash.Hash) (hash.Hash, bool) {
	if c, ok := h.(hash.Cloner); ok {
		if h2, err := c.Clone(); err == nil {
			return h2, true
		}
	}
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil, false
	}
	state, err := m.MarshalBinary()
	if err != nil {
		return nil, false
	}
	h2 := d.New()
	u, ok := h2.(encoding.BinaryUnmarshaler)
	if !ok || u.UnmarshalBinary(state) != nil {
		return nil, false
	}
	return h2, true
}
