package verify

import (
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
		if len(a.changedIn[am.Num]) == 0 {
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
// cross-reference budget, not by the headers a file holds. Cached.
func (v *verifier) rebuildHeaders() map[int]int64 {
	if v.rebuilt != nil {
		return v.rebuilt
	}
	v.rebuilt = map[int]int64{}
	latest := v.f.Latest()
	holders := v.referenceHolders()
	roots := map[int]bool{}
	for _, c := range v.rootCandidates(0).cands {
		if r, ok := c.root.(pdf.Ref); ok {
			roots[r.Num] = true
		}
	}
	eachObjHeader(v.data, func(off int64) {
		n := headerNum(v.data, off)
		if _, _, ok := latest.Entry(n); ok || len(holders[n]) > 0 || roots[n] {
			v.rebuilt[n] = off
		}
	})
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
		off := hdr[n]
		if a.hiddenFlagged[n] || a.rolesOf(n) == 0 && len(holders[n]) == 0 {
			continue
		}
		e, _, ok := a.cur.Entry(n)
		if ok && e.Type == pdf.EntryInUse && e.Offset == off {
			continue
		}
		alt, err := a.v.f.ParseIndirectAt(off)
		if err != nil || alt == nil || alt.Ref.Num != n {
			continue
		}
		if a.v.isXRefStream(off) {
			continue
		}
		cur, err := a.cur.Object(a.refIn(a.cur, n))
		if err == nil && a.sameObject(cur, alt.Value) {
			continue
		}
		a.ch.add(false, ChangeDetail{Code: ChangeAmbiguousObject, Object: n}, "object %d reads differently for a viewer that rebuilds the cross-reference table (%s): it would use the definition at offset %d", n, why, off)
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
// core/pdf tolerates. Both rebuilds find such a header: poppler's line scan sees every header at
// the start of a line, and MuPDF's repair, which ignores an indirect stream /Length, resyncs on
// the first "endstream" inside the data and reads what follows as top-level objects. Which copy
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
			if a.hiddenFlagged[n] || (a.rolesOf(n) == 0 && len(holders[n]) == 0) {
				continue
			}
			if a.hiddenCompared++; a.hiddenCompared > maxHiddenCompared {
				a.ch.add(false, ChangeDetail{Code: ChangeHiddenObject}, "revision %d hides more than %d object definitions inside other objects' data; they were not all compared", rev.Index+1, maxHiddenCompared)
				return
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
