package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sort"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
)

// The encoding/asn1 encoder the hand-written DER writer (der.go) replaced, kept as the
// reference: for the same inputs both must write the same bytes.

// refMarshal encodes, the old way, the SignedData that opts (Digest or Content set) with the
// given signature value and unsigned attributes describes.
func refMarshal(opts SignOptions, signature []byte, unsigned []Attribute, withoutCerts bool) ([]byte, error) {
	if opts.Hash == 0 {
		opts.Hash = crypto.SHA256
	}
	hoid, err := HashOID(opts.Hash)
	if err != nil {
		return nil, err
	}
	isSM2 := IsSM2(opts.Cert.PublicKey)
	if isSM2 {
		hoid = OIDSM3
	}
	if opts.ContentType == nil {
		opts.ContentType = OIDData
	}
	sigAlg, _, err := refSignatureAlgorithm(opts.Cert.PublicKey, opts.Hash, opts.PSS)
	if err != nil {
		return nil, err
	}
	if isSM2 && opts.GMOIDs {
		sigAlg = pkix.AlgorithmIdentifier{Algorithm: OIDSM2Sign}
		if opts.ContentType.Equal(OIDData) {
			opts.ContentType = OIDGMData
		}
	}
	digestAlg := pkix.AlgorithmIdentifier{Algorithm: hoid, Parameters: asn1.NullRawValue}
	if isSM2 {
		digestAlg.Parameters = asn1.RawValue{}
	}
	version := 1
	if !opts.ContentType.Equal(OIDData) && !opts.ContentType.Equal(OIDGMData) {
		version = 3
	}
	var certs [][]byte
	seen := map[string]bool{}
	for _, c := range append([]*x509.Certificate{opts.Cert}, opts.Chain...) {
		if c == nil || seen[string(c.Raw)] {
			continue
		}
		seen[string(c.Raw)] = true
		certs = append(certs, c.Raw)
	}
	if withoutCerts {
		certs = nil
	}
	ias, err := asn1.Marshal(refIssuerAndSerial{Issuer: asn1.RawValue{FullBytes: opts.Cert.RawIssuer}, Serial: opts.Cert.SerialNumber})
	if err != nil {
		return nil, err
	}
	scv2, err := refSigningCertificateV2(opts.Cert, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	digest := opts.Digest
	if opts.Content != nil {
		hh := NewHash(opts.Cert.PublicKey, opts.Hash)
		hh.Write(opts.Content)
		digest = hh.Sum(nil)
	}
	attrs := []Attribute{
		refAttr(OIDAttrContentType, refMustMarshal(opts.ContentType)),
		refAttr(OIDAttrMessageDigest, refMustMarshal(digest)),
	}
	if opts.SigningTime != nil {
		attrs = append(attrs, refAttr(OIDAttrSigningTime, refMustMarshal(opts.SigningTime.UTC())))
	}
	attrs = append(attrs, refAttr(OIDAttrSigningCertV2, scv2))
	attrs = append(attrs, opts.ExtraSigned...)
	signedAttrs, err := refMarshalAttrSet(attrs)
	if err != nil {
		return nil, err
	}
	si := refSignerInfo{
		Version:            1,
		SID:                asn1.RawValue{FullBytes: ias},
		DigestAlgorithm:    digestAlg,
		SignedAttrs:        refImplicitSet(0, signedAttrs),
		SignatureAlgorithm: sigAlg,
		Signature:          signature,
	}
	if len(unsigned) > 0 {
		set, err := refMarshalAttrSet(unsigned)
		if err != nil {
			return nil, err
		}
		si.UnsignedAttrs = refImplicitSet(1, set)
	}
	siDER, err := asn1.Marshal(si)
	if err != nil {
		return nil, err
	}
	d := refSignedData{
		Version:          version,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{digestAlg},
		EncapContentInfo: refEncapContentInfo{EContentType: opts.ContentType},
		SignerInfos:      []asn1.RawValue{{FullBytes: siDER}},
	}
	if opts.Content != nil {
		oct, _ := asn1.Marshal(opts.Content)
		d.EncapContentInfo.EContent = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: oct}
	}
	if len(certs) > 0 {
		d.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: bytes.Join(certs, nil)}
	}
	sdDER, err := asn1.Marshal(d)
	if err != nil {
		return nil, err
	}
	ct := OIDSignedData
	if isSM2 && opts.GMOIDs {
		ct = OIDGMSignedData
	}
	return asn1.Marshal(refContentInfo{ContentType: ct,
		Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}})
}

type refIssuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type refSignerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional"`
}

type refEncapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     asn1.RawValue `asn1:"optional"`
}

type refSignedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo refEncapContentInfo
	Certificates     asn1.RawValue   `asn1:"optional"`
	CRLs             asn1.RawValue   `asn1:"optional"`
	SignerInfos      []asn1.RawValue `asn1:"set"`
}

type refContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue // [0] EXPLICIT, tagged by hand
}

func refSignatureAlgorithm(pub crypto.PublicKey, h crypto.Hash, pss bool) (pkix.AlgorithmIdentifier, crypto.SignerOpts, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return pkix.AlgorithmIdentifier{}, nil, fmt.Errorf("%w: rsa-%d", errUnsupportedAlgorithm, k.N.BitLen())
		}
		if pss {
			params, err := refPssParams(h)
			if err != nil {
				return pkix.AlgorithmIdentifier{}, nil, err
			}
			return pkix.AlgorithmIdentifier{Algorithm: OIDRSAPSS, Parameters: params},
				&rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}, nil
		}
		return pkix.AlgorithmIdentifier{Algorithm: OIDRSAEncryption, Parameters: asn1.NullRawValue}, h, nil
	case *ecdsa.PublicKey:
		if k.Curve == sm2.P256() {
			return pkix.AlgorithmIdentifier{Algorithm: OIDSM2SM3}, sm2.NewSM2SignerOption(true, nil), nil
		}
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return pkix.AlgorithmIdentifier{}, nil, fmt.Errorf("%w: curve %s", errUnsupportedAlgorithm, k.Curve.Params().Name)
		}
		return pkix.AlgorithmIdentifier{Algorithm: ecdsaOID(h)}, h, nil
	case ed25519.PublicKey:
		return pkix.AlgorithmIdentifier{Algorithm: OIDEd25519}, crypto.Hash(0), nil
	}
	return pkix.AlgorithmIdentifier{}, nil, fmt.Errorf("%w: key %T", errUnsupportedAlgorithm, pub)
}

type refPssParameters struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"explicit,tag:0"`
	MGF          pkix.AlgorithmIdentifier `asn1:"explicit,tag:1"`
	SaltLength   int                      `asn1:"explicit,tag:2"`
	TrailerField int                      `asn1:"optional,explicit,tag:3,default:1"`
}

func refPssParams(h crypto.Hash) (asn1.RawValue, error) {
	hoid, err := HashOID(h)
	if err != nil {
		return asn1.RawValue{}, err
	}
	halg := pkix.AlgorithmIdentifier{Algorithm: hoid, Parameters: asn1.NullRawValue}
	mgfParams, _ := asn1.Marshal(halg)
	der, err := asn1.Marshal(refPssParameters{
		Hash: halg, MGF: pkix.AlgorithmIdentifier{Algorithm: OIDMGF1, Parameters: asn1.RawValue{FullBytes: mgfParams}},
		SaltLength: h.Size(), TrailerField: 1,
	})
	if err != nil {
		return asn1.RawValue{}, err
	}
	return asn1.RawValue{FullBytes: der}, nil
}

func refSigningCertificateV2(cert *x509.Certificate, h crypto.Hash) ([]byte, error) {
	hoid, err := HashOID(h)
	if err != nil {
		return nil, err
	}
	hh := h.New()
	hh.Write(cert.Raw)
	dirName, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: cert.RawIssuer})
	if err != nil {
		return nil, err
	}
	generalNames, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: dirName})
	if err != nil {
		return nil, err
	}
	serial, err := asn1.Marshal(cert.SerialNumber)
	if err != nil {
		return nil, err
	}
	issuerSerial, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: append(generalNames, serial...)})
	var body []byte
	if h != crypto.SHA256 {
		alg, _ := asn1.Marshal(pkix.AlgorithmIdentifier{Algorithm: hoid, Parameters: asn1.NullRawValue})
		body = append(body, alg...)
	}
	certHash, _ := asn1.Marshal(hh.Sum(nil))
	body = append(body, certHash...)
	body = append(body, issuerSerial...)
	essCertID, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	certs, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: essCertID})
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: certs})
}

func refAttr(oid asn1.ObjectIdentifier, value []byte) Attribute {
	return Attribute{Type: oid, Values: []asn1.RawValue{{FullBytes: value}}}
}

func refMustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cms: marshal %T: %v", v, err))
	}
	return b
}

func refMarshalAttrSet(attrs []Attribute) ([]byte, error) {
	enc := make([][]byte, 0, len(attrs))
	for _, a := range attrs {
		b, err := asn1.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("failed to encode attribute %v: %w", a.Type, err)
		}
		enc = append(enc, b)
	}
	sort.Slice(enc, func(i, j int) bool { return bytes.Compare(enc[i], enc[j]) < 0 })
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: bytes.Join(enc, nil)})
}

func refImplicitSet(tag int, set []byte) asn1.RawValue {
	var rv asn1.RawValue
	if _, err := asn1.Unmarshal(set, &rv); err != nil {
		panic("cms: re-tag of own encoding failed: " + err.Error())
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: rv.Bytes}
}

// TestDERMatchesASN1 signs with every key type, hash and option the package supports and
// checks that the hand-written encoder writes exactly what encoding/asn1 wrote, and that
// MaxSize is what it was.
func TestDERMatchesASN1(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	type key struct {
		name string
		cert *x509.Certificate
		key  crypto.Signer
	}
	var keys []key
	for _, kt := range []pki.KeyType{pki.ECDSAP256, pki.ECDSAP384, pki.RSA2048, pki.RSA3072, pki.Ed25519, pki.SM2} {
		cert, k := p.Leaf(t, "der "+string(kt), kt)
		keys = append(keys, key{string(kt), cert, k})
	}
	// P-521 and a serial number with its high bit set (a leading zero octet), self-signed.
	k521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: new(big.Int).SetBytes([]byte{0x80, 1, 2, 3, 4, 5, 6, 7, 8}), Subject: pkix.Name{CommonName: "P-521"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k521.PublicKey, k521)
	if err != nil {
		t.Fatal(err)
	}
	c521, _ := x509.ParseCertificate(der)
	keys = append(keys, key{"ecdsa-p521", c521, k521})

	digest := func(k key, h crypto.Hash) []byte {
		hh := NewHash(k.cert.PublicKey, h)
		hh.Write([]byte("the bytes a byte range covers"))
		return hh.Sum(nil)
	}
	tok := func(n int) []byte {
		b, _ := asn1.Marshal(struct {
			T asn1.ObjectIdentifier
			C []byte
		}{OIDSignedData, bytes.Repeat([]byte{0x5a}, n)})
		return b
	}
	st := time.Date(2026, 12, 5, 18, 30, 7, 999, time.FixedZone("CST", 8*3600))
	st2051 := time.Date(2051, 1, 2, 3, 4, 5, 0, time.UTC)
	st1949 := time.Date(1949, 12, 31, 23, 59, 59, 0, time.UTC)
	extra := []Attribute{
		// Several values given out of DER order, one by its parts with a high tag number.
		{Type: asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}, Values: []asn1.RawValue{
			{FullBytes: []byte{0x30, 3, 2, 1, 9}},
			{FullBytes: []byte{0x30, 1, 0}},
			{Class: asn1.ClassContextSpecific, Tag: 40, IsCompound: true, Bytes: []byte{5, 0}},
			{Class: asn1.ClassUniversal, Tag: asn1.TagOctetString, Bytes: bytes.Repeat([]byte{1}, 200)},
		}},
		{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 4}, Values: []asn1.RawValue{{FullBytes: []byte{0x04, 2, 0xca, 0xfe}}}},
	}
	type variant struct {
		name     string
		hash     crypto.Hash
		pss, gm  bool
		content  bool // encapsulated TSTInfo, as the TSA signs
		time     *time.Time
		extra    []Attribute
		unsigned [][]byte // timestamp tokens added before Marshal
		chain    []*x509.Certificate
		noCerts  bool
	}
	variants := []variant{
		{name: "plain"},
		{name: "sha384", hash: crypto.SHA384},
		{name: "sha512", hash: crypto.SHA512},
		{name: "pss", pss: true},
		{name: "pss-sha512", hash: crypto.SHA512, pss: true},
		{name: "gm", gm: true},
		{name: "timestamp", unsigned: [][]byte{tok(3000)}},
		{name: "two-unsigned-long", unsigned: [][]byte{tok(70000), tok(10)}},
		{name: "tstinfo", content: true, time: &st},
		{name: "time-2051", time: &st2051},
		{name: "time-1949", time: &st1949},
		{name: "extra", extra: extra},
		{name: "duplicate-chain", chain: append([]*x509.Certificate{nil, p.Chain[0]}, p.Chain...)},
		{name: "no-chain", chain: []*x509.Certificate{}},
		{name: "without-certificates", noCerts: true, unsigned: [][]byte{tok(100)}},
	}
	n := 0
	for _, k := range keys {
		for _, v := range variants {
			if v.pss && k.name[:3] != "rsa" || v.gm && k.name != "sm2" {
				continue
			}
			if k.name == "ed25519" && v.hash != 0 {
				continue
			}
			name := k.name + "/" + v.name
			opts := SignOptions{Signer: k.key, Cert: k.cert, Chain: p.Chain, Hash: v.hash, PSS: v.pss, GMOIDs: v.gm, SigningTime: v.time, ExtraSigned: v.extra}
			if v.chain != nil {
				opts.Chain = v.chain
			}
			if v.content {
				opts.Content, opts.ContentType = []byte{0x30, 3, 2, 1, 1}, OIDTSTInfo
			} else {
				opts.Digest = digest(k, v.hash)
			}
			max, err := MaxSize(opts, 0)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sd, err := Sign(opts)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, tk := range v.unsigned {
				sd.AddTimestamp(tk)
			}
			if v.noCerts {
				sd = sd.WithoutCertificates()
			}
			got, err := sd.Marshal()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want, err := refMarshal(opts, sd.SignatureValue(), sd.unsigned, v.noCerts)
			if err != nil {
				t.Fatalf("%s: reference: %v", name, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: encodings differ\n got %x\nwant %x", name, got, want)
			}
			// MaxSize as before: the reference encoding with the largest signature.
			sigMax, _ := maxSignatureSize(k.cert.PublicKey)
			wantMax, err := refMarshal(opts, make([]byte, sigMax), nil, false)
			if err != nil {
				t.Fatal(err)
			}
			if max != len(wantMax) {
				t.Errorf("%s: MaxSize %d, the reference says %d", name, max, len(wantMax))
			}
			if len(v.unsigned) == 0 && !v.noCerts && len(got) > max {
				t.Errorf("%s: %d bytes above MaxSize %d", name, len(got), max)
			}
			n++
		}
	}
	if n < 60 {
		t.Errorf("only %d combinations compared", n)
	}
}

// TestDERPieces compares the small encoders with encoding/asn1 over edge values.
func TestDERPieces(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 255, 256, 32767, 32768, 1 << 40, -1, -127, -128, -129, -255, -256, -257, -32768, -32769, -(1 << 40)} {
		for _, x := range []*big.Int{big.NewInt(v), new(big.Int).Lsh(big.NewInt(v), 100)} {
			want, _ := asn1.Marshal(x)
			if got := encodeBigInt(x); !bytes.Equal(got, want) {
				t.Errorf("integer %v: %x, want %x", x, got, want)
			}
		}
	}
	for _, v := range []int{0, 1, 20, 32, 64, 127, 128, 255, 256, 32767} {
		want, _ := asn1.Marshal(v)
		if got := appendSmallInt(nil, v); !bytes.Equal(got, want) || smallIntLen(v) != len(want) {
			t.Errorf("small integer %d: %x, want %x", v, got, want)
		}
	}
	for _, n := range []int{0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 24} {
		want, _ := asn1.Marshal(asn1.RawValue{Tag: asn1.TagOctetString, Bytes: make([]byte, n)})
		if got := appendTLV(nil, tagOctetString, make([]byte, n)); !bytes.Equal(got, want) || tlv(n) != len(want) {
			t.Errorf("length %d: header %x, want %x", n, got[:min(len(got), 6)], want[:6])
		}
	}
	for _, oid := range []asn1.ObjectIdentifier{OIDData, OIDSignedData, OIDGMSignedData, OIDSM2Sign, {2, 999, 3}, {1, 39}, {0, 0}, {2, 5, 29, 1 << 30}} {
		want, _ := asn1.Marshal(oid)
		if got, err := encodeOID(oid); err != nil || !bytes.Equal(got, want) {
			t.Errorf("oid %v: %x %v, want %x", oid, got, err, want)
		}
	}
	// encoding/asn1 refuses these too, except a negative arc, which it writes as garbage.
	for _, oid := range []asn1.ObjectIdentifier{{1}, {3, 1}, {1, 40}, {1, 2, -3}} {
		if _, err := encodeOID(oid); err == nil {
			t.Errorf("oid %v accepted", oid)
		}
	}
	for _, c := range []struct {
		der []byte
		oid asn1.ObjectIdentifier
	}{
		{oidSignedDataDER, OIDSignedData}, {oidGMSignedDataDER, OIDGMSignedData},
		{oidAttrContentTypeDER, OIDAttrContentType}, {oidAttrMessageDigestDER, OIDAttrMessageDigest},
		{oidAttrSigningTimeDER, OIDAttrSigningTime}, {oidAttrSigningCertV2DER, OIDAttrSigningCertV2},
	} {
		if want, _ := asn1.Marshal(c.oid); !bytes.Equal(c.der, want) {
			t.Errorf("constant for %v: %x, want %x", c.oid, c.der, want)
		}
	}
	loc := time.FixedZone("X", -5*3600-1800)
	for _, y := range []int{0, 1, 999, 1949, 1950, 1999, 2000, 2026, 2049, 2050, 9999} {
		tm := time.Date(y, 7, 9, 1, 2, 3, 4, loc)
		want, werr := asn1.Marshal(tm.UTC())
		got, err := encodeTime(tm)
		if !bytes.Equal(got, want) || (err == nil) != (werr == nil) {
			t.Errorf("time %v: %x %v, want %x %v", tm, got, err, want, werr)
		}
	}
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		want, _ := refPssParams(h)
		if got, _ := pssParams(h); !bytes.Equal(got, want.FullBytes) {
			t.Errorf("pss %v: %x, want %x", h, got, want.FullBytes)
		}
	}
}
