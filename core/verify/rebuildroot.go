package verify

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"sealdesk/core/pdf"
)

// Hidden trailers (issue 13 §1). A reader that rebuilds its cross-reference table by scanning
// the bytes takes the document's root from what the scan finds, not from the /Prev chain:
//
//   - poppler (XRef::constructXRef) reads the file line by line; at every line that starts with
//     "trailer" (or where one follows "endobj" on the line) it parses the dictionary after it
//     and takes it as the trailer when its /Root is a reference whose number differs from the
//     root taken so far: the last trailer that names a new root wins, /Info and /Encrypt with
//     it. Cross-reference stream dictionaries are not looked at. Only when that root is not a
//     dictionary does it scan again and take the first trailer naming another root.
//   - MuPDF (pdf_repair_xref) lexes the file and takes /Root from every dictionary it meets
//     outside object data — trailers, stray dictionaries — and from every object whose
//     dictionary has /Type /XRef; it uses the last of those roots that resolves to a
//     dictionary (the first if none does), and the last /Info and /Encrypt it met. It reads
//     the data of a stream whose /Length is indirect or wrong up to the first "endstream", and
//     everything after that as top-level syntax. Only when no root was found at all does it
//     take the highest-numbered object with /Type /Catalog (pdf_repair_trailer).
//   - qpdf 11 (QPDF::reconstruct_xref) takes the first "trailer" that starts a line; qpdf 12
//     the last one with /Root, and without any, the cross-reference stream with the largest
//     /Size (following its /Prev chain), then the highest-numbered /Type /Catalog when the
//     root is not a dictionary.
//
// None of them follows /Prev after a plain rebuild, and none uses a "startxref" found by the
// scan except qpdf 12, and only the last one of the file (the real one). So an update after
// signing that hides "trailer <</Root 20 0 R>>" — with a catalog, page tree and page under
// fresh numbers that nothing in the cross-reference view refers to — inside a stream's data,
// plus any syntax those readers reject, shows a whole different document (red team rows in
// redteam_trailer_test.go: poppler, MuPDF and qpdf each showed the forged page).
//
// The verifier therefore finds every candidate a reader could take a root from: each
// "trailer" keyword followed by a dictionary, and each /Root, /Info or /Encrypt entry (a
// reference or a dictionary) outside those dictionaries (MuPDF's bare dictionaries and
// cross-reference stream dictionaries). A candidate is a
// revision's own when it is the trailer of one of its cross-reference sections or lies in one
// of its cross-reference streams; any other is stray. Then:
//
//   - a stray candidate in bytes added after signing that names another /Root than the
//     cross-reference view (or another /Info or /Encrypt, when it names one) is a disallowed
//     change, whatever any reader's rule — the rules differ between readers and versions, so
//     the verifier does not bet on one;
//   - a definition hidden in bytes added after signing, under a number nothing refers to,
//     that is a /Type /Catalog other than the view's catalog, or a cross-reference stream, is
//     a disallowed change too (MuPDF and qpdf 12 fall back on such objects);
//   - when some reader may rebuild (rebuildRisk), each reader's rule is applied to the whole
//     file, and a stray candidate it picks that names another root — one hidden in the bytes
//     the signature covers, prepared before signing — is a disallowed change.
//
// The scan is linear: two byte searches over the file, and the dictionaries parsed are bounded
// by maxRootCandidates and by a budget of parsed bytes proportional to the file's size.

// maxRootCandidates bounds the trailer dictionaries and /Root entries read from one file.
const maxRootCandidates = 4096

// rootCand is a place a rebuilding reader may take the document's root from.
type rootCand struct {
	off     int64 // the "trailer" keyword or the "/Root" name
	end     int64 // just past the dictionary or the /Root value
	trailer bool  // a "trailer" keyword and its dictionary; otherwise a bare /Root entry
	root    pdf.Object
	info    pdf.Object
	encrypt pdf.Object
	stray   bool // not a revision's own trailer or cross-reference stream
}

// rootScan is the result of rootCandidates.
type rootScan struct {
	from     int64      // the scan covers the file from here on
	cands    []rootCand // ascending offsets
	overflow int64      // where reading stopped for a budget (-1: everything was read)
}

// rootCandidates finds every trailer dictionary and /Root, /Info or /Encrypt entry in the
// file's bytes from offset from on (a candidate that starts earlier is not looked at). The scan
// is cached and made again only for an earlier start: without a rebuild risk only the bytes
// added after a signature are read (a 45 MB file signed 50 times reads its last updates).
func (v *verifier) rootCandidates(from int64) *rootScan {
	if v.roots != nil && v.roots.from <= from {
		return v.roots
	}
	rs := &rootScan{from: max(from, 0), overflow: -1}
	v.roots = rs
	data := v.data
	size := int64(len(data))
	p := pdf.NewParser(pdf.NewBytesLexer(data, 0, v.limits.MaxObjectSize), &v.limits)
	budget := 4*size + 1<<20 // bytes the parses below may cover together
	parse := func(off int64) (pdf.Object, int64, bool) {
		if budget <= 0 {
			return nil, 0, false
		}
		p.SetPos(off)
		o, sp, err := p.ParseObjectSpan()
		budget -= max(p.Pos(), sp.End) - off
		if err != nil {
			return nil, 0, false
		}
		return o, sp.End, true
	}
	// The revisions' own sections: the first "trailer" after a table's start, and the span of
	// each cross-reference stream.
	own := map[int64]bool{}
	var ownStreams []pdf.Span
	for _, rev := range v.f.Revisions() {
		for _, off := range rev.SectionOffsets() {
			for off >= 0 && off < size && pdf.IsWhite(data[off]) {
				off++
			}
			if off < 0 || off >= size {
				continue
			}
			if bytes.HasPrefix(data[off:], []byte("xref")) {
				if j := bytes.Index(data[off:], []byte("trailer")); j >= 0 {
					own[off+int64(j)] = true
				}
				continue
			}
			if obj, err := v.f.ParseIndirectAt(off); err == nil && obj != nil {
				ownStreams = append(ownStreams, obj.Span)
			}
		}
	}
	isRegular := func(c byte) bool { return !pdf.IsWhite(c) && !pdf.IsDelim(c) }
	add := func(c rootCand) bool {
		if len(rs.cands) >= maxRootCandidates || budget <= 0 {
			if rs.overflow < 0 || c.off < rs.overflow {
				rs.overflow = c.off
			}
			return false
		}
		rs.cands = append(rs.cands, c)
		return true
	}
	// "trailer" keywords followed by a dictionary.
	var trailers []rootCand
	for i := rs.from; i < size; {
		j := bytes.Index(data[i:], []byte("trailer"))
		if j < 0 {
			break
		}
		at := i + int64(j)
		i = at + 7
		if (at > 0 && isRegular(data[at-1])) || (i < size && isRegular(data[i])) {
			continue
		}
		k := i
		for k < size && pdf.IsWhite(data[k]) {
			k++
		}
		if k+1 >= size || data[k] != '<' || data[k+1] != '<' {
			continue
		}
		if len(trailers) >= maxRootCandidates || budget <= 0 {
			rs.overflow = at
			break
		}
		o, end, ok := parse(k)
		d, isDict := o.(pdf.Dict)
		if !ok || !isDict {
			continue
		}
		trailers = append(trailers, rootCand{off: at, end: end, trailer: true, root: d.Get("Root"), info: d.Get("Info"), encrypt: d.Get("Encrypt"), stray: !own[at]})
	}
	// /Root, /Info and /Encrypt entries outside those dictionaries (MuPDF takes each from any
	// dictionary its scan meets), then everything in file order.
	sort.Slice(ownStreams, func(i, j int) bool { return ownStreams[i].Start < ownStreams[j].Start })
	inside := func(spans []pdf.Span, at int64) bool {
		k := sort.Search(len(spans), func(k int) bool { return spans[k].Start > at }) - 1
		return k >= 0 && at < spans[k].End
	}
	trailerSpans := make([]pdf.Span, len(trailers))
	for k, c := range trailers {
		trailerSpans[k] = pdf.Span{Start: c.off, End: c.end}
	}
	entries := trailers
	for _, key := range []string{"/Root", "/Info", "/Encrypt"} {
		for i := rs.from; i < size; {
			j := bytes.Index(data[i:], []byte(key))
			if j < 0 {
				break
			}
			at := i + int64(j)
			i = at + int64(len(key))
			if (i < size && isRegular(data[i])) || inside(trailerSpans, at) {
				continue // /RootX, or a trailer's own entry
			}
			if len(entries) >= 3*maxRootCandidates || budget <= 0 {
				if rs.overflow < 0 || at < rs.overflow {
					rs.overflow = at
				}
				break
			}
			o, end, ok := parse(i)
			if !ok {
				continue
			}
			switch o.(type) {
			case pdf.Ref, pdf.Dict:
			default:
				continue
			}
			c := rootCand{off: at, end: end, stray: !inside(ownStreams, at)}
			switch key {
			case "/Root":
				c.root = o
			case "/Info":
				c.info = o
			default:
				c.encrypt = o
			}
			entries = append(entries, c)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].off < entries[j].off })
	for _, c := range entries {
		if !add(c) {
			break
		}
	}
	return rs
}

// rebuiltRootPicks applies each reader's rule to the candidates: which one a rebuild takes
// the root from (index into cands, -1 none), per reader.
func (v *verifier) rebuiltRootPicks(cands []rootCand) map[string]int {
	picks := map[string]int{"poppler": -1, "MuPDF": -1, "qpdf 11": -1, "qpdf 12": -1}
	hdr := v.rebuildHeaders()
	cur := -1
	firstMu := -1
	for i, c := range cands {
		if c.trailer {
			if r, ok := c.root.(pdf.Ref); ok && r.Num != cur {
				picks["poppler"], cur = i, r.Num
			}
			if picks["qpdf 11"] < 0 {
				picks["qpdf 11"] = i
			}
			if c.root != nil {
				picks["qpdf 12"] = i
			}
		}
		if c.root == nil {
			continue
		}
		if firstMu < 0 {
			firstMu = i
		}
		resolves := false
		switch r := c.root.(type) {
		case pdf.Dict:
			resolves = true
		case pdf.Ref:
			_, resolves = hdr[r.Num]
		}
		if resolves {
			picks["MuPDF"] = i
		}
	}
	if picks["MuPDF"] < 0 {
		picks["MuPDF"] = firstMu
	}
	return picks
}

// rootDiffers names what candidate c gives a rebuilding reader that the cross-reference
// view does not ("" when nothing): another /Root, or another /Info or /Encrypt when c has one.
func (a *analysis) rootDiffers(c rootCand) string {
	var why []string
	if c.root != nil {
		vr, ok := rootRef(a.cur)
		if r, isRef := c.root.(pdf.Ref); !isRef || !ok || r != vr {
			why = append(why, "/Root "+shortObject(c.root))
		}
	}
	if c.info != nil && !pdf.Equal(c.info, trailerEntry(a.cur, "Info")) {
		why = append(why, "/Info "+shortObject(c.info))
	}
	if c.encrypt != nil && !pdf.Equal(c.encrypt, trailerEntry(a.cur, "Encrypt")) {
		why = append(why, "/Encrypt "+shortObject(c.encrypt))
	}
	return strings.Join(why, ", ")
}

// shortObject writes o in PDF syntax, cut to 60 bytes (for a report sentence).
func shortObject(o pdf.Object) string {
	if r, ok := o.(pdf.Ref); ok {
		return r.String()
	}
	b, err := pdf.AppendObject(nil, o)
	if err != nil {
		return "(unwritable)"
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

// revisionAt returns the 1-based number of the revision whose bytes hold off.
func (v *verifier) revisionAt(off int64) int {
	for _, rev := range v.f.Revisions() {
		if off < rev.End {
			return rev.Index + 1
		}
	}
	return len(v.f.Revisions())
}

// hiddenRoots reports the trailers, /Root entries, catalogs and cross-reference streams that
// would give a rebuilding reader another document than the cross-reference view.
func (a *analysis) hiddenRoots(later []*pdf.Revision) {
	risk, why := a.v.rebuildRisk()
	// One scan serves every signature: from the earliest end of a signed revision that later
	// revisions follow (the whole file when each reader's rule is applied).
	from := a.signedEnd
	last := len(a.v.f.Revisions()) - 1
	for _, o := range a.v.sigs {
		if o.rev >= 0 && o.rev < last && o.rep.SignedRange > 0 {
			from = min(from, o.rep.SignedRange)
		}
	}
	if risk {
		from = 0
	}
	rs := a.v.rootCandidates(from)
	what := func(c rootCand) string {
		switch {
		case c.trailer:
			return "a trailer"
		case c.root != nil:
			return "a /Root entry"
		case c.info != nil:
			return "an /Info entry"
		}
		return "an /Encrypt entry"
	}
	reported := map[int]bool{}
	for i, c := range rs.cands {
		if !c.stray || c.off < a.signedEnd {
			continue
		}
		if d := a.rootDiffers(c); d != "" {
			reported[i] = true
			a.ch.add(false, ChangeDetail{Code: ChangeHiddenTrailer, Key: d}, "revision %d holds, at offset %d, %s that is not its own and names %s: viewers that rebuild the cross-reference table take the document's root, /Info and /Encrypt from the trailers and dictionaries their scan finds (poppler the last trailer naming a new root, MuPDF the last of each it meets, qpdf the first or last trailer) and would show another document or other document properties", a.v.revisionAt(c.off), c.off, what(c), d)
		}
	}
	if rs.overflow >= 0 && (rs.overflow >= a.signedEnd || risk) {
		a.ch.add(false, ChangeDetail{Code: ChangeHiddenTrailer, Key: fmt.Sprintf("more than %d", maxRootCandidates)}, "the file holds more than %d trailer dictionaries and /Root entries (from offset %d on they were not read); the document a viewer that rebuilds the cross-reference table shows was not compared", maxRootCandidates, rs.overflow)
	}
	if risk {
		picks := a.v.rebuiltRootPicks(rs.cands)
		for _, reader := range []string{"poppler", "MuPDF", "qpdf 11", "qpdf 12"} {
			i := picks[reader]
			if i < 0 || reported[i] || !rs.cands[i].stray {
				continue
			}
			c := rs.cands[i]
			if d := a.rootDiffers(c); d != "" {
				reported[i] = true
				a.ch.add(false, ChangeDetail{Code: ChangeHiddenTrailer, Key: d}, "%s would rebuild the cross-reference table (%s) and take %s at offset %d, which is no revision's own and names %s: it would show another document", reader, why, what(c), c.off, d)
			}
		}
	}
	a.hiddenCatalogs(later)
}

// hiddenCatalogs reports definitions hidden in bytes added after signing, under numbers
// nothing in the document refers to, that are a /Type /Catalog other than the view's catalog
// or a cross-reference stream: MuPDF and qpdf 12 fall back on such objects when a rebuild
// leaves them without a root. Only headers followed closely by "/Catalog" or "/XRef" are
// parsed; they count against maxHiddenCompared with the other hidden definitions.
func (a *analysis) hiddenCatalogs(later []*pdf.Revision) {
	holders := a.v.referenceHolders()
	cat, catErr := a.cur.Catalog()
	for _, rev := range later {
		a.v.unlistedObjects(rev)
		for _, h := range a.v.embedded[rev.Index] {
			if a.hiddenFlagged[h.num] || a.rolesOf(h.num) != 0 || len(holders[h.num]) != 0 {
				continue // compared by hiddenAfterSigning
			}
			win := a.v.data[h.off:min(int64(len(a.v.data)), h.off+512)]
			if !bytes.Contains(win, []byte("/Catalog")) && !bytes.Contains(win, []byte("/XRef")) {
				continue
			}
			if a.hiddenCompared++; a.hiddenCompared > maxHiddenCompared {
				a.ch.add(false, ChangeDetail{Code: ChangeHiddenObject}, "revision %d hides more than %d object definitions inside other objects' data; they were not all compared", rev.Index+1, maxHiddenCompared)
				return
			}
			alt, err := a.v.f.ParseIndirectAt(h.off)
			if err != nil || alt == nil || alt.Ref.Num != h.num {
				continue
			}
			var d pdf.Dict
			switch x := alt.Value.(type) {
			case pdf.Dict:
				d = x
			case *pdf.Stream:
				d = x.Dict
			}
			switch d.NameOf("Type") {
			case "Catalog":
				if catErr == nil && a.sameObject(cat, d) {
					continue
				}
				a.ch.add(false, ChangeDetail{Code: ChangeHiddenTrailer, Key: fmt.Sprintf("/Type /Catalog %d 0 obj", h.num)}, "revision %d hides a document catalog (object %d, which nothing refers to) at offset %d inside another object's data: viewers that rebuild the cross-reference table and find no usable root (MuPDF, qpdf 12) take such an object as the root", rev.Index+1, h.num, h.off)
			case "XRef":
				a.ch.add(false, ChangeDetail{Code: ChangeHiddenTrailer, Key: fmt.Sprintf("/Type /XRef %d 0 obj", h.num)}, "revision %d hides a cross-reference stream (object %d) at offset %d inside another object's data: viewers that rebuild the table (MuPDF, qpdf 12) take their root, and qpdf 12 its entries, from such a stream", rev.Index+1, h.num, h.off)
			}
		}
	}
}
