package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxResponseSize bounds a TimeStampResp read from a server.
const MaxResponseSize = 256 << 10

// ErrBusy is returned when the authority stayed busy (429 or 503) through every retry.
var ErrBusy = errors.New("the timestamp authority is busy")

// Timestamper returns a TimeStampToken (DER ContentInfo) over digest. Both Client (remote) and
// Authority (in-process) satisfy it.
type Timestamper interface {
	Timestamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error)
}

var (
	_ Timestamper = (*Client)(nil)
	_ Timestamper = (*Authority)(nil)
)

// Client asks an RFC 3161 server over HTTP.
type Client struct {
	URL string
	// HTTP is the client to use (nil: a client with a 30 s timeout).
	HTTP *http.Client
	// Policy, when set, is requested.
	Policy asn1.ObjectIdentifier
	// Retries is how many times an answer 429 or 503 (the authority is busy and did nothing) is
	// retried, after its Retry-After (capped at MaxRetryAfter) or a doubling back-off from
	// 0.5 s. 0: DefaultRetries; negative: never.
	Retries int
}

// DefaultRetries is Client.Retries when unset: with the back-off a busy authority is tried for
// about 8 s (longer when it asks, up to 4 × MaxRetryAfter) before the signing gives up.
const DefaultRetries = 4

// MaxRetryAfter caps how long the client waits on one Retry-After.
const MaxRetryAfter = 10 * time.Second

// retryDelay is the wait before retry n (0-based) of a busy answer.
func retryDelay(resp *http.Response, n int) time.Duration {
	if s := resp.Header.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && secs >= 0 {
			return min(time.Duration(secs)*time.Second, MaxRetryAfter)
		}
		if t, err := http.ParseTime(s); err == nil {
			return min(max(time.Until(t), 0), MaxRetryAfter)
		}
	}
	return min(500*time.Millisecond<<n, MaxRetryAfter)
}

// Timestamp requests a token over digest (certReq set, 128-bit nonce) and checks the answer:
// status granted, the imprint and nonce echo the request, the token's signature verifies.
func (c *Client) Timestamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	nb := make([]byte, 16)
	if _, err := rand.Read(nb); err != nil {
		return nil, err
	}
	nonce := new(big.Int).SetBytes(nb)
	req := &Request{Hash: h, Digest: digest, Nonce: nonce, CertReq: true, Policy: c.Policy}
	der, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("failed to encode timestamp request: %w", err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	retries := c.Retries
	if retries == 0 {
		retries = DefaultRetries
	}
	var body []byte
	for attempt := 0; ; attempt++ {
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(der))
		if err != nil {
			return nil, fmt.Errorf("failed to build timestamp request: %w", err)
		}
		hr.Header.Set("Content-Type", "application/timestamp-query")
		resp, err := hc.Do(hr)
		if err != nil {
			return nil, fmt.Errorf("failed to reach timestamp authority: %w", err)
		}
		body, err = io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("failed to read timestamp response: %w", err)
		}
		busy := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
		if busy && attempt < retries {
			t := time.NewTimer(retryDelay(resp, attempt))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
			continue
		}
		if busy {
			return nil, fmt.Errorf("%w (http %d, %d tries)", ErrBusy, resp.StatusCode, attempt+1)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("timestamp authority answered http %d", resp.StatusCode)
		}
		break
	}
	if len(body) > MaxResponseSize {
		return nil, errors.New("timestamp response too large")
	}
	token, err := ParseResponse(body)
	if err != nil {
		return nil, err
	}
	info, err := ParseToken(token)
	if err != nil {
		return nil, err
	}
	if info.Hash != h || !bytes.Equal(info.Digest, digest) {
		return nil, errors.New("timestamp token covers another digest")
	}
	if info.Nonce == nil || info.Nonce.Cmp(nonce) != 0 {
		return nil, errors.New("timestamp token nonce does not match the request")
	}
	if c.Policy != nil && !info.Policy.Equal(c.Policy) {
		return nil, fmt.Errorf("timestamp token policy %v, asked for %v", info.Policy, c.Policy)
	}
	return token, nil
}

// ParseResponse extracts the token of a granted TimeStampResp, or returns the refusal as an error.
func ParseResponse(der []byte) ([]byte, error) {
	var r timeStampResp
	rest, err := asn1.Unmarshal(der, &r)
	if err != nil {
		return nil, fmt.Errorf("failed to parse timestamp response: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing data after timestamp response")
	}
	if r.Status.Status != 0 && r.Status.Status != 1 {
		fi := -1
		for i := 0; i < r.Status.FailInfo.BitLength; i++ {
			if r.Status.FailInfo.At(i) == 1 {
				fi = i
				break
			}
		}
		var text []string
		for _, v := range r.Status.StatusString {
			text = append(text, string(v.Bytes))
		}
		return nil, &ResponseError{Status: r.Status.Status, FailInfo: fi, Text: text}
	}
	if len(r.Token.FullBytes) == 0 {
		return nil, errors.New("granted timestamp response without a token")
	}
	return r.Token.FullBytes, nil
}

// ResponseError is a timestamp authority's refusal.
type ResponseError struct {
	Status   int
	FailInfo int // -1 when absent
	Text     []string
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("timestamp authority refused (status %d, failInfo %d): %v", e.Status, e.FailInfo, e.Text)
}
