package verify

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/big"
	"strings"
	"testing"
	"time"

	"sealdesk/core/cms"
	"sealdesk/core/ofd"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/tsa"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// A generator of OFD files sealed with GB/T 38540 (v4) seals by a test PKI made here (SM2 root,
// seal maker, signer), and of tampered copies, one per attack class: each is caught with a clear
// reason, without a panic, within the limits.

type sm2Party struct {
	key  *sm2.PrivateKey
	cert *x509.Certificate
}

type ofdPKI struct {
	root, maker, signer, other sm2Party
}

func newOFDPKI(t testing.TB) *ofdPKI {
	t.Helper()
	now := time.Now()
	mk := func(cn string, parent *sm2Party, ca bool) sm2Party {
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
		tpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn, Organization: []string{"SealDesk 测试"}},
			NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(365 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
		signerKey, parentCert := k, tpl
		if ca {
			tpl.IsCA, tpl.BasicConstraintsValid, tpl.KeyUsage = true, true, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature
		}
		if parent != nil {
			signerKey, parentCert = parent.key, parent.cert
		}
		der, err := smx509.CreateCertificate(rand.Reader, tpl, parentCert, &k.PublicKey, signerKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := smx509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return sm2Party{k, c.ToX509()}
	}
	p := &ofdPKI{}
	p.root = mk("SM2 测试根 CA", nil, true)
	p.maker = mk("制章者", &p.root, false)
	p.signer = mk("某某有限公司", &p.root, false)
	p.other = mk("另一家公司", &p.root, false)
	return p
}

// ASN.1 helpers for the SES structures.
func tlv(tag int, constructed bool, b []byte) []byte { return cms.EncodeTLV(0, tag, constructed, b) }
func seq(parts ...[]byte) []byte                     { return tlv(cms.TagSequence, true, bytes.Join(parts, nil)) }
func ia5(s string) []byte                            { return tlv(22, false, []byte(s)) }
func utf8(s string) []byte                           { return tlv(cms.TagUTF8, false, []byte(s)) }
func octets(b []byte) []byte                         { return tlv(cms.TagOctetString, false, b) }
func bits(b []byte) []byte                           { return tlv(cms.TagBitString, false, append([]byte{0}, b...)) }
func gtime(t time.Time) []byte {
	return tlv(cms.TagGenTime, false, []byte(t.UTC().Format("20060102150405Z")))
}
func integer(n int) []byte {
	b := big.NewInt(int64(n)).Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return tlv(cms.TagInteger, false, b)
}

var oidSM2SM3DER = []byte{0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75}

func sm2Sign(t testing.TB, k *sm2.PrivateKey, msg []byte) []byte {
	sig, err := k.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func redSealPNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			if d := (x-32)*(x-32) + (y-32)*(y-32); d < 31*31 && d > 26*26 || (x > 24 && x < 40 && y > 24 && y < 40) {
				img.Set(x, y, color.NRGBA{220, 0, 0, 255})
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// sealOpts shape one generated seal.
type sealOpts struct {
	maker, signer      sm2Party
	certList           [][]byte // nil: the signer's certificate
	validFrom, validTo time.Time
	signTime           time.Time
	headerVersion      int
	picType            string
	picture            []byte
	name, esID         string
	// timestamp, when set, returns the RFC 3161 token the signature carries for its value
	timestamp   func(sig []byte) []byte
	stampTagged bool
}

func (p *ofdPKI) defaults() sealOpts {
	now := time.Now()
	return sealOpts{maker: p.maker, signer: p.signer, validFrom: now.Add(-time.Hour), validTo: now.Add(30 * 24 * time.Hour),
		signTime: now.Add(-time.Minute), headerVersion: 4, picType: "PNG", picture: redSealPNG(), name: "某某有限公司合同专用章", esID: "4401000000001"}
}

// makeSeal builds a v4 SESeal signed by the maker over SES_SealInfo.
func makeSeal(t testing.TB, o sealOpts) []byte {
	list := o.certList
	if list == nil {
		list = [][]byte{o.signer.cert.Raw}
	}
	var certs [][]byte
	for _, c := range list {
		certs = append(certs, octets(c))
	}
	info := seq(
		seq(ia5("ES"), integer(o.headerVersion), ia5("sealdesk-test")),
		ia5(o.esID),
		seq(integer(1), utf8(o.name), integer(1), seq(certs...), gtime(o.validFrom), gtime(o.validFrom), gtime(o.validTo)),
		seq(ia5(o.picType), octets(o.picture), integer(40), integer(40)),
	)
	return seq(info, octets(o.maker.cert.Raw), oidSM2SM3DER, bits(sm2Sign(t, o.maker.key, info)))
}

// genOFD builds a one-page sealed OFD (ofdrw's whole-package layout: the references cover every
// document file and Seal.esl) and returns its entries in order.
func genOFD(t testing.TB, o sealOpts) []zipPart {
	parts := []zipPart{
		{"OFD.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>sealdesk</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot><ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>`)},
		{"Doc_0/Document.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:MaxUnitID>10</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 140</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>`)},
		{"Doc_0/PublicRes.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="http://www.ofdspec.org/2016" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="3" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>`)},
		{"Doc_0/Pages/Page_0/Content.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="4"><ofd:TextObject ID="5" Boundary="20 20 170 12" Font="3" Size="8"><ofd:TextCode X="0" Y="8">金额：壹万元整</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>`)},
	}
	seal := makeSeal(t, o)
	parts = append(parts, zipPart{"Doc_0/Signs/Sign_0/Seal.esl", seal})
	var refs strings.Builder
	for _, p := range parts {
		h := sm3.Sum(p.data)
		fmt.Fprintf(&refs, `<ofd:Reference FileRef="/%s"><ofd:CheckValue>%s</ofd:CheckValue></ofd:Reference>`, p.name, base64.StdEncoding.EncodeToString(h[:]))
	}
	sigXML := []byte(`<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016"><ofd:SignedInfo><ofd:Provider ProviderName="SealDesk" Version="1" Company="SealDesk"/><ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod><ofd:SignatureDateTime>` +
		o.signTime.UTC().Format("20060102150405Z") + `</ofd:SignatureDateTime><ofd:References CheckMethod="1.2.156.10197.1.401">` + refs.String() +
		`</ofd:References><ofd:StampAnnot ID="9" PageRef="1" Boundary="140 70 40 40"/><ofd:Seal><ofd:BaseLoc>/Doc_0/Signs/Sign_0/Seal.esl</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo><ofd:SignedValue>/Doc_0/Signs/Sign_0/SignedValue.dat</ofd:SignedValue></ofd:Signature>`)
	dataHash := sm3.Sum(sigXML)
	tbs := seq(integer(4), seal, gtime(o.signTime), bits(dataHash[:]), ia5("/Doc_0/Signs/Sign_0/Signature.xml"))
	sigValue := sm2Sign(t, o.signer.key, tbs)
	var stamp []byte
	if o.timestamp != nil {
		stamp = bits(o.timestamp(sigValue)) // untagged, as GB/T 38540 writes it
		if o.stampTagged {
			stamp = cms.EncodeTLV(2, 0, true, stamp) // [0] EXPLICIT, as ofdrw writes it
		}
	}
	value := seq(tbs, octets(o.signer.cert.Raw), oidSM2SM3DER, bits(sigValue), stamp)
	parts = append(parts,
		zipPart{"Doc_0/Signs/Signatures.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016"><ofd:MaxSignId>9</ofd:MaxSignId><ofd:Signature ID="9" Type="Seal" BaseLoc="/Doc_0/Signs/Sign_0/Signature.xml"/></ofd:Signatures>`)},
		zipPart{"Doc_0/Signs/Sign_0/Signature.xml", sigXML},
		zipPart{"Doc_0/Signs/Sign_0/SignedValue.dat", value},
	)
	return parts
}

type zipPart struct {
	name string
	data []byte
}

func zipParts(t testing.TB, parts []zipPart) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, p := range parts {
		f, err := w.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		f.Write(p.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func edit(parts []zipPart, name string, f func([]byte) []byte) []zipPart {
	out := make([]zipPart, 0, len(parts))
	for _, p := range parts {
		if p.name == name {
			if p.data = f(append([]byte(nil), p.data...)); p.data == nil {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

func part(parts []zipPart, name string) []byte {
	for _, p := range parts {
		if p.name == name {
			return p.data
		}
	}
	return nil
}

func verifyOFDBytes(t testing.TB, b []byte, opts *Options) (*Report, error) {
	return Verify(context.Background(), bytes.NewReader(b), int64(len(b)), "gen.ofd", opts)
}

// TestOFDGenerated: a sealed OFD from a trusted SM2 PKI is 有效; each tampered class is caught with
// its reason.
func TestOFDGenerated(t *testing.T) {
	pki := newOFDPKI(t)
	trust := NewTrustStore(pki.root.cert)
	opts := &Options{Trust: trust}
	good := genOFD(t, pki.defaults())

	rep, err := verifyOFDBytes(t, zipParts(t, good), opts)
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Signatures[0]; rep.Verdict != StatusValid || s.Signer.Name != "某某有限公司" || s.Seal.Name != "某某有限公司合同专用章" ||
		s.Seal.Maker.Name != "制章者" || s.Page != 1 || len(s.Seal.Picture) == 0 {
		t.Fatalf("generated seal: %s %+v", rep.Verdict, s)
	}

	other := genOFD(t, func() sealOpts {
		o := pki.defaults()
		o.maker, o.signer, o.name = pki.other, pki.other, "另一枚章"
		return o
	}())
	flipSig := func(b []byte) []byte {
		// The last byte of the signer's signature (the BIT STRING closes the value).
		b[len(b)-3] ^= 0x01
		return b
	}
	cases := []struct {
		name   string
		parts  []zipPart
		opts   func(*sealOpts)
		status Verdict
		reason string
	}{
		{name: "reference changed", parts: edit(good, "Doc_0/Pages/Page_0/Content.xml", func(b []byte) []byte { return bytes.Replace(b, []byte("壹万"), []byte("壹佰万"), 1) }),
			status: StatusModified, reason: "Doc_0/Pages/Page_0/Content.xml changed after signing"},
		{name: "reference missing", parts: edit(good, "Doc_0/PublicRes.xml", func([]byte) []byte { return nil }),
			status: StatusModified, reason: "Doc_0/PublicRes.xml, which the signature covers, is missing"},
		{name: "file added", parts: append(append([]zipPart(nil), good...), zipPart{"Doc_0/Res/extra.png", redSealPNG()}),
			status: StatusValid, reason: "Doc_0/Res/extra.png"},
		{name: "reference added to Signature.xml", parts: edit(good, "Doc_0/Signs/Sign_0/Signature.xml", func(b []byte) []byte {
			return bytes.Replace(b, []byte("</ofd:References>"), []byte(`<ofd:Reference FileRef="/Doc_0/Res/extra.png"><ofd:CheckValue>AAAA</ofd:CheckValue></ofd:Reference></ofd:References>`), 1)
		}), status: StatusInvalid, reason: "dataHash does not match Signature.xml"},
		{name: "Signature.xml edited", parts: edit(good, "Doc_0/Signs/Sign_0/Signature.xml", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`Boundary="140 70`), []byte(`Boundary="10 70 `), 1)
		}),
			status: StatusInvalid, reason: "dataHash does not match Signature.xml"},
		{name: "signature value bit", parts: edit(good, "Doc_0/Signs/Sign_0/SignedValue.dat", flipSig),
			status: StatusInvalid, reason: "the signer's SM2 signature over TBS_Sign does not verify"},
		{name: "seal swapped from another file", parts: edit(edit(good, "Doc_0/Signs/Sign_0/SignedValue.dat", func([]byte) []byte { return part(other, "Doc_0/Signs/Sign_0/SignedValue.dat") }),
			"Doc_0/Signs/Sign_0/Seal.esl", func([]byte) []byte { return part(other, "Doc_0/Signs/Sign_0/Seal.esl") }),
			status: StatusInvalid, reason: "dataHash does not match Signature.xml"},
		{name: "Seal.esl swapped", parts: edit(good, "Doc_0/Signs/Sign_0/Seal.esl", func([]byte) []byte { return part(other, "Doc_0/Signs/Sign_0/Seal.esl") }),
			status: StatusInvalid, reason: "differs from the seal inside the signature"},
		{name: "seal maker signature forged", opts: func(o *sealOpts) { o.maker = sm2Party{pki.other.key, pki.maker.cert} },
			status: StatusInvalid, reason: "the seal maker's signature over the seal (v4 message) does not verify"},
		{name: "certList lacks the signer", opts: func(o *sealOpts) { o.certList = [][]byte{pki.other.cert.Raw} },
			status: StatusUntrusted, reason: "the signer's certificate is not in the seal's certList"},
		{name: "signed after the seal expired", opts: func(o *sealOpts) {
			o.validTo = time.Now().Add(-10 * time.Minute)
			o.validFrom = o.validTo.Add(-time.Hour)
		},
			status: StatusUntrusted, reason: "outside the seal's validity"},
		{name: "seal picture not an image", opts: func(o *sealOpts) { o.picture = []byte("<script>alert(1)</script>") },
			status: StatusInvalid, reason: "the seal picture is not a PNG image"},
		{name: "picture type lies", opts: func(o *sealOpts) { o.picType = "GIF" },
			status: StatusInvalid, reason: "the seal picture is not a GIF image"},
		{name: "unknown SES version 5", opts: func(o *sealOpts) { o.headerVersion = 5 },
			status: StatusUntrusted, reason: "SES version 5 (v4 layout) is not one this verifier knows"},
		{name: "signed value truncated", parts: edit(good, "Doc_0/Signs/Sign_0/SignedValue.dat", func(b []byte) []byte { return b[:len(b)/2] }),
			status: StatusInvalid, reason: "the signed value is not a readable SES_Signature"},
		{name: "signed value missing", parts: edit(good, "Doc_0/Signs/Sign_0/SignedValue.dat", func([]byte) []byte { return nil }),
			status: StatusInvalid, reason: "the signed value Doc_0/Signs/Sign_0/SignedValue.dat is missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parts := c.parts
			if c.opts != nil {
				o := pki.defaults()
				c.opts(&o)
				parts = genOFD(t, o)
			}
			rep, err := verifyOFDBytes(t, zipParts(t, parts), opts)
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Signatures[0]
			if s.Status != c.status || !anyContains(s.Reasons, c.reason) {
				t.Fatalf("status %s, want %s naming %q; reasons %q", s.Status, c.status, c.reason, s.Reasons)
			}
			if c.name == "signed after the seal expired" && s.ResultKey() != statusExpired {
				t.Errorf("wording %s, want %s", s.ResultKey(), statusExpired)
			}
		})
	}

	// ZIP tricks: an error that names the trick or the limit, never a verdict and never a panic.
	bomb := append(append([]zipPart(nil), good...), zipPart{"Doc_0/Res/bomb.bin", make([]byte, 8<<20)})
	for _, c := range []struct {
		name  string
		parts []zipPart
		want  error
		says  string
	}{
		{"duplicate entry names", append(append([]zipPart(nil), good...), zipPart{"Doc_0/Pages/Page_0/Content.xml", []byte("<ofd:Page/>")}), ofd.ErrDuplicateEntry, "Content.xml"},
		{"../ path", append(append([]zipPart(nil), good...), zipPart{"../../etc/cron.d/x", []byte("x")}), ofd.ErrUnsafePath, "../../etc/cron.d/x"},
		{"zip bomb", bomb, ofd.ErrLimit, "MaxRatio"},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := verifyOFDBytes(t, zipParts(t, c.parts), opts)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("err = %v, want %v naming %q", err, c.want, c.says)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	// A tighter budget from the caller is honoured.
	if _, err := verifyOFDBytes(t, zipParts(t, good), &Options{OFDLimits: &ofd.Limits{MaxEntries: 3}}); !errors.Is(err, ofd.ErrLimit) || !strings.Contains(err.Error(), "MaxEntries") {
		t.Errorf("MaxEntries: %v", err)
	}
}

// FuzzOFDVerify: whatever the bytes of a sealed package's parts, the verifier returns a report or
// an error, never a panic.
func FuzzOFDVerify(f *testing.F) {
	pki := newOFDPKI(f)
	good := genOFD(f, pki.defaults())
	f.Add(part(good, "Doc_0/Signs/Sign_0/SignedValue.dat"), part(good, "Doc_0/Signs/Sign_0/Signature.xml"))
	f.Fuzz(func(t *testing.T, value, sigXML []byte) {
		parts := edit(edit(good, "Doc_0/Signs/Sign_0/SignedValue.dat", func([]byte) []byte { return value }),
			"Doc_0/Signs/Sign_0/Signature.xml", func([]byte) []byte { return sigXML })
		b := zipParts(t, parts)
		rep, err := verifyOFDBytes(t, b, &Options{})
		if err == nil && len(rep.Signatures) == 0 {
			t.Fatal("a package with a signature list reported unsigned")
		}
	})
}

// TestOFDTimestamp: a v4 SES_Signature's time stamp (an RFC 3161 token over the signature value)
// dates the signature when it verifies and its authority is trusted; one over other bytes makes
// the signature invalid; an untrusted authority leaves the signer's time with a note; a claimed
// time well after the stamp is not trusted.
func TestOFDTimestamp(t *testing.T) {
	pk := newOFDPKI(t)
	tp := pkitest.New(t, &pkitest.Options{Now: time.Now, NoServer: true})
	auth, err := tsa.New(tsa.Options{Cert: tp.TSA, Key: tp.TSAKey, Chain: tp.Chain, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	stampOf := func(msg []byte) []byte {
		h := sha256.Sum256(msg)
		tok, err := auth.Timestamp(context.Background(), crypto.SHA256, h[:])
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	gen := func(f func(*sealOpts)) []byte {
		o := pk.defaults()
		f(&o)
		return zipParts(t, genOFD(t, o))
	}
	trusted := &Options{Trust: NewTrustStore(pk.root.cert, tp.Root)}

	for _, tagged := range []bool{false, true} {
		rep, err := verifyOFDBytes(t, gen(func(o *sealOpts) { o.timestamp, o.stampTagged = stampOf, tagged }), trusted)
		if err != nil {
			t.Fatal(err)
		}
		s := rep.Signatures[0]
		if rep.Verdict != StatusValid || !s.Timestamp.Present || !s.Timestamp.Valid || s.TimeSource != "timestamp" || s.Timestamp.Authority == "" {
			t.Fatalf("stamped (tagged %v): %s %+v %q %v", tagged, rep.Verdict, s.Timestamp, s.TimeSource, s.Reasons)
		}
		if at, err := time.Parse(time.RFC3339, s.SigningTime); err != nil || time.Since(at) > time.Minute || time.Since(at) < -time.Minute {
			t.Fatalf("signing time %q is not the stamp's", s.SigningTime)
		}
	}

	// the stamp is over other bytes: invalid
	rep, _ := verifyOFDBytes(t, gen(func(o *sealOpts) { o.timestamp = func([]byte) []byte { return stampOf([]byte("other")) } }), trusted)
	if rep.Verdict != StatusInvalid || !strings.Contains(strings.Join(rep.Signatures[0].Reasons, "; "), "SES time stamp: timestamp message imprint does not match") {
		t.Fatalf("stamp over other bytes: %s %v", rep.Verdict, rep.Signatures[0].Reasons)
	}

	// an authority nobody trusts: the signature stands on the signer's time, with a note
	rep, _ = verifyOFDBytes(t, gen(func(o *sealOpts) { o.timestamp = stampOf }), &Options{Trust: NewTrustStore(pk.root.cert)})
	if s := rep.Signatures[0]; rep.Verdict != StatusValid || s.Timestamp.Valid || s.TimeSource == "timestamp" {
		t.Fatalf("untrusted authority: %s %+v %q", rep.Verdict, s.Timestamp, s.TimeSource)
	}

	// the signer claims a time an hour after the stamp
	rep, _ = verifyOFDBytes(t, gen(func(o *sealOpts) { o.timestamp, o.signTime = stampOf, time.Now().Add(time.Hour) }), trusted)
	if rep.Verdict != StatusUntrusted || !strings.Contains(strings.Join(rep.Signatures[0].Reasons, "; "), "later than the time stamp") {
		t.Fatalf("claimed after the stamp: %s %v", rep.Verdict, rep.Signatures[0].Reasons)
	}

}
