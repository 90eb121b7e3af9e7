package sign

import (
	"errors"
	"fmt"
	"math"

	"sealdesk/core/pdf"
)

// editor collects the changes of one incremental update to the catalog, the AcroForm, the
// fields array and page annotation arrays, and writes each changed object once in commit.
type editor struct {
	f *pdf.File
	v *pdf.View
	u *pdf.Update

	catRef   pdf.Ref
	cat      pdf.Dict // clone, written when catDirty
	catDirty bool

	acro      pdf.Dict // clone of the AcroForm (nil until touched)
	acroRef   pdf.Ref  // zero when the AcroForm is direct in the catalog or new
	fields    pdf.Array
	fieldsRef pdf.Ref // non-zero when /Fields is an indirect array

	// pages are the document's first pages, read as far as a page was asked for (page,
	// pageN); allPages says they are all of them (numPages). A plain signature needs page 1
	// only, and reading every page object of a long document is most of what signing a small
	// file costs in a fresh process (a 1 MB file of 20 pages: 27 of its 100 page faults).
	pages    []pdf.Page
	allPages bool
	annots   map[int]pdf.Array // page index → new /Annots
	names    map[string]bool
	imgCache map[string]pdf.Ref
	// certifiedP is the P of an existing certification (0: none).
	certifiedP int
	// fieldLock is the /Lock dictionary of the filled field (nil when none).
	fieldLock pdf.Dict
	// caption lines drawn under the image of the signature's own widget (not empty fields or
	// cross-page strips).
	caption []string
}

func newEditor(f *pdf.File) (*editor, error) {
	v := f.Latest()
	// A trailer may omit /Root and inherit it from an earlier one (as the writer does too).
	var catRef pdf.Ref
	ok := false
	revs := f.Revisions()
	for k := len(revs) - 1; k >= 0 && !ok; k-- {
		catRef, ok = revs[k].Trailer.Get("Root").(pdf.Ref)
	}
	if !ok {
		return nil, errors.New("no trailer names an indirect /Root")
	}
	cat, err := v.Catalog()
	if err != nil {
		return nil, fmt.Errorf("failed to read catalog: %w", err)
	}
	fields, err := v.Fields()
	if err != nil {
		return nil, fmt.Errorf("failed to read form fields: %w", err)
	}
	names := map[string]bool{}
	for _, fl := range fields {
		names[fl.Name] = true
	}
	e := &editor{f: f, v: v, u: f.NewUpdate(), catRef: catRef, cat: cat.Clone(),
		annots: map[int]pdf.Array{}, names: names, imgCache: map[string]pdf.Ref{}}
	if _, ok, err := e.page(0); err != nil {
		return nil, err
	} else if !ok {
		return nil, errors.New("document has no pages")
	}
	return e, nil
}

// page returns the page of index pi (0-based), reading the page tree up to it; ok is false
// when the document has no such page.
func (e *editor) page(pi int) (p pdf.Page, ok bool, err error) {
	if pi >= len(e.pages) && !e.allPages {
		pages, err := e.v.PagesUpTo(pi + 1)
		if err != nil {
			return pdf.Page{}, false, fmt.Errorf("failed to read pages: %w", err)
		}
		e.pages, e.allPages = pages, len(pages) <= pi
	}
	if pi < 0 || pi >= len(e.pages) {
		return pdf.Page{}, false, nil
	}
	return e.pages[pi], true, nil
}

// pageN returns page n (1-based), or an error naming the number of pages.
func (e *editor) pageN(n int) (pdf.Page, error) {
	p, ok, err := e.page(n - 1)
	if err != nil || ok {
		return p, err
	}
	count, err := e.numPages()
	if err != nil {
		return pdf.Page{}, err
	}
	return pdf.Page{}, fmt.Errorf("page %d does not exist (the document has %d)", n, count)
}

// numPages reads the whole page tree and returns the number of pages.
func (e *editor) numPages() (int, error) {
	if !e.allPages {
		pages, err := e.v.Pages()
		if err != nil {
			return 0, fmt.Errorf("failed to read pages: %w", err)
		}
		e.pages, e.allPages = pages, true
	}
	return len(e.pages), nil
}

// touchAcroForm loads the AcroForm (creating one if absent) for modification.
func (e *editor) touchAcroForm() error {
	if e.acro != nil {
		return nil
	}
	raw := e.cat.Get("AcroForm")
	if r, ok := raw.(pdf.Ref); ok {
		e.acroRef = r
	}
	d := e.v.Dict(raw)
	if d == nil {
		d = pdf.Dict{}
		e.acroRef = pdf.Ref{}
		e.catDirty = true
	} else if e.acroRef.IsZero() {
		e.catDirty = true
	}
	e.acro = d.Clone()
	fo := e.acro.Get("Fields")
	if r, ok := fo.(pdf.Ref); ok {
		e.fieldsRef = r
	}
	arr, err := resolveArray(e.v, fo)
	if err != nil {
		return fmt.Errorf("failed to read /Fields: %w", err)
	}
	e.fields = append(pdf.Array{}, arr...)
	return nil
}

// addField appends a field reference to /Fields and sets SigFlags (SignaturesExist|AppendOnly).
func (e *editor) addField(ref pdf.Ref) error {
	if err := e.touchAcroForm(); err != nil {
		return err
	}
	e.fields = append(e.fields, ref)
	return nil
}

// addAnnot appends an annotation to page index pi's /Annots.
func (e *editor) addAnnot(pi int, ref pdf.Ref) error {
	arr, ok := e.annots[pi]
	if !ok {
		a, err := resolveArray(e.v, e.pages[pi].Dict.Get("Annots"))
		if err != nil {
			return fmt.Errorf("failed to read /Annots of page %d: %w", pi+1, err)
		}
		arr = append(pdf.Array{}, a...)
	}
	e.annots[pi] = append(arr, ref)
	return nil
}

// setPerms points /Perms /DocMDP at the certification signature.
func (e *editor) setPerms(sig pdf.Ref) {
	perms := pdf.Dict{}
	if d := e.v.Dict(e.cat.Get("Perms")); d != nil {
		perms = d.Clone()
	}
	perms["DocMDP"] = sig
	e.cat["Perms"] = perms
	e.catDirty = true
}

// commit writes every changed object into the update.
func (e *editor) commit() error {
	if e.acro != nil {
		sf, _ := pdf.IntOf(e.acro.Get("SigFlags"))
		e.acro["SigFlags"] = pdf.Int(sf | 3)
		if !e.fieldsRef.IsZero() {
			if err := e.u.Set(e.fieldsRef, e.fields); err != nil {
				return err
			}
		} else {
			e.acro["Fields"] = e.fields
		}
		if !e.acroRef.IsZero() {
			if err := e.u.Set(e.acroRef, e.acro); err != nil {
				return err
			}
		} else {
			e.cat["AcroForm"] = e.acro
			e.catDirty = true
		}
	}
	for pi, arr := range e.annots {
		p := e.pages[pi]
		if r, ok := p.Dict.Get("Annots").(pdf.Ref); ok {
			if err := e.u.Set(r, arr); err != nil {
				return err
			}
			continue
		}
		if p.Ref.IsZero() {
			return fmt.Errorf("page %d is not an indirect object", pi+1)
		}
		d := p.Dict.Clone()
		d["Annots"] = arr
		if err := e.u.Set(p.Ref, d); err != nil {
			return err
		}
	}
	if e.catDirty {
		if err := e.u.Set(e.catRef, e.cat); err != nil {
			return err
		}
	}
	return nil
}

// newFieldName picks "Signature<N>" not yet used.
func (e *editor) newFieldName(prefix string) string {
	for i := 1; ; i++ {
		n := fmt.Sprintf("%s%d", prefix, i)
		if !e.names[n] {
			return n
		}
	}
}

// widgetSpec is one widget of a signature field.
type widgetSpec struct {
	page int // index
	rect pdf.Rect
	ap   pdf.Ref // zero → an empty appearance is made
}

// placeSignature puts sigRef into the field named by o (existing or new), with appearances,
// and returns the field name.
func (e *editor) placeSignature(sigRef pdf.Ref, o *Options) (string, error) {
	if o.Field != "" && e.names[o.Field] {
		return o.Field, e.fillExisting(sigRef, o)
	}
	if e.certifiedP > 0 && (o.Page > 0 || o.CrossPage != nil) {
		return "", ErrCertifiedNewField
	}
	name := o.Field
	if name == "" {
		name = e.newFieldName("Signature")
	}
	var widgets []widgetSpec
	if o.Page > 0 {
		pi := o.Page - 1
		p, err := e.pageN(o.Page)
		if err != nil {
			return "", err
		}
		ur, err := VisibleToUser(p.CropBox, p.Rotate, o.Rect)
		if err != nil {
			return "", err
		}
		if ur.IsZero() {
			return "", errors.New("signature rectangle has no area")
		}
		e.caption = o.Caption
		ap, err := e.appearance(p.Rotate, o.Rect.Width(), o.Rect.Height(), o.Image, o.Fit)
		e.caption = nil
		if err != nil {
			return "", err
		}
		widgets = append(widgets, widgetSpec{page: pi, rect: ur, ap: ap})
	}
	if o.CrossPage != nil {
		ws, err := e.crossPageWidgets(o.CrossPage)
		if err != nil {
			return "", err
		}
		widgets = append(widgets, ws...)
	}
	if len(widgets) == 0 { // invisible: a zero rectangle on the first page
		ap, err := e.appearance(0, 0, 0, nil, Fit)
		if err != nil {
			return "", err
		}
		widgets = append(widgets, widgetSpec{page: 0, ap: ap})
	}
	_, err := e.newSigField(name, sigRef, widgets, nil)
	return name, err
}

// newSigField creates a signature field with the given widgets (merged into the field when
// there is one) and registers it.
func (e *editor) newSigField(name string, sigRef pdf.Ref, widgets []widgetSpec, extra pdf.Dict) (pdf.Ref, error) {
	if e.names[name] {
		return pdf.Ref{}, fmt.Errorf("%w: %q", ErrFieldExists, name)
	}
	e.names[name] = true
	fieldRef := e.u.Reserve()
	field := pdf.Dict{"FT": pdf.Name("Sig"), "T": pdf.EncodeText(name)}
	for k, v := range extra {
		field[k] = v
	}
	if !sigRef.IsZero() {
		field["V"] = sigRef
	}
	widgetDict := func(w widgetSpec) (pdf.Dict, error) {
		ap := w.ap
		if ap.IsZero() {
			var err error
			if ap, err = e.appearance(0, 0, 0, nil, Fit); err != nil {
				return nil, err
			}
		}
		d := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "Rect": w.rect.Array(),
			"F": pdf.Int(4), "P": e.pages[w.page].Ref, "AP": pdf.Dict{"N": ap}}
		if w.rect.IsZero() {
			d["Rect"] = pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}
			d["F"] = pdf.Int(132) // print + locked
		}
		return d, nil
	}
	if len(widgets) == 1 {
		wd, err := widgetDict(widgets[0])
		if err != nil {
			return pdf.Ref{}, err
		}
		for k, v := range wd {
			field[k] = v
		}
		if err := e.addAnnot(widgets[0].page, fieldRef); err != nil {
			return pdf.Ref{}, err
		}
	} else {
		var kids pdf.Array
		for _, w := range widgets {
			wd, err := widgetDict(w)
			if err != nil {
				return pdf.Ref{}, err
			}
			wd["Parent"] = fieldRef
			if !sigRef.IsZero() {
				// poppler (pdfsig, Evince, Okular) reads /V from each widget of a signature
				// field with several widgets rather than inheriting it from the parent; without
				// it every strip of a cross-page seal shows as an unsigned field.
				wd["V"] = sigRef
			}
			wr := e.u.Add(wd)
			kids = append(kids, wr)
			if err := e.addAnnot(w.page, wr); err != nil {
				return pdf.Ref{}, err
			}
		}
		field["Kids"] = kids
	}
	if err := e.u.Set(fieldRef, field); err != nil {
		return pdf.Ref{}, err
	}
	return fieldRef, e.addField(fieldRef)
}

// fillExisting signs into an existing empty signature field.
func (e *editor) fillExisting(sigRef pdf.Ref, o *Options) error {
	fl, err := e.v.Field(o.Field)
	if err != nil {
		return err
	}
	if !fl.IsSignature() {
		return fmt.Errorf("%w: %q has type %q", ErrFieldNotEmpty, o.Field, fl.Type)
	}
	if fl.Value != nil {
		if _, isNull := fl.Value.(pdf.Null); !isNull {
			return fmt.Errorf("%w: %q is already signed", ErrFieldNotEmpty, o.Field)
		}
	}
	if fl.Ref.IsZero() {
		return fmt.Errorf("field %q is a direct object and cannot be updated", o.Field)
	}
	if _, err := e.numPages(); err != nil { // its widgets may be on any page
		return err
	}
	field := fl.Dict.Clone()
	field["V"] = sigRef
	if lock := e.v.Dict(field.Get("Lock")); lock != nil {
		e.fieldLock = lock
	}
	// SigFlags must say signatures exist even when the form was made elsewhere.
	if err := e.touchAcroForm(); err != nil {
		return err
	}
	if o.CrossPage != nil {
		return e.fillCrossPage(fl, field, sigRef, o.CrossPage)
	}
	for _, wg := range fl.Widgets {
		if wg.Page < 1 || wg.Page > len(e.pages) {
			continue
		}
		p := e.pages[wg.Page-1]
		var ap pdf.Ref
		if wg.Rect.IsZero() {
			ap, err = e.appearance(0, 0, 0, nil, Fit)
		} else {
			vr, verr := UserToVisible(p.CropBox, p.Rotate, wg.Rect)
			if verr != nil {
				return verr
			}
			e.caption = o.Caption
			ap, err = e.appearance(p.Rotate, vr.Width(), vr.Height(), o.Image, o.Fit)
			e.caption = nil
		}
		if err != nil {
			return err
		}
		// A widget that only its /P names is not shown by viewers: list it on its page.
		if !wg.OnPageAnnots {
			ref := wg.Ref
			if ref.IsZero() {
				ref = fl.Ref
			}
			if err := e.addAnnot(wg.Page-1, ref); err != nil {
				return err
			}
		}
		if wg.Ref.IsZero() || wg.Ref == fl.Ref {
			field["AP"] = pdf.Dict{"N": ap}
			continue
		}
		wd := wg.Dict.Clone()
		wd["AP"] = pdf.Dict{"N": ap}
		if len(fl.Widgets) > 1 {
			wd["V"] = sigRef // as for cross-page seals: poppler reads /V per widget
		}
		if err := e.u.Set(wg.Ref, wd); err != nil {
			return err
		}
	}
	return e.u.Set(fl.Ref, field)
}

// widgetKeys are the annotation entries of a field dictionary merged with its only widget; they
// move to the new widget when such a field gets /Kids.
var widgetKeys = []pdf.Name{"Type", "Subtype", "Rect", "Contents", "P", "NM", "M", "F", "AP", "AS",
	"Border", "C", "StructParent", "OC", "AF", "ca", "CA", "BM", "Lang", "H", "MK", "A", "BS"}

// fillCrossPage signs into the existing empty field fl a cross-page seal: each existing widget
// gets the strip of its own page (its /Rect moves to the right edge), and new widgets carry the
// strips of the other pages, all in this one revision. A field merged with its widget keeps its
// object as the field; its widget entries move to a new widget object that takes its place in
// the page's /Annots. field is fl's dictionary with /V already set.
func (e *editor) fillCrossPage(fl pdf.Field, field pdf.Dict, sigRef pdf.Ref, cp *CrossPage) error {
	strips, err := e.crossPageWidgets(cp)
	if err != nil {
		return err
	}
	used := make([]bool, len(strips))
	stripFor := func(page int) (widgetSpec, bool) { // page is 1-based
		for i, s := range strips {
			if !used[i] && s.page == page-1 {
				used[i] = true
				return s, true
			}
		}
		return widgetSpec{}, false
	}
	// place gives an existing widget its strip (or, when its page has none, an empty look).
	place := func(wd pdf.Dict, page int) error {
		if s, ok := stripFor(page); ok {
			wd["Rect"] = s.rect.Array()
			wd["AP"] = pdf.Dict{"N": s.ap}
			return nil
		}
		ap, err := e.appearance(0, 0, 0, nil, Fit)
		if err != nil {
			return err
		}
		wd["AP"] = pdf.Dict{"N": ap}
		return nil
	}
	var kids pdf.Array
	merged := len(fl.Widgets) == 1 && (fl.Widgets[0].Ref.IsZero() || fl.Widgets[0].Ref == fl.Ref)
	if merged {
		w := fl.Widgets[0]
		wd := pdf.Dict{}
		for _, k := range widgetKeys {
			if v, ok := field[k]; ok {
				wd[k] = v
				delete(field, k)
			}
		}
		wd["Parent"], wd["V"] = fl.Ref, sigRef
		if w.Page >= 1 && w.Page <= len(e.pages) {
			wd["P"] = e.pages[w.Page-1].Ref
			if err := place(wd, w.Page); err != nil {
				return err
			}
		}
		wr := e.u.Add(wd)
		kids = append(kids, wr)
		if w.Page >= 1 && w.Page <= len(e.pages) {
			if err := e.replaceAnnot(w.Page-1, fl.Ref, wr); err != nil {
				return err
			}
		}
	} else {
		if k, err := resolveArray(e.v, field.Get("Kids")); err == nil {
			kids = append(kids, k...)
		}
		for _, w := range fl.Widgets {
			if w.Ref.IsZero() || w.Page < 1 || w.Page > len(e.pages) {
				continue
			}
			wd := w.Dict.Clone()
			wd["V"] = sigRef // poppler reads /V per widget
			if err := place(wd, w.Page); err != nil {
				return err
			}
			if !w.OnPageAnnots {
				if err := e.addAnnot(w.Page-1, w.Ref); err != nil {
					return err
				}
			}
			if err := e.u.Set(w.Ref, wd); err != nil {
				return err
			}
		}
	}
	for i, s := range strips {
		if used[i] {
			continue
		}
		if e.certifiedP > 0 {
			return ErrCertifiedNewField // a strip on another page is a new annotation
		}
		wd := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "Rect": s.rect.Array(),
			"F": pdf.Int(4), "P": e.pages[s.page].Ref, "AP": pdf.Dict{"N": s.ap}, "Parent": fl.Ref, "V": sigRef}
		wr := e.u.Add(wd)
		kids = append(kids, wr)
		if err := e.addAnnot(s.page, wr); err != nil {
			return err
		}
	}
	field["Kids"] = kids
	return e.u.Set(fl.Ref, field)
}

// replaceAnnot puts ref in place of old in page index pi's /Annots (appending it when old is
// not listed).
func (e *editor) replaceAnnot(pi int, old, ref pdf.Ref) error {
	arr, ok := e.annots[pi]
	if !ok {
		a, err := resolveArray(e.v, e.pages[pi].Dict.Get("Annots"))
		if err != nil {
			return fmt.Errorf("failed to read /Annots of page %d: %w", pi+1, err)
		}
		arr = append(pdf.Array{}, a...)
	}
	for i, o := range arr {
		if r, isRef := o.(pdf.Ref); isRef && r == old {
			arr[i] = ref
			e.annots[pi] = arr
			return nil
		}
	}
	e.annots[pi] = append(arr, ref)
	return nil
}

// crossPageWidgets cuts the seal into strips along the right edge of the chosen pages.
func (e *editor) crossPageWidgets(cp *CrossPage) ([]widgetSpec, error) {
	if _, err := e.numPages(); err != nil {
		return nil, err
	}
	pages := cp.Pages
	if pages == nil {
		for i := range e.pages {
			pages = append(pages, i+1)
		}
	}
	n := len(pages)
	if n == 0 {
		return nil, errors.New("cross-page seal needs at least one page")
	}
	img, err := decodeAny(cp.Image)
	if err != nil {
		return nil, err
	}
	width := cp.Width
	if width <= 0 {
		width = 119
	}
	b := img.Bounds()
	height := width * float64(b.Dy()) / float64(b.Dx())
	if n > b.Dx() {
		return nil, fmt.Errorf("a seal %d pixels wide cannot be cut into %d strips", b.Dx(), n)
	}
	var out []widgetSpec
	for i, pn := range pages {
		if pn < 1 || pn > len(e.pages) {
			return nil, fmt.Errorf("page %d does not exist (the document has %d)", pn, len(e.pages))
		}
		p := e.pages[pn-1]
		vw, vh := p.VisibleSize()
		strip := cropStrip(img, i, n)
		sw := width * float64(strip.Bounds().Dx()) / float64(b.Dx())
		cy := cp.CenterY
		if cy <= 0 {
			cy = vh / 2
		}
		vr := VisibleRect{X1: vw - sw, Y1: cy - height/2, X2: vw, Y2: cy + height/2}
		ur, err := VisibleToUser(p.CropBox, p.Rotate, vr)
		if err != nil {
			return nil, err
		}
		raster, err := rasterXObject(strip)
		if err != nil {
			return nil, err
		}
		ap, err := e.appearanceFromXObject(p.Rotate, vr.Width(), vr.Height(), raster, Stretch)
		if err != nil {
			return nil, err
		}
		out = append(out, widgetSpec{page: pn - 1, rect: ur, ap: ap})
	}
	return out, nil
}

// AddField creates an empty signature field on a page; see AddFields.
type FieldSpec struct {
	Name string
	Page int // 1-based
	Rect VisibleRect
	// LockAll makes the field lock every form field once it is signed (/Lock with /Action
	// /All; the signature then carries a FieldMDP reference).
	LockAll bool
}

func (e *editor) addEmptyField(fs FieldSpec) error {
	if fs.Name == "" {
		return errors.New("a field needs a name")
	}
	p, err := e.pageN(fs.Page)
	if err != nil {
		return err
	}
	ur, err := VisibleToUser(p.CropBox, p.Rotate, fs.Rect)
	if err != nil {
		return err
	}
	if ur.IsZero() || math.IsNaN(ur.LLX) {
		return fmt.Errorf("field %q rectangle has no area", fs.Name)
	}
	ap, err := e.appearance(p.Rotate, fs.Rect.Width(), fs.Rect.Height(), nil, Fit)
	if err != nil {
		return err
	}
	var extra pdf.Dict
	if fs.LockAll {
		extra = pdf.Dict{"Lock": pdf.Dict{"Type": pdf.Name("SigFieldLock"), "Action": pdf.Name("All")}}
	}
	_, err = e.newSigField(fs.Name, pdf.Ref{}, []widgetSpec{{page: fs.Page - 1, rect: ur, ap: ap}}, extra)
	return err
}
