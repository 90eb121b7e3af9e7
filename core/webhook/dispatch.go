package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	stdsync "sync"
	"time"

	"sealdesk/core/sync"
)

// Options configure a Service. Store and Key are required.
type Options struct {
	Store sync.Store
	// Key seals endpoint secrets at rest (32 bytes; derive it from the server's master key).
	Key []byte
	// AllowPrivate lets endpoints point at loopback and private addresses. WARNING: it lets
	// anyone who may manage an enterprise's integrations make the server send requests into
	// its own network (SSRF); only for tests and closed deployments.
	AllowPrivate bool
	// Owner names this process in leases and the attempt log (default host-pid-random).
	Owner string
	// Timeout bounds one request, connection to last byte read (default DefaultTimeout).
	Timeout time.Duration
	// Lease is how long a claimed attempt is this process's before another may take the
	// delivery over (default Timeout + DefaultLeaseOverhead; at least 2×Timeout).
	Lease time.Duration
	// Backoff is the wait after the first failure; it doubles per attempt up to MaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// MaxAttempts is how many attempts a delivery gets before it is failed (default 10).
	MaxAttempts int
	// PollInterval is how often the queue is scanned (default 1 s); Kick wakes it sooner.
	PollInterval time.Duration
	// Workers bounds the requests in flight at once (default 4).
	Workers int
	Now     func() time.Time
	Logger  *slog.Logger
}

// Service manages endpoints and delivers events.
type Service struct {
	opts   Options
	client *http.Client
	kick   chan struct{}
}

// New checks the options and fills in defaults.
func New(opts Options) (*Service, error) {
	if opts.Store == nil {
		return nil, errors.New("webhook service needs a store")
	}
	if len(opts.Key) != 32 {
		return nil, fmt.Errorf("webhook secret key must be 32 bytes, got %d", len(opts.Key))
	}
	if opts.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		opts.Owner = fmt.Sprintf("%s-%d-%s", clip(host, 40), os.Getpid(), hex.EncodeToString(b[:]))
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&opts.Timeout, DefaultTimeout)
	def(&opts.Lease, opts.Timeout+DefaultLeaseOverhead)
	opts.Lease = max(opts.Lease, 2*opts.Timeout)
	def(&opts.Backoff, DefaultBackoff)
	def(&opts.MaxBackoff, DefaultMaxBackoff)
	def(&opts.PollInterval, DefaultPollInterval)
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{opts: opts, client: newHTTPClient(opts.Timeout, opts.AllowPrivate), kick: make(chan struct{}, 1)}, nil
}

// AllowPrivate reports whether endpoints may point at loopback and private addresses.
func (s *Service) AllowPrivate() bool { return s.opts.AllowPrivate }

// Kick wakes the dispatcher before its next poll (after a commit that enqueued something).
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// BackoffAfter returns the wait after failed attempt n (1-based).
func (s *Service) BackoffAfter(n int) time.Duration {
	d := s.opts.Backoff
	for i := 1; i < n && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.opts.MaxBackoff)
}

// Run delivers until ctx ends, then waits for the requests in flight to be recorded.
func (s *Service) Run(ctx context.Context) {
	sem := make(chan struct{}, s.opts.Workers)
	var wg stdsync.WaitGroup
	defer wg.Wait()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		if err := s.poll(ctx, sem, &wg); err != nil && ctx.Err() == nil {
			s.opts.Logger.Error("webhook dispatcher", "err", err)
		}
		t.Reset(s.opts.PollInterval)
	}
}

// RunOnce claims every delivery due now and waits until each attempt is recorded; it returns
// how many attempts it made (for tests and tools).
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	sem := make(chan struct{}, s.opts.Workers)
	var wg stdsync.WaitGroup
	n, err := s.pollCount(ctx, sem, &wg)
	wg.Wait()
	return n, err
}

func (s *Service) poll(ctx context.Context, sem chan struct{}, wg *stdsync.WaitGroup) error {
	_, err := s.pollCount(ctx, sem, wg)
	return err
}

func (s *Service) pollCount(ctx context.Context, sem chan struct{}, wg *stdsync.WaitGroup) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		due, err := s.due(ctx, 4*s.opts.Workers)
		if err != nil {
			return sent, err
		}
		claimed := 0
		for _, qk := range due {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return sent, nil
			}
			j, err := s.claim(ctx, qk)
			if err != nil || j == nil {
				<-sem
				if err != nil {
					return sent, err
				}
				continue
			}
			claimed++
			sent++
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				s.deliver(ctx, j)
			}()
		}
		if claimed == 0 || len(due) < 4*s.opts.Workers {
			return sent, nil
		}
	}
	return sent, nil
}

// due lists queue keys whose time has come.
func (s *Service) due(ctx context.Context, limit int) ([]string, error) {
	now := queueKey(s.opts.Now(), "", "")[:len("20060102T150405.000000000")] + "/\xff"
	var keys []string
	err := s.opts.Store.View(ctx, func(tx sync.Tx) error {
		keys = nil
		return tx.Scan(BucketQueue, "", "", limit, func(k string, _ []byte) error {
			if k > now {
				return sync.ErrStopScan
			}
			keys = append(keys, k)
			return nil
		})
	})
	return keys, err
}

type job struct {
	d  Delivery
	ep Endpoint
	ev Event
}

// claim takes the next attempt of the delivery behind queue key qk, or returns nil when it is
// not this process's to send (gone, done, leased by another, not yet due).
func (s *Service) claim(ctx context.Context, qk string) (*job, error) {
	parts := strings.SplitN(qk, "/", 3)
	if len(parts) != 3 {
		return nil, s.opts.Store.Update(ctx, func(tx sync.Tx) error { return tx.Delete(BucketQueue, qk) })
	}
	ent, id := parts[1], parts[2]
	var j *job
	err := s.opts.Store.Update(ctx, func(tx sync.Tx) error {
		j = nil
		now := s.opts.Now().UTC()
		var d Delivery
		if err := getDelivery(tx, ent, id, &d); err != nil {
			if _, ok := errors.AsType[*sync.Refusal](err); ok {
				return tx.Delete(BucketQueue, qk)
			}
			return err
		}
		if d.QueueKey != qk || d.State != StatePending {
			return tx.Delete(BucketQueue, qk) // stale entry
		}
		if d.LeaseOwner != "" && d.LeaseUntil.After(now) || d.LeaseOwner == "" && d.NextAt.After(now) {
			return nil
		}
		if d.LeaseOwner != "" {
			// The process that claimed attempt d.Attempts stopped before recording it.
			var a Attempt
			if err := sync.GetJSON(tx, BucketAttempts, attemptKey(d.ID, d.Attempts), &a); err == nil && a.Outcome == OutcomeInFlight {
				a.Outcome, a.Error = OutcomeAbandoned, "发送进程中断，结果未知"
				if err := sync.PutJSON(tx, BucketAttempts, attemptKey(d.ID, d.Attempts), a); err != nil {
					return err
				}
			}
			d.LeaseOwner, d.LeaseUntil, d.LastStatus, d.LastError = "", time.Time{}, 0, "发送进程中断，结果未知"
		}
		ep, err := getEndpoint(tx, ent, d.EndpointID)
		switch {
		case err != nil && !isRefusal(err):
			return err
		case err != nil:
			return s.fail(tx, &d, now, "Webhook 端点已删除")
		case ep.Disabled:
			return s.fail(tx, &d, now, "Webhook 端点已停用")
		case d.Attempts >= s.opts.MaxAttempts:
			return s.fail(tx, &d, now, d.LastError)
		}
		var ev Event
		if err := sync.GetJSON(tx, BucketEvents, ent+"/"+d.EventID, &ev); err != nil {
			return err
		}
		d.Attempts++
		d.LeaseOwner, d.LeaseUntil, d.Updated = s.opts.Owner, now.Add(s.opts.Lease), now
		if err := tx.Delete(BucketQueue, qk); err != nil {
			return err
		}
		d.QueueKey = queueKey(d.LeaseUntil, ent, d.ID)
		if err := tx.Put(BucketQueue, d.QueueKey, []byte("1")); err != nil {
			return err
		}
		a := Attempt{N: d.Attempts, Owner: s.opts.Owner, Started: now, Outcome: OutcomeInFlight}
		if err := sync.InsertJSON(tx, BucketAttempts, attemptKey(d.ID, a.N), a); err != nil {
			return err
		}
		if err := sync.PutJSON(tx, BucketDeliveries, ent+"/"+d.ID, d); err != nil {
			return err
		}
		j = &job{d: d, ep: ep, ev: ev}
		return nil
	})
	return j, err
}

func isRefusal(err error) bool {
	_, ok := errors.AsType[*sync.Refusal](err)
	return ok
}

// fail ends a delivery without another attempt.
func (s *Service) fail(tx sync.Tx, d *Delivery, now time.Time, why string) error {
	if d.QueueKey != "" {
		if err := tx.Delete(BucketQueue, d.QueueKey); err != nil {
			return err
		}
	}
	d.State, d.QueueKey, d.NextAt, d.LeaseOwner, d.LeaseUntil, d.Updated = StateFailed, "", time.Time{}, "", time.Time{}, now
	if why != "" {
		d.LastError = why
	}
	return sync.PutJSON(tx, BucketDeliveries, d.EnterpriseID+"/"+d.ID, *d)
}

// deliver sends one claimed attempt and records its result.
func (s *Service) deliver(ctx context.Context, j *job) {
	n := j.d.Attempts
	start := time.Now()
	a := Attempt{N: n, Owner: s.opts.Owner, Started: s.opts.Now().UTC()}
	status, resp, err := s.send(ctx, j)
	a.DurationMS = time.Since(start).Milliseconds()
	a.Status, a.Response = status, resp
	switch {
	case err != nil:
		a.Outcome, a.Error = OutcomeFailed, describeErr(err)
		if ctx.Err() != nil {
			a.Error = "服务器停止，发送中断"
		}
	case status >= 200 && status < 300:
		a.Outcome = OutcomeOK
	default:
		a.Outcome, a.Error = OutcomeFailed, fmt.Sprintf("接收方返回 HTTP %d", status)
	}
	// Record even when ctx ended (shutdown): the result is known now, a restart must not
	// resend an attempt that succeeded.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.finish(rctx, j.d, a); err != nil {
		s.opts.Logger.Error("webhook: record attempt", "delivery", j.d.ID, "attempt", n, "err", err)
	}
}

func (s *Service) send(ctx context.Context, j *job) (int, string, error) {
	secret, err := s.open(j.ep.SealedSecret, j.ep.EnterpriseID+"/"+j.ep.ID)
	if err != nil {
		return 0, "", fmt.Errorf("failed to open the endpoint secret: %w", err)
	}
	body, err := json.Marshal(j.ev)
	if err != nil {
		return 0, "", err
	}
	ts := s.opts.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.ep.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "SealDesk-Webhook/1")
	req.Header.Set(HeaderEvent, j.ev.Type)
	req.Header.Set(HeaderEventID, j.ev.ID)
	req.Header.Set(HeaderDelivery, j.d.ID)
	req.Header.Set(HeaderAttempt, strconv.Itoa(j.d.Attempts))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(string(secret), ts, body))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	// The status line is the receiver's answer; the body is read (bounded) only for the log,
	// and a body that breaks off does not change the answer.
	got, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseRead))
	return resp.StatusCode, strings.ToValidUTF8(clip(string(got), MaxResponseKept), "?"), nil
}

// finish records attempt a of delivery d and schedules what comes next.
func (s *Service) finish(ctx context.Context, claimed Delivery, a Attempt) error {
	return s.opts.Store.Update(ctx, func(tx sync.Tx) error {
		now := s.opts.Now().UTC()
		var d Delivery
		if err := getDelivery(tx, claimed.EnterpriseID, claimed.ID, &d); err != nil {
			return err
		}
		if err := sync.PutJSON(tx, BucketAttempts, attemptKey(d.ID, a.N), a); err != nil {
			return err
		}
		if d.LeaseOwner != s.opts.Owner || d.Attempts != a.N || d.State != StatePending {
			return nil // our lease ran out and another process took over: the log is all we add
		}
		if d.QueueKey != "" {
			if err := tx.Delete(BucketQueue, d.QueueKey); err != nil {
				return err
			}
		}
		d.LeaseOwner, d.LeaseUntil, d.QueueKey, d.Updated = "", time.Time{}, "", now
		d.LastStatus, d.LastError = a.Status, a.Error
		switch {
		case a.Outcome == OutcomeOK:
			d.State, d.NextAt = StateSucceeded, time.Time{}
		case a.N >= s.opts.MaxAttempts:
			d.State, d.NextAt = StateFailed, time.Time{}
		default:
			d.NextAt = now.Add(s.BackoffAfter(a.N))
			d.QueueKey = queueKey(d.NextAt, d.EnterpriseID, d.ID)
			if err := tx.Put(BucketQueue, d.QueueKey, []byte("1")); err != nil {
				return err
			}
		}
		return sync.PutJSON(tx, BucketDeliveries, d.EnterpriseID+"/"+d.ID, d)
	})
}
