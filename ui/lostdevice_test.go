package ui

import (
	"context"
	"crypto/x509/pkix"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sealdesk/core/client"
	"sealdesk/core/keyguard"
	"sealdesk/core/keystore"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
)

// TestReportLostFromSettings: device B of the same person (a real server on loopback) lists the
// account's certificates by device in 设置 › 签名密钥, marks its own, reports device A lost
// through the confirmation, and sees A's certificate 已吊销 with the time; the server agrees.
func TestReportLostFromSettings(t *testing.T) {
	run := contractsServer(t)
	newContractsApp(t)
	a := newTestParty(t, run, "李四")
	ctx := context.Background()

	cb, err := client.New(run.URL, run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	cb.DeviceName = "李四的备用笔记本"
	if _, err := cb.Login(ctx, org.LoginRequest{Login: a.phone, Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	ksB := keystore.New(&memKeys{}, &keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}})
	in, _ := ksB.Generate("135790")
	csr, _ := ksB.CSR(in.ID, "135790", pkix.Name{CommonName: "李四"})
	resp, err := cb.RequestCertificate(ctx, csr)
	if err != nil {
		t.Fatal(err)
	}
	chain, _ := pki.ParseCertsPEM([]byte(resp.Certificate + "\n" + resp.Chain))
	ksB.SetCertificate(in.ID, chain)

	w := test.NewTempWindow(t, nil)
	s := NewShell(fyne.CurrentApp(), w, Services{Settings: &memSettings{lang: LangChinese, dir: t.TempDir()}, Renderer: pagesRenderer{},
		Local: &LocalServices{Prefs: &memPrefs{}, Keys: ksB}, Conn: &testConn{c: cb}})
	t.Cleanup(s.StopWatching)
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1200, 860))
	s.Show(NavSettings)
	kp := s.Screen(NavSettings).(*SettingsScreen).Keys
	waitUntil(t, "the certificates", func() bool { return len(kp.RevokeButtons) == 2 })
	serialA := ""
	for serial := range kp.RevokeButtons {
		if serial != resp.Serial {
			serialA = serial
		}
	}
	rows := dialogTexts(kp.Devices)
	all := strings.Join(rows, " | ")
	if !strings.Contains(all, "李四的备用笔记本（本机）") || !strings.Contains(all, "SealDesk 测试桌面（李四）：") {
		t.Fatalf("rows: %s", all)
	}
	test.Tap(kp.RevokeButtons[serialA])
	top := w.Canvas().Overlays().Top()
	if top == nil || !strings.Contains(strings.Join(dialogTexts(top), " "), "不能撤销") {
		t.Fatal("no confirmation before revoking")
	}
	test.Tap(findButton(t, top, "挂失"))
	waitUntil(t, "the revocation", func() bool { return strings.Contains(kp.DevicesStatus.Text, "已挂失") })
	all = strings.Join(dialogTexts(kp.Devices), " | ")
	if !strings.Contains(all, "已吊销（") || len(kp.RevokeButtons) != 1 || kp.RevokeButtons[resp.Serial] == nil {
		t.Fatalf("after 挂失: %s (%d buttons)", all, len(kp.RevokeButtons))
	}
	list, err := a.c.Certificates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.Serial == serialA && !c.Revoked {
			t.Fatal("the server did not revoke device A's certificate")
		}
		if c.Serial == resp.Serial && c.Revoked {
			t.Fatal("device B's own certificate was revoked")
		}
	}
}

// osKeyring is one OS account's keyring for core/keyguard.
type osKeyring map[string]string

func (k osKeyring) Get(service, user string) (string, error) {
	if s, ok := k[service+"/"+user]; ok {
		return s, nil
	}
	return "", keyguard.ErrItemNotFound
}
func (k osKeyring) Set(service, user, s string) error { k[service+"/"+user] = s; return nil }
func (k osKeyring) Delete(service, user string) error { delete(k, service+"/"+user); return nil }

// TestKeyNotHere: the data folder's key opened under another OS account (another keyring): the
// sign screen says so in Chinese without trying the PIN, and offers 挂失 and a new certificate;
// the new key needs no current PIN (the old one cannot be tried here anyway).
func TestKeyNotHere(t *testing.T) {
	now := time.Now()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	keys := &memKeys{}
	fast := keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}
	mine := keystore.New(keys, &keystore.Options{Params: fast, Guard: keyguard.NewKeyringGuard("secret-service", "test", osKeyring{})})
	in, _ := mine.Generate("135790")
	csr, _ := mine.CSR(in.ID, "135790", pkix.Name{CommonName: "张三"})
	ca := newTestCA(t, p)
	chain, err := ca.Certify(context.Background(), csr, "张三", "11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	mine.SetCertificate(in.ID, chain)

	other := keystore.New(keys, &keystore.Options{Params: fast, Guard: keyguard.NewKeyringGuard("secret-service", "test", osKeyring{})})
	local := &LocalServices{Prefs: &memPrefs{}, Library: &memLibrary{}, Keys: other, CA: ca}
	v, w := newSendTest(t, local)
	sg := v.sign
	sg.signTo("135790", filepath.Join(t.TempDir(), "x.pdf"))
	workers.drain(&sg.wg)
	if !strings.Contains(sg.status.Text, "无法打开本机保存的签名密钥") || !strings.Contains(sg.status.Text, "签约密码没有被尝试") {
		t.Fatalf("status: %q", sg.status.Text)
	}
	if got, _ := other.Info(in.ID); got.Failures != 0 {
		t.Fatal("a PIN was counted")
	}
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog")
	}
	texts := strings.Join(dialogTexts(top), " ")
	if !strings.Contains(texts, "挂失…") || !strings.Contains(texts, "重新申请证书…") {
		t.Fatalf("dialog: %s", texts)
	}
	test.Tap(findButton(t, top, "重新申请证书…"))
	// Replacing a certified key asks to confirm first, then shows the form without the current PIN.
	if c := w.Canvas().Overlays().Top(); c != nil && strings.Contains(strings.Join(dialogTexts(c), " "), "替换") {
		test.Tap(findButton(t, c, tr("sign.key.renew.ok")))
	}
	if sg.keyDlg == nil || sg.keyDlg.cur != nil {
		t.Fatalf("key dialog: %+v", sg.keyDlg)
	}
	if err := sg.makeKey("", "张三", "11010519491231002X", "a long passphrase", "a long passphrase", nil); err != nil {
		t.Fatal(err)
	}
	workers.drain(&sg.wg)
	list, _ := other.List()
	if len(list) != 1 || list[0].ID == in.ID || list[0].Certificate == nil || list[0].Secret != keystore.SecretPassphrase {
		t.Fatalf("new key: %+v (%q)", list, sg.status.Text)
	}
}
