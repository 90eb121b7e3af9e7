package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Header names of a delivery.
const (
	HeaderEvent     = "X-SealDesk-Event"
	HeaderEventID   = "X-SealDesk-Event-Id"
	HeaderDelivery  = "X-SealDesk-Delivery"
	HeaderAttempt   = "X-SealDesk-Attempt"
	HeaderTimestamp = "X-SealDesk-Timestamp"
	HeaderSignature = "X-SealDesk-Signature"
)

// Sign returns the X-SealDesk-Signature value of body sent at ts (Unix seconds):
// "v1=" + hex(HMAC-SHA256(secret, ts + "." + body)).
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("webhook request has no signature or timestamp")
	ErrBadSignature = errors.New("webhook signature does not match")
	ErrStale        = errors.New("webhook timestamp is outside the tolerance")
)

// Verify checks a received delivery, for receivers written in Go: the signature over the
// timestamp header and body, and a timestamp within tolerance of now (replays of old requests
// fail). Several "v1=" values separated by commas are accepted (one of them must match).
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	tsText, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if tsText == "" || sig == "" {
		return ErrNoSignature
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := Sign(secret, ts, body)
	for _, v := range strings.Split(sig, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(v)), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// CheckURL validates an endpoint URL: http or https, a host, no user info, at most MaxURLLen
// bytes; unless allowPrivate, a host that is a loopback/private address literal or "localhost"
// is refused at once (names resolving to such addresses are refused when dialled).
func CheckURL(raw string, allowPrivate bool) error {
	bad := func(msg string) error { return refuse(http.StatusBadRequest, "bad_webhook_url", msg) }
	if raw == "" {
		return bad("请填写 Webhook 地址")
	}
	if len(raw) > MaxURLLen {
		return bad(fmt.Sprintf("Webhook 地址不能超过 %d 个字符", MaxURLLen))
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return bad("Webhook 地址无效，须形如 https://example.com/hook")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return bad("Webhook 地址只支持 http:// 或 https://")
	}
	if u.User != nil {
		return bad("Webhook 地址不能包含用户名或密码")
	}
	if u.Fragment != "" {
		return bad("Webhook 地址不能包含 # 片段")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return bad("Webhook 地址缺少主机名")
	}
	if allowPrivate {
		return nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return bad(privateMessage)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !publicAddr(ip) {
		return bad(privateMessage)
	}
	return nil
}

const privateMessage = "不允许向本机或内网地址发送 Webhook（服务器未开启“允许内网地址”）"

var cgnat = netip.MustParsePrefix("100.64.0.0/10")
var benchmark = netip.MustParsePrefix("198.18.0.0/15")
var thisNet = netip.MustParsePrefix("0.0.0.0/8")
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// publicAddr reports whether ip is an address a webhook may reach without AllowPrivate.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid(), ip.IsLoopback(), ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(),
		ip.IsInterfaceLocalMulticast(), ip.IsMulticast(), ip.IsUnspecified(),
		cgnat.Contains(ip), benchmark.Contains(ip), thisNet.Contains(ip), nat64.Contains(ip):
		return false
	}
	if ip.Is4() && ip.As4()[0] >= 240 { // reserved and broadcast
		return false
	}
	return true
}

// errPrivateTarget is returned by the dialer for a refused address.
var errPrivateTarget = errors.New("webhook target is a loopback or private address")

// newHTTPClient returns the client deliveries use: no proxy, no redirects, a dialer that checks
// every address it connects to.
func newHTTPClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !publicAddr(ap.Addr()) {
				return fmt.Errorf("%w: %s", errPrivateTarget, address)
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// describeErr turns a transport error into a short Chinese line for the delivery log.
func describeErr(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, errPrivateTarget):
		return "目标是本机或内网地址，已拒绝"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "请求超时"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "连接被拒绝"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "域名解析失败：" + clip(dnsErr.Name, 100)
	}
	return "请求失败：" + clip(err.Error(), 200)
}
