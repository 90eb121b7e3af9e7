// Package org holds SealDesk's people: accounts (register and login by mobile number or e-mail,
// with a one-time code or an Argon2id password), sessions, rate limits and lockouts, and the
// real-name verification of persons through pluggable providers; and enterprises: creation with
// a GB 32100 credit code, members, custom roles, departments, and the permission check every
// enterprise route makes, Service.Require (enterprise.go).
//
// # Enterprises
//
// An enterprise's records are keyed "<entID>/…" so they page in key order; each change is an
// event in the scope EnterpriseScope(id) ("ent:<id>"), readable by enabled members only, and a
// line in the enterprise's audit log. Require reads the caller's membership (and custom role)
// from the transaction it is given, or, on PostgreSQL, from a process-local cache that every
// process's change to the enterprise's members or roles empties (RunPermCache, permcache.go:
// LISTEN/NOTIFY through the store's ChangeFeed; answers only while listening; entries live at
// most PermCacheTTL), so a disabled member is refused from the next request on in the process
// that disabled them and one notification later in the others. Members and roles are stored
// as compact lines, not JSON, because every request reads them; write them only through
// PutMember and PutRole (they announce the change to the caches).
//
// People join through the enterprise's invitation link (and its QR code; an admin switches it
// off or rotates it) or a personal invitation sent to a phone (AddMember); either way the request
// waits in 待审核成员 until someone with members.manage approves it (members.go). Verification
// (entverify.go) runs a LegalRepChecker, a micro-deposit through a PaymentProvider (three
// amounts, then start over) or a manual review of seven re-encoded uploads decided by a server
// reviewer; the dev providers exist only under --dev.
//
// Authenticate is cached the same way (a session and its account, forgotten when any process
// changes the account or its sessions: write them through PutAccount). Everything else is kept
// in a core/sync.Store, nothing in memory, so several server processes can serve the same
// users: rate-limit counters, one-time codes and sessions hold across processes.
// Every change to an account is an event in the scope "user:<id>" and a line in the audit log.
//
// # What it refuses
//
//   - Passwords outside 8–18 characters or missing a digit, an upper- or a lower-case letter.
//   - Resident ID numbers with a wrong check character or an impossible birth date (core/ids).
//   - Storing secrets in clear: passwords are Argon2id hashes, session tokens and one-time codes
//     are stored only as keyed hashes.
//   - Faking a verification: the dev provider must only be registered when the server runs with
//     --dev; face scans and carrier checks are providers a deployment plugs in.
//   - Spending memory on strangers: every cheap check and limit comes before a password is
//     hashed (Argon2id, 19 MiB), hashes run inside a bounded gate (Service.Hashes), and a login
//     attempt is counted (reserved) before its hash, so parallel guesses cannot pass a lockout.
//   - Telling a caller whether a login exists: asking for a code answers the same either way.
//   - Locking an owner out for good: password lockouts are per address plus an account-wide
//     one, and a one-time code login passes them and ends them.
//   - Invisible or bidirectional characters in names and logins (NFKC first), and a resident ID
//     number verified for a second account.
package org

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"regexp"
	"runtime"
	"slices"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"sealdesk/core/gate"
	"sealdesk/core/notify"
	"sealdesk/core/sync"
)

// Buckets used by this package.
const (
	BucketAccounts     = "accounts"
	BucketLogins       = "logins"
	BucketSessions     = "sessions"
	BucketCodes        = "codes"
	BucketLimits       = "limits"
	BucketRealName     = "realname"
	BucketBlobs        = "blobs"
	BucketCertificates = "certificates"
	BucketDevices      = "devices" // sha256(device token) → trustedDevice
)

// Account is a registered person.
type Account struct {
	ID           string    `json:"id"`
	Phone        string    `json:"phone,omitempty"`
	Email        string    `json:"email,omitempty"`
	Name         string    `json:"name"`
	PasswordHash string    `json:"password_hash,omitempty"`
	Created      time.Time `json:"created"`
	Admin        bool      `json:"admin,omitempty"` // may review verifications and use the admin API
	Disabled     bool      `json:"disabled,omitempty"`
	RealName     *RealName `json:"real_name,omitempty"`
	// Consents are the 服务条款 and 隐私政策 versions the person accepted, and when (account.go).
	Consents []Consent `json:"consents,omitempty"`
	// SecondCheck (二次校验) asks a one-time code besides the PIN to sign, 拒签 and 撤回.
	SecondCheck bool `json:"second_check,omitempty"`
	// SessionsAfter voids every session opened before it (set by 忘记密码).
	SessionsAfter time.Time `json:"sessions_after,omitzero"`
}

// RealName is an approved real-name verification.
type RealName struct {
	Name         string    `json:"name"`
	IDNumber     string    `json:"id_number"`
	Provider     string    `json:"provider"`
	Verification string    `json:"verification"`
	VerifiedAt   time.Time `json:"verified_at"`
}

// Scope returns the sync scope of an account's own data.
func Scope(accountID string) string { return "user:" + accountID }

// Session is a logged-in device. The token itself is never stored.
type Session struct {
	AccountID string    `json:"account_id"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	Revoked   bool      `json:"revoked,omitempty"`
}

// Service implements accounts, sessions and real-name verification over a store.
type Service struct {
	Store    sync.Store
	Notifier notify.Notifier
	Hub      *sync.Hub // may be nil
	Now      func() time.Time
	// Secret keys the hashes of one-time codes; derive it from the server's master key.
	Secret []byte
	// Providers are the real-name verification providers by name.
	Providers map[string]Provider
	// LegalRep and Payments verify enterprises (a registry's legal-representative check, a
	// bank's micro-deposits); nil: that method is not offered. The dev ones only under --dev.
	LegalRep LegalRepChecker
	Payments PaymentProvider
	// InviteTTL is how long an enterprise invitation works (default DefaultInviteTTL).
	InviteTTL time.Duration
	// InviteURL makes the link of an invitation token (the server's address + /join/<token>);
	// nil: the token alone.
	InviteURL func(token string) string
	// SessionTTL is how long a session lives (default 30 days).
	SessionTTL time.Duration
	// Limits; zero values mean the defaults below.
	Limits Limits
	// Hashes bounds concurrent Argon2id work (19 MiB each); nil: sized from memory at first use.
	Hashes *gate.Gate
	// EnterpriseEvents, when set, is called inside the transaction of every enterprise event
	// (RecordEnterprise and this package's own changes) with the event's type and payload: the
	// server enqueues integrator webhooks there (core/webhook), so a change and its deliveries
	// commit together or not at all.
	EnterpriseEvents func(tx sync.Tx, entID, typ string, payload any, now time.Time) error
	// Terms are the versions of 服务条款 and 隐私政策 in force (zero: DefaultTerms).
	Terms Terms
	// ConsentOptional accepts a registration that names no 服务条款/隐私政策 versions (recording
	// none). WARNING: only for the desktop's embedded 单机模式 backend, whose one local account is
	// made by the program, not by a person registering with a service; every server people
	// register with requires the consent (manual 004 §1.1: 勾选表示同意《服务条款》).
	ConsentOptional bool
	// Registered, when set, runs inside the transaction that creates an account (the server
	// grants the 暂不实名，立即体验 trial quota there).
	Registered func(tx sync.Tx, a Account, now time.Time) error
	hashOnce   stdsync.Once
	perms      atomic.Pointer[permCache] // set while RunPermCache runs
}

// Limits are the rate limits and lockouts, counted in the store.
type Limits struct {
	LoginFailures   int           // password failures per login and client address before that address is locked out (default 5)
	AccountFailures int           // password failures per login from all addresses before password login is locked (default 20; a code login unlocks)
	LoginLockout    time.Duration // lockout length (default 15 min)
	IPAttempts      int           // login and register attempts per client address per 10 minutes (default 60; negative: no limit)
	CodeInterval    time.Duration // minimum time between two codes to one target (default 60 s)
	CodesPerHour    int           // codes per target per hour (default 10)
	CodeTTL         time.Duration // code validity (default 10 min)
	CodeAttempts    int           // wrong guesses before a code is burnt (default 5)
	IPCodesPerHour  int           // codes per client address per hour (default 30; negative: no limit)
	// UnverifiedEnterprises bounds the enterprises one account has created that are not yet
	// verified (default 10; negative: no limit). Creating one claims its 统一社会信用代码 until
	// the company wins it back by appeal, so without a bound one account could claim thousands
	// of companies' codes in seconds (red team s5: 60 in 0.5 s).
	UnverifiedEnterprises int
}

func (s *Service) limits() Limits {
	l := s.Limits
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.LoginFailures, 5)
	def(&l.AccountFailures, 20)
	defd(&l.LoginLockout, 15*time.Minute)
	def(&l.IPAttempts, 60)
	defd(&l.CodeInterval, time.Minute)
	def(&l.CodesPerHour, 10)
	defd(&l.CodeTTL, 10*time.Minute)
	def(&l.CodeAttempts, 5)
	def(&l.IPCodesPerHour, 30)
	def(&l.UnverifiedEnterprises, 10)
	return l
}

// hashMemory is what one Argon2id hash or check allocates (argonMemory KiB) plus its slack.
const hashMemory = (argonMemory + 1024) << 10

// gate returns the gate of password hashes: Options.Hashes, or one sized from the process's
// memory (a quarter of it in 20 MiB hashes) and at most half the CPUs wide (hashing is
// CPU-bound: more at once only queues them inside the scheduler, where they delay everything
// else; half the CPUs stay free for signed-in users).
func (s *Service) gate() *gate.Gate {
	s.hashOnce.Do(func() {
		if s.Hashes == nil {
			// A queued caller costs nothing but a goroutine: up to 8 per slot wait as long as a
			// few hashes take on a busy machine; everyone beyond is turned away at once.
			n := gate.SlotsFor(gate.MemoryBudget(), hashMemory, max(1, runtime.GOMAXPROCS(0)/2))
			// Rest 1: hashing uses at most half of those CPUs however many requests arrive.
			s.Hashes = gate.New(&gate.Options{Slots: n, Queue: 8 * n, Wait: 3 * time.Second, Rest: 1})
		}
	})
	return s.Hashes
}

// HashStats says how many password hashes ran and how many were turned away as busy.
func (s *Service) HashStats() gate.Stats { return s.gate().Stats() }

// hashPassword and verifyPassword run Argon2id inside the hash gate; over it they return an
// error wrapping gate.ErrBusy.
func (s *Service) hashPassword(ctx context.Context, p string) (string, error) {
	release, err := s.gate().Enter(ctx)
	if err != nil {
		return "", fmt.Errorf("password hash: %w", err)
	}
	defer release()
	return HashPassword(p)
}

func (s *Service) verifyPassword(ctx context.Context, hash, p string) (bool, error) {
	release, err := s.gate().Enter(ctx)
	if err != nil {
		return false, fmt.Errorf("password check: %w", err)
	}
	defer release()
	if hash == "" {
		_, err := HashPassword(p) // same work whether or not the account exists
		return false, err
	}
	return VerifyPassword(hash, p), nil
}

func (s *Service) now() time.Time { return s.Now().UTC() }

func refuse(status int, code, msg string) *sync.Refusal { return sync.Refuse(status, code, msg) }

// Login identifiers.
var phoneRE = stdsync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^1[3-9][0-9]{9}$`) })

// NormalizeLogin turns a mobile number or e-mail address into its canonical form and channel.
// The input is NFKC-normalised first (a full-width １３９… or ＠ is the same login as its ASCII
// form); invisible and bidirectional characters (U+200B, U+202E…) are refused, as are e-mail
// addresses that are not ASCII after normalisation.
func NormalizeLogin(s string) (login string, ch notify.Channel, err error) {
	bad := refuse(400, "bad_login", "请输入正确的手机号码或电子邮箱")
	s, ok := normalizeText(s)
	if !ok || len(s) > 254 {
		return "", "", bad
	}
	p := strings.TrimPrefix(strings.TrimPrefix(strings.NewReplacer(" ", "", "-", "").Replace(s), "+86"), "0086")
	if phoneRE().MatchString(p) {
		return p, notify.SMS, nil
	}
	if strings.Contains(s, "@") {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x21 || s[i] > 0x7e {
				return "", "", bad
			}
		}
		a, err := mail.ParseAddress(s)
		if err == nil && a.Name == "" && a.Address == s {
			return strings.ToLower(a.Address), notify.Email, nil
		}
	}
	return "", "", bad
}

func loginKey(login string, ch notify.Channel) string { return string(ch) + ":" + login }

// CheckName validates a person's name as typed and returns it normalised: NFKC, white space
// trimmed and collapsed, 1–40 characters with at least one letter, and no invisible or
// bidirectional characters (a U+202E would reverse how the name reads in a certificate).
func CheckName(name string) (string, error) {
	name, ok := normalizeText(name)
	if !ok {
		return "", refuse(400, "bad_name", "姓名不能包含控制字符、不可见字符或文字方向控制符")
	}
	n := utf8.RuneCountInString(name)
	if n == 0 || n > 40 {
		return "", refuse(400, "bad_name", "姓名须为 1–40 个字符")
	}
	if !strings.ContainsFunc(name, unicode.IsLetter) {
		return "", refuse(400, "bad_name", "姓名须包含文字")
	}
	return name, nil
}

func randomID(prefix string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// --- rate limits ------------------------------------------------------------------------------

type counter struct {
	Count       int       `json:"count"`
	WindowStart time.Time `json:"window_start"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
	Last        time.Time `json:"last,omitzero"`
	// Pending are the expiry times of attempts reserved but not settled yet (a password being
	// checked right now). They count like failures until settled, so parallel guesses cannot
	// all pass the check before the first failure is counted.
	Pending []time.Time `json:"pending,omitempty"`
}

// reservationTTL bounds how long a reserved attempt counts if the process checking it dies.
const reservationTTL = 30 * time.Second

func getCounter(tx sync.Tx, key string, now time.Time, window time.Duration) (counter, error) {
	var c counter
	err := sync.GetJSON(tx, BucketLimits, key, &c)
	if err != nil && !errors.Is(err, sync.ErrNotFound) {
		return c, err
	}
	if now.Sub(c.WindowStart) >= window {
		c.Count, c.WindowStart = 0, now
	}
	c.Pending = slices.DeleteFunc(c.Pending, func(t time.Time) bool { return !now.Before(t) })
	return c, nil
}

// hit counts one event against key in a fixed window and reports whether max is exceeded. Once
// over, further events are refused without writing (so a flood does not contend on the key); a
// negative max means no limit and nothing is counted.
func hit(tx sync.Tx, key string, now time.Time, window time.Duration, max int) (bool, error) {
	if max < 0 {
		return false, nil
	}
	c, err := getCounter(tx, key, now, window)
	if err != nil {
		return false, err
	}
	if c.Count >= max {
		return true, nil
	}
	c.Count++
	c.Last = now
	if err := sync.PutJSON(tx, BucketLimits, key, c); err != nil {
		return false, err
	}
	return c.Count > max, nil
}

// unsettle removes the reservation that expires at exp (if it is still there).
func (c *counter) unsettle(exp time.Time) {
	if i := slices.IndexFunc(c.Pending, exp.Equal); i >= 0 {
		c.Pending = slices.Delete(c.Pending, i, i+1)
	}
}

// --- one-time codes ---------------------------------------------------------------------------

// Code purposes.
const (
	PurposeRegister = "register"
	PurposeLogin    = "login"
)

type storedCode struct {
	MAC      string    `json:"mac"`
	Expires  time.Time `json:"expires"`
	Attempts int       `json:"attempts"`
}

func (s *Service) codeMAC(key, code string) string {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte(key + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

// SendCode makes a 6-digit one-time code for purpose and sends it to login. Client is the
// caller's address, for the per-address limit.
//
// It returns a challenge: the code is bound to it, and Register and Login take the code only
// with the challenge of the request that made it. Each request gets its own code and challenge,
// so a stranger who asks for codes to somebody else's login can guess only at codes of his own
// requests (each burnt after CodeAttempts wrong guesses) and never burn the one the owner is
// typing in.
//
// Device is Token.Device of an earlier sign-in from the requesting device, or "". The per-login
// limits (CodeInterval, CodesPerHour) protect the owner's phone from being flooded, so a stranger
// can use them up; a device that signed in to this login before is counted on its own, so the
// owner's desktop still gets its code while a stranger exhausts the limits.
//
// The answer does not say whether the login is registered: a code to register an existing login,
// or to log in to a missing one, is not made; the address gets a notice saying so instead, and
// the caller gets the same answer as for a code. Both limits (per address, then per login) are
// counted before anything else.
func (s *Service) SendCode(ctx context.Context, rawLogin, purpose, client, device string) (challenge string, err error) {
	login, ch, err := NormalizeLogin(rawLogin)
	if err != nil {
		return "", err
	}
	if purpose != PurposeRegister && purpose != PurposeLogin && purpose != PurposeReset && purpose != PurposeConfirm {
		return "", refuse(400, "bad_purpose", "无效的验证码用途")
	}
	if s.Notifier == nil {
		return "", refuse(503, "notifier_unavailable", "服务器未配置验证码发送渠道")
	}
	l := s.limits()
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	challenge = randomToken("ch_")
	now := s.now()
	key := codeKey(purpose, loginKey(login, ch), challenge)
	var refusal error
	var exists bool
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal, exists = nil, false
		if client != "" {
			over, err := hit(tx, "codeip:"+client, now, time.Hour, l.IPCodesPerHour)
			if err != nil {
				return err
			}
			if over {
				refusal = refuse(429, "code_limit", "获取验证码次数过多，请稍后再试")
				return nil // keep the count
			}
		}
		ckey := "code:" + loginKey(login, ch)
		if device != "" && len(device) <= 100 {
			known, err := knownDevice(tx, loginKey(login, ch), device, now)
			if err != nil {
				return err
			}
			if known {
				ckey += "@device:" + deviceKey(device)[:32]
			}
		}
		c, err := getCounter(tx, ckey, now, time.Hour)
		if err != nil {
			return err
		}
		if !c.Last.IsZero() && now.Sub(c.Last) < l.CodeInterval {
			refusal = refuse(429, "code_too_soon", fmt.Sprintf("验证码发送过于频繁，请 %d 秒后再试", int((l.CodeInterval-now.Sub(c.Last)).Seconds())+1))
			return nil
		}
		if c.Count >= l.CodesPerHour {
			refusal = refuse(429, "code_limit", "该账号一小时内获取验证码次数过多，请稍后再试")
			return nil
		}
		c.Count++
		c.Last = now
		if err := sync.PutJSON(tx, BucketLimits, ckey, c); err != nil {
			return err
		}
		_, errGet := tx.Get(BucketLogins, loginKey(login, ch))
		if errGet != nil && !errors.Is(errGet, sync.ErrNotFound) {
			return errGet
		}
		exists = errGet == nil
		if (purpose == PurposeRegister) == exists {
			return nil // a notice, no code
		}
		return sync.PutJSON(tx, BucketCodes, key, storedCode{MAC: s.codeMAC(key, code), Expires: now.Add(l.CodeTTL)})
	})
	if err != nil {
		return "", err
	}
	if refusal != nil {
		return "", refusal
	}
	msg := notify.Message{Channel: ch, To: login, Time: now,
		Subject: "SealDesk 验证码",
		Body:    fmt.Sprintf("您的 SealDesk 验证码是 %s，%d 分钟内有效。如非本人操作，请忽略。", code, int(l.CodeTTL.Minutes()))}
	switch {
	case purpose == PurposeRegister && exists:
		msg.Subject, msg.Body = "SealDesk 账号提醒", "有人试图用此号码注册 SealDesk，但它已经注册过了，请直接登录（忘记密码可用验证码登录）。如非本人操作，请忽略。"
	case purpose != PurposeRegister && !exists:
		msg.Subject, msg.Body = "SealDesk 账号提醒", "有人试图用此号码登录 SealDesk，但它尚未注册。如需使用，请先注册。如非本人操作，请忽略。"
	}
	if err := s.Notifier.Send(ctx, msg); err != nil {
		if errors.Is(err, notify.ErrNoTransport) {
			return "", refuse(503, "notifier_unavailable", "服务器未配置该渠道（短信或邮件）的验证码发送")
		}
		return "", fmt.Errorf("failed to send one-time code: %w", err)
	}
	return challenge, nil
}

// codeKey is where the code of one SendCode request is kept.
func codeKey(purpose, lk, challenge string) string { return purpose + ":" + lk + "#" + challenge }

// randomToken returns prefix and 32 random bytes, base64url.
func randomToken(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// checkCode checks a code inside tx and, if consume is set, spends it. A wrong guess is counted;
// it returns (refusal, nil) so the caller commits the count and then refuses.
func (s *Service) checkCode(tx sync.Tx, purpose, lk, challenge, code string, now time.Time, consume bool) (*sync.Refusal, error) {
	if !strings.HasPrefix(challenge, "ch_") || len(challenge) > 64 {
		return refuse(400, "code_invalid", "验证码错误或已失效，请重新获取"), nil
	}
	key := codeKey(purpose, lk, challenge)
	var c storedCode
	err := sync.GetJSON(tx, BucketCodes, key, &c)
	if errors.Is(err, sync.ErrNotFound) {
		return refuse(400, "code_invalid", "验证码错误或已失效，请重新获取"), nil
	}
	if err != nil {
		return nil, err
	}
	if now.After(c.Expires) || c.Attempts >= s.limits().CodeAttempts {
		return refuse(400, "code_invalid", "验证码错误或已失效，请重新获取"), tx.Delete(BucketCodes, key)
	}
	if !hmac.Equal([]byte(c.MAC), []byte(s.codeMAC(key, strings.TrimSpace(code)))) {
		c.Attempts++
		return refuse(400, "code_invalid", "验证码错误或已失效，请重新获取"), sync.PutJSON(tx, BucketCodes, key, c)
	}
	if !consume {
		return nil, nil
	}
	return nil, tx.Delete(BucketCodes, key)
}

// --- accounts and sessions --------------------------------------------------------------------

// RegisterRequest is what a new person sends.
type RegisterRequest struct {
	Login     string `json:"login"` // mobile number or e-mail
	Code      string `json:"code"`
	Challenge string `json:"challenge"` // SendCode's answer for this code
	Name      string `json:"name"`
	Password  string `json:"password"`
	// TermsVersion and PrivacyVersion are the versions of 服务条款 and 隐私政策 the person
	// ticked (Service.Terms); a stale version is refused, so nobody accepts a text they did not see.
	TermsVersion   string `json:"terms_version,omitempty"`
	PrivacyVersion string `json:"privacy_version,omitempty"`
	// Invite is the token of the enterprise invitation the person registers from: after
	// registering they have asked to join (Token.Join), waiting in 待审核成员.
	Invite string `json:"invite,omitempty"`
}

// Token is a new session.
type Token struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
	Account Account   `json:"account"`
	// Device marks the device that signed in: sent back with its later password logins
	// (LoginRequest.Device), it exempts them from the account-wide lockout (see Login).
	Device string `json:"device,omitempty"`
	// Join is the join request filed by registering from an invitation (RegisterRequest.Invite).
	Join *JoinRequest `json:"join,omitempty"`
}

// Register creates an account after checking the one-time code, and logs it in. Everything
// cheap comes first: the request's shape, the per-address limit and the code (a wrong code is
// counted and refused without hashing); only then the password is hashed, inside the hash gate.
func (s *Service) Register(ctx context.Context, r RegisterRequest, client string) (Token, error) {
	login, ch, err := NormalizeLogin(r.Login)
	if err != nil {
		return Token{}, err
	}
	name, err := CheckName(r.Name)
	if err != nil {
		return Token{}, err
	}
	if err := CheckPassword(r.Password); err != nil {
		return Token{}, err
	}
	if len(r.Code) > 16 {
		return Token{}, refuse(400, "code_invalid", "验证码错误或已失效，请重新获取")
	}
	consents, err := s.checkConsent(r)
	if err != nil {
		return Token{}, err
	}
	l := s.limits()
	now := s.now()
	lk := loginKey(login, ch)
	var refusal *sync.Refusal
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal = nil
		if r.Invite != "" {
			// a dead invitation is said before anything is created
			if _, err := checkInvite(tx, r.Invite, now); err != nil {
				return err
			}
		}
		if client != "" {
			over, err := hit(tx, "regip:"+client, now, 10*time.Minute, l.IPAttempts)
			if err != nil {
				return err
			}
			if over {
				refusal = refuse(429, "too_many_attempts", "尝试次数过多，请稍后再试")
				return nil
			}
		}
		ref, err := s.checkCode(tx, PurposeRegister, lk, r.Challenge, r.Code, now, false)
		refusal = ref
		return err
	})
	if err != nil {
		return Token{}, err
	}
	if refusal != nil {
		return Token{}, refusal
	}
	hash, err := s.hashPassword(ctx, r.Password)
	if err != nil {
		return Token{}, err
	}
	acct := Account{ID: randomID("u_"), Name: name, PasswordHash: hash, Created: now}
	for i := range consents {
		consents[i].Accepted = now
	}
	acct.Consents = consents
	if ch == notify.SMS {
		acct.Phone = login
	} else {
		acct.Email = login
	}
	var tok Token
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal = nil
		ref, err := s.checkCode(tx, PurposeRegister, lk, r.Challenge, r.Code, now, true)
		if err != nil {
			return err
		}
		if ref != nil {
			refusal = ref // spent meanwhile by a parallel request with the same code
			return nil
		}
		if err := tx.Insert(BucketLogins, lk, []byte(acct.ID)); errors.Is(err, sync.ErrExists) {
			return refuse(409, "already_registered", "该账号已注册，请直接登录")
		} else if err != nil {
			return err
		}
		sync.Touch(tx, Scope(acct.ID))
		if err := sync.InsertJSON(tx, BucketAccounts, acct.ID, acct); err != nil {
			return err
		}
		if err := s.event(tx, acct.ID, "account.created", publicAccount(acct), now); err != nil {
			return err
		}
		if err := sync.Audit(tx, sync.AuditEntry{Time: now, Actor: acct.ID, Action: "account.register", Target: acct.ID, IP: client,
			Detail: consentDetail(acct.Consents)}); err != nil {
			return err
		}
		if s.Registered != nil {
			if err := s.Registered(tx, acct, now); err != nil {
				return err
			}
		}
		if tok, err = s.newSession(tx, acct, now); err != nil {
			return err
		}
		tok.Device, err = s.trustDevice(tx, lk, acct.ID, "", now)
		return err
	})
	if err != nil {
		return Token{}, err
	}
	if refusal != nil {
		return Token{}, refusal
	}
	s.notify(acct.ID)
	if r.Invite != "" {
		// the account exists whatever happens here; an invitation that died in between is
		// said by the join flow the desktop opens next
		if jr, err := s.Join(ctx, acct.ID, r.Invite); err == nil {
			tok.Join = &jr
		}
	}
	return tok, nil
}

func (s *Service) notify(accountID string) {
	if s.Hub != nil {
		s.Hub.Notify(Scope(accountID))
	}
}

func (s *Service) event(tx sync.Tx, accountID, typ string, payload any, now time.Time) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = tx.Append(sync.Event{Scope: Scope(accountID), Type: typ, Time: now, Actor: accountID, Payload: b})
	return err
}

// publicAccount strips secrets and masks the ID number for events and API answers.
func publicAccount(a Account) Account {
	a.PasswordHash = ""
	if a.RealName != nil {
		rn := *a.RealName
		rn.IDNumber = maskID(rn.IDNumber)
		a.RealName = &rn
	}
	return a
}

// Public returns a copy of a safe to send to its owner.
func Public(a Account) Account { return publicAccount(a) }

func (s *Service) newSession(tx sync.Tx, a Account, now time.Time) (Token, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Token{}, err
	}
	token := "sd_" + base64.RawURLEncoding.EncodeToString(b[:])
	ttl := s.SessionTTL
	if ttl == 0 {
		ttl = 30 * 24 * time.Hour
	}
	sess := Session{AccountID: a.ID, Created: now, Expires: now.Add(ttl)}
	if err := putSession(tx, tokenKey(token), sess); err != nil {
		return Token{}, err
	}
	return Token{Token: token, Expires: sess.Expires, Account: publicAccount(a)}, nil
}

// PutAccount stores an account; write accounts only through it: it announces the change to the
// session caches of every process (see RunPermCache).
func PutAccount(tx sync.Tx, a Account) error {
	sync.Touch(tx, Scope(a.ID))
	return sync.PutJSON(tx, BucketAccounts, a.ID, a)
}

// putSession stores a session, announcing it like PutAccount.
func putSession(tx sync.Tx, key string, sess Session) error {
	sync.Touch(tx, Scope(sess.AccountID))
	return sync.PutJSON(tx, BucketSessions, key, sess)
}

func tokenKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// LoginRequest logs in with a password or a one-time code (exactly one of them).
type LoginRequest struct {
	Login     string `json:"login"`
	Password  string `json:"password,omitempty"`
	Code      string `json:"code,omitempty"`
	Challenge string `json:"challenge,omitempty"` // with Code: SendCode's answer
	// Device is Token.Device of an earlier sign-in on this device, if any.
	Device string `json:"device,omitempty"`
}

var errBadCredentials = refuse(401, "bad_credentials", "账号或密码错误")

// Login checks the credentials and opens a session.
//
// Everything cheap comes first, in one transaction: the per-address limit, the lockouts, and a
// reservation of the attempt against them (reserve, then settle): a password being checked
// counts as a failure until its check ends, so parallel guesses at one account cannot all pass
// the lockout before the first failure is recorded — with a limit of 5, 100 parallel guesses get
// 5 checks and 95 refusals without a hash. Only then is the password hashed (inside the hash
// gate), and a second transaction settles the attempt.
//
// Password failures lock the login for the address they came from (LoginFailures), and for
// every address once AccountFailures accumulate. A stranger can therefore lock the password
// login for a while for strangers — but not for the owner's own devices: a login that presents
// the device token of an earlier successful sign-in to this account (LoginRequest.Device) is
// counted on its own (LoginFailures per device) and never sees the address or account-wide
// lockouts, so guesses from elsewhere cannot lock a signed-in device out. Logging in with a
// one-time code (sent to the owner's phone or mailbox) ignores the password lockouts and clears
// them.
func (s *Service) Login(ctx context.Context, r LoginRequest, client string) (Token, error) {
	login, ch, err := NormalizeLogin(r.Login)
	if err != nil {
		return Token{}, err
	}
	if (r.Password == "") == (r.Code == "") {
		return Token{}, refuse(400, "bad_request", "请提供密码或验证码之一")
	}
	if len(r.Password) > 64 {
		return Token{}, errBadCredentials
	}
	if len(r.Code) > 16 {
		return Token{}, refuse(401, "code_invalid", "验证码错误或已失效，请重新获取")
	}
	l := s.limits()
	now := s.now()
	lk := loginKey(login, ch)
	addr := client
	if addr == "" {
		addr = "-"
	}
	addrKey, acctKey := "login:"+lk+"@"+addr, "login:"+lk
	if len(r.Device) > 100 {
		r.Device = ""
	}
	exp := now.Add(reservationTTL)
	var acct Account
	var found bool
	var tok Token
	var refusal *sync.Refusal
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal, found, acct, tok = nil, false, Account{}, Token{}
		if client != "" {
			over, err := hit(tx, "loginip:"+client, now, 10*time.Minute, l.IPAttempts)
			if err != nil {
				return err
			}
			if over {
				refusal = refuse(429, "too_many_attempts", "尝试次数过多，请稍后再试")
				return nil
			}
		}
		id, err := tx.Get(BucketLogins, lk)
		switch {
		case err == nil:
			found = true
			if err := sync.GetJSON(tx, BucketAccounts, string(id), &acct); err != nil {
				return err
			}
		case !errors.Is(err, sync.ErrNotFound):
			return err
		}
		if r.Code != "" {
			// A code is checked here, without a hash; a code only exists for a registered login.
			ref, err := s.checkCode(tx, PurposeLogin, lk, r.Challenge, r.Code, now, true)
			if err != nil {
				return err
			}
			if ref != nil || !found {
				refusal = refuse(401, "code_invalid", "验证码错误或已失效，请重新获取")
				return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: "anonymous", Action: "account.login_failed", Target: lk, IP: client, Detail: "code"})
			}
			// The owner proved control of the login: the password lockouts end.
			if err := clearLockouts(tx, lk); err != nil {
				return err
			}
			if tok, refusal, err = s.openSession(tx, acct.ID, client, now); err != nil || refusal != nil {
				return err
			}
			tok.Device, err = s.trustDevice(tx, lk, acct.ID, r.Device, now)
			return err
		}
		if found && r.Device != "" {
			known, err := knownDevice(tx, lk, r.Device, now)
			if err != nil {
				return err
			}
			if known {
				// The owner's own device: its failures are its own, and the lockouts that
				// strangers' guesses build up do not apply to it.
				addrKey, acctKey = "login:"+lk+"@device:"+deviceKey(r.Device)[:32], ""
			}
		}
		ca, err := getCounter(tx, addrKey, now, l.LoginLockout)
		if err != nil {
			return err
		}
		var cc counter
		if acctKey != "" {
			if cc, err = getCounter(tx, acctKey, now, l.LoginLockout); err != nil {
				return err
			}
		}
		for _, lock := range []time.Time{ca.LockedUntil, cc.LockedUntil} {
			if now.Before(lock) {
				refusal = refuse(429, "locked", fmt.Sprintf("登录失败次数过多，密码登录已锁定，请 %d 分钟后再试，或使用验证码登录", int(lock.Sub(now).Minutes())+1))
				return nil
			}
		}
		if ca.Count+len(ca.Pending) >= l.LoginFailures || (acctKey != "" && cc.Count+len(cc.Pending) >= l.AccountFailures) {
			refusal = refuse(429, "locked", "登录尝试过于频繁，请稍后再试，或使用验证码登录")
			return nil
		}
		ca.Pending = append(ca.Pending, exp)
		if err := sync.PutJSON(tx, BucketLimits, addrKey, ca); err != nil {
			return err
		}
		if acctKey == "" {
			return nil
		}
		cc.Pending = append(cc.Pending, exp)
		return sync.PutJSON(tx, BucketLimits, acctKey, cc)
	})
	if err != nil {
		return Token{}, err
	}
	if refusal != nil || r.Code != "" {
		return tok, errOrNil(refusal)
	}
	ok, err := s.verifyPassword(ctx, acct.PasswordHash, r.Password)
	if err != nil {
		s.giveBack(addrKey, acctKey, exp, now) // not checked: the attempt does not count
		return Token{}, err
	}
	ok = ok && found
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal, tok = nil, Token{}
		if err := settleInTx(tx, addrKey, acctKey, exp, now, l, !ok); err != nil {
			return err
		}
		if !ok {
			refusal = errBadCredentials
			return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: "anonymous", Action: "account.login_failed", Target: lk, IP: client})
		}
		if err := tx.Delete(BucketLimits, addrKey); err != nil {
			return err
		}
		var err error
		if tok, refusal, err = s.openSession(tx, acct.ID, client, now); err != nil || refusal != nil {
			return err
		}
		tok.Device, err = s.trustDevice(tx, lk, acct.ID, r.Device, now)
		return err
	})
	if err != nil {
		return Token{}, err
	}
	return tok, errOrNil(refusal)
}

func errOrNil(r *sync.Refusal) error {
	if r == nil {
		return nil
	}
	return r
}

// openSession logs accountID in, unless the account is disabled.
func (s *Service) openSession(tx sync.Tx, accountID, client string, now time.Time) (Token, *sync.Refusal, error) {
	var cur Account
	if err := sync.GetJSON(tx, BucketAccounts, accountID, &cur); err != nil {
		return Token{}, nil, err
	}
	if cur.Disabled {
		return Token{}, refuse(403, "account_disabled", "该账号已被停用"), nil
	}
	if err := sync.Audit(tx, sync.AuditEntry{Time: now, Actor: cur.ID, Action: "account.login", Target: cur.ID, IP: client}); err != nil {
		return Token{}, nil, err
	}
	tok, err := s.newSession(tx, cur, now)
	return tok, nil, err
}

// settleInTx ends a reserved attempt; a failure is counted and may lock the login.
func settleInTx(tx sync.Tx, addrKey, acctKey string, exp, now time.Time, l Limits, failed bool) error {
	for _, k := range []struct {
		key string
		max int
	}{{addrKey, l.LoginFailures}, {acctKey, l.AccountFailures}} {
		if k.key == "" {
			continue // a known device is not counted account-wide
		}
		c, err := getCounter(tx, k.key, now, l.LoginLockout)
		if err != nil {
			return err
		}
		c.unsettle(exp)
		if failed {
			c.Count++
			c.Last = now
			if c.Count >= k.max {
				c.LockedUntil = now.Add(l.LoginLockout)
				c.Count = 0
			}
		}
		if err := sync.PutJSON(tx, BucketLimits, k.key, c); err != nil {
			return err
		}
	}
	return nil
}

// giveBack removes a reservation whose password was not checked (best effort: it expires
// anyway).
func (s *Service) giveBack(addrKey, acctKey string, exp, now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l := s.limits()
	s.Store.Update(ctx, func(tx sync.Tx) error { return settleInTx(tx, addrKey, acctKey, exp, now, l, false) })
}

// clearLockouts removes the password lockouts of a login, from every address.
func clearLockouts(tx sync.Tx, lk string) error {
	var keys []string
	if err := tx.Scan(BucketLimits, "login:"+lk+"@", "", 0, func(k string, _ []byte) error {
		keys = append(keys, k)
		return nil
	}); err != nil {
		return err
	}
	keys = append(keys, "login:"+lk)
	for _, k := range keys {
		if err := tx.Delete(BucketLimits, k); err != nil {
			return err
		}
	}
	return nil
}

// ErrUnauthenticated is returned by Authenticate for a missing, unknown, expired or revoked
// token, or a disabled account.
var ErrUnauthenticated = errors.New("unauthenticated")

// Authenticate returns the account and session of a bearer token.
func (s *Service) Authenticate(ctx context.Context, token string) (Account, Session, error) {
	if !strings.HasPrefix(token, "sd_") || len(token) > 100 {
		return Account{}, Session{}, ErrUnauthenticated
	}
	key := tokenKey(token)
	c := s.perms.Load()
	acct, sess, hit := c.session(key, time.Now())
	var err error
	if !hit {
		err = s.Store.View(ctx, func(tx sync.Tx) error {
			if err := sync.GetJSON(tx, BucketSessions, key, &sess); err != nil {
				return err
			}
			return sync.GetJSON(tx, BucketAccounts, sess.AccountID, &acct)
		})
		if err == nil {
			c.fillSession(key)
		}
	}
	if errors.Is(err, sync.ErrNotFound) {
		return Account{}, Session{}, ErrUnauthenticated
	}
	if err != nil {
		return Account{}, Session{}, err
	}
	if sess.Revoked || !s.now().Before(sess.Expires) || acct.Disabled || sess.Created.Before(acct.SessionsAfter) {
		return Account{}, Session{}, ErrUnauthenticated
	}
	return acct, sess, nil
}

// Logout revokes the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.Store.Update(ctx, func(tx sync.Tx) error {
		var sess Session
		if err := sync.GetJSON(tx, BucketSessions, tokenKey(token), &sess); err != nil {
			return err
		}
		sess.Revoked = true
		if err := putSession(tx, tokenKey(token), sess); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: s.now(), Actor: sess.AccountID, Action: "account.logout", Target: sess.AccountID})
	})
}

// Account returns an account by id.
func (s *Service) Account(ctx context.Context, id string) (Account, error) {
	var a Account
	err := s.Store.View(ctx, func(tx sync.Tx) error { return sync.GetJSON(tx, BucketAccounts, id, &a) })
	return a, err
}

// SetAdmin grants or removes the reviewer/admin right of the account with this login. It is
// meant for the server's command line, run by the operator.
func (s *Service) SetAdmin(ctx context.Context, rawLogin string, admin bool) (Account, error) {
	login, ch, err := NormalizeLogin(rawLogin)
	if err != nil {
		return Account{}, err
	}
	var a Account
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		id, err := tx.Get(BucketLogins, loginKey(login, ch))
		if err != nil {
			return fmt.Errorf("no account %s: %w", login, err)
		}
		if err := sync.GetJSON(tx, BucketAccounts, string(id), &a); err != nil {
			return err
		}
		a.Admin = admin
		if err := PutAccount(tx, a); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: s.now(), Actor: "operator", Action: "account.set_admin", Target: a.ID, Detail: fmt.Sprint(admin)})
	})
	return a, err
}

// PurgeLimits deletes the rate-limit and lockout counters that no longer count: untouched for a
// day, not locked and with nothing reserved (every window is a day or shorter). Guesses at
// logins that do not exist would otherwise leave their counters behind for ever. It returns how
// many it deleted.
func (s *Service) PurgeLimits(ctx context.Context) (int, error) {
	n, err := s.purgeCounters(ctx)
	if err != nil {
		return n, err
	}
	now := s.now()
	for _, b := range []struct {
		bucket string
		stale  func([]byte) bool
	}{
		{BucketCodes, func(v []byte) bool {
			var c storedCode
			return jsonUnmarshal(v, &c) == nil && now.After(c.Expires)
		}},
		{BucketDevices, func(v []byte) bool {
			var d trustedDevice
			return jsonUnmarshal(v, &d) == nil && now.After(d.Expires)
		}},
	} {
		m, err := purgeBucket(ctx, s.Store, b.bucket, b.stale)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (s *Service) purgeCounters(ctx context.Context) (int, error) {
	now := s.now()
	stale := func(c counter) bool {
		last := c.WindowStart
		if c.Last.After(last) {
			last = c.Last
		}
		return now.Sub(last) > 24*time.Hour && !now.Before(c.LockedUntil) && len(c.Pending) == 0
	}
	n, after := 0, ""
	for {
		var keys []string
		err := s.Store.View(ctx, func(tx sync.Tx) error {
			keys = nil
			return tx.Scan(BucketLimits, "", after, 500, func(k string, v []byte) error {
				after = k
				var c counter
				if jsonUnmarshal(v, &c) == nil && stale(c) {
					keys = append(keys, k)
				}
				return nil
			})
		})
		if err != nil {
			return n, err
		}
		if len(keys) > 0 {
			err = s.Store.Update(ctx, func(tx sync.Tx) error {
				for _, k := range keys {
					var c counter
					if err := sync.GetJSON(tx, BucketLimits, k, &c); err != nil {
						if errors.Is(err, sync.ErrNotFound) {
							continue
						}
						return err
					}
					if stale(c) {
						if err := tx.Delete(BucketLimits, k); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				return n, err
			}
			n += len(keys)
		}
		var more bool
		if err := s.Store.View(ctx, func(tx sync.Tx) error {
			return tx.Scan(BucketLimits, "", after, 1, func(string, []byte) error { more = true; return nil })
		}); err != nil {
			return n, err
		}
		if !more {
			return n, nil
		}
	}
}
