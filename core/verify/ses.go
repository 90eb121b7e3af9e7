package verify

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"sealdesk/core/cms"
)

// The SES structures of electronic seals: GM/T 0031-2014 ("v1") and GB/T 38540-2020 ("v4"),
// read with core/cms's BER reader keeping the bytes as stored (../shared/ofd/README.md has the
// ASN.1). Nothing is re-encoded to be verified: the signer's signature is checked over the stored
// TBS_Sign, the v4 maker's over the stored SES_SealInfo; only the v1 maker's message is built, from
// the stored elements, because that version signs a SEQUENCE that is not in the file.

// sesSignature is a decoded SES_Signature.
type sesSignature struct {
	version      int    // 1 (two elements) or 4 (four or five elements): the layout
	tbsVersion   int    // TBS_Sign.version
	tbsRaw       []byte // TBS_Sign as stored: what the signer signed
	seal         *sesSeal
	timeText     string    // timeInfo as written
	time         time.Time // parsed timeInfo, zero when it cannot be read
	dataHash     []byte
	propertyInfo string
	cert         []byte // signer certificate DER
	sigAlg       string
	signature    []byte // BIT STRING bytes (trimmed values are padded by sm2RS)
	timeStamp    []byte // v4 optional
}

// sesSeal is a decoded SESeal.
type sesSeal struct {
	raw           []byte // the SESeal as stored (Seal.esl must equal it)
	version       int    // layout: 1 or 4
	headerVersion int    // SES_Header.version: 1..4 known, 5 ofdrw's "GM/T 0031-2025"
	id, vid, esID string
	name          string
	propType      int
	certListType  int      // v4: 1 certificates, 2 digests; v1: 1
	certList      [][]byte // certificates (type 1) or digests (type 2)
	digestTypes   []string // per digest (type 2)
	certListNote  string   // why the list holds no certificates (iOFD's IA5String "1")
	created       time.Time
	validStart    time.Time
	validEnd      time.Time
	picType       string
	picData       []byte
	picW, picH    int // mm
	makerCert     []byte
	makerAlg      string
	makerSig      []byte
	makerMsg      []byte // what the maker signed
}

var errSES = errors.New("malformed SES structure")

func sesErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errSES, fmt.Sprintf(format, args...))
}

// bitBytes returns a BIT STRING's bytes (after the unused-bits octet).
func bitBytes(n *node) ([]byte, error) {
	if !n.Is(0, cms.TagBitString) {
		return nil, sesErr("expected a BIT STRING")
	}
	b := n.Bytes()
	if len(b) == 0 {
		return nil, sesErr("empty BIT STRING")
	}
	return b[1:], nil
}

func str(n *node) (string, error) {
	switch {
	case n.Is(0, 22), n.Is(0, cms.TagUTF8), n.Is(0, 19), n.Is(0, 30), n.Is(0, 26), n.Is(0, cms.TagOctetString):
		return string(n.Bytes()), nil
	}
	return "", sesErr("expected a string, found tag %d", n.Tag)
}

func parseSESSignature(b []byte) (*sesSignature, error) {
	root, rest, err := cms.ParseBER(b)
	if err != nil {
		return nil, fmt.Errorf("SES_Signature: %w", err)
	}
	for _, c := range rest {
		if c != 0 {
			return nil, sesErr("%d bytes after SES_Signature", len(rest))
		}
	}
	if !root.Is(0, cms.TagSequence) {
		return nil, sesErr("SES_Signature is not a SEQUENCE")
	}
	s := &sesSignature{}
	ch := root.Children
	switch {
	case len(ch) == 2:
		s.version = 1
	case len(ch) == 4 || len(ch) == 5:
		s.version = 4
	default:
		return nil, sesErr("SES_Signature has %d elements (v1 has 2, v4 has 4 or 5)", len(ch))
	}
	tbs := &ch[0]
	if !tbs.Is(0, cms.TagSequence) {
		return nil, sesErr("TBS_Sign is not a SEQUENCE")
	}
	s.tbsRaw = tbs.Raw
	t := tbs.Children
	if s.version == 1 && len(t) != 7 || s.version == 4 && len(t) != 5 && len(t) != 6 {
		return nil, sesErr("v%d TBS_Sign has %d elements", s.version, len(t))
	}
	if s.tbsVersion, err = t[0].SmallInt(); err != nil {
		return nil, sesErr("TBS_Sign.version: %v", err)
	}
	if s.seal, err = parseSESeal(&t[1]); err != nil {
		return nil, err
	}
	if s.version == 1 {
		ti, err := bitBytes(&t[2])
		if err != nil {
			return nil, sesErr("timeInfo: %v", err)
		}
		s.timeText = strings.TrimSpace(string(ti))
		s.time = parseLooseTime(s.timeText)
	} else {
		if s.time, err = t[2].TimeValue(); err != nil {
			return nil, sesErr("timeInfo: %v", err)
		}
		s.timeText = s.time.UTC().Format(time.RFC3339)
	}
	if s.dataHash, err = bitBytes(&t[3]); err != nil {
		return nil, sesErr("dataHash: %v", err)
	}
	if s.propertyInfo, err = str(&t[4]); err != nil {
		return nil, sesErr("propertyInfo: %v", err)
	}
	if s.version == 1 {
		if !t[5].Is(0, cms.TagOctetString) {
			return nil, sesErr("TBS_Sign.cert is not an OCTET STRING")
		}
		s.cert = t[5].Bytes()
		if s.sigAlg, err = t[6].OID(); err != nil {
			return nil, sesErr("TBS_Sign.signatureAlgorithm: %v", err)
		}
		if s.signature, err = bitBytes(&ch[1]); err != nil {
			return nil, sesErr("signature: %v", err)
		}
		return s, nil
	}
	if !ch[1].Is(0, cms.TagOctetString) {
		return nil, sesErr("SES_Signature.cert is not an OCTET STRING")
	}
	s.cert = ch[1].Bytes()
	if s.sigAlg, err = ch[2].OID(); err != nil {
		return nil, sesErr("signatureAlgID: %v", err)
	}
	if s.signature, err = bitBytes(&ch[3]); err != nil {
		return nil, sesErr("signature: %v", err)
	}
	if len(ch) == 5 {
		// timeStamp BIT STRING OPTIONAL (GB/T 38540; ofdrw marks it [0] EXPLICIT): an RFC 3161
		// token over the signature value. Some producers put the token in an OCTET STRING, or
		// the token itself.
		c := &ch[4]
		if c.Is(2, 0) {
			if len(c.Children) != 1 {
				return nil, sesErr("SES_Signature.timeStamp [0] does not hold one element")
			}
			c = &c.Children[0]
		}
		switch {
		case c.Is(0, cms.TagBitString):
			if s.timeStamp, err = bitBytes(c); err != nil {
				return nil, sesErr("timeStamp: %v", err)
			}
		case c.Is(0, cms.TagOctetString):
			s.timeStamp = c.Bytes()
		case c.Is(0, cms.TagSequence):
			s.timeStamp = c.Raw
		default:
			return nil, sesErr("SES_Signature.timeStamp holds neither a BIT STRING nor a time-stamp token")
		}
	}
	return s, nil
}

func parseSESeal(n *node) (*sesSeal, error) {
	if !n.Is(0, cms.TagSequence) {
		return nil, sesErr("SESeal is not a SEQUENCE")
	}
	s := &sesSeal{raw: n.Raw}
	ch := n.Children
	switch len(ch) {
	case 2:
		s.version = 1
	case 4:
		s.version = 4
	default:
		return nil, sesErr("SESeal has %d elements (v1 has 2, v4 has 4)", len(ch))
	}
	info := &ch[0]
	if !info.Is(0, cms.TagSequence) || len(info.Children) < 4 {
		return nil, sesErr("SES_SealInfo is malformed")
	}
	hdr := info.Children[0]
	if !hdr.Is(0, cms.TagSequence) || len(hdr.Children) != 3 {
		return nil, sesErr("SES_Header is malformed")
	}
	var err error
	if s.id, err = str(&hdr.Children[0]); err != nil {
		return nil, sesErr("SES_Header.ID: %v", err)
	}
	if s.headerVersion, err = hdr.Children[1].SmallInt(); err != nil {
		return nil, sesErr("SES_Header.version: %v", err)
	}
	if s.vid, err = str(&hdr.Children[2]); err != nil {
		return nil, sesErr("SES_Header.Vid: %v", err)
	}
	if s.esID, err = str(&info.Children[1]); err != nil {
		return nil, sesErr("esID: %v", err)
	}
	if err := s.parseProperty(&info.Children[2]); err != nil {
		return nil, err
	}
	pic := info.Children[3]
	if !pic.Is(0, cms.TagSequence) || len(pic.Children) != 4 {
		return nil, sesErr("SES_ESPictrueInfo is malformed")
	}
	if s.picType, err = str(&pic.Children[0]); err != nil {
		return nil, sesErr("picture type: %v", err)
	}
	if !pic.Children[1].Is(0, cms.TagOctetString) {
		return nil, sesErr("picture data is not an OCTET STRING")
	}
	s.picData = pic.Children[1].Bytes()
	s.picW, _ = pic.Children[2].SmallInt()
	s.picH, _ = pic.Children[3].SmallInt()
	if s.version == 1 {
		si := ch[1]
		if !si.Is(0, cms.TagSequence) || len(si.Children) != 3 || !si.Children[0].Is(0, cms.TagOctetString) {
			return nil, sesErr("SES_SignInfo is malformed")
		}
		s.makerCert = si.Children[0].Bytes()
		if s.makerAlg, err = si.Children[1].OID(); err != nil {
			return nil, sesErr("SES_SignInfo.signatureAlgorithm: %v", err)
		}
		if s.makerSig, err = bitBytes(&si.Children[2]); err != nil {
			return nil, sesErr("SES_SignInfo.signData: %v", err)
		}
		// v1: the maker signs SEQUENCE { SES_SealInfo, cert, signatureAlgorithm }.
		body := append(append(append([]byte(nil), info.Raw...), si.Children[0].Raw...), si.Children[1].Raw...)
		s.makerMsg = cms.EncodeTLV(0, cms.TagSequence, true, body)
		return s, nil
	}
	if !ch[1].Is(0, cms.TagOctetString) {
		return nil, sesErr("SESeal.cert is not an OCTET STRING")
	}
	s.makerCert = ch[1].Bytes()
	if s.makerAlg, err = ch[2].OID(); err != nil {
		return nil, sesErr("SESeal.signAlgID: %v", err)
	}
	if s.makerSig, err = bitBytes(&ch[3]); err != nil {
		return nil, sesErr("SESeal.signedValue: %v", err)
	}
	s.makerMsg = info.Raw // v4: the maker signs SES_SealInfo
	return s, nil
}

func (s *sesSeal) parseProperty(n *node) error {
	p := n.Children
	if !n.Is(0, cms.TagSequence) {
		return sesErr("SES_ESPropertyInfo is not a SEQUENCE")
	}
	var err error
	i := 0
	need := 6
	if s.version == 4 {
		need = 7
	}
	if len(p) < need {
		return sesErr("SES_ESPropertyInfo has %d elements", len(p))
	}
	if s.propType, err = p[i].SmallInt(); err != nil {
		return sesErr("seal type: %v", err)
	}
	i++
	if s.name, err = str(&p[i]); err != nil {
		return sesErr("seal name: %v", err)
	}
	i++
	s.certListType = 1
	if s.version == 4 {
		if s.certListType, err = p[i].SmallInt(); err != nil {
			return sesErr("certListType: %v", err)
		}
		i++
	}
	list := p[i]
	i++
	if !list.Is(0, cms.TagSequence) {
		s.certListNote = "the seal's certList is not a list"
	} else {
		for _, c := range list.Children {
			switch {
			case s.certListType == 2 && c.Is(0, cms.TagSequence) && len(c.Children) == 2:
				t, _ := str(&c.Children[0])
				s.digestTypes = append(s.digestTypes, t)
				s.certList = append(s.certList, c.Children[1].Bytes())
			case c.Is(0, cms.TagOctetString):
				s.certList = append(s.certList, c.Bytes())
			default:
				s.certListNote = "the seal's certList holds values that are not certificates"
			}
		}
	}
	times := []*time.Time{&s.created, &s.validStart, &s.validEnd}
	for k, t := range times {
		if *t, err = p[i+k].TimeValue(); err != nil {
			return sesErr("seal dates: %v", err)
		}
	}
	return nil
}

// parseLooseTime reads the time formats producers write as text (timeInfo of v1,
// SignatureDateTime): "2006-01-02 15:04:05", "2020-01-25T07:31:56.377Z", "20201004072855.302Z",
// "20201010151120", "20200817111329Z". Text without a zone is China Standard Time.
func parseLooseTime(s string) time.Time {
	cst := time.FixedZone("CST", 8*3600)
	s = strings.TrimSpace(s)
	for _, f := range []struct {
		layout string
		loc    *time.Location
	}{
		{"2006-01-02 15:04:05", cst}, {"2006-01-02T15:04:05Z07:00", time.UTC}, {"2006-01-02T15:04:05.999Z07:00", time.UTC},
		{"2006-01-02T15:04:05", cst}, {"20060102150405.999Z", time.UTC}, {"20060102150405Z", time.UTC},
		{"20060102150405", cst}, {"2006-01-02", cst},
	} {
		if t, err := time.ParseInLocation(f.layout, s, f.loc); err == nil {
			return t
		}
	}
	return time.Time{}
}
