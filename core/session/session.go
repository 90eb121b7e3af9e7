// Package session is the desktop's session with a SealDesk server: which server (本机, the
// embedded backend, or a remote one whose CA the user pinned after seeing its fingerprint), who
// is signed in there (the session token kept in the local store), where the user works now (个人版
// or one of their enterprises), and sync — the events of the followed scopes pulled (long poll)
// into a projection in the local store, and commands sent through an outbox with idempotency
// keys, so that work done offline waits and a refusal is kept until the user dismisses it.
//
// It is headless: the desktop's main.go gives it the local store (a core/sync.Store over the
// desktop's bbolt file), the store of each signed-in account's own data (Options.Profile: the
// outbox, projection and kept copies switch with the account, so nobody sees or sends another's)
// and, for 本机, a function that signs in to the embedded backend; the UI reads it through small
// interfaces.
//
// # What it refuses
//
//   - Plain HTTP to a remote server: addresses must be https:// (ErrNotHTTPS).
//   - Trusting a server's CA without the user: Probe shows the fingerprint, only Pin trusts it,
//     and a server whose CA changed afterwards is not talked to until the user pins the new one
//     (*FingerprintChangedError).
//   - Losing a command: an outbox entry leaves the store only when the server applied it, or
//     when the user dismissed its refusal.
package session

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	stdsync "sync"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/sync"
)

// Buckets of the local store used by this package.
const (
	BucketSession    = "session"
	BucketProjection = "projection"
)

// Keys in BucketSession.
const (
	keyServer  = "server"
	keyToken   = "token"
	keyContext = "context"
	keyDevice  = "device" // + "|" + server URL: the device token that server gave this desktop
)

// Server modes.
const (
	ModeLocal  = "local"  // 本机: the embedded backend
	ModeRemote = "remote" // a server address chosen in 设置 › 服务器
)

// Errors.
var (
	// ErrNotHTTPS: a remote server address must start with https://.
	ErrNotHTTPS = errors.New("server address must be https")
	// ErrBadAddress: the address is not a usable URL with a host.
	ErrBadAddress = errors.New("bad server address")
	// ErrNoRoot: the server did not answer its CA certificate at /ca/root.pem.
	ErrNoRoot = errors.New("server sent no ca certificate")
	// ErrNotSignedIn: the operation needs a signed-in session.
	ErrNotSignedIn = errors.New("not signed in")
	// ErrNoLocal: 本机 was chosen but this program has no embedded backend.
	ErrNoLocal = errors.New("no embedded backend")
	// ErrSessionExpired: the server no longer knows the session (401); sign in again.
	ErrSessionExpired = errors.New("session expired")
	// ErrUnknownContext: SetContext named an enterprise the user does not belong to.
	ErrUnknownContext = errors.New("not a member of that enterprise")
)

// FingerprintChangedError says the server now presents another CA than the one pinned: either
// the server was re-installed, or someone is in between. The user must confirm the new one.
type FingerprintChangedError struct {
	Pinned string // the fingerprint the user confirmed before
	Probe  Probe  // what the server presents now
}

func (e *FingerprintChangedError) Error() string {
	return fmt.Sprintf("server ca changed: pinned %s, server presents %s", e.Pinned, e.Probe.Fingerprint)
}

// ServerConfig is the chosen server, persisted in the local store.
type ServerConfig struct {
	Mode        string `json:"mode"`                  // ModeLocal (default) or ModeRemote
	URL         string `json:"url,omitempty"`         // remote: https://host[:port]
	RootPEM     string `json:"root_pem,omitempty"`    // remote: the pinned CA certificate
	Fingerprint string `json:"fingerprint,omitempty"` // remote: SHA-256 of the pinned CA (AA:BB:…)
	Subject     string `json:"subject,omitempty"`     // remote: the CA's subject, for display
}

// Probe is what a server presents on first contact, for the user to confirm.
type Probe struct {
	URL         string
	RootPEM     []byte
	Fingerprint string // SHA-256 over the CA certificate's DER, upper-case hex pairs with colons
	Subject     string
	// Pinned is the fingerprint pinned earlier for this address ("" if none); Changed is true
	// when it differs from Fingerprint — the UI shows a warning.
	Pinned  string
	Changed bool
}

// Fingerprint formats the SHA-256 of a certificate as the UI shows it.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// Enterprise is one enterprise the signed-in user belongs to, as the context switcher and the
// navigation need it.
type Enterprise struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	Role        string           `json:"role"`        // org.RoleOwner, org.RoleAdmin, org.RoleMember or a custom role id
	Permissions []org.Permission `json:"permissions"` // what the member may do
}

// Can reports whether the member holds p.
func (e Enterprise) Can(p org.Permission) bool {
	if e.Role == org.RoleOwner || e.Role == org.RoleAdmin {
		return true
	}
	for _, q := range e.Permissions {
		if q == p {
			return true
		}
	}
	return false
}

// EnterpriseScope is the sync scope of an enterprise.
func EnterpriseScope(id string) string { return org.EnterpriseScope(id) }

// ClientEnterprises lists the enterprises in which the signed-in account is an enabled member
// (Options.Enterprises for a real server).
func ClientEnterprises(ctx context.Context, c *client.Client) ([]Enterprise, error) {
	mine, err := c.MyEnterprises(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Enterprise, 0, len(mine))
	for _, e := range mine {
		if e.Member.Disabled {
			continue // a departed member signs in to 个人版 only
		}
		out = append(out, Enterprise{ID: e.Enterprise.ID, Name: e.Enterprise.Name, Role: e.Member.Role,
			Permissions: append([]org.Permission(nil), e.Permissions...)})
	}
	return out, nil
}

// Status is the sync state the window shows.
type Status struct {
	Mode       string
	Server     string // the remote URL ("" for 本机)
	SignedIn   bool
	Connecting bool  // signing in to 本机 or restoring a session
	Online     bool  // the last exchange with the server succeeded
	Problem    error // why the last exchange failed (nil when online)
	Pending    int   // commands waiting in the outbox
	Refused    []sync.OutboxEntry
	LastSync   time.Time // when the followed scopes were last caught up
}

// Options configure a Manager; Store is required.
type Options struct {
	// Store is the local store (the desktop's bbolt file through store/desktop's Sync view).
	Store sync.Store
	// Local signs in to the embedded backend (本机) and returns its client; nil: no 本机.
	Local func(ctx context.Context) (*client.Client, error)
	// Enterprises lists the signed-in user's enterprises (the enterprise API's client method);
	// nil: only 个人版.
	Enterprises func(ctx context.Context, c *client.Client) ([]Enterprise, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// PollWait is how long a pull waits for new events (default 25 s).
	PollWait time.Duration
	// Retry is the first wait after a failed exchange; it doubles up to 30 s (default 1 s).
	Retry time.Duration
	// PullLimit is the page size of pulls (default 1000).
	PullLimit int
	// DeviceName names this device to the remote server (certificates, contract timelines; see
	// client.Client.DeviceName); "" sends none.
	DeviceName string
	// Profile returns the store of the local data of account a, signed in to the remote server
	// cfg: its outbox, sync cursors, projection and kept copies (the desktop gives every account
	// its own profile, store/desktop.Profiles), so that one account never sees or sends
	// another's. a == nil asks for the store of 本机 and of the time nobody is signed in. Store
	// keeps the machine's part either way: the chosen server, its pin, the device tokens and the
	// session token. nil: everything lives in Store.
	Profile func(cfg ServerConfig, a *org.Account) (sync.Store, error)
}

// Manager is the session. Its methods are safe from any goroutine.
type Manager struct {
	o Options

	switchMu    stdsync.Mutex // held while the profile of the local data switches (signedIn, endSession)
	mu          stdsync.Mutex
	data        sync.Store   // the signed-in account's profile (Options.Profile), or Store
	outbx       *sync.Outbox // over data
	cfg         ServerConfig
	client      *client.Client
	auth        *client.Client // the remote server's client for codes, register and login
	account     *org.Account
	context     string
	enterprises []Enterprise
	connecting  bool
	online      bool
	problem     error
	lastSync    time.Time
	subs        map[int]func()
	nextSub     int
	gen         int                // bumped on every sign-in, sign-out, server or context change
	stopGen     context.CancelFunc // stops the current generation's followers
	wake        chan struct{}      // nudges the outbox flusher
	closed      bool
	wg          stdsync.WaitGroup
	base        context.Context // ends on Close: background work started by the manager
	cancelBase  context.CancelFunc
}

// New opens the session kept in the local store. Call Start to connect.
func New(o Options) (*Manager, error) {
	if o.Store == nil {
		return nil, errors.New("session needs a local store")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollWait <= 0 {
		o.PollWait = 25 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	if o.PullLimit <= 0 {
		o.PullLimit = 1000
	}
	m := &Manager{o: o, data: o.Store, outbx: &sync.Outbox{Store: o.Store, Now: o.Now}, subs: map[int]func(){},
		wake: make(chan struct{}, 1)}
	m.base, m.cancelBase = context.WithCancel(context.Background())
	err := o.Store.View(context.Background(), func(tx sync.Tx) error {
		if err := sync.GetJSON(tx, BucketSession, keyServer, &m.cfg); err != nil && !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		if err := sync.GetJSON(tx, BucketSession, keyContext, &m.context); err != nil && !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read the session: %w", err)
	}
	if m.cfg.Mode == "" {
		m.cfg.Mode = ModeLocal
	}
	return m, nil
}

// savedToken is the session token kept in the local store (never in the UI's settings file).
type savedToken struct {
	URL     string      `json:"url"`
	Token   string      `json:"token"`
	Expires time.Time   `json:"expires"`
	Account org.Account `json:"account"`
}

// Start connects in the background: to 本机, or to the remote server with the kept token.
func (m *Manager) Start() {
	m.mu.Lock()
	cfg := m.cfg
	m.mu.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.connect(cfg)
	}()
}

// connect signs in for cfg (本机) or restores the kept session (remote).
func (m *Manager) connect(cfg ServerConfig) {
	m.setConnecting(true)
	defer m.setConnecting(false)
	ctx, cancel := context.WithTimeout(m.base, 60*time.Second)
	defer cancel()
	switch cfg.Mode {
	case ModeLocal:
		if m.o.Local == nil {
			m.setProblem(ErrNoLocal)
			return
		}
		c, err := m.o.Local(ctx)
		if err != nil {
			m.setProblem(err)
			return
		}
		a, err := c.Me(ctx)
		if err != nil {
			m.setProblem(err)
			return
		}
		m.signedIn(cfg, c, a) // a refusal of the profile is the problem shown
	case ModeRemote:
		var t savedToken
		err := m.o.Store.View(ctx, func(tx sync.Tx) error { return sync.GetJSON(tx, BucketSession, keyToken, &t) })
		if err != nil || t.URL != cfg.URL || t.Token == "" {
			m.notify()
			return
		}
		c, err := m.remoteClient(cfg)
		if err != nil {
			m.setProblem(err)
			return
		}
		c.Token = t.Token
		// Signed in at once from what the store keeps (the desktop works offline); the
		// followers check the session with the server and report a 401 as expired.
		m.signedIn(cfg, c, t.Account)
	}
}

func (m *Manager) setConnecting(b bool) {
	m.mu.Lock()
	m.connecting = b
	m.mu.Unlock()
	m.notify()
}

func (m *Manager) setProblem(err error) {
	m.mu.Lock()
	m.problem = err
	m.online = false
	m.mu.Unlock()
	m.notify()
}

// remoteClient builds a client that trusts the pinned CA only.
func (m *Manager) remoteClient(cfg ServerConfig) (*client.Client, error) {
	c, err := client.New(cfg.URL, []byte(cfg.RootPEM))
	if c != nil {
		c.DeviceName = m.o.DeviceName
	}
	return c, err
}

// NormalizeURL checks a server address typed by the user: https only, a host, no path beyond
// "/"; "sealdesk.example.com" becomes "https://sealdesk.example.com".
func NormalizeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", ErrBadAddress
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", ErrBadAddress
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return "", ErrNotHTTPS
	}
	if p := strings.TrimRight(u.Path, "/"); p != "" {
		return "", ErrBadAddress
	}
	return "https://" + strings.ToLower(u.Host), nil
}

// Probe contacts a server without trusting it yet and returns its CA's fingerprint for the user
// to compare (with the server's administrator) before Pin.
func (m *Manager) Probe(ctx context.Context, rawURL string) (Probe, error) {
	u, err := NormalizeURL(rawURL)
	if err != nil {
		return Probe{}, err
	}
	// Not trusted yet: the certificate is what the user is about to judge by its fingerprint.
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, //nolint:gosec // pinned by the user below
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext, TLSHandshakeTimeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	req, err := http.NewRequestWithContext(ctx, "GET", u+"/ca/root.pem", nil)
	if err != nil {
		return Probe{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Probe{}, fmt.Errorf("failed to reach %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return Probe{}, fmt.Errorf("%w (%s)", ErrNoRoot, resp.Status)
	}
	root, rootPEM, err := parseRoot(body)
	if err != nil {
		return Probe{}, err
	}
	// The TLS certificate must chain to that CA (the server's own CA issues it), or to a CA
	// the system trusts when the server was given a certificate.
	if err := verifyTLS(resp.TLS, root, u); err != nil {
		return Probe{}, err
	}
	p := Probe{URL: u, RootPEM: rootPEM, Fingerprint: Fingerprint(root), Subject: root.Subject.String()}
	m.mu.Lock()
	if m.cfg.URL == u && m.cfg.Fingerprint != "" {
		p.Pinned = m.cfg.Fingerprint
		p.Changed = p.Pinned != p.Fingerprint
	}
	m.mu.Unlock()
	return p, nil
}

func parseRoot(body []byte) (*x509.Certificate, []byte, error) {
	blk, _ := pem.Decode(body)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, nil, ErrNoRoot
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil || !cert.IsCA {
		return nil, nil, ErrNoRoot
	}
	return cert, pem.EncodeToMemory(blk), nil
}

func verifyTLS(cs *tls.ConnectionState, root *x509.Certificate, u string) error {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return ErrNotHTTPS
	}
	host := strings.TrimPrefix(u, "https://")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, DNSName: host})
	if err != nil {
		return fmt.Errorf("the server's tls certificate is not issued by its ca: %w", err)
	}
	return nil
}

// Pin trusts the probed server (after the user confirmed its fingerprint) and makes it the
// server of this desktop. The previous session ends (its token is forgotten); the outbox keeps
// what is pending for the server it was made for.
func (m *Manager) Pin(p Probe) error {
	cfg := ServerConfig{Mode: ModeRemote, URL: p.URL, RootPEM: string(p.RootPEM), Fingerprint: p.Fingerprint, Subject: p.Subject}
	cur := m.Server()
	return m.switchServer(cfg, p.URL != cur.URL || p.Fingerprint != cur.Fingerprint || cur.Mode != ModeRemote)
}

// UseLocal makes 本机 (the embedded backend) the server again.
func (m *Manager) UseLocal() error {
	cur := m.Server()
	cfg := ServerConfig{Mode: ModeLocal}
	// The pin of the remote server stays remembered for when the user comes back to it.
	cfg.URL, cfg.RootPEM, cfg.Fingerprint, cfg.Subject = cur.URL, cur.RootPEM, cur.Fingerprint, cur.Subject
	return m.switchServer(cfg, true)
}

func (m *Manager) switchServer(cfg ServerConfig, forgetToken bool) error {
	err := m.o.Store.Update(context.Background(), func(tx sync.Tx) error {
		if forgetToken {
			if err := tx.Delete(BucketSession, keyToken); err != nil {
				return err
			}
		}
		if err := sync.PutJSON(tx, BucketSession, keyContext, ""); err != nil {
			return err
		}
		return sync.PutJSON(tx, BucketSession, keyServer, cfg)
	})
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.cfg = cfg
	m.context = ""
	m.problem = nil
	m.auth = nil
	m.mu.Unlock()
	m.endSession()
	m.Start()
	return nil
}

// Server is the chosen server.
func (m *Manager) Server() ServerConfig {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg
}

// ----- accounts -----

// authClient is the client for the unauthenticated calls (codes, register, login) of the
// chosen remote server: one per server, because a code is bound to the challenge the client got
// when it asked for it. It presents the device token this server gave this desktop.
func (m *Manager) authClient() (*client.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cfg := m.cfg
	if cfg.Mode != ModeRemote || cfg.URL == "" {
		return nil, ErrNoLocal
	}
	if m.auth != nil && m.auth.BaseURL == cfg.URL {
		return m.auth, nil
	}
	c, err := m.remoteClient(cfg)
	if err != nil {
		return nil, err
	}
	m.o.Store.View(context.Background(), func(tx sync.Tx) error {
		var d string
		if sync.GetJSON(tx, BucketSession, keyDevice+"|"+cfg.URL, &d) == nil {
			c.Device = d
		}
		return nil
	})
	m.auth = c
	return c, nil
}

// SendCode asks the remote server for a one-time code (org.PurposeRegister or PurposeLogin).
func (m *Manager) SendCode(ctx context.Context, login, purpose string) error {
	c, err := m.authClient()
	if err != nil {
		return err
	}
	return c.SendCode(ctx, login, purpose)
}

// Register creates an account on the remote server and signs in.
func (m *Manager) Register(ctx context.Context, r org.RegisterRequest) (org.Account, error) {
	c, err := m.authClient()
	if err != nil {
		return org.Account{}, err
	}
	t, err := c.Register(ctx, r)
	if err != nil {
		return org.Account{}, err
	}
	return t.Account, m.keep(c, t)
}

// Login signs in to the remote server with a password or a one-time code.
func (m *Manager) Login(ctx context.Context, r org.LoginRequest) (org.Account, error) {
	c, err := m.authClient()
	if err != nil {
		return org.Account{}, err
	}
	t, err := c.Login(ctx, r)
	if err != nil {
		return org.Account{}, err
	}
	return t.Account, m.keep(c, t)
}

// keep persists the token and starts the session.
func (m *Manager) keep(c *client.Client, t org.Token) error {
	cfg := m.Server()
	st := savedToken{URL: cfg.URL, Token: t.Token, Expires: t.Expires, Account: t.Account}
	if err := m.o.Store.Update(context.Background(), func(tx sync.Tx) error {
		if d := c.DeviceToken(); d != "" {
			if err := sync.PutJSON(tx, BucketSession, keyDevice+"|"+cfg.URL, d); err != nil {
				return err
			}
		}
		return sync.PutJSON(tx, BucketSession, keyToken, st)
	}); err != nil {
		return fmt.Errorf("failed to keep the session: %w", err)
	}
	m.mu.Lock()
	if m.auth == c {
		m.auth = nil // the next sign-in starts from a fresh client (with the device token)
	}
	m.mu.Unlock()
	if err := m.signedIn(cfg, c, t.Account); err != nil {
		// without its own local data the account does not sign in here (it would see and send
		// another's): the token is forgotten, the server's session expires
		m.o.Store.Update(context.Background(), func(tx sync.Tx) error { return tx.Delete(BucketSession, keyToken) })
		return err
	}
	return nil
}

// SignOut ends the remote session (on the server when it can be reached) and forgets the token.
// On 本机 there is nobody else to be: it signs in again as the person at this machine.
func (m *Manager) SignOut(ctx context.Context) error {
	m.mu.Lock()
	c, cfg := m.client, m.cfg
	m.mu.Unlock()
	if cfg.Mode == ModeLocal {
		return nil
	}
	if c != nil {
		c.Logout(ctx) // offline: the token is forgotten here anyway and expires on the server
	}
	err := m.o.Store.Update(context.Background(), func(tx sync.Tx) error {
		if err := tx.Delete(BucketSession, keyToken); err != nil {
			return err
		}
		return sync.PutJSON(tx, BucketSession, keyContext, "")
	})
	m.mu.Lock()
	m.context = ""
	m.mu.Unlock()
	m.endSession()
	return err
}

// Account is the signed-in account.
func (m *Manager) Account() (org.Account, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.account == nil {
		return org.Account{}, false
	}
	return *m.account, true
}

// Client implements ui.Connection: the signed-in client, or nil.
func (m *Manager) Client() *client.Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.client
}

// Context implements ui.Connection: "" for 个人版, else the active enterprise's id.
func (m *Manager) Context() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.context
}

// Enterprises are the signed-in user's enterprises as last fetched.
func (m *Manager) Enterprises() []Enterprise {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Enterprise(nil), m.enterprises...)
}

// Active is the enterprise of the current context (false in 个人版).
func (m *Manager) Active() (Enterprise, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.enterprises {
		if e.ID == m.context {
			return e, true
		}
	}
	return Enterprise{}, false
}

// SetContext switches between 个人版 ("") and an enterprise the user belongs to.
func (m *Manager) SetContext(id string) error {
	m.mu.Lock()
	if id == m.context {
		m.mu.Unlock()
		return nil
	}
	known := id == ""
	for _, e := range m.enterprises {
		known = known || e.ID == id
	}
	m.mu.Unlock()
	if !known {
		return ErrUnknownContext
	}
	if err := m.o.Store.Update(context.Background(), func(tx sync.Tx) error {
		return sync.PutJSON(tx, BucketSession, keyContext, id)
	}); err != nil {
		return err
	}
	m.mu.Lock()
	m.context = id
	m.mu.Unlock()
	m.restart()
	m.notify()
	return nil
}

// RefreshEnterprises fetches the user's enterprises again (after creating or joining one) and
// falls back to 个人版 when the active one is no longer among them.
func (m *Manager) RefreshEnterprises(ctx context.Context) error {
	c := m.Client()
	if c == nil {
		return ErrNotSignedIn
	}
	if m.o.Enterprises == nil {
		return nil
	}
	es, err := m.o.Enterprises(ctx, c)
	if err != nil {
		return err
	}
	m.mu.Lock()
	if m.client != c {
		m.mu.Unlock()
		return nil
	}
	m.enterprises = es
	lost := m.context != ""
	for _, e := range es {
		if e.ID == m.context {
			lost = false
		}
	}
	m.mu.Unlock()
	if lost {
		m.SetContext("")
	}
	m.notify()
	return nil
}

// ----- subscribers -----

// Subscribe implements ui.Connection.
func (m *Manager) Subscribe(fn func()) (cancel func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.nextSub
	m.nextSub++
	m.subs[id] = fn
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.subs, id)
	}
}

func (m *Manager) notify() {
	m.mu.Lock()
	fs := make([]func(), 0, len(m.subs))
	for _, f := range m.subs {
		fs = append(fs, f)
	}
	m.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Status is the current sync state.
func (m *Manager) Status() Status {
	ctx := context.Background()
	ob := m.Outbox()
	pending, _ := ob.Pending(ctx)
	refused, _ := ob.Entries(ctx, sync.OutboxRefused)
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Status{Mode: m.cfg.Mode, SignedIn: m.client != nil, Connecting: m.connecting, Online: m.online,
		Problem: m.problem, Pending: pending, Refused: refused, LastSync: m.lastSync}
	if m.cfg.Mode == ModeRemote {
		s.Server = m.cfg.URL
	}
	return s
}

// Close stops the followers and waits for them.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	m.cancelBase()
	if m.stopGen != nil {
		m.stopGen()
	}
	m.mu.Unlock()
	m.wg.Wait()
	if c := m.Client(); c != nil {
		c.HTTP.CloseIdleConnections()
	}
	return nil
}

// ErrRealNameRequired: a certificate from a remote server needs an approved real-name
// verification of the same name and ID number first (设置 › 账户 › 实名认证).
var ErrRealNameRequired = errors.New("real-name verification required")

// Certify has the remote server's CA certify the personal key: only the CSR leaves this
// machine (the key stays in the keystore under the signing PIN). The account's real-name
// verification must be approved for the same name and ID number.
func (m *Manager) Certify(ctx context.Context, csrPEM []byte, name, idNumber string) ([]*x509.Certificate, error) {
	c := m.Client()
	if c == nil {
		return nil, ErrNotSignedIn
	}
	v, err := c.RealName(ctx)
	if err != nil {
		var ce *client.Error
		if errors.As(err, &ce) && ce.Status == http.StatusNotFound {
			return nil, ErrRealNameRequired
		}
		return nil, err
	}
	if v.Status != org.StatusApproved || v.Name != name || (idNumber != "" && !sameMasked(v.IDNumber, idNumber)) {
		return nil, ErrRealNameRequired
	}
	resp, err := c.RequestCertificate(ctx, csrPEM)
	if err != nil {
		return nil, err
	}
	// pki reads SM2 certificates too (a device key of type SM2).
	certs, err := pki.ParseCertsPEM([]byte(resp.Certificate + resp.Chain))
	if err != nil {
		return nil, fmt.Errorf("failed to read the issued certificate: %w", err)
	}
	return certs, nil
}

// sameMasked compares a full ID number with the server's masked copy (first and last
// characters kept, the middle starred).
func sameMasked(masked, full string) bool {
	masked, full = strings.ToUpper(masked), strings.ToUpper(strings.TrimSpace(full))
	if len(masked) != len(full) {
		return masked == full
	}
	for i := 0; i < len(full); i++ {
		if masked[i] != '*' && masked[i] != full[i] {
			return false
		}
	}
	return true
}

// Roots are the pinned CA of the remote server (nil on 本机).
func (m *Manager) Roots() []*x509.Certificate {
	cfg := m.Server()
	if cfg.Mode != ModeRemote {
		return nil
	}
	root, _, err := parseRoot([]byte(cfg.RootPEM))
	if err != nil {
		return nil
	}
	return []*x509.Certificate{root}
}
