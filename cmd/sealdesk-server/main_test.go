package main

import (
	"context"
	"flag"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"syscall"
	"testing"
)

// TestMain lets the tests run the real server as a child process: the test binary re-executed
// with SEALDESK_SERVER_CHILD=1 runs realMain with the arguments in SEALDESK_CHILD_ARGS.
func TestMain(m *testing.M) {
	if url := os.Getenv("SEALDESK_HEALTH_PROBE"); url != "" {
		os.Exit(healthProbe(url))
	}
	if os.Getenv("SEALDESK_SERVER_CHILD") == "1" {
		if p := os.Getenv("SEALDESK_CHILD_CPUPROFILE"); p != "" {
			f, err := os.Create(p)
			if err == nil {
				pprof.StartCPUProfile(f)
				defer pprof.StopCPUProfile()
			}
		}
		if p := os.Getenv("SEALDESK_CHILD_TRACE"); p != "" {
			f, err := os.Create(p)
			if err == nil {
				trace.Start(f)
				defer trace.Stop()
			}
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := realMain(ctx, strings.Split(os.Getenv("SEALDESK_CHILD_ARGS"), "\x1f"), os.Stdout, os.Stderr, os.Getenv)
		stop()
		pprof.StopCPUProfile()
		trace.Stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	os.WriteFile(file, []byte(`{"listen":"127.0.0.1:9000","store":"bolt:/tmp/x.db","log_level":"debug"}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"listen":"127.0.0.1:9000","nonsense":1}`), 0o600)
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(config) bool
		err   string
	}{
		{"defaults", nil, nil, func(c config) bool {
			return c.Listen == "127.0.0.1:8443" && strings.HasPrefix(c.Store, "bolt:") && c.TLS == "on" && !c.Dev
		}, ""},
		{"file", []string{"--config", file}, nil, func(c config) bool { return c.Listen == "127.0.0.1:9000" && c.LogLevel == "debug" }, ""},
		{"env over file", []string{"--config", file}, map[string]string{"SEALDESK_LISTEN": "127.0.0.1:9100"}, func(c config) bool { return c.Listen == "127.0.0.1:9100" }, ""},
		{"flag over env", []string{"--listen", "127.0.0.1:9200"}, map[string]string{"SEALDESK_LISTEN": "127.0.0.1:9100"}, func(c config) bool { return c.Listen == "127.0.0.1:9200" }, ""},
		{"env bool", nil, map[string]string{"SEALDESK_DEV": "true"}, func(c config) bool { return c.Dev }, ""},
		{"config from env", nil, map[string]string{"SEALDESK_CONFIG": file}, func(c config) bool { return c.Listen == "127.0.0.1:9000" }, ""},
		{"postgres", []string{"--store", "postgres://u@127.0.0.1/db"}, nil, func(c config) bool { return c.Store == "postgres://u@127.0.0.1/db" }, ""},
		{"tls off on loopback", []string{"--tls", "off", "--listen", "[::1]:80"}, nil, func(c config) bool { return c.TLS == "off" }, ""},
		{"tls off public", []string{"--tls", "off", "--listen", "0.0.0.0:80"}, nil, nil, "only allowed on a loopback"},
		{"dev public", []string{"--dev", "--listen", "0.0.0.0:8443"}, nil, nil, "--dev"},
		{"bad listen", []string{"--listen", "nonsense"}, nil, nil, "not host:port"},
		{"bad store", []string{"--store", "mysql://x"}, nil, nil, "--store"},
		{"cert without key", []string{"--tls-cert", "a.pem"}, nil, nil, "go together"},
		{"smtp without from", []string{"--smtp-addr", "127.0.0.1:25"}, nil, nil, "--smtp-from"},
		{"pki listen", []string{"--pki-listen", "127.0.0.1:8080"}, nil, func(c config) bool { return c.PKIListen == "127.0.0.1:8080" }, ""},
		{"bad pki listen", []string{"--pki-listen", "8080"}, nil, nil, "--pki-listen"},
		{"dev pki listen public", []string{"--dev", "--pki-listen", "0.0.0.0:8080"}, nil, nil, "--pki-listen \"0.0.0.0:8080\" is not one"},
		{"dev pki listen any port", []string{"--dev", "--pki-listen", ":8080"}, nil, nil, "is not one"},
		{"dev pki listen loopback", []string{"--dev", "--pki-listen", "[::1]:8080"}, nil, func(c config) bool { return c.Dev && c.PKIListen == "[::1]:8080" }, ""},
		{"pki listen public without dev", []string{"--pki-listen", "0.0.0.0:8080"}, nil, func(c config) bool { return c.PKIListen == "0.0.0.0:8080" }, ""},
		{"bad log level", []string{"--log-level", "loud"}, nil, nil, "--log-level"},
		{"unknown key in file", []string{"--config", bad}, nil, nil, "unknown field"},
		{"bad env bool", nil, map[string]string{"SEALDESK_DEV": "maybe"}, nil, "not a boolean"},
		{"stray argument", []string{"extra"}, nil, nil, "unexpected arguments"},
		{"free contracts", []string{"--free-contracts"}, nil, func(c config) bool { return c.FreeContracts }, ""},
		{"billing packages", []string{"--billing-packages", "/etc/p.json"}, nil, func(c config) bool { return c.BillingPackages == "/etc/p.json" }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cfg, err := loadConfig(fs, c.args, env(c.env))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || !c.check(cfg) {
				t.Fatalf("%+v %v", cfg, err)
			}
		})
	}
}

func TestUnknownSubcommand(t *testing.T) {
	if code := realMain(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard, env(nil)); code != 2 {
		t.Fatalf("exit %d", code)
	}
}
