package pki

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// OIDEventCertificate is the certificate policy of an event certificate (事件证书): a person
// certificate the server issues for one signing of one contract by a person who has no device key
// (a counterparty signing in a browser). The server generated the key pair for that signing, used
// it once and destroyed it; the certificate lives a few minutes. The subject names the person as
// the server verified them (the name the sender gave plus the phone or e-mail that answered a
// one-time code, or the account's approved real name), and the policy's user notice names the
// contract. Like OIDSelfDeclaredIdentity it lives under the UUID arc 2.25 (UUID
// 5b350ea1-7b62-4c3b-ac70-bc53914eccb1, drawn at random for SealDesk). Event certificates also
// carry OUEventCertificate in the subject so that viewers which show only the subject show it.
//
// What such a signature proves is weaker than a device-key signature: the server held the key
// for the moment of signing, so the statement "this person signed" rests on the server's
// verification of the one-time code, recorded in the contract's audit trail, not on a key only the
// person had. A verifier shows it as 事件证书, never as a device certificate.
var OIDEventCertificate = oidFromDER([]byte{0x69, 0x81, 0xb6, 0xb5, 0x87, 0xa8, 0xaf, 0xb6, 0x92, 0xb0, 0xf7, 0xac, 0xb8, 0xaf, 0x8a, 0xb9, 0x8a, 0xbb, 0x99, 0x31}) // 2.25.121235236097583797157486760606244457649

// OUEventCertificate is the subject organizational unit of event certificates.
const OUEventCertificate = "事件证书"

// MaxPolicyNotice is the longest user notice text (RFC 5280 §4.2.1.4: explicitText ≤ 200).
const MaxPolicyNotice = 200

var oidCertificatePolicies = asn1.ObjectIdentifier{2, 5, 29, 32}
var oidQualifierUserNotice = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 2}

// IsEventCertificate reports whether c carries the event certificate policy.
func IsEventCertificate(c *x509.Certificate) bool {
	if c == nil {
		return false
	}
	return slices.ContainsFunc(c.Policies, func(p x509.OID) bool { return p.Equal(OIDEventCertificate) })
}

type policyInformation struct {
	Policy     asn1.RawValue
	Qualifiers []policyQualifier `asn1:"optional"`
}

type policyQualifier struct {
	ID     asn1.ObjectIdentifier
	Notice userNotice
}

type userNotice struct {
	ExplicitText string `asn1:"utf8"`
}

// oidRaw is o as an ASN.1 OBJECT IDENTIFIER (arcs of any size: the 2.25 UUID arcs do not fit an
// int, so asn1.ObjectIdentifier cannot hold them).
func oidRaw(o x509.OID) (asn1.RawValue, error) {
	b, err := o.MarshalBinary()
	if err != nil {
		return asn1.RawValue{}, err
	}
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagOID, Bytes: b}, nil
}

// policiesWithNotice encodes the certificatePolicies extension with text as the user notice of
// the first policy.
func policiesWithNotice(policies []x509.OID, text string) (pkix.Extension, error) {
	if len(policies) == 0 {
		return pkix.Extension{}, errors.New("a policy notice needs a policy")
	}
	if n := utf8.RuneCountInString(text); n > MaxPolicyNotice || !utf8.ValidString(text) {
		return pkix.Extension{}, fmt.Errorf("policy notice of %d characters is over %d", n, MaxPolicyNotice)
	}
	var infos []policyInformation
	for i, p := range policies {
		oid, err := oidRaw(p)
		if err != nil {
			return pkix.Extension{}, err
		}
		pi := policyInformation{Policy: oid}
		if i == 0 {
			pi.Qualifiers = []policyQualifier{{ID: oidQualifierUserNotice, Notice: userNotice{ExplicitText: text}}}
		}
		infos = append(infos, pi)
	}
	v, err := asn1.Marshal(infos)
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidCertificatePolicies, Value: v}, nil
}

// PolicyNotice returns the user notice text qualifying policy in c ("" when none).
func PolicyNotice(c *x509.Certificate, policy x509.OID) string {
	want, err := policy.MarshalBinary()
	if c == nil || err != nil {
		return ""
	}
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidCertificatePolicies) {
			continue
		}
		var infos []asn1.RawValue
		if _, err := asn1.Unmarshal(e.Value, &infos); err != nil {
			return ""
		}
		for _, raw := range infos {
			var pi struct {
				Policy     asn1.RawValue
				Qualifiers []asn1.RawValue `asn1:"optional"`
			}
			if _, err := asn1.Unmarshal(raw.FullBytes, &pi); err != nil || pi.Policy.Tag != asn1.TagOID || !bytes.Equal(pi.Policy.Bytes, want) {
				continue
			}
			for _, q := range pi.Qualifiers {
				var pq struct {
					ID     asn1.ObjectIdentifier
					Notice asn1.RawValue
				}
				if _, err := asn1.Unmarshal(q.FullBytes, &pq); err != nil || !pq.ID.Equal(oidQualifierUserNotice) {
					continue
				}
				// UserNotice ::= SEQUENCE { noticeRef OPTIONAL, explicitText DisplayText OPTIONAL }
				var parts []asn1.RawValue
				if _, err := asn1.Unmarshal(pq.Notice.FullBytes, &parts); err != nil {
					continue
				}
				for _, p := range parts {
					if p.Class == asn1.ClassUniversal && (p.Tag == asn1.TagUTF8String || p.Tag == 26 || p.Tag == asn1.TagIA5String) {
						return strings.ToValidUTF8(string(p.Bytes), "")
					}
				}
			}
		}
	}
	return ""
}
