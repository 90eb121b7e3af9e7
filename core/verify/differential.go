package verify

import (
	"bytes"
	"fmt"
	"sort"

	"sealdesk/core/pdf"
)

// Parser differentials (issue 13 §1): where two readers could see different objects, the
// verifier does not pick one in silence. core/pdf records every ambiguity it meets while
// resolving objects (pdf.File.Ambiguities: a reference or header whose generation differs from
// the cross-reference entry, a header found away from its stated offset, an object stream
// listing a number twice, an index that names another number at the entry's index or is
// malformed, a hybrid section whose table and /XRefStm disagree) and every structural anomaly of a revision (a section not where
// startxref says, xref-stream rows of unknown type). Readers differ on those: poppler returns
// null for a generation mismatch, pdf.js rebuilds the table by scanning, MuPDF ignores the
// generation. So:
//
//   - an ambiguity on an object that changed after signing, or that is new, is a disallowed
//     change (the change could show differently than it was judged);
//   - an object stream written after signing that holds a definition its revision's
//     cross-reference section does not point to (a number listed twice, a copy of an object
//     that lives elsewhere — classic or in another stream) is a hidden object (strayInObjStms);
//   - when the file has any of them, or refers anywhere to an object its cross-reference
//     sections do not hold (no entry, a free entry, a number beyond /Size, an entry whose offset
//     holds no readable object: poppler rebuilds the whole table by scanning when it fetches
//     one — an /Info or an annotation's /Contents naming a missing object is enough), the view
//     of a reader that rebuilds the cross-reference table by scanning (the last "N G obj"
//     header of each number wins) is computed, and every object the signed revision used, or
//     anything in the document refers to, must read the same in that view as in the listed
//     one; a difference is a disallowed change;
//   - the root that view starts from is the one the readers' scans find (rebuildroot.go): a
//     hidden trailer naming a catalog under a fresh number would otherwise show a whole
//     document that nothing above compares.

// rebuildRisk reports whether some reader may rebuild the cross-reference table: an ambiguity,
// an anomaly of any revision, or a reference to an object the latest revision does not hold.
func (v *verifier) rebuildRisk() (bool, string) {
	if am := v.f.Ambiguities(); len(am) > 0 {
		return true, am[0].Detail
	}
	for _, rev := range v.f.Revisions() {
		for _, an := range rev.Anomalies {
			return true, fmt.Sprintf("revision %d: %s", rev.Index+1, an)
		}
	}
	if why := v.missingReference(); why != "" {
		return true, why
	}
	return false, ""
}

// missingReference names the first reference, in the latest trailer or anything reachable from
// it (every key followed, stream dictionaries included), to an object number the latest
// revision does not hold in use, or holds where it cannot be read: poppler rebuilds its table
// when it fetches such an object, and
// ISO 32000's "a reference to a missing object is null" is not what every reader does. Cached.
func (v *verifier) missingReference() string {
	if v.missingRef != nil {
		return *v.missingRef
	}
	why := ""
	v.missingRef = &why
	latest := v.f.Latest()
	visited := map[int]bool{}
	var queue []pdf.Ref
	var scan func(o pdf.Object, depth int) bool
	scan = func(o pdf.Object, depth int) bool {
		if depth > 64 {
			return false
		}
		switch x := o.(type) {
		case pdf.Ref:
			e, _, ok := latest.Entry(x.Num)
			if !ok || (e.Type != pdf.EntryInUse && e.Type != pdf.EntryCompressed) {
				why = fmt.Sprintf("a reference to object %d, which no cross-reference section holds, makes viewers such as poppler rebuild the table", x.Num)
				return true
			}
			if !visited[x.Num] && len(visited) < maxRefWalk {
				visited[x.Num] = true
				queue = append(queue, x)
			}
		case pdf.Dict:
			for _, e := range x {
				if scan(e, depth+1) {
					return true
				}
			}
		case pdf.Array:
			for _, e := range x {
				if scan(e, depth+1) {
					return true
				}
			}
		case *pdf.Stream:
			return scan(x.Dict, depth+1)
		}
		return false
	}
	tr := latest.Trailer().Clone()
	delete(tr, "Prev")
	delete(tr, "XRefStm")
	if scan(tr, 0) {
		return why
	}
	if r, ok := rootRef(latest); ok && scan(r, 0) {
		return why
	}
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		o, err := latest.Object(r)
		if err != nil {
			// Listed but not readable where the section says (an offset past the end, say):
			// poppler rebuilds the table just the same.
			why = fmt.Sprintf("object %d cannot be read where its cross-reference entry says (%v), which makes viewers such as poppler rebuild the table", r.Num, err)
			return why
		}
		if scan(o, 0) {
			return why
		}
	}
	return why
}

// judgeAmbiguities reports the ambiguities on objects changed or added after signing.
func (a *analysis) judgeAmbiguities() {
	for _, am := range a.v.f.Ambiguities() {
		if len(a.changedIn(am.Num)) == 0 {
			continue
		}
		if am.Kind == pdf.AmbiguityLength {
			// Only a version written after this signature (red team s6 F4: an added
			// appearance whose /Length ran over "endstream endobj" into the next object drew
			// a white box and a new amount in poppler; the cover check saw an empty form).
			// The signed revision's own defects were signed as they are.
			if am.Offset < a.signedEnd {
				continue
			}
			a.ch.add(false, ChangeDetail{Code: ChangeAmbiguousObject, Object: am.Num}, "object %d, added or changed after signing, reads differently in different viewers: %s — poppler reads the declared /Length, PDFium and this verifier read up to endstream", am.Num, am.Detail)
			continue
		}
		a.ch.add(false, ChangeDetail{Code: ChangeAmbiguousObject, Object: am.Num}, "object %d, changed after signing, can be read differently by different viewers: %s", am.Num, am.Detail)
	}
}

// rebuildHeaders returns, for each object number that can matter — one some revision's
// section lists, one the document refers to, or one a trailer or /Root entry names — the offset
// of its last "N G obj" header in the whole file: what a reader that rebuilds the
// cross-reference table uses. Numbers nothing uses are left out, so the map is bounded by the
// cross-reference budget, not by the headers a file holds. One offset per reader's rule
// (MuPDF's lexer, poppler's chunks; one when they agree): which copy is the last differs
// between readers, and each is compared. Cached.
func (v *verifier) rebuildHeaders() map[int][]int64 {
	if v.rebuilt != nil {
		return v.rebuilt
	}
	v.rebuilt = map[int][]int64{}
	latest := v.f.Latest()
	holders := v.referenceHolders()
	roots := map[int]bool{}
	for _, c := range v.rootCandidates(0).cands {
		if r, ok := c.root.(pdf.Ref); ok {
			roots[r.Num] = true
		}
	}
	// The last header of each number under each reader's rule (pdf.HeaderScanner): a copy only
	// one reader sees must not mask, as "the last", the copy another reader takes.
	lastPoppler := map[int]int64{}
	lastLexer := map[int]int64{}
	v.headerScanner().Each(0, int64(len(v.data)), func(h pdf.ObjectHeader) {
		n := h.Ref.Num
		if _, _, ok := latest.Entry(n); ok || len(holders[n]) > 0 || roots[n] {
			if h.Rules&pdf.HeaderLexer != 0 {
				lastLexer[n] = h.Offset
			}
			if h.Rules&pdf.HeaderPoppler != 0 {
				lastPoppler[n] = h.Offset
			}
		}
	})
	for n, off := range lastLexer {
		v.rebuilt[n] = []int64{off}
	}
	for n, off := range lastPoppler {
		if l, ok := lastLexer[n]; !ok || l != off {
			v.rebuilt[n] = append(v.rebuilt[n], off)
		}
	}
	return v.rebuilt
}

// compareRebuild compares, when some reader may rebuild the table, its view with the listed
// one for every object the signed revision used or the document refers to.
func (a *analysis) compareRebuild() {
	risk, why := a.v.rebuildRisk()
	if !risk {
		return
	}
	hdr := a.v.rebuildHeaders()
	nums := make([]int, 0, len(hdr))
	for n := range hdr {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	holders := a.v.referenceHolders()
	for _, n := range nums {
		if a.hiddenFlagged[n] || a.rolesOf(n) == 0 && len(holders[n]) == 0 {
			continue
		}
		for _, off := range hdr[n] {
			e, _, ok := a.cur.Entry(n)
			if ok && e.Type == pdf.EntryInUse && e.Offset == off {
				continue
			}
			if a.v.isXRefStream(off) {
				continue
			}
			alt, err := a.v.f.ParseIndirectAt(off)
			if err != nil || alt == nil || alt.Ref.Num != n {
				// The reader whose rule found the header reads null or garbage for a used
				// object ("40 obj" read as 4 across poppler's chunks, "4 0 objx").
				a.ch.add(false, ChangeDetail{Code: ChangeAmbiguousObject, Object: n}, "object %d reads differently for a viewer that rebuilds the cross-reference table (%s): its last header, at offset %d, is not a readable definition of it", n, why, off)
				break
			}
			cur, err := a.cur.Object(a.refIn(a.cur, n))
			if err == nil && a.sameObject(cur, alt.Value) {
				continue
			}
			a.ch.add(false, ChangeDetail{Code: ChangeAmbiguousObject, Object: n}, "object %d reads differently for a viewer that rebuilds the cross-reference table (%s): it would use the definition at offset %d", n, why, off)
			break
		}
	}
}

// isXRefStream reports whether off is where a revision's cross-reference stream starts.
func (v *verifier) isXRefStream(off int64) bool {
	for _, rev := range v.f.Revisions() {
		if rev.XRefStream && rev.XRefOffset == off {
			return true
		}
	}
	return false
}

// maxHiddenCompared bounds the hidden definitions hiddenAfterSigning parses and compares; a file
// with more of them in bytes added after signing is refused as a whole.
const maxHiddenCompared = 4096

// hiddenAfterSigning judges, unconditionally, every "N G obj" header that bytes added after
// signing hide inside another object's data (red team s6, F2/F3/F5). Whether a reader rebuilds
// its table is not the verifier's to know: poppler and qpdf rebuild when startxref is more than
// about 1 KB before the end, MuPDF when any entry, referenced or not, is impossible or the table's
// syntax is not strict (a comment, a '+' sign, a huge or indirect /Size, a real /Prev) — syntax
// core/pdf tolerates. Both rebuilds find such a header: poppler's scan sees every header at
// the start of a 255-byte line chunk, and MuPDF's repair, which ignores an indirect stream
// /Length, resyncs on the first "endstream" inside the data and lexes what follows as
// top-level objects, comments skipped (the headers are those pdf.HeaderScanner reports). Which copy
// of a number wins differs between them (the last one each sees), so every hidden definition is
// judged, not just the last: one that would replace an object the signed revision used, or that
// the document refers to, with a different value is a disallowed change. The scan is the one
// unlistedObjects already makes over each added revision (linear in its bytes); only hidden
// headers are parsed, at most maxHiddenCompared of them.
func (a *analysis) hiddenAfterSigning(later []*pdf.Revision) {
	holders := a.v.referenceHolders()
	for _, rev := range later {
		a.v.unlistedObjects(rev)
		if a.v.embedOver[rev.Index] {
			a.ch.add(false, ChangeDetail{Code: ChangeHiddenObject}, "revision %d hides more than %d object definitions inside other objects' data; they were not all compared", rev.Index+1, maxHiddenCompared)
			return
		}
		for _, h := range a.v.embedded[rev.Index] {
			n := h.num
			if a.hiddenFlagged[n] {
				continue
			}
			unused := a.rolesOf(n) == 0 && len(holders[n]) == 0
			if unused && !a.v.maybeObjStm(h.off) {
				continue
			}
			if a.hiddenCompared++; a.hiddenCompared > maxHiddenCompared {
				a.ch.add(false, ChangeDetail{Code: ChangeHiddenObject}, "revision %d hides more than %d object definitions inside other objects' data; they were not all compared", rev.Index+1, maxHiddenCompared)
				return
			}
			if unused {
				a.hiddenObjStmDefs(rev, h, holders)
				continue
			}
			alt, err := a.v.f.ParseIndirectAt(h.off)
			if err == nil && alt != nil && alt.Ref.Num == n {
				if cur, err := a.cur.Object(a.refIn(a.cur, n)); err == nil && a.sameObject(cur, alt.Value) {
					continue
				}
			}
			if a.hiddenFlagged == nil {
				a.hiddenFlagged = map[int]bool{}
			}
			a.hiddenFlagged[n] = true
			a.ch.add(false, ChangeDetail{Code: ChangeAmbiguousObject, Object: n}, "object %d reads differently for a viewer that rebuilds the cross-reference table: revision %d hides another definition of it at offset %d inside another object's data (poppler, qpdf and MuPDF rebuild on syntax this verifier tolerates)", n, rev.Index+1, h.off)
		}
	}
}

// maybeObjStm reports whether the bytes after a hidden header can be an object stream's
// dictionary (/ObjStm, or a /Type given by reference) — the only hidden definition of a number
// nothing uses that can change what a reader shows.
func (v *verifier) maybeObjStm(off int64) bool {
	if off < 0 || off >= int64(len(v.data)) {
		return false
	}
	win := v.data[off:min(int64(len(v.data)), off+512)]
	return bytes.Contains(win, []byte("/ObjStm")) || typeByReference(win)
}

// hiddenObjStm is what a hidden definition holds when it is an object stream (cached per file).
type hiddenObjStm struct {
	nums     []int
	isObjStm bool
	err      error
}

// hiddenObjStmDefs judges a hidden definition of an object nothing uses: when it is an object
// stream (its /Type, /N and /First read through references, as MuPDF's repair reads them:
// pdf_repair_obj_stms loads every object stream it finds and lets its entries replace the
// table's), each object it declares that the signed revision used or the document refers to
// would be redefined for MuPDF (red team s7 G2). One that cannot be read is reported too: a
// more lenient reader may read it.
func (a *analysis) hiddenObjStmDefs(rev *pdf.Revision, h objHeader, holders map[int][]int) {
	if a.v.hiddenObjStms == nil {
		a.v.hiddenObjStms = map[int64]*hiddenObjStm{}
	}
	r, ok := a.v.hiddenObjStms[h.off]
	if !ok {
		r = &hiddenObjStm{}
		a.v.hiddenObjStms[h.off] = r
		if alt, err := a.v.f.ParseIndirectAt(h.off); err == nil && alt != nil {
			if st, ok := alt.Value.(*pdf.Stream); ok {
				r.nums, r.isObjStm, r.err = a.v.f.View(rev.Index).ObjStmNumbersOf(st)
			}
		}
	}
	if !r.isObjStm {
		return
	}
	if r.err != nil {
		a.ch.add(false, ChangeDetail{Code: ChangeHiddenObject, Object: h.num}, "revision %d hides an object stream (object %d at offset %d) inside another object's data that cannot be read here (%v); readers that rebuild the table load the objects it holds", rev.Index+1, h.num, h.off, r.err)
		return
	}
	for i, m := range r.nums {
		if a.rolesOf(m) == 0 && len(holders[m]) == 0 {
			continue
		}
		a.ch.add(false, ChangeDetail{Code: ChangeHiddenObject, Object: m}, "revision %d hides an object stream (object %d at offset %d) inside another object's data holding a definition of object %d (index %d); MuPDF's repair loads it in place of the listed one", rev.Index+1, h.num, h.off, m, i)
		return
	}
}
