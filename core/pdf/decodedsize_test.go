package pdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"runtime"
	"testing"
)

// TestDecodedSize: a stream's decoded size is counted without keeping the data, up to a cap
// past which it is a *LimitError; a flate bomb costs its counting, not its memory (red team s9
// F7: font programs of 100–400 MiB of zeros in 100–400 KB).
func TestDecodedSize(t *testing.T) {
	flate := func(n int) []byte {
		var b bytes.Buffer
		w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
		w.Write(make([]byte, n))
		w.Close()
		return b.Bytes()
	}
	bomb := flate(40 << 20)
	for _, c := range []struct {
		name          string
		raw           []byte
		filter, parms Object
		max, want     int64
		over          bool
	}{
		{"plain", []byte("0123456789"), nil, nil, 10, 10, false},
		{"plain over", []byte("0123456789"), nil, nil, 9, 10, true},
		{"flate", flate(5000), Name("FlateDecode"), nil, 5000, 5000, false},
		{"flate over", flate(5001), Name("FlateDecode"), nil, 5000, 5001, true},
		{"flate bomb", bomb, Name("FlateDecode"), nil, 32 << 20, 32<<20 + 1, true},
		{"hex then flate bomb", []byte(hexOf(bomb) + ">"), Array{Name("ASCIIHexDecode"), Name("FlateDecode")}, nil, 32 << 20, 32<<20 + 1, true},
		{"flate bomb then hex", flate(64 << 20), Array{Name("FlateDecode"), Name("ASCIIHexDecode")}, nil, 32 << 20, 32<<20 + 1, true},
		{"image codec", []byte("jpeg"), Name("DCTDecode"), nil, 100, 4, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := decodedSize(c.raw, c.filter, c.parms, c.max)
			var le *LimitError
			if c.over != errors.As(err, &le) || (c.over && le.Limit != "MaxStreamSize") {
				t.Fatalf("err %v, want a limit error %v", err, c.over)
			}
			if !c.over && got != c.want {
				t.Fatalf("size %d, want %d", got, c.want)
			}
		})
	}
	// The count keeps nothing: a 40 MiB bomb counted to 32 MiB allocates no more than a
	// decompressor's window and tables.
	var before, after runtimeMem
	before.read()
	if _, err := decodedSize(bomb, Name("FlateDecode"), nil, 32<<20); err == nil {
		t.Fatal("no limit error")
	}
	after.read()
	if d := after.total - before.total; d > 4<<20 {
		t.Fatalf("counting allocated %d bytes", d)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.total = ms.TotalAlloc
}
