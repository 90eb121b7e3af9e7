// Package server is SealDesk's HTTP backend: accounts and sessions, real-name verification, the
// CA (root and issuing CA, person certificates from CSRs, CRL, OCSP), the RFC 3161 timestamp
// authority, the sync log with long-polling pulls, idempotent commands and the audit log, all
// over one core/sync.Store. The same code runs as cmd/sealdesk-server and inside the desktop app
// on 127.0.0.1 (see Start).
//
// # Conventions
//
// JSON under /api/v1, errors as {"error":{"code":"…","message":"…"}} with Chinese messages;
// request bodies go through a strict, size-limited decoder; every route is declared once in the
// routes table, which also says whether it needs a session (or, for the open API of business
// systems under /api/v1/open, a request signed with an enterprise's API key: open.go and
// core/apikey), and the OpenAPI document served at /api/openapi.json and /api/v1/openapi.json
// (openapi.json with the parts of areas merged in) is checked against that table by a test.
//
// # What it refuses
//
//   - Any non-public route without a valid session (401), admin routes to non-admins (403); an
//     open API route without a valid signature (401: signature_missing, unknown_key, key_revoked,
//     timestamp_expired, bad_signature, nonce_replayed) or with a key lacking the scope or of
//     another enterprise (403).
//   - Certificates for people without an approved real-name verification (with Options.Trial:
//     only self-declared ones, which every verifier shows as 未实名).
//   - The dev verification provider and the /dev/outbox unless Options.Dev is set.
//   - Keeping state in memory that another process needs: several servers may share one
//     PostgreSQL database.
package server

import (
	"context"
	"crypto/x509"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/apikey"
	"sealdesk/core/approval"
	"sealdesk/core/archive"
	"sealdesk/core/billing"
	"sealdesk/core/entseal"
	"sealdesk/core/envelope"
	"sealdesk/core/gate"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/sealkey"
	"sealdesk/core/sync"
	"sealdesk/core/tsa"
	"sealdesk/core/webhook"
	"sealdesk/core/websign"
)

//go:embed openapi.json
var openAPI []byte

// Options configure a Server. Store, MasterKey and BaseURL are required.
type Options struct {
	Store sync.Store
	// MasterKey seals the CA and TSA keys at rest (at least 16 bytes; keep it out of the store).
	MasterKey []byte
	// BaseURL is the URL clients reach this server at (scheme://host:port, no trailing slash);
	// it is written into issued certificates (OCSP, CA issuers, CRL distribution point).
	BaseURL string
	// PKIURL, when set, replaces BaseURL in issued certificates (OCSP, CA issuers, CRL): a plain
	// HTTP address serving only the public PKI routes (see ListenOptions.PKIAddr), because PDF
	// validators (NSS, Adobe) fetch revocation data over HTTP, as RFC 5280 recommends.
	PKIURL string
	// Dev enables the dev real-name provider and the /dev/outbox. WARNING: never in production;
	// it approves every real-name request and exposes one-time codes over HTTP.
	Dev bool
	// Notifier sends one-time codes; nil means none (under Dev: the outbox).
	Notifier notify.Notifier
	// Providers are additional real-name providers (manual is always there, dev under Dev); a
	// name may not repeat. Person certificates of identities approved by a provider whose
	// Verifies is false carry the self-declared identity policy and OU (see pki).
	Providers []org.Provider
	// LegalRep and EnterprisePayments verify enterprises (legal-representative check, corporate
	// micro-deposit); nil: the method is not offered, except under Dev, where the dev ones stand
	// in. WARNING: the dev ones check nothing and show the deposit amount in /dev/outbox.
	LegalRep           org.LegalRepChecker
	EnterprisePayments org.PaymentProvider
	// ScopeAccess decides access to sync scopes other than the caller's own "user:<id>" and the
	// "ent:<id>" scopes of the caller's enterprises (which org.Service.Require decides). Nil
	// refuses them.
	ScopeAccess sync.Authorizer
	// Commands are extra command types (the enterprise domain's), registered next to the
	// platform's own (profile.rename, settings.put) before the server serves.
	Commands map[string]sync.Handler
	// Limits override the rate limits and lockouts (zero fields keep the defaults). Under Dev the
	// per-address limits are lifted unless set here.
	Limits org.Limits
	// Organization names the CA ("SealDesk" by default).
	Organization string
	Logger       *slog.Logger
	Now          func() time.Time
	// PollInterval is how often a long poll re-reads the store for events written by other
	// processes (default 1 s).
	PollInterval time.Duration
	// Uploads bounds the new files one account uploads a day through PUT /api/v1/blobs (zero
	// fields: envelope.DefaultUploadFiles and DefaultUploadBytes; negative: no bound); over it
	// 429 upload_quota.
	Uploads envelope.UploadBudget
	// ArchiveExports bounds the 档案柜 ZIP exports written at once (nil: DefaultArchiveExports at
	// once, a few more waiting up to 2 s); over it an export answers 503 with Retry-After.
	ArchiveExports *gate.Gate
	// PollsPerAccount bounds the long polls one account keeps waiting at once in this process
	// (0: DefaultPollsPerAccount; < 0: no bound); over it a poll is refused with 429
	// too_many_polls and Retry-After.
	PollsPerAccount int
	// CertificatesPerPeriod and CertificatePeriod bound the person certificates one account may
	// have issued (revoked ones included); zero means DefaultCertificatesPerPeriod per
	// DefaultCertificatePeriod.
	CertificatesPerPeriod int
	CertificatePeriod     time.Duration
	// Hashes bounds concurrent password hashes (Argon2id, 19 MiB each); nil: sized from the
	// process's memory. Over it, register and login answer 503 with Retry-After.
	Hashes *gate.Gate
	// AuthWork bounds the unauthenticated account calls (send a code, register, log in) served
	// at once (taken after the small body was read under AuthBodyTimeout, before the store is
	// touched), so a flood of them cannot take every
	// store connection and CPU from signed-in users and /healthz (nil: 2×GOMAXPROCS at once,
	// 16×GOMAXPROCS waiting up to 250 ms). Over it they answer 503 with Retry-After.
	AuthWork *gate.Gate
	// AuthPerAddress caps the unauthenticated account calls of one address in flight at once,
	// body read included, so one address cannot hold every AuthWork slot (0: half of AuthWork's
	// slots, at least 2). Over it they answer 503 with Retry-After, which clients retry.
	AuthPerAddress int
	// PKIRate and PKIBurst limit the TSA and the OCSP requests of one address (each its own token
	// bucket): PKIBurst at once, then PKIRate per second; over it they answer 429 with
	// Retry-After. Zero: DefaultPKIRate and DefaultPKIBurst; PKIRate < 0: no limit (the desktop's
	// embedded backend, whose only client is its own desktop on 127.0.0.1).
	PKIRate  float64
	PKIBurst int
	// OpenBodyBudget bounds the bytes of open-API request bodies held at once (0:
	// DefaultOpenBodyBudget); over it a request answers 503 with Retry-After.
	OpenBodyBudget int64
	// WebRate and WebBurst limit the requests of one address to the browser signing routes
	// (/s/… and /p/…; one token bucket per address for both): WebBurst at once, then WebRate
	// per second; over it they answer 429 with Retry-After. Zero: DefaultWebRate and
	// DefaultWebBurst; WebRate < 0: no limit.
	WebRate  float64
	WebBurst int
	// BillingPackages are the 费用中心 packages on sale (nil: billing.DefaultPackages).
	BillingPackages []billing.Package
	// PaymentProviders are the payment platforms orders are paid through; the dev provider is
	// added under Dev (WARNING: it credits quota without payment). A name may not repeat.
	PaymentProviders []billing.Provider
	// InvoiceIssuer is the tax platform that issues e-invoices; nil: receipts only.
	InvoiceIssuer billing.InvoiceIssuer
	// PKIWork bounds concurrent timestamp and OCSP signatures and CSR checks (nil: 2×GOMAXPROCS
	// at once, a few more waiting). Over it they answer 503 with Retry-After.
	PKIWork *gate.Gate
	// ContractQuota replaces how contracts reserve, charge and release quota (zero: the
	// billing domain's ReserveDocs/Charge/Release).
	ContractQuota envelope.Quota
	// ContractsUnbilled sends contracts without touching any quota. WARNING: only for a
	// desktop's embedded single-user backend; a shared server must bill.
	ContractsUnbilled bool
	// UpdatesDir is the folder of desktop updates IT publishes (issue 20): <GOOS>-<GOARCH>.json
	// signed manifests (sealctl release sign) and the files they name, served as they are to
	// anyone (the desktop checks the release signature). "": the update routes answer 404.
	UpdatesDir string
	// ContractPermit replaces the check that an account may send contracts for an enterprise
	// (nil: org.Service.Require with org.PermSendContracts).
	ContractPermit func(tx sync.Tx, enterpriseID, accountID string) error
	// ContractSigner may accept a signature in a contract that is not by a certificate issued to
	// the recipient (a company recipient's seal; the seals domain).
	ContractSigner func(tx sync.Tx, env api.Envelope, recipient int, accountID, serial string) (bool, error)
	// Webhooks tune the integrator webhook dispatcher (core/webhook); Store, Key, Now and Logger
	// are the server's own. Webhooks.AllowPrivate (WARNING: lets enterprise admins make the
	// server call into its own network) is also on under Dev.
	Webhooks webhook.Options
	// Require, when set, replaces org.Service.Require in the routes of core/webhook (tests of
	// those routes without an enterprise domain); it returns a 403 *sync.Refusal to refuse.
	Require func(tx sync.Tx, enterpriseID, accountID string, p org.Permission) error
	// Appeals are the checks of a main-admin appeal (legal representative, micro-deposit, the
	// contract it started from); under Dev the missing ones are the dev providers.
	Appeals AppealProviders
	// Handovers are the kinds of item 一键转交 moves (contracts, templates, seals, archive), each
	// registered by its area.
	Handovers []org.HandoverKind

	// SealDirectory gives the enterprise seals membership, permissions and departments; nil:
	// core/org's enterprises (tests may plug in another).
	SealDirectory entseal.Directory
	// SealVault keeps the seal keys; nil: the software vault, sealed under MasterKey. A
	// PKCS #11 token: core/sealkey/pkcs11key (needs a cgo build).
	SealVault sealkey.Vault
	// SealLimits bound the one-time signing codes (zero fields: entseal's defaults).
	SealLimits entseal.Limits
	// SealSignRate and SealSignBurst limit remote signatures per person (a token bucket;
	// per seal: at least DefaultSealSignRatePerSeal/DefaultSealSignBurstSeal). Zero: the
	// defaults; SealSignRate < 0: no limit.
	SealSignRate  float64
	SealSignBurst int

	// Trial is 暂不实名，立即体验: a personal quota for new accounts (zero: none), and person
	// certificates for accounts without real-name verification, marked self-declared (OU 自证身份
	// and pki.OIDSelfDeclaredIdentity), so verifiers show 未实名.
	Trial TrialOptions
	// Terms are the 服务条款 / 隐私政策 versions registrations accept (zero: org.DefaultTerms).
	Terms org.Terms
	// ConsentOptional lets a registration name no 服务条款/隐私政策 versions. WARNING: only for the
	// desktop's embedded 单机模式 backend (its local account is made by the program); a server
	// people register with leaves it false, and registrations without consent are refused.
	ConsentOptional bool
}

// Server is the backend. Create it with New; serve Handler().
type Server struct {
	opts      Options
	org       *org.Service
	ca        *authority
	tsa       *tsa.Authority
	proc      *sync.Processor
	hub       *sync.Hub
	pkiGate   *gate.Gate // TSA and OCSP signatures, CSR parsing
	authGate  *gate.Gate // unauthenticated account calls: codes, register, login
	authAddrs *perAddr
	tsaRate   *rateLimit // nil: no limit
	ocspRate  *rateLimit // the same calls in flight per address
	outbox    *notify.Outbox
	env       *envelope.Service
	hooks     *webhook.Service
	hooksDone chan struct{}
	admin     *org.AdminChanges
	log       *slog.Logger
	routes    []route
	handler   http.Handler
	stop      context.CancelFunc

	keys  *apikey.Service
	web   *websign.Service // browser signing page, event certificates, phone pads (issue 21)
	pages *websign.Pages

	billing                    *billing.Service
	seals                      *entseal.Service
	sealUserRate, sealSealRate *rateLimit
	webRate                    *rateLimit  // the signing pages, per address
	openBodies                 *bodyBudget // open-API bodies held at once

	approvals *approval.Service // 审批管理 (issue 22)
	archive   *archive.Service  // 档案柜 (issue 22)

	polls polls // waiting long polls per account
}

// access levels of routes.
type access int

const (
	public access = iota
	user
	admin
	// integrator routes take no session: the request is signed with an enterprise's API key
	// (core/apikey; the open API of open.go).
	integrator
)

type route struct {
	method, pattern string
	access          access
	handle          func(w http.ResponseWriter, r *http.Request, c *call) error
}

// call is the per-request context of an authenticated route.
type call struct {
	account org.Account
	token   string
	key     *api.APIKey // integrator routes: the key that signed the request
	// nonce is the request's nonce when the handler spends it (spendsNonce routes); spent
	// says that the handler's transaction committed with it.
	nonce *apikey.Nonce
	spent bool
}

func (c *call) actor() sync.Actor { return sync.Actor{ID: c.account.ID, Admin: c.account.Admin} }

// New builds the server: it loads (or on first start creates) the CA in the store.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("server needs a store")
	}
	if len(opts.MasterKey) < MinMasterKeyLen {
		return nil, fmt.Errorf("server needs a master key of at least %d bytes", MinMasterKeyLen)
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if !strings.HasPrefix(opts.BaseURL, "http://") && !strings.HasPrefix(opts.BaseURL, "https://") {
		return nil, fmt.Errorf("base url %q must start with http:// or https://", opts.BaseURL)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Second
	}
	s := &Server{opts: opts, hub: sync.NewHub(), log: opts.Logger, pkiGate: opts.PKIWork}
	s.polls.max = opts.PollsPerAccount
	if s.polls.max == 0 {
		s.polls.max = DefaultPollsPerAccount
	}
	if s.pkiGate == nil {
		s.pkiGate = gate.New(&gate.Options{Slots: 2 * runtime.GOMAXPROCS(0)})
	}
	s.authGate = opts.AuthWork
	if s.authGate == nil {
		s.authGate = gate.New(&gate.Options{Slots: 2 * runtime.GOMAXPROCS(0), Queue: 16 * runtime.GOMAXPROCS(0), Wait: 250 * time.Millisecond})
	}
	if opts.PKIRate >= 0 {
		rate, burst := opts.PKIRate, opts.PKIBurst
		if rate == 0 {
			rate = DefaultPKIRate
		}
		if burst <= 0 {
			burst = DefaultPKIBurst
		}
		s.tsaRate, s.ocspRate = newRateLimit(rate, burst), newRateLimit(rate, burst)
	}
	s.openBodies = &bodyBudget{max: opts.OpenBodyBudget}
	if s.openBodies.max <= 0 {
		s.openBodies.max = DefaultOpenBodyBudget
	}
	if opts.WebRate >= 0 {
		rate, burst := opts.WebRate, opts.WebBurst
		if rate == 0 {
			rate = DefaultWebRate
		}
		if burst <= 0 {
			burst = DefaultWebBurst
		}
		s.webRate = newRateLimit(rate, burst)
	}
	if n := opts.AuthPerAddress; n > 0 {
		s.authAddrs = newPerAddr(n)
	} else {
		s.authAddrs = newPerAddr(max(2, s.authGate.Slots()/2))
	}
	ca, err := loadAuthority(ctx, opts.Store, opts.MasterKey, opts.Organization, opts.Now)
	if err != nil {
		return nil, err
	}
	ca.baseURL = opts.BaseURL
	if opts.PKIURL != "" {
		ca.baseURL = strings.TrimRight(opts.PKIURL, "/")
	}
	s.ca = ca
	s.tsa, err = tsa.New(tsa.Options{Cert: ca.tsaCert, Key: ca.tsaKey, Chain: []*x509.Certificate{ca.issuing, ca.root},
		Now: opts.Now, NextSerial: ca.nextTSASerial})
	if err != nil {
		return nil, fmt.Errorf("failed to start the timestamp authority: %w", err)
	}
	secret, err := ca.keys.subkey("otp-hmac")
	if err != nil {
		return nil, err
	}
	notifier := opts.Notifier
	if opts.Dev {
		s.outbox = notify.NewOutbox(200)
		if notifier == nil {
			notifier = &notify.Router{Email: s.outbox, SMS: s.outbox}
		}
	}
	providers := map[string]org.Provider{"manual": org.Manual{}}
	if opts.Dev {
		providers["dev"] = org.Dev{}
	}
	for _, p := range opts.Providers {
		if _, dup := providers[p.Name()]; dup {
			return nil, fmt.Errorf("real-name provider %q is registered twice", p.Name())
		}
		providers[p.Name()] = p
	}
	s.org = &org.Service{Store: opts.Store, Notifier: notifier, Hub: s.hub, Now: opts.Now, Secret: secret, Providers: providers, Limits: opts.Limits,
		Hashes: opts.Hashes}
	s.org.InviteURL = s.inviteURL
	s.org.Terms = opts.Terms
	s.org.ConsentOptional = opts.ConsentOptional
	s.setupAccounts()
	s.org.LegalRep, s.org.Payments = opts.LegalRep, opts.EnterprisePayments
	if opts.Dev {
		if s.org.LegalRep == nil {
			s.org.LegalRep = org.DevLegalRep{}
		}
		if s.org.Payments == nil {
			s.org.Payments = org.DevPayment{Notifier: s.outbox}
		}
	}
	if opts.Dev && opts.Limits.IPAttempts == 0 && opts.Limits.IPCodesPerHour == 0 {
		// Development servers take every client from one address (tests, load runs); the
		// per-login limits and lockouts stay as they are.
		s.org.Limits.IPAttempts, s.org.Limits.IPCodesPerHour = -1, -1
	}
	shared, err := s.org.IndexIDNumbers(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to index resident id numbers: %w", err)
	}
	if len(shared) > 0 {
		s.log.Warn("accounts verified with an id number another account already uses; review them", "accounts", shared)
	}
	if err := s.setupBilling(); err != nil {
		return nil, err
	}
	if err := s.newEnvelopes(ctx); err != nil {
		return nil, err
	}
	s.env.Events = s.envelopeEvent
	if err := s.newAPIKeys(); err != nil {
		return nil, err
	}
	s.proc = &sync.Processor{Store: opts.Store, Hub: s.hub, Now: opts.Now, Authorize: s.authorizeScope}
	s.registerCommands()
	for typ, h := range opts.Commands {
		s.proc.Register(typ, h)
	}
	if err := s.newWebhooks(); err != nil {
		return nil, err
	}
	s.newAdminChanges()
	if err := s.setupSeals(); err != nil {
		return nil, err
	}
	s.setupApprovals()
	if err := s.setupWebSign(); err != nil {
		return nil, err
	}
	s.setupArchive()
	s.routes = s.routeTable()
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.pattern, s.wrap(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// The path may exist with another method: answer 405 with Allow, in JSON.
		var allow []string
		for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, sync.Refuse(http.StatusMethodNotAllowed, "method_not_allowed", "该接口不支持此请求方法，请使用 "+strings.Join(allow, "、")))
			return
		}
		writeError(w, sync.Refuse(http.StatusNotFound, "not_found", "接口不存在"))
	})
	s.handler = keepOCSPSlashes(mux)
	watchCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go s.contractJanitor(watchCtx, ContractJanitorInterval)
	if f, ok := opts.Store.(sync.ChangeFeed); ok {
		// One listening connection: changes of other processes empty this process's permission
		// cache (org.RunPermCache) and wake its long polls at once.
		go s.org.RunPermCache(watchCtx, f, 0, func(scope string) { s.hub.Notify(scope) })
	} else if w, ok := opts.Store.(sync.Watcher); ok {
		// Events committed by other server processes wake this process's long polls at once.
		go w.Watch(watchCtx, func(scope string) { s.hub.Notify(scope) })
	}
	go s.janitor(watchCtx)
	go s.archiveJanitor(watchCtx)
	s.hooksDone = make(chan struct{})
	go func() {
		defer close(s.hooksDone)
		s.hooks.Run(watchCtx)
	}()
	return s, nil
}

// janitor expires abandoned real-name uploads and purges stale rate-limit counters and the
// open API's used nonces at start and then hourly.
func (s *Server) janitor(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := s.org.ExpireAbandoned(ctx, org.AbandonedUploadTTL); err != nil && ctx.Err() == nil {
			s.log.Error("expire abandoned uploads", "err", err)
		} else if n > 0 {
			s.log.Info("expired abandoned real-name uploads", "verifications", n)
		}
		if n, err := s.keys.Purge(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("purge api nonces", "err", err)
		} else if n > 0 {
			s.log.Info("purged used api nonces", "nonces", n)
		}
		if n, err := s.org.PurgeLimits(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("purge rate-limit counters", "err", err)
		} else if n > 0 {
			s.log.Info("purged stale rate-limit counters", "counters", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops the server's background work (not the store, which the caller owns) and waits
// until the webhook attempts in flight are recorded.
func (s *Server) Close() {
	s.stop()
	if s.hooksDone != nil {
		<-s.hooksDone
	}
	if s.pages != nil {
		s.pages.Close()
	}
}

// Handler returns the HTTP handler of every route.
func (s *Server) Handler() http.Handler { return s.handler }

// pkiPatterns are the public PKI routes, also served on the plain-HTTP PKI listener.
var pkiPatterns = map[string]bool{"/ca/root.pem": true, "/ca/issuing.crt": true, "/ca/crl": true,
	"/ocsp/{request...}": true, "/ocsp": true, "/tsa": true}

// PKIHandler serves only the public PKI routes (root and issuing certificates, CRL, OCSP, TSA),
// for a plain-HTTP listener that certificates point at.
func (s *Server) PKIHandler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		if pkiPatterns[rt.pattern] && rt.access == public {
			mux.Handle(rt.method+" "+rt.pattern, s.wrap(rt))
		}
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, sync.Refuse(http.StatusNotFound, "not_found", "此地址只提供证书、吊销信息和时间戳服务"))
	})
	return keepOCSPSlashes(mux)
}

// keepOCSPSlashes lets an OCSP GET whose base64 request holds "/" (or "//") reach the OCSP
// handler intact: RFC 6960 A.1 asks clients to URL-encode the base64, but many do not, and the
// mux would clean "//" away with a redirect, so the request could no longer be decoded.
func keepOCSPSlashes(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/ocsp/"); ok && strings.Contains(rest, "/") {
				if raw, err := url.PathUnescape(rest); err == nil {
					r = r.Clone(r.Context())
					r.URL.Path = "/ocsp/" + raw
					r.URL.RawPath = "/ocsp/" + url.PathEscape(raw)
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// Processor returns the command processor (to apply commands in-process, e.g. from tests); add
// command types through Options.Commands.
func (s *Server) Processor() *sync.Processor { return s.proc }

// Org returns the account service.
func (s *Server) Org() *org.Service { return s.org }

// ProviderNames returns the names of the real-name providers this server offers, sorted.
func (s *Server) ProviderNames() []string {
	names := make([]string, 0, len(s.org.Providers))
	for n := range s.org.Providers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// identityVerified reports whether rn was approved by a provider that verifies identities. A
// provider this server no longer offers counts as not verifying: its approvals cannot be vouched
// for.
func (s *Server) identityVerified(rn *org.RealName) bool {
	p, ok := s.org.Providers[rn.Provider]
	return ok && p.Verifies()
}

// Outbox returns the dev outbox (nil unless Options.Dev).
func (s *Server) Outbox() *notify.Outbox { return s.outbox }

func (s *Server) routeTable() []route {
	rs := []route{
		{"GET", "/healthz", public, s.handleHealth},
		{"GET", "/api/v1/openapi.json", public, s.handleOpenAPI},
		{"POST", "/api/v1/auth/codes", public, s.handleSendCode},
		{"POST", "/api/v1/auth/register", public, s.handleRegister},
		{"POST", "/api/v1/auth/login", public, s.handleLogin},
		{"POST", "/api/v1/auth/logout", user, s.handleLogout},
		{"GET", "/api/v1/me", user, s.handleMe},
		{"POST", "/api/v1/realname", user, s.handleRealNameSubmit},
		{"GET", "/api/v1/realname", user, s.handleRealNameGet},
		{"PUT", "/api/v1/realname/{id}/photos/{side}", user, s.handleRealNamePhoto},
		{"POST", "/api/v1/certificates", user, s.handleIssueCertificate},
		{"GET", "/api/v1/certificates", user, s.handleListCertificates},
		{"POST", "/api/v1/certificates/{serial}/revoke", user, s.handleRevokeOwnCertificate},
		{"GET", "/api/v1/sync", user, s.handleSync},
		{"POST", "/api/v1/commands", user, s.handleCommand},
		{"GET", "/api/v1/admin/reviews", admin, s.handleReviews},
		{"GET", "/api/v1/admin/reviews/{id}", admin, s.handleReview},
		{"GET", "/api/v1/admin/reviews/{id}/photos/{side}", admin, s.handleReviewPhoto},
		{"POST", "/api/v1/admin/reviews/{id}/approve", admin, s.handleApprove},
		{"POST", "/api/v1/admin/reviews/{id}/reject", admin, s.handleReject},
		{"POST", "/api/v1/admin/certificates/{serial}/revoke", admin, s.handleAdminRevoke},
		{"GET", "/api/v1/admin/audit", admin, s.handleAudit},
		// Enterprises (branch ent): every route checks membership and permission with
		// org.Service.Require; see permmatrix_test.go.
		{"POST", "/api/v1/enterprises", user, s.handleCreateEnterprise},
		{"GET", "/api/v1/enterprises", user, s.handleMyEnterprises},
		{"GET", "/api/v1/enterprises/{id}", user, s.handleEnterprise},
		{"GET", "/api/v1/enterprises/{id}/members", user, s.handleMembers},
		{"POST", "/api/v1/enterprises/{id}/members", user, s.handleAddMember},
		{"PUT", "/api/v1/enterprises/{id}/members/{account}", user, s.handleUpdateMember},
		{"DELETE", "/api/v1/enterprises/{id}/members/{account}", user, s.handleRemoveMember},
		{"POST", "/api/v1/enterprises/{id}/members/{account}/disable", user, s.handleDisableMember},
		{"POST", "/api/v1/enterprises/{id}/members/{account}/enable", user, s.handleEnableMember},
		{"GET", "/api/v1/enterprises/{id}/invite", user, s.handleInviteLink},
		{"PUT", "/api/v1/enterprises/{id}/invite", user, s.handleInviteSwitch},
		{"POST", "/api/v1/enterprises/{id}/invite/rotate", user, s.handleInviteRotate},
		{"GET", "/api/v1/enterprises/{id}/invite/qr.png", user, s.handleInviteQR},
		{"GET", "/api/v1/enterprises/{id}/join-requests", user, s.handleJoinRequests},
		{"POST", "/api/v1/enterprises/{id}/join-requests/{account}/approve", user, s.handleApproveJoin},
		{"POST", "/api/v1/enterprises/{id}/join-requests/{account}/reject", user, s.handleRejectJoin},
		{"GET", "/api/v1/enterprises/{id}/roles", user, s.handleRoles},
		{"POST", "/api/v1/enterprises/{id}/roles", user, s.handleCreateRole},
		{"PUT", "/api/v1/enterprises/{id}/roles/{role}", user, s.handleUpdateRole},
		{"DELETE", "/api/v1/enterprises/{id}/roles/{role}", user, s.handleDeleteRole},
		{"GET", "/api/v1/enterprises/{id}/departments", user, s.handleDepartments},
		{"POST", "/api/v1/enterprises/{id}/departments", user, s.handleCreateDepartment},
		{"PUT", "/api/v1/enterprises/{id}/departments/{dept}", user, s.handleUpdateDepartment},
		{"DELETE", "/api/v1/enterprises/{id}/departments/{dept}", user, s.handleDeleteDepartment},
		{"POST", "/api/v1/enterprises/{id}/verification", user, s.handleStartVerification},
		{"GET", "/api/v1/enterprises/{id}/verification", user, s.handleEnterpriseVerification},
		{"POST", "/api/v1/enterprises/{id}/verification/deposit", user, s.handleConfirmDeposit},
		{"PUT", "/api/v1/enterprises/{id}/verification/uploads/{kind}", user, s.handleVerificationUpload},
		{"GET", "/api/v1/admin/enterprise-reviews", admin, s.handleEnterpriseReviews},
		{"GET", "/api/v1/admin/enterprise-reviews/{id}", admin, s.handleEnterpriseReview},
		{"GET", "/api/v1/admin/enterprise-reviews/{id}/uploads/{kind}", admin, s.handleEnterpriseReviewUpload},
		{"POST", "/api/v1/admin/enterprise-reviews/{id}/approve", admin, s.handleEnterpriseApprove},
		{"POST", "/api/v1/admin/enterprise-reviews/{id}/reject", admin, s.handleEnterpriseReject},
		{"GET", "/api/v1/enterprises/{id}/audit", user, s.handleEnterpriseAudit},
		{"GET", "/api/v1/enterprises/{id}/audit.csv", user, s.handleEnterpriseAuditCSV},
		{"GET", "/api/v1/invites/{token}", user, s.handleInvitation},
		{"POST", "/api/v1/invites/{token}/join", user, s.handleJoin},
		{"GET", "/join/{token}", public, s.handleJoinPage},
		{"GET", "/ca/root.pem", public, s.handleRootPEM},
		{"GET", "/ca/issuing.crt", public, s.handleIssuingCert},
		{"GET", "/ca/crl", public, s.handleCRL},
		{"GET", "/ocsp/{request...}", public, s.handleOCSPGet},
		{"POST", "/ocsp", public, s.handleOCSPPost},
		{"POST", "/tsa", public, s.handleTSA},

		// Contracts (core/envelope; issue 17).
		{"PUT", "/api/v1/blobs", user, s.handleBlobPut},
		{"POST", "/api/v1/envelopes", user, s.handleEnvelopeSend},
		{"GET", "/api/v1/envelopes", user, s.handleEnvelopeList},
		{"GET", "/api/v1/envelopes/counts", user, s.handleEnvelopeCounts},
		{"GET", "/api/v1/envelopes/quick-counts", user, s.handleQuickCounts}, // 首页's 快捷入口 (issue 22)
		{"GET", "/api/v1/envelopes/{id}", user, s.handleEnvelopeGet},
		{"PUT", "/api/v1/envelopes/{id}", user, s.handleDraftUpdate},
		{"POST", "/api/v1/envelopes/{id}/send", user, s.handleDraftSend},
		{"POST", "/api/v1/envelopes/{id}/delete", user, s.handleDraftDelete},
		{"GET", "/api/v1/envelopes/{id}/documents/{n}", user, s.handleEnvelopeDocument},
		{"POST", "/api/v1/envelopes/{id}/documents/{n}/revisions", user, s.handleRevision},
		{"POST", "/api/v1/envelopes/{id}/decline", user, s.handleDecline},
		{"POST", "/api/v1/envelopes/{id}/withdraw", user, s.handleWithdraw},
		{"POST", "/api/v1/envelopes/{id}/remind", user, s.handleRemind},
		{"GET", "/api/v1/envelopes/{id}/report", user, s.handleReport},
		{"POST", "/api/v1/templates", user, s.handleTemplateSave},
		{"GET", "/api/v1/templates", user, s.handleTemplates},
		{"POST", "/api/v1/templates/{id}/delete", user, s.handleTemplateDelete},
		// 查看企业全部合同 (issue 17): every contract the enterprise sent, to members with the permission.
		{"GET", "/api/v1/enterprises/{id}/envelopes", user, s.handleEnterpriseEnvelopes},
		// Templates synced to the account's other computers fetch their files (issue 17).
		{"GET", "/api/v1/blobs/{sha256}", user, s.handleBlobGet},
		{"GET", "/api/v1/contacts", user, s.handleContacts},
		{"GET", "/v/{token}", public, s.handleVerifyPage},
	}
	// 费用中心 (billing, issue 18): packages, balance, 费用明细, orders and payment notifications,
	// invoices and their receipts.
	rs = append(rs,
		route{"GET", "/api/v1/billing/packages", user, s.handleBillingPackages},
		route{"GET", "/api/v1/billing/balance", user, s.handleBillingBalance},
		route{"GET", "/api/v1/billing/ledger", user, s.handleBillingLedger},
		route{"POST", "/api/v1/billing/orders", user, s.handleBillingOrder},
		route{"GET", "/api/v1/billing/orders", user, s.handleBillingOrders},
		route{"GET", "/api/v1/billing/orders/{id}", user, s.handleBillingOrderGet},
		route{"POST", "/api/v1/billing/notify/{provider}", public, s.handleBillingNotify},
		route{"POST", "/api/v1/billing/invoices", user, s.handleBillingInvoice},
		route{"GET", "/api/v1/billing/invoices", user, s.handleBillingInvoices},
		route{"GET", "/api/v1/billing/invoices/{id}/receipt", user, s.handleBillingReceipt},
	)
	// Integrator webhooks (area: admin — core/webhook).
	rs = append(rs, s.webhookRoutes()...)
	// The main-admin change and 一键转交 (area: admin — core/org/admin.go).
	rs = append(rs, s.adminChangeRoutes()...)
	// Enterprise seals (issue 16).
	rs = append(rs, s.sealRoutes()...)
	// Desktop self-update (issue 20, area: update — updates.go): public, signed manifests.
	rs = append(rs, s.updateRoutes()...)
	// 审批管理 (issue 22, area approve).
	rs = append(rs, s.approvalRoutes()...)
	// Open API for business systems (issue 21, area api): API keys in 企业, HMAC-signed
	// /api/v1/open routes, the OpenAPI document at /api/openapi.json too.
	rs = append(rs, s.apiKeyRoutes()...)
	rs = append(rs, route{"GET", "/api/openapi.json", public, s.handleOpenAPI})
	// Parties without SealDesk (issue 21, area: web — core/websign): the signing page behind
	// the SMS/e-mail link, its calls, and the phone pad (扫码生成).
	rs = append(rs, s.webSignRoutes()...)
	// 档案柜 (issue 22, area approve).
	rs = append(rs, s.archiveRoutes()...)
	// Accounts (忘记密码, 修改登录密码, 二次校验), 企业控制台 and the monthly report (area: acct, issue 22).
	rs = append(rs, s.accountRoutes()...)
	if s.opts.Dev {
		rs = append(rs, route{"GET", "/dev/outbox", public, s.handleOutbox})
	}
	return rs
}

// wrap adds authentication, panic recovery, logging and error mapping to a route.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		if r.TLS != nil {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		c := &call{}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic in handler", "route", rt.pattern, "panic", p, "stack", string(debug.Stack()))
				writeError(w, sync.Refuse(http.StatusInternalServerError, "internal", "服务器内部错误"))
			}
		}()
		if rt.access == integrator {
			body, release, err := s.readSigned(w, r, rt)
			if err == nil {
				defer release()
				var k api.APIKey
				if spendsNonce[rt.method+" "+rt.pattern] {
					// The handler spends the nonce in its own transaction; if it fails before
					// that commits, the nonce is spent here, before the answer.
					k, c.account, c.nonce, err = s.verifyKey(r, body)
					defer s.spendNonce(r, c) // a panic
				} else {
					k, c.account, err = s.authenticateKey(r, body)
				}
				c.key = &k
			}
			if err != nil {
				var ref *sync.Refusal
				switch {
				case errors.As(err, &ref):
					writeError(w, ref)
				case r.Context().Err() != nil:
				default:
					s.log.Error("authenticate api key", "err", err)
					w.Header().Set("Retry-After", "2")
					writeError(w, sync.Refuse(http.StatusServiceUnavailable, "unavailable", "服务暂时不可用，请稍后重试"))
				}
				return
			}
		} else if rt.access != public {
			token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				writeError(w, sync.Refuse(http.StatusUnauthorized, "unauthenticated", "请先登录"))
				return
			}
			acct, _, err := s.org.Authenticate(r.Context(), strings.TrimSpace(token))
			switch {
			case errors.Is(err, org.ErrUnauthenticated):
				writeError(w, sync.Refuse(http.StatusUnauthorized, "unauthenticated", "登录已失效，请重新登录"))
				return
			case r.Context().Err() != nil:
				return
			case err != nil:
				// The store failed, not the session: the client keeps its token and retries.
				s.log.Error("authenticate", "err", err)
				w.Header().Set("Retry-After", "2")
				writeError(w, sync.Refuse(http.StatusServiceUnavailable, "unavailable", "服务暂时不可用，请稍后重试"))
				return
			}
			if rt.access == admin && !acct.Admin {
				writeError(w, sync.Refuse(http.StatusForbidden, "forbidden", "需要管理员权限"))
				return
			}
			c.account, c.token = acct, strings.TrimSpace(token)
		}
		err := rt.handle(w, r, c)
		s.spendNonce(r, c)
		if err != nil {
			var ref *sync.Refusal
			switch {
			case errors.As(err, &ref):
			case errors.Is(err, sync.ErrNotFound):
				ref = sync.Refuse(http.StatusNotFound, "not_found", "资源不存在")
			case errors.Is(err, context.Canceled):
				return
			case errors.Is(err, gate.ErrBusy):
				// Nothing was done: a retry after the pause is safe. An unauthenticated caller
				// gets the answer only after a pause (a sleeping request costs no CPU), so a
				// client that retries at once — a flood — cannot turn fast refusals into a
				// stream that takes the CPU from everyone else.
				if rt.access == public {
					pause(r.Context(), BusyPause+time.Duration(mrand.Int64N(int64(BusyPause/2))))
				}
				w.Header().Set("Retry-After", "1")
				ref = sync.Refuse(http.StatusServiceUnavailable, "busy", "服务器繁忙，请稍后重试")
			default:
				s.log.Error("request failed", "method", r.Method, "route", rt.pattern, "err", err)
				ref = sync.Refuse(http.StatusInternalServerError, "internal", "服务器内部错误")
			}
			writeError(w, ref)
		}
		s.log.Debug("request", "method", r.Method, "route", rt.pattern, "account", c.account.ID, "ms", time.Since(start).Milliseconds())
	})
}

// ContractJanitorInterval is how often overdue contracts are expired and interrupted
// completions finished.
const ContractJanitorInterval = 30 * time.Second

// BusyPause is how long an unauthenticated request turned away as busy waits before its 503
// (plus up to half as much again, at random).
const BusyPause = 500 * time.Millisecond

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func writeError(w http.ResponseWriter, ref *sync.Refusal) {
	var b api.ErrorBody
	b.Error.Code, b.Error.Message = ref.Code, ref.Message
	writeJSON(w, ref.Status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"服务器内部错误"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authorizeScope lets a person use their own scope and the scopes of the enterprises they are an
// enabled member of; other scopes go to Options.ScopeAccess.
func (s *Server) authorizeScope(tx sync.Tx, a sync.Actor, scope string) error {
	if scope == org.Scope(a.ID) {
		return nil
	}
	if id, ok := org.EnterpriseIDOfScope(scope); ok {
		// An enterprise's scope: its enabled members only (a disabled or removed member is
		// refused at once).
		_, err := s.org.Require(tx, id, a.ID, "")
		return err
	}
	if s.opts.ScopeAccess != nil {
		return s.opts.ScopeAccess(tx, a, scope)
	}
	return sync.Refuse(http.StatusForbidden, "forbidden_scope", "无权访问该数据范围")
}
