package verify

import (
	"fmt"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Issue 13's red team for the change analysis: for each class a generator builds the attack and
// a harmless twin programmatically; each attack's effect is first shown real in poppler (the
// text or the pixels a viewer shows differ from the signed revision), then the verdict is
// asserted. Classes: objects judged by their role when signed (section 2), allowed changes that
// must not change what the page shows (section 3), parser differentials (section 1) and the
// real-world allowed changes of section 4.

// rtRow is one red-team row.
type rtRow struct {
	name   string
	build  func() []byte
	want   Verdict
	reason string                       // a substring of some change or reason ("" = none checked)
	effect func(t *testing.T, d []byte) // for attacks: proves in poppler that the change is real
}

func runRows(t *testing.T, s *signer, rows []rtRow) {
	t.Helper()
	for _, c := range rows {
		t.Run(c.name, func(t *testing.T) {
			d := c.build()
			if c.effect != nil {
				c.effect(t, d)
			}
			rep := verifyBytes(t, d, s.store())
			if rep.Verdict != c.want {
				t.Fatalf("verdict %s, want %s\n%s", rep.Verdict, c.want, dump(rep))
			}
			if c.reason != "" && !reportMentions(rep, c.reason) {
				t.Errorf("nothing in the report mentions %q:\n%s", c.reason, dump(rep))
			}
		})
	}
}

// quirkTwin is the effect of a harmless twin whose update after signing carries a rebuild
// trigger (syntax stricter readers reject): the quirk itself is a disallowed change, and the
// comparison of what a rebuilding reader sees must find nothing (the report never mentions
// hidden, the attack's reason). then, if not nil, runs first (e.g. poppler shows the signed text).
func quirkTwin(store *TrustStore, hidden string, then func(t *testing.T, d []byte)) func(t *testing.T, d []byte) {
	return func(t *testing.T, d []byte) {
		t.Helper()
		if then != nil {
			then(t, d)
		}
		rep := verifyBytes(t, d, store)
		if reportMentions(rep, hidden) {
			t.Errorf("the twin's rebuilt view was reported as different (%q):\n%s", hidden, dump(rep))
		}
	}
}

// quirkReason is in the change a rebuild trigger after signing is reported as.
const quirkReason = "rejected by stricter readers"

// poppler runs a poppler tool; without poppler the effect check is skipped with a message
// (required under SEALDESK_CI).
func poppler(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatalf("%s (poppler-utils) missing", tool)
		}
		t.Skipf("%s not installed: the attack's effect cannot be shown", tool)
	}
	return p
}

// popplerText is what pdftotext reads from the whole document (the latest revision).
func popplerText(t *testing.T, d []byte) string {
	t.Helper()
	tool := poppler(t, "pdftotext")
	f := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(f, d, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-q", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// showsText asserts that poppler reads want in the document and not gone.
func showsText(want, gone string) func(t *testing.T, d []byte) {
	return func(t *testing.T, d []byte) {
		t.Helper()
		txt := popplerText(t, d)
		if !strings.Contains(txt, want) || (gone != "" && strings.Contains(txt, gone)) {
			t.Fatalf("the attack has no effect in poppler: text %q (want %q, not %q)", txt, want, gone)
		}
	}
}

// popplerPage renders page 1 with pdftoppm at dpi.
func popplerPage(t *testing.T, d []byte, dpi int) image.Image {
	t.Helper()
	tool := poppler(t, "pdftoppm")
	dir := t.TempDir()
	f := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(f, d, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "-q", "-png", "-r", strconv.Itoa(dpi), "-f", "1", "-l", "1", "-singlefile", f, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	fh, err := os.Open(filepath.Join(dir, "p.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, _, err := image.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// rendersDifferently asserts that poppler draws page 1 of the attack visibly differently from
// the signed document (more than 200 pixels at 72 dpi changed).
func rendersDifferently(signed []byte) func(t *testing.T, d []byte) {
	return func(t *testing.T, d []byte) {
		t.Helper()
		a, b := popplerPage(t, signed, 72), popplerPage(t, d, 72)
		if n := changedPixels(a, b); n < 200 {
			t.Fatalf("the attack has no visible effect in poppler: %d pixels differ", n)
		}
	}
}

// changedPixels counts pixels whose grey level differs by more than 64 (of 255).
func changedPixels(a, b image.Image) int {
	n := 0
	r := a.Bounds().Intersect(b.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			ga, gb := int(ar+ag+ab)/3>>8, int(br+bg+bb)/3>>8
			if ga-gb > 64 || gb-ga > 64 {
				n++
			}
		}
	}
	return n
}

// signedText is the test document's signed amount line and the attacker's one.
const (
	signedAmount = "Pay 1000000 yuan"
	evilAmount   = "Pay 5 yuan"
)

// TestRedTeamRoles: objects are judged by what reached them in the signed revision (issue 13
// §2), never by their own /Type or by a second role the attacker gave them.
func TestRedTeamRoles(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	content := "BT /F1 24 Tf 72 700 Td (" + signedAmount + ") Tj ET"
	// typedContent prepares a document whose page content stream carries dict, signs it and
	// replaces the content by the attacker's with the same dictionary.
	typedContent := func(dict pdf.Dict, catalogKey string) []byte {
		prep := update(t, plain, func(u *pdf.Update, v *pdf.View) {
			setObj(t, u, pdf.Ref{Num: 4}, contentStream(content, dict))
			if catalogKey != "" {
				c := v.Dict(pdf.Ref{Num: 1}).Clone()
				c[pdf.Name(catalogKey)] = pdf.Ref{Num: 4}
				setObj(t, u, pdf.Ref{Num: 1}, c)
			}
		})
		signed := s.sign(t, prep, sigOpts{})
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			setObj(t, u, pdf.Ref{Num: 4}, contentStream(redEvil, dict))
		})
	}
	// A font whose encoding draws every "1" as a "5" and every "0" as nothing visible.
	evilFont := pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Helvetica"),
		"Encoding": pdf.Dict{"Type": pdf.Name("Encoding"), "BaseEncoding": pdf.Name("WinAnsiEncoding"),
			"Differences": pdf.Array{pdf.Int(49), pdf.Name("five")}}}
	// resourcesAs prepares the page's /Resources as an indirect dictionary that also plays
	// role (how = "info": the trailer's /Info; "dss": listed in /DSS /Certs), signs, then
	// swaps the font for the attacker's.
	resourcesAs := func(how string) []byte {
		var res pdf.Ref
		prep := update(t, plain, func(u *pdf.Update, v *pdf.View) {
			res = u.Add(pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}})
			p := v.Dict(pdf.Ref{Num: 3}).Clone()
			p["Resources"] = res
			setObj(t, u, pdf.Ref{Num: 3}, p)
			switch how {
			case "info":
				u.SetTrailer("Info", res)
			case "dss":
				c := v.Dict(pdf.Ref{Num: 1}).Clone()
				c["DSS"] = pdf.Dict{"Certs": pdf.Array{res}}
				setObj(t, u, pdf.Ref{Num: 1}, c)
			}
		})
		signed := s.sign(t, prep, sigOpts{})
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			setObj(t, u, res, pdf.Dict{"Font": pdf.Dict{"F1": u.Add(evilFont)}})
		})
	}
	// stampAppearance prepares a Stamp annotation whose appearance says APPROVED and is also
	// listed where a later change is allowed (how: "dss", "info", "xmp"), signs, then rewrites the
	// appearance to say REJECTED.
	stampAppearance := func(how string, certify int) []byte {
		var ap pdf.Ref
		prep := update(t, plain, func(u *pdf.Update, v *pdf.View) {
			st := formXObject("BT /F1 24 Tf 80 600 Td (APPROVED) Tj ET")
			st.Dict["Resources"] = pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}
			ap = u.Add(st)
			a := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Stamp"), "F": pdf.Int(4),
				"Rect": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(612), pdf.Int(792)}, "AP": pdf.Dict{"N": ap}})
			p := v.Dict(pdf.Ref{Num: 3}).Clone()
			p["Annots"] = pdf.Array{a}
			setObj(t, u, pdf.Ref{Num: 3}, p)
			c := v.Dict(pdf.Ref{Num: 1}).Clone()
			switch how {
			case "dss":
				c["DSS"] = pdf.Dict{"Certs": pdf.Array{ap}}
			case "xmp":
				c["Metadata"] = ap
			case "info":
				u.SetTrailer("Info", ap)
			}
			setObj(t, u, pdf.Ref{Num: 1}, c)
		})
		signed := s.sign(t, prep, sigOpts{certify: certify})
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			st := formXObject("BT /F1 24 Tf 80 600 Td (REJECTED) Tj ET")
			st.Dict["Resources"] = pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}
			setObj(t, u, ap, st)
		})
	}
	// Harmless twins: real XMP, DSS and structure-tree updates.
	var dssCert, xmp, elem pdf.Ref
	withExtras := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		dssCert = u.Add(contentStream("certificate bytes", nil))
		xmp = u.Add(contentStream("<x:xmpmeta/>", pdf.Dict{"Type": pdf.Name("Metadata"), "Subtype": pdf.Name("XML")}))
		root := u.Reserve()
		elem = u.Add(pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("P"), "P": root, "Pg": pdf.Ref{Num: 3}, "K": pdf.Int(0)})
		setObj(t, u, root, pdf.Dict{"Type": pdf.Name("StructTreeRoot"), "K": pdf.Array{elem}})
		c := v.Dict(pdf.Ref{Num: 1}).Clone()
		c["DSS"] = pdf.Dict{"Certs": pdf.Array{dssCert}}
		c["Metadata"] = xmp
		c["StructTreeRoot"] = root
		setObj(t, u, pdf.Ref{Num: 1}, c)
	})
	twin := func(certify int, fn func(u *pdf.Update, v *pdf.View)) []byte {
		return update(t, s.sign(t, withExtras, sigOpts{certify: certify}), fn)
	}
	rows := []rtRow{
		{"role-content-typed-metadata: the page content calls itself /Type /Metadata", func() []byte {
			return typedContent(pdf.Dict{"Type": pdf.Name("Metadata"), "Subtype": pdf.Name("XML")}, "")
		}, StatusModified, "page content", showsText(evilAmount, signedAmount)},
		{"role-content-is-catalog-metadata: the catalog's /Metadata names the page content", func() []byte {
			return typedContent(pdf.Dict{"Type": pdf.Name("Metadata"), "Subtype": pdf.Name("XML")}, "Metadata")
		}, StatusModified, "page content", showsText(evilAmount, signedAmount)},
		{"role-content-typed-objstm: the page content calls itself /Type /ObjStm when signed", func() []byte {
			return typedContent(pdf.Dict{"Type": pdf.Name("ObjStm"), "N": pdf.Int(0), "First": pdf.Int(0)}, "")
		}, StatusModified, "page content", showsText(evilAmount, signedAmount)},
		{"role-content-typed-xref: the page content calls itself /Type /XRef when signed", func() []byte {
			return typedContent(pdf.Dict{"Type": pdf.Name("XRef")}, "")
		}, StatusModified, "page content", showsText(evilAmount, signedAmount)},
		{"role-content-typed-structelem: the page content calls itself /Type /StructElem", func() []byte {
			return typedContent(pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("P")}, "")
		}, StatusModified, "page content", showsText(evilAmount, signedAmount)},
		{"role-info-is-page-resources: /Info names the page's /Resources, whose font is swapped", func() []byte {
			return resourcesAs("info")
		}, StatusModified, "page content", showsText("Pay 5000000 yuan", signedAmount)},
		{"role-dss-lists-page-resources: /DSS /Certs lists the page's /Resources", func() []byte {
			return resourcesAs("dss")
		}, StatusModified, "page content", showsText("Pay 5000000 yuan", signedAmount)},
		{"role-dss-lists-appearance: /DSS /Certs lists a stamp's appearance, which is rewritten", func() []byte {
			return stampAppearance("dss", 0)
		}, StatusModified, "appearance", showsText("REJECTED", "APPROVED")},
		{"role-xmp-is-appearance: the catalog's /Metadata names a stamp's appearance", func() []byte {
			return stampAppearance("xmp", 0)
		}, StatusModified, "appearance", showsText("REJECTED", "APPROVED")},
		{"role-info-is-appearance: /Info names a stamp's appearance", func() []byte {
			return stampAppearance("info", 0)
		}, StatusModified, "appearance", showsText("REJECTED", "APPROVED")},
		{"role-dss-lists-appearance-p3: same after a P=3 certification", func() []byte {
			return stampAppearance("dss", 3)
		}, StatusModified, "appearance", showsText("REJECTED", "APPROVED")},
		// twins
		{"twin: a DSS certificate stream rewritten stays allowed", func() []byte {
			return twin(0, func(u *pdf.Update, v *pdf.View) { setObj(t, u, dssCert, contentStream("other certificate bytes", nil)) })
		}, StatusValid, "validation data", nil},
		{"twin: a DSS certificate stream rewritten after P=1 stays allowed", func() []byte {
			return twin(1, func(u *pdf.Update, v *pdf.View) { setObj(t, u, dssCert, contentStream("other certificate bytes", nil)) })
		}, StatusValid, "validation data", nil},
		{"twin: the XMP stream rewritten stays allowed", func() []byte {
			return twin(0, func(u *pdf.Update, v *pdf.View) {
				setObj(t, u, xmp, contentStream("<x:xmpmeta a='1'/>", pdf.Dict{"Type": pdf.Name("Metadata"), "Subtype": pdf.Name("XML")}))
			})
		}, StatusValid, "XMP metadata updated", nil},
		{"twin: a structure element updated stays allowed", func() []byte {
			// An element identifier: what the element says about signed content (/Alt,
			// /ActualText, …) may not change at any level (structtree_test.go).
			return twin(0, func(u *pdf.Update, v *pdf.View) {
				d := v.Dict(elem).Clone()
				d["ID"] = pdf.String{Bytes: []byte("amount")}
				setObj(t, u, elem, d)
			})
		}, StatusValid, "structure tree updated", nil},
		{"twin: a structure element updated after P=1 is refused", func() []byte {
			return twin(1, func(u *pdf.Update, v *pdf.View) {
				d := v.Dict(elem).Clone()
				d["Alt"] = pdf.String{Bytes: []byte("amount")}
				setObj(t, u, elem, d)
			})
		}, StatusModified, "structure tree updated although", nil},
	}
	runRows(t, s, rows)
}

// TestRedTeamRealWorldAllowed: the allowed changes real producers make (issue 13 §4), each with
// the attack that hides behind the same kind of change.
func TestRedTeamRealWorldAllowed(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	colleague := &signer{pki: s.pki, tsa: s.tsa, now: s.now}
	colleague.cert, colleague.key = s.pki.Leaf(t, "李四", pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	evilFont := pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Helvetica"),
		"Encoding": pdf.Dict{"Type": pdf.Name("Encoding"), "BaseEncoding": pdf.Name("WinAnsiEncoding"),
			"Differences": pdf.Array{pdf.Int(49), pdf.Name("five")}}}
	// The catalog rewritten as a new object, as digitorus/pdfsign does on every signature.
	newCatalog := func(in []byte, edit func(c pdf.Dict)) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			c := v.Dict(rootOf(v)).Clone()
			if edit != nil {
				edit(c)
			}
			u.SetTrailer("Root", u.Add(c))
		})
	}
	setResources := func(in []byte, res pdf.Dict) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			p := v.Dict(pdf.Ref{Num: 3}).Clone()
			p["Resources"] = res
			setObj(t, u, pdf.Ref{Num: 3}, p)
		})
	}
	// The signed content already draws /X9, which the signed resources lack.
	danglingName := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		setObj(t, u, pdf.Ref{Num: 4}, contentStream("BT /F1 24 Tf 72 700 Td ("+signedAmount+") Tj ET\nq /X9 Do Q", nil))
	})
	signedDangling := s.sign(t, danglingName, sigOpts{})
	coverX := func(u *pdf.Update) pdf.Ref {
		x := formXObject("1 g 60 690 400 40 re f 0 g BT /F1 24 Tf 72 700 Td (" + evilAmount + ") Tj ET")
		x.Dict["Resources"] = pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}
		return u.Add(x)
	}
	filled, _ := makeDoc(docOpts{textField: "100"})
	empty, _ := makeDoc(docOpts{emptyText: true})
	setDA := func(in []byte, da string) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			w := v.Dict(pdf.Ref{Num: 7}).Clone()
			w["DA"] = pdf.String{Bytes: []byte(da)}
			setObj(t, u, pdf.Ref{Num: 7}, w)
		})
	}
	setDR := func(in []byte, fonts pdf.Dict) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			c := v.Dict(pdf.Ref{Num: 1}).Clone()
			af := v.Dict(c.Get("AcroForm")).Clone()
			af["DR"] = pdf.Dict{"Font": fonts}
			c["AcroForm"] = af
			setObj(t, u, pdf.Ref{Num: 1}, c)
		})
	}
	lockP := func(p int) func(d pdf.Dict) {
		return func(d pdf.Dict) {
			for _, r := range d["Reference"].(pdf.Array) {
				if rd := r.(pdf.Dict); rd.NameOf("TransformMethod") == "FieldMDP" {
					rd["TransformParams"].(pdf.Dict)["P"] = pdf.Int(p)
				}
			}
		}
	}
	ltv := func(in []byte, withDSS bool) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			c := v.Dict(rootOf(v)).Clone()
			if withDSS {
				c["DSS"] = pdf.Dict{"Certs": pdf.Array{u.Add(contentStream("certificate bytes", nil))}}
			}
			c["Extensions"] = pdf.Dict{"ESIC": pdf.Dict{"BaseVersion": pdf.Name("1.7"), "ExtensionLevel": pdf.Int(1)}}
			setObj(t, u, rootOf(v), c)
			u.SetTrailer("Info", u.Add(pdf.Dict{"Producer": pdf.String{Bytes: []byte("LTV tool")}}))
		})
	}
	withNote := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		n := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Text"), "Rect": pdf.Array{pdf.Int(500), pdf.Int(700), pdf.Int(520), pdf.Int(720)}, "Contents": pdf.String{Bytes: []byte("ok")}})
		p := v.Dict(pdf.Ref{Num: 3}).Clone()
		p["Annots"] = pdf.Array{n}
		setObj(t, u, pdf.Ref{Num: 3}, p)
	})
	removeAnnots := func(in []byte) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			p := v.Dict(pdf.Ref{Num: 3}).Clone()
			arr, _ := resolvedArray(v, p.Get("Annots"))
			var keep pdf.Array
			for _, r := range arr {
				if v.Dict(r).NameOf("Subtype") != "Text" {
					keep = append(keep, r)
				}
			}
			p["Annots"] = keep
			setObj(t, u, pdf.Ref{Num: 3}, p)
		})
	}
	rows := []rtRow{
		{"catalog: rewritten as a new object by each of two signatures (digitorus/pdfsign) stays allowed", func() []byte {
			return colleague.sign(t, newCatalog(signed, nil), sigOpts{})
		}, StatusValid, "catalog was rewritten", nil},
		{"catalog: rewritten as a new object that adds /OpenAction", func() []byte {
			return newCatalog(signed, func(c pdf.Dict) {
				c["OpenAction"] = pdf.Dict{"S": pdf.Name("JavaScript"), "JS": pdf.String{Bytes: []byte("app.alert('pay to 666')")}}
			})
		}, StatusModified, "/OpenAction", nil},
		{"catalog: rewritten as a new object with another page tree", func() []byte {
			return newCatalog(signed, func(c pdf.Dict) { c["Pages"] = pdf.Ref{Num: 6} })
		}, StatusModified, "page tree", nil},
		{"tail: CR LF, NUL and spaces after the final %%EOF are a note", func() []byte {
			return append(append([]byte{}, signed...), "\r\n\x00\x00  \n"...)
		}, StatusValid, "padding", nil},
		{"tail: other bytes after the final %%EOF are a change", func() []byte {
			return append(append([]byte{}, signed...), "\n% appended by someone\n"...)
		}, StatusModified, "bytes after the last revision", nil},
		{"resources: a font added to the page's /Resources stays allowed", func() []byte {
			return setResources(signed, pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}, "F9": pdf.Ref{Num: 5}}, "XObject": pdf.Dict{"Cover": pdf.Ref{Num: 6}}})
		}, StatusValid, "resources added", nil},
		{"resources: the page's /F1 now names another font", func() []byte {
			return update(t, signed, func(u *pdf.Update, v *pdf.View) {
				p := v.Dict(pdf.Ref{Num: 3}).Clone()
				p["Resources"] = pdf.Dict{"Font": pdf.Dict{"F1": u.Add(evilFont)}, "XObject": pdf.Dict{"Cover": pdf.Ref{Num: 6}}}
				setObj(t, u, pdf.Ref{Num: 3}, p)
			})
		}, StatusModified, "/Resources changed", showsText("Pay 5000000 yuan", signedAmount)},
		{"resources: /X9 added while the signed content already drew the missing /X9", func() []byte {
			return update(t, signedDangling, func(u *pdf.Update, v *pdf.View) {
				p := v.Dict(pdf.Ref{Num: 3}).Clone()
				p["Resources"] = pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}, "XObject": pdf.Dict{"Cover": pdf.Ref{Num: 6}, "X9": coverX(u)}}
				setObj(t, u, pdf.Ref{Num: 3}, p)
			})
		}, StatusModified, "already used", rendersDifferently(signedDangling)},
		{"form: a field filled together with a new /DA stays allowed", func() []byte {
			return setDA(fillText(t, s.sign(t, empty, sigOpts{}), "200"), "/Helv 10 Tf 0 0 1 rg")
		}, StatusValid, "filled in", nil},
		{"form: /DA of a field filled when signed turned white", func() []byte {
			return setDA(s.sign(t, filled, sigOpts{}), "/Helv 12 Tf 1 g")
		}, StatusModified, "restyles", nil},
		{"form: a font added to /AcroForm /DR stays allowed", func() []byte {
			return setDR(s.sign(t, filled, sigOpts{}), pdf.Dict{"Helv": pdf.Ref{Num: 5}, "F9": pdf.Ref{Num: 5}})
		}, StatusValid, "form /DR updated", nil},
		{"form: /AcroForm /DR /Helv, which the filled field's /DA uses, swapped", func() []byte {
			return update(t, s.sign(t, filled, sigOpts{}), func(u *pdf.Update, v *pdf.View) {
				c := v.Dict(pdf.Ref{Num: 1}).Clone()
				af := v.Dict(c.Get("AcroForm")).Clone()
				af["DR"] = pdf.Dict{"Font": pdf.Dict{"Helv": u.Add(evilFont)}}
				c["AcroForm"] = af
				setObj(t, u, pdf.Ref{Num: 1}, c)
			})
		}, StatusModified, "restyles filled values", nil},
		{"fieldmdp: a filled field no Include lock names may be changed", func() []byte {
			return fillText(t, s.sign(t, filled, sigOpts{fieldLock: []string{"other"}}), "300")
		}, StatusValid, "no FieldMDP lock covers it", nil},
		{"fieldmdp: the field an Include lock names may not be changed", func() []byte {
			return fillText(t, s.sign(t, filled, sigOpts{fieldLock: []string{"amount"}}), "300")
		}, StatusModified, "locks it", nil},
		{"fieldmdp: without any lock, a filled value stays protected", func() []byte {
			return fillText(t, s.sign(t, filled, sigOpts{}), "300")
		}, StatusModified, "already filled", nil},
		{"fieldmdp: a lock with /P 1 refuses a later signature", func() []byte {
			return colleague.sign(t, s.sign(t, filled, sigOpts{fieldLock: []string{"amount"}, sigEdit: lockP(1)}), sigOpts{})
		}, StatusModified, "allows no changes", nil},
		{"fieldmdp: a lock with /P 2 lets a later signature in", func() []byte {
			return colleague.sign(t, s.sign(t, filled, sigOpts{fieldLock: []string{"amount"}, sigEdit: lockP(2)}), sigOpts{})
		}, StatusValid, "signature added", nil},
		{"p1: /Extensions and /Info updated in the revision that adds the DSS stay allowed", func() []byte {
			return ltv(s.sign(t, plain, sigOpts{certify: 1}), true)
		}, StatusValid, "catalog /Extensions updated", nil},
		{"p1: /Extensions and /Info updated without validation data", func() []byte {
			return ltv(s.sign(t, plain, sigOpts{certify: 1}), false)
		}, StatusModified, "although the certification allows no changes", nil},
		{"p3: removing an annotation stays allowed", func() []byte {
			return removeAnnots(s.sign(t, withNote, sigOpts{certify: 3}))
		}, StatusValid, "annotation removed", nil},
		{"p2: removing an annotation is refused", func() []byte {
			return removeAnnots(s.sign(t, withNote, sigOpts{certify: 2}))
		}, StatusModified, "annotation removed", nil},
	}
	runRows(t, s, rows)
}

// TestRedTeamCover: annotations and fills allowed after signing must not cover signed content
// (issue 13 §3). Each attack paints the amount white (or dark) by a means an operator scan
// misses; the rendering check of cover.go must catch all of them and let the twins pass.
func TestRedTeamCover(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	cert3 := s.sign(t, plain, sigOpts{certify: 3})
	approval := s.sign(t, plain, sigOpts{})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(460), pdf.Int(730)} // over "Pay 1000000 yuan"
	beside := pdf.Array{pdf.Int(320), pdf.Int(400), pdf.Int(560), pdf.Int(480)}
	// annot adds an annotation whose appearance is drawn in page coordinates (BBox = Rect).
	annot := func(in []byte, st string, rect pdf.Array, data string, res pdf.Dict, extra pdf.Dict) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			p := pageOf(t, v)
			a := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name(st), "Rect": rect, "F": pdf.Int(4),
				"Contents": pdf.String{Bytes: []byte("review")}}
			if data != "" {
				ap := &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": rect}, Data: []byte(data)}
				if res != nil {
					ap.Dict["Resources"] = res
				}
				a["AP"] = pdf.Dict{"N": u.Add(ap)}
			}
			switch st {
			case "Highlight", "Underline", "StrikeOut", "Squiggly":
				a["QuadPoints"] = pdf.Array{rect[0], rect[3], rect[2], rect[3], rect[0], rect[1], rect[2], rect[1]}
			}
			for k, x := range extra {
				a[k] = x
			}
			ar := u.Add(a)
			pd := p.Dict.Clone()
			arr, _ := resolvedArray(v, pd.Get("Annots"))
			pd["Annots"] = append(append(pdf.Array{}, arr...), ar)
			setObj(t, u, p.Ref, pd)
		})
	}
	gs := func(d pdf.Dict) pdf.Dict { return pdf.Dict{"ExtGState": pdf.Dict{"G": d}} }
	cs := func(c pdf.Object) pdf.Dict { return pdf.Dict{"ColorSpace": pdf.Dict{"CS0": c}} }
	white := pdf.Dict{"FunctionType": pdf.Int(2), "Domain": pdf.Array{pdf.Int(0), pdf.Int(1)}, "C0": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "C1": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "N": pdf.Int(1)}
	var thin strings.Builder
	thin.WriteString("1 1 1 RG 1.2 w ")
	for y := 692.0; y < 730; y += 1.5 {
		thin.WriteString("60 " + strconv.FormatFloat(y, 'f', 1, 64) + " m 460 " + strconv.FormatFloat(y, 'f', 1, 64) + " l S ")
	}
	// A text field placed over the amount when signed, filled later.
	fieldOver, _ := makeDoc(docOpts{emptyText: true})
	fieldOver = update(t, fieldOver, func(u *pdf.Update, v *pdf.View) {
		w := v.Dict(pdf.Ref{Num: 7}).Clone()
		w["Rect"] = over
		setObj(t, u, pdf.Ref{Num: 7}, w)
	})
	fieldOverSigned := s.sign(t, fieldOver, sigOpts{})
	fill := func(in []byte, ap string) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			w := v.Dict(pdf.Ref{Num: 7}).Clone()
			w["V"] = pdf.String{Bytes: []byte("5")}
			st := &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(400), pdf.Int(40)},
				"Resources": pdf.Dict{"Font": pdf.Dict{"Helv": pdf.Ref{Num: 5}}}}, Data: []byte(ap)}
			w["AP"] = pdf.Dict{"N": u.Add(st)}
			setObj(t, u, pdf.Ref{Num: 7}, w)
		})
	}
	// Two stamps with opaque backgrounds, APPROVED drawn on top when signed; a later revision
	// only swaps their order in /Annots.
	stamps := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		mk := func(word string) pdf.Ref {
			ap := &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": beside,
				"Resources": pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}},
				Data: []byte("1 g 320 400 240 80 re f 0 g BT /F1 36 Tf 330 425 Td (" + word + ") Tj ET")}
			return u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Stamp"), "Rect": beside, "F": pdf.Int(4), "AP": pdf.Dict{"N": u.Add(ap)}})
		}
		d := v.Dict(pdf.Ref{Num: 3}).Clone()
		d["Annots"] = pdf.Array{mk("REJECTED"), mk("APPROVED")}
		setObj(t, u, pdf.Ref{Num: 3}, d)
	})
	stampsSigned := s.sign(t, stamps, sigOpts{})
	swapped := update(t, stampsSigned, func(u *pdf.Update, v *pdf.View) {
		d := v.Dict(pdf.Ref{Num: 3}).Clone()
		arr, _ := resolvedArray(v, d.Get("Annots"))
		out := append(pdf.Array{}, arr...)
		out[0], out[1] = arr[1], arr[0]
		d["Annots"] = out
		setObj(t, u, pdf.Ref{Num: 3}, d)
	})
	rows := []rtRow{
		{"cover-ctm: an underline's thin white stroke scaled 40× by cm", func() []byte {
			return annot(cert3, "Underline", over, "1 1 1 RG 0.5 w 1 0 0 40 0 0 cm 60 17.75 m 460 17.75 l S", nil, nil)
		}, StatusModified, "cover(s) signed content", rendersDifferently(cert3)},
		{"cover-gs-lw: an underline whose line width comes from an ExtGState /LW", func() []byte {
			return annot(cert3, "Underline", over, "/G gs 1 1 1 RG 60 710 m 460 710 l S", gs(pdf.Dict{"LW": pdf.Int(40)}), nil)
		}, StatusModified, "cover(s) signed content", rendersDifferently(cert3)},
		{"cover-blend-lighten: a yellow highlight with blend mode /Lighten erases black text", func() []byte {
			// Refused before rendering now: Lighten is a blend mode readers draw differently
			// (redteam_s10_blend_test.go).
			return annot(cert3, "Highlight", over, "/G gs 1 1 0 rg 60 690 400 40 re f", gs(pdf.Dict{"BM": pdf.Name("Lighten")}), pdf.Dict{"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(0)}})
		}, StatusModified, "/BM /Lighten", rendersDifferently(cert3)},
		{"cover-lab-white: a highlight filled in Lab L=100 (white)", func() []byte {
			return annot(cert3, "Highlight", over, "/CS0 cs 100 0 0 sc 60 690 400 40 re f",
				cs(pdf.Array{pdf.Name("Lab"), pdf.Dict{"WhitePoint": pdf.Array{pdf.Real{Value: 0.9505}, pdf.Int(1), pdf.Real{Value: 1.089}}}}), pdf.Dict{"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(0)}})
		}, StatusModified, "cover(s) signed content", rendersDifferently(cert3)},
		{"cover-separation-white: a highlight in a Separation colour whose tint is white", func() []byte {
			return annot(cert3, "Highlight", over, "/CS0 cs 0.5 sc 60 690 400 40 re f",
				cs(pdf.Array{pdf.Name("Separation"), pdf.Name("Paper"), pdf.Name("DeviceRGB"), white}), pdf.Dict{"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(0)}})
		}, StatusModified, "cover(s) signed content", rendersDifferently(cert3)},
		{"cover-thin-strokes: many thin white strokes that together cover the text", func() []byte {
			return annot(cert3, "Underline", over, thin.String(), nil, nil)
		}, StatusModified, "cover(s) signed content", rendersDifferently(cert3)},
		{"cover-square-ic: a Square without appearance, white interior (/IC), viewers generate it", func() []byte {
			return annot(cert3, "Square", over, "", nil, pdf.Dict{"IC": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}})
		}, StatusModified, "cover(s) signed content", nil},
		{"cover-stamp-black: a black box stamp over the amount, no certification", func() []byte {
			return annot(approval, "Stamp", over, "0 g 60 690 400 40 re f", nil, nil)
		}, StatusModified, "cover(s) signed content", rendersDifferently(approval)},
		{"cover-highlight-no-c: a highlight without appearance or /C (poppler paints it black)", func() []byte {
			return annot(cert3, "Highlight", over, "", nil, nil)
		}, StatusModified, "evil annotation", rendersDifferently(cert3)},
		{"cover-link-border: a link without appearance whose /Border is 40 wide", func() []byte {
			return annot(cert3, "Link", over, "", nil, pdf.Dict{"Border": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(40)}, "C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}})
		}, StatusModified, "evil annotation", nil},
		{"cover-unsigned-sig-widget: an unsigned signature widget whose appearance whitens the amount by cm (approval signature)", func() []byte {
			return update(t, approval, func(u *pdf.Update, v *pdf.View) {
				ap := &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": over},
					Data: []byte("1 1 1 RG 0.5 w 1 0 0 40 0 0 cm 60 17.75 m 460 17.75 l S")}
				w := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"), "T": pdf.String{Bytes: []byte("Fake")},
					"Rect": over, "F": pdf.Int(4), "P": pdf.Ref{Num: 3}, "AP": pdf.Dict{"N": u.Add(ap)}})
				p := v.Dict(pdf.Ref{Num: 3}).Clone()
				arr, _ := resolvedArray(v, p.Get("Annots"))
				p["Annots"] = append(append(pdf.Array{}, arr...), w)
				setObj(t, u, pdf.Ref{Num: 3}, p)
				c := v.Dict(rootOf(v)).Clone()
				af := v.Dict(c.Get("AcroForm")).Clone()
				fa, _ := resolvedArray(v, af.Get("Fields"))
				af["Fields"] = append(append(pdf.Array{}, fa...), w)
				c["AcroForm"] = af
				setObj(t, u, rootOf(v), c)
			})
		}, StatusModified, "cover(s) signed content", rendersDifferently(approval)},
		{"cover-field-fill: a text field that lay over the amount filled with a white background", func() []byte {
			return fill(fieldOverSigned, "1 g 0 0 400 40 re f 0 g BT /Helv 24 Tf 12 10 Td (Pay 5 yuan) Tj ET")
		}, StatusModified, "cover(s) signed content", rendersDifferently(fieldOverSigned)},
		{"cover-annot-order: two signed stamps only swap their order in /Annots", func() []byte {
			return swapped
		}, StatusModified, "cover(s) signed content", rendersDifferently(stampsSigned)},
		// twins
		{"twin: a yellow highlight multiplied over the text", func() []byte {
			return annot(cert3, "Highlight", over, "/G gs 1 1 0 rg 60 690 400 40 re f", gs(pdf.Dict{"BM": pdf.Name("Multiply")}), pdf.Dict{"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(0)}})
		}, StatusValid, "Highlight annotation added", nil},
		{"twin: a red stamp with text in blank space", func() []byte {
			return annot(cert3, "Stamp", beside, "1 0 0 RG 3 w 322 402 236 76 re S 1 0 0 rg BT /F1 36 Tf 330 425 Td (CHECKED) Tj ET",
				pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}, nil)
		}, StatusValid, "Stamp annotation added", nil},
		{"twin: a square drawn in blank space", func() []byte {
			return annot(approval, "Square", beside, "0 0 1 RG 2 w 322 402 236 76 re S", nil, nil)
		}, StatusValid, "Square annotation added", nil},
		{"twin: one red strike-out line through the amount", func() []byte {
			return annot(cert3, "StrikeOut", over, "1 0 0 RG 1 w 60 708 m 460 708 l S", nil, nil)
		}, StatusValid, "StrikeOut annotation added", nil},
		{"twin: the field over the amount filled with a transparent appearance beside the text", func() []byte {
			return fill(fieldOverSigned, "0 0 1 rg BT /Helv 10 Tf 300 2 Td (5) Tj ET")
		}, StatusValid, "filled in", nil},
	}
	runRows(t, s, rows)
}

// TestRedTeamDifferentials: where two readers could see different objects (issue 13 §1).
func TestRedTeamDifferentials(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	hidden := "\n4 0 obj\n<</Length 41>>stream\n" + redEvil + "\nendstream\nendobj\n"
	// The signed revision's XMP stream holds a complete "4 0 obj" after the real one.
	withHidden := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		c := v.Dict(pdf.Ref{Num: 1}).Clone()
		c["Metadata"] = u.Add(contentStream("<x:xmpmeta>"+hidden+"</x:xmpmeta>", pdf.Dict{"Type": pdf.Name("Metadata"), "Subtype": pdf.Name("XML")}))
		setObj(t, u, pdf.Ref{Num: 1}, c)
	})
	signedHidden := s.sign(t, withHidden, sigOpts{})
	// infoAt appends an /Info update by hand whose cross-reference entry is skew bytes off.
	infoAt := func(d []byte, skew int) []byte {
		f, err := pdf.Open(bytesReader(d), int64(len(d)), nil)
		if err != nil {
			t.Fatal(err)
		}
		last := f.Revisions()[len(f.Revisions())-1]
		size, _ := pdf.IntOf(last.Trailer.Get("Size"))
		root := rootOf(f.Latest())
		out := append([]byte{}, d...)
		off := len(out)
		out = append(out, fmt.Sprintf("%d 0 obj\n<</Producer (office)>>\nendobj\n", size)...)
		x := len(out)
		out = append(out, fmt.Sprintf("xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \ntrailer\n<</Size %d/Root %d %d R/Info %d 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n",
			size, off+skew, size+1, root.Num, root.Gen, size, last.XRefOffset, x)...)
		return out
	}
	// The signed page draws [4 0 R 20 0 R]; object 20 is missing. A later revision defines
	// object 20 with generation 1.
	dangling, _ := makeDoc(docOpts{dangling: "content"})
	signedDangling := s.sign(t, dangling, sigOpts{})
	fillGen := func(gen int) []byte {
		f, err := pdf.Open(bytesReader(signedDangling), int64(len(signedDangling)), nil)
		if err != nil {
			t.Fatal(err)
		}
		last := f.Revisions()[len(f.Revisions())-1]
		size, _ := pdf.IntOf(last.Trailer.Get("Size"))
		out := append([]byte{}, signedDangling...)
		off := len(out)
		body := "1 g 60 690 400 40 re f 0 g " + redEvil
		out = append(out, fmt.Sprintf("20 %d obj\n<</Length %d>>stream\n%s\nendstream\nendobj\n", gen, len(body), body)...)
		x := len(out)
		out = append(out, fmt.Sprintf("xref\n0 1\n0000000000 65535 f \n20 1\n%010d %05d n \ntrailer\n<</Size %d/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n",
			off, gen, max(size, 21), last.XRefOffset, x)...)
		return out
	}
	rows := []rtRow{
		{"diff-offset-drift-rebuild: an /Info update listed 2 bytes off; viewers rebuild and find the 4 0 obj hidden in the signed XMP", func() []byte {
			return infoAt(signedHidden, 2)
		}, StatusModified, "rebuilds the cross-reference table", showsText(evilAmount, signedAmount)},
		{"twin: the same /Info update listed exactly (no reader rebuilds)", func() []byte {
			return infoAt(signedHidden, 0)
		}, StatusValid, "Info", showsText(signedAmount, evilAmount)},
		{"diff-dangling-generation: a missing object filled by one of generation 1", func() []byte {
			return fillGen(1)
		}, StatusModified, "20", nil},
		{"diff-dangling-generation-0: the same with generation 0", func() []byte {
			return fillGen(0)
		}, StatusModified, "missing when signed", nil},
	}
	runRows(t, s, rows)
}

// TestRedTeamFormAppearances: an appearance shared by two fields, or reused elsewhere, cannot be
// "filled" through one of them; a field holding a byte copy of another signature's dictionary
// is reported (issue 13 §3).
func TestRedTeamFormAppearances(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	// Two empty text fields whose widgets share one appearance stream: "amount" on the amount
	// line, "note" elsewhere; the shared stream is what "amount" shows when signed.
	var shared pdf.Ref
	base, _ := makeDoc(docOpts{emptyText: true})
	twoFields := update(t, base, func(u *pdf.Update, v *pdf.View) {
		st := &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(228), pdf.Int(30)},
			"Resources": pdf.Dict{"Font": pdf.Dict{"Helv": pdf.Ref{Num: 5}}}}, Data: []byte("/Tx BMC BT /Helv 12 Tf 2 10 Td (1000000) Tj ET EMC")}
		shared = u.Add(st)
		w := v.Dict(pdf.Ref{Num: 7}).Clone()
		w["AP"] = pdf.Dict{"N": shared}
		setObj(t, u, pdf.Ref{Num: 7}, w)
		note := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Tx"), "T": pdf.String{Bytes: []byte("note")},
			"Rect": pdf.Array{pdf.Int(72), pdf.Int(400), pdf.Int(300), pdf.Int(430)}, "F": pdf.Int(4), "P": pdf.Ref{Num: 3}, "DA": pdf.String{Bytes: []byte("/Helv 12 Tf 0 g")}, "AP": pdf.Dict{"N": shared}})
		p := v.Dict(pdf.Ref{Num: 3}).Clone()
		arr, _ := resolvedArray(v, p.Get("Annots"))
		p["Annots"] = append(append(pdf.Array{}, arr...), note)
		setObj(t, u, pdf.Ref{Num: 3}, p)
		c := v.Dict(pdf.Ref{Num: 1}).Clone()
		af := v.Dict(c.Get("AcroForm")).Clone()
		fa, _ := resolvedArray(v, af.Get("Fields"))
		af["Fields"] = append(append(pdf.Array{}, fa...), note)
		c["AcroForm"] = af
		setObj(t, u, pdf.Ref{Num: 1}, c)
	})
	signed := s.sign(t, twoFields, sigOpts{})
	// fillNoteInPlace fills "note" and rewrites the shared stream in place.
	fillNoteInPlace := update(t, signed, func(u *pdf.Update, v *pdf.View) {
		fl, err := v.Field("note")
		if err != nil {
			t.Fatal(err)
		}
		d := fl.Dict.Clone()
		d["V"] = pdf.String{Bytes: []byte("5")}
		setObj(t, u, fl.Ref, d)
		st := &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(228), pdf.Int(30)},
			"Resources": pdf.Dict{"Font": pdf.Dict{"Helv": pdf.Ref{Num: 5}}}}, Data: []byte("/Tx BMC BT /Helv 12 Tf 2 10 Td (5) Tj ET EMC")}
		setObj(t, u, shared, st)
	})
	fillNoteOwn := update(t, signed, func(u *pdf.Update, v *pdf.View) {
		fl, _ := v.Field("note")
		d := fl.Dict.Clone()
		d["V"] = pdf.String{Bytes: []byte("5")}
		d["AP"] = pdf.Dict{"N": u.Add(fieldAP("/Tx BMC BT /Helv 12 Tf 2 10 Td (5) Tj ET EMC"))}
		setObj(t, u, fl.Ref, d)
	})
	plain, _ := makeDoc(docOpts{})
	approval := s.sign(t, plain, sigOpts{})
	copySig := update(t, approval, func(u *pdf.Update, v *pdf.View) {
		sigs, _, _ := v.File().FindSigDicts()
		cp := u.Add(sigs[0].Dict.Clone())
		w := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"), "T": pdf.String{Bytes: []byte("Copy")},
			"Rect": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}, "F": pdf.Int(132), "P": pdf.Ref{Num: 3}, "V": cp})
		p := v.Dict(pdf.Ref{Num: 3}).Clone()
		arr, _ := resolvedArray(v, p.Get("Annots"))
		p["Annots"] = append(append(pdf.Array{}, arr...), w)
		setObj(t, u, pdf.Ref{Num: 3}, p)
		c := v.Dict(rootOf(v)).Clone()
		af := v.Dict(c.Get("AcroForm")).Clone()
		fa, _ := resolvedArray(v, af.Get("Fields"))
		af["Fields"] = append(append(pdf.Array{}, fa...), w)
		c["AcroForm"] = af
		setObj(t, u, rootOf(v), c)
	})
	rows := []rtRow{
		{"form-shared-ap: filling one field rewrites the appearance the other (signed) field shows", func() []byte {
			return fillNoteInPlace
		}, StatusModified, "appearance", func(t *testing.T, d []byte) {
			if before, after := strings.Count(popplerText(t, signed), "1000000"), strings.Count(popplerText(t, d), "1000000"); after >= before {
				t.Fatalf("the attack has no effect in poppler: %d then %d times 1000000", before, after)
			}
		}},
		{"twin: filling the field with its own new appearance", func() []byte { return fillNoteOwn }, StatusValid, "filled in", nil},
		{"sig-byte-copy: a new field holds a byte copy of the signature dictionary", func() []byte { return copySig }, StatusModified, "Copy", nil},
	}
	runRows(t, s, rows)
}
