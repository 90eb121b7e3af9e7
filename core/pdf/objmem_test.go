package pdf

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// objMemShapes write an object of n elements of one kind (red team s10 DoS 2: a /VRI of
// empty dictionaries; the others are what an attacker would turn to next).
var objMemShapes = map[string]func(n int) string{
	"vri of empty dictionaries": func(n int) string {
		var b strings.Builder
		b.WriteString("<</VRI<<")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "/%040X<<>>", i)
		}
		b.WriteString(">>>>")
		return b.String()
	},
	"vri with arrays of references": func(n int) string {
		var b strings.Builder
		b.WriteString("<</VRI<<")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "/%040X<</CRL[%d 0 R]/OCSP[%d 0 R]>>", i, i%1000+1, i%1000+2)
		}
		b.WriteString(">>>>")
		return b.String()
	},
	"array of integers":     func(n int) string { return "[" + strings.Repeat(" 1234", n) + "]" },
	"array of reals":        func(n int) string { return "[" + strings.Repeat(" 1.5", n) + "]" },
	"array of references":   func(n int) string { return "[" + strings.Repeat(" 12 0 R", n) + "]" },
	"array of strings":      func(n int) string { return "[" + strings.Repeat("(ab)", n) + "]" },
	"array of empty arrays": func(n int) string { return "[" + strings.Repeat("[]", n) + "]" },
	"array of empty dicts":  func(n int) string { return "[" + strings.Repeat("<<>>", n) + "]" },
}

func parseWith(data string, lim Limits) (*Parser, Object, error) {
	p := NewParser(NewLexer(strings.NewReader(data), int64(len(data)), 0, 1<<30), &lim)
	o, err := p.ParseObject()
	return p, o, err
}

// TestObjectMemory: the estimate of MaxObjectMemory is never less than the heap a parsed object
// keeps, for every shape; an object over the limit is a LimitError naming it, one under parses.
func TestObjectMemory(t *testing.T) {
	const n = 50000
	for name, shape := range objMemShapes {
		t.Run(name, func(t *testing.T) {
			data := shape(n)
			before := heapInUse()
			p, o, err := parseWith(data, Limits{MaxObjectMemory: 1 << 40, MaxObjectElements: 1 << 30})
			kept := heapInUse() - before
			runtime.KeepAlive(o)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d elements: estimate %d bytes, kept %d", n, p.mem, kept)
			if kept > uint64(p.mem) {
				t.Errorf("kept %d bytes, more than the estimate %d", kept, p.mem)
			}
			_, _, err = parseWith(data, Limits{MaxObjectMemory: p.mem - 1, MaxObjectElements: 1 << 30})
			var le *LimitError
			if !errors.As(err, &le) || le.Limit != "MaxObjectMemory" {
				t.Errorf("one byte over: %v, want a LimitError naming MaxObjectMemory", err)
			}
			if _, _, err := parseWith(data, Limits{MaxObjectMemory: p.mem, MaxObjectElements: 1 << 30}); err != nil {
				t.Errorf("at the limit: %v", err)
			}
		})
	}
}
