package main

// The desktop's offline half: the local store (store/desktop) in the data folder, one more per
// signed-in account (profile_wiring.go), the personal keystore over the active one, and the
// adapters that hand them to the UI as ui.LocalServices.

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/diag"
	"sealdesk/core/keyguard"
	"sealdesk/core/keystore"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/sealkey/pkcs11key"
	"sealdesk/core/server"
	"sealdesk/core/session"
	"sealdesk/core/tsa"
	"sealdesk/store/bolt"
	"sealdesk/store/desktop"
	"sealdesk/ui"
)

// localFile is the local store's file name inside the data folder.
const localFile = "desktop.db"

// desk is the opened offline half; Close releases it.
type desk struct {
	store    *desktop.Store // the data folder's: the machine's part and the local profile
	profiles *profileSet
	backend  *lazyBackend
	session  *session.Manager
	services *ui.LocalServices
}

// openDesk opens the local store in dataDir and starts the embedded backend (单机模式) in the
// background (its CA takes a few hundred milliseconds to load, which must not delay the first
// frame), and builds the services over them. Without the backend the app still verifies, designs
// seals and places fields; the screens that need the CA say it is not running.
// Startup errors and sync failures go to log (nil: nowhere but stderr).
func openDesk(dataDir string, log *diag.Log) (*desk, error) {
	st, err := desktop.Open(filepath.Join(dataDir, localFile), nil)
	if err != nil {
		return nil, err
	}
	ps, err := newProfileSet(dataDir, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	d := &desk{store: st, profiles: ps, backend: &lazyBackend{ready: make(chan struct{})}}
	tokens := pkcs11key.NewPersonal()
	d.session, err = session.New(session.Options{Store: st.Sync(), Local: d.backend.session,
		Enterprises: session.ClientEnterprises, DeviceName: deviceName(), Profile: ps.activate})
	if err != nil {
		st.Close()
		return nil, err
	}
	d.services = &ui.LocalServices{
		Prefs:   profilePrefs{ps},
		Library: library{ps},
		Keys:    newKeystore(profileKeys{ps}, tokens),
		Tokens:  tokens,
		Recent:  recentList{ps.active},
		CA:      sessionCA{local: d.backend, session: d.session},
		Profile: ps,
	}
	go func() {
		defer close(d.backend.ready)
		d.backend.b, d.backend.err = startBackend(context.Background(), dataDir, st)
		if d.backend.err != nil {
			fmt.Fprintln(os.Stderr, "sealdesk:", d.backend.err)
			log.Printf("error: embedded backend: %v", d.backend.err)
		} else {
			log.Printf("embedded backend listening on %s", d.backend.b.run.URL)
		}
	}()
	// A remote session kept from the last run: its account's data from the first frame (the
	// session signs in from the kept token at once, without the network, and keeps this profile;
	// a profile that cannot be opened is reported by that sign-in).
	if cfg := d.session.Server(); cfg.Mode == session.ModeRemote {
		if srv, id, ok, err := session.SavedAccount(context.Background(), st.Sync()); err == nil && ok && srv == cfg.URL {
			ps.activate(cfg, &org.Account{ID: id})
		}
	}
	d.session.Start()
	logSyncProblems(log, d.session)
	return d, nil
}

// logSyncProblems writes each new sync problem of the session to the log once, and the return
// to online.
func logSyncProblems(log *diag.Log, s *session.Manager) {
	if log == nil {
		return
	}
	var mu sync.Mutex
	last := ""
	s.Subscribe(func() {
		st := s.Status()
		now := ""
		if st.Problem != nil {
			now = st.Problem.Error()
		}
		mu.Lock()
		defer mu.Unlock()
		if now == last {
			return
		}
		if now == "" {
			log.Printf("sync: online again (%s)", s.Server().Mode)
		} else {
			log.Printf("sync failure (%s): %s", s.Server().Mode, now)
		}
		last = now
	})
}

// newKeystore is the personal keystore over the local store: records sealed with the OS
// account's secret (core/keyguard's choice for this platform, or none with the reason) and keys
// on UKeys through PKCS #11.
func newKeystore(st keystore.Store, tokens keystore.Tokens) *keystore.Keystore {
	g := keyguard.Default()
	if !keyguard.Available(g) {
		fmt.Fprintln(os.Stderr, "sealdesk: the personal key is not bound to this OS account:", g.Describe())
	}
	return keystore.New(st, &keystore.Options{Guard: g, Tokens: tokens})
}

// deviceName names this computer to the server: 挂失 lists certificates by it.
func deviceName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "?"
	}
	return "SealDesk 桌面版（" + h + "，" + runtime.GOOS + "）"
}

// Session is the server session for ui.Services.Conn and .Session (nil without a local store).
func (d *desk) Session() *session.Manager {
	if d == nil {
		return nil
	}
	return d.session
}

// sessionCA is the CA and TSA of the chosen server: the embedded backend's on 本机 (it
// self-declares the identity, see selfDeclared), the remote server's otherwise (after its
// real-name review). Only the CSR leaves the machine either way.
type sessionCA struct {
	local   *lazyBackend
	session *session.Manager
}

var _ ui.CertAuthority = sessionCA{}

func (s sessionCA) remote() bool { return s.session.Server().Mode == session.ModeRemote }

func (s sessionCA) Certify(ctx context.Context, csrPEM []byte, name, idNumber string) ([]*x509.Certificate, error) {
	if s.remote() {
		return s.session.Certify(ctx, csrPEM, name, idNumber)
	}
	return s.local.Certify(ctx, csrPEM, name, idNumber)
}

func (s sessionCA) Timestamper() tsa.Timestamper {
	if s.remote() {
		c := s.session.Client()
		if c == nil {
			return nil
		}
		return &tsa.Client{URL: c.TSAURL(), HTTP: c.HTTP}
	}
	return s.local.Timestamper()
}

// Roots are both: certificates issued on 本机 stay valid after the user chose a server.
func (s sessionCA) Roots() []*x509.Certificate {
	return append(s.local.Roots(), s.session.Roots()...)
}

// backendWait bounds how long a caller waits for the backend to start.
const backendWait = 20 * time.Second

// lazyBackend is the embedded backend while it starts: callers wait for it (off the UI
// goroutine) and get its error if it could not start.
type lazyBackend struct {
	ready chan struct{}
	b     *backend
	err   error
}

var _ ui.CertAuthority = (*lazyBackend)(nil)

var errBackendSlow = errors.New("the embedded backend did not start in time")

func (l *lazyBackend) wait() (*backend, error) {
	select {
	case <-l.ready:
		return l.b, l.err
	case <-time.After(backendWait):
		return nil, errBackendSlow
	}
}

func (l *lazyBackend) Certify(ctx context.Context, csrPEM []byte, name, idNumber string) ([]*x509.Certificate, error) {
	b, err := l.wait()
	if err != nil {
		return nil, err
	}
	return b.Certify(ctx, csrPEM, name, idNumber)
}

// session signs in to the embedded backend as the person at this machine (session.Options.Local).
func (l *lazyBackend) session(ctx context.Context) (*client.Client, error) {
	select {
	case <-l.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if l.err != nil {
		return nil, l.err
	}
	return l.b.session(ctx)
}

func (l *lazyBackend) Timestamper() tsa.Timestamper {
	b, err := l.wait()
	if err != nil {
		return nil
	}
	return b.Timestamper()
}

func (l *lazyBackend) Roots() []*x509.Certificate {
	b, err := l.wait()
	if err != nil {
		return nil
	}
	return b.Roots()
}

// Close stops the backend once it has started.
func (l *lazyBackend) Close() error {
	b, err := l.wait()
	if errors.Is(err, errBackendSlow) {
		return err // still starting: the process is exiting anyway
	}
	return b.Close()
}

// Services returns the UI's offline services (nil when the store could not be opened: the
// screens then say what is missing).
func (d *desk) Services() *ui.LocalServices {
	if d == nil {
		return nil
	}
	return d.services
}

// Close closes the local store.
func (d *desk) Close() error {
	if d == nil {
		return nil
	}
	d.session.Close()
	err := d.backend.Close()
	if perr := d.profiles.Close(); err == nil {
		err = perr
	}
	if serr := d.store.Close(); err == nil {
		err = serr
	}
	return err
}

// library adapts the active profile's items (store/desktop) to ui.SealLibrary.
type library struct{ p *profileSet }

var _ ui.SealLibrary = library{}

func (l library) Items() ([]ui.LibraryItem, error) {
	items, err := l.p.active().Items()
	if err != nil {
		return nil, err
	}
	out := make([]ui.LibraryItem, 0, len(items))
	for _, it := range items {
		out = append(out, ui.LibraryItem{ID: it.ID, Kind: it.Kind, Name: it.Name, Created: it.Created,
			WidthMM: it.WidthMM, HeightMM: it.HeightMM, PNG: it.PNG, Spec: it.Spec, Strokes: it.Strokes, Original: it.Original})
	}
	return out, nil
}

func (l library) Save(it ui.LibraryItem) (ui.LibraryItem, error) {
	saved, err := l.p.active().SaveItem(desktop.Item{ID: it.ID, Kind: it.Kind, Name: it.Name, Created: it.Created,
		WidthMM: it.WidthMM, HeightMM: it.HeightMM, PNG: it.PNG, Spec: it.Spec, Strokes: it.Strokes, Original: it.Original})
	if err != nil {
		return ui.LibraryItem{}, err
	}
	it.ID, it.Created = saved.ID, saved.Created
	return it, nil
}

// Watch follows the active profile's items, and the switch to another profile.
func (l library) Watch(f func()) func() { return l.p.watchItems(f) }

func (l library) Delete(id string) error {
	err := l.p.active().DeleteItem(id)
	if errors.Is(err, desktop.ErrNotFound) {
		return fmt.Errorf("seal or signature %s is gone: %w", id, err)
	}
	return err
}

// ----- the embedded backend (单机模式) -----

// Files of the embedded backend inside the data folder.
const (
	backendFile    = "backend.db"
	backendKeyFile = "backend.key"
)

// Local prefs keys of the embedded backend's local account.
const (
	prefBackendLogin    = "backend.login"
	prefBackendPassword = "backend.password"
)

// localLogin is the embedded backend's one account: the person at this machine.
const localLogin = "owner@sealdesk.localhost"

// selfDeclared is the real-name provider of the embedded backend, and is wired nowhere else (the
// sealdesk-server binary offers manual review only, dev under --dev): in 单机模式 nobody but the
// person at the machine runs the CA, so the name and ID number are what that person declares (the
// ID number's GB 11643 check is still enforced by core/org).
//
// WARNING: it verifies nothing, and says so: Verifies is false, so the backend's CA issues the
// person certificate with the self-declared identity policy (pki.OIDSelfDeclaredIdentity) and
// OU 自证身份, which verifiers show. The certificates also chain to this machine's own root, which
// only this machine trusts; certificates that others trust need a real server with a reviewer
// (manual provider) or a deployment's provider.
type selfDeclared struct{}

func (selfDeclared) Name() string                           { return "self-declared" }
func (selfDeclared) Start(org.Verification) (string, error) { return org.StatusApproved, nil }
func (selfDeclared) Verifies() bool                         { return false }

// codeBox is the embedded backend's notifier: one-time codes for the local account stay in this
// process (the person at the machine is the one the code is for).
type codeBox struct {
	mu   sync.Mutex
	last map[string]string // login → last code
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

func (c *codeBox) Send(_ context.Context, m notify.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[string]string{}
	}
	if sm := codeRE.FindStringSubmatch(m.Body); sm != nil {
		c.last[m.To] = sm[1]
	}
	return nil
}

func (c *codeBox) code(login string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last[login]
}

// backend is the embedded server and the desktop's client of it.
type backend struct {
	run    *server.Running
	store  *bolt.Store
	codes  *codeBox
	prefs  ui.LocalPrefs
	mu     sync.Mutex
	client *client.Client // logged in once Certify ran
}

var _ ui.CertAuthority = (*backend)(nil)

// startBackend opens the backend's store in dataDir and serves it over HTTPS on 127.0.0.1.
func startBackend(ctx context.Context, dataDir string, prefs ui.LocalPrefs) (*backend, error) {
	key, err := server.LoadOrCreateMasterKey(filepath.Join(dataDir, backendKeyFile))
	if err != nil {
		return nil, err
	}
	st, err := bolt.Open(filepath.Join(dataDir, backendFile), nil)
	if err != nil {
		return nil, err
	}
	codes := &codeBox{}
	// PKIRate -1: the only client of the embedded TSA is this desktop, on 127.0.0.1.
	run, err := server.Start(ctx, server.Options{Store: st, MasterKey: key, Notifier: codes,
		Providers: []org.Provider{selfDeclared{}}, PKIRate: -1,
		// 单机模式 has no billing server: contracts sent from this machine are not billed.
		ContractsUnbilled: true,
		// its one local account (本机用户) is made by the program, not registered by a person
		ConsentOptional: true}, server.ListenOptions{TLS: true})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("failed to start the embedded backend: %w", err)
	}
	return &backend{run: run, store: st, codes: codes, prefs: prefs}, nil
}

// Roots are the backend's root certificate (the platform root of 单机模式).
func (b *backend) Roots() []*x509.Certificate { return []*x509.Certificate{b.run.Server.Root()} }

// Close stops the server and closes its store.
func (b *backend) Close() error {
	if b == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := b.run.Shutdown(ctx)
	if cerr := b.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// Timestamper is the backend's RFC 3161 TSA.
func (b *backend) Timestamper() tsa.Timestamper {
	return &tsa.Client{URL: b.run.URL + "/tsa", HTTP: b.run.HTTPClient()}
}

// session logs the local account in, registering it on first use with a random password kept in
// the local store.
func (b *backend) session(ctx context.Context) (*client.Client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.client != nil {
		return b.client, nil
	}
	c, err := client.New(b.run.URL, b.run.Server.RootPEM())
	if err != nil {
		return nil, err
	}
	pw, ok, err := b.prefs.Setting(prefBackendPassword)
	if err != nil {
		return nil, err
	}
	if ok {
		if _, err := c.Login(ctx, org.LoginRequest{Login: localLogin, Password: pw}); err == nil {
			b.client = c
			return c, nil
		}
	}
	pw, err = randomPassword()
	if err != nil {
		return nil, err
	}
	if err := c.SendCode(ctx, localLogin, org.PurposeRegister); err != nil {
		return nil, fmt.Errorf("failed to register the local account: %w", err)
	}
	if _, err := c.Register(ctx, org.RegisterRequest{Login: localLogin, Code: b.codes.code(localLogin), Name: "本机用户", Password: pw}); err != nil {
		return nil, fmt.Errorf("failed to register the local account: %w", err)
	}
	if err := b.prefs.SetSetting(prefBackendPassword, pw); err != nil {
		return nil, err
	}
	b.prefs.SetSetting(prefBackendLogin, localLogin)
	b.client = c
	return c, nil
}

// Certify declares the person's name and ID number to the embedded backend (self-declared, see
// selfDeclared) and sends the CSR to its CA.
func (b *backend) Certify(ctx context.Context, csrPEM []byte, name, idNumber string) ([]*x509.Certificate, error) {
	c, err := b.session(ctx)
	if err != nil {
		return nil, err
	}
	v, err := c.RealName(ctx)
	if err != nil || v.Status != org.StatusApproved || v.Name != name {
		if _, err := c.SubmitRealName(ctx, name, idNumber, selfDeclared{}.Name()); err != nil {
			return nil, err
		}
	}
	resp, err := c.RequestCertificate(ctx, csrPEM)
	if err != nil {
		return nil, err
	}
	certs, err := pki.ParseCertsPEM([]byte(resp.Certificate + resp.Chain))
	if err != nil {
		return nil, fmt.Errorf("failed to read the issued certificate: %w", err)
	}
	return certs, nil
}

func randomPassword() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	// Upper, lower and digits as the password rules want; 16 characters.
	return "Sd7" + hex.EncodeToString(b[:])[:12] + "x", nil
}

// recentList gives 首页 the active profile's recent documents (ui does not import
// store/desktop); st returns that profile's store.
type recentList struct{ st func() *desktop.Store }

var _ ui.RecentBrowser = recentList{}

// AddRecent implements ui.RecentList.
func (r recentList) AddRecent(path, kind string) error { return r.st().AddRecent(path, kind) }

// RemoveRecent implements ui.RecentBrowser.
func (r recentList) RemoveRecent(path string) error { return r.st().RemoveRecent(path) }

// RecentDocuments implements ui.RecentBrowser.
func (r recentList) RecentDocuments() ([]ui.RecentDocument, error) {
	rs, err := r.st().RecentDocuments()
	out := make([]ui.RecentDocument, 0, len(rs))
	for _, d := range rs {
		out = append(out, ui.RecentDocument{Path: d.Path, When: d.Opened, Kind: d.Kind})
	}
	return out, err
}
