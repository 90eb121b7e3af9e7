package verify

import (
	"bytes"
	"fmt"
	"io"
	"sealdesk/core/cms"
	"time"

	"sealdesk/core/pdf"
)

// SubFilters.
const (
	subCAdES     = "ETSI.CAdES.detached"
	subPKCS7Det  = "adbe.pkcs7.detached"
	subPKCS7SHA1 = "adbe.pkcs7.sha1"
	subX509SHA1  = "adbe.x509.rsa_sha1"
	subRFC3161   = "ETSI.RFC3161"
)

// rangeHasher digests the signed byte ranges of the file, once per algorithm.
type rangeHasher struct {
	r      io.ReaderAt
	data   []byte     // the whole file when in memory (then r is not used)
	ranges [][2]int64 // [offset, length]
	cache  map[string][]byte
	shared *fileDigests // the file's shared pass (nil: hash the ranges here)
}

func (h *rangeHasher) digest(d digestAlg) ([]byte, error) {
	key := d.oid + fmt.Sprint(d.size)
	if v, ok := h.cache[key]; ok {
		return v, nil
	}
	if h.shared != nil {
		if sum := h.shared.digest(d, h.ranges); sum != nil {
			return sum, nil
		}
	}
	hh := d.New()
	if h.data != nil {
		for _, rg := range h.ranges {
			if !pdf.InRange(rg[0], rg[1], int64(len(h.data))) {
				return nil, fmt.Errorf("signed range %v outside the file", rg)
			}
			hh.Write(h.data[rg[0] : rg[0]+rg[1]])
		}
		sum := hh.Sum(nil)
		if h.cache == nil {
			h.cache = map[string][]byte{}
		}
		h.cache[key] = sum
		return sum, nil
	}
	total := int64(0)
	for _, rg := range h.ranges {
		total += rg[1]
	}
	buf := make([]byte, min(total, 1<<20)+1)
	for _, rg := range h.ranges {
		off, n := rg[0], rg[1]
		for n > 0 {
			k := int64(len(buf))
			if n < k {
				k = n
			}
			m, err := h.r.ReadAt(buf[:k], off)
			if int64(m) < k {
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				return nil, fmt.Errorf("failed to read signed bytes at %d: %w", off, err)
			}
			hh.Write(buf[:k])
			off += k
			n -= k
		}
	}
	sum := hh.Sum(nil)
	if h.cache == nil {
		h.cache = map[string][]byte{}
	}
	h.cache[key] = sum
	return sum, nil
}

func (h *rangeHasher) input() signedInput { return signedInput{digest: h.digest} }

// cryptoCheck is the outcome of the cryptographic part of one PDF signature.
type cryptoCheck struct {
	sd          *signedData
	cms         *cmsResult      // the reported signer
	timestamp   *timestampCheck // signature timestamp, or the token of a document timestamp
	problems    []string
	notes       []string
	certs       []*certInfo // every certificate the signature carries (signer, chain, TSA)
	revocation  revocationData
	signingTime time.Time // claimed (signingTime attribute)
	// sha1Document: the document bytes are hashed with SHA-1 whatever the CMS digest
	// (adbe.pkcs7.sha1), for the algorithm policy (algpolicy.go).
	sha1Document bool
	// unbound: why the signer certificate is not bound to the signature as the SubFilter
	// requires (reasonUnboundCAdES); the signature is then not trusted.
	unbound string
}

// The signer certificate's binding by the signed attribute signing-certificate(-v2) (RFC 5035,
// RFC 2634): the CMS's certificates and the SignerInfo's sid are not signed, so without it
// another certificate for the same key (a re-issue with other names, a renewal, one not revoked)
// can replace the signer's after signing. ETSI.CAdES.detached requires it (ETSI EN 319 122-1
// 5.2.2.3, EN 319 142-1 for PAdES): without it the signature is not trusted. Adobe's older
// adbe.pkcs7.detached and adbe.pkcs7.sha1 signatures often lack it: they are judged as before,
// with reasonUnboundPKCS7 among the reasons.
const (
	reasonUnboundCAdES = "the signer certificate is not bound to the signature: ETSI.CAdES.detached requires the signing-certificate-v2 attribute (ETSI EN 319 122-1, EN 319 142-1), without which another certificate for the same key can replace it after signing"
	reasonUnboundPKCS7 = "the signer certificate is not bound by a signed signing-certificate attribute: another certificate for the same key could replace it after signing without breaking the signature"
)

// checkSignatureCrypto verifies the CMS (or PKCS#1 for adbe.x509.rsa_sha1) of a signature
// dictionary whose byte ranges are already known to be well-formed.
func checkSignatureCrypto(subFilter string, contents []byte, certEntry [][]byte, h *rangeHasher, extra ...*certInfo) *cryptoCheck {
	cc := &cryptoCheck{}
	if len(contents) == 0 {
		cc.problems = append(cc.problems, "the signature value (/Contents) is empty")
		return cc
	}
	switch subFilter {
	case subX509SHA1:
		return checkX509RSASHA1(contents, certEntry, h)
	case subRFC3161:
		tc, err := checkTimestampToken(contents, h.input())
		if err != nil {
			cc.problems = append(cc.problems, "document timestamp: "+err.Error())
			return cc
		}
		cc.sd = tc.sd
		cc.cms = tc.cms
		cc.timestamp = tc
		cc.problems = append(cc.problems, tc.problems...)
		cc.problems = append(cc.problems, tc.cms.problems...)
		cc.certs = tc.sd.certs
		cc.revocation.crls = append(cc.revocation.crls, tc.sd.crls...)
		return cc
	case subCAdES, subPKCS7Det, subPKCS7SHA1:
	case "":
		// The SubFilter says how the signature value relates to the signed bytes; without it
		// nobody can say what was signed (a CMS that happens to verify proves nothing).
		cc.problems = append(cc.problems, "the signature dictionary has no /SubFilter, so what the signature covers is not defined")
		return cc
	default:
		cc.problems = append(cc.problems, fmt.Sprintf("unknown /SubFilter %q: what the signature covers cannot be determined", subFilter))
		return cc
	}
	sd, err := parseContentInfo(contents)
	if err != nil {
		cc.problems = append(cc.problems, err.Error())
		return cc
	}
	cc.sd = sd
	cc.certs = sd.certs
	cc.revocation.crls = append(cc.revocation.crls, sd.crls...)
	if sd.badCerts > 0 {
		cc.notes = append(cc.notes, fmt.Sprintf("%d embedded certificates could not be parsed", sd.badCerts))
	}
	if sd.trailingJunk > 0 {
		cc.notes = append(cc.notes, fmt.Sprintf("/Contents holds %d non-zero bytes after the CMS structure (unsigned data, ignored)", sd.trailingJunk))
	}
	content := h.input()
	if subFilter == subPKCS7SHA1 {
		// The SHA-1 of the byte ranges is the encapsulated content, and the CMS signs that.
		if !isDataOID(sd.eContentType) || !sd.hasEContent {
			cc.problems = append(cc.problems, "adbe.pkcs7.sha1 signature without encapsulated content")
			return cc
		}
		want, err := h.digest(digestAlgs(oidSHA1))
		if err != nil {
			cc.problems = append(cc.problems, err.Error())
			return cc
		}
		if !bytes.Equal(sd.eContent, want) {
			cc.problems = append(cc.problems, "the SHA-1 digest in the signature does not match the signed bytes")
		}
		content = signedInput{msg: sd.eContent}
		cc.sha1Document = true
	} else {
		if sd.hasEContent {
			cc.problems = append(cc.problems, "a detached signature must not carry encapsulated content")
			return cc
		}
		if !isDataOID(sd.eContentType) {
			cc.problems = append(cc.problems, "the signed content type is not id-data")
		}
	}
	if len(sd.signers) > 1 {
		cc.notes = append(cc.notes, fmt.Sprintf("the CMS carries %d SignerInfos; all were checked", len(sd.signers)))
	}
	for i, si := range sd.signers {
		r := sd.verifySigner(si, content, extra)
		if i == 0 {
			cc.cms = r
			cc.signingTime = r.signingTime
		}
		for _, p := range r.problems {
			if len(sd.signers) > 1 {
				p = fmt.Sprintf("SignerInfo %d: %s", i+1, p)
			}
			cc.problems = append(cc.problems, p)
		}
		cc.notes = append(cc.notes, r.notes...)
		if ri, ok := si.attrs[oidAttrAdbeRevInfo]; ok {
			cc.revocation.add(parseAdbeRevInfo(ri))
		}
	}
	si := sd.signers[0]
	if _, v2 := si.attrs[oidAttrSigningCert2]; !v2 && cc.cms != nil && cc.cms.cert != nil {
		// The certificate set and the SignerInfo's sid are not signed: without a signed
		// signing-certificate attribute another certificate for the same key can replace the
		// signer's after signing, and the report would show its identity (red team s10 WIN 3).
		// (One that names another certificate failed in checkSigningCertAttr.)
		_, v1 := si.attrs[oidAttrSigningCert]
		switch {
		case subFilter == subCAdES && !v1:
			cc.unbound = reasonUnboundCAdES
		case subFilter != subCAdES && !v1:
			cc.notes = append(cc.notes, reasonUnboundPKCS7)
		}
	}
	// Every signature timestamp is checked (one attribute may hold several tokens, or the
	// attribute may repeat): the first that verifies dates the signature; one that does not
	// verify beside it is a note, since it is unsigned data that decides nothing.
	toks := si.unsigned[oidAttrTimestamp]
	for k := range toks {
		tc, err := checkTimestampToken(toks[k].Raw, signedInput{msg: si.signature})
		if err != nil {
			tc = &timestampCheck{problems: []string{err.Error()}, cms: &cmsResult{}}
		} else {
			cc.certs = append(cc.certs, tc.sd.certs...)
			cc.revocation.crls = append(cc.revocation.crls, tc.sd.crls...)
		}
		switch {
		case cc.timestamp == nil:
			cc.timestamp = tc
		case !cc.timestamp.ok() && tc.ok():
			cc.notes = append(cc.notes, fmt.Sprintf("signature timestamp 1 of %d does not verify; a later one does", len(toks)))
			cc.timestamp = tc
		case !tc.ok():
			cc.notes = append(cc.notes, fmt.Sprintf("signature timestamp %d of %d does not verify", k+1, len(toks)))
		}
	}
	return cc
}

// checkX509RSASHA1 verifies the legacy adbe.x509.rsa_sha1 format: /Contents is a DER OCTET
// STRING holding a PKCS#1 v1.5 RSA signature over the SHA-1 of the byte ranges, /Cert the
// signer's certificate (first) and its chain.
func checkX509RSASHA1(contents []byte, certEntry [][]byte, h *rangeHasher) *cryptoCheck {
	cc := &cryptoCheck{}
	if len(certEntry) == 0 {
		cc.problems = append(cc.problems, "adbe.x509.rsa_sha1 signature without /Cert")
		return cc
	}
	for _, raw := range certEntry {
		c, err := parseCertInfo(raw)
		if err != nil {
			cc.problems = append(cc.problems, err.Error())
			return cc
		}
		cc.certs = append(cc.certs, c)
	}
	n, err := cms.ParseBERStrict(contents)
	if err != nil || !n.Is(0, cms.TagOctetString) {
		cc.problems = append(cc.problems, "adbe.x509.rsa_sha1 /Contents is not an OCTET STRING")
		return cc
	}
	signer := cc.certs[0]
	r := &cmsResult{cert: signer, digest: digestAlgs(oidSHA1)}
	cc.cms = r
	if signer.key.alg != "rsa" {
		r.fail("adbe.x509.rsa_sha1 requires an RSA key")
	} else {
		sum, err := h.digest(digestAlgs(oidSHA1))
		if err != nil {
			r.fail("%v", err)
		} else if err := verifyPKCS1v15(signer.key.rsa, digestAlgs(oidSHA1), sum, n.Bytes()); err != nil {
			r.fail("signature value: %v", err)
		}
		r.algorithm = "RSA-SHA1"
	}
	cc.problems = append(cc.problems, r.problems...)
	cc.notes = append(cc.notes, r.notes...)
	return cc
}
