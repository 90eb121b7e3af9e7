package verify

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
)

// The changes a report lists come in the same order every time (sealctl verify --json is a
// contract: the Windows build under Wine had to give byte-for-byte the Linux JSON, and a catalog
// compared through Go's map order did not). pyHanko's extensions-direct.pdf changes three catalog
// entries after its first signature.
func TestChangesOrderIsStable(t *testing.T) {
	f := filepath.Join(interopDir(t), "files", "001-pyhanko-extensions-direct.pdf")
	var first []string
	for i := 0; i < 12; i++ {
		rep, err := File(context.Background(), f, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Signatures) == 0 || len(rep.Signatures[0].Changes) < 3 {
			t.Fatalf("run %d: %d signatures, changes %v", i, len(rep.Signatures), rep.Signatures)
		}
		if i == 0 {
			first = rep.Signatures[0].Changes
		} else if got := rep.Signatures[0].Changes; !reflect.DeepEqual(got, first) {
			t.Fatalf("run %d listed %q, run 0 %q", i, got, first)
		}
	}
}
