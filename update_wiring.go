package main

// The desktop's self-update and diagnostics, wired to the session's server and the data folder.

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/diag"
	"sealdesk/core/session"
	"sealdesk/core/update"
	"sealdesk/ui"
)

// releaseKey is the Ed25519 public key (base64) that signs SealDesk releases, compiled in with
// `go build -ldflags "-X main.releaseKey=…"` (make build-desktop RELEASE_PUBKEY=…; sealctl release
// keygen prints it). Empty in development builds: 检查更新 then says this build cannot update.
// Tests set it to a key they generate.
var releaseKey string

// updatesDir is where downloaded installers go inside the data folder.
const updatesDir = "updates"

// newUpdater builds 设置 › 关于's self-update: manifests from the chosen remote server (its
// pinned CA), checked with releaseKey; in 本机 mode there is no update server.
func newUpdater(dataDir string, d *desk, log *diag.Log) *update.Service {
	key, err := update.ParsePublicKey(releaseKey)
	if err != nil && releaseKey != "" {
		log.Printf("error: the compiled-in release key is unusable: %v", err)
	}
	svc := &update.Service{
		Checker: update.Checker{Key: key, Current: version, Platform: runtime.GOOS + "-" + runtime.GOARCH,
			Dir: filepath.Join(dataDir, updatesDir)},
		Installer: update.Installer{GOOS: runtime.GOOS},
		Log:       log.Printf,
	}
	if d != nil {
		svc.Checker.State = d.store
	}
	svc.SourceFor = func() (update.Source, error) {
		s := d.Session()
		if s == nil || s.Server().Mode != session.ModeRemote {
			return nil, &update.Error{Reason: update.ReasonNoServer}
		}
		cfg := s.Server()
		c, err := client.New(cfg.URL, []byte(cfg.RootPEM))
		if err != nil {
			return nil, &update.Error{Reason: update.ReasonNetwork, Err: err}
		}
		return client.Updates{C: c}, nil
	}
	return svc
}

// diagnostics writes 导出诊断信息's zip (core/diag.Export): logs and versions, nothing else.
type diagnostics struct {
	dataDir  string
	desk     *desk
	settings ui.SettingsStore
}

var _ ui.DiagnosticsService = diagnostics{}

func (x diagnostics) Export(path string) error {
	v := diag.Versions{App: version, Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH + osRelease(),
		Language: x.settings.Language(), Server: "本机 (embedded backend)"}
	if s := x.desk.Session(); s != nil && s.Server().Mode == session.ModeRemote {
		v.Server = s.Server().URL
	}
	for _, k := range []string{"LIBGL_ALWAYS_SOFTWARE", "GALLIUM_DRIVER", "FYNE_SCALE", "FYNE_THEME", "WINEPREFIX"} {
		if val := os.Getenv(k); val != "" {
			v.Extra = append(v.Extra, k+"="+val)
		}
	}
	return diag.Export(path, x.dataDir, v, time.Now())
}

// osRelease is " (Debian GNU/Linux 13)" from /etc/os-release where there is one.
func osRelease() string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
			return " (" + strings.Trim(v, `"`) + ")"
		}
	}
	return ""
}
