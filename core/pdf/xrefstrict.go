package pdf

import (
	"bytes"
	"fmt"
	"strings"
)

// Strict cross-reference syntax (red team s6, F2/F3/F5). The parser tolerates syntax that
// poppler, qpdf or MuPDF reject; those readers then rebuild the table by scanning the bytes,
// and a definition hidden in some object's data may win. Every such tolerance is recorded as an
// anomaly of the revision, so the verifier compares the rebuilt view (and refuses the quirk in a
// revision added after signing). No real producer writes any of them:
//
//   - startxref more than 1024 bytes before the end of the file (poppler and qpdf look for it
//     only in the last 1024 bytes);
//   - a comment, a '+' or '-' sign, or text other than a subsection header or an entry inside a
//     table; a subsection header with more than one trailing blank or text after "xref" on its
//     line (MuPDF reads those lines with a fixed grammar);
//   - a trailer /Size that is not a direct integer in 0…8388607 (MuPDF's limit) or a /Prev that
//     is not a direct integer (poppler gives up on a real);
//   - an in-use entry, referenced or not, at an offset outside the file, or a compressed entry
//     naming an object stream no section lists in use (MuPDF checks every entry at load).

// StrictnessMark ends every anomaly of this kind: the file reads on for this parser, and a
// reader that rebuilds finds what the verifier's rebuilt-view comparison models.
const StrictnessMark = "tolerated here, rejected by stricter readers"

// IsStrictnessAnomaly reports whether a revision anomaly is one of these tolerances.
func IsStrictnessAnomaly(an string) bool { return strings.Contains(an, StrictnessMark) }

// PaddingMark is in the startxref-distance anomaly when what makes the distance is padding after
// a well-formed "startxref N %%EOF" (see paddingAfterEOF), not bytes between startxref and its
// offset.
const PaddingMark = "of padding after %%EOF"

// paddingAfterEOF returns how many bytes follow a well-formed end of file at sx — "startxref",
// at most 8 blanks, the offset, at most 8 blanks, "%%EOF" — or 0 when the keyword is not
// followed by one within 64 bytes (the distance to the end is then inside the end of file
// itself). The bytes after it are judged elsewhere (File.Tail).
func (f *File) paddingAfterEOF(sx int64) int64 {
	buf := make([]byte, 64)
	n, _ := f.r.ReadAt(buf, sx)
	b := buf[:n]
	if !bytes.HasPrefix(b, []byte("startxref")) {
		return 0
	}
	i := len("startxref")
	skip := func() bool {
		j := i
		for i < len(b) && i-j <= 8 && IsWhite(b[i]) {
			i++
		}
		return i > j && i-j <= 8
	}
	if !skip() {
		return 0
	}
	j := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == j || !skip() || !bytes.HasPrefix(b[i:], []byte("%%EOF")) {
		return 0
	}
	return f.size - (sx + int64(i) + 5)
}

// maxStrictTable bounds the table bytes the syntax check reads; a larger table is not checked.
const maxStrictTable = 64 << 20

// startxrefWindow is how far from the end poppler and qpdf look for startxref.
const startxrefWindow = 1024

// maxObjectNumber is MuPDF's PDF_MAX_OBJECT_NUMBER.
const maxObjectNumber = 8388607

// strictTrailer notes a trailer /Size or /Prev that some reader rejects.
func (s *section) strictTrailer() {
	switch v := s.trailer.Get("Size").(type) {
	case Int:
		if v < 0 || v > maxObjectNumber {
			s.anomaly = append(s.anomaly, fmt.Sprintf("trailer /Size %d is out of range (MuPDF and poppler rebuild the table: "+StrictnessMark+")", int64(v)))
		}
	default:
		s.anomaly = append(s.anomaly, "trailer /Size is not a direct integer (MuPDF rebuilds the table: "+StrictnessMark+")")
	}
	if p := s.trailer.Get("Prev"); p != nil {
		if _, ok := p.(Int); !ok {
			s.anomaly = append(s.anomaly, "trailer /Prev is not a direct integer (poppler rebuilds the table: "+StrictnessMark+")")
		}
	}
}

// strictTable notes table syntax that MuPDF or poppler reject.
func (f *File) strictTable(s *section) {
	if s.stream || s.end <= s.offset || s.end-s.offset > maxStrictTable {
		return
	}
	// The table was just read: most often the lexer window still holds it.
	lx := f.lexer(s.offset, 0)
	defer f.release(lx)
	b := lx.buffered(s.offset, s.end)
	if b == nil {
		b = make([]byte, s.end-s.offset)
		if n, _ := f.r.ReadAt(b, s.offset); int64(n) != int64(len(b)) {
			return
		}
	}
	if t := bytes.Index(b, []byte("trailer")); t >= 0 {
		b = b[:t]
	}
	if why := tableSyntax(b); why != "" {
		s.anomaly = append(s.anomaly, "cross-reference table: "+why+" (MuPDF or poppler rebuild the table: "+StrictnessMark+")")
	}
}

// tableSyntax checks the bytes from "xref" up to "trailer"; "" when strict. One pass, no
// allocation: tables of millions of entries cost a few milliseconds.
//
// Entries are framed as MuPDF reads them (pdf_read_old_xref): 20 bytes at a time, a byte carried
// over when the 20th is not a blank, so an entry — ten digits, a blank, five digits, a blank, the
// type, then its end of line — takes 19 or 20 bytes. An entry of other digits or of 21 bytes
// (" \r\n") shifts every read after it (blank lines before "trailer" excepted), and a subsection holding more or fewer entries than its
// header says makes MuPDF read "trailer" as an entry: it rebuilds the table by scanning while
// poppler and this parser read on (red team s8b, g05_tail_update_badentry).
func tableSyntax(b []byte) string {
	if bytes.IndexByte(b, '%') >= 0 {
		return "a comment inside the table"
	}
	if bytes.IndexByte(b, '+') >= 0 || bytes.IndexByte(b, '-') >= 0 {
		return "a signed number inside the table"
	}
	if !bytes.HasPrefix(b, xrefKw) {
		return ""
	}
	b = b[len(xrefKw):]
	want, have, header := 0, 0, false // the current subsection's count and entries so far
	for first := true; len(b) > 0; first = false {
		end := 0
		for end < len(b) && b[end] != '\r' && b[end] != '\n' {
			end++
		}
		line := b[:end]
		eol := 0
		for end < len(b) && (b[end] == '\r' || b[end] == '\n') {
			end++
			eol++
		}
		b = b[end:]
		// Fields of the line: their count, whether all but a one-letter third are digits,
		// and the blanks before the first and after the last.
		fields, lead, trail, ok := 0, 0, 0, true
		for i := 0; i < len(line); {
			if line[i] == ' ' || line[i] == '\t' || line[i] == '\f' || line[i] == 0 {
				if fields == 0 {
					lead++
				}
				trail++
				i++
				continue
			}
			trail = 0
			j := i
			for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != '\f' && line[j] != 0 {
				j++
			}
			if fields%3 == 2 {
				ok = ok && j-i == 1 && (line[i] == 'n' || line[i] == 'f')
			} else {
				ok = ok && allDigits(line[i:j])
			}
			fields++
			i = j
		}
		switch {
		case fields == 0:
		case !ok && fields == 2:
			return "a malformed subsection header"
		case !ok:
			return "a malformed entry"
		case fields == 2:
			// A subsection header: "start count", at most one trailing blank.
			if (lead > 0 && !first) || trail > 1 || (trail == 1 && line[len(line)-1] != ' ') {
				return "blanks around a subsection header"
			}
			if header && have != want {
				return fmt.Sprintf("a subsection of %d entries whose header says %d", have, want)
			}
			header, have = true, 0
			want, _ = smallCount(line[lead:])
		case fields%3 != 0:
			// Entries of a table written without line ends hold 3 fields each.
			return "unexpected text inside the table"
		default:
			if !header {
				return "entries before a subsection header"
			}
			// Blanks after the last entry are skipped before "trailer" is read.
			if !framedEntries(line, eol, len(bytes.TrimLeft(b, " \t\r\n\f\x00")) == 0) {
				return "an entry not of 20 bytes (ten digits, five digits, its type, a two-byte end of line)"
			}
			have += fields / 3
		}
	}
	if header && have != want {
		return fmt.Sprintf("a subsection of %d entries whose header says %d", have, want)
	}
	return ""
}

// framedEntries reports whether line (with eol end-of-line bytes after it) holds entries of 19 or
// 20 bytes each: "dddddddddd ddddd t" followed by a blank or an end of line. A line of several
// entries (a table written without line ends) separates them by one blank. After the last entry
// of the table (last) any blanks may follow: they are skipped before "trailer" is read.
func framedEntries(line []byte, eol int, last bool) bool {
	for len(line) > 0 {
		if len(line) < 18 || !allDigits(line[:10]) || line[10] != ' ' || !allDigits(line[11:16]) || line[16] != ' ' {
			return false
		}
		line = line[18:]
		if last && len(bytes.Trim(line, " ")) == 0 {
			return true
		}
		if len(line) == 0 {
			return eol <= 2
		}
		if line[0] != ' ' {
			return false
		}
		line = line[1:]
		if len(line) == 0 {
			return eol <= 1
		}
	}
	return true
}

// smallCount reads the count of a subsection header "start count" (the second field); counts
// too large to matter saturate.
func smallCount(h []byte) (int, bool) {
	i := 0
	for i < len(h) && h[i] >= '0' && h[i] <= '9' {
		i++
	}
	for i < len(h) && (h[i] == ' ' || h[i] == '\t' || h[i] == '\f' || h[i] == 0) {
		i++
	}
	n := 0
	for ; i < len(h) && h[i] >= '0' && h[i] <= '9'; i++ {
		if n < 1<<30 {
			n = n*10 + int(h[i]-'0')
		}
	}
	return n, true
}

// strictEntries notes in-use entries outside the file and compressed entries naming no listed
// object stream (the smallest such number of each section, so the report is stable).
func (f *File) strictEntries(chain []*section) {
	newest := func(n int) (XRefEntry, bool) {
		for _, s := range chain {
			if e, ok := s.entries[n]; ok {
				return e, true
			}
		}
		return XRefEntry{}, false
	}
	for _, s := range chain {
		bad, why := -1, ""
		for n, e := range s.entries {
			if bad >= 0 && n > bad {
				continue
			}
			switch e.Type {
			case EntryInUse:
				if e.Offset < 0 || e.Offset >= f.size {
					bad, why = n, fmt.Sprintf("entry of object %d at offset %d, outside the file", n, e.Offset)
				}
			case EntryCompressed:
				if st, ok := newest(int(e.Offset)); e.Offset <= 0 || !ok || st.Type != EntryInUse {
					bad, why = n, fmt.Sprintf("entry of object %d names object stream %d, which no section lists in use", n, e.Offset)
				}
			}
		}
		if bad >= 0 {
			s.anomaly = append(s.anomaly, why+" (MuPDF rebuilds the table at load, referenced or not: "+StrictnessMark+")")
		}
	}
}
