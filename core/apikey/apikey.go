// Package apikey is the open API's authentication (issue 21, SPEC §5): an enterprise's API keys,
// created and revoked by its admins, and the check of every HMAC-signed request a business
// system makes with one.
//
// # Keys and secrets
//
// A key has an id ("ak_…", sent in the clear with every request), a name, scopes (send, read,
// download) and the admin who created it: the key acts for that admin, who is the sender of the
// envelopes it creates, so a key stops working when its creator leaves the enterprise or loses
// the right to send. The secret is shown once, when the key is created. The store never holds
// it: the secret is HMAC-SHA256(Options.Secret, id | salt) — derived from a server key kept out of
// the store (the master key's subkey) and a per-key random salt — and the record keeps only its
// SHA-256 and the salt. A copy of the database alone therefore cannot sign requests; the server
// derives the secret again to check each request (an HMAC needs the same secret on both sides).
//
// # Signed requests
//
// Every request carries
//
//	X-SealDesk-Key:        the key id
//	X-SealDesk-Timestamp:  Unix seconds when it was signed
//	X-SealDesk-Nonce:      16–64 characters of [A-Za-z0-9_-], never used twice
//	X-SealDesk-Signature:  hex HMAC-SHA256(secret, canonical)
//
// where canonical is the lines METHOD, path?query exactly as sent, the timestamp, the nonce and
// the lower-case hex SHA-256 of the body, joined by "\n" (see Canonical). The server refuses a
// timestamp more than Window away from its clock, then a wrong signature, then a nonce it has
// seen: nonces live in the store (both stores; several server processes share them) under
// BucketNonces until Window after their timestamp, then Purge removes them. Authenticate checks
// and spends the nonce in one transaction; Verify checks in a read-only one and hands the nonce
// to the caller, who spends it (Nonce.Spend) inside its own write — the open API's create thus
// commits the nonce, the files and the envelope at once — and must spend it before answering
// even when it fails. There is no slow hash to cache: a key's secret is one HMAC away.
//
// # What it refuses
//
// Each refusal is a *sync.Refusal with a stable code (see the Code constants): a missing
// header, an unknown or revoked key, a timestamp outside the window, a wrong signature, a
// replayed nonce. Scopes and enterprises are checked by the caller with Key.Allows and the
// envelope's enterprise. It does not authorize what the key's creator may do: the server
// checks that with core/org on every request.
package apikey

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/api"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// Buckets.
const (
	BucketKeys   = "apikeys"       // <key id> → record
	BucketByEnt  = "apikeys_ent"   // <enterprise>/<inverted time>/<key id> → nil
	BucketNonces = "apikey_nonces" // <key id>/<nonce> → expiry (RFC 3339)
)

// Request headers.
const (
	HeaderKey       = "X-SealDesk-Key"
	HeaderTimestamp = "X-SealDesk-Timestamp"
	HeaderNonce     = "X-SealDesk-Nonce"
	HeaderSignature = "X-SealDesk-Signature"
)

// Refusal codes.
const (
	CodeMissing       = "signature_missing"   // 401: a header is missing or malformed
	CodeUnknownKey    = "unknown_key"         // 401
	CodeRevoked       = "key_revoked"         // 401
	CodeExpired       = "timestamp_expired"   // 401: outside the replay window
	CodeBadSignature  = "bad_signature"       // 401
	CodeReplayed      = "nonce_replayed"      // 401
	CodeMissingScope  = "missing_scope"       // 403
	CodeOtherEnt      = "other_enterprise"    // 403: an envelope of another enterprise
	CodeCreatorGone   = "key_creator_gone"    // 403: the creator left or may no longer send
	CodeBadName       = "bad_key_name"        // 400
	CodeBadScope      = "bad_scope"           // 400
	CodeTooManyKeys   = "too_many_keys"       // 409
	CodeAlreadyRevoke = "key_already_revoked" // 409
)

// Limits.
const (
	DefaultWindow = 5 * time.Minute
	MaxName       = 30 // characters of a key's name
	MaxKeys       = 50 // keys of one enterprise, revoked ones included
	MinNonce      = 16 // characters
	MaxNonce      = 64 // characters
	usedEvery     = time.Minute
)

// Options configure a Service.
type Options struct {
	Store sync.Store
	// Secret derives every key's secret (at least 32 bytes; keep it out of the store).
	Secret []byte
	Now    func() time.Time
	// Window is how far a request's timestamp may be from the server's clock (default
	// DefaultWindow).
	Window time.Duration
}

// Service manages keys and checks requests.
type Service struct{ opts Options }

// New makes a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || len(o.Secret) < 32 {
		return nil, errors.New("apikey needs a store and a secret of at least 32 bytes")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	return &Service{opts: o}, nil
}

// Window returns the replay window.
func (s *Service) Window() time.Duration { return s.opts.Window }

type record struct {
	api.APIKey
	Salt []byte `json:"salt"`
	Hash string `json:"hash"` // hex SHA-256 of the secret
}

func refuse(status int, code, msg string) *sync.Refusal { return sync.Refuse(status, code, msg) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Service) secret(id string, salt []byte) string {
	m := hmac.New(sha256.New, s.opts.Secret)
	m.Write([]byte("sealdesk/apikey/v1|" + id + "|"))
	m.Write(salt)
	return "sk_" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func hashHex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func invTime(t time.Time) string { return fmt.Sprintf("%019d", int64(1<<62)-t.UnixNano()) }

// CheckScopes validates and orders a key's scopes.
func CheckScopes(scopes []string) ([]string, error) {
	var out []string
	for _, sc := range api.APIScopes {
		if slices.Contains(scopes, sc) {
			out = append(out, sc)
		}
	}
	for _, sc := range scopes {
		if !slices.Contains(api.APIScopes, sc) {
			return nil, refuse(http.StatusBadRequest, CodeBadScope, fmt.Sprintf("未知的权限范围「%s」：只能是 send、read、download", sc))
		}
	}
	if len(out) == 0 {
		return nil, refuse(http.StatusBadRequest, CodeBadScope, "请至少选择一个权限范围（发起、查询、下载）")
	}
	return out, nil
}

// Create makes a key of enterpriseID acting for creator inside tx and returns it with its
// secret (the only time the secret is seen).
func (s *Service) Create(tx sync.Tx, enterpriseID, creator, creatorName string, req api.APIKeyRequest, now time.Time) (api.APIKeyCreated, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" || utf8.RuneCountInString(name) > MaxName || !utf8.ValidString(name) || strings.ContainsFunc(name, org.Invisible) {
		return api.APIKeyCreated{}, refuse(http.StatusBadRequest, CodeBadName, fmt.Sprintf("密钥名称须为 1–%d 个字符，不能包含控制字符或不可见字符", MaxName))
	}
	scopes, err := CheckScopes(req.Scopes)
	if err != nil {
		return api.APIKeyCreated{}, err
	}
	if err := sync.Claim(tx, "api-keys/"+enterpriseID); err != nil {
		return api.APIKeyCreated{}, err
	}
	n := 0
	if err := tx.Scan(BucketByEnt, enterpriseID+"/", "", MaxKeys+1, func(string, []byte) error { n++; return nil }); err != nil {
		return api.APIKeyCreated{}, err
	}
	if n >= MaxKeys {
		return api.APIKeyCreated{}, refuse(http.StatusConflict, CodeTooManyKeys, fmt.Sprintf("每个企业最多 %d 个 API 密钥（含已吊销的）", MaxKeys))
	}
	rec := record{APIKey: api.APIKey{ID: "ak_" + randomHex(10), EnterpriseID: enterpriseID, Name: name, Scopes: scopes,
		CreatedBy: creator, CreatorName: creatorName, Created: now.UTC()}}
	rec.Salt = make([]byte, 16)
	rand.Read(rec.Salt)
	secret := s.secret(rec.ID, rec.Salt)
	rec.Hash = hashHex(secret)
	rec.SecretHint = "…" + secret[len(secret)-4:]
	if err := sync.InsertJSON(tx, BucketKeys, rec.ID, rec); err != nil {
		return api.APIKeyCreated{}, err
	}
	if err := tx.Put(BucketByEnt, enterpriseID+"/"+invTime(rec.Created)+"/"+rec.ID, nil); err != nil {
		return api.APIKeyCreated{}, err
	}
	return api.APIKeyCreated{Key: rec.APIKey, Secret: secret}, nil
}

// List returns enterpriseID's keys, newest first.
func (s *Service) List(tx sync.Tx, enterpriseID string) ([]api.APIKey, error) {
	out := []api.APIKey{}
	err := tx.Scan(BucketByEnt, enterpriseID+"/", "", 0, func(k string, _ []byte) error {
		id := k[strings.LastIndexByte(k, '/')+1:]
		var rec record
		if err := sync.GetJSON(tx, BucketKeys, id, &rec); err != nil {
			return err
		}
		out = append(out, rec.APIKey)
		return nil
	})
	return out, err
}

// Revoke revokes key id of enterpriseID for good.
func (s *Service) Revoke(tx sync.Tx, enterpriseID, id string, now time.Time) (api.APIKey, error) {
	var rec record
	if sync.CheckKey(id) != nil {
		return api.APIKey{}, refuse(http.StatusNotFound, "not_found", "API 密钥不存在")
	}
	err := sync.GetJSON(tx, BucketKeys, id, &rec)
	if errors.Is(err, sync.ErrNotFound) || err == nil && rec.EnterpriseID != enterpriseID {
		return api.APIKey{}, refuse(http.StatusNotFound, "not_found", "API 密钥不存在")
	}
	if err != nil {
		return api.APIKey{}, err
	}
	if !rec.Revoked.IsZero() {
		return api.APIKey{}, refuse(http.StatusConflict, CodeAlreadyRevoke, "该 API 密钥已吊销")
	}
	rec.Revoked = now.UTC()
	return rec.APIKey, sync.PutJSON(tx, BucketKeys, id, rec)
}

// Canonical is the text a request's signature covers.
func Canonical(method, uri, timestamp, nonce string, bodySHA256 string) string {
	return strings.Join([]string{method, uri, timestamp, nonce, bodySHA256}, "\n")
}

// Sign returns the signature of a request (what an integrator computes; tests use it).
func Sign(secret, method, uri, timestamp, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(Canonical(method, uri, timestamp, nonce, hex.EncodeToString(sum[:]))))
	return hex.EncodeToString(m.Sum(nil))
}

// Request is what a signed request says about itself.
type Request struct {
	KeyID, Timestamp, Nonce, Signature string
	Method, URI                        string
	Body                               []byte
}

// FromHTTP reads the signature headers of r; body is the request's body, read by the caller.
func FromHTTP(r *http.Request, body []byte) Request {
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	return Request{KeyID: r.Header.Get(HeaderKey), Timestamp: r.Header.Get(HeaderTimestamp), Nonce: r.Header.Get(HeaderNonce),
		Signature: r.Header.Get(HeaderSignature), Method: r.Method, URI: uri, Body: body}
}

func validNonce(n string) bool {
	if len(n) < MinNonce || len(n) > MaxNonce {
		return false
	}
	for _, c := range []byte(n) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Authenticate checks a signed request and uses up its nonce, all in one transaction; check
// (may be nil) runs in that transaction too, with the key (the server checks the creator's
// membership there). It returns the key.
func (s *Service) Authenticate(ctx context.Context, rq Request, check func(tx sync.Tx, k api.APIKey) error) (api.APIKey, error) {
	t, sig, err := s.preflight(rq)
	if err != nil {
		return api.APIKey{}, err
	}
	var out api.APIKey
	err = s.opts.Store.Update(ctx, func(tx sync.Tx) error {
		n, err := s.verify(tx, rq, t, sig, check)
		if err != nil {
			return err
		}
		if err := n.Spend(tx); err != nil {
			return err
		}
		out = n.rec.APIKey
		return nil
	})
	return out, err
}

// Verify checks a signed request as Authenticate does, in a read-only transaction, without
// using up its nonce: the caller spends it (Nonce.Spend) in a transaction of its own — the
// open API's create spends it in the transaction that stores the envelope, so a create is one
// read-write transaction — and must spend it whatever happens before answering, or a replay of
// the request would be answered again. A nonce already spent is refused here too.
func (s *Service) Verify(ctx context.Context, rq Request, check func(tx sync.Tx, k api.APIKey) error) (api.APIKey, *Nonce, error) {
	t, sig, err := s.preflight(rq)
	if err != nil {
		return api.APIKey{}, nil, err
	}
	var n *Nonce
	err = s.opts.Store.View(ctx, func(tx sync.Tx) error {
		var err error
		if n, err = s.verify(tx, rq, t, sig, check); err != nil {
			return err
		}
		if _, err := tx.Get(BucketNonces, n.key); err == nil {
			return replayed()
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return api.APIKey{}, nil, err
	}
	return n.rec.APIKey, n, nil
}

// Nonce is the nonce of a verified request, not yet used up.
type Nonce struct {
	rec      record
	key, exp string
	now      time.Time
}

// Spend uses the nonce up inside tx: nonce_replayed when another request spent it first.
func (n *Nonce) Spend(tx sync.Tx) error {
	if err := tx.Insert(BucketNonces, n.key, []byte(n.exp)); errors.Is(err, sync.ErrExists) {
		return replayed()
	} else if err != nil {
		return err
	}
	if n.now.Sub(n.rec.LastUsed) >= usedEvery {
		rec := n.rec
		rec.LastUsed = n.now
		return sync.PutJSON(tx, BucketKeys, rec.ID, rec)
	}
	return nil
}

func replayed() error {
	return refuse(http.StatusUnauthorized, CodeReplayed, "该请求已处理过（随机串重复）：每个请求须使用新的 X-SealDesk-Nonce")
}

// preflight checks what needs no store: the headers' forms and the timestamp's window.
func (s *Service) preflight(rq Request) (time.Time, []byte, error) {
	if rq.KeyID == "" || rq.Timestamp == "" || rq.Nonce == "" || rq.Signature == "" {
		return time.Time{}, nil, refuse(http.StatusUnauthorized, CodeMissing,
			"请求未签名：需要 X-SealDesk-Key、X-SealDesk-Timestamp、X-SealDesk-Nonce 和 X-SealDesk-Signature")
	}
	if !validNonce(rq.Nonce) {
		return time.Time{}, nil, refuse(http.StatusUnauthorized, CodeMissing, fmt.Sprintf("X-SealDesk-Nonce 须为 %d–%d 个字母、数字、- 或 _", MinNonce, MaxNonce))
	}
	sig, err := hex.DecodeString(rq.Signature)
	if err != nil || len(sig) != sha256.Size {
		return time.Time{}, nil, refuse(http.StatusUnauthorized, CodeBadSignature, "签名格式错误：须为 64 位十六进制的 HMAC-SHA256")
	}
	ts, err := strconv.ParseInt(rq.Timestamp, 10, 64)
	if err != nil {
		return time.Time{}, nil, refuse(http.StatusUnauthorized, CodeMissing, "X-SealDesk-Timestamp 须为 Unix 秒数")
	}
	now := s.opts.Now().UTC()
	t := time.Unix(ts, 0)
	if d := now.Sub(t); d > s.opts.Window || d < -s.opts.Window {
		return time.Time{}, nil, refuse(http.StatusUnauthorized, CodeExpired,
			fmt.Sprintf("请求时间戳与服务器时间相差超过 %d 分钟，请校准时钟后重新签名", int(s.opts.Window/time.Minute)))
	}
	return t, sig, nil
}

// verify checks the key, the signature and check inside tx; it returns the request's nonce.
func (s *Service) verify(tx sync.Tx, rq Request, t time.Time, sig []byte, check func(tx sync.Tx, k api.APIKey) error) (*Nonce, error) {
	var rec record
	if sync.CheckKey(rq.KeyID) != nil {
		return nil, refuse(http.StatusUnauthorized, CodeUnknownKey, "API 密钥不存在")
	}
	err := sync.GetJSON(tx, BucketKeys, rq.KeyID, &rec)
	if errors.Is(err, sync.ErrNotFound) {
		return nil, refuse(http.StatusUnauthorized, CodeUnknownKey, "API 密钥不存在")
	}
	if err != nil {
		return nil, err
	}
	if !rec.Revoked.IsZero() {
		return nil, refuse(http.StatusUnauthorized, CodeRevoked, "该 API 密钥已被企业管理员吊销")
	}
	secret := s.secret(rec.ID, rec.Salt)
	if hashHex(secret) != rec.Hash {
		return nil, errors.New("api key secret no longer derives to its hash: the server key changed")
	}
	want, _ := hex.DecodeString(Sign(secret, rq.Method, rq.URI, rq.Timestamp, rq.Nonce, rq.Body))
	if !hmac.Equal(want, sig) {
		return nil, refuse(http.StatusUnauthorized, CodeBadSignature, "签名不正确：请检查密钥和签名内容（方法、路径与查询、时间戳、随机串、请求体 SHA-256）")
	}
	if check != nil {
		if err := check(tx, rec.APIKey); err != nil {
			return nil, err
		}
	}
	return &Nonce{rec: rec, key: rec.ID + "/" + rq.Nonce, exp: t.Add(s.opts.Window).UTC().Format(time.RFC3339),
		now: s.opts.Now().UTC()}, nil
}

// Allows reports whether k has scope.
func Allows(k api.APIKey, scope string) bool { return slices.Contains(k.Scopes, scope) }

// RequireScope refuses a key without scope.
func RequireScope(k api.APIKey, scope string) error {
	if Allows(k, scope) {
		return nil
	}
	return refuse(http.StatusForbidden, CodeMissingScope, fmt.Sprintf("该 API 密钥没有「%s」权限范围", scope))
}

// Purge removes the nonces whose window has passed; it returns how many.
func (s *Service) Purge(ctx context.Context) (int, error) {
	now := s.opts.Now().UTC()
	total := 0
	after := ""
	for {
		var stale []string
		var last string
		n := 0
		err := s.opts.Store.View(ctx, func(tx sync.Tx) error {
			stale, last, n = nil, "", 0
			return tx.Scan(BucketNonces, "", after, 1000, func(k string, v []byte) error {
				n++
				last = k
				if exp, err := time.Parse(time.RFC3339, string(v)); err != nil || now.After(exp) {
					stale = append(stale, k)
				}
				return nil
			})
		})
		if err != nil {
			return total, err
		}
		if len(stale) > 0 {
			if err := s.opts.Store.Update(ctx, func(tx sync.Tx) error {
				for _, k := range stale {
					if err := tx.Delete(BucketNonces, k); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return total, err
			}
			total += len(stale)
		}
		if n < 1000 {
			return total, nil
		}
		after = last
	}
}
