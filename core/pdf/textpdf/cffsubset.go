package textpdf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Subsetting the font. A document embeds Noto Sans CJK SC's CFF, a CID-keyed font of
// some 30 000 glyphs (1.3 MB in every report). subsetCFF keeps the font's structure — glyph
// numbers, the charset (GID → CID), FDSelect, the global and local subroutines the kept glyphs
// call — and empties everything else: each glyph the report does not use becomes a bare endchar
// and each subroutine no kept glyph calls a bare return. CIDs therefore stay what the content
// streams and widths already use, and the result is a valid CFF any viewer reads.

// errCFFLayout is returned for a CFF this subsetter does not handle (not CID-keyed, odd offsets);
// the caller then embeds the font whole.
var errCFFLayout = errors.New("cff layout not supported for subsetting")

// cffReadIndex reads the INDEX at p: its items and the offset after it.
func cffReadIndex(b []byte, p int) (items [][]byte, end int, err error) {
	if p < 0 || p+2 > len(b) {
		return nil, 0, errors.New("bad CFF INDEX")
	}
	count := int(binary.BigEndian.Uint16(b[p:]))
	if count == 0 {
		return nil, p + 2, nil
	}
	if p+3 > len(b) {
		return nil, 0, errors.New("bad CFF INDEX")
	}
	os := int(b[p+2])
	if os < 1 || os > 4 || p+3+(count+1)*os > len(b) {
		return nil, 0, errors.New("bad CFF INDEX")
	}
	rd := func(q int) int {
		v := 0
		for k := 0; k < os; k++ {
			v = v<<8 | int(b[q+k])
		}
		return v
	}
	base := p + 3 + (count+1)*os - 1
	items = make([][]byte, count)
	for i := 0; i < count; i++ {
		a, z := rd(p+3+i*os), rd(p+3+(i+1)*os)
		if a < 1 || a > z || base+z > len(b) {
			return nil, 0, errors.New("bad CFF INDEX")
		}
		items[i] = b[base+a : base+z]
	}
	return items, base + rd(p+3+count*os), nil
}

// cffWriteIndex encodes items as an INDEX with the smallest offset size.
func cffWriteIndex(items [][]byte) []byte {
	if len(items) == 0 {
		return []byte{0, 0}
	}
	total := 1
	for _, it := range items {
		total += len(it)
	}
	os := 1
	for lim := 0xff; total > lim; lim = lim<<8 | 0xff {
		os++
	}
	out := make([]byte, 0, 3+(len(items)+1)*os+total)
	out = append(out, byte(len(items)>>8), byte(len(items)), byte(os))
	put := func(v int) {
		for k := os - 1; k >= 0; k-- {
			out = append(out, byte(v>>(8*k)))
		}
	}
	off := 1
	put(off)
	for _, it := range items {
		off += len(it)
		put(off)
	}
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

// cffDictEntry is one operator of a DICT with its operands: raw bytes, and as integers (reals
// count as 0: they are never offsets).
type cffDictEntry struct {
	op   int // 0–21, or 1200+n for 12 n
	raw  []byte
	ints []int
}

func cffParseDict(d []byte) ([]cffDictEntry, error) {
	var out []cffDictEntry
	start := 0
	var ints []int
	for i := 0; i < len(d); {
		b := int(d[i])
		switch {
		case b == 28:
			if i+2 >= len(d) {
				return nil, errors.New("bad CFF DICT")
			}
			ints = append(ints, int(int16(binary.BigEndian.Uint16(d[i+1:]))))
			i += 3
		case b == 29:
			if i+4 >= len(d) {
				return nil, errors.New("bad CFF DICT")
			}
			ints = append(ints, int(int32(binary.BigEndian.Uint32(d[i+1:]))))
			i += 5
		case b == 30:
			i++
			for i < len(d) && d[i]&0x0f != 0x0f && d[i]>>4 != 0x0f {
				i++
			}
			i++
			ints = append(ints, 0)
		case b >= 32 && b <= 246:
			ints = append(ints, b-139)
			i++
		case b >= 247 && b <= 250:
			if i+1 >= len(d) {
				return nil, errors.New("bad CFF DICT")
			}
			ints = append(ints, (b-247)*256+int(d[i+1])+108)
			i += 2
		case b >= 251 && b <= 254:
			if i+1 >= len(d) {
				return nil, errors.New("bad CFF DICT")
			}
			ints = append(ints, -(b-251)*256-int(d[i+1])-108)
			i += 2
		case b <= 21:
			op := b
			raw := d[start:i]
			if b == 12 {
				if i+1 >= len(d) {
					return nil, errors.New("bad CFF DICT")
				}
				op = 1200 + int(d[i+1])
				i++
			}
			i++
			out = append(out, cffDictEntry{op: op, raw: raw, ints: ints})
			ints, start = nil, i
		default:
			return nil, errors.New("bad CFF DICT byte")
		}
	}
	return out, nil
}

// cffEncodeDict writes entries, with the operands of the operators in set replaced by
// fixed-size (5-byte) integers, so that the size does not depend on the values.
func cffEncodeDict(entries []cffDictEntry, set map[int][]int) []byte {
	var out []byte
	for _, e := range entries {
		if v, ok := set[e.op]; ok {
			for _, x := range v {
				out = append(out, 29, byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
			}
		} else {
			out = append(out, e.raw...)
		}
		if e.op >= 1200 {
			out = append(out, 12, byte(e.op-1200))
		} else {
			out = append(out, byte(e.op))
		}
	}
	return out
}

func cffDictGet(entries []cffDictEntry, op int) []int {
	for _, e := range entries {
		if e.op == op {
			return e.ints
		}
	}
	return nil
}

// subsetCFF returns cff with only the glyphs keep (GIDs; .notdef is always kept) drawn.
func subsetCFF(cff []byte, keep map[int]bool) ([]byte, error) {
	if len(cff) < 4 || int(cff[2]) > len(cff) {
		return nil, errCFFLayout
	}
	hdr := int(cff[2])
	_, nameEnd, err := cffReadIndex(cff, hdr)
	if err != nil {
		return nil, err
	}
	tops, topEnd, err := cffReadIndex(cff, nameEnd)
	if err != nil || len(tops) != 1 {
		return nil, errCFFLayout
	}
	_, strEnd, err := cffReadIndex(cff, topEnd)
	if err != nil {
		return nil, err
	}
	gsubrs, _, err := cffReadIndex(cff, strEnd)
	if err != nil {
		return nil, err
	}
	top, err := cffParseDict(tops[0])
	if err != nil {
		return nil, err
	}
	ros, csOff, charsetOff, fdaOff, fdsOff := cffDictGet(top, 1230), cffDictGet(top, 17), cffDictGet(top, 15), cffDictGet(top, 1236), cffDictGet(top, 1237)
	if ros == nil || len(csOff) != 1 || len(charsetOff) != 1 || len(fdaOff) != 1 || len(fdsOff) != 1 {
		return nil, errCFFLayout // only CID-keyed fonts (Noto CJK)
	}
	for _, e := range top {
		if e.op == 18 || e.op == 16 {
			return nil, errCFFLayout
		}
	}
	glyphs, _, err := cffReadIndex(cff, csOff[0])
	if err != nil {
		return nil, err
	}
	n := len(glyphs)
	charset, err := cffSpan(cff, charsetOff[0], func(p int) (int, error) { return cffCharsetLen(cff, p, n) })
	if err != nil {
		return nil, err
	}
	fdSelect, err := cffSpan(cff, fdsOff[0], func(p int) (int, error) { return cffFDSelectLen(cff, p, n) })
	if err != nil {
		return nil, err
	}
	fds, _, err := cffReadIndex(cff, fdaOff[0])
	if err != nil || len(fds) == 0 {
		return nil, errCFFLayout
	}
	fdOf, err := cffFDSelect(fdSelect, n, len(fds))
	if err != nil {
		return nil, err
	}
	type private struct {
		dict  []cffDictEntry
		subrs [][]byte
		used  map[int]bool
	}
	fdDicts := make([][]cffDictEntry, len(fds))
	privs := make([]private, len(fds))
	for i, fd := range fds {
		if fdDicts[i], err = cffParseDict(fd); err != nil {
			return nil, err
		}
		pv := cffDictGet(fdDicts[i], 18)
		if len(pv) != 2 || pv[1] < 0 || pv[0] < 0 || pv[1]+pv[0] > len(cff) {
			return nil, errCFFLayout
		}
		pd, err := cffParseDict(cff[pv[1] : pv[1]+pv[0]])
		if err != nil {
			return nil, err
		}
		privs[i].dict = pd
		privs[i].used = map[int]bool{}
		if so := cffDictGet(pd, 19); len(so) == 1 {
			if privs[i].subrs, _, err = cffReadIndex(cff, pv[1]+so[0]); err != nil {
				return nil, err
			}
		}
	}

	// The kept glyphs and every subroutine they call.
	usedG := map[int]bool{}
	outGlyphs := make([][]byte, n)
	endchar := []byte{14}
	for g := 0; g < n; g++ {
		if g != 0 && !keep[g] {
			outGlyphs[g] = endchar
			continue
		}
		outGlyphs[g] = glyphs[g]
		fd := fdOf[g]
		if err := cffCallsOf(glyphs[g], gsubrs, privs[fd].subrs, usedG, privs[fd].used); err != nil {
			return nil, fmt.Errorf("glyph %d: %w", g, err)
		}
	}
	ret := []byte{11}
	hollow := func(subrs [][]byte, used map[int]bool) [][]byte {
		out := make([][]byte, len(subrs))
		for i := range subrs {
			if used[i] {
				out[i] = subrs[i]
			} else {
				out[i] = ret
			}
		}
		return out
	}

	// Layout: header, Name, Top DICT, String, Global Subrs, charset, FDSelect, CharStrings,
	// FDArray, then each Private DICT followed by its Subrs.
	zero := map[int][]int{17: {0}, 15: {0}, 1236: {0}, 1237: {0}}
	topLen := len(cffWriteIndex([][]byte{cffEncodeDict(top, zero)}))
	gsub := cffWriteIndex(hollow(gsubrs, usedG))
	cs := cffWriteIndex(outGlyphs)
	privBytes := make([][]byte, len(fds))
	privLen := make([]int, len(fds))
	for i := range privs {
		set := map[int][]int{}
		if cffDictGet(privs[i].dict, 19) != nil {
			set[19] = []int{0}
		}
		l := len(cffEncodeDict(privs[i].dict, set))
		if set[19] != nil {
			set[19] = []int{l}
		}
		pb := cffEncodeDict(privs[i].dict, set)
		privLen[i] = len(pb)
		if privs[i].subrs != nil {
			pb = append(pb, cffWriteIndex(hollow(privs[i].subrs, privs[i].used))...)
		}
		privBytes[i] = pb
	}
	fdaLen := func(offs []int) []byte {
		items := make([][]byte, len(fds))
		for i := range fds {
			items[i] = cffEncodeDict(fdDicts[i], map[int][]int{18: {privLen[i], offs[i]}})
		}
		return cffWriteIndex(items)
	}
	// (the header and Name INDEX, then the String INDEX, are copied as they are)
	charsetAt := nameEnd + topLen + (strEnd - topEnd) + len(gsub)
	fdsAt := charsetAt + len(charset)
	csAt := fdsAt + len(fdSelect)
	fdaAt := csAt + len(cs)
	fdaBytes := fdaLen(make([]int, len(fds)))
	privAt := make([]int, len(fds))
	p := fdaAt + len(fdaBytes)
	for i := range privBytes {
		privAt[i] = p
		p += len(privBytes[i])
	}
	fdaBytes = fdaLen(privAt)
	topDict := cffEncodeDict(top, map[int][]int{17: {csAt}, 15: {charsetAt}, 1236: {fdaAt}, 1237: {fdsAt}})

	out := make([]byte, 0, p)
	out = append(out, cff[:nameEnd]...)
	out = append(out, cffWriteIndex([][]byte{topDict})...)
	out = append(out, cff[topEnd:strEnd]...)
	out = append(out, gsub...)
	out = append(out, charset...)
	out = append(out, fdSelect...)
	out = append(out, cs...)
	out = append(out, fdaBytes...)
	for _, pb := range privBytes {
		out = append(out, pb...)
	}
	if len(out) != p {
		return nil, fmt.Errorf("cff subset layout: wrote %d bytes, planned %d", len(out), p)
	}
	return out, nil
}

func cffSpan(b []byte, p int, length func(int) (int, error)) ([]byte, error) {
	if p <= 0 || p >= len(b) {
		return nil, errCFFLayout
	}
	l, err := length(p)
	if err != nil {
		return nil, err
	}
	if p+l > len(b) {
		return nil, errCFFLayout
	}
	return b[p : p+l], nil
}

// cffCharsetLen is the byte length of the charset at p for n glyphs.
func cffCharsetLen(b []byte, p, n int) (int, error) {
	switch b[p] {
	case 0:
		return 1 + 2*(n-1), nil
	case 1, 2:
		size := 3
		if b[p] == 2 {
			size = 4
		}
		q, covered := p+1, 1
		for covered < n {
			if q+size > len(b) {
				return 0, errCFFLayout
			}
			left := int(b[q+2])
			if size == 4 {
				left = int(binary.BigEndian.Uint16(b[q+2:]))
			}
			covered += left + 1
			q += size
		}
		return q - p, nil
	}
	return 0, errCFFLayout
}

// cffFDSelectLen is the byte length of the FDSelect at p for n glyphs.
func cffFDSelectLen(b []byte, p, n int) (int, error) {
	switch b[p] {
	case 0:
		return 1 + n, nil
	case 3:
		if p+3 > len(b) {
			return 0, errCFFLayout
		}
		return 1 + 2 + 3*int(binary.BigEndian.Uint16(b[p+1:])) + 2, nil
	}
	return 0, errCFFLayout
}

// cffFDSelect returns the font DICT index of each glyph.
func cffFDSelect(b []byte, n, nfd int) ([]int, error) {
	out := make([]int, n)
	switch b[0] {
	case 0:
		for g := 0; g < n; g++ {
			out[g] = int(b[1+g])
		}
	case 3:
		nr := int(binary.BigEndian.Uint16(b[1:]))
		for r := 0; r < nr; r++ {
			first := int(binary.BigEndian.Uint16(b[3+3*r:]))
			fd := int(b[3+3*r+2])
			next := int(binary.BigEndian.Uint16(b[3+3*(r+1):]))
			for g := first; g < next && g < n; g++ {
				out[g] = fd
			}
		}
	}
	for _, fd := range out {
		if fd >= nfd {
			return nil, errCFFLayout
		}
	}
	return out, nil
}

func cffBias(n int) int {
	switch {
	case n < 1240:
		return 107
	case n < 33900:
		return 1131
	}
	return 32768
}

// cffCallsOf walks a Type 2 charstring and marks the global and local subroutines it calls,
// directly or through other subroutines. It tracks only what decides the calls and the hint
// mask lengths: the operand stack's numbers and the count of stem hints.
func cffCallsOf(cs []byte, gsubrs, lsubrs [][]byte, usedG, usedL map[int]bool) error {
	st := &t2state{gsubrs: gsubrs, lsubrs: lsubrs, usedG: usedG, usedL: usedL}
	_, err := st.run(cs, 0)
	return err
}

type t2state struct {
	gsubrs, lsubrs [][]byte
	usedG, usedL   map[int]bool
	stack          []int
	stems          int
	width          bool // the width operand was seen (first stack-clearing operator)
}

// run interprets cs; it reports whether endchar ended the glyph.
func (s *t2state) run(cs []byte, depth int) (bool, error) {
	if depth > 10 {
		return false, errors.New("subroutines nested too deep")
	}
	for i := 0; i < len(cs); {
		b := int(cs[i])
		switch {
		case b == 28:
			if i+2 >= len(cs) {
				return false, errors.New("short charstring")
			}
			s.stack = append(s.stack, int(int16(binary.BigEndian.Uint16(cs[i+1:]))))
			i += 3
			continue
		case b >= 32 && b <= 246:
			s.stack = append(s.stack, b-139)
			i++
			continue
		case b >= 247 && b <= 250:
			if i+1 >= len(cs) {
				return false, errors.New("short charstring")
			}
			s.stack = append(s.stack, (b-247)*256+int(cs[i+1])+108)
			i += 2
			continue
		case b >= 251 && b <= 254:
			if i+1 >= len(cs) {
				return false, errors.New("short charstring")
			}
			s.stack = append(s.stack, -(b-251)*256-int(cs[i+1])-108)
			i += 2
			continue
		case b == 255:
			if i+4 >= len(cs) {
				return false, errors.New("short charstring")
			}
			s.stack = append(s.stack, int(int32(binary.BigEndian.Uint32(cs[i+1:])))>>16)
			i += 5
			continue
		}
		i++
		switch b {
		case 1, 3, 18, 23: // hstem, vstem, hstemhm, vstemhm
			s.stems += len(s.stack) / 2
			s.stack = s.stack[:0]
		case 19, 20: // hintmask, cntrmask: an implicit vstem, then the mask bytes
			s.stems += len(s.stack) / 2
			s.stack = s.stack[:0]
			i += (s.stems + 7) / 8
		case 10, 29: // callsubr, callgsubr
			if len(s.stack) == 0 {
				return false, errors.New("call without a subroutine number")
			}
			k := s.stack[len(s.stack)-1]
			s.stack = s.stack[:len(s.stack)-1]
			subrs, used := s.lsubrs, s.usedL
			if b == 29 {
				subrs, used = s.gsubrs, s.usedG
			}
			k += cffBias(len(subrs))
			if k < 0 || k >= len(subrs) {
				return false, errors.New("subroutine out of range")
			}
			used[k] = true
			end, err := s.run(subrs[k], depth+1)
			if err != nil || end {
				return end, err
			}
		case 11: // return
			return false, nil
		case 14: // endchar
			return true, nil
		case 12: // escape: arithmetic and flex; none of them calls
			if i < len(cs) {
				i++
			}
			s.stack = s.stack[:0]
		default:
			s.stack = s.stack[:0]
		}
	}
	return false, nil
}
