package verify

import (
	"strings"

	"sealdesk/core/pdf"
)

// Roles: a changed object is judged by what reached it in the signed revision, never by what it
// (or its new version) says it is. One walk of the signed revision gives every object the set
// of roles through which it was reached; a change to an object is allowed only when the rule of
// EVERY one of its roles allows it, so the strictest role decides. An attacker who prepares the
// document and gives the page content stream /Type /Metadata, makes /Info point at the page's
// /Resources or lists an appearance stream in /DSS /Certs gains nothing: the object is still
// reached as page content (or appearance), and that rule refuses the change.
//
// The page, annotation and form comparisons (changes.go, fields.go) judge their objects
// semantically first and mark what they accept; the table below decides for every other
// changed object that existed when signed. An object nothing reached keeps the default: its
// change is disallowed.

// role is one way an object was reached in the signed revision.
type role uint16

const (
	roleContent    role = 1 << iota // page tree, page content, resources, fonts, XObjects, optional content
	roleSignature                   // a signature dictionary, the catalog's /Perms
	roleDocument                    // any other catalog entry: outlines, names, actions, page labels, …
	roleForm                        // /AcroForm, its fields and /Fields arrays, /DR
	roleAnnot                       // an annotation dictionary or a page's /Annots array
	roleAppearance                  // what an annotation's /AP or /MK reaches
	roleStruct                      // the structure tree (not the pages and content it points into)
	roleMetadata                    // the catalog's XMP stream
	roleInfo                        // the trailer's document information dictionary
	roleDSS                         // the document security store (validation data)
	roleContainer                   // an object stream or cross-reference stream the xref uses
)

// permit is when a role lets an object change.
type permit int

const (
	never      permit = iota // any change is disallowed
	annotation               // as the annotation comparison judges its annotation (or /Annots array)
	withEdit                 // only while the annotation or field that owns it is edited or filled
	notAtP1                  // unless a certification allows no changes (P=1)
	ltvAtP1                  // unless P=1; at P=1 only in a revision that adds validation data or a document timestamp
	always                   // any change is allowed
	perObject                // a container: the objects it holds are compared one by one
)

// roleRules is THE table: role → what may change. It applies to every DocMDP level except where
// the permit names P=1; P=2 and P=3 differ only in what the annotation comparison accepts
// (annotations are refused at P=1 and P=2). Rows are ordered strictest first.
var roleRules = []struct {
	role role
	name string
	rule permit
}{
	{roleContent, "page content", never},
	{roleSignature, "signature", never},
	{roleDocument, "document-level entry", never},
	{roleForm, "form", never}, // fields and widgets are judged field by field in compareFields
	{roleAnnot, "annotation", annotation},
	{roleAppearance, "appearance", withEdit},
	{roleStruct, "structure tree", notAtP1},
	{roleMetadata, "XMP metadata", notAtP1},
	{roleInfo, "document information", ltvAtP1},
	{roleDSS, "validation data (DSS)", always},
	{roleContainer, "object stream", perObject},
}

// roleNames lists the roles of r, strictest first.
func (r role) String() string {
	var out []string
	for _, x := range roleRules {
		if r&x.role != 0 {
			out = append(out, x.name)
		}
	}
	if len(out) == 0 {
		return "unreferenced"
	}
	return strings.Join(out, ", ")
}

// maxRoleWalk bounds the signed revision's role walk; past it every object counts as page
// content (the strictest role), so an exhausted budget can only refuse, never excuse.
const maxRoleWalk = 2000000

// signedRoles is the result of the role walk of one signed revision.
type signedRoles struct {
	of        map[int]role
	annotPage map[int]int          // annotation object → 1-based page number
	apOwners  map[int]map[int]bool // appearance object → annotations whose /AP or /MK reach it
	resDict   map[int]bool         // resource dictionaries (/Resources and their indirect categories)
	drDict    map[int]bool         // the form's /DR and its indirect /Font dictionary
	complete  bool
}

// rolesOf returns the roles object n had in the signed revision (lazy: the walk runs the first
// time a changed object needs it).
func (a *analysis) rolesOf(n int) role {
	if a.roles == nil {
		a.roles = walkRoles(a.old, a.v.sigs, a.s.rev)
	}
	if !a.roles.complete {
		return a.roles.of[n] | roleContent
	}
	return a.roles.of[n]
}

// walkRoles walks the signed revision from its catalog and trailer.
func walkRoles(view *pdf.View, sigs []*sigState, rev int) *signedRoles {
	sr := &signedRoles{of: map[int]role{}, annotPage: map[int]int{}, apOwners: map[int]map[int]bool{}, resDict: map[int]bool{}, drDict: map[int]bool{}, complete: true}
	markRes := func(o pdf.Object) {
		if r, ok := o.(pdf.Ref); ok {
			sr.resDict[r.Num] = true
		}
		if d := view.Dict(o); d != nil {
			for _, k := range resourceCategories {
				if r, ok := d.Get(k).(pdf.Ref); ok {
					sr.resDict[r.Num] = true
				}
			}
		}
	}
	budget := maxRoleWalk
	type walker struct {
		r    role
		skip map[pdf.Name]bool
		stop bool // do not descend into objects an earlier walk classified
	}
	var walk func(w walker, o pdf.Object, owner int, depth int)
	walk = func(w walker, o pdf.Object, owner int, depth int) {
		if depth > 96 {
			return
		}
		if budget <= 0 {
			sr.complete = false
			return
		}
		if r, ok := o.(pdf.Ref); ok {
			had := sr.of[r.Num]
			if w.stop && had != 0 {
				// Classified by an earlier walk: it gains this role too, but what it reaches
				// keeps the roles that walk gave.
				sr.of[r.Num] = had | w.r
				return
			}
			if w.r == roleAppearance && owner != 0 {
				ow := sr.apOwners[r.Num]
				if ow == nil {
					ow = map[int]bool{}
					sr.apOwners[r.Num] = ow
				}
				if ow[owner] {
					return
				}
				ow[owner] = true
			} else if had&w.r != 0 {
				return
			}
			sr.of[r.Num] = had | w.r
			budget--
		}
		x, err := view.Resolve(o)
		if err != nil {
			return
		}
		switch t := x.(type) {
		case pdf.Dict:
			for _, k := range t.Keys() {
				if !w.skip[k] {
					if k == "Resources" {
						markRes(t[k])
					}
					walk(w, t[k], owner, depth+1)
				}
			}
		case pdf.Array:
			for _, e := range t {
				walk(w, e, owner, depth+1)
			}
		case *pdf.Stream:
			for _, k := range t.Dict.Keys() {
				if !w.skip[k] {
					if k == "Resources" {
						markRes(t.Dict[k])
					}
					walk(w, t.Dict[k], owner, depth+1)
				}
			}
		}
	}
	back := map[pdf.Name]bool{"Parent": true, "P": true}
	// A signature's /Reference names the catalog (/Data): not followed, the signature is a leaf.
	sigw := walker{r: roleSignature, skip: map[pdf.Name]bool{"Parent": true, "P": true, "Reference": true, "Data": true}}
	content := walker{r: roleContent, skip: back}
	cat, err := view.Catalog()
	if err != nil {
		sr.complete = false
		return sr
	}
	if root, ok := rootRef(view); ok {
		sr.of[root.Num] |= roleDocument
	}
	// Pages: the tree and each page's own entries are content; /Annots is annotation.
	pages, err := view.Pages()
	if err != nil {
		sr.complete = false
	}
	// Intermediate nodes of the tree with their own (inheritable) entries.
	seenNode := map[int]bool{}
	var nodes func(o pdf.Object, depth int)
	nodes = func(o pdf.Object, depth int) {
		r, isRef := o.(pdf.Ref)
		if depth > 64 || (isRef && seenNode[r.Num]) {
			return
		}
		d := view.Dict(o)
		if d == nil || d.NameOf("Type") == "Page" || d.Get("Kids") == nil {
			return
		}
		if isRef {
			seenNode[r.Num] = true
			sr.of[r.Num] |= roleContent
		}
		if kr, ok := d.Get("Kids").(pdf.Ref); ok {
			sr.of[kr.Num] |= roleContent
		}
		kids, _ := resolvedArray(view, d.Get("Kids"))
		for _, k := range d.Keys() {
			if k != "Kids" && k != "Parent" {
				if k == "Resources" {
					markRes(d[k])
				}
				walk(content, d[k], 0, 1)
			}
		}
		for _, k := range kids {
			nodes(k, depth+1)
		}
	}
	nodes(cat.Get("Pages"), 0)
	for _, p := range pages {
		sr.of[p.Ref.Num] |= roleContent
		for _, k := range p.Dict.Keys() {
			switch k {
			case "Parent", "Annots", "B", "StructParents":
			default:
				walk(content, p.Dict[k], 0, 1)
			}
		}
		// Inherited resources are content too (the ancestors' own entries).
		markRes(p.Resources)
		walk(content, p.Resources, 0, 1)
		ao := p.Dict.Get("Annots")
		if r, ok := ao.(pdf.Ref); ok {
			sr.of[r.Num] |= roleAnnot
		}
		arr, _ := resolvedArray(view, ao)
		for _, e := range arr {
			r, ok := e.(pdf.Ref)
			if !ok {
				// A direct annotation dictionary is part of the page object.
				continue
			}
			sr.of[r.Num] |= roleAnnot
			if _, dup := sr.annotPage[r.Num]; !dup {
				sr.annotPage[r.Num] = p.Number
			}
			d := view.Dict(r)
			if d == nil {
				continue
			}
			for _, k := range []pdf.Name{"AP", "MK"} {
				walk(walker{r: roleAppearance, skip: back}, d[k], r.Num, 1)
			}
			if pr, ok := d.Get("Popup").(pdf.Ref); ok {
				sr.of[pr.Num] |= roleAnnot
			}
		}
	}
	if oc := cat.Get("OCProperties"); oc != nil {
		walk(content, oc, 0, 1) // optional content decides what the page shows
	}
	// The form: fields (not their pages), widget appearances, the default resources.
	if af := cat.Get("AcroForm"); af != nil {
		if afd := view.Dict(af); afd != nil {
			dr := afd.Get("DR")
			if r, ok := dr.(pdf.Ref); ok {
				sr.drDict[r.Num] = true
			}
			if d := view.Dict(dr); d != nil {
				if r, ok := d.Get("Font").(pdf.Ref); ok {
					sr.drDict[r.Num] = true
				}
			}
		}
		fw := walker{r: roleForm, skip: map[pdf.Name]bool{"Parent": true, "P": true, "AP": true, "MK": true, "V": true, "Lock": true, "SV": true}}
		walk(fw, af, 0, 1)
		if fields, err := formFields(view); err == nil {
			for _, f := range fields {
				if f.IsSignature() {
					if r, ok := f.Value.(pdf.Ref); ok {
						sr.of[r.Num] |= roleSignature
					}
				} else if f.Value != nil {
					walk(fw, f.Value, 0, 1)
				}
				for _, w := range f.Widgets {
					if w.Ref.Num != 0 {
						sr.of[w.Ref.Num] |= roleAnnot
					}
					for _, k := range []pdf.Name{"AP", "MK"} {
						walk(walker{r: roleAppearance, skip: back}, w.Dict[k], w.Ref.Num, 1)
					}
				}
				for _, k := range []pdf.Name{"Lock", "SV"} {
					walk(sigw, f.Dict[k], 0, 1)
				}
			}
		}
	}
	for _, s := range sigs {
		if s.rev >= 0 && s.rev <= rev && s.ref.Num != 0 {
			sr.of[s.ref.Num] |= roleSignature
		}
	}
	walk(sigw, cat.Get("Perms"), 0, 1)
	structSkip := map[pdf.Name]bool{"Parent": true, "P": true, "Pg": true, "Obj": true, "Stm": true, "StmOwn": true}
	walk(walker{r: roleStruct, skip: structSkip}, cat.Get("StructTreeRoot"), 0, 1)
	walk(walker{r: roleMetadata, skip: back}, cat.Get("Metadata"), 0, 1)
	walk(walker{r: roleDSS, skip: back}, cat.Get("DSS"), 0, 1)
	walk(walker{r: roleInfo, skip: back}, trailerEntry(view, "Info"), 0, 1)
	// Everything else the catalog holds, last, without entering what has a role already.
	doc := walker{r: roleDocument, skip: back, stop: true}
	for _, k := range cat.Keys() {
		switch k {
		case "Pages", "AcroForm", "Perms", "StructTreeRoot", "Metadata", "DSS", "OCProperties":
		default:
			walk(doc, cat[k], 0, 1)
		}
	}
	// Containers by the cross-reference data, never by their /Type.
	revs := view.File().Revisions()
	for k := 0; k <= view.Revision().Index; k++ {
		r := revs[k]
		for _, l := range [][]int{r.Defined, r.Changed} {
			for _, n := range l {
				e, ek, ok := view.Entry(n)
				if !ok || ek != k {
					continue
				}
				switch {
				case e.Type == pdf.EntryCompressed:
					sr.of[int(e.Offset)] |= roleContainer
				case e.Type == pdf.EntryInUse && r.XRefStream && e.Offset == r.XRefOffset:
					sr.of[n] |= roleContainer
				}
			}
		}
	}
	return sr
}

func resolvedArray(v *pdf.View, o pdf.Object) (pdf.Array, bool) {
	x, err := v.Resolve(o)
	if err != nil {
		return nil, false
	}
	arr, ok := x.(pdf.Array)
	return arr, ok
}

// roleVerdict applies the table to a changed object with roles r: the permits of its roles,
// strictest first, and the name of the role that refuses (or "").
func (a *analysis) roleVerdict(n int, r role) (refusedBy string, judgeAnnot bool) {
	for _, x := range roleRules {
		if r&x.role == 0 {
			continue
		}
		switch x.rule {
		case never:
			return x.name, false
		case annotation:
			judgeAnnot = true
		case withEdit:
			if !a.apAllowed[n] || !a.ownersEdited(n) {
				return x.name, false
			}
		case notAtP1:
			if a.mdp == 1 {
				return x.name, false
			}
		case ltvAtP1:
			if a.mdp == 1 && !a.onlyInLTVRevisions(n) {
				return x.name, false
			}
		case always, perObject:
		}
	}
	return "", judgeAnnot
}

// ownersEdited reports whether every annotation whose appearance reached object n in the signed
// revision is one being filled or edited: an appearance stream shared by two fields, or reused
// by another annotation, cannot be changed through one of them.
func (a *analysis) ownersEdited(n int) bool {
	if a.roles == nil {
		a.rolesOf(n)
	}
	owners := a.roles.apOwners[n]
	if len(owners) == 0 {
		return false
	}
	for o := range owners {
		if !a.apOwnerAllowed[o] {
			return false
		}
	}
	return true
}

// onlyInLTVRevisions reports whether every later revision that rewrote object n also adds
// validation data (a DSS update) or a document timestamp: PAdES lets those revisions touch the
// document information and the catalog's /Extensions even after a P=1 certification.
func (a *analysis) onlyInLTVRevisions(n int) bool {
	revs := a.changedIn(n)
	if len(revs) == 0 {
		return false
	}
	for _, k := range revs {
		if !a.ltvRevision(k) {
			return false
		}
	}
	return true
}

// ltvRevision reports whether revision k adds a document timestamp or changes the DSS.
func (a *analysis) ltvRevision(k int) bool {
	for _, s := range a.v.sigs {
		if s.rev == k && s.rep.Kind == KindDocTimestamp {
			return true
		}
	}
	if k <= 0 {
		return false
	}
	prev, cur := a.v.f.View(k-1), a.v.f.View(k)
	pc, err1 := prev.Catalog()
	cc, err2 := cur.Catalog()
	if err1 != nil || err2 != nil {
		return false
	}
	if !pdf.Equal(pc.Get("DSS"), cc.Get("DSS")) {
		return true
	}
	// The DSS kept its reference but its dictionary or arrays were rewritten in k.
	rev := a.v.f.Revisions()[k]
	dss := reach(cur, []pdf.Object{cc.Get("DSS")}, 10000, 3, false)
	for _, l := range [][]int{rev.Defined, rev.Changed} {
		for _, n := range l {
			if dss[n] {
				return true
			}
		}
	}
	return false
}

// resourceCategories are the named-resource categories of a resource dictionary.
var resourceCategories = []pdf.Name{"Font", "XObject", "ExtGState", "ColorSpace", "Pattern", "Shading", "Properties"}

// resourcesOnlyAdded compares a resource dictionary as signed (ov, in the signed revision) with
// its new version (nv, in the latest): every name it had must resolve to the very same object
// (or an equal direct value); names may only be added. It returns the added names.
func (a *analysis) resourcesOnlyAdded(ov, nv pdf.Object) ([]pdf.Name, bool) {
	od, nd := a.old.Dict(ov), a.cur.Dict(nv)
	if od == nil || nd == nil {
		return nil, false
	}
	var added []pdf.Name
	isCat := map[pdf.Name]bool{}
	for _, k := range resourceCategories {
		isCat[k] = true
	}
	for _, k := range unionKeys(od, nd) {
		if pdf.Equal(od[k], nd[k]) || k == "ProcSet" {
			continue
		}
		if !isCat[k] {
			return nil, false
		}
		var oc pdf.Dict
		if od[k] != nil {
			if oc = a.old.Dict(od[k]); oc == nil {
				return nil, false
			}
		}
		nc := a.cur.Dict(nd[k])
		if nc == nil {
			return nil, false
		}
		for name, x := range oc {
			if !pdf.Equal(x, nc[name]) {
				return nil, false
			}
		}
		for name := range nc {
			if _, had := oc[name]; !had {
				added = append(added, name)
			}
		}
	}
	return added, true
}

// maxContentNameBytes bounds the decoded content read to learn which resource names the signed
// content uses; past it every added name counts as used.
const maxContentNameBytes = 32 << 20

// namedBySignedContent reports whether the signed revision's page content or appearances name
// one of the resource names: such a name was dangling when signed (viewers drew nothing), and
// adding it now changes what the page shows.
func (a *analysis) namedBySignedContent(names []pdf.Name) bool {
	if len(names) == 0 {
		return false
	}
	if a.contentNames == nil {
		a.contentNames = map[pdf.Name]bool{}
		budget := int64(maxContentNameBytes)
		a.rolesOf(0)
		for n, r := range a.roles.of {
			if r&(roleContent|roleAppearance) == 0 {
				continue
			}
			o, err := a.old.Object(a.refIn(a.old, n))
			st, ok := o.(*pdf.Stream)
			if err != nil || !ok || st.Dict.NameOf("Subtype") == "Image" || st.Dict.Get("Length1") != nil ||
				st.Dict.Get("Length2") != nil || st.Dict.Get("Subtype") != nil && st.Dict.NameOf("Subtype") != "Form" {
				continue
			}
			if budget -= st.Length; budget < 0 {
				a.contentNames["*"] = true
				break
			}
			data, err := a.v.f.StreamData(st)
			if err != nil {
				a.contentNames["*"] = true
				continue
			}
			lx := pdf.NewBytesLexer(data, 0, int64(len(data))+1)
			for i := 0; i < 4<<20; i++ {
				t, err := lx.Next()
				if err != nil || t.Kind == pdf.TokEOF {
					break
				}
				if t.Kind == pdf.TokName {
					a.contentNames[pdf.Name(t.Value)] = true
				}
			}
		}
	}
	if a.contentNames["*"] {
		return true
	}
	for _, n := range names {
		if a.contentNames[n] {
			return true
		}
	}
	return false
}

// daFontNames returns the font names that the signed revision's default appearance strings
// (/DA of the form, its fields and widgets) select with Tf: the fonts filled values are drawn in.
// A signature field's /DA is not read: no reader draws a value from it (a signature's
// appearance is the signer's own stream), and poppler's pdfsig writes one naming a /DR font
// that later signers (digitorus/pdfsign) leave out when they rewrite the form.
func daFontNames(view *pdf.View) map[pdf.Name]bool {
	out := map[pdf.Name]bool{}
	add := func(o pdf.Object) {
		x, err := view.Resolve(o)
		if err != nil {
			return
		}
		str, ok := x.(pdf.String)
		if !ok {
			return
		}
		f := strings.Fields(string(str.Bytes))
		for i := 2; i < len(f); i++ {
			if f[i] == "Tf" && strings.HasPrefix(f[i-2], "/") {
				out[pdf.Name(f[i-2][1:])] = true
			}
		}
	}
	cat, err := view.Catalog()
	if err != nil {
		return out
	}
	if af := view.Dict(cat.Get("AcroForm")); af != nil {
		add(af.Get("DA"))
	}
	fields, _ := formFields(view)
	for _, f := range fields {
		if f.Type == "Sig" {
			continue
		}
		add(f.Dict.Get("DA"))
		for _, w := range f.Widgets {
			add(w.Dict.Get("DA"))
		}
		for p, i := view.Dict(f.Dict.Get("Parent")), 0; p != nil && i < 64; i++ {
			add(p.Get("DA"))
			p = view.Dict(p.Get("Parent"))
		}
	}
	return out
}

// drChange judges a changed /DR (fontDict: its /Font dictionary): any font that a default
// appearance string of the signed revision selects must stay the very same object (a swapped
// font restyles filled values); other entries are not drawn by any signed content.
func (a *analysis) drChange(d ChangeDetail, what string, ov, nv pdf.Object, fontDict bool) {
	fonts := func(v *pdf.View, o pdf.Object) pdf.Dict {
		x := v.Dict(o)
		if !fontDict && x != nil {
			x = v.Dict(x.Get("Font"))
		}
		return x
	}
	of, nf := fonts(a.old, ov), fonts(a.cur, nv)
	for name := range daFontNames(a.old) {
		var o, n pdf.Object
		if of != nil {
			o = of[name]
		}
		if nf != nil {
			n = nf[name]
		}
		if !pdf.Equal(o, n) {
			d.Code = ChangeForm
			a.ch.add(false, d, "%s: font /%s, which the fields' default appearance uses, now resolves differently (restyles filled values)", what, name)
			return
		}
	}
	d.Code = ChangeFormUpdated
	a.ch.add(true, d, "%s updated (the fonts the fields use are unchanged)", what)
}
