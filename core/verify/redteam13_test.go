package verify

import (
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
	want   string
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
			return twin(0, func(u *pdf.Update, v *pdf.View) {
				d := v.Dict(elem).Clone()
				d["Alt"] = pdf.String{Bytes: []byte("amount")}
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
