package pdf

import (
	"bytes"
	"compress/zlib"
	"io"
	"math/rand"
	"testing"
)

// TestZlibStored checks the stored-block zlib streams the writer gives xref streams decode to
// their input with the standard decoder (and this package's), across block boundaries.
func TestZlibStored(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 7, 65534, 65535, 65536, 3*65535 + 11} {
		data := make([]byte, n)
		rng.Read(data)
		z := zlibStored(data)
		zr, err := zlib.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: decoded %d bytes, not the input", n, len(got))
		}
		if got, err := inflate(z, int64(n)+1); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: inflate: %v (%d bytes)", n, err, len(got))
		}
		if want := 2 + n + 5*max(1, (n+65534)/65535) + 4; len(z) != want {
			t.Errorf("%d bytes: stream is %d bytes, want %d", n, len(z), want)
		}
	}
}
