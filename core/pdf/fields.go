package pdf

import (
	"fmt"
	"sort"
	"strings"
)

// Field is a terminal AcroForm field with its inherited attributes.
type Field struct {
	Name    string // fully qualified: partial names joined with '.'
	Ref     Ref    // zero for a direct field dictionary
	Dict    Dict
	Type    Name   // inherited /FT: Btn, Tx, Ch, Sig (empty if none)
	Flags   int64  // inherited /Ff
	Value   Object // inherited /V as written (often a Ref for signatures); nil when absent
	Widgets []Widget
}

// Widget is one widget annotation of a field.
type Widget struct {
	Ref  Ref // zero for a widget merged into a direct field dictionary
	Dict Dict
	// Page is the 1-based number of the page whose /Annots holds the widget, or, when no page
	// lists it, the page its /P names; 0 when neither is known.
	Page    int
	PageRef Ref
	// OnPageAnnots reports whether a page's /Annots lists the widget (a widget only /P points
	// to is not displayed by viewers).
	OnPageAnnots bool
	Rect         Rect
}

// IsSignature reports whether the field is a signature field.
func (f Field) IsSignature() bool { return f.Type == "Sig" }

// Fields walks /AcroForm /Fields and returns the terminal fields in document order. A
// document without a form has no fields and no error.
func (v *View) Fields() ([]Field, error) {
	cat, err := v.Catalog()
	if err != nil {
		return nil, err
	}
	af := v.Dict(cat.Get("AcroForm"))
	if af == nil {
		return nil, nil
	}
	arr, _ := v.resolved(af.Get("Fields")).(Array)
	annotPage, pageNum, err := v.annotPages()
	if err != nil {
		return nil, err
	}
	var out []Field
	seen := map[Ref]bool{}
	type attrs struct {
		name        string
		ft          Name
		ff          int64
		v           Object
		hasV, hasFF bool
	}
	var walk func(o Object, in attrs, depth int) error
	walk = func(o Object, in attrs, depth int) error {
		if depth > v.f.limits.MaxDepth {
			return limitErr("MaxDepth", int64(v.f.limits.MaxDepth))
		}
		ref, _ := o.(Ref)
		if !ref.IsZero() {
			if seen[ref] {
				return nil // cycles and shared kids are visited once
			}
			seen[ref] = true
		}
		d := v.Dict(o)
		if d == nil {
			return nil
		}
		if t, ok := v.resolved(d.Get("T")).(String); ok {
			if in.name != "" {
				in.name += "."
			}
			in.name += t.Text()
		}
		if ft, ok := v.resolved(d.Get("FT")).(Name); ok {
			in.ft = ft
		}
		if ff, ok := IntOf(v.resolved(d.Get("Ff"))); ok {
			in.ff = ff
		}
		if x, ok := d["V"]; ok {
			in.v, in.hasV = x, true
		}
		kids, _ := v.resolved(d.Get("Kids")).(Array)
		var childFields []Object
		var widgets []Object
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
		if len(childFields) > 0 {
			for _, k := range childFields {
				if err := walk(k, in, depth+1); err != nil {
					return err
				}
			}
			if len(widgets) == 0 {
				return nil
			}
		}
		fld := Field{Name: in.name, Ref: ref, Dict: d, Type: in.ft, Flags: in.ff}
		if in.hasV {
			fld.Value = in.v
		}
		if len(kids) == 0 || (len(widgets) == 0 && d.NameOf("Subtype") == "Widget") {
			widgets = []Object{o}
		}
		for _, w := range widgets {
			wd := v.Dict(w)
			if wd == nil || (wd.NameOf("Subtype") != "Widget" && wd.Get("Rect") == nil) {
				continue
			}
			wr, _ := w.(Ref)
			wg := Widget{Ref: wr, Dict: wd}
			wg.Rect, _ = RectFrom(v, wd.Get("Rect"))
			if n, ok := annotPage[wr]; ok && !wr.IsZero() {
				wg.Page, wg.OnPageAnnots = n, true
			} else if p, ok := wd.Get("P").(Ref); ok {
				wg.Page = pageNum[p]
			}
			if wg.Page > 0 {
				wg.PageRef = pageRefOf(pageNum, wg.Page)
			}
			fld.Widgets = append(fld.Widgets, wg)
		}
		out = append(out, fld)
		return nil
	}
	for _, o := range arr {
		if err := walk(o, attrs{}, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func pageRefOf(pageNum map[Ref]int, n int) Ref {
	for r, k := range pageNum {
		if k == n {
			return r
		}
	}
	return Ref{}
}

// annotPages maps every annotation reference listed in a page's /Annots to its page number,
// and every page reference to its number.
func (v *View) annotPages() (map[Ref]int, map[Ref]int, error) {
	pages, err := v.Pages()
	if err != nil {
		return nil, nil, fmt.Errorf("walk pages: %w", err)
	}
	annots := map[Ref]int{}
	nums := map[Ref]int{}
	for _, p := range pages {
		if !p.Ref.IsZero() {
			nums[p.Ref] = p.Number
		}
		arr, _ := v.resolved(p.Dict.Get("Annots")).(Array)
		for _, a := range arr {
			if r, ok := a.(Ref); ok {
				if _, dup := annots[r]; !dup {
					annots[r] = p.Number
				}
			}
		}
	}
	return annots, nums, nil
}

// Field returns the terminal field with the fully qualified name, or ErrNotFound.
func (v *View) Field(name string) (Field, error) {
	fs, err := v.Fields()
	if err != nil {
		return Field{}, err
	}
	for _, f := range fs {
		if f.Name == name {
			return f, nil
		}
	}
	return Field{}, fmt.Errorf("%w: field %q", ErrNotFound, name)
}

// SigDict is a signature (or document timestamp) dictionary found in the file.
type SigDict struct {
	Ref Ref // zero for a direct /V dictionary
	// Revision is the index of the revision whose cross-reference section defines this
	// version of the object.
	Revision int
	Dict     Dict
	// Fields lists the fully qualified names of the signature fields whose /V points to this
	// dictionary in the latest revision; empty for an orphan.
	Fields []string
}

// IsSigDict reports whether d looks like a signature dictionary: /Type /Sig or /DocTimeStamp,
// or both /ByteRange and /Contents present.
func IsSigDict(d Dict) bool {
	if d == nil {
		return false
	}
	switch d.NameOf("Type") {
	case "Sig", "DocTimeStamp":
		return true
	}
	_, br := d["ByteRange"]
	_, ct := d["Contents"]
	return br && ct
}

// FindSigDicts finds every signature dictionary in every revision: the values of signature
// fields and any object that looks like a signature dictionary (IsSigDict), including old
// versions replaced by later revisions and orphans no field points to. It reads every object
// of the file (stream data excluded), so it is meant for verification, not for opening.
// Objects that cannot be read are skipped; their numbers are returned in unreadable.
func (f *File) FindSigDicts() (sigs []SigDict, unreadable []int, err error) {
	type key struct {
		ref Ref
		rev int
	}
	found := map[key]int{}
	for k, rev := range f.revs {
		v := f.View(k)
		nums := make([]int, 0, len(rev.entries))
		for n, e := range rev.entries {
			if e.Type != EntryFree && n != 0 {
				nums = append(nums, n)
			}
		}
		sort.Ints(nums)
		for _, n := range nums {
			e := rev.entries[n]
			ref := Ref{Num: n}
			if e.Type == EntryInUse {
				ref.Gen = e.Gen
			}
			o, err := v.Object(ref)
			if err != nil {
				unreadable = append(unreadable, n)
				continue
			}
			d, _ := o.(Dict)
			if !IsSigDict(d) {
				continue
			}
			found[key{ref, k}] = len(sigs)
			sigs = append(sigs, SigDict{Ref: ref, Revision: k, Dict: d})
		}
	}
	latest := f.Latest()
	fields, ferr := latest.Fields()
	if ferr != nil {
		return sigs, unreadable, fmt.Errorf("walk form fields: %w", ferr)
	}
	for _, fl := range fields {
		if fl.Value == nil {
			continue
		}
		switch x := fl.Value.(type) {
		case Ref:
			_, rk, ok := latest.Entry(x.Num)
			if !ok {
				continue
			}
			if i, ok := found[key{Ref{x.Num, x.Gen}, rk}]; ok {
				sigs[i].Fields = append(sigs[i].Fields, fl.Name)
				continue
			}
			if d := latest.Dict(x); d != nil && fl.IsSignature() {
				found[key{x, rk}] = len(sigs)
				sigs = append(sigs, SigDict{Ref: x, Revision: rk, Dict: d, Fields: []string{fl.Name}})
			}
		case Dict:
			if fl.IsSignature() || IsSigDict(x) {
				sigs = append(sigs, SigDict{Revision: len(f.revs) - 1, Dict: x, Fields: []string{fl.Name}})
			}
		}
	}
	return sigs, unreadable, nil
}

// FieldNames returns the fully qualified names of all terminal fields, for messages.
func FieldNames(fs []Field) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}
