package pdf

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
)

// ObjectHeader is an "N G obj" header found by scanning the bytes of the file.
type ObjectHeader struct {
	Ref    Ref
	Offset int64
	// Rules says which readers' rules find it (HeaderScanner: HeaderLexer, HeaderPoppler;
	// 0 from ScanObjectHeaders).
	Rules uint8
}

// The rules of HeaderScanner, as bits of ObjectHeader.Rules.
const (
	HeaderLexer   uint8 = 1 << iota // MuPDF's repair lexer (and qpdf's line-start tokens)
	HeaderPoppler                   // poppler's 255-byte line chunks
)

// ScanObjectHeaders finds every "N G obj" header in sp by reading the bytes (not the
// cross-reference data). Headers inside stream data can match too; callers confirm with
// ParseIndirectAt. It reads sp once, in chunks.
func (f *File) ScanObjectHeaders(sp Span) []ObjectHeader {
	var out []ObjectHeader
	f.scan(sp, func(h ObjectHeader) { out = append(out, h) }, nil)
	return out
}

type marker struct {
	kind string // "xref", "trailer", "startxref", "eof"
	off  int64
}

// scan reads sp in overlapping chunks, reporting object headers and structural markers.
func (f *File) scan(sp Span, onHeader func(ObjectHeader), onMarker func(marker)) {
	const chunk = 1 << 20
	const overlap = 64
	if sp.Start < 0 {
		sp.Start = 0
	}
	if sp.End > f.size {
		sp.End = f.size
	}
	buf := make([]byte, chunk+overlap)
	// Chunks overlap; matches come in ascending order, so "already reported" is "not after
	// the last one reported" (no set that grows with the file).
	lastHdr := int64(-1)
	lastMk := map[string]int64{}
	for off := sp.Start; off < sp.End; off += chunk {
		if f.cancelled() != nil {
			return
		}
		n := int64(len(buf))
		if off+n > sp.End {
			n = sp.End - off
		}
		m, _ := f.r.ReadAt(buf[:n], off)
		b := buf[:m]
		if onHeader != nil {
			for _, x := range objHeaderRe().FindAllSubmatchIndex(b, -1) {
				at := off + int64(x[2])
				if at <= lastHdr {
					continue
				}
				lastHdr = at
				num, err1 := strconv.Atoi(string(b[x[2]:x[3]]))
				gen, err2 := strconv.Atoi(string(b[x[4]:x[5]]))
				if err1 != nil || err2 != nil || num > f.limits.MaxObjects || gen > 65535 {
					continue
				}
				onHeader(ObjectHeader{Ref: Ref{num, gen}, Offset: at})
			}
		}
		if onMarker != nil {
			for _, kw := range [][]byte{startxrefKw, []byte("trailer"), eofMarker, xrefKw} {
				for i := 0; ; {
					j := bytes.Index(b[i:], kw)
					if j < 0 {
						break
					}
					at := i + j
					i = at + len(kw)
					kind := string(kw)
					if kind == "xref" && at >= 5 && bytes.Equal(b[at-5:at], []byte("start")) {
						continue
					}
					if kind == "%%EOF" {
						kind = "eof"
					}
					if last, ok := lastMk[kind]; ok && off+int64(at) <= last {
						continue
					}
					lastMk[kind] = off + int64(at)
					onMarker(marker{kind, off + int64(at)})
				}
			}
		}
		if int64(m) < n {
			break
		}
	}
}

// reconstruct rebuilds the revisions from the bytes when the cross-reference chain is
// unusable (no readable section at startxref, a chain that cannot reach the catalog): each
// stretch of the file ending in %%EOF becomes a revision, whose objects are those whose headers
// lie in it (plus what a readable cross-reference section in it lists) and whose trailer is the
// last one found in it. This is what viewers do, so the verifier sees what a viewer shows.
func (f *File) reconstruct(reason string) error {
	var hdrs []ObjectHeader
	var marks []marker
	var overBudget error
	maxMarks := 16 * f.limits.MaxRevisions
	f.scan(Span{0, f.size}, func(h ObjectHeader) {
		if overBudget == nil {
			if overBudget = f.chargeEntries(1); overBudget == nil {
				hdrs = append(hdrs, h)
			}
		}
	}, func(m marker) {
		if len(marks) >= maxMarks && overBudget == nil {
			overBudget = f.trip(&LimitError{Limit: "MaxRevisions", Max: int64(f.limits.MaxRevisions), Got: int64(len(marks) / 16)})
		}
		if overBudget == nil {
			marks = append(marks, m)
		}
	})
	if overBudget != nil {
		return overBudget
	}
	if err := f.cancelled(); err != nil {
		return err
	}
	sort.Slice(hdrs, func(i, j int) bool { return hdrs[i].Offset < hdrs[j].Offset })
	sort.Slice(marks, func(i, j int) bool { return marks[i].off < marks[j].off })
	// headerAt: the object number whose header is at off, or -1 (binary search, hdrs sorted).
	headerAt := func(off int64) int {
		i := sort.Search(len(hdrs), func(i int) bool { return hdrs[i].Offset >= off })
		if i < len(hdrs) && hdrs[i].Offset == off {
			return hdrs[i].Ref.Num
		}
		return -1
	}
	// byNum: each object number's header offsets, ascending (for lastHeaderBefore).
	byNum := map[int][]int64{}
	for _, h := range hdrs {
		byNum[h.Ref.Num] = append(byNum[h.Ref.Num], h.Offset)
	}
	// inSpan returns the index range of hdrs with start ≤ Offset < end.
	inSpan := func(start, end int64) (int, int) {
		lo := sort.Search(len(hdrs), func(i int) bool { return hdrs[i].Offset >= start })
		hi := sort.Search(len(hdrs), func(i int) bool { return hdrs[i].Offset >= end })
		return lo, hi
	}
	lx := f.lexer(0, 1<<16)
	// Segment ends: just past each %%EOF and its EOL.
	var ends []int64
	for _, m := range marks {
		if m.kind == "eof" {
			ends = append(ends, skipEOL(lx, m.off+5))
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] < f.size {
		tail := int64(f.size)
		if len(ends) > 0 {
			lx.SetPos(ends[len(ends)-1])
			lx.SkipSpace()
			if lx.Pos() >= f.size {
				tail = -1
			}
		}
		if tail > 0 {
			ends = append(ends, f.size)
		}
	}
	f.revs = nil
	start := int64(0)
	known := knownSet{budget: f.limits.MaxXRefEntries}
	for _, end := range ends {
		if len(f.revs) >= f.limits.MaxRevisions {
			return limitErr("MaxRevisions", int64(f.limits.MaxRevisions))
		}
		rev := &Revision{Index: len(f.revs), XRefOffset: -1, StartXRef: -1, StartXRefValue: -1, EOF: -1, End: end,
			entries: map[int]XRefEntry{}, Trailer: Dict{}}
		rev.Anomalies = append(rev.Anomalies, "reconstructed from the bytes: "+reason)
		if err := f.cancelled(); err != nil {
			return err
		}
		var lastTrailer, lastXref int64 = -1, -1
		mlo := sort.Search(len(marks), func(i int) bool { return marks[i].off >= start })
		for _, m := range marks[mlo:] {
			if m.off >= end {
				break
			}
			switch m.kind {
			case "trailer":
				lastTrailer = m.off
			case "xref":
				lastXref = m.off
			case "startxref":
				rev.StartXRef = m.off
			case "eof":
				rev.EOF = m.off
			}
		}
		if rev.EOF < 0 {
			rev.Anomalies = append(rev.Anomalies, "no %%EOF")
		}
		if rev.StartXRef >= 0 {
			lx.SetPos(rev.StartXRef + int64(len(startxrefKw)))
			if t, err := lx.Next(); err == nil && t.Kind == TokInt {
				rev.StartXRefValue = t.Int
			}
		}
		// A readable cross-reference section inside the segment: the one startxref names, or
		// the last "xref" keyword.
		var sec *section
		for _, cand := range []int64{rev.StartXRefValue, lastXref} {
			if cand < start || cand >= end {
				continue
			}
			if s, err := f.readSectionAt(cand); err == nil {
				sec = s
				break
			}
		}
		if sec != nil {
			rev.XRefOffset, rev.XRefStream, rev.Trailer = sec.offset, sec.stream, sec.trailer
			rev.secOffs = []int64{sec.offset}
			moved := 0
			for n, e := range sec.entries {
				if e.Type == EntryInUse && headerAt(e.Offset) != n {
					// The listed offset holds no such object: use the last header for it
					// found before the end of this segment, if any.
					if off, ok := lastHeaderBefore(byNum[n], end); ok {
						e.Offset = off
						moved++
					}
				}
				rev.entries[n] = e
			}
			if moved > 0 {
				rev.Anomalies = append(rev.Anomalies, fmt.Sprintf("%d cross-reference offsets do not point at their objects", moved))
			}
		} else if lastTrailer >= 0 {
			p := NewParser(f.lexer(lastTrailer+7, f.limits.MaxObjectSize), &f.limits)
			if o, err := p.ParseObject(); err == nil {
				if d, ok := o.(Dict); ok {
					rev.Trailer = d
				}
			}
			rev.Anomalies = append(rev.Anomalies, "no readable cross-reference section")
		}
		// Objects present in the bytes but not listed: viewers use them, so do we.
		unlisted := 0
		lo, hi := inSpan(start, end)
		for _, h := range hdrs[lo:hi] {
			if sec != nil {
				if _, listed := rev.entries[h.Ref.Num]; listed {
					continue
				}
				unlisted++
			}
			rev.entries[h.Ref.Num] = XRefEntry{Type: EntryInUse, Offset: h.Offset, Gen: h.Ref.Gen}
		}
		if unlisted > 0 {
			rev.Anomalies = append(rev.Anomalies, fmt.Sprintf("%d objects in this revision are not in its cross-reference section", unlisted))
		}
		if len(rev.entries) == 0 && rev.Trailer.Get("Root") == nil && len(f.revs) > 0 {
			// Nothing but white space or a lone marker: fold into the previous revision.
			f.revs[len(f.revs)-1].End = end
			start = end
			continue
		}
		if rev.Trailer.Get("Root") == nil {
			rev.Anomalies = append(rev.Anomalies, "trailer has no /Root")
		}
		rev.classify(&known)
		f.revs = append(f.revs, rev)
		start = end
	}
	if len(f.revs) == 0 {
		return fmt.Errorf("%w: nothing to reconstruct", ErrNotPDF)
	}
	f.reconstructed = true
	return nil
}

// Reconstructed reports whether the revisions were rebuilt from the bytes because the
// cross-reference chain was unusable; every revision then carries an anomaly saying why.
func (f *File) Reconstructed() bool { return f.reconstructed }

// lastHeaderBefore returns the last of offs (one object's header offsets, ascending) before end.
func lastHeaderBefore(offs []int64, end int64) (int64, bool) {
	i := sort.Search(len(offs), func(i int) bool { return offs[i] >= end })
	if i == 0 {
		return 0, false
	}
	return offs[i-1], true
}

// UnlistedObjects returns the "N G obj" headers in the bytes of revision k (from the end of the
// previous revision to the end of this one) that its cross-reference section does not list at
// that offset and that do not lie inside a listed object (such as a stream's data): objects an
// attacker appended for viewers that rebuild the cross-reference table, or a second copy of
// an object inside one revision. A second copy that the section lists too (a table naming the
// number twice, in two subsections: PDFBox 2's incremental save) is listed when it is the very
// same object as the copy the first listing names — same value, same raw stream data — so that
// a reader taking either listing reads the same; a copy that differs is returned. The
// revision's bytes are read once.
func (f *File) UnlistedObjects(k int) ([]ObjectHeader, error) {
	if k < 0 || k >= len(f.revs) {
		return nil, fmt.Errorf("%w: revision %d", ErrNotFound, k)
	}
	rev := f.revs[k]
	var start int64
	if k > 0 {
		start = f.revs[k-1].End
	}
	listed := map[int64]int{}
	for _, off := range rev.secOffs {
		listed[off] = -1 // the revision's own xref streams
	}
	var spans []Span
	f.mu.Lock()
	for n, e := range rev.entries {
		if e.Type != EntryInUse || e.Offset < start || e.Offset >= rev.End {
			continue
		}
		listed[e.Offset] = n
		if obj, err := f.parseAt(k, e.Offset, Ref{Num: n, Gen: e.Gen}); err == nil {
			// Offsets that point a little before or after the header (a common defect)
			// still list the object found there.
			listed[obj.Span.Start] = n
			spans = append(spans, obj.Span)
		}
	}
	f.mu.Unlock()
	for _, sp := range f.RelistedCopies(k) {
		listed[sp.Start] = -1
		spans = append(spans, sp)
	}
	var out []ObjectHeader
	for _, h := range f.ScanObjectHeaders(Span{start, rev.End}) {
		if n, ok := listed[h.Offset]; ok && (n == h.Ref.Num || n == -1) {
			continue
		}
		inside := false
		for _, sp := range spans {
			if h.Offset > sp.Start && h.Offset < sp.End {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, h)
		}
	}
	return out, nil
}

// RelistedCopies returns the spans of the objects that a table of revision k lists a second
// time, in another subsection, at another offset (PDFBox 2's incremental save writes "18 1" and
// "18 4" for an object it wrote twice), when that copy is the very same object as the one the
// first listing names — equal values, a stream's raw data byte for byte — so that a reader
// taking either listing reads the same. A copy that differs is not returned: it is a second
// definition no reader agrees on.
func (f *File) RelistedCopies(k int) []Span {
	if k < 0 || k >= len(f.revs) {
		return nil
	}
	rev := f.revs[k]
	var start int64
	if k > 0 {
		start = f.revs[k-1].End
	}
	var out []Span
	for off, n := range rev.relisted {
		e, ok := rev.entries[n]
		if !ok || e.Type != EntryInUse || off < start || off >= rev.End {
			continue
		}
		if sp, ok := f.sameObjectAt(k, n, e, off); ok {
			out = append(out, sp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// sameObjectAt tells whether the object at off (a second listing of number n in revision k) is
// the same object as the one e (its first listing) names, and returns the copy's span.
func (f *File) sameObjectAt(k, n int, e XRefEntry, off int64) (Span, bool) {
	f.mu.Lock()
	a, err1 := f.parseAt(k, e.Offset, Ref{Num: n, Gen: e.Gen})
	b, err2 := f.parseAt(k, off, Ref{Num: n, Gen: e.Gen})
	f.mu.Unlock()
	if err1 != nil || err2 != nil || a.Ref != b.Ref || b.Span.Start != off {
		return Span{}, false
	}
	sa, oka := a.Value.(*Stream)
	sb, okb := b.Value.(*Stream)
	switch {
	case oka != okb:
		return Span{}, false
	case !oka:
		return b.Span, Equal(a.Value, b.Value)
	case !Equal(sa.Dict, sb.Dict) || sa.Length != sb.Length:
		return Span{}, false
	}
	da, err1 := f.RawStreamData(sa)
	db, err2 := f.RawStreamData(sb)
	return b.Span, err1 == nil && err2 == nil && bytes.Equal(da, db)
}
