package pdf

import (
	"bytes"
	"compress/flate"
	stdlzw "compress/lzw"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"sync"

	"golang.org/x/image/tiff/lzw"
)

// passThrough filters are image codecs the reader does not decode; DecodeStream stops at them
// and returns the data still encoded by them.
func passThrough(n Name) bool {
	switch n {
	case "DCTDecode", "DCT", "JPXDecode", "CCITTFaxDecode", "CCF", "JBIG2Decode", "Crypt":
		return true
	}
	return false
}

// DecodeFilters applies the filters named in a stream dictionary (/Filter, /DecodeParms) to
// raw. Decoding stops before an image codec (DCT, JPX, CCITT, JBIG2); the returned remaining
// filters name what is still applied to the data. The decoded size is capped at max bytes.
func DecodeFilters(raw []byte, filter, parms Object, max int64) (data []byte, remaining []Name, err error) {
	names, params, err := filterList(filter, parms)
	if err != nil {
		return nil, nil, err
	}
	data = raw
	for i, n := range names {
		if passThrough(n) {
			return data, names[i:], nil
		}
		var p Dict
		if i < len(params) {
			p, _ = params[i].(Dict)
		}
		data, err = decodeOne(data, n, p, max)
		if err != nil {
			return nil, nil, fmt.Errorf("decode %s: %w", n, err)
		}
	}
	return data, nil, nil
}

// filterList returns the filter names of a /Filter entry and the /DecodeParms of each.
func filterList(filter, parms Object) ([]Name, []Object, error) {
	var names []Name
	var params []Object
	switch f := filter.(type) {
	case nil, Null:
	case Name:
		names = []Name{f}
		params = []Object{parms}
	case Array:
		for _, x := range f {
			n, ok := x.(Name)
			if !ok {
				return nil, nil, fmt.Errorf("%w: /Filter entry is not a name", ErrMalformed)
			}
			names = append(names, n)
		}
		if pa, ok := parms.(Array); ok {
			params = pa
		}
	default:
		return nil, nil, fmt.Errorf("%w: /Filter is not a name or array", ErrMalformed)
	}
	return names, params, nil
}

// decodedSize is File.DecodedSize on raw data.
func decodedSize(raw []byte, filter, parms Object, max int64) (int64, error) {
	names, params, err := filterList(filter, parms)
	if err != nil {
		return 0, err
	}
	data := raw
	for i, n := range names {
		if passThrough(n) {
			break
		}
		if i == len(names)-1 {
			var r io.Reader
			switch n {
			case "FlateDecode", "Fl":
				zr, err := newZlibReader(bytes.NewReader(data))
				if zr != nil {
					defer zlibReaders.Put(zr)
				}
				if err != nil {
					fr := flate.NewReader(bytes.NewReader(data)) // raw deflate, as inflate reads it
					defer fr.Close()
					r = fr
				} else {
					r = zr
				}
			case "LZWDecode", "LZW":
				var p Dict
				if i < len(params) {
					p, _ = params[i].(Dict)
				}
				var rc io.ReadCloser
				if e, ok := p.Get("EarlyChange").(Int); ok && e == 0 {
					rc = stdlzw.NewReader(bytes.NewReader(data), stdlzw.MSB, 8)
				} else {
					rc = lzw.NewReader(bytes.NewReader(data), lzw.MSB, 8)
				}
				defer rc.Close()
				r = rc
			}
			if r != nil {
				// Errors end the count where the data ends, as a truncated stream is drawn.
				k, _ := io.CopyN(io.Discard, r, max+1)
				if k > max {
					return k, limitErr("MaxStreamSize", max)
				}
				return k, nil
			}
		}
		var p Dict
		if i < len(params) {
			p, _ = params[i].(Dict)
		}
		if data, err = decodeOne(data, n, p, max); err != nil {
			if errors.Is(err, ErrLimit) {
				return max + 1, err
			}
			return int64(len(data)), fmt.Errorf("decode %s: %w", n, err)
		}
	}
	if int64(len(data)) > max {
		return int64(len(data)), limitErr("MaxStreamSize", max)
	}
	return int64(len(data)), nil
}

func decodeOne(in []byte, name Name, p Dict, max int64) ([]byte, error) {
	switch name {
	case "FlateDecode", "Fl":
		out, err := inflate(in, max)
		if err != nil {
			return nil, err
		}
		return applyPredictor(out, p, max)
	case "LZWDecode", "LZW":
		early := true
		if e, ok := p.Get("EarlyChange").(Int); ok && e == 0 {
			early = false
		}
		// PDF's default LZW changes code width one code early, like TIFF's; /EarlyChange 0
		// is the plain variant of compress/lzw.
		var r io.ReadCloser
		if early {
			r = lzw.NewReader(bytes.NewReader(in), lzw.MSB, 8)
		} else {
			r = stdlzw.NewReader(bytes.NewReader(in), stdlzw.MSB, 8)
		}
		defer r.Close()
		out, err := readLimited(r, max)
		if err != nil && len(out) == 0 {
			return nil, err
		}
		return applyPredictor(out, p, max)
	case "ASCIIHexDecode", "AHx":
		return asciiHex(in)
	case "ASCII85Decode", "A85":
		return ascii85(in)
	case "RunLengthDecode", "RL":
		return runLength(in, max)
	}
	return nil, fmt.Errorf("%w: unsupported filter %s", ErrMalformed, name)
}

func readLimited(r io.Reader, max int64) ([]byte, error) {
	// Read into chunks of growing size and copy them once into a slice of the exact length:
	// at most twice the output in memory (a doubling buffer holds up to three times).
	var chunks [][]byte
	var n int64
	size := 4 << 10 // most streams the verifier decodes are small (xref streams, appearances)
	var err error
	for n <= max {
		c := make([]byte, size)
		var k int
		k, err = io.ReadFull(r, c)
		chunks = append(chunks, c[:k])
		n += int64(k)
		if err != nil {
			break
		}
		size = min(size*2, 4<<20)
	}
	if n > max {
		return nil, limitErr("MaxStreamSize", max)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	if len(chunks) == 1 {
		return chunks[0], err
	}
	out := make([]byte, 0, n)
	for i, c := range chunks {
		out = append(out, c...)
		chunks[i] = nil
	}
	return out, err
}

// inflate decodes zlib data, tolerating a missing/broken header (raw deflate) and a truncated
// end (the bytes decoded so far are returned), as viewers do.
func inflate(in []byte, max int64) ([]byte, error) {
	zr, err := newZlibReader(bytes.NewReader(in))
	if zr != nil {
		defer zlibReaders.Put(zr)
	}
	var out []byte
	if err == nil {
		out, err = readLimited(zr, max)
		if errors.Is(err, ErrLimit) {
			return nil, err
		}
		if err == nil || len(out) > 0 {
			return out, nil
		}
	}
	// Raw deflate (no zlib header), or a header we could not read.
	fr := flate.NewReader(bytes.NewReader(in))
	defer fr.Close()
	out, err2 := readLimited(fr, max)
	if errors.Is(err2, ErrLimit) {
		return nil, err2
	}
	if err2 == nil || len(out) > 0 {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, err2
}

// zlibReaders keeps zlib readers for reuse: each new one allocates its decompressor (a 32 KB
// window and Huffman tables, ~45 KB), and a file of cross-reference streams decodes one per
// revision — in a fresh process (sealctl) every one of those pages is a fault at first touch.
var zlibReaders sync.Pool

// newZlibReader returns a zlib reader of r, reused when one is free. The reader is returned
// even when r's header is bad (then with the error), so that it can go back to the pool.
func newZlibReader(r io.Reader) (io.ReadCloser, error) {
	if zr, ok := zlibReaders.Get().(io.ReadCloser); ok {
		return zr, zr.(zlib.Resetter).Reset(r, nil)
	}
	return zlib.NewReader(r)
}

func applyPredictor(in []byte, p Dict, max int64) ([]byte, error) {
	pred, _ := IntOf(p.Get("Predictor"))
	if pred <= 1 {
		return in, nil
	}
	colors, bpc, cols := int64(1), int64(8), int64(1)
	if v, ok := IntOf(p.Get("Colors")); ok && v > 0 {
		colors = v
	}
	if v, ok := IntOf(p.Get("BitsPerComponent")); ok && v > 0 {
		bpc = v
	}
	if v, ok := IntOf(p.Get("Columns")); ok && v > 0 {
		cols = v
	}
	if colors > 64 || bpc > 16 || cols > 1<<24 {
		return nil, fmt.Errorf("%w: predictor parameters out of range", ErrMalformed)
	}
	bpp := int((colors*bpc + 7) / 8)
	rowLen := int((colors*bpc*cols + 7) / 8)
	if pred == 2 {
		if bpc != 8 {
			return nil, fmt.Errorf("%w: TIFF predictor with %d bits per component", ErrMalformed, bpc)
		}
		out := append([]byte(nil), in...)
		for r := 0; r+rowLen <= len(out); r += rowLen {
			for i := bpp; i < rowLen; i++ {
				out[r+i] += out[r+i-bpp]
			}
		}
		return out, nil
	}
	// PNG predictors: each row is prefixed by a filter-type byte.
	out := make([]byte, 0, len(in)/(rowLen+1)*rowLen)
	prev := make([]byte, rowLen)
	cur := make([]byte, rowLen)
	for r := 0; r < len(in); r += rowLen + 1 {
		ft := in[r]
		end := r + 1 + rowLen
		if end > len(in) {
			end = len(in)
		}
		n := copy(cur, in[r+1:end])
		for i := n; i < rowLen; i++ {
			cur[i] = 0
		}
		for i := 0; i < rowLen; i++ {
			var left, up, ul byte
			if i >= bpp {
				left = cur[i-bpp]
				ul = prev[i-bpp]
			}
			up = prev[i]
			switch ft {
			case 0:
			case 1:
				cur[i] += left
			case 2:
				cur[i] += up
			case 3:
				cur[i] += byte((int(left) + int(up)) / 2)
			case 4:
				cur[i] += paeth(left, up, ul)
			default:
				return nil, fmt.Errorf("%w: bad PNG predictor row type %d", ErrMalformed, ft)
			}
		}
		out = append(out, cur[:n]...)
		if int64(len(out)) > max {
			return nil, limitErr("MaxStreamSize", max)
		}
		prev, cur = cur, prev
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func asciiHex(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in)/2)
	var hi byte
	half := false
	for _, c := range in {
		if c == '>' {
			break
		}
		if IsWhite(c) {
			continue
		}
		if !isHex(c) {
			return nil, fmt.Errorf("%w: bad ASCIIHex character %q", ErrMalformed, c)
		}
		if half {
			out = append(out, hi<<4|unhex(c))
		} else {
			hi = unhex(c)
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return out, nil
}

func ascii85(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in)*4/5)
	var tuple uint64
	n := 0
	for i := 0; i < len(in); i++ {
		c := in[i]
		if IsWhite(c) {
			continue
		}
		if c == '~' {
			break
		}
		if c == 'z' && n == 0 {
			out = append(out, 0, 0, 0, 0)
			continue
		}
		if c < '!' || c > 'u' {
			return nil, fmt.Errorf("%w: bad ASCII85 character %q", ErrMalformed, c)
		}
		tuple = tuple*85 + uint64(c-'!')
		n++
		if n == 5 {
			if tuple > 0xFFFFFFFF {
				return nil, fmt.Errorf("%w: ASCII85 group out of range", ErrMalformed)
			}
			out = append(out, byte(tuple>>24), byte(tuple>>16), byte(tuple>>8), byte(tuple))
			tuple, n = 0, 0
		}
	}
	if n == 1 {
		return nil, fmt.Errorf("%w: ASCII85 final group of one character", ErrMalformed)
	}
	if n > 1 {
		for k := n; k < 5; k++ {
			tuple = tuple*85 + 84
		}
		b := []byte{byte(tuple >> 24), byte(tuple >> 16), byte(tuple >> 8), byte(tuple)}
		out = append(out, b[:n-1]...)
	}
	return out, nil
}

func runLength(in []byte, max int64) ([]byte, error) {
	var out []byte
	for i := 0; i < len(in); {
		l := int(in[i])
		i++
		switch {
		case l == 128:
			return out, nil
		case l < 128:
			end := i + l + 1
			if end > len(in) {
				end = len(in)
			}
			out = append(out, in[i:end]...)
			i = end
		default:
			if i >= len(in) {
				return out, nil
			}
			for k := 0; k < 257-l; k++ {
				out = append(out, in[i])
			}
			i++
		}
		if int64(len(out)) > max {
			return nil, limitErr("MaxStreamSize", max)
		}
	}
	return out, nil
}

// FilterStep is one filter of a stream's decoding chain: its full name (abbreviations such as
// /Fl spelled out) and its parameters (nil when the defaults apply).
type FilterStep struct {
	Name  Name
	Parms Dict
}

func filterAbbrev(n Name) (Name, bool) {
	switch n {
	case "Fl":
		return "FlateDecode", true
	case "LZW":
		return "LZWDecode", true
	case "AHx":
		return "ASCIIHexDecode", true
	case "A85":
		return "ASCII85Decode", true
	case "RL":
		return "RunLengthDecode", true
	case "DCT":
		return "DCTDecode", true
	case "CCF":
		return "CCITTFaxDecode", true
	}
	return "", false
}

// FilterChain returns the decoding chain that a stream dictionary's /Filter and /DecodeParms
// spell, in one canonical form: no filter (absent, null or an empty array) is an empty chain, a
// name is the one-element array of that name, abbreviations are spelled out, and parameters
// that are absent, null, an empty dictionary or a null element of the parameter array are the
// defaults (nil). ok is false for a spelling that readers resolve differently (a parameter
// array beside a single filter name, a dictionary beside a filter array, arrays of different
// lengths, indirect objects, anything not a name): such a stream dictionary has no canonical
// form and compares equal only to itself.
func FilterChain(filter, parms Object) (chain []FilterStep, ok bool) {
	var names Array
	var params Array
	switch f := filter.(type) {
	case nil, Null:
	case Name:
		names = Array{f}
		switch p := parms.(type) {
		case nil, Null, Dict:
			params = Array{p}
		default:
			return nil, false
		}
	case Array:
		names = f
		switch p := parms.(type) {
		case nil, Null:
		case Array:
			if len(p) > len(f) {
				for _, x := range p[len(f):] {
					if !isNullish(x) {
						return nil, false
					}
				}
			}
			params = p
		default:
			return nil, false
		}
	default:
		return nil, false
	}
	if len(names) == 0 {
		// No filter: any parameters are for nothing, but a reader could still take a
		// non-empty parameter spelling as a sign of a damaged file; only nulls are canonical.
		for _, x := range params {
			if !isNullish(x) {
				return nil, false
			}
		}
		return nil, true
	}
	for i, x := range names {
		n, isName := x.(Name)
		if !isName {
			return nil, false
		}
		if full, abbr := filterAbbrev(n); abbr {
			n = full
		}
		step := FilterStep{Name: n}
		if i < len(params) {
			switch p := params[i].(type) {
			case nil, Null:
			case Dict:
				for k, v := range p {
					if isNullish(v) {
						continue
					}
					if _, isRef := v.(Ref); isRef {
						return nil, false
					}
					if step.Parms == nil {
						step.Parms = Dict{}
					}
					step.Parms[k] = v
				}
			default:
				return nil, false
			}
		}
		chain = append(chain, step)
	}
	return chain, true
}

// SameFilters reports whether two stream dictionaries spell the same decoding chain (see
// FilterChain): raw data that is byte for byte the same then decodes to the same data for
// every reader. /Filter [] and no /Filter are the same; /FlateDecode and [/Fl] are the same.
func SameFilters(x, y Dict) bool {
	if Equal(x.Get("Filter"), y.Get("Filter")) && Equal(x.Get("DecodeParms"), y.Get("DecodeParms")) {
		return true
	}
	cx, ok1 := FilterChain(x.Get("Filter"), x.Get("DecodeParms"))
	cy, ok2 := FilterChain(y.Get("Filter"), y.Get("DecodeParms"))
	if !ok1 || !ok2 || len(cx) != len(cy) {
		return false
	}
	for i := range cx {
		if cx[i].Name != cy[i].Name || !Equal(cx[i].Parms, cy[i].Parms) {
			return false
		}
	}
	return true
}

// isNullish: absent or null.
func isNullish(o Object) bool {
	switch o.(type) {
	case nil, Null:
		return true
	}
	return false
}
