package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// Profile says what an issued certificate may be used for.
type Profile int

// The certificate profiles.
const (
	// ProfilePerson is a natural person's document-signing certificate: digitalSignature +
	// nonRepudiation, EKU emailProtection (what NSS/poppler and Adobe accept for signatures),
	// id-kp-documentSigning (RFC 9336) and Microsoft document signing.
	ProfilePerson Profile = iota + 1
	// ProfileEnterpriseSeal is an organisation's seal certificate; same usages as a person's.
	ProfileEnterpriseSeal
	// ProfileTSA is a timestamp authority: digitalSignature, critical EKU timeStamping only
	// (RFC 3161 §2.3).
	ProfileTSA
	// ProfileOCSP is a delegated OCSP responder: digitalSignature, EKU OCSPSigning and
	// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
	ProfileOCSP
	// ProfileRootCA is a self-signed root: keyCertSign + cRLSign, no path-length limit.
	ProfileRootCA
	// ProfileIntermediateCA issues end-entity certificates only (path length 0).
	ProfileIntermediateCA
	// ProfileTLSServer is the server's HTTPS certificate: digitalSignature (+keyEncipherment for
	// RSA), EKU serverAuth, SANs from the request.
	ProfileTLSServer
)

// String names the profile.
func (p Profile) String() string {
	switch p {
	case ProfilePerson:
		return "person"
	case ProfileEnterpriseSeal:
		return "enterprise-seal"
	case ProfileTSA:
		return "tsa"
	case ProfileOCSP:
		return "ocsp"
	case ProfileRootCA:
		return "root-ca"
	case ProfileIntermediateCA:
		return "intermediate-ca"
	case ProfileTLSServer:
		return "tls-server"
	}
	return fmt.Sprintf("profile(%d)", int(p))
}

// Object identifiers used by the profiles.
var (
	OIDDocumentSigning          = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}       // RFC 9336
	OIDMicrosoftDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 3, 12} // MS doc signing
	OIDOCSPNoCheck              = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}    // RFC 6960
	oidExtKeyUsage              = asn1.ObjectIdentifier{2, 5, 29, 37}                     // RFC 5280
	oidTimeStamping             = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}        // RFC 5280
	asn1Null                    = []byte{0x05, 0x00}                                      // ASN.1 NULL
)

// OIDSelfDeclaredIdentity is the certificate policy of a person certificate whose subject (name
// and resident ID number) nobody verified: the holder declared it, as in the desktop's
// single-machine mode (单机模式). It lives under the ITU-T X.667 UUID arc 2.25, which needs no
// registration and belongs to nobody else (UUID 3180006a-d9e1-48de-b356-8f48a2fac200, drawn at
// random for SealDesk). Such certificates also carry OUSelfDeclared in the subject's OU so that
// verifiers which show the subject show it too. A verifier must never present their subject as a
// verified identity.
var OIDSelfDeclaredIdentity = oidFromDER([]byte{0x69, 0xe3, 0x80, 0x80, 0x9a, 0xdb, 0x9e, 0x8a, 0xa3, 0xbd, 0xb3, 0xab, 0xa3, 0xe9, 0x8a, 0x97, 0xeb, 0x84, 0x0}) // 2.25.65796794256969161779890030578018992640

// OUSelfDeclared is the subject organizational unit of self-declared identity certificates.
const OUSelfDeclared = "自证身份"

// IsSelfDeclared reports whether c carries the self-declared identity policy (its subject was
// declared by its holder, not verified).
func IsSelfDeclared(c *x509.Certificate) bool {
	for _, p := range c.Policies {
		if p.Equal(OIDSelfDeclaredIdentity) {
			return true
		}
	}
	// An SM2 certificate cannot carry the policy (see smPolicies): its subject's OU says it.
	return IsSM2(c.PublicKey) && slices.Contains(c.Subject.OrganizationalUnit, OUSelfDeclared)
}

// oidFromDER is the OID with the DER content bytes der. The policy OIDs are written this way, with
// the decimal form beside them (TestPolicyOIDs checks both agree): x509.ParseOID of a 128-bit
// UUID arc goes through math/big, 57 allocations at the start of every program linking pki.
func oidFromDER(der []byte) x509.OID {
	var o x509.OID
	if err := o.UnmarshalBinary(der); err != nil {
		panic(err)
	}
	return o
}

// Issuer is a CA able to sign: its certificate and its key (any crypto.Signer). The URLs are
// written into the certificates it issues: OCSP and caIssuers into Authority Information
// Access, CRL into CRL Distribution Points. Empty URLs are left out.
type Issuer struct {
	Cert        *x509.Certificate
	Key         crypto.Signer
	OCSPURL     string
	CAIssuerURL string
	CRLURL      string
}

// Request describes the certificate to issue. The subject comes from the caller (who verified the
// identity), never blindly from a CSR.
type Request struct {
	Profile   Profile
	PublicKey crypto.PublicKey
	Subject   pkix.Name
	NotBefore time.Time
	NotAfter  time.Time
	// Serial is the certificate's serial number; nil means a random 127-bit number.
	Serial *big.Int
	// DNSNames, IPAddresses and EmailAddresses become subjectAltName entries.
	DNSNames       []string
	IPAddresses    []net.IP
	EmailAddresses []string
	// Policies are certificate policy OIDs to include (e.g. the deployment's CPS OID, or
	// OIDSelfDeclaredIdentity).
	Policies []x509.OID
	// PolicyNotice, when set, is written as a user notice (RFC 5280 §4.2.1.4 explicitText, a
	// UTF8String of at most 200 characters) qualifying the first of Policies, so that viewers
	// which show certificate policies show it (an event certificate says what it is for).
	PolicyNotice string
}

// SelfSign makes a self-signed root CA certificate.
func SelfSign(key crypto.Signer, subject pkix.Name, notBefore, notAfter time.Time) (*x509.Certificate, error) {
	if err := CheckPublicKey(key.Public()); err != nil {
		return nil, err
	}
	serial, err := RandomSerial()
	if err != nil {
		return nil, err
	}
	tmpl, err := template(Request{Profile: ProfileRootCA, PublicKey: key.Public(), Subject: subject,
		NotBefore: notBefore, NotAfter: notAfter, Serial: serial})
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("failed to self-sign root: %w", err)
	}
	return x509.ParseCertificate(der)
}

// Issue signs a certificate for req under is. NotAfter is clamped to the issuer's NotAfter.
func Issue(is Issuer, req Request) (*x509.Certificate, error) {
	if is.Cert == nil || is.Key == nil {
		return nil, errors.New("issuer certificate and key are required")
	}
	if !is.Cert.IsCA || is.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, ErrNotCA
	}
	if req.Profile == ProfileRootCA {
		return nil, errors.New("a root is made with SelfSign, not issued")
	}
	if is.Cert.MaxPathLenZero && req.Profile == ProfileIntermediateCA {
		return nil, errors.New("issuer may not issue sub-CAs (path length 0)")
	}
	if err := CheckPublicKey(req.PublicKey); err != nil {
		return nil, err
	}
	if req.NotAfter.After(is.Cert.NotAfter) {
		req.NotAfter = is.Cert.NotAfter
	}
	if req.NotBefore.Before(is.Cert.NotBefore) {
		req.NotBefore = is.Cert.NotBefore
	}
	if !req.NotAfter.After(req.NotBefore) {
		return nil, errors.New("certificate validity is empty")
	}
	if req.Serial == nil {
		s, err := RandomSerial()
		if err != nil {
			return nil, err
		}
		req.Serial = s
	}
	tmpl, err := template(req)
	if err != nil {
		return nil, err
	}
	if is.OCSPURL != "" {
		tmpl.OCSPServer = []string{is.OCSPURL}
	}
	if is.CAIssuerURL != "" {
		tmpl.IssuingCertificateURL = []string{is.CAIssuerURL}
	}
	if is.CRLURL != "" {
		tmpl.CRLDistributionPoints = []string{is.CRLURL}
	}
	create := x509.CreateCertificate
	if IsSM2(req.PublicKey) || IsSM2(is.Key.Public()) {
		// crypto/x509 cannot encode an SM2 key nor sign with one: gmsm's smx509 (a fork of it)
		// writes the same template, and signs with SM2-with-SM3 when the issuer's key is SM2.
		if err := smPolicies(tmpl); err != nil {
			return nil, err
		}
		create = func(r io.Reader, t, p *x509.Certificate, pub, priv any) ([]byte, error) {
			return smx509.CreateCertificate(r, t, p, pub, priv)
		}
	}
	der, err := create(rand.Reader, tmpl, is.Cert, req.PublicKey, is.Key)
	if err != nil {
		return nil, fmt.Errorf("failed to issue %s certificate: %w", req.Profile, err)
	}
	return ParseCertificate(der)
}

// smPolicies moves tmpl.Policies to PolicyIdentifiers, the only form smx509 (forked from an older
// crypto/x509) writes and reads: it refuses to parse a policy whose arcs do not fit an int, such
// as the UUID arc of OIDSelfDeclaredIdentity. That one is therefore carried by the subject's
// OUSelfDeclared alone in an SM2 certificate (IsSelfDeclared reads it there); any other policy
// that does not fit is an error.
func smPolicies(tmpl *x509.Certificate) error {
	for _, p := range tmpl.Policies {
		if p.Equal(OIDSelfDeclaredIdentity) {
			if !slices.Contains(tmpl.Subject.OrganizationalUnit, OUSelfDeclared) {
				tmpl.Subject.OrganizationalUnit = append(tmpl.Subject.OrganizationalUnit, OUSelfDeclared)
			}
			continue
		}
		var oid asn1.ObjectIdentifier
		for _, part := range strings.Split(p.String(), ".") {
			n, err := strconv.ParseInt(part, 10, 32)
			if err != nil {
				return fmt.Errorf("certificate policy %s cannot be written in an sm2 certificate", p)
			}
			oid = append(oid, int(n))
		}
		tmpl.PolicyIdentifiers = append(tmpl.PolicyIdentifiers, oid)
	}
	tmpl.Policies = nil
	return nil
}

// IssueFromCSR checks the CSR (signature, key strength) and issues a certificate for its public
// key; req.PublicKey is ignored and req.Subject is used as given (empty means the CSR's subject).
func IssueFromCSR(is Issuer, csrDER []byte, req Request) (*x509.Certificate, error) {
	csr, err := ParseCSR(csrDER)
	if err != nil {
		return nil, err
	}
	req.PublicKey = csr.PublicKey
	if len(req.Subject.Names) == 0 && req.Subject.CommonName == "" && len(req.Subject.Organization) == 0 {
		req.Subject = csr.Subject
	}
	return Issue(is, req)
}

// template builds the x509 template of req's profile.
func template(req Request) (*x509.Certificate, error) {
	skid, err := subjectKeyID(req.PublicKey)
	if err != nil {
		return nil, err
	}
	t := &x509.Certificate{
		SerialNumber:          req.Serial,
		Subject:               req.Subject,
		NotBefore:             req.NotBefore.UTC().Truncate(time.Second),
		NotAfter:              req.NotAfter.UTC().Truncate(time.Second),
		SubjectKeyId:          skid,
		BasicConstraintsValid: true,
		DNSNames:              req.DNSNames,
		IPAddresses:           req.IPAddresses,
		EmailAddresses:        req.EmailAddresses,
		Policies:              req.Policies,
	}
	if req.PolicyNotice != "" {
		ext, err := policiesWithNotice(req.Policies, req.PolicyNotice)
		if err != nil {
			return nil, err
		}
		t.Policies = nil
		t.ExtraExtensions = append(t.ExtraExtensions, ext)
	}
	switch req.Profile {
	case ProfilePerson, ProfileEnterpriseSeal:
		t.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
		t.UnknownExtKeyUsage = []asn1.ObjectIdentifier{OIDDocumentSigning, OIDMicrosoftDocumentSigning}
	case ProfileTSA:
		t.KeyUsage = x509.KeyUsageDigitalSignature
		// RFC 3161 requires the EKU to be critical; crypto/x509 writes it non-critical, so the
		// extension is written by hand.
		v, err := asn1.Marshal([]asn1.ObjectIdentifier{oidTimeStamping})
		if err != nil {
			return nil, err
		}
		t.ExtraExtensions = append(t.ExtraExtensions, pkix.Extension{Id: oidExtKeyUsage, Critical: true, Value: v})
	case ProfileOCSP:
		t.KeyUsage = x509.KeyUsageDigitalSignature
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
		t.ExtraExtensions = append(t.ExtraExtensions, pkix.Extension{Id: OIDOCSPNoCheck, Value: asn1Null})
	case ProfileRootCA:
		t.IsCA = true
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	case ProfileIntermediateCA:
		t.IsCA = true
		t.MaxPathLen = 0
		t.MaxPathLenZero = true
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	case ProfileTLSServer:
		t.KeyUsage = x509.KeyUsageDigitalSignature
		if _, ok := req.PublicKey.(interface{ Size() int }); ok {
			t.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	default:
		return nil, fmt.Errorf("unknown certificate profile %d", int(req.Profile))
	}
	return t, nil
}

// subjectKeyID is the RFC 5280 §4.2.1.2 method 1 key identifier (SHA-1 of the key bits).
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("failed to marshal public key: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("failed to parse public key: %w", err)
	}
	h := sha1.Sum(spki.Key.Bytes)
	return h[:], nil
}
