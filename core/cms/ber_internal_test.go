package cms

import (
	"crypto/sha256"
	"reflect"
	"testing"

	"sealdesk/core/pki/pkitest"
)

// plainParse is ParseBER without the counting pass: every Children slice grows by append.
func plainParse(b []byte) (Node, []byte, error) {
	p := &berParser{plain: true}
	return p.parse(b, 0)
}

// TestBERPreallocSameTree: the counted allocation (countBER, directChildren) changes nothing but
// where the elements live — the same tree, rest and error as growing each Children slice, for
// a CMS with a chain, its BER form with indefinite lengths, every truncation of both and single
// corrupted bytes — and it allocates far less.
func TestBERPreallocSameTree(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	cert, key := p.Leaf(t, "signer", "")
	d := sha256.Sum256([]byte("content"))
	sd, err := Sign(SignOptions{Signer: key, Cert: cert, Chain: p.Chain, Digest: d[:]})
	if err != nil {
		t.Fatal(err)
	}
	der, err := sd.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// The same content under an indefinite-length outer SEQUENCE, with an indefinite OCTET
	// STRING-like constructed element inside, as some signers write.
	root, _, err := ParseBER(der)
	if err != nil {
		t.Fatal(err)
	}
	ber := append([]byte{0x30, 0x80}, root.Content...)
	ber = append(ber, 0x24, 0x80, 0x04, 0x02, 'a', 'b', 0x04, 0x01, 'c', 0x00, 0x00, 0x00, 0x00)
	inputs := [][]byte{der, ber, append(append([]byte{}, der...), 0, 0, 0)}
	for i := 0; i < len(der); i += 7 {
		c := append([]byte{}, der...)
		c[i] ^= 0x5a
		inputs = append(inputs, c)
	}
	compare := func(b []byte) {
		t.Helper()
		n1, r1, e1 := plainParse(b)
		n2, r2, e2 := ParseBER(b)
		if (e1 == nil) != (e2 == nil) || (e1 != nil && e1.Error() != e2.Error()) {
			t.Fatalf("%d bytes: errors differ: %v / %v", len(b), e1, e2)
		}
		if !reflect.DeepEqual(n1, n2) || !reflect.DeepEqual(r1, r2) {
			t.Fatalf("%d bytes: trees differ", len(b))
		}
	}
	for _, in := range inputs[:2] {
		for k := 0; k <= len(in); k++ {
			compare(in[:k])
		}
	}
	for _, in := range inputs {
		compare(in)
	}
	plain := testing.AllocsPerRun(20, func() { plainParse(der) })
	counted := testing.AllocsPerRun(20, func() { ParseBER(der) })
	t.Logf("allocations per parse of a %d-byte CMS: %.0f growing, %.0f counted", len(der), plain, counted)
	if counted > plain/4 {
		t.Fatalf("counted parse allocates %.0f times, growing %.0f: the pool is not used", counted, plain)
	}
}
