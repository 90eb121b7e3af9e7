package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// TestRedTeamS10FillShowsValue (red team s10 WIN 4): a field filled after signing whose
// appearance draws something other than its value — 900 drawn for a /V of 100, a new font whose
// /Differences turn "(100)" into 900, a combo box showing another option's text, digits drawn
// with paths, text hidden, squeezed, stacked, reordered or put outside the box — reads one way in
// poppler, PDFium and Acrobat and another in pdf.js's forms mode and any form-data reader. Each
// is a disallowed change now; each twin, an honest fill of the same shape, stays valid.
func TestRedTeamS10FillShowsValue(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{emptyText: true})
	text := s.sign(t, plain, sigOpts{})
	// The field as another kind, empty when signed.
	reshape := func(set pdf.Dict) []byte {
		doc := update(t, plain, func(u *pdf.Update, v *pdf.View) {
			w := v.Dict(pdf.Ref{Num: 7}).Clone()
			delete(w, "V")
			for k, x := range set {
				w[k] = x
			}
			setObj(t, u, pdf.Ref{Num: 7}, w)
		})
		return s.sign(t, doc, sigOpts{})
	}
	str := func(x string) pdf.String { return pdf.String{Bytes: []byte(x)} }
	combo := reshape(pdf.Dict{"FT": pdf.Name("Ch"), "Ff": pdf.Int(1 << 17),
		"Opt": pdf.Array{pdf.Array{str("USD"), str("US Dollar")}, pdf.Array{str("EUR"), str("Euro")}}})
	list := reshape(pdf.Dict{"FT": pdf.Name("Ch"), "Opt": pdf.Array{str("USD"), str("EUR"), str("GBP")}})
	multi := reshape(pdf.Dict{"Ff": pdf.Int(1 << 12)})
	comb := reshape(pdf.Dict{"Ff": pdf.Int(1 << 24), "MaxLen": pdf.Int(6)})
	password := reshape(pdf.Dict{"Ff": pdf.Int(1 << 13)})
	right := reshape(pdf.Dict{"Q": pdf.Int(2), "BS": pdf.Dict{"W": pdf.Int(1)}, "MK": pdf.Dict{"BC": pdf.Array{pdf.Int(0)}, "BG": pdf.Array{pdf.Int(1)}}})

	// fill sets /V and a new appearance (the widget's box, 228 × 30) drawing content with
	// resources res (nil: /Helv, the signed /DR font); more, if set, adds objects and entries.
	fill := func(doc []byte, value pdf.Object, content string, res func(u *pdf.Update) pdf.Dict, more func(u *pdf.Update, w pdf.Dict)) []byte {
		return update(t, doc, func(u *pdf.Update, v *pdf.View) {
			w := v.Dict(pdf.Ref{Num: 7}).Clone()
			w["V"] = value
			r := pdf.Dict{"Font": pdf.Dict{"Helv": pdf.Ref{Num: 5}}}
			if res != nil {
				r = res(u)
			}
			st := &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
				"BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(228), pdf.Int(30)}, "Resources": r}, Data: []byte(content)}
			w["AP"] = pdf.Dict{"N": u.Add(st)}
			if more != nil {
				more(u, w)
			}
			setObj(t, u, pdf.Ref{Num: 7}, w)
		})
	}
	helv := func(content string) string { return "/Tx BMC q BT /Helv 12 Tf 0 g " + content + " ET Q EMC" }
	// newFont: an appearance font added after signing.
	newFont := func(font pdf.Dict, toUnicode string) func(u *pdf.Update) pdf.Dict {
		return func(u *pdf.Update) pdf.Dict {
			f := font.Clone()
			if toUnicode != "" {
				f["ToUnicode"] = u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte(toUnicode)})
			}
			return pdf.Dict{"Font": pdf.Dict{"Helv": u.Add(f)}}
		}
	}
	diffFont := func(name string) pdf.Dict {
		return pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Helvetica"),
			"Encoding": pdf.Dict{"Type": pdf.Name("Encoding"), "BaseEncoding": pdf.Name("WinAnsiEncoding"), "Differences": pdf.Array{pdf.Int(49), pdf.Name(name)}}}
	}
	const cmap49 = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <31> <00%s> endbfchar endcmap CMapName currentdict /CMap defineresource pop end end"
	embedded := func(u *pdf.Update, base string) pdf.Dict {
		f := diffFont("one")
		f["BaseFont"] = pdf.Name(base)
		ff := u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte("not really a TrueType program: its glyph for one draws a nine")})
		f["FontDescriptor"] = u.Add(pdf.Dict{"Type": pdf.Name("FontDescriptor"), "FontName": pdf.Name(base), "Flags": pdf.Int(32), "FontFile2": ff})
		f["Subtype"] = pdf.Name("TrueType")
		return f
	}
	v100 := str("100")

	rows := []rtRow{
		// value ≠ drawn text
		{"value-100-draws-900", func() []byte { return fill(text, v100, helv("2 10 Td (900) Tj"), nil, nil) }, StatusModified, `draws "900"`, nil},
		{"value-100-draws-100-twin", func() []byte { return fill(text, v100, helv("2 10 Td (100) Tj"), nil, nil) }, StatusValid, `filled in with "100"`, nil},
		{"value-draws-more-digits", func() []byte { return fill(text, v100, helv("2 10 Td (1000) Tj"), nil, nil) }, StatusModified, `draws "1000"`, nil},
		{"value-drawn-empty", func() []byte { return fill(text, v100, "/Tx BMC EMC", nil, nil) }, StatusModified, "does not show its value", nil},
		// reading order: the operators draw 1, 0, 0 but place them to read 0 1 0
		{"digits-reordered", func() []byte {
			return fill(text, v100, helv("20 10 Td (1) Tj -18 0 Td (0) Tj 36 0 Td (0) Tj"), nil, nil)
		}, StatusModified, `draws "0 1 0"`, nil},
		{"digits-drawn-out-of-order-read-in-order-twin", func() []byte {
			return fill(text, v100, helv("36 10 Td (0) Tj -34 0 Td (1) Tj 17 0 Td (0) Tj"), nil, nil)
		}, StatusValid, "", nil},
		// fonts
		{"new-font-differences-49-nine", func() []byte {
			return fill(text, v100, helv("2 10 Td (100) Tj"), newFont(diffFont("nine"), ""), nil)
		}, StatusModified, `draws "900"`, nil},
		{"new-font-differences-49-one-twin", func() []byte {
			return fill(text, v100, helv("2 10 Td (100) Tj"), newFont(diffFont("one"), ""), nil)
		}, StatusValid, "", nil},
		{"new-font-tounicode-disagrees", func() []byte {
			return fill(text, v100, helv("2 10 Td (100) Tj"), newFont(diffFont("one"), fmt.Sprintf(cmap49, "39")), nil)
		}, StatusModified, "ToUnicode map disagrees", nil},
		{"new-embedded-font-misleading-names", func() []byte {
			return fill(text, v100, helv("2 10 Td (100) Tj"), func(u *pdf.Update) pdf.Dict {
				f := embedded(u, "NotoSans")
				f["ToUnicode"] = u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte(fmt.Sprintf(cmap49, "31"))})
				return pdf.Dict{"Font": pdf.Dict{"Helv": u.Add(f)}}
			}, nil)
		}, StatusModified, "did not embed", nil},
		{"type3-font", func() []byte {
			// Code 49 named /one, its glyph program a filled nine-ish box: what it says is not what it draws.
			return fill(text, v100, helv("2 10 Td (100) Tj"), func(u *pdf.Update) pdf.Dict {
				glyph := u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte("600 0 0 0 500 700 d1 0 0 500 700 re f")})
				return pdf.Dict{"Font": pdf.Dict{"Helv": u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type3"),
					"FontBBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(600), pdf.Int(700)}, "FontMatrix": pdf.Array{pdf.Real{Value: 0.001}, pdf.Int(0), pdf.Int(0), pdf.Real{Value: 0.001}, pdf.Int(0), pdf.Int(0)},
					"CharProcs": pdf.Dict{"one": glyph, "zero": glyph}, "Encoding": pdf.Dict{"Type": pdf.Name("Encoding"), "Differences": pdf.Array{pdf.Int(48), pdf.Name("zero"), pdf.Name("one")}},
					"FirstChar": pdf.Int(48), "LastChar": pdf.Int(49), "Widths": pdf.Array{pdf.Int(600), pdf.Int(600)}, "Resources": pdf.Dict{}})}}
			}, nil)
		}, StatusModified, "Type 3", nil},
		// combo and list boxes
		{"combo-eur-shows-us-dollar", func() []byte { return fill(combo, str("EUR"), helv("2 10 Td (US Dollar) Tj"), nil, nil) }, StatusModified, `draws "US Dollar"`, nil},
		{"combo-eur-shows-euro-twin", func() []byte { return fill(combo, str("EUR"), helv("2 10 Td (Euro) Tj"), nil, nil) }, StatusValid, `filled in with "EUR"`, nil},
		{"combo-eur-shows-eur-twin", func() []byte { return fill(combo, str("EUR"), helv("2 10 Td (EUR) Tj"), nil, nil) }, StatusValid, "", nil},
		{"list-eur-shows-other-lines", func() []byte {
			return fill(list, str("EUR"), helv("2 20 Td (USD) Tj 0 -9 Td (GBP) Tj"), nil, nil)
		}, StatusModified, "chosen value", nil},
		{"list-eur-twin", func() []byte {
			return fill(list, str("EUR"), "/Tx BMC q BT /Helv 8 Tf 0 g 2 21 Td (USD) Tj 0 -9 Td (EUR) Tj 0 -9 Td (GBP) Tj ET Q EMC", nil, nil)
		}, StatusValid, "", nil},
		{"list-eur-highlighted-twin", func() []byte {
			return fill(list, str("EUR"), "/Tx BMC q 0.6 0.75 0.86 rg 1 10.5 226 9 re f BT /Helv 8 Tf 0 g 2 21 Td (USD) Tj 0 -9 Td (EUR) Tj 0 -9 Td (GBP) Tj ET Q EMC", nil, nil)
		}, StatusValid, "", nil},
		{"list-eur-highlights-usd", func() []byte {
			return fill(list, str("EUR"), "/Tx BMC q 0.6 0.75 0.86 rg 1 19.5 226 9 re f BT /Helv 8 Tf 0 g 2 21 Td (USD) Tj 0 -9 Td (EUR) Tj 0 -9 Td (GBP) Tj ET Q EMC", nil, nil)
		}, StatusModified, `highlighting "USD"`, nil},
		// paths
		{"path-draws-a-one", func() []byte {
			return fill(text, str("00"), helv("20 10 Td (00) Tj")+" 0 G 1 w 10 10 m 10 20 l S", nil, nil)
		}, StatusModified, "lines or shapes", nil},
		{"rect-draws-a-decimal-point", func() []byte {
			return fill(text, v100, helv("2 10 Td (100) Tj")+" 0 g 10 10 1 1 re f", nil, nil)
		}, StatusModified, "lines or shapes", nil},
		{"curves", func() []byte {
			return fill(text, v100, helv("2 10 Td (100) Tj")+" 0 G 100 10 m 110 20 120 20 130 10 c S", nil, nil)
		}, StatusModified, "curves", nil},
		{"xobject", func() []byte { return fill(text, v100, helv("2 10 Td (100) Tj")+" /X Do", nil, nil) }, StatusModified, "XObject", nil},
		{"background-after-text", func() []byte {
			return fill(text, v100, helv("2 10 Td (100) Tj")+" 1 g 0 0 228 30 re f", nil, nil)
		}, StatusModified, "background over its text", nil},
		{"border-and-background-twin", func() []byte {
			return fill(right, v100, "1 g 0 0 228 30 re f 0 G 1 w 0.5 0.5 227 29 re S /Tx BMC q 1 1 226 28 re W n BT /Helv 12 Tf 0 g 203.3 10 Td (100) Tj ET Q EMC", nil, nil)
		}, StatusValid, "", nil},
		{"beveled-border-twin", func() []byte {
			return fill(right, v100, "q 0 1 0 rg 1 29 m 227 29 l 228 30 l 0 30 l 1 29 l f Q q 0.5 g 227 29 m 227 1 l 228 0 l 228 30 l f Q /Tx BMC q 1 1 226 28 re W n BT /Helv 12 Tf 3 10 Td (100) Tj ET Q EMC", nil, nil)
		}, StatusValid, "", nil},
		{"thick-border-over-the-text", func() []byte {
			return fill(right, v100, "0 G 20 w 0 0 228 30 re S "+helv("2 10 Td (100) Tj"), nil, nil)
		}, StatusModified, "wide", nil},
		// hidden, clipped, squeezed, stacked, outside
		{"render-mode-3", func() []byte { return fill(text, v100, helv("3 Tr 2 10 Td (100) Tj"), nil, nil) }, StatusModified, "render mode 3", nil},
		{"white-text", func() []byte { return fill(text, v100, helv("1 g 2 10 Td (100) Tj"), nil, nil) }, StatusModified, "too close to its background", nil},
		{"size-zero", func() []byte {
			return fill(text, v100, "/Tx BMC BT /Helv 0 Tf 2 10 Td (100) Tj ET EMC", nil, nil)
		}, StatusModified, "pt high", nil},
		{"tz-5", func() []byte { return fill(text, v100, helv("5 Tz 2 10 Td (100) Tj"), nil, nil) }, StatusModified, "squeezing", nil},
		{"tc-stacks-digits", func() []byte { return fill(text, v100, helv("-6.5 Tc 2 10 Td (100) Tj"), nil, nil) }, StatusModified, "over one another", nil},
		{"clipped-away", func() []byte {
			return fill(text, v100, "/Tx BMC q 0 0 228 4 re W n BT /Helv 12 Tf 0 g 2 10 Td (100) Tj ET Q EMC", nil, nil)
		}, StatusModified, "outside its box or clip", nil},
		{"outside-the-box", func() []byte { return fill(text, v100, helv("300 10 Td (100) Tj"), nil, nil) }, StatusModified, "outside its box or clip", nil},
		{"rise-out-of-the-box", func() []byte { return fill(text, v100, helv("40 Ts 2 10 Td (100) Tj"), nil, nil) }, StatusModified, "outside its box or clip", nil},
		{"optional-content", func() []byte {
			return fill(text, v100, "/OC /oc1 BDC "+helv("2 10 Td (100) Tj")+" EMC", nil, nil)
		}, StatusModified, "optional content", nil},
		// honest shapes
		{"multi-line-twin", func() []byte {
			return fill(multi, str("Deliver to\rNo. 8 Road"), helv("2 18 Td 12 TL (Deliver to) Tj T* (No. 8 Road) Tj"), nil, nil)
		}, StatusValid, `filled in with "Deliver to No. 8 Road"`, nil},
		{"multi-line-wrapped-twin", func() []byte {
			return fill(multi, str("Deliver to No. 8 Road"), helv("2 18 Td 12 TL (Deliver to) Tj T* (No. 8 Road) Tj"), nil, nil)
		}, StatusValid, "", nil},
		{"comb-twin", func() []byte {
			return fill(comb, str("123456"), "0 G 1 w 38 0 m 38 30 l S 76 0 m 76 30 l S /Tx BMC q BT /Helv 12 Tf 0 g 15.7 10 Td (1) Tj 38 0 Td (2) Tj 38 0 Td (3) Tj 38 0 Td (4) Tj 38 0 Td (5) Tj 38 0 Td (6) Tj ET Q EMC", nil, nil)
		}, StatusValid, "", nil},
		{"comb-line-off-the-cells", func() []byte {
			return fill(comb, str("123456"), "0 G 1 w 20 0 m 20 30 l S /Tx BMC q BT /Helv 12 Tf 0 g 15.7 10 Td (1) Tj 38 0 Td (2) Tj 38 0 Td (3) Tj 38 0 Td (4) Tj 38 0 Td (5) Tj 38 0 Td (6) Tj ET Q EMC", nil, nil)
		}, StatusModified, "lines or shapes", nil},
		{"password-twin", func() []byte { return fill(password, str("secret"), helv("2 10 Td (******) Tj"), nil, nil) }, StatusValid, "", nil},
		{"password-shows-text", func() []byte { return fill(password, str("secret"), helv("2 10 Td (public) Tj"), nil, nil) }, StatusModified, "mask characters", nil},
		{"kerned-tj-twin", func() []byte { return fill(text, str("AVA 100"), helv("2 10 Td [(A) 80 (V) 80 (A 100)] TJ"), nil, nil) }, StatusValid, "", nil},
	}
	runRows(t, s, rows)
}

// TestRedTeamS10FillButtonState: a check box filled /Yes must show its /Yes state.
func TestRedTeamS10FillButtonState(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{emptyText: true})
	doc := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		w := v.Dict(pdf.Ref{Num: 7}).Clone()
		delete(w, "V")
		w["FT"] = pdf.Name("Btn")
		on := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(228), pdf.Int(30)}}, Data: []byte("0 g 2 2 20 20 re f")})
		off := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(228), pdf.Int(30)}}, Data: []byte("")})
		w["AP"] = pdf.Dict{"N": pdf.Dict{"Yes": on, "Off": off}}
		w["AS"] = pdf.Name("Off")
		setObj(t, u, pdf.Ref{Num: 7}, w)
	})
	signed := s.sign(t, doc, sigOpts{})
	check := func(as pdf.Name) []byte {
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			w := v.Dict(pdf.Ref{Num: 7}).Clone()
			w["V"], w["AS"] = pdf.Name("Yes"), as
			setObj(t, u, pdf.Ref{Num: 7}, w)
		})
	}
	runRows(t, s, []rtRow{
		{"yes-shows-off", func() []byte { return check("Off") }, StatusModified, "shows state /Off", nil},
		{"yes-shows-yes-twin", func() []byte { return check("Yes") }, StatusValid, `filled in with "Yes"`, nil},
	})
}

// TestRedTeamS10FillFiles: the red team's own files, where present (../redteam-s10/out).
func TestRedTeamS10FillFiles(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "redteam-s10")
	root, err := os.ReadFile(filepath.Join(dir, "pki", "root.pem"))
	if err != nil {
		t.Skip("the red team's files are not beside the repository")
	}
	store := NewTrustStore()
	if _, err := store.AddPEM(root); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file   string
		want   Verdict
		reason string
	}{
		{"A2_fill_value_vs_ap.pdf", StatusModified, `draws "900"`},
		{"A2b_fill_differences_font.pdf", StatusModified, `draws "900"`},
		{"A2c_fill_combo_display_other.pdf", StatusModified, `draws "US Dollar"`},
		{"A2_twin_fill_value_vs_ap.pdf", StatusValid, `filled in with "100"`},
	} {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "out", c.file))
			if err != nil {
				t.Skip(err)
			}
			rep := verifyBytes(t, data, store)
			// The red team's certificates are younger than the tests' clock: untrusted is valid here.
			if !interopMatch(c.want, rep.Verdict) || !reportMentions(rep, c.reason) {
				t.Errorf("verdict %s (want %s), %q mentioned: %v\n%s", rep.Verdict, c.want, c.reason, reportMentions(rep, c.reason), dump(rep))
			}
		})
	}
}

// FuzzFillAppearance: any appearance content and any ToUnicode map of a filled field give a
// verdict, never a panic (fillshow.go and fillfont.go read both).
func FuzzFillAppearance(f *testing.F) {
	s := newSigner(f, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{emptyText: true})
	signed := s.sign(f, plain, sigOpts{})
	f.Add("/Tx BMC q BT /Helv 12 Tf 0 g 2 10 Td (100) Tj ET Q EMC", "")
	f.Add("1 g 0 0 228 30 re f 0 G 0.5 0.5 227 29 re S BT /F 12 Tf [(1) -20 (00)] TJ 0 -12 Td (x) ' 1 2 (y) \" ET", "1 beginbfchar <31> <0039> endbfchar")
	f.Add("BT /Helv 9 Tf 3 Tr 5 Tz -1 Tc 40 Ts 0 0 m 5 5 l h W n (\\061) Tj ET", "2 beginbfrange <00> <ff> <0030> <0041> <0042> [<0043> <D83D>] endbfrange")
	f.Fuzz(func(t *testing.T, content, toUnicode string) {
		d := update(t, signed, func(u *pdf.Update, v *pdf.View) {
			w := v.Dict(pdf.Ref{Num: 7}).Clone()
			w["V"] = pdf.String{Bytes: []byte("100")}
			font := pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Helvetica"),
				"ToUnicode": u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte(toUnicode)})}
			res := pdf.Dict{"Font": pdf.Dict{"Helv": pdf.Ref{Num: 5}, "F": u.Add(font)}}
			w["AP"] = pdf.Dict{"N": u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
				"BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(228), pdf.Int(30)}, "Resources": res}, Data: []byte(content)})}
			setObj(t, u, pdf.Ref{Num: 7}, w)
		})
		rep, err := Verify(context.Background(), bytesReader(d), int64(len(d)), "fuzz.pdf", &Options{Trust: s.store(), Limits: fuzzLimits})
		if err == nil && rep.Verdict == "" {
			t.Fatal("no verdict")
		}
	})
}
