// Package client is the typed Go client of the SealDesk server API, used by the desktop (for its
// embedded backend and for remote servers) and by tests and sealctl.
//
// It trusts the server through a root certificate given to New (the server's own CA) or the
// system roots. Commands carry a caller-made idempotency key, so resending one after a network
// failure is always safe. The client retries on its own only an answer 503: the server gives it
// when it did nothing (its store is unreachable, or it is too busy to hash a password), so the
// retry is safe; it waits as Retry-After says (or backs off), a bounded number of times, and keeps
// its session token throughout — only a 401 means the session is gone.
//
// It refuses answers larger than MaxResponse and never logs tokens.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	stdsync "sync"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// MaxResponse bounds a response body read by the client.
const MaxResponse = 64 << 20

// Client talks to one server as (at most) one logged-in account.
type Client struct {
	BaseURL string
	HTTP    *http.Client
	// Token is the session token; Register and Login set it.
	Token string
	// Retries503 is how many times an answer 503 is retried (0: DefaultRetries503; negative:
	// never).
	Retries503 int
	// Device is the device token the server gave at the last sign-in (org.Token.Device). Login
	// presents it, so that a stranger's wrong passwords from elsewhere never lock this device's
	// password login; the desktop keeps it with the session and sets it before logging in again.
	Device string

	mu         stdsync.Mutex
	challenges map[string]string // purpose, login → challenge of the last code asked for
	// DeviceName names this device in contract timelines and 签署报告 (see contracts.go);
	// optional.
	DeviceName string
}

// DefaultRetries503 is how many times a 503 is retried by default: with the back-off (0.25 s,
// doubling, or the server's Retry-After up to 5 s) a request gives up after about 4–15 s.
const DefaultRetries503 = 4

// maxRetryAfter caps how long the client honours a Retry-After.
const maxRetryAfter = 5 * time.Second

// New returns a client for baseURL. rootPEM, when not empty, is the only trusted root for HTTPS
// (the server's /ca/root.pem); otherwise the system roots are used.
func New(baseURL string, rootPEM []byte) (*Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	if len(rootPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(rootPEM) {
			return nil, errors.New("no certificate in the root pem")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Transport: tr, Timeout: 90 * time.Second}}, nil
}

// Error is an error answer of the API.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("server refused (%d %s): %s", e.Status, e.Code, e.Message)
}

// IsCode reports whether err is an API error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func (c *Client) do(ctx context.Context, method, path string, header http.Header, body []byte, out any) (*http.Response, []byte, error) {
	retries := c.Retries503
	if retries == 0 {
		retries = DefaultRetries503
	}
	backoff := 250 * time.Millisecond
	for attempt := 0; ; attempt++ {
		resp, b, err := c.once(ctx, method, path, header, body, out)
		var e *Error
		if attempt >= retries || !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable {
			return resp, b, err
		}
		wait := backoff
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s >= 0 {
			wait = min(time.Duration(s)*time.Second, maxRetryAfter)
		}
		backoff *= 2
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, b, err
		case <-t.C:
		}
	}
}

func (c *Client) once(ctx context.Context, method, path string, header http.Header, body []byte, out any) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	c.addConfirm(ctx, req) // 二次校验 (account.go)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	if err != nil {
		return resp, nil, fmt.Errorf("%s %s: failed to read answer: %w", method, path, err)
	}
	if len(b) > MaxResponse {
		return resp, nil, fmt.Errorf("%s %s: answer larger than %d bytes", method, path, MaxResponse)
	}
	if resp.StatusCode >= 400 {
		var eb api.ErrorBody
		if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
			return resp, b, &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
		}
		return resp, b, &Error{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: strings.TrimSpace(string(b))}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp, b, fmt.Errorf("%s %s: bad answer: %w", method, path, err)
		}
	}
	return resp, b, nil
}

func (c *Client) json(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	h := http.Header{}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = b
		h.Set("Content-Type", "application/json")
	}
	_, _, err := c.do(ctx, method, path, h, body, out)
	return err
}

// Health checks GET /healthz.
func (c *Client) Health(ctx context.Context) error { return c.json(ctx, "GET", "/healthz", nil, nil) }

// SendCode asks for a one-time code for purpose "register" or "login".
func (c *Client) SendCode(ctx context.Context, login, purpose string) error {
	var resp api.CodeResponse
	if err := c.json(ctx, "POST", "/api/v1/auth/codes", api.CodeRequest{Login: login, Purpose: purpose, Device: c.DeviceToken()}, &resp); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.challenges == nil {
		c.challenges = map[string]string{}
	}
	c.challenges[challengeKey(purpose, login)] = resp.Challenge
	return nil
}

// challengeKey spells a login the way the server does, so "+86 139…" finds the code of "139…".
func challengeKey(purpose, login string) string {
	if l, ch, err := org.NormalizeLogin(login); err == nil {
		login = string(ch) + ":" + l
	}
	return purpose + "\x00" + login
}

// Challenge returns the challenge of the last code this client asked for (purpose, login).
func (c *Client) Challenge(purpose, login string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.challenges[challengeKey(purpose, login)]
}

// Register creates an account and keeps its session token. The code's challenge is the one
// SendCode got for this login, unless r names one.
func (c *Client) Register(ctx context.Context, r org.RegisterRequest) (org.Token, error) {
	if r.Challenge == "" {
		r.Challenge = c.Challenge(org.PurposeRegister, r.Login)
	}
	var t org.Token
	err := c.json(ctx, "POST", "/api/v1/auth/register", r, &t)
	if err == nil {
		c.Token = t.Token
		c.setDevice(t.Device)
	}
	return t, err
}

// Login opens a session (password or code) and keeps its token. A code login uses the challenge
// SendCode got for this login unless r names one; every login presents Device unless r names
// one.
func (c *Client) Login(ctx context.Context, r org.LoginRequest) (org.Token, error) {
	if r.Code != "" && r.Challenge == "" {
		r.Challenge = c.Challenge(org.PurposeLogin, r.Login)
	}
	if r.Device == "" {
		r.Device = c.DeviceToken()
	}
	var t org.Token
	err := c.json(ctx, "POST", "/api/v1/auth/login", r, &t)
	if err == nil {
		c.Token = t.Token
		c.setDevice(t.Device)
	}
	return t, err
}

// DeviceToken returns the device token of the last sign-in (see Client.Device).
func (c *Client) DeviceToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Device
}

func (c *Client) setDevice(d string) {
	if d == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Device = d
}

// Logout revokes the session.
func (c *Client) Logout(ctx context.Context) error {
	err := c.json(ctx, "POST", "/api/v1/auth/logout", nil, nil)
	if err == nil {
		c.Token = ""
	}
	return err
}

// Me returns the logged-in account.
func (c *Client) Me(ctx context.Context) (org.Account, error) {
	var a org.Account
	return a, c.json(ctx, "GET", "/api/v1/me", nil, &a)
}

// SubmitRealName starts a real-name verification ("manual", or "dev" on a --dev server).
func (c *Client) SubmitRealName(ctx context.Context, name, idNumber, provider string) (org.Verification, error) {
	var v org.Verification
	return v, c.json(ctx, "POST", "/api/v1/realname", api.RealNameRequest{Name: name, IDNumber: idNumber, Provider: provider}, &v)
}

// RealName returns the current verification.
func (c *Client) RealName(ctx context.Context) (org.Verification, error) {
	var v org.Verification
	return v, c.json(ctx, "GET", "/api/v1/realname", nil, &v)
}

// UploadIDPhoto uploads the "front" or "back" ID photo (PNG or JPEG, ≤ 5 MB).
func (c *Client) UploadIDPhoto(ctx context.Context, verificationID, side string, data []byte) (org.Verification, error) {
	var v org.Verification
	_, _, err := c.do(ctx, "PUT", "/api/v1/realname/"+url.PathEscape(verificationID)+"/photos/"+url.PathEscape(side),
		http.Header{"Content-Type": {http.DetectContentType(data)}}, data, &v)
	return v, err
}

// RequestCertificate sends a PEM CSR and returns the person certificate with its chain.
func (c *Client) RequestCertificate(ctx context.Context, csrPEM []byte) (api.CertificateResponse, error) {
	var r api.CertificateResponse
	return r, c.json(ctx, "POST", "/api/v1/certificates", api.CertificateRequest{CSR: string(csrPEM), Device: c.DeviceName}, &r)
}

// Certificates lists the account's certificates.
func (c *Client) Certificates(ctx context.Context) ([]api.CertificateInfo, error) {
	var r []api.CertificateInfo
	return r, c.json(ctx, "GET", "/api/v1/certificates", nil, &r)
}

// RevokeCertificate revokes one of the account's certificates (RFC 5280 reason code).
func (c *Client) RevokeCertificate(ctx context.Context, serial string, reason int) (api.CertificateInfo, error) {
	var r api.CertificateInfo
	return r, c.json(ctx, "POST", "/api/v1/certificates/"+url.PathEscape(serial)+"/revoke", api.RevokeRequest{Reason: reason}, &r)
}

// Pull returns events of scope after since; wait > 0 long-polls up to that long.
func (c *Client) Pull(ctx context.Context, scope string, since uint64, limit int, wait time.Duration) (api.PullResponse, error) {
	q := url.Values{"scope": {scope}, "since": {strconv.FormatUint(since, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	var r api.PullResponse
	return r, c.json(ctx, "GET", "/api/v1/sync?"+q.Encode(), nil, &r)
}

// CommandResult is the server's answer to a command.
type CommandResult struct {
	Applied  sync.Applied
	Replayed bool // the server had applied this key before; this is the first answer again
}

// NewIdempotencyKey makes a random key for a new command; keep it with the command until the
// server has answered.
func NewIdempotencyKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Command sends cmd with the idempotency key. A refusal comes back as *Error (and is what a
// retry with the same key gets again).
func (c *Client) Command(ctx context.Context, key string, cmd sync.Command) (CommandResult, error) {
	b, err := json.Marshal(cmd)
	if err != nil {
		return CommandResult{}, err
	}
	var r CommandResult
	resp, _, err := c.do(ctx, "POST", "/api/v1/commands", http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {key}}, b, &r.Applied)
	if resp != nil {
		r.Replayed = resp.Header.Get("Idempotency-Replayed") == "true"
	}
	return r, err
}

// RootPEM fetches the server's root certificate. Pin it on first use; do not trust it blindly
// over an unauthenticated connection.
func (c *Client) RootPEM(ctx context.Context) ([]byte, error) {
	_, b, err := c.do(ctx, "GET", "/ca/root.pem", nil, nil, nil)
	return b, err
}

// TSAURL is the RFC 3161 endpoint of the server (for core/sign's timestamp client).
func (c *Client) TSAURL() string { return c.BaseURL + "/tsa" }

// Reviews lists real-name verifications for review (admin; status "" means pending, "all" all).
func (c *Client) Reviews(ctx context.Context, status string) ([]org.Verification, error) {
	var r []org.Verification
	p := "/api/v1/admin/reviews"
	if status != "" {
		p += "?status=" + url.QueryEscape(status)
	}
	return r, c.json(ctx, "GET", p, nil, &r)
}

// Review returns one verification with the full ID number (admin).
func (c *Client) Review(ctx context.Context, id string) (org.Verification, error) {
	var v org.Verification
	return v, c.json(ctx, "GET", "/api/v1/admin/reviews/"+url.PathEscape(id), nil, &v)
}

// ReviewPhoto downloads an ID photo of a verification (admin).
func (c *Client) ReviewPhoto(ctx context.Context, id, side string) ([]byte, string, error) {
	resp, b, err := c.do(ctx, "GET", "/api/v1/admin/reviews/"+url.PathEscape(id)+"/photos/"+url.PathEscape(side), nil, nil, nil)
	if err != nil {
		return nil, "", err
	}
	return b, resp.Header.Get("Content-Type"), nil
}

// Approve approves a pending verification (admin).
func (c *Client) Approve(ctx context.Context, id string) (org.Verification, error) {
	var v org.Verification
	return v, c.json(ctx, "POST", "/api/v1/admin/reviews/"+url.PathEscape(id)+"/approve", nil, &v)
}

// Reject rejects a pending verification with a reason (admin).
func (c *Client) Reject(ctx context.Context, id, reason string) (org.Verification, error) {
	var v org.Verification
	return v, c.json(ctx, "POST", "/api/v1/admin/reviews/"+url.PathEscape(id)+"/reject", api.DecisionRequest{Reason: reason}, &v)
}

// AdminRevoke revokes any certificate (admin).
func (c *Client) AdminRevoke(ctx context.Context, serial string, reason int) (api.CertificateInfo, error) {
	var r api.CertificateInfo
	return r, c.json(ctx, "POST", "/api/v1/admin/certificates/"+url.PathEscape(serial)+"/revoke", api.RevokeRequest{Reason: reason}, &r)
}

// AuditEntry is one line of the audit log with its key (pass the last key as after to page).
type AuditEntry struct {
	Key string `json:"key"`
	sync.AuditEntry
}

// Audit reads the audit log (admin).
func (c *Client) Audit(ctx context.Context, after string, limit int) ([]AuditEntry, error) {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var r []AuditEntry
	return r, c.json(ctx, "GET", "/api/v1/admin/audit?"+q.Encode(), nil, &r)
}

// DevOutbox reads the messages of a --dev server's outbox.
func (c *Client) DevOutbox(ctx context.Context) ([]notify.Message, error) {
	var r []notify.Message
	return r, c.json(ctx, "GET", "/dev/outbox", nil, &r)
}

// Sender adapts Command to core/sync's outbox: refusals (4xx other than 401, 408 and 429) become
// *sync.Refusal, a final answer; network failures, 5xx, an expired session and rate limits are
// transient and the outbox keeps the command for the next flush.
func (c *Client) Sender() sync.SendFunc {
	return func(ctx context.Context, key string, cmd sync.Command) (sync.Applied, error) {
		r, err := c.Command(ctx, key, cmd)
		var e *Error
		if errors.As(err, &e) && e.Status >= 400 && e.Status < 500 && e.Status != 401 && e.Status != 408 && e.Status != 429 {
			return sync.Applied{}, sync.Refuse(e.Status, e.Code, e.Message)
		}
		return r.Applied, err
	}
}

// PullFunc adapts Pull to core/sync's Puller (pages of up to limit events, no long poll).
func (c *Client) PullFunc(limit int) sync.PullFunc {
	return func(ctx context.Context, scope string, since uint64) ([]sync.Event, uint64, bool, error) {
		p, err := c.Pull(ctx, scope, since, limit, 0)
		return p.Events, p.Cursor, p.More, err
	}
}
