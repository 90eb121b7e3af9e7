package pdf

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"fmt"
	"testing"
)

// TestInflateReusedReaders: the zlib readers inflate reuses give what fresh ones give — after
// a stream with a bad zlib header (raw deflate), a truncated one and one over the size limit,
// for small and large outputs.
func TestInflateReusedReaders(t *testing.T) {
	z := func(b []byte) []byte {
		var buf bytes.Buffer
		w := zlib.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	raw := func(b []byte) []byte {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.BestSpeed)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	small := []byte("1 0 obj << /Type /XRef >> endobj")
	large := bytes.Repeat([]byte(fmt.Sprintf("%0100d\n", 12345)), 20000) // 2 MB: chunks of every size
	cases := []struct {
		name string
		in   []byte
		max  int64
		want []byte
		err  bool
	}{
		{"small", z(small), 1 << 20, small, false},
		{"raw deflate", raw(small), 1 << 20, small, false},
		{"large", z(large), 4 << 20, large, false},
		{"truncated", z(large)[:1000], 4 << 20, nil, false},
		{"over the limit", z(large), 1 << 20, nil, true},
		{"small again", z(small), 1 << 20, small, false},
		{"large again", z(large), 4 << 20, large, false},
	}
	for round := 0; round < 3; round++ {
		for _, c := range cases {
			got, err := inflate(c.in, c.max)
			if (err != nil) != c.err {
				t.Fatalf("round %d %s: error %v", round, c.name, err)
			}
			if c.want != nil && !bytes.Equal(got, c.want) {
				t.Fatalf("round %d %s: %d bytes, want %d", round, c.name, len(got), len(c.want))
			}
			if c.name == "truncated" && (len(got) == 0 || !bytes.HasPrefix(large, got)) {
				t.Fatalf("round %d truncated: %d bytes, not a prefix of the data", round, len(got))
			}
		}
	}
}
