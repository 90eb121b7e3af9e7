package ui

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/client"
	"sealdesk/core/diag"
	"sealdesk/core/server"
	"sealdesk/core/update"
	"sealdesk/store/bolt"
)

// updateRig is a real server on 127.0.0.1 serving an updates folder, a release key pair made
// here, and the desktop's update service pointed at the server.
type updateRig struct {
	dir     string
	priv    ed25519.PrivateKey
	svc     *update.Service
	prefs   *memPrefs
	ran     []string // the installer command started
	payload []byte
	seq     uint64
}

const testPlatform = "windows-amd64"

func newUpdateRig(t *testing.T) *updateRig {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	r := &updateRig{dir: t.TempDir(), priv: priv, prefs: &memPrefs{}, payload: make([]byte, 200<<10), seq: 10}
	rand.Read(r.payload)
	st, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	run, err := server.Start(context.Background(), server.Options{Store: st, MasterKey: key, UpdatesDir: r.dir},
		server.ListenOptions{TLS: true})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		run.Shutdown(context.Background())
		st.Close()
	})
	c, err := client.New(run.URL, run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	r.svc = &update.Service{
		Checker: update.Checker{Key: pub, Current: "0.1.0", Platform: testPlatform, State: r.prefs,
			Dir: filepath.Join(t.TempDir(), "updates")},
		SourceFor: func() (update.Source, error) { return client.Updates{C: c}, nil },
		Installer: update.Installer{GOOS: "windows", Start: func(name string, args ...string) error {
			r.ran = append([]string{name}, args...)
			return nil
		}},
	}
	return r
}

// publish signs a manifest for version with key (the rig's own when nil) and writes it and the
// file (content: the rig's payload when nil) into the updates folder.
func (r *updateRig) publish(t *testing.T, version string, key ed25519.PrivateKey, content []byte) {
	t.Helper()
	if key == nil {
		key = r.priv
	}
	if content == nil {
		content = r.payload
	}
	sum := sha256.Sum256(r.payload)
	r.seq++
	m := update.Manifest{Product: update.Product, Version: version, Platform: testPlatform, Sequence: r.seq,
		IssuedAt: time.Now().UTC(), File: "SealDesk-" + version + "-x64.msi", Size: int64(len(r.payload)),
		SHA256: hex.EncodeToString(sum[:]), Notes: map[string]string{"zh": "新增：导出诊断信息。\n修复：验签卡片的时间。", "en": "New: export diagnostics."}}
	b, err := update.Sign(m, key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(r.dir, testPlatform+".json"), b, 0o644)
	os.WriteFile(filepath.Join(r.dir, m.File), content, 0o644)
}

func newAboutShell(t *testing.T, svc Services) (*Shell, *SettingsScreen, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(NewTheme())
	if err := SetLanguage(LangChinese); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = SetLanguage(LangChinese) })
	if svc.Settings == nil {
		svc.Settings = &memSettings{lang: LangChinese, dir: filepath.Join(t.TempDir(), "data")}
	}
	svc.Version = "0.1.0"
	w := test.NewTempWindow(t, nil)
	s := NewShell(a, w, svc)
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1000, 700))
	s.Show(NavSettings)
	return s, settingsScreen(t, s), w
}

// TestAboutUpdateJourney: 设置 › 关于 › 检查更新 against a real server: 发现新版本 with the
// Chinese release notes and the size; 下载并安装 downloads, checks and starts msiexec, then quits.
func TestAboutUpdateJourney(t *testing.T) {
	rig := newUpdateRig(t)
	rig.publish(t, "0.2.0", nil, nil)
	_, sc, w := newAboutShell(t, Services{Updates: rig.svc})
	p := sc.About
	quits := 0
	p.Quit = func() { quits++ }
	if p.CheckUpdate.Text != "检查更新" || p.Export.Text != "导出诊断信息" || !p.AutoCheck.Checked || p.AutoCheck.Text != "启动时自动检查更新（每天最多一次）" {
		t.Fatalf("关于: %q %q %q %v", p.CheckUpdate.Text, p.Export.Text, p.AutoCheck.Text, p.AutoCheck.Checked)
	}
	if p.Export.Disabled() == false {
		t.Error("导出诊断信息 is enabled without a diagnostics service")
	}
	test.Tap(p.CheckUpdate)
	waitUntil(t, "the offer", func() bool { return p.Offer != nil })
	settleAbout(p)
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("no dialog shown")
	}
	texts := strings.Join(dialogTexts(w.Canvas().Overlays().Top()), " | ")
	for _, want := range []string{"发现新版本 0.2.0", "当前版本 0.1.0", "200 KB", "新增：导出诊断信息。", "下载并安装", "以后再说"} {
		if !strings.Contains(texts, want) {
			t.Errorf("offer lacks %q: %s", want, texts)
		}
	}
	test.Tap(p.OfferInstall)
	waitUntil(t, "the installer", func() bool { return quits == 1 })
	settleAbout(p)
	want := filepath.Join(rig.svc.Checker.Dir, "SealDesk-0.2.0-x64.msi")
	if strings.Join(rig.ran, " ") != "msiexec /i "+want {
		t.Fatalf("ran %q", rig.ran)
	}
	if got, _ := os.ReadFile(want); !bytes.Equal(got, rig.payload) {
		t.Fatal("the installer on disk is not the published file")
	}
	if p.Progress.Value != 1 {
		t.Errorf("progress %v at the end", p.Progress.Value)
	}
	texts = strings.Join(dialogTexts(w.Canvas().Overlays().Top()), " | ")
	if !strings.Contains(texts, "正在启动安装程序，SealDesk 即将退出") {
		t.Errorf("after install: %s", texts)
	}
}

// TestAboutUpdateRefusals: each refusal is one Chinese sentence in 关于, in red, naming what was
// wrong; a tampered download is refused inside the offer and leaves nothing behind.
func TestAboutUpdateRefusals(t *testing.T) {
	rig := newUpdateRig(t)
	_, sc, w := newAboutShell(t, Services{Updates: rig.svc})
	p := sc.About
	p.Quit = func() { t.Error("quit after a refused update") }
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	check := func(want string, danger bool) {
		t.Helper()
		p.Offer = nil
		test.Tap(p.CheckUpdate)
		waitUntil(t, want, func() bool { return strings.Contains(p.Status.Text, want) })
		settleAbout(p)
		if p.Offer != nil {
			t.Errorf("%s: an offer was shown", want)
		}
		if (p.Status.Importance == widget.DangerImportance) != danger {
			t.Errorf("%s: importance %v", want, p.Status.Importance)
		}
		if englishWords([]string{p.Status.Text}) != nil {
			t.Errorf("English in %q", p.Status.Text)
		}
	}
	check("服务器没有发布适用于本机（windows-amd64）的更新", true) // nothing published yet
	rig.publish(t, "0.2.0", otherKey, nil)
	check("不是由 SealDesk 的发布密钥签名的", true)
	rig.publish(t, "0.1.0", nil, nil)
	check("已是最新版本（0.1.0）", false)
	rig.publish(t, "0.0.9", nil, nil)
	check("服务器提供的版本 0.0.9 不高于当前版本 0.1.0，不允许降级", true)

	// a replayed older manifest: sequence below the one just accepted
	rig.seq -= 5
	rig.publish(t, "0.2.0", nil, nil)
	check("可能是重放的旧清单", true)
	rig.seq += 10

	// tampered file: refused after the download, in the offer
	bad := bytes.Clone(rig.payload)
	bad[7] ^= 0xff
	rig.publish(t, "0.2.0", nil, bad)
	p.Offer = nil
	test.Tap(p.CheckUpdate)
	waitUntil(t, "the offer", func() bool { return p.Offer != nil })
	settleAbout(p)
	test.Tap(p.OfferInstall)
	var texts string
	waitUntil(t, "the refusal", func() bool {
		texts = strings.Join(dialogTexts(w.Canvas().Overlays().Top()), " | ")
		return strings.Contains(texts, "校验值（SHA-256）与更新清单不符")
	})
	settleAbout(p)
	if rig.ran != nil {
		t.Errorf("the installer ran: %q", rig.ran)
	}
	if p.OfferInstall.Disabled() {
		t.Error("下载并安装 stays disabled after the refusal")
	}
	if ents, _ := os.ReadDir(rig.svc.Checker.Dir); len(ents) != 0 {
		t.Errorf("the refused download left %v", ents)
	}

	// 单机模式: no update server
	rig.svc.SourceFor = func() (update.Source, error) { return nil, &update.Error{Reason: update.ReasonNoServer} }
	check("当前为单机模式，没有更新服务器", true)
}

// TestAboutAutoCheck: the daily check at start is on by default, runs at most once a day, and
// the check box turns it off for good.
func TestAboutAutoCheck(t *testing.T) {
	rig := newUpdateRig(t)
	rig.publish(t, "0.2.0", nil, nil)
	s, sc, _ := newAboutShell(t, Services{Updates: rig.svc})
	p := sc.About
	s.CheckAtStart()
	waitUntil(t, "the offer at start", func() bool { return p.Offer != nil })
	settleAbout(p)
	p.Offer.Hide()
	p.Offer = nil
	s.CheckAtStart() // the same day: nothing
	settleAbout(p)
	if p.Offer != nil {
		t.Fatal("a second check on the same day")
	}
	p.AutoCheck.SetChecked(false)
	if v, _, _ := rig.prefs.Setting(update.KeyAuto); v != "off" {
		t.Fatalf("auto check stored as %q", v)
	}
	rig.prefs.SetSetting(update.KeyLastCheck, time.Now().Add(-48*time.Hour).Format(time.RFC3339))
	s.CheckAtStart()
	settleAbout(p)
	if p.Offer != nil {
		t.Fatal("checked at start although turned off")
	}
	// a quiet check says nothing on a refusal
	p.AutoCheck.SetChecked(true)
	rig.publish(t, "0.1.0", nil, nil)
	rig.prefs.SetSetting(update.KeyLastCheck, time.Now().Add(-48*time.Hour).Format(time.RFC3339))
	s.CheckAtStart()
	settleAbout(p)
	if p.Offer != nil || p.Status.Visible() && p.Status.Text != "" {
		t.Errorf("a quiet check showed %q", p.Status.Text)
	}
}

// diagExport is main.go's diagnostics service: core/diag over a data folder.
type diagExport struct{ dataDir string }

func (d diagExport) Export(path string) error {
	return diag.Export(path, d.dataDir, diag.Versions{App: "0.1.0", Go: "go", OS: "linux/amd64"}, time.Now())
}

// TestAboutExportDiagnostics: 导出诊断信息 asks where to save, writes the zip there and says so;
// the zip holds the log, masked, and no key planted in the data folder.
func TestAboutExportDiagnostics(t *testing.T) {
	data := t.TempDir()
	l, err := diag.OpenLog(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Printf("sync failure for 13612345678")
	l.Close()
	os.WriteFile(filepath.Join(data, "backend.key"), []byte("MASTER-KEY-BYTES-0123456789"), 0o600)
	_, sc, _ := newAboutShell(t, Services{Diagnostics: diagExport{data}})
	p := sc.About
	if !p.CheckUpdate.Disabled() {
		t.Error("检查更新 enabled without an update service")
	}
	test.Tap(p.Export)
	if p.LastSave == nil {
		t.Fatal("no save dialog")
	}
	out := t.TempDir()
	p.LastSave.dir = out
	p.LastSave.name.SetText("诊断")
	test.Tap(p.LastSave.save)
	waitUntil(t, "the export", func() bool { return strings.Contains(p.Status.Text, "诊断信息已保存到") })
	settleAbout(p)
	zr, err := zip.OpenReader(filepath.Join(out, "诊断.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var all string
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		all += string(b)
	}
	if !strings.Contains(all, "sync failure for 136****5678") || strings.Contains(all, "13612345678") || strings.Contains(all, "MASTER-KEY-BYTES") {
		t.Errorf("zip content:\n%s", all)
	}
}

// settleAbout waits for the panel's background work and applies its results (uiDo) here.
func settleAbout(p *aboutPanel) {
	p.Wait()
	drainWorkers()
}

// TestAboutUpdateLinuxSaysWhere: on Linux nothing is started; the offer says where the checked
// file is and the app keeps running.
func TestAboutUpdateLinuxSaysWhere(t *testing.T) {
	rig := newUpdateRig(t)
	rig.publish(t, "0.2.0", nil, nil)
	rig.svc.Installer = update.Installer{GOOS: "linux", Start: func(string, ...string) error {
		t.Error("an installer was started on Linux")
		return nil
	}}
	_, sc, w := newAboutShell(t, Services{Updates: rig.svc})
	p := sc.About
	p.Quit = func() { t.Error("quit on Linux") }
	test.Tap(p.CheckUpdate)
	waitUntil(t, "the offer", func() bool { return p.Offer != nil })
	settleAbout(p)
	test.Tap(p.OfferInstall)
	path := filepath.Join(rig.svc.Checker.Dir, "SealDesk-0.2.0-x64.msi")
	waitUntil(t, "the path", func() bool {
		return strings.Contains(strings.Join(dialogTexts(w.Canvas().Overlays().Top()), " | "), "安装包已下载并通过校验："+path)
	})
	settleAbout(p)
	if got, _ := os.ReadFile(path); !bytes.Equal(got, rig.payload) {
		t.Fatal("the checked file is not there")
	}
}
