package client

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
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

// SealSign sends one seal request (see api.SealSignRequest: the server seals a document it
// holds or that travels in the request, never a digest from here). Keep key with the request
// until it is answered: resending with the same key after a network failure is safe (the server
// answers the stored result and logs the use once). replayed says the answer is a stored one.
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

// SealDocument has the server seal doc — the contract's current document (req.ContractID and
// req.Document set; doc is the desktop's copy, only hashed here, never sent) or a local file
// (sent in the request) — with req.Marks, and returns the sealed document: doc followed by the
// server's update. A request whose answer was lost (a network error) is resent with the same
// idempotency key up to retries times (0: 3).
func (c *Client) SealDocument(ctx context.Context, eid, sid string, doc []byte, req api.SealSignRequest, retries int) ([]byte, api.SealSignResponse, error) {
	sum := sha256.Sum256(doc)
	req.DocumentSHA256 = hex.EncodeToString(sum[:])
	req.PDF, req.Digest = nil, nil
	if req.ContractID == "" {
		req.PDF = doc
	}
	if retries <= 0 {
		retries = 3
	}
	key := NewIdempotencyKey()
	for attempt := 0; ; attempt++ {
		resp, _, err := c.SealSign(ctx, eid, sid, key, req)
		if err == nil {
			sealed := append(append(make([]byte, 0, len(doc)+len(resp.Update)), doc...), resp.Update...)
			got := sha256.Sum256(sealed)
			if len(resp.Update) == 0 || hex.EncodeToString(got[:]) != resp.SealedSHA256 {
				return nil, resp, errors.New("the server's sealed document does not extend this document")
			}
			return sealed, resp, nil
		}
		var ae *Error
		if errors.As(err, &ae) || attempt >= retries || ctx.Err() != nil {
			return nil, resp, err
		}
		t := time.NewTimer(time.Duration(250<<attempt) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, resp, err
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
