package pdf

import "bytes"

// Rebuild header scan: the "N G obj" headers that some reader's rebuild of the
// cross-reference table could take (red team s7, G4/G5).
//
// A reader that gives up on the cross-reference data rebuilds it by scanning the bytes, and
// each reader tokenises them its own way. A header that one of them takes and a pattern
// match misses is a definition the verifier never compares, so this scan is the union of the
// readers' rules, not a regular expression:
//
//   - MuPDF (pdf-repair.c, pdf_repair_xref): a token lexer over the whole file. White space is
//     NUL, TAB, LF, FF, CR and SPACE, and a comment (% to the end of the line) is white space,
//     so "4 0 % c⏎obj" and "4 % c⏎0 obj" are headers. The last two integer tokens before an
//     "obj" keyword are the number and generation. A number token starts with + - . or a digit
//     and runs to white space or a delimiter: "+4" is 4, a lone "+" or "-" is 0, "-0" is 0,
//     and digits wrap modulo 2^32 ("4294967300" is 4). Inside strings it lexes on ("(" is an
//     error token), and after a stream it resyncs on the bytes "endstream", whatever follows.
//     "4 0obj" is one bad token ("0obj"), not a header.
//   - poppler (XRef::constructXRef): reads the file with getLine(buf, 256), so a "line" is at
//     most 255 bytes — a longer line is cut into chunks, and each chunk is examined as if it
//     began a line. A chunk (and the rest of a chunk after each "endobj" in it) is a header
//     when, after blanks, it holds digits (atoi: the number as a C int), C white space (which
//     includes VT, and not NUL), digits, white space and the three bytes "obj" — whatever
//     follows them. Where the digits end a chunk (or a NUL or an "endobj" ends it), poppler
//     continues in the next chunk: "4" at the end of one chunk and "0 obj" at the start of
//     the next is a header whose bytes read "40 obj" to everyone else.
//   - qpdf (QPDF::reconstruct_xref): the first token of each line with its tokenizer (white
//     space and comments skipped), then two more: integer, integer, the word "obj". Every
//     header it takes is one the lexer rule above takes.
//
// So a header is reported when the MuPDF-style token rule or the poppler chunk rule finds
// one; its number is the one that reader computes (which may differ from what this package's
// parser reads at the offset: a caller treats a definition it cannot parse as different).
// Both rules are one pass over the bytes: a comment is skipped once per line (the end of the
// line and the blanks after it are remembered), a chunk is at most 255 bytes and is read at
// most three times, so the scan is linear in the bytes however the comments and lines nest.
//
// What no rule here models: a dictionary between the generation and "obj" ("4 0 << >> obj",
// which MuPDF's repair lists and then fails to load) — see core/verify's package doc.

// HeaderScanner finds rebuild headers in one buffer. Scans of ascending spans share the work
// of finding where poppler's chunks are aligned.
type HeaderScanner struct {
	b []byte
	// eolBefore memo: the last line end before memoAt (-1 when none).
	memoAt, memoEOL int
	// Comment memo: for any line end in [gapLo, gapHi), white space and comments run up to gapHi.
	gapLo, gapHi int
	// eolFrom memo: no line end in [eolFrom, eolAt).
	eolFrom, eolAt int
	// Buffers reused from scan to scan: each rule's headers, and the merge.
	lex, pop, out []ObjectHeader
}

// NewHeaderScanner returns a scanner over b (the whole file, so that poppler's chunks are
// aligned as poppler reads them from the start).
func NewHeaderScanner(b []byte) *HeaderScanner {
	return &HeaderScanner{b: b, memoEOL: -1, gapLo: -1, gapHi: -1, eolFrom: -1, eolAt: -1}
}

// RebuildHeaders returns the headers whose number starts in b[lo:hi], sorted by offset; each
// offset once per number, with the rules that find it (which one is the last of its number
// differs between readers).
func (s *HeaderScanner) RebuildHeaders(lo, hi int64) []ObjectHeader {
	return append([]ObjectHeader(nil), s.scan(lo, hi)...)
}

// scan is RebuildHeaders into the scanner's own buffer (valid until the next scan).
func (s *HeaderScanner) scan(lo, hi int64) []ObjectHeader {
	n := int64(len(s.b))
	lo, hi = max(lo, 0), min(hi, n)
	s.lex, s.pop, s.out = s.lex[:0], s.pop[:0], s.out[:0]
	if lo >= hi {
		return s.out
	}
	s.lexerHeaders(int(lo), int(hi), func(num, gen, off int) {
		if int64(off) >= lo && int64(off) < hi {
			s.lex = append(s.lex, ObjectHeader{Ref: Ref{Num: num, Gen: gen}, Offset: int64(off), Rules: HeaderLexer})
		}
	})
	s.chunkHeaders(int(lo), int(hi), func(num, gen, off int) {
		if int64(off) >= lo && int64(off) < hi {
			s.pop = append(s.pop, ObjectHeader{Ref: Ref{Num: num, Gen: gen}, Offset: int64(off), Rules: HeaderPoppler})
		}
	})
	// Both rules report in ascending order of offset: merge, one entry per offset and number.
	less := func(x, y ObjectHeader) bool {
		return x.Offset < y.Offset || x.Offset == y.Offset && x.Ref.Num < y.Ref.Num
	}
	i, j := 0, 0
	for i < len(s.lex) || j < len(s.pop) {
		var h ObjectHeader
		switch {
		case j == len(s.pop) || i < len(s.lex) && less(s.lex[i], s.pop[j]):
			h = s.lex[i]
			i++
		default:
			h = s.pop[j]
			j++
		}
		if k := len(s.out) - 1; k >= 0 && s.out[k].Offset == h.Offset && s.out[k].Ref.Num == h.Ref.Num {
			s.out[k].Rules |= h.Rules
			continue
		}
		s.out = append(s.out, h)
	}
	return s.out
}

// eachWindow is how many bytes Each scans at a time: the headers of one window are held
// together (at most one per 7 bytes), so memory stays bounded whatever the file holds.
const eachWindow = 1 << 20

// Each calls fn with the headers whose number starts in b[lo:hi], in ascending order of offset
// (as RebuildHeaders returns them), holding at most one window's headers at a time. fn must
// not use the scanner.
func (s *HeaderScanner) Each(lo, hi int64, fn func(ObjectHeader)) {
	for w := max(lo, 0); w < hi; w += eachWindow {
		for _, h := range s.scan(w, min(w+eachWindow, hi)) {
			fn(h)
		}
	}
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// wrap32 is a run of digits as MuPDF's fast_atoi and poppler's atoi compute it on a 64-bit
// machine: modulo 2^32, as a signed int.
func wrap32(d []byte) int64 {
	var v uint32
	for _, c := range d {
		v = v*10 + uint32(c-'0')
	}
	return int64(int32(v))
}

// eol returns the first CR or LF at or after p (len(b) when none), remembering the span it
// searched so that comments on one line cost one search together.
func (s *HeaderScanner) eol(p int) int {
	if p >= s.eolFrom && p <= s.eolAt && s.eolFrom >= 0 {
		return s.eolAt
	}
	e := p
	for e < len(s.b) && s.b[e] != '\n' && s.b[e] != '\r' {
		e++
	}
	s.eolFrom, s.eolAt = p, e
	return e
}

// skipGap skips MuPDF's white space and comments from p.
func (s *HeaderScanner) skipGap(p int) int {
	b := s.b
	first := -1
	for p < len(b) {
		c := b[p]
		if IsWhite(c) {
			if (c == '\n' || c == '\r') && s.gapLo >= 0 && p >= s.gapLo && p < s.gapHi {
				p = s.gapHi
				break
			}
			p++
			continue
		}
		if c != '%' {
			break
		}
		e := s.eol(p)
		if s.gapLo >= 0 && e >= s.gapLo && e < s.gapHi {
			p = s.gapHi
			if first < 0 {
				return p
			}
			break
		}
		if first < 0 {
			first = e
		}
		p = e
	}
	if first >= 0 {
		// Every line end between first and p was met as white space (a comment ends at the
		// first one), so the gap from any of them ends at p as well.
		s.gapLo, s.gapHi = first, p
	}
	return p
}

// numberToken reads a MuPDF number token at p: it returns its end and value, ok false when
// the token is not an integer ("4.0", "0obj", "4+0") or p holds no number.
func numberToken(b []byte, p int) (end int, v int64, ok bool) {
	start := p
	if p >= len(b) {
		return p, 0, false
	}
	neg := false
	switch b[p] {
	case '+':
		p++
	case '-':
		neg = true
		for p < len(b) && b[p] == '-' {
			p++
		}
	}
	ds := p
	for p < len(b) && isDigitByte(b[p]) {
		p++
	}
	if p < len(b) && !IsWhite(b[p]) && !IsDelim(b[p]) {
		return p, 0, false
	}
	if p == start {
		return p, 0, false
	}
	v = wrap32(b[ds:p])
	if neg {
		v = -v
	}
	return p, v, true
}

// tokenStart reports whether a token may start at p for a lexer: after white space, a
// delimiter, the start of the file, or the bytes "endstream" (MuPDF's resync after a stream
// whose length it distrusts lexes on right after them) or "endobj" (poppler).
func tokenStart(b []byte, p int) bool {
	if p == 0 {
		return true
	}
	c := b[p-1]
	if IsWhite(c) || IsDelim(c) {
		return true
	}
	return hasSuffixAt(b, p, "endstream") || hasSuffixAt(b, p, "endobj")
}

func hasSuffixAt(b []byte, p int, s string) bool {
	return p >= len(s) && string(b[p-len(s):p]) == s
}

// Byte classes for the lexer rule.
const (
	clsOther = iota
	clsStart // a digit or '+': a number token may start here
	clsWhite
	clsDelim
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case isDigitByte(byte(c)) || c == '+':
			t[c] = clsStart
		case IsWhite(byte(c)):
			t[c] = clsWhite
		case IsDelim(byte(c)):
			t[c] = clsDelim
		}
	}
	return t
}()

// lexerHeaders applies the token rule (MuPDF, qpdf) to number tokens starting in [lo, hi).
func (s *HeaderScanner) lexerHeaders(lo, hi int, add func(num, gen, off int)) {
	b := s.b
	// atStart: whether a token may start at i (see tokenStart), kept as the loop walks.
	atStart := tokenStart(b, lo)
	for i := lo; i < hi; i++ {
		cls := byteClass[b[i]]
		if cls != clsStart || !atStart {
			switch cls {
			case clsWhite, clsDelim:
				atStart = true
			default:
				// Inside a regular run; MuPDF resyncs right after "endstream", poppler after "endobj".
				atStart = (b[i] == 'm' && hasSuffixAt(b, i+1, "endstream")) || (b[i] == 'j' && hasSuffixAt(b, i+1, "endobj"))
			}
			continue
		}
		ts := i
		end, num, ok := numberToken(b, ts)
		atStart = false
		// The loop's i++ lands on the byte after the token (a delimiter or white space, or
		// the bad byte that ended it, which then starts no token).
		i = max(end, ts+1) - 1
		if !ok || num <= 0 {
			continue
		}
		g := s.skipGap(end)
		if g == end {
			continue
		}
		gend, gen, ok := numberToken(b, g)
		if !ok || gen < 0 || gend == g {
			continue
		}
		o := s.skipGap(gend)
		if o == gend || o+3 > len(b) || string(b[o:o+3]) != "obj" || (o+3 < len(b) && !IsWhite(b[o+3]) && !IsDelim(b[o+3])) {
			continue
		}
		if b[ts] == '+' {
			ts++
		}
		add(int(num), int(min(gen, 65535)), ts)
	}
}

// eolBefore returns the last CR or LF before p, or -1; ascending calls search each byte once.
func (s *HeaderScanner) eolBefore(p int) int {
	from := 0
	best := -1
	if p >= s.memoAt && s.memoAt > 0 {
		from, best = s.memoAt, s.memoEOL
	}
	for i := p - 1; i >= from; i-- {
		if s.b[i] == '\n' || s.b[i] == '\r' {
			best = i
			break
		}
	}
	s.memoAt, s.memoEOL = p, best
	return best
}

// chunk returns the end of the content of the poppler chunk starting at cs and where the next
// chunk starts.
func (s *HeaderScanner) chunk(cs int) (ce, next int) {
	b := s.b
	lim := min(cs+255, len(b))
	for ce = cs; ce < lim; ce++ {
		if b[ce] == '\n' || b[ce] == '\r' {
			next = ce + 1
			if b[ce] == '\r' && next < len(b) && b[next] == '\n' {
				next++
			}
			return ce, next
		}
	}
	return lim, lim
}

// nextAt returns the first index of c at or after p (len(b) when none), through *memo (the
// last answer), so that walking forward finds each occurrence once.
//
// The search stops at lim: an answer of lim means "none before lim".
func nextAt(b []byte, p, lim int, c byte, memo *int) int {
	if *memo >= p {
		return *memo
	}
	if k := bytes.IndexByte(b[p:lim], c); k >= 0 {
		*memo = p + k
	} else {
		*memo = lim
	}
	return *memo
}

// chunkHeaders applies poppler's rule to the chunks that start in [lo', hi), lo' the start of
// the chunk holding lo.
func (s *HeaderScanner) chunkHeaders(lo, hi int, add func(num, gen, off int)) {
	b := s.b
	cs := 0
	if q := s.eolBefore(lo); q >= 0 {
		cs = q + 1
		if b[q] == '\r' && cs < len(b) && b[cs] == '\n' {
			cs++
		}
	}
	if cs < lo {
		cs += (lo - cs) / 255 * 255
	}
	nl, cr, eo := -1, -1, -1
	// No chunk that starts before hi, nor the two a header may continue into, reaches lim.
	lim := min(len(b), hi+4*256)
	for cs < hi && cs < len(b) {
		// The chunk: up to 255 bytes or the first line end.
		ce, next := min(cs+255, len(b)), min(cs+255, len(b))
		if e := min(nextAt(b, cs, lim, '\n', &nl), nextAt(b, cs, lim, '\r', &cr)); e < ce {
			ce, next = e, e+1
			if b[e] == '\r' && next < len(b) && b[next] == '\n' {
				next++
			}
		}
		p := cs
		for p < ce && (b[p] == ' ' || b[p] == '\t' || b[p] == '\f') {
			p++
		}
		if p < ce && isDigitByte(b[p]) {
			s.popplerAt(p, s.cstrEnd(cs, ce), next, add)
		}
		// The rest of the chunk after each "endobj" in it is examined the same way.
		for t := cs; ; {
			if eo < t {
				if k := bytes.Index(b[t:lim], []byte("endobj")); k >= 0 {
					eo = t + k
				} else {
					eo = lim
				}
			}
			if eo+6 > ce {
				break
			}
			p = eo + 6
			for p < ce && (b[p] == ' ' || b[p] == '\t' || b[p] == '\f') {
				p++
			}
			if p < ce && isDigitByte(b[p]) {
				s.popplerAt(p, s.cstrEnd(cs, ce), next, add)
			}
			t = eo + 6
		}
		cs = next
	}
}

// cstrEnd is where poppler's C string of a chunk ends: its first NUL, or ce.
func (s *HeaderScanner) cstrEnd(cs, ce int) int {
	if k := bytes.IndexByte(s.b[cs:ce], 0); k >= 0 {
		return cs + k
	}
	return ce
}

// popplerAt checks poppler's header rule at p inside a chunk whose content ends at ce and
// whose successor starts at next.
func (s *HeaderScanner) popplerAt(p, ce, next int, add func(num, gen, off int)) {
	b := s.b
	if p >= ce || !isDigitByte(b[p]) {
		return
	}
	start := p
	num, p, ce, next, ok := s.field(p, ce, next)
	if !ok || num <= 0 {
		return
	}
	gen, p, ce, _, ok := s.field(p, ce, next)
	if !ok || p+3 > ce || string(b[p:p+3]) != "obj" {
		return
	}
	add(int(num), int(min(max(gen, 0), 65535)), start)
}

// field reads poppler's digits at p, then white space (or a continuation into the next chunk).
func (s *HeaderScanner) field(p, ce, next int) (v int64, q, nce, nnext int, ok bool) {
	b := s.b
	d := p
	for p < ce && isDigitByte(b[p]) {
		p++
	}
	if p == d {
		return 0, p, ce, next, false
	}
	v = wrap32(b[d:p])
	switch {
	case p == ce || hasPrefixAt(b, p, "endobj"):
		if next >= len(b) {
			return 0, p, ce, next, false
		}
		p = next
		ce, next = s.chunk(next)
		ce = s.cstrEnd(p, ce)
	case isCSpace(b[p]):
		p++
	default:
		return 0, p, ce, next, false
	}
	for p < ce && isCSpace(b[p]) {
		p++
	}
	return v, p, ce, next, true
}

// isCSpace is C's isspace in the "C" locale (poppler's white space inside a header).
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func hasPrefixAt(b []byte, p int, s string) bool {
	return p+len(s) <= len(b) && string(b[p:p+len(s)]) == s
}
