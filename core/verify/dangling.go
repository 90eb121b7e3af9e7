package verify

import (
	"fmt"

	"sealdesk/core/pdf"
)

// Dangling references. A signed revision may refer to an object it does not define (or defines
// as null): viewers show nothing there. A later revision that defines the object changes what
// the signed document shows — a page's content or XObject, the /OpenAction, an annotation —
// without touching any signed object ("shadow" attack by a dangling reference).
//
// One catalog-wide walk of the latest revision per file records, for every object it reaches,
// the indirect objects whose value refers to it (its holders). A new object (absent, free or
// null when signed) is then disallowed when one of its holders already existed in the signed
// revision and already held that very reference there: the reference is the signed
// revision's, only its target is new. References a later revision made are judged where they
// were made (a new annotation, a changed page…).

// maxRefWalk bounds the objects the walk visits; beyond it the remaining ones are not examined.
const maxRefWalk = 1000000

// skipWalkKey lists entries the walk does not follow: back references to parents (reached
// anyway from above) and catalog entries that do not change what a page shows (the structure
// tree, XMP, validation data — judged on their own).
func skipWalkKey(x pdf.Name) bool {
	switch x {
	case "Parent", "P", "StructTreeRoot", "StructParent", "Metadata", "DSS", "ParentTree":
		return true
	}
	return false
}

// referenceHolders returns, for the latest revision, object number → the objects whose value
// (direct parts, stream dictionaries included) holds a reference to it. Built once per file.
func (v *verifier) referenceHolders() map[int][]int {
	if v.refHolders != nil {
		return v.refHolders
	}
	v.refHolders = map[int][]int{}
	latest := v.f.Latest()
	root, ok := rootRef(latest)
	if !ok {
		return v.refHolders
	}
	visited := map[int]bool{root.Num: true}
	queue := []pdf.Ref{root}
	var scan func(holder int, o pdf.Object, depth int)
	scan = func(holder int, o pdf.Object, depth int) {
		if depth > 64 {
			return
		}
		switch x := o.(type) {
		case pdf.Ref:
			v.refHolders[x.Num] = append(v.refHolders[x.Num], holder)
			if !visited[x.Num] && len(visited) < maxRefWalk {
				visited[x.Num] = true
				queue = append(queue, x)
			}
		case pdf.Dict:
			for k, e := range x {
				if !skipWalkKey(k) {
					scan(holder, e, depth+1)
				}
			}
		case pdf.Array:
			for _, e := range x {
				scan(holder, e, depth+1)
			}
		case *pdf.Stream:
			scan(holder, x.Dict, depth+1)
		}
	}
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		o, err := latest.Object(r)
		if err != nil {
			continue
		}
		scan(r.Num, o, 0)
	}
	return v.refHolders
}

// newObject judges an object the signed revision did not have (or had as null). It matters
// only through what refers to it, which the comparisons judge — except when the signed
// revision itself already referred to it (see the top of this file).
func (a *analysis) newObject(n int) {
	holders := a.v.referenceHolders()[n]
	if len(holders) == 0 {
		return
	}
	ref := a.refIn(a.cur, n)
	if e, _, ok := a.cur.Entry(n); ok && e.Type == pdf.EntryCompressed {
		ref.Gen = 0
	}
	seen := map[int]bool{}
	for _, h := range holders {
		if seen[h] || h == n {
			continue
		}
		seen[h] = true
		if a.isNew(h) {
			continue
		}
		old, err := a.old.Object(a.refIn(a.old, h))
		if err != nil || !holdsRef(old, ref, 0) {
			continue
		}
		a.ch.add(false, ChangeDetail{Code: ChangeDanglingObject, Object: n}, "object %d, which the signed revision already referred to from %s, was added after signing (it was missing when signed)", n, a.describeHolder(h, old))
		return
	}
}

// describeHolder names the object holding a dangling reference for the report.
func (a *analysis) describeHolder(h int, o pdf.Object) string {
	if r, ok := rootRef(a.old); ok && r.Num == h {
		return "the document catalog"
	}
	if d, ok := asDict(o); ok && d.NameOf("Type") == "Page" {
		if num := a.v.pageNumber(a.refIn(a.old, h)); num > 0 {
			return fmt.Sprintf("page %d", num)
		}
	}
	return fmt.Sprintf("object %d (%s)", h, describe(o))
}

// holdsRef reports whether the direct parts of o contain a reference to object r.Num (of any
// generation).
func holdsRef(o pdf.Object, r pdf.Ref, depth int) bool {
	if depth > 64 {
		return false
	}
	switch x := o.(type) {
	case pdf.Ref:
		// By number only: a reference of another generation names the same object for
		// readers that ignore generations (an ambiguity, judged as the reference).
		return x.Num == r.Num
	case pdf.Dict:
		for k, e := range x {
			if !skipWalkKey(k) && holdsRef(e, r, depth+1) {
				return true
			}
		}
	case pdf.Array:
		for _, e := range x {
			if holdsRef(e, r, depth+1) {
				return true
			}
		}
	case *pdf.Stream:
		return holdsRef(x.Dict, r, depth+1)
	}
	return false
}
