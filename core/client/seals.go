package client

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"sealdesk/core/api"
)

// --- enterprise seals (issue 16) ------------------------------------------------------------------

func sealsPath(eid string) string { return "/api/v1/enterprises/" + url.PathEscape(eid) }

// Seals lists the enterprise's seals as the caller sees them (usable now or not).
func (c *Client) Seals(ctx context.Context, eid string) (api.SealList, error) {
	var out api.SealList
	err := c.json(ctx, "GET", sealsPath(eid)+"/seals", nil, &out)
	return out, err
}

// CreateSeal creates an enterprise seal (seals.manage); the server makes its key and certificate.
func (c *Client) CreateSeal(ctx context.Context, eid string, req api.SealCreateRequest) (api.Seal, error) {
	var out api.Seal
	err := c.json(ctx, "POST", sealsPath(eid)+"/seals", req, &out)
	return out, err
}

// Seal returns a seal with its certificate chain.
func (c *Client) Seal(ctx context.Context, eid, sid string) (api.SealDetail, error) {
	var out api.SealDetail
	err := c.json(ctx, "GET", sealsPath(eid)+"/seals/"+url.PathEscape(sid), nil, &out)
	return out, err
}

// SealImage returns a seal's PNG.
func (c *Client) SealImage(ctx context.Context, eid, sid string) ([]byte, error) {
	_, b, err := c.do(ctx, "GET", sealsPath(eid)+"/seals/"+url.PathEscape(sid)+"/image", nil, nil, nil)
	return b, err
}

// DiscardSeal discards a seal (seals.manage).
func (c *Client) DiscardSeal(ctx context.Context, eid, sid string) (api.Seal, error) {
	var out api.Seal
	err := c.json(ctx, "POST", sealsPath(eid)+"/seals/"+url.PathEscape(sid)+"/discard", nil, &out)
	return out, err
}

// SealGrants lists a seal's grants (seals.grant).
func (c *Client) SealGrants(ctx context.Context, eid, sid string) ([]api.SealGrant, error) {
	var out []api.SealGrant
	err := c.json(ctx, "GET", sealsPath(eid)+"/seals/"+url.PathEscape(sid)+"/grants", nil, &out)
	return out, err
}

// GrantSeal grants a seal to a member or a department (seals.grant).
func (c *Client) GrantSeal(ctx context.Context, eid, sid string, req api.SealGrantRequest) (api.SealGrant, error) {
	var out api.SealGrant
	err := c.json(ctx, "POST", sealsPath(eid)+"/seals/"+url.PathEscape(sid)+"/grants", req, &out)
	return out, err
}

// ChangeSealGrant changes a grant's period (seals.grant).
func (c *Client) ChangeSealGrant(ctx context.Context, eid, gid string, req api.SealGrantRequest) (api.SealGrant, error) {
	var out api.SealGrant
	err := c.json(ctx, "PUT", sealsPath(eid)+"/seal-grants/"+url.PathEscape(gid), req, &out)
	return out, err
}

// RevokeSealGrant revokes a grant at once (seals.grant).
func (c *Client) RevokeSealGrant(ctx context.Context, eid, gid string) (api.SealGrant, error) {
	var out api.SealGrant
	err := c.json(ctx, "POST", sealsPath(eid)+"/seal-grants/"+url.PathEscape(gid)+"/revoke", nil, &out)
	return out, err
}

// ApplySeal applies to use a seal for a period.
func (c *Client) ApplySeal(ctx context.Context, eid, sid string, req api.SealApplyRequest) (api.SealApplication, error) {
	var out api.SealApplication
	err := c.json(ctx, "POST", sealsPath(eid)+"/seals/"+url.PathEscape(sid)+"/applications", req, &out)
	return out, err
}

// SealApplications lists applications (all of them for approvers; status "" for every state).
func (c *Client) SealApplications(ctx context.Context, eid, status string) ([]api.SealApplication, error) {
	var out []api.SealApplication
	err := c.json(ctx, "GET", sealsPath(eid)+"/seal-applications?status="+url.QueryEscape(status), nil, &out)
	return out, err
}

// DecideSealApplication approves or rejects an application (seals.approve).
func (c *Client) DecideSealApplication(ctx context.Context, eid, aid string, approve bool, comment string) (api.SealApplication, error) {
	verb := "/reject"
	if approve {
		verb = "/approve"
	}
	var out api.SealApplication
	err := c.json(ctx, "POST", sealsPath(eid)+"/seal-applications/"+url.PathEscape(aid)+verb, api.SealDecisionRequest{Comment: comment}, &out)
	return out, err
}

// SealUseQuery filters the usage log.
type SealUseQuery struct {
	SealID, MemberID string
	From, To         time.Time
	After            string
	Limit            int
}

func (q SealUseQuery) values() url.Values {
	v := url.Values{}
	if q.SealID != "" {
		v.Set("seal", q.SealID)
	}
	if q.MemberID != "" {
		v.Set("member", q.MemberID)
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339))
	}
	if q.After != "" {
		v.Set("after", q.After)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// SealUses reads one page of the usage log (seals.manage).
func (c *Client) SealUses(ctx context.Context, eid string, q SealUseQuery) (api.SealUseList, error) {
	var out api.SealUseList
	err := c.json(ctx, "GET", sealsPath(eid)+"/seal-uses?"+q.values().Encode(), nil, &out)
	return out, err
}

// SealUsesCSV exports the selected usage log as CSV (seals.manage).
func (c *Client) SealUsesCSV(ctx context.Context, eid string, q SealUseQuery) ([]byte, error) {
	v := q.values()
	v.Set("format", "csv")
	_, b, err := c.do(ctx, "GET", sealsPath(eid)+"/seal-uses?"+v.Encode(), nil, nil, nil)
	return b, err
}

// SealCode asks the server to send the caller a one-time signing code for a seal.
func (c *Client) SealCode(ctx context.Context, eid, sid string) (api.SealCodeTicket, error) {
	var out api.SealCodeTicket
	err := c.json(ctx, "POST", sealsPath(eid)+"/seals/"+url.PathEscape(sid)+"/codes", nil, &out)
	return out, err
}

// SealCodeFor asks for a code bound to one contract that signs up to req.Signatures digests of
// it (a company recipient's boxes in one submission).
func (c *Client) SealCodeFor(ctx context.Context, eid, sid string, req api.SealCodeRequest) (api.SealCodeTicket, error) {
	var out api.SealCodeTicket
	err := c.json(ctx, "POST", sealsPath(eid)+"/seals/"+url.PathEscape(sid)+"/codes", req, &out)
	return out, err
}

// SealSign asks the server to sign a digest with a seal. Keep key with the request until it is
// answered: resending with the same key after a network failure is safe (the server answers the
// stored signature and logs the use once). replayed says the answer is a stored one.
func (c *Client) SealSign(ctx context.Context, eid, sid, key string, req api.SealSignRequest) (resp api.SealSignResponse, replayed bool, err error) {
	b, err := json.Marshal(req)
	if err != nil {
		return resp, false, err
	}
	r, _, err := c.do(ctx, "POST", sealsPath(eid)+"/seals/"+url.PathEscape(sid)+"/sign",
		http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {key}}, b, &resp)
	if r != nil {
		replayed = r.Header.Get("Idempotency-Replayed") == "true"
	}
	return resp, replayed, err
}

// SealSigner is a crypto.Signer whose key is an enterprise seal in the server's custody: Sign
// sends the digest (never the document) with the one-time code and returns the server's
// signature, so core/sign builds the CMS as with a local key. It resends a request whose answer
// was lost (a network error) with the same idempotency key up to Retries times.
type SealSigner struct {
	Client       *Client
	EnterpriseID string
	SealID       string
	Cert         *x509.Certificate
	// CodeID and Code are the one-time code (SealCode, then what the user typed).
	CodeID, Code   string
	ContractID     string
	DocumentSHA256 string // hex SHA-256 of the document being signed, for the usage log
	Device         string
	Context        context.Context
	Retries        int // default 3
	// Key is the idempotency key; empty: one is made on the first Sign.
	Key string
	// Use is the usage log id of the signature, after Sign.
	Use string
}

var _ crypto.Signer = (*SealSigner)(nil)

// Public returns the seal certificate's public key.
func (s *SealSigner) Public() crypto.PublicKey { return s.Cert.PublicKey }

// Sign asks the server to sign digest (SHA-256 only).
func (s *SealSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil || opts.HashFunc() != crypto.SHA256 {
		return nil, errors.New("enterprise seals sign SHA-256 digests only")
	}
	ctx := s.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if s.Key == "" {
		s.Key = NewIdempotencyKey()
	}
	retries := s.Retries
	if retries <= 0 {
		retries = 3
	}
	req := api.SealSignRequest{Digest: digest, CodeID: s.CodeID, Code: s.Code, ContractID: s.ContractID, DocumentSHA256: s.DocumentSHA256, Device: s.Device}
	for attempt := 0; ; attempt++ {
		resp, _, err := s.Client.SealSign(ctx, s.EnterpriseID, s.SealID, s.Key, req)
		if err == nil {
			s.Use = resp.UseID
			return resp.Signature, nil
		}
		var ae *Error
		if errors.As(err, &ae) || attempt >= retries || ctx.Err() != nil {
			return nil, err
		}
		t := time.NewTimer(time.Duration(250<<attempt) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

// SealCertificates parses a SealDetail's certificate and chain.
func SealCertificates(d api.SealDetail) (*x509.Certificate, []*x509.Certificate, error) {
	parse := func(p string) ([]*x509.Certificate, error) {
		var out []*x509.Certificate
		rest := []byte(p)
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				return out, nil
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	leaf, err := parse(d.Certificate)
	if err != nil || len(leaf) != 1 {
		return nil, nil, fmt.Errorf("bad seal certificate: %v", err)
	}
	chain, err := parse(d.Chain)
	if err != nil {
		return nil, nil, fmt.Errorf("bad seal certificate chain: %w", err)
	}
	return leaf[0], chain, nil
}
