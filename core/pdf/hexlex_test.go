package pdf

import (
	"bytes"
	"errors"
	"math/rand"
	"testing"
)

// refHex decodes a hex string body the slow way (the reference for the lexer's fast loop).
func refHex(body []byte) ([]byte, bool) {
	var v []byte
	var hi byte
	half := false
	for _, c := range body {
		switch {
		case IsWhite(c):
		case isHex(c):
			if half {
				v = append(v, hi<<4|unhex(c))
				half = false
			} else {
				hi, half = unhex(c), true
			}
		default:
			return nil, false
		}
	}
	if half {
		v = append(v, hi<<4)
	}
	return v, true
}

// TestHexStringLexing: hex strings of every length, with white space, odd digit counts and bad
// characters, decode the same through an in-memory lexer and a windowed one (strings that
// cross its 4 KB buffer), and a string over the token limit is a LimitError.
func TestHexStringLexing(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	const digits = "0123456789abcdefABCDEF"
	for i := 0; i < 300; i++ {
		n := rng.Intn(12000)
		if i < 20 {
			n = i
		}
		var body []byte
		for j := 0; j < n; j++ {
			switch r := rng.Intn(40); {
			case r == 0:
				body = append(body, " \n\r\t\f\x00"[rng.Intn(6)])
			case r == 1 && i%7 == 0:
				body = append(body, "gz(/"[rng.Intn(4)])
			default:
				body = append(body, digits[rng.Intn(len(digits))])
			}
		}
		pad := bytes.Repeat([]byte{' '}, rng.Intn(5000))
		in := append(append(append(pad, '<'), body...), []byte("> 12")...)
		want, ok := refHex(body)
		for _, lx := range []*Lexer{NewBytesLexer(in, int64(len(pad)), 1<<20), NewLexer(bytes.NewReader(in), int64(len(in)), int64(len(pad)), 1<<20)} {
			tok, err := lx.Next()
			if !ok {
				if err == nil {
					t.Fatalf("case %d: bad character accepted", i)
				}
				continue
			}
			if err != nil || tok.Kind != TokHexString || !bytes.Equal(tok.Value, want) || tok.End != int64(len(pad)+1+len(body)+1) {
				t.Fatalf("case %d (%d bytes): %v kind %v end %d, value differs: %v", i, n, err, tok.Kind, tok.End, !bytes.Equal(tok.Value, want))
			}
			if next, err := lx.Next(); err != nil || next.Kind != TokInt || next.Int != 12 {
				t.Fatalf("case %d: after the string: %v %v", i, next, err)
			}
		}
	}
	long := append(append([]byte("<"), bytes.Repeat([]byte("ab"), 5000)...), '>')
	for _, lx := range []*Lexer{NewBytesLexer(long, 0, 100), NewLexer(bytes.NewReader(long), int64(len(long)), 0, 100)} {
		var le *LimitError
		if _, err := lx.Next(); !errors.As(err, &le) {
			t.Fatalf("over the token limit: %v", err)
		}
	}
}
