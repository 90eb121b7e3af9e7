package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"sealdesk/core/cms"
	"sealdesk/core/pdf"
	"sealdesk/core/tsa"
)

// RevocationSource fetches revocation data for a certificate issued by issuer. Both return
// DER; an error means "not available from this source".
type RevocationSource interface {
	OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error)
	CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error)
}

// HTTPRevocation fetches OCSP responses and CRLs from the URLs in the certificates.
type HTTPRevocation struct {
	// Client is the HTTP client (nil: 20 s timeout).
	Client *http.Client
}

var _ RevocationSource = (*HTTPRevocation)(nil)

// maxRevocationSize bounds a fetched OCSP response or CRL.
const maxRevocationSize = 16 << 20

func (h *HTTPRevocation) client() *http.Client {
	if h.Client != nil {
		return h.Client
	}
	return &http.Client{Timeout: 20 * time.Second}
}

// OCSP asks the certificate's first HTTP OCSP responder and checks the answer's signature.
func (h *HTTPRevocation) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	var url string
	for _, u := range cert.OCSPServer {
		if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			url = u
			break
		}
	}
	if url == "" {
		return nil, errors.New("certificate names no ocsp responder")
	}
	req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return nil, fmt.Errorf("failed to build ocsp request: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("failed to build ocsp request: %w", err)
	}
	hr.Header.Set("Content-Type", "application/ocsp-request")
	resp, err := h.client().Do(hr)
	if err != nil {
		return nil, fmt.Errorf("failed to reach ocsp responder: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRevocationSize))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ocsp responder answered http %d: %v", resp.StatusCode, err)
	}
	if _, err := ocsp.ParseResponseForCert(body, cert, issuer); err != nil {
		return nil, fmt.Errorf("bad ocsp response: %w", err)
	}
	return body, nil
}

// CRL downloads the certificate's first HTTP CRL and checks its signature.
func (h *HTTPRevocation) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	var url string
	for _, u := range cert.CRLDistributionPoints {
		if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			url = u
			break
		}
	}
	if url == "" {
		return nil, errors.New("certificate names no crl")
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("failed to build crl request: %w", err)
	}
	resp, err := h.client().Do(hr)
	if err != nil {
		return nil, fmt.Errorf("failed to fetch crl: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRevocationSize))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("crl server answered http %d: %v", resp.StatusCode, err)
	}
	crl, err := x509.ParseRevocationList(body)
	if err != nil {
		return nil, fmt.Errorf("bad crl: %w", err)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("crl not signed by the issuer: %w", err)
	}
	return body, nil
}

// validationData is what goes into the DSS for one signature (and, merged, for the document).
type validationData struct {
	certs, ocsps, crls [][]byte
}

func addUnique(list [][]byte, b []byte) [][]byte {
	for _, x := range list {
		if bytes.Equal(x, b) {
			return list
		}
	}
	return append(list, b)
}

func (v *validationData) merge(o *validationData) {
	for _, c := range o.certs {
		v.certs = addUnique(v.certs, c)
	}
	for _, c := range o.ocsps {
		v.ocsps = addUnique(v.ocsps, c)
	}
	for _, c := range o.crls {
		v.crls = addUnique(v.crls, c)
	}
}

// buildChain orders the path from cert up to a self-signed certificate using pool (signature
// checked at each step). It stops when no issuer is found.
func buildChain(cert *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	chain := []*x509.Certificate{cert}
	cur := cert
	for len(chain) < 10 {
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) && cur.CheckSignatureFrom(cur) == nil {
			break
		}
		var next *x509.Certificate
		for _, c := range pool {
			if bytes.Equal(c.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(c) == nil {
				next = c
				break
			}
		}
		if next == nil {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain
}

// collect gathers certificates and revocation data for the chain of end (a signer or TSA).
func collect(ctx context.Context, src RevocationSource, end *x509.Certificate, pool []*x509.Certificate, strict bool) (*validationData, error) {
	vd := &validationData{}
	chain := buildChain(end, pool)
	for i, c := range chain {
		vd.certs = addUnique(vd.certs, c.Raw)
		if i+1 >= len(chain) {
			break // the top of the chain (a root) has no revocation data
		}
		issuer := chain[i+1]
		if der, err := src.OCSP(ctx, c, issuer); err == nil {
			resp, perr := ocsp.ParseResponseForCert(der, c, issuer)
			if perr == nil && resp.Status == ocsp.Revoked && strict && i == 0 {
				return nil, fmt.Errorf("certificate %q is revoked (%v)", c.Subject.CommonName, resp.RevokedAt)
			}
			vd.ocsps = addUnique(vd.ocsps, der)
			if perr == nil && resp.Certificate != nil {
				vd.certs = addUnique(vd.certs, resp.Certificate.Raw)
			}
			continue
		}
		if der, err := src.CRL(ctx, c, issuer); err == nil {
			vd.crls = addUnique(vd.crls, der)
			continue
		} else if strict && i == 0 {
			return nil, fmt.Errorf("no revocation data for %q: %w", c.Subject.CommonName, err)
		}
	}
	return vd, nil
}

// sigContents is one signature's /Contents (padded, as stored).
type sigContents struct {
	contents []byte
}

// vriKey is the DSS VRI key of a signature: upper-case hex SHA-1 of its /Contents bytes.
func vriKey(contents []byte) pdf.Name {
	s := sha1.Sum(contents)
	return pdf.Name(strings.ToUpper(hex.EncodeToString(s[:])))
}

// validationFor collects the data for one signature or document timestamp: the signer's (or
// TSA's) chain and, for a signature timestamp, the TSA's chain.
func validationFor(ctx context.Context, src RevocationSource, contents []byte, extra []*x509.Certificate, strict bool) (*validationData, error) {
	p, err := cms.Parse(contents)
	if err != nil {
		return nil, fmt.Errorf("failed to parse signature: %w", err)
	}
	if len(p.Signers) == 0 {
		return nil, errors.New("signature has no signer")
	}
	s := &p.Signers[0]
	signer := p.SignerCert(s)
	if signer == nil {
		return nil, errors.New("signer certificate not embedded")
	}
	pool := append(append([]*x509.Certificate{}, p.Certificates...), extra...)
	vd, err := collect(ctx, src, signer, pool, strict)
	if err != nil {
		return nil, err
	}
	if tok := s.Timestamp(); tok != nil {
		if info, err := tsa.ParseToken(tok); err == nil {
			tvd, err := collect(ctx, src, info.Signer, append(info.Certificates, extra...), false)
			if err == nil {
				vd.merge(tvd)
			}
		}
	}
	return vd, nil
}

// addLTV appends a revision with a DSS holding validation data for sigs (merged into an
// existing DSS). It returns the number of revisions added (1).
func (w *output) addLTV(src RevocationSource, sigs []sigContents, extra []*x509.Certificate, strict bool) (int, error) {
	if src == nil {
		src = &HTTPRevocation{}
	}
	f, err := w.open()
	if err != nil {
		return 0, err
	}
	ed, err := newEditor(f)
	if err != nil {
		return 0, err
	}
	if err := ed.addDSS(w.context(), src, sigs, extra, strict); err != nil {
		return 0, err
	}
	if err := ed.commit(); err != nil {
		return 0, err
	}
	section, _, err := ed.u.Bytes()
	if err != nil {
		return 0, fmt.Errorf("failed to lay out the dss update: %w", err)
	}
	return 1, w.append(section)
}

// addDSS builds the new /DSS in the editor's catalog.
func (e *editor) addDSS(ctx context.Context, src RevocationSource, sigs []sigContents, extra []*x509.Certificate, strict bool) error {
	v := e.v
	dssRaw := e.cat.Get("DSS")
	dssRef, _ := dssRaw.(pdf.Ref)
	dss := pdf.Dict{}
	if d := v.Dict(dssRaw); d != nil {
		dss = d.Clone()
	}
	dss["Type"] = pdf.Name("DSS")
	existing := func(key pdf.Name) pdf.Array {
		a, _ := resolveArray(v, dss.Get(key))
		return append(pdf.Array{}, a...)
	}
	all := map[pdf.Name]pdf.Array{"Certs": existing("Certs"), "OCSPs": existing("OCSPs"), "CRLs": existing("CRLs")}
	vri := pdf.Dict{}
	if d := v.Dict(dss.Get("VRI")); d != nil {
		vri = d.Clone()
	}
	streamRefs := map[string]pdf.Ref{}
	add := func(key pdf.Name, der []byte) pdf.Ref {
		if r, ok := streamRefs[string(der)]; ok {
			return r
		}
		data, err := deflate(der)
		if err != nil {
			data = nil
		}
		st := &pdf.Stream{Dict: pdf.Dict{"Filter": pdf.Name("FlateDecode")}, Data: data}
		if data == nil {
			st = &pdf.Stream{Dict: pdf.Dict{}, Data: der}
		}
		r := e.u.Add(st)
		streamRefs[string(der)] = r
		all[key] = append(all[key], r)
		return r
	}
	for _, s := range sigs {
		vd, err := validationFor(ctx, src, s.contents, extra, strict)
		if err != nil {
			if strict {
				return err
			}
			continue // a signature this package cannot parse gets no VRI entry
		}
		entry := pdf.Dict{}
		for _, x := range []struct {
			key, vriKey pdf.Name
			list        [][]byte
		}{{"Certs", "Cert", vd.certs}, {"OCSPs", "OCSP", vd.ocsps}, {"CRLs", "CRL", vd.crls}} {
			var refs pdf.Array
			for _, der := range x.list {
				refs = append(refs, add(x.key, der))
			}
			if len(refs) > 0 {
				entry[x.vriKey] = refs
			}
		}
		vri[vriKey(s.contents)] = entry
	}
	for k, a := range all {
		if len(a) > 0 {
			dss[k] = a
		}
	}
	dss["VRI"] = vri
	if !dssRef.IsZero() {
		return e.u.Set(dssRef, dss)
	}
	e.cat["DSS"] = e.u.Add(dss)
	e.catDirty = true
	// Declare the PAdES extension (ESIC level 5) for PDF 1.x readers.
	ext := pdf.Dict{}
	if d := v.Dict(e.cat.Get("Extensions")); d != nil {
		ext = d.Clone()
	}
	if ext.Get("ESIC") == nil {
		ext["ESIC"] = pdf.Dict{"Type": pdf.Name("DeveloperExtensions"), "BaseVersion": pdf.Name("1.7"), "ExtensionLevel": pdf.Int(5)}
		e.cat["Extensions"] = ext
	}
	return nil
}

// addDocTimestamp appends a revision with a document timestamp (ETSI.RFC3161) covering the
// whole file.
func (w *output) addDocTimestamp(ts tsa.Timestamper, h crypto.Hash, _ RevocationSource) error {
	if ts == nil {
		return ErrNeedTimestamper
	}
	if h == 0 {
		h = crypto.SHA256
	}
	probe, err := probeTimestamp(w.context(), ts)
	if err != nil {
		return err
	}
	f, err := w.open()
	if err != nil {
		return err
	}
	ed, err := newEditor(f)
	if err != nil {
		return err
	}
	sig := pdf.Dict{
		"Type":      pdf.Name("DocTimeStamp"),
		"Filter":    pdf.Name("Adobe.PPKLite"),
		"SubFilter": pdf.Name("ETSI.RFC3161"),
		"ByteRange": pdf.ByteRangePlaceholder(byteRangeName),
		"Contents":  pdf.HexPlaceholder(contentsName, probe+256),
	}
	sigRef := ed.u.Add(sig)
	ap, err := ed.appearance(0, 0, 0, nil, Fit)
	if err != nil {
		return err
	}
	if _, err := ed.newSigField(ed.newFieldName("DocTimestamp"), sigRef, []widgetSpec{{page: 0, ap: ap}}, nil); err != nil {
		return err
	}
	if err := ed.commit(); err != nil {
		return err
	}
	hh, err := w.takeWholeHash(h)
	if err != nil {
		return err
	}
	_, err = w.appendSigned(ed.u, hh, func(digest []byte) ([]byte, error) {
		tok, err := ts.Timestamp(w.context(), h, digest)
		if err != nil {
			return nil, fmt.Errorf("failed to get the document timestamp: %w", err)
		}
		return tok, nil
	})
	return err
}
