package verify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"image"
	_ "image/gif"  // seal pictures
	_ "image/jpeg" // seal pictures
	_ "image/png"  // seal pictures
	"io"
	"sort"
	"strings"
	"time"

	"sealdesk/core/cms"
	"sealdesk/core/ofd"

	"github.com/emmansun/gmsm/sm3"
	_ "golang.org/x/image/bmp" // seal pictures
)

// OFD verification (GB/T 33190 packages with GB/T 38540 / GM/T 0031 seals, GB/T 35275 and bare
// SM2 signatures, the ofdrw integrity list), following ../shared/ofd/README.md. The report has the
// same shape and verdict words as for a PDF; what only an OFD has (the seal, where its picture
// is drawn) is in Signature.Seal and Report.OFD, outside the JSON contract.

// OFDInfo is what an OFD report adds for the desktop; not part of the JSON report.
type OFDInfo struct {
	Package *ofd.Package
	// Uncovered names the parts no signature covers (signature descriptions and values, which
	// cannot cover themselves, left out; the signature list is named: rewriting it can hide a
	// signature).
	Uncovered []string
}

// SealInfo describes an OFD signature for the card: the seal (for Type "Seal"), its picture and
// where the picture is drawn; not part of the JSON report.
type SealInfo struct {
	Type          string // "Seal", "Sign" or "Integrity"
	SESVersion    int    // layout: 1 (GM/T 0031-2014) or 4 (GB/T 38540-2020); 0 for Sign
	HeaderVersion int    // SES_Header.version
	Name          string // seal name
	ESID          string
	Vid           string
	Maker         Signer // the seal maker's certificate
	PictureType   string
	Picture       []byte
	PictureW      int // mm
	PictureH      int
	ValidFrom     time.Time
	ValidTo       time.Time
	Stamps        []Stamp
	References    int // files the signature lists
}

// Stamp is one place a seal picture is drawn (a StampAnnot).
type Stamp struct {
	Page    int     // 1-based; 0 when PageRef names no page
	Box     ofd.Box // mm from the page's top-left corner
	Clip    ofd.Box
	HasClip bool
}

// Wording keys of ResultKey for OFD signatures (statuses stay those of the JSON contract).
const (
	statusExpired       Verdict = "untrusted-expired"
	statusIntegrityOnly Verdict = "untrusted-integrity-only"
)

func isZip(b []byte) bool { return len(b) >= 4 && string(b[:4]) == "PK\x03\x04" }

// ofdSig is one OFD signature being verified.
type ofdSig struct {
	rep      Signature
	problems []string // integrity failures: invalid
	changed  []string // covered parts changed or missing: modified after signing
	trust    []string // reasons it is not trusted
	notes    []string // remarks that change nothing
	expired  bool
	unknown  bool // an SES version this verifier does not know
}

func (s *ofdSig) fail(format string, a ...any) {
	s.problems = append(s.problems, fmt.Sprintf(format, a...))
}
func (s *ofdSig) untrust(format string, a ...any) {
	s.trust = append(s.trust, fmt.Sprintf(format, a...))
}
func (s *ofdSig) note(format string, a ...any) { s.notes = append(s.notes, fmt.Sprintf(format, a...)) }

func (s *ofdSig) finish() Signature {
	r := &s.rep
	r.Reasons = append(append(append(append([]string{}, s.problems...), s.changed...), s.trust...), s.notes...)
	r.Changes = append([]string{}, s.changed...)
	switch {
	case len(s.problems) > 0:
		r.Status, r.Integrity = StatusInvalid, "invalid"
	case len(s.changed) > 0:
		r.Status, r.Integrity, r.ChangesAfter = StatusModified, "invalid", "disallowed"
	case len(s.trust) > 0:
		r.Status, r.Trust = StatusUntrusted, "untrusted"
	default:
		r.Status, r.Trust = StatusValid, "trusted"
	}
	if len(s.problems) > 0 || len(s.changed) > 0 {
		r.Trust = "untrusted"
	}
	r.Expired = s.expired && r.Status == StatusUntrusted
	return *r
}

type ofdVerifier struct {
	ctx     context.Context
	opts    *Options
	now     time.Time
	pkg     *ofd.Package
	digests map[string]ofdDigest // refDigest's
}

// verifyOFD verifies the OFD package in data.
func verifyOFD(ctx context.Context, data []byte, name string, opts *Options) (*Report, error) {
	pkg, err := ofd.Open(ctx, bytes.NewReader(data), int64(len(data)), opts.OFDLimits)
	if err != nil {
		if errors.Is(err, ofd.ErrLimit) || ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, fmt.Errorf("%s: %w: %w", name, ErrUnreadable, err)
	}
	sum := sha256.Sum256(data)
	rep := &Report{File: name, SHA256: hex.EncodeToString(sum[:]), Signatures: []Signature{}, data: data, OFD: &OFDInfo{Package: pkg}}
	v := &ofdVerifier{ctx: ctx, opts: opts, now: opts.now(), pkg: pkg}
	var sigs []*ofdSig
	covered, infra := map[string]bool{}, map[string]bool{}
	for di, d := range pkg.Documents {
		for _, sig := range d.Signatures {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			s := v.check(di, d, sig, len(sigs)+1)
			sigs = append(sigs, s)
			infra[sig.Loc], infra[sig.ValueLoc] = true, true
			for _, r := range sig.Info.References {
				covered[r.Loc] = true
			}
		}
		if d.Err != nil && d.SignaturesLoc != "" {
			s := &ofdSig{rep: v.base(len(sigs)+1, d.SignaturesLoc)}
			s.fail("the document's signature list cannot be read: %v", d.Err)
			sigs = append(sigs, s)
		}
	}
	if pkg.Entries != nil {
		sigs = append(sigs, v.checkEntries(len(sigs)+1))
		infra[pkg.Entries.Loc], infra[pkg.Entries.ValueLoc] = true, true
	}
	if len(covered) > 0 {
		for _, n := range pkg.Names() {
			if !covered[n] && !infra[n] {
				rep.OFD.Uncovered = append(rep.OFD.Uncovered, n)
			}
		}
		if u := rep.OFD.Uncovered; len(u) > 0 {
			list := u
			if len(list) > 10 {
				list = append(append([]string(nil), u[:10]...), fmt.Sprintf("and %d more", len(u)-10))
			}
			for _, s := range sigs {
				if s.rep.Seal != nil && s.rep.Seal.Type != "Integrity" {
					s.note("parts no signature covers (they can change without breaking a signature): %s", strings.Join(list, ", "))
				}
			}
		}
	}
	for _, s := range sigs {
		rep.Signatures = append(rep.Signatures, s.finish())
	}
	if len(rep.Signatures) == 0 {
		rep.Verdict = StatusUnsigned
	} else {
		rep.Verdict = overall(rep.Signatures)
	}
	return rep, nil
}

func (v *ofdVerifier) base(index int, field string) Signature {
	return Signature{Index: index, Field: field, Kind: KindApproval, Rect: []float64{0, 0, 0, 0},
		Integrity: "valid", ChangesAfter: "none", Changes: []string{}, Trust: "untrusted",
		TimeSource: "signer", Revocation: RevocationUnknown, Reasons: []string{}, Coverage: "unclear"}
}

// digestOFD hashes a part with a CheckMethod as producers write it.
func digestOFD(method string, data []byte, key *ecdsa.PublicKey) ([]byte, error) {
	return digestOFDReader(method, bytes.NewReader(data), key)
}

// digestOFDReader is digestOFD over what r yields: a large part is hashed as it is inflated.
func digestOFDReader(method string, r io.Reader, key *ecdsa.PublicKey) ([]byte, error) {
	var h hash.Hash
	switch strings.ToLower(strings.TrimSpace(method)) {
	case oidSM3, "sm3":
		h = sm3.New()
	case oidSM3Z: // iOFD: SM3(Z || data), Z from the signer's key and the default ID
		if key == nil {
			return nil, errors.New("CheckMethod 1.2.156.10197.1.401.2 (SM3 with Z) needs the signer's SM2 key")
		}
		h = sm3.New()
		h.Write(sm2Z(key))
	case oidSHA256, "sha256", "sha-256":
		h = sha256.New()
	case oidSHA1, "sha1", "sha-1":
		h = sha1.New()
	case "":
		return nil, errors.New("the References carry no CheckMethod")
	default:
		return nil, fmt.Errorf("unknown CheckMethod %q", method)
	}
	if _, err := io.Copy(h, r); err != nil {
		return nil, fmt.Errorf("the part cannot be read: %w", err)
	}
	return h.Sum(nil), nil
}

// refDigest is the digest of part loc by method: computed once per package for each part,
// method and key (a part of 60 MiB named by every signature was inflated again for each), and
// hashed as the part is read.
func (v *ofdVerifier) refDigest(loc, method string, key *ecdsa.PublicKey) (d []byte, found bool, err error) {
	k := loc + "\x00" + strings.ToLower(strings.TrimSpace(method))
	if key != nil {
		k += "\x00" + string(sm2Z(key))
	}
	if c, ok := v.digests[k]; ok {
		return c.d, c.found, c.err
	}
	rc, found := v.pkg.Open(loc)
	if found {
		d, err = digestOFDReader(method, rc, key)
		rc.Close()
	}
	if v.digests == nil {
		v.digests = map[string]ofdDigest{}
	}
	v.digests[k] = ofdDigest{d, found, err}
	return d, found, err
}

type ofdDigest struct {
	d     []byte
	found bool
	err   error
}

// checkRefs hashes every reference with the declared method.
func (v *ofdVerifier) checkRefs(s *ofdSig, sig *ofd.Signature, key *ecdsa.PublicKey) {
	in := sig.Info
	if s.rep.Seal != nil {
		s.rep.Seal.References = len(in.References)
	}
	ok := 0
	for _, r := range in.References {
		if v.ctx.Err() != nil {
			return
		}
		if r.Err != nil {
			s.fail("reference %q: %v", r.FileRef, r.Err)
			continue
		}
		d, found, err := v.refDigest(r.Loc, in.CheckMethod, key)
		if !found {
			s.changed = append(s.changed, fmt.Sprintf("%s, which the signature covers, is missing from the package", r.Loc))
			continue
		}
		if err != nil {
			s.fail("reference %s: %v", r.Loc, err)
			continue
		}
		if subtle.ConstantTimeCompare(d, r.Value) != 1 {
			s.changed = append(s.changed, fmt.Sprintf("%s changed after signing (its digest does not match)", r.Loc))
			continue
		}
		ok++
	}
	if len(in.References) == 0 {
		s.fail("the signature lists no references: it covers nothing")
	}
	if l := strings.ToLower(in.CheckMethod); l == "sha1" || l == oidSHA1 {
		s.note("the references use SHA-1, a weak digest")
	}
	_ = ok
}

// stamps locates the seal pictures and fills Page/Rect from the first one.
func (v *ofdVerifier) stamps(s *ofdSig, d *ofd.Document, sig *ofd.Signature) []Stamp {
	var out []Stamp
	for _, st := range sig.Info.StampAnnots {
		page := 0
		for _, p := range d.Pages {
			if p.ID == st.PageRef {
				page = p.Index + 1
			}
		}
		if page == 0 {
			s.note("a seal picture is placed on page %q, which the document does not have", st.PageRef)
		}
		out = append(out, Stamp{Page: page, Box: st.Boundary, Clip: st.Clip, HasClip: st.HasClip})
	}
	for _, st := range out {
		if st.Page > 0 {
			// PDF-style user space: points from the bottom-left of the page.
			h := d.PhysicalBox.H
			k := 72 / 25.4
			s.rep.Page = st.Page
			s.rep.Rect = []float64{st.Box.X * k, (h - st.Box.Y - st.Box.H) * k, (st.Box.X + st.Box.W) * k, (h - st.Box.Y) * k}
			break
		}
	}
	return out
}

func (v *ofdVerifier) check(di int, d *ofd.Document, sig *ofd.Signature, index int) *ofdSig {
	s := &ofdSig{rep: v.base(index, sig.Loc)}
	if sig.Loc == "" {
		s.rep.Field = "Signature " + sig.ID
	}
	info := &SealInfo{Type: sig.Type}
	s.rep.Seal = info
	info.Stamps = v.stamps(s, d, sig)
	if sig.Err != nil {
		s.fail("the signature description cannot be read: %v", sig.Err)
		return s
	}
	value, ok := v.pkg.Part(sig.ValueLoc)
	if !ok {
		s.fail("the signed value %s is missing", sig.ValueLoc)
		v.checkRefs(s, sig, nil)
		return s
	}
	switch sig.Type {
	case "Seal":
		v.checkSeal(s, sig, value, info)
	case "Sign":
		v.checkSign(s, sig, value)
	default:
		s.fail("unknown signature type %q", sig.Type)
		v.checkRefs(s, sig, nil)
	}
	return s
}

func (v *ofdVerifier) checkSeal(s *ofdSig, sig *ofd.Signature, value []byte, info *SealInfo) {
	ses, err := parseSESSignature(value)
	if err != nil {
		s.fail("the signed value is not a readable SES_Signature: %v", err)
		v.checkRefs(s, sig, nil)
		return
	}
	seal := ses.seal
	s.rep.Algorithm = "SM2-SM3"
	info.SESVersion, info.HeaderVersion = ses.version, seal.headerVersion
	info.Name, info.ESID, info.Vid = seal.name, seal.esID, seal.vid
	info.PictureType, info.Picture, info.PictureW, info.PictureH = seal.picType, seal.picData, seal.picW, seal.picH
	info.ValidFrom, info.ValidTo = seal.validStart, seal.validEnd

	signer, err := parseCertInfo(ses.cert)
	var key *ecdsa.PublicKey
	if err != nil {
		s.fail("the signer's certificate cannot be read: %v", err)
	} else {
		s.rep.Signer = signerOf(signer)
		if signer.keyErr != nil || signer.key.alg != "sm2" {
			s.fail("the signer's key is not an SM2 key (%s %v)", signer.key.describe(), signer.keyErr)
		} else {
			key = signer.key.sm2
		}
	}
	v.checkRefs(s, sig, key)

	// dataHash: SM3 over the stored Signature.xml (iOFD's SM3-with-Z method: SM3(Z || it)).
	xmlHash := sm3.Sum(sig.XML)
	zHash, _ := digestOFD(oidSM3Z, sig.XML, key)
	dataOK := bytes.Equal(ses.dataHash, xmlHash[:]) || (sig.Info.CheckMethod == oidSM3Z && bytes.Equal(ses.dataHash, zHash))
	if !dataOK {
		s.fail("the seal's dataHash does not match Signature.xml: the signature description was edited or re-serialised after signing")
	}
	if ses.version == 4 && ses.tbsVersion != 4 || ses.version == 1 && ses.tbsVersion != 1 && ses.tbsVersion != 2 && ses.tbsVersion != 3 {
		s.note("TBS_Sign.version is %d in a v%d layout", ses.tbsVersion, ses.version)
	}
	if ses.sigAlg != oidSM2SM3 && ses.sigAlg != oidSM2Sign {
		s.fail("the signer's signature algorithm %s is not SM2-with-SM3", ses.sigAlg)
	} else if key != nil {
		if err := verifySM2(key, ses.tbsRaw, ses.signature); err != nil {
			// iOFD's v1 signs Signature.xml (e = dataHash), not TBS_Sign.
			if verifySM2Digest(key, ses.dataHash, ses.signature) == nil {
				s.note("the signer's signature covers Signature.xml (dataHash) only, not TBS_Sign: the seal and the time inside TBS_Sign are not covered by it (iOFD)")
			} else {
				s.fail("the signer's SM2 signature over TBS_Sign does not verify")
			}
		}
	}

	// The seal: the maker's signature, the version, the validity, the certificate list.
	maker, err := parseCertInfo(seal.makerCert)
	if err != nil {
		s.fail("the seal maker's certificate cannot be read: %v", err)
	} else {
		info.Maker = signerOf(maker)
		switch {
		case seal.makerAlg != oidSM2SM3 && seal.makerAlg != oidSM2Sign:
			s.fail("the seal maker's signature algorithm %s is not SM2-with-SM3", seal.makerAlg)
		case maker.keyErr != nil || maker.key.alg != "sm2":
			s.fail("the seal maker's key is not an SM2 key")
		case verifySM2(maker.key.sm2, seal.makerMsg, seal.makerSig) != nil:
			s.fail("the seal maker's signature over the seal (v%d message) does not verify: the seal was altered or forged", seal.version)
		}
	}
	switch {
	case seal.headerVersion == 1 && seal.version == 1, seal.headerVersion >= 2 && seal.headerVersion <= 4 && seal.version == 4,
		seal.headerVersion >= 2 && seal.headerVersion <= 3 && seal.version == 1:
	default:
		s.unknown = true
		s.untrust("SES version %d (%s layout) is not one this verifier knows (GM/T 0031-2014 v1, GB/T 38540-2020 v4): checked as that layout, not vouched for", seal.headerVersion, map[int]string{1: "v1", 4: "v4"}[seal.version])
	}
	if seal.id != "ES" {
		s.note("SES_Header.ID is %q, not \"ES\"", seal.id)
	}
	if sig.Info.SealLoc != "" {
		esl, ok := v.pkg.Part(sig.Info.SealLoc)
		switch {
		case !ok:
			s.fail("the seal file %s is missing", sig.Info.SealLoc)
		case !bytes.Equal(esl, seal.raw):
			s.fail("the seal file %s differs from the seal inside the signature", sig.Info.SealLoc)
		}
	}
	v.checkPicture(s, seal)

	when := ses.time
	if when.IsZero() {
		when = parseLooseTime(sig.Info.DateTime)
	}
	// at is the time the seal's and the signer certificate's validity are judged at: the signing
	// time, or, with a trusted time stamp, the latest time it proves the signature existed at
	// (genTime + accuracy, tstInfo.latest), as for a PDF signature.
	at := when
	if len(ses.timeStamp) > 0 {
		if tc := v.checkSESTimestamp(s, ses); tc != nil {
			tsTime := tc.info.genTime
			if !when.IsZero() && when.After(tsTime.Add(5*time.Minute)) {
				s.untrust("the claimed signing time %s is later than the time stamp %s", when.UTC().Format(time.RFC3339), tsTime.UTC().Format(time.RFC3339))
			}
			when = tsTime // the time a third party vouches for
			at = tc.info.latest(v.now)
			if tc.info.accuracy > time.Minute {
				s.note("the timestamp's accuracy is ±%v: it proves existence only before %s", tc.info.accuracy, at.UTC().Format(time.RFC3339))
			}
		}
	}
	if !when.IsZero() {
		s.rep.SigningTime = when.UTC().Format(time.RFC3339)
		if at.Before(seal.validStart) || at.After(seal.validEnd) {
			s.expired = true
			s.untrust("signed at %s, outside the seal's validity %s – %s", at.UTC().Format(time.RFC3339), seal.validStart.UTC().Format("2006-01-02"), seal.validEnd.UTC().Format("2006-01-02"))
		}
		if signer != nil {
			if nb, na, ok := certValidity(signer); ok && (at.Before(nb) || at.After(na)) {
				s.expired = true
				s.untrust("signed at %s, outside the signer certificate's validity %s – %s", at.UTC().Format(time.RFC3339), nb.UTC().Format("2006-01-02"), na.UTC().Format("2006-01-02"))
			}
		}
	} else {
		s.untrust("the signing time %q cannot be read", ses.timeText)
	}
	if signer != nil {
		v.checkCertList(s, seal, ses.cert)
		v.chain(s, "signer", signer, maker)
	}
	if maker != nil {
		v.chain(s, "seal maker", maker, nil)
	}
}

// checkSESTimestamp verifies a v4 SES_Signature's time stamp: an RFC 3161 token whose imprint is
// the digest of the signature value, by the PDF signature timestamp's rules (doc.go): intact,
// with no algorithm past its sunset (judgeAlgorithms at now: an OFD has no later proof of
// existence), signed by a time-stamping authority whose certificate is valid now with the RFC
// 3161 profile and was not revoked before the token's time (tsaValidate). It returns the token,
// whose tstInfo.latest dates the signature, or nil — with the reason in the report — when the
// token is unreadable, does not verify or proves no time: then the signer's claimed time stands.
// A token that is present but does not verify is a failure, as for a PDF signature's timestamp:
// the bytes were changed.
func (v *ofdVerifier) checkSESTimestamp(s *ofdSig, ses *sesSignature) *timestampCheck {
	s.rep.Timestamp.Present = true
	tc, err := checkTimestampToken(ses.timeStamp, signedInput{msg: ses.signature})
	if err != nil {
		s.note("the SES time stamp cannot be read (%v): the signing time is the signer's", err)
		return nil
	}
	if tc.cms != nil && tc.cms.cert != nil {
		s.rep.Timestamp.Authority = signerOf(tc.cms.cert).Name
	}
	if !tc.ok() {
		for _, p := range append(append([]string{}, tc.problems...), tc.cms.problems...) {
			s.fail("SES time stamp: %s", p)
		}
		return nil
	}
	rejected, accepted := judgeAlgorithms(tc.weakness(), v.now)
	for _, a := range accepted {
		s.note("SES time stamp: %s", a)
	}
	if len(rejected) > 0 {
		// An intact token whose algorithms are past their sunset proves no time (red team s8b
		// F2, F2b), as for a PDF signature's timestamp.
		for _, r := range rejected {
			s.note("SES time stamp: %s; the signing time is the signer's", r)
		}
		return nil
	}
	revs := revocationData{crls: tc.sd.crls}
	ch := tsaValidate(v.opts.Trust, tc, tc.sd.certs, v.now, nil, &revs)
	if !ch.trusted {
		s.note("SES time stamp: %s; the signing time is the signer's", ch.reason)
		return nil
	}
	s.rep.Timestamp.Valid, s.rep.Timestamp.Local = true, ch.local
	s.rep.TimeSource = "timestamp"
	return tc
}

// checkCertList: the signer certificate must be one the seal lists (certificates, or digests for
// certListType 2).
func (v *ofdVerifier) checkCertList(s *ofdSig, seal *sesSeal, cert []byte) {
	if len(seal.certList) == 0 {
		if seal.certListNote != "" {
			s.note("%s: whether the signer may use this seal cannot be checked", seal.certListNote)
		} else {
			s.untrust("the seal lists no certificates: whether the signer may use it cannot be checked")
		}
		return
	}
	for i, c := range seal.certList {
		if seal.certListType == 2 {
			a, b, d := sm3.Sum(cert), sha256.Sum256(cert), sha1.Sum(cert)
			if bytes.Equal(c, a[:]) || bytes.Equal(c, b[:]) || bytes.Equal(c, d[:]) {
				return
			}
			_ = i
			continue
		}
		if bytes.Equal(c, cert) {
			return
		}
	}
	s.untrust("the signer's certificate is not in the seal's certList: the seal was not issued for this signer")
}

// checkPicture: the picture must be an image of its declared type.
func (v *ofdVerifier) checkPicture(s *ofdSig, seal *sesSeal) {
	t := strings.ToUpper(strings.TrimSpace(seal.picType))
	switch t {
	case "PNG", "JPG", "JPEG", "GIF", "BMP":
		_, format, err := image.DecodeConfig(bytes.NewReader(seal.picData))
		want := map[string]string{"PNG": "png", "JPG": "jpeg", "JPEG": "jpeg", "GIF": "gif", "BMP": "bmp"}[t]
		if err != nil || format != want {
			s.fail("the seal picture is not a %s image", t)
		}
	case "OFD":
		if !isZip(seal.picData) {
			s.fail("the seal picture is not an OFD package")
		}
	case "SVG":
		if !bytes.Contains(seal.picData[:min(len(seal.picData), 4096)], []byte("<svg")) {
			s.fail("the seal picture is not an SVG image")
		}
	default:
		s.note("the seal picture's type %q is not one this verifier can show", seal.picType)
	}
}

// certValidity is a certificate's notBefore/notAfter, also for one crypto/x509 and smx509 refuse.
func certValidity(c *certInfo) (time.Time, time.Time, bool) {
	if c.x != nil {
		return c.x.NotBefore, c.x.NotAfter, true
	}
	n, err := cms.ParseBERStrict(c.raw)
	if err != nil || len(n.Children) == 0 {
		return time.Time{}, time.Time{}, false
	}
	tbs := n.Children[0].Children
	i := 0
	if len(tbs) > 0 && tbs[0].Is(2, 0) {
		i++
	}
	if len(tbs) < i+4 || len(tbs[i+3].Children) != 2 {
		return time.Time{}, time.Time{}, false
	}
	nb, err1 := tbs[i+3].Children[0].TimeValue()
	na, err2 := tbs[i+3].Children[1].TimeValue()
	return nb, na, err1 == nil && err2 == nil
}

// chain builds the path of a certificate at the current time (a verified time stamp dates the
// signature for the validity checks of checkSeal only).
func (v *ofdVerifier) chain(s *ofdSig, who string, c, extra *certInfo) {
	var inter []*certInfo
	if extra != nil {
		inter = append(inter, extra)
	}
	res := v.opts.Trust.buildChain(c, inter, v.now, purposeAny)
	if rejected, _ := judgeAlgorithms(chainWeakness(res.chain), v.now); res.trusted && len(rejected) > 0 {
		res.trusted, res.reason = false, strings.Join(rejected, "; ") // the algorithm policy (algpolicy.go)
	}
	if !res.trusted {
		s.untrust("%s: %s", who, res.reason)
	}
}

func (v *ofdVerifier) checkSign(s *ofdSig, sig *ofd.Signature, value []byte) {
	s.rep.Seal.Type = "Sign"
	xmlHash := sm3.Sum(sig.XML)
	sd, err := parseContentInfo(value)
	if err != nil {
		// A bare SM2 value (ofdrw's deprecated DigitalSignContainer): the key comes from the
		// certificates the caller supplies.
		if _, _, rsErr := sm2RS(value); rsErr != nil {
			s.fail("the signed value is neither a SignedData nor an SM2 signature: %v", err)
			v.checkRefs(s, sig, nil)
			return
		}
		s.rep.Algorithm = "SM2-SM3"
		for _, x := range v.opts.OFDCerts {
			c, err := parseCertInfo(x.Raw)
			if err != nil || c.key.alg != "sm2" {
				continue
			}
			if verifySM2(c.key.sm2, sig.XML, value) == nil {
				s.rep.Signer = signerOf(c)
				s.note("a bare SM2 signature: the file carries no certificate; it verifies with the certificate supplied for it")
				v.checkRefs(s, sig, c.key.sm2)
				v.chain(s, "signer", c, nil)
				return
			}
		}
		s.fail("a bare SM2 signature without a certificate: no supplied certificate verifies it")
		v.checkRefs(s, sig, nil)
		return
	}
	if len(sd.signers) == 0 {
		s.fail("the SignedData has no signer")
		v.checkRefs(s, sig, nil)
		return
	}
	if len(sd.signers) > 1 {
		s.note("the SignedData has %d signers; the first is checked", len(sd.signers))
	}
	si := sd.signers[0]
	content := sig.XML
	if sd.hasEContent {
		content = sd.eContent
		b64 := base64.StdEncoding.EncodeToString(xmlHash[:])
		switch {
		case bytes.Equal(sd.eContent, xmlHash[:]):
		case string(bytes.TrimSpace(sd.eContent)) == b64:
			s.note("the signed content is base64(SM3(Signature.xml)) rather than the digest itself")
		default:
			s.fail("the signed content is not SM3(Signature.xml)")
		}
	}
	r := sd.verifySigner(si, signedInput{msg: content}, nil)
	s.rep.Algorithm = r.algorithm
	for _, p := range r.problems {
		s.fail("%s", p)
	}
	s.notes = append(s.notes, r.notes...)
	var key *ecdsa.PublicKey
	if r.cert != nil {
		s.rep.Signer = signerOf(r.cert)
		if r.cert.key.alg == "sm2" {
			key = r.cert.key.sm2
		}
		v.chain(s, "signer", r.cert, nil)
		if !r.signingTime.IsZero() {
			s.rep.SigningTime = r.signingTime.UTC().Format(time.RFC3339)
		}
	}
	if s.rep.SigningTime == "" {
		if t := parseLooseTime(sig.Info.DateTime); !t.IsZero() {
			s.rep.SigningTime = t.UTC().Format(time.RFC3339)
		}
	}
	v.checkRefs(s, sig, key)
}

// checkEntries verifies the ofdrw integrity list (GM/T 0099 anti-smuggling): the SignedData
// over SM3(OFDEntries.xml) and that the package holds no file the list does not name. It never
// protects the files' contents, and the report says so.
func (v *ofdVerifier) checkEntries(index int) *ofdSig {
	e := v.pkg.Entries
	s := &ofdSig{rep: v.base(index, e.Loc)}
	s.rep.Seal = &SealInfo{Type: "Integrity"}
	s.untrust("OFDEntries.xml lists file names only, not their digests: the content of the document is NOT protected by this signature (it only shows that no file was added)")
	if e.Err != nil {
		s.fail("OFDEntries.xml cannot be read: %v", e.Err)
		return s
	}
	value, ok := v.pkg.Part(e.ValueLoc)
	if !ok {
		s.fail("the signed value %s is missing", e.ValueLoc)
		return s
	}
	sd, err := parseContentInfo(value)
	if err != nil || len(sd.signers) == 0 {
		s.fail("the signed value is not a readable SignedData: %v", err)
		return s
	}
	h := sm3.Sum(e.XML)
	if !sd.hasEContent || !bytes.Equal(sd.eContent, h[:]) {
		s.fail("the signed content is not SM3(OFDEntries.xml)")
	}
	r := sd.verifySigner(sd.signers[0], signedInput{msg: sd.eContent}, nil)
	s.rep.Algorithm = r.algorithm
	for _, p := range r.problems {
		s.fail("%s", p)
	}
	if r.cert != nil {
		s.rep.Signer = signerOf(r.cert)
		v.chain(s, "signer", r.cert, nil)
	}
	listed := map[string]bool{e.Loc: true, e.ValueLoc: true}
	for _, f := range e.Files {
		listed[f] = true
		if _, ok := v.pkg.Part(f); !ok {
			s.changed = append(s.changed, fmt.Sprintf("%s, which OFDEntries.xml lists, is missing", f))
		}
	}
	var extra []string
	for _, n := range v.pkg.Names() {
		if !listed[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	for _, n := range extra {
		s.changed = append(s.changed, fmt.Sprintf("%s is in the package but not in OFDEntries.xml (a file was added after signing)", n))
	}
	return s
}

// OFDSeal is a seal picture and where a document draws it, for a page renderer.
type OFDSeal struct {
	Doc         int // document index
	PictureType string
	Picture     []byte
	Stamps      []Stamp // Page is 1-based, 0 when PageRef names no page
}

// OFDSeals decodes the seal picture of every Seal signature of pkg (without verifying anything):
// what a page view draws at each StampAnnot. Signatures whose value is not a readable
// SES_Signature are left out.
func OFDSeals(pkg *ofd.Package) []OFDSeal {
	var out []OFDSeal
	for di, d := range pkg.Documents {
		for _, sig := range d.Signatures {
			if sig.Err != nil || sig.Type != "Seal" {
				continue
			}
			value, ok := pkg.Part(sig.ValueLoc)
			if !ok {
				continue
			}
			ses, err := parseSESSignature(value)
			if err != nil {
				continue
			}
			s := &ofdSig{}
			v := &ofdVerifier{pkg: pkg}
			out = append(out, OFDSeal{Doc: di, PictureType: ses.seal.picType, Picture: ses.seal.picData, Stamps: v.stamps(s, d, sig)})
		}
	}
	return out
}
