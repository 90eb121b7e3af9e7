package verify

import (
	"bytes"
	"sort"

	"sealdesk/core/pdf"
)

// formFields walks /AcroForm /Fields of a view like pdf.View.Fields, but without mapping widgets
// to pages (which walks the whole page tree): change analysis compares the signed revision's
// fields by name, ref, value and widget dictionaries only. Widgets carry Ref and Dict.
func formFields(v *pdf.View) ([]pdf.Field, error) {
	cat, err := v.Catalog()
	if err != nil {
		return nil, err
	}
	af := v.Dict(cat.Get("AcroForm"))
	if af == nil {
		return nil, nil
	}
	fo, err := v.Resolve(af.Get("Fields"))
	if err != nil {
		return nil, err
	}
	arr, _ := fo.(pdf.Array)
	var out []pdf.Field
	seen := map[pdf.Ref]bool{}
	count := 0
	type attrs struct {
		name string
		ft   pdf.Name
		ff   int64
		v    pdf.Object
		hasV bool
	}
	resolved := func(o pdf.Object) pdf.Object {
		x, err := v.Resolve(o)
		if err != nil {
			return nil
		}
		return x
	}
	var walk func(o pdf.Object, in attrs, depth int)
	walk = func(o pdf.Object, in attrs, depth int) {
		if depth > 64 || count > 100000 {
			return
		}
		count++
		ref, _ := o.(pdf.Ref)
		if !ref.IsZero() {
			if seen[ref] {
				return
			}
			seen[ref] = true
		}
		d := v.Dict(o)
		if d == nil {
			return
		}
		if t, ok := resolved(d.Get("T")).(pdf.String); ok {
			if in.name != "" {
				in.name += "."
			}
			in.name += t.Text()
		}
		if ft, ok := resolved(d.Get("FT")).(pdf.Name); ok {
			in.ft = ft
		}
		if ff, ok := pdf.IntOf(resolved(d.Get("Ff"))); ok {
			in.ff = ff
		}
		if x, ok := d["V"]; ok {
			in.v, in.hasV = x, true
		}
		kids, _ := resolved(d.Get("Kids")).(pdf.Array)
		var childFields, widgets []pdf.Object
		for _, k := range kids {
			kd := v.Dict(k)
			if kd == nil {
				continue
			}
			if kd.Get("T") != nil || (kd.Get("Kids") != nil && kd.NameOf("Subtype") != "Widget") {
				childFields = append(childFields, k)
			} else {
				widgets = append(widgets, k)
			}
		}
		for _, k := range childFields {
			walk(k, in, depth+1)
		}
		if len(childFields) > 0 && len(widgets) == 0 {
			return
		}
		fld := pdf.Field{Name: in.name, Ref: ref, Dict: d, Type: in.ft, Flags: in.ff}
		if in.hasV {
			fld.Value = in.v
		}
		if len(kids) == 0 {
			widgets = []pdf.Object{o}
		}
		for _, w := range widgets {
			wd := v.Dict(w)
			if wd == nil {
				continue
			}
			wr, _ := w.(pdf.Ref)
			fld.Widgets = append(fld.Widgets, pdf.Widget{Ref: wr, Dict: wd})
		}
		out = append(out, fld)
	}
	for _, o := range arr {
		walk(o, attrs{}, 0)
	}
	return out, nil
}

// pagesOf finds the 1-based numbers of the given page objects in the latest revision, walking
// the page tree in order and stopping once all are found (signatures are usually on early
// pages, and a full walk of a long document parses every page object).
func (v *verifier) pagesOf(targets map[pdf.Ref]bool) map[pdf.Ref]int {
	out := map[pdf.Ref]int{}
	if len(targets) == 0 {
		return out
	}
	view := v.f.Latest()
	cat, err := view.Catalog()
	if err != nil {
		return out
	}
	n := 0
	seen := map[pdf.Ref]bool{}
	var walk func(o pdf.Object, depth int) bool
	walk = func(o pdf.Object, depth int) bool {
		if depth > 64 || n > 1000000 {
			return true
		}
		r, isRef := o.(pdf.Ref)
		if isRef {
			if seen[r] {
				return false
			}
			seen[r] = true
		}
		d := view.Dict(o)
		if d == nil {
			return false
		}
		if d.NameOf("Type") == "Pages" || (d.Get("Kids") != nil && d.NameOf("Type") != "Page") {
			ko, _ := view.Resolve(d.Get("Kids"))
			kids, _ := ko.(pdf.Array)
			for _, k := range kids {
				if walk(k, depth+1) {
					return true
				}
			}
			return false
		}
		n++
		if isRef && targets[r] {
			out[r] = n
			if len(out) == len(targets) {
				return true
			}
		}
		return false
	}
	walk(cat.Get("Pages"), 0)
	return out
}

// pageNumber returns the 1-based number of a page object in the latest revision (0 if none).
func (v *verifier) pageNumber(r pdf.Ref) int {
	if v.pageNums == nil {
		v.pageNums = map[pdf.Ref]int{}
	}
	if n, ok := v.pageNums[r]; ok {
		return n
	}
	n := v.pagesOf(map[pdf.Ref]bool{r: true})[r]
	v.pageNums[r] = n
	return n
}

// sigCandidates finds signature dictionaries by their /ByteRange key in the file's bytes: for
// each occurrence, the indirect object around it (by the cross-reference offsets of every
// revision, or by the nearest "N G obj" header for bytes no section lists). This reads a
// handful of objects instead of every object of every revision. Signature dictionaries inside
// compressed object streams cannot carry a valid ByteRange; those a field points to are found
// through the fields.
func (v *verifier) sigCandidates(data []byte) (found []pdf.SigDict, broken []int64, err error) {
	type objAt struct {
		off int64
		num int
		gen int
		rev int
	}
	var objs []objAt
	for k, rev := range v.f.Revisions() {
		view := v.f.View(k)
		for _, l := range [][]int{rev.Defined, rev.Changed} {
			for _, n := range l {
				e, ek, ok := view.Entry(n)
				if ok && ek == k && e.Type == pdf.EntryInUse {
					objs = append(objs, objAt{e.Offset, n, e.Gen, k})
				}
			}
		}
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].off < objs[j].off })
	revOf := func(off int64) int {
		for k, rev := range v.f.Revisions() {
			if off < rev.End {
				return k
			}
		}
		return len(v.f.Revisions()) - 1
	}
	// Every occurrence of the key costs at most a binary search and, once per object, a parse:
	// objects are parsed once (parsed, by header offset) and the search resumes after the
	// object that holds an occurrence, so a file of many /ByteRange keys stays linear.
	seen := map[int64]bool{}
	type parse struct {
		obj *pdf.IndirectObject
		err error
	}
	parsed := map[int64]parse{}
	var allHdrs []int64 // every "N G obj" header of the file, found when first needed
	hdrsDone := false
	key := []byte("/ByteRange")
	for i := 0; ; {
		if len(found) > v.limits.MaxSignatures {
			return found, broken, &pdf.LimitError{Limit: "MaxSignatures", Max: int64(v.limits.MaxSignatures), Got: int64(len(found))}
		}
		if err := v.ctx.Err(); err != nil {
			return found, broken, err
		}
		j := bytes.Index(data[i:], key)
		if j < 0 {
			break
		}
		p := int64(i + j)
		i += j + len(key)
		k := sort.Search(len(objs), func(x int) bool { return objs[x].off > p }) - 1
		var obj *pdf.IndirectObject
		var at objAt
		if k >= 0 {
			at = objs[k]
			pr, done := parsed[at.off]
			if !done {
				o, _, err := v.f.View(at.rev).Indirect(pdf.Ref{Num: at.num, Gen: at.gen})
				pr = parse{o, err}
				parsed[at.off] = pr
			}
			if o, err := pr.obj, pr.err; err == nil && o != nil && p < o.Span.End {
				obj = o
			} else if err != nil && p-at.off < 1<<16 {
				if !seen[at.off] {
					seen[at.off] = true
					broken = append(broken, at.off)
				}
				continue
			}
		}
		if obj == nil {
			// Bytes no cross-reference section lists: parse from the nearest header before p
			// (at most 64 KiB before it).
			if !hdrsDone {
				allHdrs, hdrsDone = objHeaders(data), true
			}
			h := sort.Search(len(allHdrs), func(x int) bool { return allHdrs[x] >= p }) - 1
			if h < 0 || p-allHdrs[h] > 1<<16 {
				continue
			}
			off := allHdrs[h]
			pr, done := parsed[off]
			if !done {
				o, err := v.f.ParseIndirectAt(off)
				pr = parse{o, err}
				parsed[off] = pr
			}
			o, err := pr.obj, pr.err
			if err != nil || o == nil || p >= o.Span.End {
				continue
			}
			obj = o
			at = objAt{off, o.Ref.Num, o.Ref.Gen, revOf(off)}
		}
		if end := obj.Span.End; end > int64(i) && end <= int64(len(data)) {
			i = int(end) // every later occurrence inside this object is this object
		}
		if seen[obj.Span.Start] {
			continue
		}
		seen[obj.Span.Start] = true
		d, ok := obj.Value.(pdf.Dict)
		if !ok || (!pdf.IsSigDict(d) && d.Get("ByteRange") == nil) {
			continue
		}
		found = append(found, pdf.SigDict{Ref: obj.Ref, Revision: at.rev, Dict: d})
	}
	return found, broken, nil
}

// pageHolding finds the page whose /Annots lists the annotation r (one full walk, cached; used
// only for widgets without /P).
func (v *verifier) pageHolding(r pdf.Ref) int {
	if v.annotPage == nil {
		v.annotPage = map[pdf.Ref]int{}
		view := v.f.Latest()
		if pages, err := view.Pages(); err == nil {
			for _, p := range pages {
				ao, _ := view.Resolve(p.Dict.Get("Annots"))
				arr, _ := ao.(pdf.Array)
				for _, x := range arr {
					if ar, ok := x.(pdf.Ref); ok {
						if _, dup := v.annotPage[ar]; !dup {
							v.annotPage[ar] = p.Number
						}
					}
				}
			}
		}
	}
	return v.annotPage[r]
}
