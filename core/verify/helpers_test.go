package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"sealdesk/core/cms"
	"sealdesk/core/pdf"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/tsa"
)

// docOpts shape the unsigned test document.
type docOpts struct {
	textField  string // value of the text field "amount" ("" = no such field)
	emptyText  bool   // add the text field "amount" empty
	emptySig   bool   // add an empty signature field "Sig1"
	cover      bool   // page draws the form XObject /Cover over its text (shadow "hide" set-up)
	shadow     bool   // a second, unlisted definition of the content stream (hide-and-replace set-up)
	xrefStream bool   // cross-reference stream instead of a table
	pad        int    // bytes of filler stream to make big files
	// dangling makes the signed document refer to object 20, which it does not define (or
	// defines as null with nullDef): "content" (page /Contents), "xobject" (a resource the page
	// draws), "openaction" (catalog /OpenAction) or "annots" (page /Annots).
	dangling string
	nullDef  bool
}

// makeDoc writes a small one-page PDF by hand: 1 catalog, 2 pages, 3 page, 4 content, 5 font,
// 6 cover XObject, 7 text field, 8 its appearance, 9 empty signature field, 10 filler.
func makeDoc(o docOpts) ([]byte, int64) {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := map[int]int{}
	obj := func(n int, body string) {
		offs[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	stream := func(n int, dict, data string) {
		obj(n, fmt.Sprintf("<<%s/Length %d>>stream\n%s\nendstream", dict, len(data), data))
	}
	var annots, fields []string
	if o.textField != "" || o.emptyText {
		annots = append(annots, "7 0 R")
		fields = append(fields, "7 0 R")
	}
	if o.emptySig {
		annots = append(annots, "9 0 R")
		fields = append(fields, "9 0 R")
	}
	acro := ""
	if len(fields) > 0 {
		acro = fmt.Sprintf("/AcroForm<</Fields[%s]/DA(/Helv 0 Tf 0 g)/DR<</Font<</Helv 5 0 R>>>>>>", strings.Join(fields, " "))
	}
	if o.dangling == "openaction" {
		acro += "/OpenAction 20 0 R"
	}
	if o.dangling == "annots" {
		annots = append(annots, "20 0 R")
	}
	obj(1, "<</Type/Catalog/Pages 2 0 R"+acro+">>")
	obj(2, "<</Type/Pages/Kids[3 0 R]/Count 1>>")
	annotStr := ""
	if len(annots) > 0 {
		annotStr = "/Annots[" + strings.Join(annots, " ") + "]"
	}
	contents, xo := "4 0 R", ""
	if o.dangling == "content" {
		contents = "[4 0 R 20 0 R]"
	}
	if o.dangling == "xobject" {
		xo = "/X 20 0 R"
	}
	obj(3, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 612.0 792]/Resources<</Font<</F1 5 0 R>>/XObject<</Cover 6 0 R"+xo+">>>>/Contents "+contents+annotStr+">>")
	content := "BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET"
	if o.cover {
		content += "\nq /Cover Do Q"
	}
	if o.dangling == "xobject" {
		content += "\nq /X Do Q"
	}
	stream(4, "", content)
	obj(5, "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>")
	stream(6, "/Type/XObject/Subtype/Form/BBox[0 0 612 792]/Resources<</Font<</F1 5 0 R>>>>", "1 g 60 690 400 40 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 100 yuan) Tj ET")
	if o.textField != "" || o.emptyText {
		obj(7, fmt.Sprintf("<</Type/Annot/Subtype/Widget/FT/Tx/T(amount)/V(%s)/Rect[72 600 300 630]/F 4/P 3 0 R/DA(/Helv 12 Tf 0 g)/AP<</N 8 0 R>>>>", o.textField))
		stream(8, "/Type/XObject/Subtype/Form/BBox[0 0 228 30]/Resources<</Font<</Helv 5 0 R>>>>", fmt.Sprintf("/Tx BMC BT /Helv 12 Tf 2 10 Td (%s) Tj ET EMC", o.textField))
	}
	if o.emptySig {
		obj(9, "<</Type/Annot/Subtype/Widget/FT/Sig/T(Sig1)/Rect[300 100 500 150]/F 4/P 3 0 R>>")
	}
	if o.pad > 0 {
		stream(10, "", strings.Repeat("% filler line to make the file larger.............................\n", o.pad/64+1))
	}
	if o.shadow {
		// Not in the cross-reference section: the "shadow" content a later xref can point to.
		offs[-4] = b.Len()
		data := "BT /F1 24 Tf 72 700 Td (Pay 9999999 yuan) Tj ET"
		fmt.Fprintf(&b, "4 0 obj\n<</Length %d>>stream\n%s\nendstream\nendobj\n", len(data), data)
	}
	size := 11
	if o.nullDef {
		obj(20, "null")
		size = 21
	}
	xref := b.Len()
	if !o.xrefStream {
		fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", size)
		for n := 1; n < size; n++ {
			if off, ok := offs[n]; ok {
				fmt.Fprintf(&b, "%010d 00000 n \n", off)
			} else {
				b.WriteString("0000000000 00000 f \n")
			}
		}
		fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R/ID[<0102030405060708090a0b0c0d0e0f10><0102030405060708090a0b0c0d0e0f10>]>>\nstartxref\n%d\n%%%%EOF\n", size, xref)
	} else {
		offs[size] = xref
		size++
		var rows []byte
		for n := 0; n < size; n++ {
			if off, ok := offs[n]; ok {
				rows = append(rows, 1, byte(off>>24), byte(off>>16), byte(off>>8), byte(off), 0, 0)
			} else if n == 0 {
				rows = append(rows, 0, 0, 0, 0, 0, 0xff, 0xff)
			} else {
				rows = append(rows, 0, 0, 0, 0, 0, 0, 0)
			}
		}
		fmt.Fprintf(&b, "%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Root 1 0 R/ID[<0102030405060708090a0b0c0d0e0f10><0102030405060708090a0b0c0d0e0f10>]/Length %d>>stream\n", size-1, size, len(rows))
		b.Write(rows)
		fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xref)
	}
	return b.Bytes(), int64(offs[-4])
}

// signer is a test signer from a per-test PKI.
type signer struct {
	pki  *pkitest.PKI
	cert *x509.Certificate
	key  crypto.Signer
	tsa  *tsa.Authority
	now  time.Time
}

func newSigner(t testing.TB, kt pki.KeyType) *signer {
	t.Helper()
	return newSignerAt(t, kt, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
}

// newSignerAt is newSigner with its PKI, signing time and TSA clock at now.
func newSignerAt(t testing.TB, kt pki.KeyType, now time.Time) *signer {
	t.Helper()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	cert, key := p.Leaf(t, "张三", kt)
	a, err := tsa.New(tsa.Options{Cert: p.TSA, Key: p.TSAKey, Chain: p.Chain, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return &signer{pki: p, cert: cert, key: key, tsa: a, now: now}
}

func (s *signer) store() *TrustStore { return NewTrustStore(s.pki.Root) }

// sigOpts shape one signing.
type sigOpts struct {
	field      string // existing empty field to fill; "" creates a new field "SigN"
	visible    bool
	visibleAt  pdf.Array // with visible: the widget's /Rect, its appearance drawn in page coordinates
	visibleAP  string    // with visible: the appearance's content (Helvetica is /F1)
	certify    int       // DocMDP P for a certification signature, 0 for approval
	timestamp  bool
	docTS      bool // a document timestamp instead of a signature
	hash       crypto.Hash
	pss        bool
	style      pdf.XRefStyle
	contents   []byte                                         // replaces the CMS (forgeries)
	byteRange  func(br [4]int64) [4]int64                     // alters the ByteRange (wrapping)
	extra      func(t testing.TB, u *pdf.Update, v *pdf.View) // more changes in the same revision
	fieldLock  []string                                       // FieldMDP Include lock
	dssOCSP    [][]byte
	x509SHA1   bool                                     // legacy adbe.x509.rsa_sha1 (RSA keys)
	adbeOCSP   [][]byte                                 // OCSP responses in the adbe-revocationInfoArchival signed attribute
	adbeCRL    [][]byte                                 // CRLs in the adbe-revocationInfoArchival signed attribute
	rawCMS     func(t testing.TB, digest []byte) []byte // the CMS from the ranges' digest (under hash): what core/cms refuses (SHA-1, RSA < 2048)
	signerCert *x509.Certificate
	sigEdit    func(d pdf.Dict)                       // edits the signature dictionary before it is written
	cmsOpts    func(o *cms.SignOptions)               // edits the CMS options before signing
	cmsEdit    func(t testing.TB, sd *cms.SignedData) // edits the signed CMS (unsigned attributes)
	derEdit    func(t testing.TB, der []byte) []byte  // edits the encoded CMS (forgeries)
}

func rootOf(v *pdf.View) pdf.Ref {
	for k := v.Revision().Index; k >= 0; k-- {
		if r, ok := v.File().Revisions()[k].Trailer.Get("Root").(pdf.Ref); ok {
			return r
		}
	}
	return pdf.Ref{}
}

// sign appends one signature revision to in, the way a PAdES signer does.
func (s *signer) sign(t testing.TB, in []byte, o sigOpts) []byte {
	t.Helper()
	f, err := pdf.Open(bytes.NewReader(in), int64(len(in)), nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	v := f.Latest()
	u := f.NewUpdate()
	u.SetStyle(o.style)
	const cmsSize = 12000
	sig := pdf.Dict{
		"Type": pdf.Name("Sig"), "Filter": pdf.Name("Adobe.PPKLite"), "SubFilter": pdf.Name("ETSI.CAdES.detached"),
		"ByteRange": pdf.ByteRangePlaceholder("br"), "Contents": pdf.HexPlaceholder("contents", cmsSize),
		"M": pdf.String{Bytes: []byte(s.now.Format("D:20060102150405Z"))},
	}
	if o.docTS {
		sig["Type"] = pdf.Name("DocTimeStamp")
		sig["SubFilter"] = pdf.Name("ETSI.RFC3161")
		delete(sig, "M")
	}
	if o.x509SHA1 {
		sig["SubFilter"] = pdf.Name("adbe.x509.rsa_sha1")
		certs := pdf.Array{pdf.String{Bytes: s.cert.Raw}}
		for _, c := range s.pki.Chain {
			certs = append(certs, pdf.String{Bytes: c.Raw})
		}
		sig["Cert"] = certs
		o.hash = crypto.SHA1
	}
	cat := v.Dict(rootOf(v)).Clone()
	catRef := rootOf(v)
	var refs pdf.Array
	if o.certify > 0 {
		refs = append(refs, pdf.Dict{"Type": pdf.Name("SigRef"), "TransformMethod": pdf.Name("DocMDP"),
			"TransformParams": pdf.Dict{"Type": pdf.Name("TransformParams"), "P": pdf.Int(o.certify), "V": pdf.Name("1.2")}})
	}
	if len(o.fieldLock) > 0 {
		var names pdf.Array
		for _, n := range o.fieldLock {
			names = append(names, pdf.String{Bytes: []byte(n)})
		}
		refs = append(refs, pdf.Dict{"Type": pdf.Name("SigRef"), "TransformMethod": pdf.Name("FieldMDP"),
			"TransformParams": pdf.Dict{"Type": pdf.Name("TransformParams"), "Action": pdf.Name("Include"), "Fields": names, "V": pdf.Name("1.2")}})
	}
	if len(refs) > 0 {
		sig["Reference"] = refs
	}
	if o.sigEdit != nil {
		o.sigEdit(sig)
	}
	sigRef := u.Add(sig)
	if o.certify > 0 {
		cat["Perms"] = pdf.Dict{"DocMDP": sigRef}
	}
	fields, _ := v.Fields()
	filled := false
	for _, fl := range fields {
		if fl.Name == o.field && fl.IsSignature() && fl.Value == nil {
			d := fl.Dict.Clone()
			d["V"] = sigRef
			if err := u.Set(fl.Ref, d); err != nil {
				t.Fatal(err)
			}
			filled = true
		}
	}
	if !filled {
		pages, err := v.Pages()
		if err != nil {
			t.Fatal(err)
		}
		page := pages[0]
		rect := pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}
		w := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"),
			"T": pdf.String{Bytes: []byte(fmt.Sprintf("Sig%d", len(fields)+2))}, "V": sigRef, "F": pdf.Int(132), "P": page.Ref}
		if o.visible {
			rect = pdf.Array{pdf.Int(72), pdf.Int(400), pdf.Int(272), pdf.Int(460)}
			bbox, data := pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(200), pdf.Int(60)}, "1 0 0 rg 0 0 200 60 re f BT /F1 12 Tf 5 20 Td (Signed) Tj ET"
			if o.visibleAt != nil {
				rect, bbox, data = o.visibleAt, o.visibleAt, o.visibleAP
			}
			ap := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
				"BBox": bbox, "Resources": pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}},
				Data: []byte(data)})
			w["AP"] = pdf.Dict{"N": ap}
		}
		w["Rect"] = rect
		wr := u.Add(w)
		pd := page.Dict.Clone()
		annots, _ := v.Resolve(pd.Get("Annots"))
		arr, _ := annots.(pdf.Array)
		if ar, ok := pd.Get("Annots").(pdf.Ref); ok {
			// An indirect /Annots array is extended in place, as viewers do.
			if err := u.Set(ar, append(append(pdf.Array{}, arr...), wr)); err != nil {
				t.Fatal(err)
			}
		} else {
			pd["Annots"] = append(append(pdf.Array{}, arr...), wr)
			if err := u.Set(page.Ref, pd); err != nil {
				t.Fatal(err)
			}
		}
		af := v.Dict(cat.Get("AcroForm"))
		if af == nil {
			af = pdf.Dict{}
		}
		af = af.Clone()
		fo, _ := v.Resolve(af.Get("Fields"))
		fa, _ := fo.(pdf.Array)
		af["Fields"] = append(append(pdf.Array{}, fa...), wr)
		af["SigFlags"] = pdf.Int(3)
		if r, ok := cat.Get("AcroForm").(pdf.Ref); ok {
			if err := u.Set(r, af); err != nil {
				t.Fatal(err)
			}
		} else {
			cat["AcroForm"] = af
		}
	} else if o.certify > 0 || true {
		af := v.Dict(cat.Get("AcroForm"))
		if af != nil && af.Get("SigFlags") == nil {
			af = af.Clone()
			af["SigFlags"] = pdf.Int(3)
			if r, ok := cat.Get("AcroForm").(pdf.Ref); ok {
				u.Set(r, af)
			} else {
				cat["AcroForm"] = af
			}
		}
	}
	if len(o.dssOCSP) > 0 {
		var arr pdf.Array
		for _, d := range o.dssOCSP {
			arr = append(arr, u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: d}))
		}
		cat["DSS"] = pdf.Dict{"OCSPs": arr}
	}
	if err := u.Set(catRef, cat); err != nil {
		t.Fatal(err)
	}
	if o.extra != nil {
		o.extra(t, u, v)
	}
	section, l, err := u.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	cs := l.Placeholders["contents"]
	br := [4]int64{0, cs.Start, cs.End, l.End - cs.End}
	if o.byteRange != nil {
		br = o.byteRange(br)
	}
	brText, err := pdf.FormatByteRange(br, pdf.ByteRangeWidth)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Patch(section, "br", brText); err != nil {
		t.Fatal(err)
	}
	full := append(append([]byte{}, in...), section...)
	h := o.hash
	if h == 0 {
		h = crypto.SHA256
	}
	hh := h.New()
	if hb := br; inFile(hb, len(full)) {
		hh.Write(full[hb[0] : hb[0]+hb[1]])
		hh.Write(full[hb[2] : hb[2]+hb[3]])
	} else {
		// A ByteRange outside the file (overflow attacks): sign the honest ranges.
		hh.Write(full[:cs.Start])
		hh.Write(full[cs.End:])
	}
	digest := hh.Sum(nil)
	var der []byte
	switch {
	case o.contents != nil:
		der = o.contents
	case o.rawCMS != nil:
		der = o.rawCMS(t, digest)
	case o.x509SHA1:
		raw, err := s.key.Sign(rand.Reader, digest, crypto.SHA1)
		if err != nil {
			t.Fatal(err)
		}
		der, _ = asn1.Marshal(raw)
	case o.docTS:
		der, err = s.tsa.Timestamp(context.Background(), h, digest)
		if err != nil {
			t.Fatal(err)
		}
	default:
		cert := s.cert
		if o.signerCert != nil {
			cert = o.signerCert
		}
		var extra []cms.Attribute
		if len(o.adbeOCSP) > 0 || len(o.adbeCRL) > 0 {
			// RevocationInfoArchival ::= SEQUENCE { crl [0] EXPLICIT SEQUENCE OF CRLs, ocsp [1] … }
			var body []byte
			for tag, list := range [][][]byte{o.adbeCRL, o.adbeOCSP} {
				if len(list) == 0 {
					continue
				}
				var items []byte
				for _, r := range list {
					items = append(items, r...)
				}
				seq, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: items})
				tagged, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: seq})
				body = append(body, tagged...)
			}
			val, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
			extra = append(extra, cms.Attribute{Type: asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}, Values: []asn1.RawValue{{FullBytes: val}}})
		}
		co := cms.SignOptions{Signer: s.key, Cert: cert, Chain: s.pki.Chain, Hash: h, PSS: o.pss, Digest: digest, ExtraSigned: extra}
		if o.cmsOpts != nil {
			o.cmsOpts(&co)
		}
		sd, err := cms.Sign(co)
		if err != nil {
			t.Fatal(err)
		}
		if o.timestamp {
			d := sha256.Sum256(sd.SignatureValue())
			tok, err := s.tsa.Timestamp(context.Background(), crypto.SHA256, d[:])
			if err != nil {
				t.Fatal(err)
			}
			sd.AddTimestamp(tok)
		}
		if o.cmsEdit != nil {
			o.cmsEdit(t, sd)
		}
		der, err = sd.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if o.derEdit != nil {
			der = o.derEdit(t, der)
		}
	}
	hx := []byte("<" + strings.ToUpper(hex.EncodeToString(der)) + strings.Repeat("0", 2*cmsSize-2*len(der)) + ">")
	if err := l.Patch(section, "contents", hx); err != nil {
		t.Fatal(err)
	}
	return append(append([]byte{}, in...), section...)
}

// inFile reports whether both ranges of br lie inside n bytes, without overflowing.
func inFile(br [4]int64, n int) bool {
	for _, r := range [][2]int64{{br[0], br[1]}, {br[2], br[3]}} {
		if r[0] < 0 || r[1] < 0 || r[0] > int64(n) || r[1] > int64(n)-r[0] {
			return false
		}
	}
	return true
}

// update appends a plain (unsigned) incremental update made by fn.
func update(t testing.TB, in []byte, fn func(u *pdf.Update, v *pdf.View)) []byte {
	t.Helper()
	f, err := pdf.Open(bytes.NewReader(in), int64(len(in)), nil)
	if err != nil {
		t.Fatal(err)
	}
	u := f.NewUpdate()
	fn(u, f.Latest())
	section, _, err := u.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return append(append([]byte{}, in...), section...)
}

// verifySink, when set, sees every verification of verifyBytes and whether the cover check
// rendered a page by region in it (TestCoverRegionSameVerdicts).
var verifySink func(data []byte, store *TrustStore, rep *Report, regional bool)

func verifyBytes(t testing.TB, data []byte, store *TrustStore) *Report {
	t.Helper()
	regions := coverRegionRenders.Load()
	rep, err := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), "test.pdf", &Options{Trust: store, Now: func() time.Time {
		return time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	}})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	checkChangeDetails(t, rep)
	if verifySink != nil {
		verifySink(data, store, rep, coverRegionRenders.Load() > regions)
	}
	return rep
}

func dump(rep *Report) string {
	var sb strings.Builder
	rep.WriteText(&sb, "en")
	return sb.String()
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
