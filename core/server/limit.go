package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	stdsync "sync"
	"time"

	"sealdesk/core/gate"
	"sealdesk/core/sync"
)

// AuthBodyTimeout is how long an unauthenticated account call (send a code, register, log in)
// may take to send its small JSON body. The body is read under this deadline before the call
// takes an AuthWork slot, so a client trickling its body holds no slot, and at most this long.
const AuthBodyTimeout = 5 * time.Second

// MaxAuthBody bounds the body of an unauthenticated account call.
const MaxAuthBody = 4 << 10

// addrKey is the key per-address limits count under: the IP, and for IPv6 its /64 (one
// customer's network), so a host cannot dodge a limit by cycling through its own addresses.
func addrKey(r *http.Request) string {
	a := clientAddr(r)
	ip := net.ParseIP(a)
	if ip == nil || ip.To4() != nil {
		return a
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// perAddr caps how many requests of one address are in flight at once.
type perAddr struct {
	max int
	mu  stdsync.Mutex
	in  map[string]int
}

func newPerAddr(max int) *perAddr { return &perAddr{max: max, in: map[string]int{}} }

// enter counts a request of key in; over the cap it returns gate.ErrBusy (503 with Retry-After:
// nothing was done, the client retries).
func (p *perAddr) enter(key string) (done func(), err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.in[key] >= p.max {
		return nil, gate.ErrBusy
	}
	p.in[key]++
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.in[key]--; p.in[key] <= 0 {
			delete(p.in, key)
		}
	}, nil
}

// readBodyWithin decodes a JSON body of at most max bytes, which must arrive within d.
func readBodyWithin(w http.ResponseWriter, r *http.Request, max int64, d time.Duration, v any) error {
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(d)) == nil {
		// The deadline must not outlive the read: a later expiry would cancel the request.
		defer rc.SetReadDeadline(time.Time{})
	}
	err := decodeJSON(r, max, v)
	if errors.Is(err, errBodyTimeout) {
		w.Header().Set("Connection", "close")
		return sync.Refuse(http.StatusRequestTimeout, "body_timeout", fmt.Sprintf("请求体须在 %d 秒内发送完毕", int(d.Seconds())))
	}
	return err
}

// authCall admits an unauthenticated account call: per-address cap, then the body (read under
// AuthBodyTimeout), then an AuthWork slot. The caller must call release once.
func (s *Server) authCall(w http.ResponseWriter, r *http.Request, v any) (release func(), err error) {
	done, err := s.authAddrs.enter(addrKey(r))
	if err != nil {
		dropBody(w)
		return nil, err
	}
	if err := readBodyWithin(w, r, MaxAuthBody, AuthBodyTimeout, v); err != nil {
		done()
		return nil, err
	}
	rel, err := s.authGate.Enter(r.Context())
	if err != nil {
		done()
		return nil, err
	}
	return func() { rel(); done() }, nil
}

// refuseBody prepares the refusal of a request whose body will not be used. A body of at most
// drainMax bytes in all is read to its end and thrown away (for at most drainWait), so that a
// client still sending it reads the answer — cut off mid-send, it would see "connection reset"
// instead of the refusal naming the limit; a larger, unknown or slower body is cut (dropBody).
func refuseBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength >= 0 && r.ContentLength <= drainMax {
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(drainWait))
		_, err := io.Copy(io.Discard, io.LimitReader(r.Body, drainMax))
		rc.SetReadDeadline(time.Time{})
		if err == nil {
			return
		}
	}
	dropBody(w)
}

// drainMax and drainWait bound what refuseBody reads of a refused body.
const (
	drainMax  = 1 << 20
	drainWait = 2 * time.Second
)

// dropBody makes a request refused before its body was read answer at once and close the
// connection: otherwise net/http reads up to 256 KB of the unread body before it sends the
// answer, which a client trickling its body stretches to the server's ReadTimeout.
func dropBody(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	http.NewResponseController(w).SetReadDeadline(time.Now())
}
