package ui

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sealdesk/core/org"
	"sealdesk/core/server"
)

var outboxCodeRE = regexp.MustCompile(`验证码是 ([0-9]{6})`)

func lastOutboxCode(t *testing.T, run *server.Running, login string) string {
	t.Helper()
	msgs := run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := outboxCodeRE.FindStringSubmatch(msgs[i].Body); m != nil && msgs[i].To == login {
			return m[1]
		}
	}
	t.Fatalf("no code for %s", login)
	return ""
}

// Test-driver run of 设置 › 账户安全 against a real server: 账号信息, 修改登录密码 (a wrong current
// password is refused in Chinese and changes nothing; the right one changes it), 二次校验 on, and off
// only with the code, and the device key's certificate exported as PEM and DER (no private key).
func TestAccountPanel(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	a := newTestParty(t, run, "王菲菲")
	w := test.NewTempWindow(t, nil)
	s := NewShell(fyne.CurrentApp(), w, Services{Settings: &memSettings{lang: LangChinese, dir: t.TempDir()}, Renderer: pagesRenderer{},
		Local: a.local, Conn: &testConn{c: a.c}})
	t.Cleanup(s.StopWatching)
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1366, 768))
	s.Show(NavSettings)
	p := s.Screen(NavSettings).(*SettingsScreen).Account
	p.Wait()
	masked := a.phone[:3] + "****" + a.phone[7:]
	for _, want := range []string{"账号：" + masked, "姓名：王菲菲", "注册时间：20", "实名状态：已认证（王菲菲）"} {
		if !strings.Contains(p.Info.Text, want) {
			t.Errorf("account information %q lacks %q", p.Info.Text, want)
		}
	}
	login := func(pw string) error {
		c := newTestParty(t, run, "x").c // a fresh client
		_, err := c.Login(t.Context(), org.LoginRequest{Login: a.phone, Password: pw})
		return err
	}
	// 修改登录密码 with a wrong current password.
	test.Tap(p.ChangePw)
	d := p.PwDialog
	d.Current.SetText("Wrong0Pass")
	d.New.SetText("NewPassw0rd")
	d.New2.SetText("NewPassw0rd")
	test.Tap(d.Submit)
	p.Wait()
	if d.Msg.Text != "当前密码错误，登录密码未修改" {
		t.Errorf("wrong current password says %q", d.Msg.Text)
	}
	if err := login("Passw0rdX"); err != nil {
		t.Fatalf("the old password after a refused change: %v", err)
	}
	d.New2.SetText("Different0")
	test.Tap(d.Submit)
	if d.Msg.Text != "两次输入的密码不一致" {
		t.Errorf("mismatch says %q", d.Msg.Text)
	}
	d.Current.SetText("Passw0rdX")
	d.New2.SetText("NewPassw0rd")
	test.Tap(d.Submit)
	p.Wait()
	if p.Msg.Text != "登录密码已修改。" {
		t.Errorf("after the change: %q / %q", p.Msg.Text, d.Msg.Text)
	}
	if err := login("NewPassw0rd"); err != nil {
		t.Errorf("the new password: %v", err)
	}

	// 二次校验 on; off needs the code.
	test.Tap(p.SecondCheck)
	p.Wait()
	if me, _ := a.c.Me(t.Context()); !me.SecondCheck || p.Msg.Text != "二次校验已开启。" {
		t.Fatalf("second check on: %v %q", me.SecondCheck, p.Msg.Text)
	}
	test.Tap(p.SecondCheck)
	if p.CodeDialog == nil || !p.SecondCheck.Checked {
		t.Fatal("switching off did not ask for a code")
	}
	cd := p.CodeDialog
	cd.Code.SetText("000000")
	test.Tap(cd.Submit)
	p.Wait()
	if !strings.Contains(cd.Msg.Text, "验证码") {
		t.Errorf("a code never sent says %q", cd.Msg.Text)
	}
	test.Tap(cd.Send)
	p.Wait()
	cd.Code.SetText(lastOutboxCode(t, run, a.phone))
	test.Tap(cd.Submit)
	p.Wait()
	if me, _ := a.c.Me(t.Context()); me.SecondCheck || p.SecondCheck.Checked {
		t.Errorf("second check after the code: %v %v", me.SecondCheck, p.SecondCheck.Checked)
	}

	// 实名认证CA证书: one row, exported as PEM and DER.
	if len(p.Certs.Objects) != 1 || p.CertMsg.Text != "本机共 1 张证书" {
		t.Fatalf("certificates: %d %q", len(p.Certs.Objects), p.CertMsg.Text)
	}
	infos, _ := a.local.Keys.List()
	dir := t.TempDir()
	for _, f := range []string{"pem", "der"} {
		p.exportCert(infos[0].Certificate, f)
		p.LastSave.dir = dir
		p.LastSave.name.SetText("cert-" + f)
		test.Tap(p.LastSave.save)
		p.Wait()
	}
	pemData, err := os.ReadFile(filepath.Join(dir, "cert-pem.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, rest := pem.Decode(pemData)
	if blk == nil || blk.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 || bytes.Contains(pemData, []byte("PRIVATE")) {
		t.Fatalf("pem export: %q", pemData)
	}
	der, err := os.ReadFile(filepath.Join(dir, "cert-der.cer"))
	if err != nil || !bytes.Equal(der, blk.Bytes) {
		t.Fatalf("der export differs from pem: %v", err)
	}
	if c, err := x509.ParseCertificate(der); err != nil || c.Subject.CommonName != "王菲菲" {
		t.Errorf("exported certificate: %v", err)
	}
}
