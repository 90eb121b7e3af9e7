package verify

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"sealdesk/core/cms"
	"time"
)

// signedData is a parsed CMS SignedData (RFC 5652 §5).
type signedData struct {
	trailingJunk int // non-zero bytes after the ContentInfo in /Contents
	eContentType string
	eContent     []byte
	hasEContent  bool
	certs        []*certInfo
	badCerts     int
	crls         [][]byte
	signers      []*signerInfo
}

type signerInfo struct {
	sidIssuer []byte
	sidSerial *big.Int
	sidSKI    []byte

	digestOID    string
	digestParams *node

	signedAttrs    *node // the [0] IMPLICIT SET, nil when absent
	signedAttrsRaw [][]byte
	attrs          map[string][]node

	sigOID    string
	sigParams *node
	signature []byte

	unsigned map[string][]node
}

// Limits on CMS blobs: /Contents are rarely above 64 KB; LTV data in the attribute can be large.
const maxCMSSize = 16 << 20

func parseContentInfo(b []byte) (*signedData, error) {
	if len(b) > maxCMSSize {
		return nil, fmt.Errorf("CMS of %d bytes is larger than the %d limit", len(b), maxCMSSize)
	}
	// Bytes after the ContentInfo are tolerated: they lie in the excluded gap and are not signed
	// content; the ByteRange checks already pin the gap to the /Contents string. Anything but the
	// usual zero padding is named in the report (data hidden where no signature covers it).
	ci, rest, err := cms.ParseBER(b)
	if err != nil {
		return nil, fmt.Errorf("failed to parse CMS: %w", err)
	}
	junk := 0
	for _, c := range rest {
		if c != 0 {
			junk++
		}
	}
	if !ci.Is(0, cms.TagSequence) || len(ci.Children) < 2 {
		return nil, fmt.Errorf("failed to parse CMS: %w: not a ContentInfo", cms.ErrBER)
	}
	ct, err := ci.Children[0].OID()
	if err != nil {
		return nil, fmt.Errorf("failed to parse CMS content type: %w", err)
	}
	if ct != oidSignedData && ct != oidGMSigned {
		return nil, fmt.Errorf("CMS content type %s is not SignedData", ct)
	}
	wrap := &ci.Children[1]
	if !wrap.Is(2, 0) || len(wrap.Children) != 1 {
		return nil, fmt.Errorf("failed to parse CMS: %w: bad [0] content", cms.ErrBER)
	}
	sd, err := parseSignedData(&wrap.Children[0])
	if sd != nil {
		sd.trailingJunk = junk
	}
	return sd, err
}

func parseSignedData(sd *node) (*signedData, error) {
	if !sd.Is(0, cms.TagSequence) || len(sd.Children) < 4 {
		return nil, fmt.Errorf("failed to parse SignedData: %w", cms.ErrBER)
	}
	out := &signedData{}
	ch := sd.Children
	// version, digestAlgorithms SET, encapContentInfo
	eci := &ch[2]
	if !eci.Is(0, cms.TagSequence) || len(eci.Children) < 1 {
		return nil, fmt.Errorf("failed to parse EncapsulatedContentInfo: %w", cms.ErrBER)
	}
	var err error
	if out.eContentType, err = eci.Children[0].OID(); err != nil {
		return nil, fmt.Errorf("failed to parse eContentType: %w", err)
	}
	if len(eci.Children) > 1 {
		w := &eci.Children[1]
		if !w.Is(2, 0) || len(w.Children) != 1 {
			return nil, fmt.Errorf("failed to parse eContent: %w", cms.ErrBER)
		}
		out.hasEContent = true
		if w.Children[0].Is(0, cms.TagOctetString) {
			out.eContent = w.Children[0].Bytes()
		} else {
			// PKCS#7 v1.5 allowed any type here; the signed content is then its value bytes.
			out.eContent = w.Children[0].Content
		}
	}
	i := 3
	for ; i < len(ch)-1; i++ {
		switch {
		case ch[i].Is(2, 0):
			for _, c := range ch[i].Children {
				if !c.Is(0, cms.TagSequence) {
					continue // attribute certificates and other formats are not used for PDF signing
				}
				ci, err := parseCertInfo(c.Raw)
				if err != nil {
					out.badCerts++
					continue
				}
				out.certs = append(out.certs, ci)
			}
		case ch[i].Is(2, 1):
			for _, c := range ch[i].Children {
				out.crls = append(out.crls, c.Raw)
			}
		default:
			return nil, fmt.Errorf("failed to parse SignedData: %w: unexpected element", cms.ErrBER)
		}
	}
	sis := &ch[len(ch)-1]
	if !sis.Is(0, cms.TagSet) {
		return nil, fmt.Errorf("failed to parse SignerInfos: %w", cms.ErrBER)
	}
	for k := range sis.Children {
		si, err := parseSignerInfo(&sis.Children[k])
		if err != nil {
			return nil, err
		}
		out.signers = append(out.signers, si)
	}
	if len(out.signers) == 0 {
		return nil, errors.New("CMS has no SignerInfo")
	}
	return out, nil
}

func parseSignerInfo(n *node) (*signerInfo, error) {
	if !n.Is(0, cms.TagSequence) || len(n.Children) < 5 {
		return nil, fmt.Errorf("failed to parse SignerInfo: %w", cms.ErrBER)
	}
	si := &signerInfo{attrs: map[string][]node{}, unsigned: map[string][]node{}}
	ch := n.Children
	sid := &ch[1]
	switch {
	case sid.Is(0, cms.TagSequence) && len(sid.Children) == 2:
		si.sidIssuer = sid.Children[0].Raw
		s, err := sid.Children[1].Integer()
		if err != nil {
			return nil, fmt.Errorf("failed to parse signer serial: %w", err)
		}
		si.sidSerial = s
	case sid.Is(2, 0):
		si.sidSKI = sid.Bytes()
	default:
		return nil, fmt.Errorf("failed to parse SignerIdentifier: %w", cms.ErrBER)
	}
	var err error
	if si.digestOID, si.digestParams, err = ch[2].Algorithm(); err != nil {
		return nil, fmt.Errorf("failed to parse digestAlgorithm: %w", err)
	}
	i := 3
	if ch[i].Is(2, 0) {
		si.signedAttrs = &ch[i]
		if err := readAttrs(si.signedAttrs, si.attrs, true); err != nil {
			return nil, err
		}
		i++
	}
	if i+1 >= len(ch) {
		return nil, fmt.Errorf("failed to parse SignerInfo: %w: short", cms.ErrBER)
	}
	if si.sigOID, si.sigParams, err = ch[i].Algorithm(); err != nil {
		return nil, fmt.Errorf("failed to parse signatureAlgorithm: %w", err)
	}
	if !ch[i+1].Is(0, cms.TagOctetString) {
		return nil, fmt.Errorf("failed to parse signature value: %w", cms.ErrBER)
	}
	si.signature = ch[i+1].Bytes()
	if i+2 < len(ch) && ch[i+2].Is(2, 1) {
		if err := readAttrs(&ch[i+2], si.unsigned, false); err != nil {
			return nil, err
		}
	}
	return si, nil
}

// readAttrs collects attributes by type; the values of repeated instances are concatenated.
// RFC 5652 §11 forbids more than one instance only of content-type, message-digest and
// signing-time among the signed attributes (two signature-time-stamp attributes, as DSS writes,
// are legal), so only those are refused.
func readAttrs(set *node, into map[string][]node, signed bool) error {
	for k := range set.Children {
		a := &set.Children[k]
		if !a.Is(0, cms.TagSequence) || len(a.Children) != 2 || !a.Children[1].Is(0, cms.TagSet) {
			return fmt.Errorf("failed to parse attribute: %w", cms.ErrBER)
		}
		oid, err := a.Children[0].OID()
		if err != nil {
			return err
		}
		if _, dup := into[oid]; dup && signed && (oid == oidAttrContentType || oid == oidAttrMsgDigest || oid == oidAttrSigningTime) {
			return fmt.Errorf("attribute %s appears twice", oid)
		}
		into[oid] = append(into[oid], a.Children[1].Children...)
	}
	return nil
}

// signedAttrBytes returns the encodings a signature over the signed attributes may have been
// made over: the bytes as written with the [0] tag replaced by SET (RFC 5652 §5.4), and the DER
// re-encoding when the signer wrote BER or an unsorted SET OF.
func (si *signerInfo) signedAttrBytes() [][]byte {
	a := si.signedAttrs
	var out [][]byte
	if !a.Indefinite {
		b := append([]byte(nil), a.Raw...)
		b[0] = 0x31
		out = append(out, b)
	}
	cp := *a
	cp.Class, cp.Tag = 0, cms.TagSet
	d := cp.DER()
	if len(out) == 0 || !bytes.Equal(d[1:], out[0][1:]) {
		if len(d) > 0 {
			d = append([]byte(nil), d...)
			d[0] = 0x31
			out = append(out, d)
		}
	}
	return out
}

// cmsResult is what verifying one SignerInfo found.
type cmsResult struct {
	cert        *certInfo
	algorithm   string
	digest      digestAlg
	signingTime time.Time // signingTime attribute, zero if none
	problems    []string  // integrity failures: any one makes the signature invalid
	notes       []string  // remarks that do not change the verdict
}

func (r *cmsResult) fail(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// findSigner picks the certificate the SignerIdentifier names.
func (sd *signedData) findSigner(si *signerInfo, extra []*certInfo) *certInfo {
	for _, pool := range [][]*certInfo{sd.certs, extra} {
		for _, c := range pool {
			if si.sidSerial != nil && c.matchIssuerSerial(si.sidIssuer, si.sidSerial) {
				return c
			}
			if si.sidSKI != nil && c.matchSKI(si.sidSKI) {
				return c
			}
		}
	}
	return nil
}

// verifySigner checks one SignerInfo over content: content is the data the signature is about
// (the ByteRange, or the eContent when the CMS encapsulates it). contentDigest computes the digest
// of that data with a given algorithm.
func (sd *signedData) verifySigner(si *signerInfo, content signedInput, extraCerts []*certInfo) *cmsResult {
	r := &cmsResult{}
	cert := sd.findSigner(si, extraCerts)
	if cert == nil {
		r.fail("the signer's certificate is not in the signature")
		return r
	}
	r.cert = cert
	if cert.keyErr != nil {
		r.fail("signer key: %v", cert.keyErr)
		return r
	}
	dig, err := digestFor(si.digestOID, si.digestParams)
	if err != nil {
		r.fail("%v", err)
		return r
	}
	r.digest = dig // a weak digest or key is judged by the algorithm policy (algpolicy.go)
	if cert.x != nil && cert.x.BasicConstraintsValid && cert.x.IsCA {
		r.notes = append(r.notes, "the signer's certificate is a CA certificate (basicConstraints CA:TRUE), not an end-entity certificate")
	}
	if si.signedAttrs == nil {
		alg, note, err := verifySignatureResolved(cert.key, si.sigOID, si.sigParams, dig, si.signature, content)
		r.algorithm = alg
		if note != "" {
			r.notes = append(r.notes, note)
		}
		if err != nil {
			r.fail("signature value: %v", err)
		}
		return r
	}
	// Signed attributes: messageDigest over the content, content-type consistent, signature over
	// the attributes.
	md, ok := si.attrs[oidAttrMsgDigest]
	if !ok || len(md) != 1 || !md[0].Is(0, cms.TagOctetString) {
		r.fail("the messageDigest attribute is missing or malformed")
		return r
	}
	want, err := content.sum(dig)
	if err != nil {
		r.fail("digest: %v", err)
		return r
	}
	if subtle.ConstantTimeCompare(md[0].Bytes(), want) != 1 {
		r.fail("the messageDigest attribute does not match the signed bytes")
	}
	if _, ok := si.attrs[oidAttrContentType]; !ok {
		r.notes = append(r.notes, "the signed attributes lack the content-type attribute RFC 5652 §5.3 requires")
	}
	if ct, ok := si.attrs[oidAttrContentType]; ok {
		if len(ct) != 1 {
			r.fail("the content-type attribute is malformed")
		} else if o, err := ct[0].OID(); err != nil || (o != sd.eContentType && !(isDataOID(o) && isDataOID(sd.eContentType))) {
			r.fail("the content-type attribute does not match the encapsulated content type")
		}
	}
	if st, ok := si.attrs[oidAttrSigningTime]; ok && len(st) == 1 {
		if t, err := st[0].TimeValue(); err == nil {
			r.signingTime = t
		}
	}
	var sigErr error
	var note string
	for _, msg := range si.signedAttrBytes() {
		r.algorithm, note, sigErr = verifySignatureResolved(cert.key, si.sigOID, si.sigParams, dig, si.signature, signedInput{msg: msg})
		if sigErr == nil || !errors.Is(sigErr, errSignature) {
			break
		}
	}
	if note != "" {
		r.notes = append(r.notes, note)
	}
	if sigErr != nil {
		r.fail("signature value: %v", sigErr)
	}
	if err := checkSigningCertAttr(si, cert); err != nil {
		r.fail("%v", err)
	}
	return r
}

// checkSigningCertAttr binds the signer certificate through ESS signing-certificate(-v2) when the
// attribute is present (RFC 5035): the first ESSCertID's hash must be the signer certificate's.
func checkSigningCertAttr(si *signerInfo, cert *certInfo) error {
	for _, oid := range []string{oidAttrSigningCert2, oidAttrSigningCert} {
		vals, ok := si.attrs[oid]
		if !ok {
			continue
		}
		if len(vals) == 0 {
			return errors.New("the signing-certificate attribute is malformed")
		}
		// Every instance (repeated attributes are legal) must name the signer certificate.
		for k := range vals {
			if err := checkSigningCertValue(oid, &vals[k], cert); err != nil {
				return err
			}
		}
		return nil
	}
	return nil
}

func checkSigningCertValue(oid string, val *node, cert *certInfo) error {
	if !val.Is(0, cms.TagSequence) || len(val.Children) == 0 ||
		!val.Children[0].Is(0, cms.TagSequence) || len(val.Children[0].Children) == 0 {
		return errors.New("the signing-certificate attribute is malformed")
	}
	certs := &val.Children[0]
	first := &certs.Children[0]
	if !first.Is(0, cms.TagSequence) || len(first.Children) == 0 {
		return errors.New("the signing-certificate attribute is malformed")
	}
	var d digestAlg
	var hashNode *node
	if oid == oidAttrSigningCert {
		d = digestAlgs(oidSHA1)
		hashNode = &first.Children[0]
	} else {
		d = digestAlgs(oidSHA256)
		k := 0
		if first.Children[0].Is(0, cms.TagSequence) {
			ho, hp, err := first.Children[0].Algorithm()
			if err != nil {
				return errors.New("the signing-certificate-v2 attribute is malformed")
			}
			if d, err = digestFor(ho, hp); err != nil {
				return fmt.Errorf("signing-certificate-v2: %w", err)
			}
			k = 1
		}
		if k >= len(first.Children) {
			return errors.New("the signing-certificate-v2 attribute is malformed")
		}
		hashNode = &first.Children[k]
	}
	if !hashNode.Is(0, cms.TagOctetString) {
		return errors.New("the signing-certificate attribute is malformed")
	}
	h := d.New()
	h.Write(cert.raw)
	if !bytes.Equal(h.Sum(nil), hashNode.Content) {
		return errors.New("the signing-certificate attribute names a different certificate than the signer's")
	}
	return nil
}

// isDataOID: id-data, or its GM/T 0010 twin used by SM2 signatures.
func isDataOID(o string) bool { return o == oidData || o == oidGMData }

// node is core/cms's BER/DER element: the one reader of ASN.1 that the verifier, the signer and
// the TSA share.
type node = cms.Node
