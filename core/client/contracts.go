package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"sealdesk/core/api"
)

// Contracts (SPEC §5): envelopes sent for signing. Every call that changes an envelope takes an
// idempotency key (NewIdempotencyKey, kept until the server has answered), so a retry after a
// network failure never sends, signs or declines twice.
//
// A change to an envelope appends an "envelope.changed" event to the sync scope of every party
// with an account (payload: {"id": …, "box": …}); long-poll Pull on the account's own scope to
// see a new 待我签 at once.

// EventEnvelopeChanged is the sync event type that tells a party an envelope moved.
const EventEnvelopeChanged = "envelope.changed"

// DeviceName, when set, names this device in the timeline and the 签署报告 (e.g. "SealDesk 桌面版
// Windows 11 / DESKTOP-7F3"); sent as the X-SealDesk-Device header of contract calls.
var deviceHeader = "X-SealDesk-Device"

func (c *Client) contractHeader(key, contentType string) http.Header {
	h := http.Header{}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	if c.DeviceName != "" {
		h.Set(deviceHeader, c.DeviceName)
	}
	return h
}

func (c *Client) contractJSON(ctx context.Context, method, path, key string, in, out any) error {
	var body []byte
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ct = b, "application/json"
	}
	_, _, err := c.do(ctx, method, path, c.contractHeader(key, ct), body, out)
	return err
}

// UploadBlob stores a file (PDF, JPEG or PNG, ≤ 10 MB) content-addressed on the server and
// returns its SHA-256; uploading the same bytes again is harmless.
func (c *Client) UploadBlob(ctx context.Context, data []byte) (api.BlobInfo, error) {
	var r api.BlobInfo
	_, _, err := c.do(ctx, "PUT", "/api/v1/blobs", c.contractHeader("", "application/octet-stream"), data, &r)
	return r, err
}

// DownloadBlob fetches a file this account uploaded, by its SHA-256 (a template's files on
// another computer of the account); the bytes are checked against the digest.
func (c *Client) DownloadBlob(ctx context.Context, sum string) ([]byte, error) {
	_, b, err := c.do(ctx, "GET", "/api/v1/blobs/"+url.PathEscape(sum), c.contractHeader("", ""), nil, nil)
	if err != nil {
		return nil, err
	}
	if h := sha256.Sum256(b); !strings.EqualFold(hex.EncodeToString(h[:]), sum) {
		return nil, fmt.Errorf("the server's file %s does not match its digest", sum)
	}
	return b, nil
}

// NamedFile is a file to attach to an envelope.
type NamedFile struct {
	Name string
	Data []byte
}

// UploadFiles uploads files and returns their references for EnvelopeRequest.Files.
func (c *Client) UploadFiles(ctx context.Context, files []NamedFile) ([]api.FileRef, error) {
	refs := make([]api.FileRef, 0, len(files))
	for _, f := range files {
		b, err := c.UploadBlob(ctx, f.Data)
		if err != nil {
			return nil, err
		}
		refs = append(refs, api.FileRef{Name: f.Name, SHA256: b.SHA256})
	}
	return refs, nil
}

// SendEnvelope creates an envelope (sent at once, or a draft when req.Draft). A refusal comes
// back as *Error with a Chinese message (e.g. code too_many_files, subject_too_long, bad_phone,
// quota_exhausted).
func (c *Client) SendEnvelope(ctx context.Context, key string, req api.EnvelopeRequest) (api.Envelope, error) {
	var e api.Envelope
	return e, c.contractJSON(ctx, "POST", "/api/v1/envelopes", key, req, &e)
}

// UpdateDraft replaces a draft's content (it stays a draft).
func (c *Client) UpdateDraft(ctx context.Context, id string, req api.EnvelopeRequest) (api.Envelope, error) {
	var e api.Envelope
	return e, c.contractJSON(ctx, "PUT", "/api/v1/envelopes/"+url.PathEscape(id), "", req, &e)
}

// SendDraft sends a draft as it is stored.
func (c *Client) SendDraft(ctx context.Context, key, id string) (api.Envelope, error) {
	var e api.Envelope
	return e, c.contractJSON(ctx, "POST", "/api/v1/envelopes/"+url.PathEscape(id)+"/send", key, nil, &e)
}

// DeleteDraft removes a draft.
func (c *Client) DeleteDraft(ctx context.Context, id string) error {
	return c.contractJSON(ctx, "POST", "/api/v1/envelopes/"+url.PathEscape(id)+"/delete", "", nil, nil)
}

// ListOptions select a page of a box.
type ListOptions struct {
	Box   string // api.BoxToSign … (empty: BoxToSign)
	Query string // matches the subject or a party's name, phone or company
	After string // EnvelopeList.Next of the previous page
	Limit int    // 1–100 (0: 20)
	// Filter lists a quick list instead of a box (api.FilterDueSoon, api.FilterExpiring) over
	// the next Days days (0: api.DefaultDueDays).
	Filter string
	Days   int
}

// Envelopes lists a box with every box's count.
func (c *Client) Envelopes(ctx context.Context, o ListOptions) (api.EnvelopeList, error) {
	var l api.EnvelopeList
	return l, c.contractJSON(ctx, "GET", "/api/v1/envelopes?"+o.query(), "", nil, &l)
}

// EnterpriseEnvelopes is 查看企业全部合同: a box of every contract enterprise id sent (Box
// empty: api.BoxWaiting, the ones in progress), for members holding org.PermViewAllContracts.
func (c *Client) EnterpriseEnvelopes(ctx context.Context, id string, o ListOptions) (api.EnvelopeList, error) {
	var l api.EnvelopeList
	return l, c.contractJSON(ctx, "GET", "/api/v1/enterprises/"+url.PathEscape(id)+"/envelopes?"+o.query(), "", nil, &l)
}

func (o ListOptions) query() string {
	q := url.Values{}
	if o.Box != "" {
		q.Set("box", o.Box)
	}
	if o.Query != "" {
		q.Set("q", o.Query)
	}
	if o.After != "" {
		q.Set("after", o.After)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Filter != "" {
		q.Set("filter", o.Filter)
		if o.Days != 0 {
			q.Set("days", strconv.Itoa(o.Days))
		}
	}
	return q.Encode()
}

// EnvelopeCounts returns the count of every box (the home screen's 签署统计).
func (c *Client) EnvelopeCounts(ctx context.Context) (map[string]int, error) {
	var m map[string]int
	return m, c.contractJSON(ctx, "GET", "/api/v1/envelopes/counts", "", nil, &m)
}

// QuickCounts returns 首页's 快捷入口 counters as the server counts them, 即将截止签约 and 即将过期
// over the next days (0: api.DefaultDueDays).
func (c *Client) QuickCounts(ctx context.Context, days int) (api.QuickCounts, error) {
	p := "/api/v1/envelopes/quick-counts"
	if days != 0 {
		p += "?days=" + strconv.Itoa(days)
	}
	var qc api.QuickCounts
	return qc, c.contractJSON(ctx, "GET", p, "", nil, &qc)
}

// Envelope returns an envelope's detail (parties only).
func (c *Client) Envelope(ctx context.Context, id string) (api.Envelope, error) {
	var e api.Envelope
	return e, c.contractJSON(ctx, "GET", "/api/v1/envelopes/"+url.PathEscape(id), "", nil, &e)
}

// Document versions for EnvelopeDocument.
const (
	VersionCurrent  = "current"  // the latest signed revision: what the next signer signs
	VersionOriginal = "original" // the uploaded file
	VersionSent     = "sent"     // as sent: QR code, fields, the server's certification
	VersionFinal    = "final"    // the completed PDF with its document timestamp
)

// EnvelopeDocument downloads document n (0-based) of an envelope in a version (empty: current).
func (c *Client) EnvelopeDocument(ctx context.Context, id string, n int, version string) ([]byte, error) {
	p := "/api/v1/envelopes/" + url.PathEscape(id) + "/documents/" + strconv.Itoa(n)
	if version != "" {
		p += "?version=" + url.QueryEscape(version)
	}
	_, b, err := c.do(ctx, "GET", p, c.contractHeader("", ""), nil, nil)
	return b, err
}

// UploadRevision uploads the caller's signed revision of document n: the current document with
// the caller's signatures appended as incremental updates. The server verifies it (core/verify)
// and refuses anything but the expected signer filling their own fields, with a Chinese message
// (codes not_your_turn, not_incremental, disallowed_change, wrong_signer, wrong_field,
// envelope_closed …).
func (c *Client) UploadRevision(ctx context.Context, key, id string, n int, pdf []byte) (api.Envelope, error) {
	var e api.Envelope
	_, _, err := c.do(ctx, "POST", "/api/v1/envelopes/"+url.PathEscape(id)+"/documents/"+strconv.Itoa(n)+"/revisions",
		c.contractHeader(key, "application/pdf"), pdf, &e)
	return e, err
}

// Decline refuses to sign (拒签) with a reason: the envelope becomes 已拒签 for everyone.
func (c *Client) Decline(ctx context.Context, key, id, reason string) (api.Envelope, error) {
	var e api.Envelope
	return e, c.contractJSON(ctx, "POST", "/api/v1/envelopes/"+url.PathEscape(id)+"/decline", key, api.ReasonRequest{Reason: reason}, &e)
}

// Withdraw takes an envelope back (撤回) before completion (the sender only).
func (c *Client) Withdraw(ctx context.Context, key, id, reason string) (api.Envelope, error) {
	var e api.Envelope
	return e, c.contractJSON(ctx, "POST", "/api/v1/envelopes/"+url.PathEscape(id)+"/withdraw", key, api.ReasonRequest{Reason: reason}, &e)
}

// Remind (催办) notifies the recipients whose turn it is again; rate-limited per envelope.
func (c *Client) Remind(ctx context.Context, id string) (api.Envelope, error) {
	var e api.Envelope
	return e, c.contractJSON(ctx, "POST", "/api/v1/envelopes/"+url.PathEscape(id)+"/remind", "", nil, &e)
}

// EnvelopeReport downloads the 签署报告 (a PDF signed by the server) of a completed envelope.
func (c *Client) EnvelopeReport(ctx context.Context, id string) ([]byte, error) {
	_, b, err := c.do(ctx, "GET", "/api/v1/envelopes/"+url.PathEscape(id)+"/report", c.contractHeader("", ""), nil, nil)
	return b, err
}

// SaveTemplate creates (ID empty) or replaces a template of the caller.
func (c *Client) SaveTemplate(ctx context.Context, t api.Template) (api.Template, error) {
	var r api.Template
	return r, c.contractJSON(ctx, "POST", "/api/v1/templates", "", t, &r)
}

// Templates lists the caller's templates.
func (c *Client) Templates(ctx context.Context) ([]api.Template, error) {
	var r []api.Template
	return r, c.contractJSON(ctx, "GET", "/api/v1/templates", "", nil, &r)
}

// DeleteTemplate removes one of the caller's templates.
func (c *Client) DeleteTemplate(ctx context.Context, id string) error {
	return c.contractJSON(ctx, "POST", "/api/v1/templates/"+url.PathEscape(id)+"/delete", "", nil, nil)
}

// Contacts lists the caller's recent recipients, newest first.
func (c *Client) Contacts(ctx context.Context) ([]api.Contact, error) {
	var r []api.Contact
	return r, c.contractJSON(ctx, "GET", "/api/v1/contacts", "", nil, &r)
}

// VerifyInfo reads the public verification page of a document (the QR code's URL) as JSON.
func (c *Client) VerifyInfo(ctx context.Context, verifyURL string) (api.VerifyPage, error) {
	var r api.VerifyPage
	u, err := url.Parse(verifyURL)
	if err != nil {
		return r, err
	}
	_, _, err = c.do(ctx, "GET", u.Path+"?format=json", http.Header{"Accept": {"application/json"}}, nil, &r)
	return r, err
}
