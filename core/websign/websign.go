package websign

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/envelope"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/sync"
	"sealdesk/core/tsa"
)

// Buckets and limits.
const (
	BucketLinks      = "websign_links"       // sha256(token) → link
	BucketSessions   = "websign_sessions"    // sha256(session) → session
	BucketEventCerts = "websign_event_certs" // serial (lower-case hex) → EventCert
	BucketPads       = "websign_pads"        // sha256(token) → pad
	BucketPadOwners  = "websign_pad_owners"  // account → sha256 of its current pad

	LinkTTL           = 30 * 24 * time.Hour // a link of a contract without a deadline
	SessionTTL        = 30 * time.Minute
	CodeTTL           = 10 * time.Minute
	CodeInterval      = 60 * time.Second // between two codes of one link for one purpose
	MaxCodeAttempts   = 5                // wrong codes that lock a link
	EventCertValidity = time.Hour
	PadTTL            = 10 * time.Minute
	// MaxBody is the largest request body of the pages' calls (strokes are ≤ 2 MB).
	MaxBody = 2<<20 + 64<<10
	// EventPrefix of the sync events of the phone pad.
	EventSignatureDrawn = "signature.drawn"

	tokenBytes = 32
	codeDigits = 6
)

// Purposes of a one-time code.
const (
	PurposeLogin = "login"
	PurposeSign  = "sign"
)

// CA issues event certificates (core/server wires its issuing CA).
type CA interface {
	// IssueEvent issues a person certificate with pki.OIDEventCertificate and notice as its
	// policy notice for pub, and records it; it returns the certificate and its chain.
	IssueEvent(ctx context.Context, pub any, subject pkix.Name, notice string, notBefore, notAfter time.Time) (*x509.Certificate, []*x509.Certificate, error)
}

// Service runs signing links, browser sessions and phone pads over a sync.Store.
type Service struct {
	Store    sync.Store
	Env      *envelope.Service
	Notifier notify.Notifier
	Hub      *sync.Hub
	// Secret keys the MACs of one-time codes (kept out of the store).
	Secret []byte
	// BaseURL is the server's public URL; links are BaseURL + "/s/" + token.
	BaseURL     string
	CA          CA
	Timestamper tsa.Timestamper // signature timestamps of event-certificate signatures
	Seals       Seals           // nil: company handlers cannot sign seal boxes here
	Now         func() time.Time
	Log         *slog.Logger
	TempDir     string
	// NewKey makes the key of one event signing (nil: P-256 from crypto/rand). The returned key
	// is zeroed after the signing. Tests wrap it to check that the key leaves no trace.
	NewKey func() (*ecdsa.PrivateKey, error)
	// IdentityVerified reports whether an account's real name was verified by a provider that
	// verifies identities; then the event certificate names that identity (nil: never).
	IdentityVerified func(*org.RealName) bool
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func refuse(status int, code, msg string) *sync.Refusal { return sync.Refuse(status, code, msg) }

// Refusals of links and pads.
var (
	errLinkInvalid = refuse(http.StatusNotFound, "link_invalid", "签署链接无效：请使用短信或邮件中的完整链接")
	errLinkExpired = refuse(http.StatusGone, "link_expired", "签署链接已过期，请联系发起人重新发送")
	errLinkLocked  = refuse(http.StatusLocked, "link_locked", "验证码错误次数过多，该链接已锁定，请联系发起人重新发送")
	errLinkUsed    = refuse(http.StatusGone, "link_used", "您已签署该合同，此签署链接已使用")
	errNoSession   = refuse(http.StatusUnauthorized, "session_required", "请先输入验证码登录（登录已过期时请重新获取验证码）")
	errCodeNone    = refuse(http.StatusBadRequest, "code_required", "请先获取验证码")
	errCodeExpired = refuse(http.StatusBadRequest, "code_expired", "验证码已过期，请重新获取")
)

// link is a stored signing link (keyed by the SHA-256 of its token).
type link struct {
	Envelope  string               `json:"envelope"`
	Recipient int                  `json:"recipient"`
	Login     string               `json:"login"` // the party key: "sms:<phone>" or "email:<address>"
	Name      string               `json:"name"`
	Created   time.Time            `json:"created"`
	Expires   time.Time            `json:"expires"`
	Attempts  int                  `json:"attempts,omitempty"` // wrong codes
	Locked    bool                 `json:"locked,omitempty"`
	Code      *code                `json:"code,omitempty"`
	LastCode  map[string]time.Time `json:"last_code,omitempty"` // by purpose
}

type code struct {
	ID      string    `json:"id"`
	Purpose string    `json:"purpose"`
	MAC     string    `json:"mac"`
	Expires time.Time `json:"expires"`
}

type session struct {
	Link    string    `json:"link"` // sha256 of the link's token
	Expires time.Time `json:"expires"`
}

// EventCert is what the server keeps of an event certificate: never its key.
type EventCert struct {
	Serial    string    `json:"serial"`
	AccountID string    `json:"account_id"` // the signer as core/envelope knows them
	Envelope  string    `json:"envelope"`
	Recipient int       `json:"recipient"`
	Login     string    `json:"login"` // masked
	Issued    time.Time `json:"issued"`
	DER       []byte    `json:"der"`
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

func newToken() string {
	b := make([]byte, tokenBytes)
	rand.Read(b)
	return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(encodeB64(b)), "=")
}

func (s *Service) codeMAC(id, c string) string {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte("websign-code\x00" + id + "\x00" + c))
	return hex.EncodeToString(m.Sum(nil))
}

// checkToken refuses tokens that cannot be ours before touching the store.
func checkToken(t string) error {
	if len(t) < 20 || len(t) > 80 || strings.ContainsFunc(t, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return errLinkInvalid
	}
	return nil
}

// Link makes the signing link of recipient k of an envelope (core/envelope calls it when the
// recipient's turn comes) and returns its URL.
func (s *Service) Link(ctx context.Context, env api.Envelope, k int) (string, error) {
	if k < 0 || k >= len(env.Recipients) {
		return "", fmt.Errorf("recipient %d out of range", k)
	}
	rc := env.Recipients[k]
	login := "sms:" + rc.Phone
	if rc.Phone == "" {
		login = "email:" + rc.Email
	}
	now := s.now()
	l := link{Envelope: env.ID, Recipient: k, Login: login, Name: rc.Name, Created: now, Expires: now.Add(LinkTTL)}
	if !env.Deadline.IsZero() && env.Deadline.Before(l.Expires) {
		l.Expires = env.Deadline
	}
	tok := newToken()
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		return sync.InsertJSON(tx, BucketLinks, hashToken(tok), l)
	})
	if err != nil {
		return "", err
	}
	return s.BaseURL + "/s/" + tok, nil
}

// opened is a link checked against its contract.
type opened struct {
	hash  string
	link  link
	env   api.Envelope
	actor envelope.Actor
}

// actor is the recipient as core/envelope knows them: their account when the login belongs to
// one, else a web-only identity whose party key is the login.
func actorOf(tx sync.Tx, l link) (envelope.Actor, error) {
	if id, err := tx.Get(org.BucketLogins, l.Login); err == nil {
		var a org.Account
		if err := sync.GetJSON(tx, org.BucketAccounts, string(id), &a); err == nil {
			// core/envelope keys an account by its phone, else its e-mail: the login must be that.
			ch, addr, _ := strings.Cut(l.Login, ":")
			if (ch == "sms" && a.Phone == addr) || (ch == "email" && a.Phone == "" && a.Email == addr) {
				return envelope.Actor{Account: a}, nil
			}
		} else if !errors.Is(err, sync.ErrNotFound) {
			return envelope.Actor{}, err
		}
	} else if !errors.Is(err, sync.ErrNotFound) {
		return envelope.Actor{}, err
	}
	h := sha256.Sum256([]byte(l.Login))
	a := org.Account{ID: "web_" + hex.EncodeToString(h[:12]), Name: l.Name}
	ch, addr, _ := strings.Cut(l.Login, ":")
	if ch == "sms" {
		a.Phone = addr
	} else {
		a.Email = addr
	}
	return envelope.Actor{Account: a}, nil
}

// closed says why a link of env can no longer be used ("" when it can).
func closedMessage(env api.Envelope, k int) *sync.Refusal {
	switch env.Status {
	case api.EnvelopeInProgress:
	case api.EnvelopeWithdrawn:
		return refuse(http.StatusGone, "envelope_withdrawn", "该合同已被发起人撤回，签署链接已失效")
	case api.EnvelopeDeclined:
		if k >= 0 && k < len(env.Recipients) && env.Recipients[k].State == api.RecipientDeclined {
			return refuse(http.StatusGone, "link_used", "您已拒签该合同，此签署链接已使用")
		}
		return refuse(http.StatusGone, "envelope_declined", "该合同已被拒签，签署链接已失效")
	case api.EnvelopeExpired:
		return refuse(http.StatusGone, "envelope_expired", "该合同已逾期，签署链接已失效")
	case api.EnvelopeCompleted, api.EnvelopeCompleting:
		if k >= 0 && k < len(env.Recipients) && env.Recipients[k].State == api.RecipientSigned {
			return errLinkUsed
		}
		return refuse(http.StatusGone, "envelope_completed", "该合同已完成签署，签署链接已失效")
	default:
		return refuse(http.StatusGone, "envelope_closed", "该合同当前无法签署，签署链接已失效")
	}
	if k >= 0 && k < len(env.Recipients) && env.Recipients[k].State == api.RecipientSigned {
		return errLinkUsed
	}
	return nil
}

// open reads and checks a link (not the session).
func (s *Service) open(ctx context.Context, token string) (*opened, error) {
	if err := checkToken(token); err != nil {
		return nil, err
	}
	o := &opened{hash: hashToken(token)}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if err := sync.GetJSON(tx, BucketLinks, o.hash, &o.link); errors.Is(err, sync.ErrNotFound) {
			return errLinkInvalid
		} else if err != nil {
			return err
		}
		var err error
		o.actor, err = actorOf(tx, o.link)
		return err
	})
	if err != nil {
		return nil, err
	}
	if o.link.Locked {
		return nil, errLinkLocked
	}
	env, err := s.Env.Get(ctx, o.actor, o.link.Envelope)
	if err != nil {
		var ref *sync.Refusal
		if errors.As(err, &ref) && ref.Status == http.StatusNotFound {
			return nil, errLinkInvalid
		}
		return nil, err
	}
	o.env = env
	if ref := closedMessage(env, o.link.Recipient); ref != nil {
		return nil, ref
	}
	if s.now().After(o.link.Expires) {
		return nil, errLinkExpired
	}
	return o, nil
}

// Check opens a link without a session: nil when the page may ask for a code.
func (s *Service) Check(ctx context.Context, token string) error {
	_, err := s.open(ctx, token)
	return err
}

// CodeTicket says where a code went.
type CodeTicket struct {
	To      string    `json:"to"` // masked phone or e-mail
	Expires time.Time `json:"expires"`
}

func maskLogin(login string) string {
	_, l, _ := strings.Cut(login, ":")
	if at := strings.IndexByte(l, '@'); at > 0 {
		return l[:1] + "***" + l[at:]
	}
	if len(l) >= 7 {
		return l[:3] + "****" + l[len(l)-4:]
	}
	return "***"
}

// SendCode sends a one-time code for purpose (PurposeLogin or PurposeSign; signing needs a
// session) to the link's phone or e-mail.
func (s *Service) SendCode(ctx context.Context, token, sess, purpose string) (CodeTicket, error) {
	if s.Notifier == nil {
		return CodeTicket{}, refuse(http.StatusServiceUnavailable, "notifier_unavailable", "服务器未配置验证码发送渠道")
	}
	var o *opened
	var err error
	switch purpose {
	case PurposeLogin:
		o, err = s.open(ctx, token)
	case PurposeSign:
		o, err = s.auth(ctx, token, sess)
	default:
		return CodeTicket{}, refuse(http.StatusBadRequest, "bad_purpose", "验证码用途须为登录或确认签署")
	}
	if err != nil {
		return CodeTicket{}, err
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return CodeTicket{}, err
	}
	c := fmt.Sprintf("%0*d", codeDigits, n)
	id := newToken()[:16]
	now := s.now()
	var t CodeTicket
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		var l link
		if err := sync.GetJSON(tx, BucketLinks, o.hash, &l); err != nil {
			return err
		}
		if l.Locked {
			return errLinkLocked
		}
		if wait := l.LastCode[purpose].Add(CodeInterval).Sub(now); wait > 0 {
			return refuse(http.StatusTooManyRequests, "code_too_soon", fmt.Sprintf("验证码已发送，请 %d 秒后再重新获取", int(wait.Seconds())+1))
		}
		l.Code = &code{ID: id, Purpose: purpose, MAC: s.codeMAC(id, c), Expires: now.Add(CodeTTL)}
		if l.LastCode == nil {
			l.LastCode = map[string]time.Time{}
		}
		l.LastCode[purpose] = now
		t = CodeTicket{To: maskLogin(l.Login), Expires: l.Code.Expires}
		return sync.PutJSON(tx, BucketLinks, o.hash, l)
	})
	if err != nil {
		return CodeTicket{}, err
	}
	ch, to, _ := strings.Cut(o.link.Login, ":")
	what := map[string]string{PurposeLogin: "查看并签署", PurposeSign: "确认签署"}[purpose]
	msg := notify.Message{Channel: notify.Channel(ch), To: to, Subject: "SealDesk 验证码", Time: now,
		Body: fmt.Sprintf("【SealDesk】您正在%s《%s》，验证码 %s，%d 分钟内有效。如非本人操作请忽略。", what, o.env.Subject, c, int(CodeTTL.Minutes()))}
	if err := s.Notifier.Send(ctx, msg); err != nil {
		if errors.Is(err, notify.ErrNoTransport) {
			return CodeTicket{}, refuse(http.StatusServiceUnavailable, "notifier_unavailable", "服务器未配置该渠道（短信或邮件）的验证码发送")
		}
		return CodeTicket{}, fmt.Errorf("failed to send the code: %w", err)
	}
	return t, nil
}

// spendCode checks a code of purpose in its own committed transaction: a wrong code is
// counted (MaxCodeAttempts locks the link), a right one is spent.
func (s *Service) spendCode(ctx context.Context, o *opened, purpose, typed string) error {
	typed = strings.TrimSpace(typed)
	now := s.now()
	var refusal error
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal = nil
		var l link
		if err := sync.GetJSON(tx, BucketLinks, o.hash, &l); err != nil {
			return err
		}
		if l.Locked {
			refusal = errLinkLocked
			return nil
		}
		if l.Code == nil || l.Code.Purpose != purpose {
			refusal = errCodeNone
			return nil
		}
		if now.After(l.Code.Expires) {
			l.Code = nil
			refusal = errCodeExpired
			return sync.PutJSON(tx, BucketLinks, o.hash, l)
		}
		if len(typed) != codeDigits || !hmac.Equal([]byte(l.Code.MAC), []byte(s.codeMAC(l.Code.ID, typed))) {
			l.Attempts++
			if l.Attempts >= MaxCodeAttempts {
				l.Locked, l.Code = true, nil
				refusal = errLinkLocked
			} else {
				refusal = refuse(http.StatusBadRequest, "wrong_code", fmt.Sprintf("验证码错误，还可尝试 %d 次", MaxCodeAttempts-l.Attempts))
			}
			if err := sync.PutJSON(tx, BucketLinks, o.hash, l); err != nil {
				return err
			}
			return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: o.actor.Account.ID, Action: "websign.code_wrong", Target: l.Envelope,
				Detail: fmt.Sprintf("recipient %d, attempt %d", l.Recipient, l.Attempts)})
		}
		l.Code, l.Attempts = nil, 0
		return sync.PutJSON(tx, BucketLinks, o.hash, l)
	})
	if err != nil {
		return err
	}
	return refusal
}

// Login checks a login code and opens a browser session; it returns the session's secret (the
// cookie's value).
func (s *Service) Login(ctx context.Context, token, typed string) (string, error) {
	o, err := s.open(ctx, token)
	if err != nil {
		return "", err
	}
	if err := s.spendCode(ctx, o, PurposeLogin, typed); err != nil {
		return "", err
	}
	sess := newToken()
	now := s.now()
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		if err := sync.PutJSON(tx, BucketSessions, hashToken(sess), session{Link: o.hash, Expires: now.Add(SessionTTL)}); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: o.actor.Account.ID, Action: "websign.login", Target: o.link.Envelope,
			Detail: fmt.Sprintf("recipient %d via %s", o.link.Recipient, maskLogin(o.link.Login))})
	})
	return sess, err
}

// auth opens a link with its session.
func (s *Service) auth(ctx context.Context, token, sess string) (*opened, error) {
	o, err := s.open(ctx, token)
	if err != nil {
		return nil, err
	}
	if checkToken(sess) != nil {
		return nil, errNoSession
	}
	var se session
	err = s.Store.View(ctx, func(tx sync.Tx) error { return sync.GetJSON(tx, BucketSessions, hashToken(sess), &se) })
	if errors.Is(err, sync.ErrNotFound) || err == nil && (se.Link != o.hash || s.now().After(se.Expires)) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Decline refuses the contract (拒签) with a reason, as the recipient.
func (s *Service) Decline(ctx context.Context, token, sess, reason, device string) (api.Envelope, error) {
	o, err := s.auth(ctx, token, sess)
	if err != nil {
		return api.Envelope{}, err
	}
	a := o.actor
	a.Device = device
	return s.Env.Decline(ctx, a, "web-decline-"+o.hash[:32], o.link.Envelope, reason)
}

// EventOwner returns the signer an event certificate (lower-case hex serial) was issued to, ""
// when it is not one.
func EventOwner(tx sync.Tx, serial string) (string, error) {
	var ec EventCert
	if err := sync.GetJSON(tx, BucketEventCerts, strings.ToLower(serial), &ec); err != nil {
		if errors.Is(err, sync.ErrNotFound) {
			return "", nil
		}
		return "", err
	}
	return ec.AccountID, nil
}

// newKey makes the key of one event signing.
func (s *Service) newKey() (*ecdsa.PrivateKey, error) {
	if s.NewKey != nil {
		return s.NewKey()
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// destroy overwrites the private scalar of k. Go's crypto may hold a derived copy inside the
// key for as long as k is reachable; the caller drops k right after, so nothing keeps it.
func destroy(k *ecdsa.PrivateKey) {
	if k == nil || k.D == nil {
		return
	}
	words := k.D.Bits()
	for i := range words {
		words[i] = 0
	}
	k.D.SetInt64(0)
}
