// Command sealdesk-server is the SealDesk backend: HTTP API, sync, CA, TSA, OCSP/CRL over a bbolt
// or PostgreSQL store. It never links Fyne and builds with CGO_ENABLED=0.
//
// Usage:
//
//	sealdesk-server [serve] [flags]          run the server (see -h for flags and SEALDESK_* env)
//	sealdesk-server grant-admin LOGIN [flags] give an account the reviewer/admin right
//	sealdesk-server revoke-admin LOGIN [flags]
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"sealdesk/core/billing"
	"sealdesk/core/notify"
	"sealdesk/core/sealkey/pkcs11key"
	"sealdesk/core/server"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
	"sealdesk/store/postgres"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	sub := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "serve":
		return serve(ctx, args, stderr, getenv)
	case "grant-admin", "revoke-admin":
		return setAdmin(ctx, args, stdout, stderr, getenv, sub == "grant-admin")
	}
	fmt.Fprintf(stderr, "sealdesk-server: unknown command %q (serve, grant-admin, revoke-admin)\n", sub)
	return 2
}

func openStore(ctx context.Context, spec string) (sync.Store, error) {
	if path, ok := strings.CutPrefix(spec, "bolt:"); ok {
		opts := &bolt.Options{}
		if runtime.GOOS != "windows" {
			opts.InitialMmapSize = 256 << 20 // address space, not memory: avoids remap stalls under load
		}
		return bolt.Open(path, opts)
	}
	return postgres.Open(ctx, spec, nil)
}

func masterKey(cfg config, getenv func(string) string) ([]byte, error) {
	if k := getenv("SEALDESK_MASTER_KEY"); k != "" {
		if len(k) < server.MinMasterKeyLen {
			return nil, fmt.Errorf("SEALDESK_MASTER_KEY has %d bytes, need at least %d", len(k), server.MinMasterKeyLen)
		}
		return []byte(k), nil
	}
	return server.LoadOrCreateMasterKey(cfg.MasterKeyFile)
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("sealdesk-server serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "sealdesk-server: %v\n", err)
		}
		return 2
	}
	log := newLogger(cfg, stderr)
	if err := run(ctx, cfg, log, getenv); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

func run(ctx context.Context, cfg config, log *slog.Logger, getenv func(string) string) error {
	key, err := masterKey(cfg, getenv)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	opts := server.Options{Store: st, MasterKey: key, Dev: cfg.Dev, Logger: log, Organization: cfg.Organization}
	if cfg.FreeContracts {
		opts.ContractsUnbilled = true
		log.Warn("contracts are sent without charging quota (--free-contracts)")
	} else {
		opts.ContractQuota = server.BillingQuota()
	}
	if cfg.BillingPackages != "" {
		f, err := os.Open(cfg.BillingPackages)
		if err != nil {
			return fmt.Errorf("failed to open the billing packages: %w", err)
		}
		opts.BillingPackages, err = billing.ParsePackages(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.BillingPackages, err)
		}
	}
	opts.Webhooks.AllowPrivate = cfg.WebhookAllowPrivate
	if cfg.Updates != "" {
		if st, err := os.Stat(cfg.Updates); err != nil || !st.IsDir() {
			return fmt.Errorf("--updates %s is not a folder", cfg.Updates)
		}
		opts.UpdatesDir = cfg.Updates
	}
	if cfg.WebhookBackoff != "" {
		opts.Webhooks.Backoff, _ = time.ParseDuration(cfg.WebhookBackoff) // validated
	}
	if cfg.WebhookAllowPrivate {
		log.Warn("integrator webhooks may target loopback and private addresses (--webhook-allow-private)")
	}
	if vault, err := sealVault(cfg); err != nil {
		return err
	} else if vault != nil {
		defer vault.Close()
		opts.SealVault = vault
	}
	if cfg.SMTPAddr != "" {
		opts.Notifier = &notify.Router{Email: &notify.SMTP{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUser, Password: cfg.SMTPPassword}}
	}
	lo := server.ListenOptions{Addr: cfg.Listen, TLS: cfg.TLS == "on", PublicURL: cfg.PublicURL, PKIAddr: cfg.PKIListen}
	if lo.TLS && lo.PKIAddr == "" {
		log.Warn("issued certificates will point at https URLs for OCSP and CRLs; PDF validators fetch them over plain HTTP: set --pki-listen")
	}
	if cfg.TLSCert != "" {
		c, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("failed to load the tls certificate: %w", err)
		}
		lo.Certificate = &c
	}
	if cfg.Dev {
		log.Warn("development mode: the dev real-name provider approves everyone and /dev/outbox shows one-time codes")
	}
	running, err := server.Start(ctx, opts, lo)
	if err != nil {
		return err
	}
	storeKind := "bolt"
	if !strings.HasPrefix(cfg.Store, "bolt:") {
		storeKind = "postgres"
	}
	log.Info("listening", "url", running.URL, "pki_url", running.PKIURL, "store", storeKind, "tls", cfg.TLS, "dev", cfg.Dev)
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return running.Shutdown(sctx)
}

func setAdmin(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, admin bool) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: sealdesk-server grant-admin|revoke-admin LOGIN [--store …]")
		return 2
	}
	login := args[0]
	fs := flag.NewFlagSet("sealdesk-server admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args[1:], getenv)
	if err != nil {
		fmt.Fprintf(stderr, "sealdesk-server: %v\n", err)
		return 2
	}
	key, err := masterKey(cfg, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "sealdesk-server: %v\n", err)
		return 1
	}
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		fmt.Fprintf(stderr, "sealdesk-server: %v\n", err)
		return 1
	}
	defer st.Close()
	srv, err := server.New(ctx, server.Options{Store: st, MasterKey: key, BaseURL: "https://" + cfg.Listen})
	if err != nil {
		fmt.Fprintf(stderr, "sealdesk-server: %v\n", err)
		return 1
	}
	defer srv.Close()
	a, err := srv.Org().SetAdmin(ctx, login, admin)
	if err != nil {
		fmt.Fprintf(stderr, "sealdesk-server: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s (%s): admin=%v\n", login, a.ID, a.Admin)
	return 0
}

// sealVault opens the PKCS #11 token of --seal-keys pkcs11:MODULE?token=LABEL (nil for the
// software vault, which the server builds itself).
func sealVault(cfg config) (*pkcs11key.Vault, error) {
	spec, ok := strings.CutPrefix(cfg.SealKeys, "pkcs11:")
	if !ok {
		if cfg.SealKeys != "" && cfg.SealKeys != "software" {
			return nil, fmt.Errorf("--seal-keys %q: want software or pkcs11:MODULE?token=LABEL", cfg.SealKeys)
		}
		return nil, nil
	}
	module, query, _ := strings.Cut(spec, "?")
	q, err := url.ParseQuery(query)
	if err != nil || module == "" || q.Get("token") == "" {
		return nil, fmt.Errorf("--seal-keys %q: want pkcs11:MODULE?token=LABEL", cfg.SealKeys)
	}
	return pkcs11key.Open(pkcs11key.Config{Module: module, TokenLabel: q.Get("token"), PIN: cfg.SealKeyPIN})
}
