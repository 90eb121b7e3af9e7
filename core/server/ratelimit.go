package server

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	stdsync "sync"
	"time"

	"sealdesk/core/sync"
	"sealdesk/core/websign"
)

// Default per-address limits of TSA and OCSP requests. A signing needs one timestamp and a
// verification a few OCSP answers; a desktop signing a batch of 500 documents at once stays
// inside the burst, and no desktop signs 50 documents a second for long. A flood from one address
// (the red team signed 2 000 timestamps a second) is cut to the rate.
const (
	DefaultPKIRate  = 50
	DefaultPKIBurst = 500
)

// Default per-address limit of the browser signing routes (/s/… and /p/…, issue 21). Opening a
// link costs a handful of requests and each page of the contract one more (drawn lazily as the
// reader scrolls), so a 100-page contract read at once stays inside the burst, and a few signers
// behind one office NAT at once too; a script guessing tokens or hammering the page renderer is
// cut to the rate.
const (
	DefaultWebRate  = 10
	DefaultWebBurst = 200
)

// rateLimit is a token bucket per address: burst requests at once, refilled at rate per second.
type rateLimit struct {
	rate, burst float64
	now         func() time.Time
	mu          stdsync.Mutex
	buckets     map[string]*bucket
	swept       time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the addresses a rateLimit remembers; past it, full buckets are forgotten
// first and, if that is not enough, everything (a flood from that many addresses is refused by
// the work gates instead).
const maxBuckets = 100_000

func newRateLimit(rate float64, burst int) *rateLimit {
	return &rateLimit{rate: rate, burst: float64(burst), now: time.Now, buckets: map[string]*bucket{}}
}

// take spends a token of key; with none left it returns how long until the next one.
func (l *rateLimit) take(key string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) >= maxBuckets || now.Sub(l.swept) > time.Minute {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func (l *rateLimit) sweep(now time.Time) {
	l.swept = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}

// limitPKI refuses a TSA or OCSP request over its address's rate with 429 and Retry-After.
// It answers before the body is read (and closes the connection).
func limitPKI(l *rateLimit, w http.ResponseWriter, r *http.Request) error {
	if l == nil {
		return nil
	}
	ok, wait := l.take(addrKey(r))
	if ok {
		return nil
	}
	dropBody(w)
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	return sync.Refuse(http.StatusTooManyRequests, "rate_limited", "请求过于频繁，请稍后再试")
}

// webLimited puts the signing pages' per-address limit (Options.WebRate) in front of h. Over it
// the answer is 429 with Retry-After and a Chinese sentence naming the limit: the HTML error page
// for what a browser opens as a page (html), JSON for the page's calls. It answers before the
// body is read.
func (s *Server) webLimited(html bool, h func(w http.ResponseWriter, r *http.Request, c *call) error) func(w http.ResponseWriter, r *http.Request, c *call) error {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		l := s.webRate
		if l == nil {
			return h(w, r, c)
		}
		ok, wait := l.take(addrKey(r))
		if ok {
			return h(w, r, c)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			dropBody(w)
		}
		secs := max(1, int(math.Ceil(wait.Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		ref := sync.Refuse(http.StatusTooManyRequests, "rate_limited", fmt.Sprintf(
			"请求过于频繁：同一网络地址的签署页请求每秒最多 %s 次（连续最多 %d 次），请 %d 秒后再试", strconv.FormatFloat(l.rate, 'f', -1, 64), int(l.burst), secs))
		if html {
			writePage(w, ref.Status, websign.ErrorPage(ref.Status, ref.Message))
			return nil
		}
		return ref
	}
}
