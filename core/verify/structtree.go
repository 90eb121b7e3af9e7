package verify

import (
	"fmt"
	"strconv"
	"strings"

	"sealdesk/core/pdf"
)

// The structure tree is what accessibility tools, text extraction and reflow read instead of
// the page: an element's /ActualText replaces the text of the content it marks (ISO 32000-2
// §14.9.4), /Alt describes it, /E expands it, /Lang says how to speak it. Its objects may be
// updated after signing (a signer adds a /Form element for its widget), so "the structure tree
// was updated" is an allowed change — but one that rewrote /ActualText on the signed amount's
// paragraph made pdf.js, and every screen reader on it, say "USD 9,000,000.00" for a line that
// shows 1,000.00, and the signature stayed valid (red team s10 WIN 1).
//
// compareStructTree therefore judges the tree as a whole whenever any of it changed:
//   - every element of the signed tree is still there with the same /S, /ActualText, /Alt,
//     /E, /Lang and /T;
//   - the signed tree, read depth first (elements, their marked content, their object
//     references), is a subsequence of the new one: nothing signed is dropped or reordered;
//   - what was inserted claims no signed content: an added element holds only added elements,
//     object references to objects added after signing and marked content in streams added
//     after signing — it cannot wrap a signed element or name a signed page's marked content;
//   - the parent tree (which pdf.js reads to find a page's elements) maps every key it had to
//     the same elements, and the role map keeps every mapping it had.
//
// The walk is bounded (maxStructItems, maxStructDepth); a tree beyond the bounds that changed is
// reported as a change we could not judge.

const (
	maxStructItems = 200_000
	maxStructDepth = 256
)

// structItem is one step of a depth-first reading of the tree.
type structItem struct {
	key string // what identifies the item in both views (object numbers, MCIDs, attributes)
	// elem: the item opens an element; attrs its text-bearing entries. close: it ends one.
	elem, close bool
	attrs       string
	num         int // the element's or the referenced object's number (0: direct or none)
	// claim names the signed content an inserted content item would take, for the report.
	content bool
	stm     int // MCR: the content stream's object number (0: the page's own content)
	objr    int // OBJR: the referenced object
}

type structWalk struct {
	v     *pdf.View
	items []structItem
	seen  map[int]bool
	over  bool // the bounds were reached
}

func (w *structWalk) add(it structItem) bool {
	if len(w.items) >= maxStructItems {
		w.over = true
		return false
	}
	w.items = append(w.items, it)
	return true
}

// structTextKeys are the entries that change what a structure element says.
var structTextKeys = []pdf.Name{"S", "ActualText", "Alt", "E", "Lang", "T"}

func (w *structWalk) attrs(d pdf.Dict) string {
	var b []byte
	for _, k := range structTextKeys {
		o := d.Get(k)
		if o == nil {
			continue
		}
		if r, err := w.v.Resolve(o); err == nil {
			o = r
		}
		b = append(b, '/')
		b = append(b, k...)
		b = append(b, ' ')
		var err error
		if b, err = pdf.AppendObject(b, o); err != nil {
			b = append(b, '?')
		}
	}
	return string(b)
}

// node walks one kid of an element (or of the root): an element, an MCID, an MCR or an OBJR.
func (w *structWalk) node(o pdf.Object, page int, depth int) {
	if w.over {
		return
	}
	if depth > maxStructDepth {
		w.over = true
		return
	}
	num := 0
	if r, ok := o.(pdf.Ref); ok {
		num = r.Num
	}
	x, err := w.v.Resolve(o)
	if err != nil {
		return
	}
	switch v := x.(type) {
	case pdf.Int:
		w.add(structItem{key: "mcid " + strconv.Itoa(page) + " " + strconv.FormatInt(int64(v), 10), content: true})
	case pdf.Array:
		for _, k := range v {
			w.node(k, page, depth+1)
			if w.over {
				return
			}
		}
	case pdf.Dict:
		pg := page
		if r, ok := v.Get("Pg").(pdf.Ref); ok {
			pg = r.Num
		}
		switch v.NameOf("Type") {
		case "MCR":
			stm := 0
			if r, ok := v.Get("Stm").(pdf.Ref); ok {
				stm = r.Num
			}
			mcid, _ := pdf.IntOf(v.Get("MCID"))
			w.add(structItem{key: fmt.Sprintf("mcr %d %d %d", pg, stm, mcid), content: true, stm: stm})
			return
		case "OBJR":
			obj := 0
			if r, ok := v.Get("Obj").(pdf.Ref); ok {
				obj = r.Num
			}
			w.add(structItem{key: fmt.Sprintf("objr %d", obj), content: true, objr: obj})
			return
		}
		if v.Get("S") == nil {
			return // not an element (an attribute or class object is not a kid)
		}
		if num != 0 {
			if w.seen[num] {
				return // a cycle or a second parent: read once
			}
			w.seen[num] = true
		}
		attrs := w.attrs(v)
		key := "elem " + strconv.Itoa(num)
		if num == 0 {
			key = "elem direct " + attrs
		}
		if !w.add(structItem{key: key, elem: true, attrs: attrs, num: num}) {
			return
		}
		if k := v.Get("K"); k != nil {
			w.node(k, pg, depth+1)
		}
		w.add(structItem{key: "end " + key, close: true, num: num})
	}
}

// readStructTree reads the tree of view v depth first; nil when the document has none.
func readStructTree(v *pdf.View) (*structWalk, pdf.Dict) {
	cat, err := v.Catalog()
	if err != nil {
		return nil, nil
	}
	root, ok := resolveDict(v, cat.Get("StructTreeRoot"))
	if !ok {
		return nil, nil
	}
	w := &structWalk{v: v, seen: map[int]bool{}}
	if k := root.Get("K"); k != nil {
		w.node(k, 0, 0)
	}
	return w, root
}

func resolveDict(v *pdf.View, o pdf.Object) (pdf.Dict, bool) {
	if o == nil {
		return nil, false
	}
	x, err := v.Resolve(o)
	if err != nil {
		return nil, false
	}
	d, ok := x.(pdf.Dict)
	return d, ok
}

// compareStructTree judges an updated structure tree (see the top of this file). It runs when
// an allowed "structure tree updated" change was recorded.
func (a *analysis) compareStructTree() {
	if a.mdp == 1 {
		return // any change to the tree is refused already
	}
	updated := false
	for _, c := range a.ch.list {
		if c.detail.Code == ChangeStructure && c.detail.Allowed {
			updated = true
			break
		}
	}
	if !updated {
		return
	}
	refuse := func(format string, args ...any) {
		a.ch.add(false, ChangeDetail{Code: ChangeStructureMeaning}, "structure tree: "+format, args...)
	}
	old, oldRoot := readStructTree(a.old)
	cur, curRoot := readStructTree(a.cur)
	if old == nil {
		if cur != nil {
			// A tree added after signing: it may only describe what was added after signing.
			old = &structWalk{}
		} else {
			return
		}
	}
	if cur == nil {
		refuse("the signed structure tree was removed")
		return
	}
	if old.over || cur.over {
		refuse("more than %d elements or %d levels, too large to compare", maxStructItems, maxStructDepth)
		return
	}
	// Every signed element keeps its text-bearing entries.
	curAttrs := make(map[int]string, len(cur.items))
	for _, it := range cur.items {
		if it.elem && it.num != 0 {
			curAttrs[it.num] = it.attrs
		}
	}
	for _, it := range old.items {
		if !it.elem || it.num == 0 {
			continue
		}
		now, ok := curAttrs[it.num]
		switch {
		case !ok:
			refuse("element %d of the signed tree was removed", it.num)
			return
		case now != it.attrs:
			refuse("element %d changed what it says (%s → %s): its /ActualText, /Alt, /E, /Lang, /T or /S replace or describe signed content", it.num, shorten(it.attrs), shorten(now))
			return
		}
	}
	// The signed reading is a subsequence of the new one, and what was inserted holds nothing
	// signed.
	signedKeys := make(map[string]bool, len(old.items))
	for _, it := range old.items {
		signedKeys[it.key] = true
	}
	j := 0
	var inserted []string // the keys of inserted elements now open
	for _, it := range cur.items {
		if j < len(old.items) && it.key == old.items[j].key {
			j++
			if len(inserted) > 0 && !it.close {
				refuse("an element added after signing (%s) holds signed content (%s)", inserted[len(inserted)-1], it.key)
				return
			}
			continue
		}
		switch {
		case signedKeys[it.key] && (it.elem || it.close):
			refuse("the signed reading order changed at %s", it.key)
			return
		case it.elem:
			inserted = append(inserted, it.key)
		case it.close:
			if len(inserted) > 0 {
				inserted = inserted[:len(inserted)-1]
			}
		case it.content && !a.claimsOnlyNew(it):
			refuse("an element added after signing names signed content (%s)", it.key)
			return
		}
	}
	if j < len(old.items) {
		refuse("the signed reading order changed at %s", old.items[j].key)
		return
	}
	if why := a.sameMapEntries(oldRoot, curRoot, "RoleMap"); why != "" {
		refuse("%s", why)
		return
	}
	if why := a.sameParentTree(oldRoot, curRoot); why != "" {
		refuse("%s", why)
	}
}

// claimsOnlyNew reports whether an inserted content item refers only to what was added after
// signing or stands for itself: an OBJR to a new object or to an annotation (tagging a widget
// the document had, as a signer does when it signs a prepared field: what the annotation shows
// is judged by the annotation rules), an MCR into a new stream. Marked content of a page's own
// content stream was signed with the page.
func (a *analysis) claimsOnlyNew(it structItem) bool {
	switch {
	case it.objr != 0:
		if a.isNew(it.objr) {
			return true
		}
		d, ok := resolveDict(a.cur, a.refIn(a.cur, it.objr))
		return ok && d.Get("Subtype") != nil && d.Get("Rect") != nil
	case it.stm != 0:
		return a.isNew(it.stm)
	}
	return false
}

// sameMapEntries checks that every entry of the signed root's dictionary key (a role map) maps
// to the same value now; entries may be added.
func (a *analysis) sameMapEntries(oldRoot, curRoot pdf.Dict, key pdf.Name) string {
	om, ok := resolveDict(a.old, oldRoot.Get(key))
	if !ok {
		return ""
	}
	cm, _ := resolveDict(a.cur, curRoot.Get(key))
	for k, v := range om {
		if !a.sameValue(v, cm.Get(k)) {
			return fmt.Sprintf("the /%s entry /%s changed", key, k)
		}
	}
	return ""
}

// sameParentTree checks that every key of the signed parent tree (a number tree from a page's
// /StructParents or an object's /StructParent to its elements) maps to the same elements now;
// keys may be added (a new widget's element).
func (a *analysis) sameParentTree(oldRoot, curRoot pdf.Dict) string {
	oldNums, okOld := numberTree(a.old, oldRoot.Get("ParentTree"))
	if len(oldNums) == 0 && okOld {
		return ""
	}
	curNums, okCur := numberTree(a.cur, curRoot.Get("ParentTree"))
	if !okOld || !okCur {
		return fmt.Sprintf("the parent tree has more than %d entries or %d levels, too large to compare", maxStructItems, maxStructDepth)
	}
	for k, ov := range oldNums {
		cv, ok := curNums[k]
		if !ok || !a.sameElements(ov, cv) {
			return fmt.Sprintf("the parent tree's entry %d now names other elements", k)
		}
	}
	return ""
}

// sameElements compares two parent-tree values (an element reference or an array of them) by
// the objects they name.
func (a *analysis) sameElements(x, y pdf.Object) bool {
	if pdf.Equal(x, y) {
		return true
	}
	xa, err1 := a.old.Resolve(x)
	ya, err2 := a.cur.Resolve(y)
	if err1 != nil || err2 != nil {
		return false
	}
	return pdf.Equal(xa, ya)
}

// numberTree reads a number tree's leaves (key → value, unresolved); false when it is larger
// than the bounds.
func numberTree(v *pdf.View, root pdf.Object) (map[int64]pdf.Object, bool) {
	out := map[int64]pdf.Object{}
	seen := map[int]bool{}
	count := 0
	var walk func(o pdf.Object, depth int) bool
	walk = func(o pdf.Object, depth int) bool {
		if depth > maxStructDepth {
			return false
		}
		if r, ok := o.(pdf.Ref); ok {
			if seen[r.Num] {
				return true
			}
			seen[r.Num] = true
		}
		d, ok := resolveDict(v, o)
		if !ok {
			return true
		}
		if nums, err := v.Resolve(d.Get("Nums")); err == nil {
			if arr, ok := nums.(pdf.Array); ok {
				for i := 0; i+1 < len(arr); i += 2 {
					if count++; count > maxStructItems {
						return false
					}
					if k, ok := pdf.IntOf(arr[i]); ok {
						out[k] = arr[i+1]
					}
				}
			}
		}
		if kids, err := v.Resolve(d.Get("Kids")); err == nil {
			if arr, ok := kids.(pdf.Array); ok {
				for _, k := range arr {
					if count++; count > maxStructItems || !walk(k, depth+1) {
						return false
					}
				}
			}
		}
		return true
	}
	if root == nil {
		return out, true
	}
	return out, walk(root, 0)
}

func shorten(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	if s == "" {
		return "nothing"
	}
	return strings.TrimSpace(s)
}
