package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"

	"sealdesk/core/pki"
)

// TestByteRangeOverflow: a /ByteRange whose offset + length overflows int64 is an invalid
// signature, never a panic (it once sliced out of range while hashing).
func TestByteRangeOverflow(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
	for _, c := range []struct {
		name string
		br   func(br [4]int64) [4]int64
	}{
		{"second length overflows", func(br [4]int64) [4]int64 { return [4]int64{0, br[1], br[2], math.MaxInt64 - br[2] + 1} }},
		{"second length max", func(br [4]int64) [4]int64 { return [4]int64{0, br[1], br[2], math.MaxInt64} }},
		{"second offset max", func(br [4]int64) [4]int64 { return [4]int64{0, br[1], math.MaxInt64, br[3]} }},
		{"first length max", func(br [4]int64) [4]int64 { return [4]int64{0, math.MaxInt64, br[2], br[3]} }},
		{"gap end overflows with first length", func(br [4]int64) [4]int64 { return [4]int64{0, math.MaxInt64 - 5, br[2], 9} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			signed := s.sign(t, doc, sigOpts{field: "Sig1", byteRange: c.br})
			rep := verifyBytes(t, signed, s.store())
			if len(rep.Signatures) != 1 {
				t.Fatalf("want 1 signature, got %d:\n%s", len(rep.Signatures), dump(rep))
			}
			if sg := rep.Signatures[0]; sg.Integrity != "invalid" || sg.Status != StatusInvalid {
				t.Fatalf("integrity %q status %q, want invalid:\n%s", sg.Integrity, sg.Status, dump(rep))
			}
		})
	}
}

// TestWorkerPanicIsError: a panic in the worker that checks a signature becomes the file's
// ErrInternal error; the process (and the next verification) goes on.
func TestWorkerPanicIsError(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
	signed := s.sign(t, doc, sigOpts{field: "Sig1"})
	testHookSignature = func() { panic("injected") }
	_, err := Verify(context.Background(), bytesReader(signed), int64(len(signed)), "p.pdf", nil)
	testHookSignature = nil
	if !errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("panic in a worker: %v", err)
	}
	rep := verifyBytes(t, signed, s.store())
	if rep.Verdict != StatusValid {
		t.Fatalf("after the panic: %s", dump(rep))
	}
	if sum := sha256.Sum256(signed); rep.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("report SHA-256 %s, file %x", rep.SHA256, sum)
	}
}

// TestCancelStopsVerification: a cancelled context ends the verification with its error, not
// with a verdict or "unreadable".
func TestCancelStopsVerification(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
	signed := s.sign(t, doc, sigOpts{field: "Sig1"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Verify(ctx, bytesReader(signed), int64(len(signed)), "c.pdf", nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreadable) {
		t.Fatalf("cancelled: %v", err)
	}
}
