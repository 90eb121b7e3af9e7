package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// config is every setting of the server. Precedence: flag > environment (SEALDESK_<NAME>) >
// config file (JSON, --config) > default.
type config struct {
	Listen        string `json:"listen"`
	Store         string `json:"store"`
	Dev           bool   `json:"dev"`
	TLS           string `json:"tls"` // "on" or "off"
	TLSCert       string `json:"tls_cert"`
	TLSKey        string `json:"tls_key"`
	PublicURL     string `json:"public_url"`
	PKIListen     string `json:"pki_listen"`
	MasterKeyFile string `json:"master_key_file"`
	SMTPAddr      string `json:"smtp_addr"`
	SMTPFrom      string `json:"smtp_from"`
	SMTPUser      string `json:"smtp_user"`
	SMTPPassword  string `json:"-"` // only from the environment: SEALDESK_SMTP_PASSWORD
	LogLevel      string `json:"log_level"`
	LogFormat     string `json:"log_format"`
	Organization  string `json:"organization"`
	// BillingPackages is a JSON file of the 费用中心 packages on sale (billing.ParsePackages).
	BillingPackages string `json:"billing_packages"`
	// FreeContracts sends contracts without reserving quota (no 余额不足 refusal).
	FreeContracts bool `json:"free_contracts"`
	// WebhookAllowPrivate lets integrator webhooks target loopback and private addresses.
	// WARNING: enterprise admins can then make the server call into its own network.
	WebhookAllowPrivate bool   `json:"webhook_allow_private"`
	WebhookBackoff      string `json:"webhook_backoff"` // first retry wait, doubling (default 30s)
	// SealKeys is where enterprise seal keys are kept: "software" (sealed under the master key)
	// or "pkcs11:MODULE?token=LABEL" (the PIN from SEALDESK_SEAL_KEYS_PIN; needs a cgo build).
	SealKeys   string `json:"seal_keys"`
	SealKeyPIN string `json:"-"`
	// Updates is the folder of desktop updates (sealctl release sign): served to desktops.
	Updates string `json:"updates"`
}

func defaultDir() string {
	d, err := os.UserConfigDir()
	if err != nil {
		d = "."
	}
	return filepath.Join(d, "sealdesk")
}

func defaults() config {
	dir := defaultDir()
	return config{
		Listen:        "127.0.0.1:8443",
		Store:         "bolt:" + filepath.Join(dir, "server.db"),
		TLS:           "on",
		MasterKeyFile: filepath.Join(dir, "master.key"),
		LogLevel:      "info",
		LogFormat:     "text",
		Organization:  "SealDesk",
		SealKeys:      "software",
	}
}

type setting struct {
	name  string // flag name; env is SEALDESK_ + upper(name with - → _)
	usage string
	str   func(*config) *string
	b     func(*config) *bool
}

var settings = []setting{
	{name: "listen", usage: "address to listen on (host:port)", str: func(c *config) *string { return &c.Listen }},
	{name: "store", usage: "bolt:PATH or postgres://…", str: func(c *config) *string { return &c.Store }},
	{name: "dev", usage: "development mode: dev real-name provider and /dev/outbox (loopback only)", b: func(c *config) *bool { return &c.Dev }},
	{name: "tls", usage: "on, or off (only for a loopback listen address)", str: func(c *config) *string { return &c.TLS }},
	{name: "tls-cert", usage: "PEM certificate chain for HTTPS (default: issued by the server's own CA)", str: func(c *config) *string { return &c.TLSCert }},
	{name: "tls-key", usage: "PEM private key for --tls-cert", str: func(c *config) *string { return &c.TLSKey }},
	{name: "pki-listen", usage: "plain-HTTP address for /ca/*, /ocsp and /tsa that issued certificates point at (PDF validators fetch OCSP/CRL over HTTP)", str: func(c *config) *string { return &c.PKIListen }},
	{name: "public-url", usage: "URL clients reach this server at (written into certificates)", str: func(c *config) *string { return &c.PublicURL }},
	{name: "master-key-file", usage: "file holding the master key (created if missing); SEALDESK_MASTER_KEY overrides", str: func(c *config) *string { return &c.MasterKeyFile }},
	{name: "smtp-addr", usage: "SMTP relay host:port for e-mailed one-time codes (STARTTLS required)", str: func(c *config) *string { return &c.SMTPAddr }},
	{name: "smtp-from", usage: "sender address of e-mails", str: func(c *config) *string { return &c.SMTPFrom }},
	{name: "smtp-user", usage: "SMTP user (password from SEALDESK_SMTP_PASSWORD)", str: func(c *config) *string { return &c.SMTPUser }},
	{name: "log-level", usage: "debug, info, warn or error", str: func(c *config) *string { return &c.LogLevel }},
	{name: "log-format", usage: "text or json", str: func(c *config) *string { return &c.LogFormat }},
	{name: "organization", usage: "organization name in the CA certificates", str: func(c *config) *string { return &c.Organization }},
	{name: "free-contracts", usage: "send contracts without charging quota (by default a send reserves one document per file of the sender's or enterprise's quota)", b: func(c *config) *bool { return &c.FreeContracts }},
	{name: "billing-packages", usage: "JSON file of the quota packages on sale: [{id, name, kind: enterprise|personal, documents, price_fen, valid_days}] (default: built-in packages)", str: func(c *config) *string { return &c.BillingPackages }},
	{name: "webhook-allow-private", usage: "let integrator webhooks target loopback/private addresses (WARNING: SSRF into the server's network; tests and closed deployments only)", b: func(c *config) *bool { return &c.WebhookAllowPrivate }},
	{name: "webhook-backoff", usage: "wait before the first webhook retry, doubling per attempt (Go duration, default 30s)", str: func(c *config) *string { return &c.WebhookBackoff }},
	{name: "updates", usage: "folder of desktop updates to serve: <GOOS>-<GOARCH>.json manifests signed with sealctl release sign and the files they name", str: func(c *config) *string { return &c.Updates }},
	{name: "seal-keys", usage: "enterprise seal keys: software (sealed under the master key) or pkcs11:MODULE?token=LABEL (PIN from SEALDESK_SEAL_KEYS_PIN; cgo builds only)", str: func(c *config) *string { return &c.SealKeys }},
}

func envName(flagName string) string {
	return "SEALDESK_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// loadConfig parses args and the environment into a validated config.
func loadConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (config, error) {
	cfg := defaults()
	var flagVals config
	configFile := fs.String("config", getenv("SEALDESK_CONFIG"), "JSON config file (keys as the flags, with _ for -)")
	for _, s := range settings {
		if s.str != nil {
			fs.StringVar(s.str(&flagVals), s.name, "", s.usage+" (env "+envName(s.name)+")")
		} else {
			fs.BoolVar(s.b(&flagVals), s.name, false, s.usage+" (env "+envName(s.name)+")")
		}
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *configFile != "" {
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return cfg, fmt.Errorf("failed to read config file: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return cfg, fmt.Errorf("config file %s: %w", *configFile, err)
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, s := range settings {
		env := getenv(envName(s.name))
		switch {
		case set[s.name] && s.str != nil:
			*s.str(&cfg) = *s.str(&flagVals)
		case set[s.name]:
			*s.b(&cfg) = *s.b(&flagVals)
		case env != "" && s.str != nil:
			*s.str(&cfg) = env
		case env != "":
			v, err := parseBool(env)
			if err != nil {
				return cfg, fmt.Errorf("%s: %w", envName(s.name), err)
			}
			*s.b(&cfg) = v
		}
	}
	cfg.SMTPPassword = getenv("SEALDESK_SMTP_PASSWORD")
	cfg.SealKeyPIN = getenv("SEALDESK_SEAL_KEYS_PIN")
	return cfg, cfg.validate()
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", s)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c config) validate() error {
	var errs []error
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil || port == "" {
		errs = append(errs, fmt.Errorf("--listen %q is not host:port", c.Listen))
	}
	switch c.TLS {
	case "on":
	case "off":
		if err == nil && !isLoopbackHost(host) {
			errs = append(errs, fmt.Errorf("--tls=off is only allowed on a loopback address, not %q", c.Listen))
		}
	default:
		errs = append(errs, fmt.Errorf("--tls must be on or off, not %q", c.TLS))
	}
	if c.WebhookBackoff != "" {
		if d, err := time.ParseDuration(c.WebhookBackoff); err != nil || d < 100*time.Millisecond || d > time.Hour {
			errs = append(errs, fmt.Errorf("--webhook-backoff %q must be a duration between 100ms and 1h", c.WebhookBackoff))
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if c.Dev && err == nil && !isLoopbackHost(host) {
		errs = append(errs, errors.New("--dev approves every real-name request; it is only allowed on a loopback address"))
	}
	switch {
	case strings.HasPrefix(c.Store, "bolt:") && len(c.Store) > len("bolt:"):
	case strings.HasPrefix(c.Store, "postgres://"), strings.HasPrefix(c.Store, "postgresql://"):
	default:
		errs = append(errs, fmt.Errorf("--store must be bolt:PATH or postgres://…, not %q", c.Store))
	}
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			errs = append(errs, fmt.Errorf("--smtp-addr %q is not host:port", c.SMTPAddr))
		}
		if !strings.Contains(c.SMTPFrom, "@") {
			errs = append(errs, errors.New("--smtp-from is required with --smtp-addr"))
		}
	}
	if c.PKIListen != "" {
		pkiHost, _, err := net.SplitHostPort(c.PKIListen)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("--pki-listen %q is not host:port", c.PKIListen))
		case c.Dev && !isLoopbackHost(pkiHost):
			// A dev server's CA signs whatever the dev provider approved; its OCSP, CRL and TSA
			// must not be reachable from the network either.
			errs = append(errs, fmt.Errorf("--dev is only allowed on loopback addresses; --pki-listen %q is not one", c.PKIListen))
		}
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "https://") && !strings.HasPrefix(c.PublicURL, "http://") {
		errs = append(errs, fmt.Errorf("--public-url %q must start with https:// or http://", c.PublicURL))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	return errors.Join(errs...)
}
