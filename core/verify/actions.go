package verify

import (
	"strings"

	"sealdesk/core/pdf"
)

// Actions of annotations and fields added or changed after signing (red team s6 F1). The
// document-level places a viewer runs actions from — the catalog's /OpenAction, /AA, /Names
// /JavaScript, a page's /AA, an existing field's /AA — are already disallowed changes (every
// catalog and page entry outside a short list is). An added annotation carries its own actions:
// a Screen or Square annotation whose /AA /PO (page opened) runs JavaScript that rewrites the
// signed amount in Acrobat, a Link whose harmless /URI action has a /Next that runs JavaScript.
// The same rule applies there: only navigation (navigationActions) is allowed — the four named
// actions ISO defines and links to http, https and mailto URIs; any other action type or target,
// reached through /A, /PA, every /AA trigger, /Next (a dictionary or an array) and indirect
// references, is a disallowed change naming it. Annotations that run or play content of their
// own (3D, RichMedia: activeSubtypes) are refused the same way.

// navigationActions are the action types an added or changed annotation or field may carry:
// they move the view or open a link and change nothing the document shows. Everything else —
// JavaScript, Launch, SubmitForm, ResetForm, ImportData, Hide, SetOCGState, Rendition, Movie,
// Sound, Trans, GoToR, GoToE, GoTo3DView, Thread, RichMediaExecute, an untyped or unknown
// action — is refused.
func navigationActions(x pdf.Name) bool {
	switch x {
	case "URI", "GoTo", "GoToDp", "Named":
		return true
	}
	return false
}

// maxAnnotActions bounds the action dictionaries followed from one annotation or field; past it
// the change cannot be judged (ChangeTooComplex naming MaxAnnotActions).
const maxAnnotActions = 64

// actionKeys are the entries of an annotation or field dictionary that hold actions.
var actionKeys = []pdf.Name{"A", "AA", "PA"}

// riskyActions returns the distinct non-navigation action types that d's /A, /PA and /AA reach
// (in the latest revision), in the order found, and whether the walk gave up at
// maxAnnotActions.
func (a *analysis) riskyActions(d pdf.Dict) (types []string, exhausted bool) {
	seenRef := map[pdf.Ref]bool{}
	seenType := map[string]bool{}
	var stack []pdf.Object
	for _, k := range actionKeys {
		x := d.Get(k)
		if x == nil {
			continue
		}
		if k == "AA" {
			// The trigger dictionary: every value is an action (E X D U Fo Bl PO PC PV PI,
			// and K F V C on a field).
			aa := a.cur.Dict(x)
			for _, t := range aa.Keys() {
				stack = append(stack, aa[t])
			}
			continue
		}
		stack = append(stack, x)
	}
	count := 0
	for len(stack) > 0 {
		o := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if r, ok := o.(pdf.Ref); ok {
			if seenRef[r] {
				continue
			}
			seenRef[r] = true
		}
		x, err := a.cur.Resolve(o)
		if err != nil {
			continue
		}
		switch t := x.(type) {
		case pdf.Array:
			stack = append(stack, t...)
			continue
		case pdf.Dict:
			if count++; count > maxAnnotActions {
				return types, true
			}
			typ := actionType(a.cur, t)
			if navigationActions(pdf.Name(typ)) {
				typ = a.unsafeNavigation(typ, t)
			}
			if typ != "" && !seenType[typ] {
				seenType[typ] = true
				types = append(types, typ)
			}
			if n := t.Get("Next"); n != nil {
				stack = append(stack, n)
			}
		case pdf.Null:
		default:
			// Not an action (a stream, a number): viewers ignore it, but what it is meant to
			// be cannot be told; refuse rather than excuse.
			if !seenType["malformed"] {
				seenType["malformed"] = true
				types = append(types, "malformed")
			}
		}
	}
	return types, false
}

// namedActions are the named actions ISO 32000 defines; viewers run many more by name (Acrobat
// executes menu items: /Print, /Quit, /SaveAs…), which an added annotation must not carry.
var namedActions = map[pdf.Name]bool{"NextPage": true, "PrevPage": true, "FirstPage": true, "LastPage": true}

// uriSchemes are the URI schemes a link added after signing may open: a javascript: URI runs a
// script in some viewers and a file: URI opens a local program (red team s7 G11).
var uriSchemes = []string{"http:", "https:", "mailto:"}

// unsafeNavigation returns "" for a navigation action (of type typ) that only moves the view or
// opens a web or mail link, else what makes it unsafe: "Named /Print", "URI javascript:".
func (a *analysis) unsafeNavigation(typ string, d pdf.Dict) string {
	switch typ {
	case "Named":
		n, _ := a.cur.Resolve(d.Get("N"))
		if name, ok := n.(pdf.Name); ok && namedActions[name] {
			return ""
		}
		if name, ok := n.(pdf.Name); ok {
			return "Named /" + string(name)
		}
		return "Named (malformed)"
	case "URI":
		u, _ := a.cur.Resolve(d.Get("URI"))
		str, ok := u.(pdf.String)
		if !ok {
			return "URI (malformed)"
		}
		// Readers skip leading blanks and control characters before the scheme.
		link := strings.ToLower(strings.TrimLeft(string(str.Bytes), " \t\r\n\f\x00\v"))
		for _, sch := range uriSchemes {
			if strings.HasPrefix(link, sch) {
				return ""
			}
		}
		scheme, _, found := strings.Cut(link, ":")
		if !found || len(scheme) > 16 {
			return "URI (no http, https or mailto scheme)"
		}
		return "URI " + strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return '?'
			}
			return r
		}, scheme) + ":"
	}
	return ""
}

// activeSubtypes are annotations whose content a viewer runs when they are activated, also on
// page open (/3DA /A /PO, /RichMediaSettings /Activation /Condition /PO): 3D models with their
// /OnInstantiate scripts and rich media (Flash, video with scripting). None is written by
// signing, filling or commenting; added or changed after signing they are a disallowed change
// like a script. A Sound or Movie annotation only plays its media when the user clicks it (any
// action it carries is judged like every annotation's), so it is judged by what it draws.
var activeSubtypes = map[pdf.Name]bool{"3D": true, "RichMedia": true}

// actionType is the /S of an action dictionary ("untyped" without one).
func actionType(v *pdf.View, d pdf.Dict) string {
	s, _ := v.Resolve(d.Get("S"))
	if n, ok := s.(pdf.Name); ok && n != "" {
		return string(n)
	}
	return "untyped"
}

// actionsChanged reports whether an annotation's action entries differ between od and nd.
func actionsChanged(od, nd pdf.Dict) bool {
	for _, k := range actionKeys {
		if !pdf.Equal(od.Get(k), nd.Get(k)) {
			return true
		}
	}
	return false
}

// annotActions reports the non-navigation actions of an added or changed annotation d
// (subtype st) on page; it returns whether it reported anything.
func (a *analysis) annotActions(page pageLabel, st pdf.Name, d pdf.Dict, verb string) bool {
	types, exhausted := a.riskyActions(d)
	if activeSubtypes[st] {
		types = append([]string{string(st) + " content"}, types...)
	}
	if exhausted {
		a.ch.add(false, page.detail(ChangeTooComplex).key("MaxAnnotActions"), "%s: %s annotation %s whose actions cannot be judged: more than %d actions (MaxAnnotActions)", page, st, verb, maxAnnotActions)
		return true
	}
	if len(types) == 0 {
		return false
	}
	list := strings.Join(types, ", ")
	a.ch.add(false, page.detail(ChangeAnnotAction).key(list), "%s: %s annotation %s with actions that can change what the document shows: %s", page, st, verb, list)
	return true
}

// fieldActions reports the non-navigation actions of a signature field added after signing:
// its own dictionary and its widgets (page is the widget's page, zero when not on a page).
func (a *analysis) fieldActions(page pageLabel, fl pdf.Field, dicts ...pdf.Dict) {
	var all []string
	seen := map[string]bool{}
	for _, d := range dicts {
		types, exhausted := a.riskyActions(d)
		if exhausted {
			a.ch.add(false, page.detail(ChangeTooComplex).key("MaxAnnotActions"), "signature field %s added whose actions cannot be judged: more than %d actions (MaxAnnotActions)", fl.Name, maxAnnotActions)
			return
		}
		for _, t := range types {
			if !seen[t] {
				seen[t] = true
				all = append(all, t)
			}
		}
	}
	if len(all) == 0 {
		return
	}
	list := strings.Join(all, ", ")
	where := ""
	if page.text != "" {
		where = " on " + page.String()
	}
	a.ch.add(false, page.detail(ChangeFieldAction).field(fl.Name).key(list), "signature field %s added%s with actions that can change what the document shows: %s", fl.Name, where, list)
}

// attachment reports a FileAttachment annotation added or changed after signing: the attached
// file (a "final" copy of the document with other amounts) is named in the change list. It is
// disallowed where annotations are (P=1, P=2) and an allowed, visible note otherwise.
func (a *analysis) attachment(page pageLabel, d pdf.Dict) {
	name := attachedName(a.cur, d.Get("FS"))
	a.ch.add(a.mdp != 1 && a.mdp != 2, page.detail(ChangeAttachmentAdded).key(name), "%s: an attached file was added after signing: %s", page, name)
}

// attachedName is the file name of a file specification (/UF, else /F, else the string
// itself), or "(unnamed)".
func attachedName(v *pdf.View, fs pdf.Object) string {
	o, err := v.Resolve(fs)
	if err != nil {
		return "(unnamed)"
	}
	str := func(x pdf.Object) string {
		x, _ = v.Resolve(x)
		if s, ok := x.(pdf.String); ok {
			return strings.TrimSpace(s.Text())
		}
		return ""
	}
	var name string
	switch t := o.(type) {
	case pdf.String:
		name = str(t)
	case pdf.Dict:
		for _, k := range []pdf.Name{"UF", "F", "Unix", "DOS", "Mac"} {
			if name = str(t.Get(k)); name != "" {
				break
			}
		}
	}
	if name == "" {
		return "(unnamed)"
	}
	const maxName = 120
	if r := []rune(name); len(r) > maxName {
		name = string(r[:maxName]) + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, name)
}
