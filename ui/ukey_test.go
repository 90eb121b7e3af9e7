//go:build cgo

package ui

import (
	"context"
	"crypto"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"sealdesk/core/pdf/render"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"sealdesk/core/keystore"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/sealkey/pkcs11key"
	"sealdesk/core/sealkey/pkcs11key/softhsmtest"
	"sealdesk/core/sign"
	"sealdesk/core/verify"
)

// removedToken is a UKey pulled out while the document is being signed: the first Sign ends
// this process's session to the token, then asks the token to sign.
type removedToken struct {
	crypto.Signer
	p   *pkcs11key.Personal
	ref keystore.TokenRef
}

func (r removedToken) Sign(rd io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	r.p.Logout(r.ref)
	return r.Signer.Sign(rd, d, o)
}

// TestUKeyEnrolAndSign uses SoftHSM2 as the UKey: 设置 › 签名密钥 lists it, the key pair and
// the CSR are made on it (a wrong token PIN is refused by the token and said in Chinese), the
// sign screen signs a placed field with it (the PIN going to the token), our verifier and
// pdfsig accept the result, and a token pulled out mid-signing leaves no file.
func TestUKeyEnrolAndSign(t *testing.T) {
	cfg := softhsmtest.Token(t)
	now := time.Now()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	lib := &memLibrary{}
	lib.Save(drawnSignature(t))
	personal := pkcs11key.NewPersonal()
	t.Cleanup(func() { personal.Close() })
	local := &LocalServices{Prefs: &memPrefs{}, Library: lib, PlatformRoots: []*x509.Certificate{p.Root},
		Keys:   keystore.New(&memKeys{}, &keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}, Tokens: personal}),
		Tokens: personal, CA: newTestCA(t, p)}
	v, _ := newSendTest(t, local)
	shell := v.place.shell

	// 设置 › 签名密钥: without an OS store the panel says so and advises a passphrase.
	shell.Show(NavSettings)
	kp := shell.Screen(NavSettings).(*SettingsScreen).Keys
	if kp == nil || !strings.Contains(kp.Protection.Text, "本机没有可用的系统密钥库") || !strings.Contains(kp.Protection.Text, "12 个字符的口令") {
		t.Fatalf("protection: %+v", kp)
	}
	if !strings.Contains(kp.DevicesStatus.Text, "请先在 设置 › 服务器 中登录") {
		t.Errorf("devices without a session: %q", kp.DevicesStatus.Text)
	}
	kp.Module.SetText(cfg.Module)
	test.Tap(kp.Find)
	waitUntil(t, "the token list", func() bool { return kp.Pick.Visible() })
	if kp.Pick.Selected != cfg.TokenLabel || !strings.Contains(kp.TokenList.Text, "SoftHSM") || kp.Enrol.Disabled() {
		t.Fatalf("tokens: %q %q", kp.Pick.Selected, kp.TokenList.Text)
	}
	test.Tap(kp.Enrol)
	d := kp.enrolDlg
	d.Name.SetText("张三")
	d.ID.SetText("11010519491231002X")
	d.PIN.SetText("99999999")
	d.Form.OnSubmit()
	waitUntil(t, "the refused PIN", func() bool { return strings.Contains(d.Msg.Text, "UKey 拒绝了这个 PIN") })
	if list, _ := local.Keys.List(); len(list) != 0 {
		t.Fatalf("a refused PIN left a key: %+v", list)
	}
	d.PIN.SetText(cfg.PIN)
	d.Form.OnSubmit()
	waitUntil(t, "the key on the token", func() bool { return strings.Contains(kp.UKeyStatus.Text, "已在 UKey 上生成签名密钥") })
	in, ok := currentKey(local.Keys)
	if !ok || in.Token == nil || in.Certificate == nil || in.Certificate.Subject.CommonName != "张三" {
		t.Fatalf("token key: %+v (%q)", in, kp.UKeyStatus.Text)
	}
	if !strings.Contains(kp.Current.Text, "在 UKey「"+cfg.TokenLabel+"」上") {
		t.Errorf("current: %q", kp.Current.Text)
	}
	// The certificate went onto the token too.
	toks, err := pkcs11key.ListTokens(cfg.Module)
	if err != nil || len(toks) != 1 || len(toks[0].Certificates) != 1 || !toks[0].Certificates[0].Cert.Equal(in.Certificate) {
		t.Fatalf("certificate on the token: %+v %v", toks, err)
	}

	// The sign screen: a placed field, signed with the UKey.
	in0 := writeTestPDF(t, "contract.pdf", a4Pages(1))
	pl := v.place
	shell.Show(NavSend)
	pl.OpenFiles([]string{in0})
	workers.drain(&pl.wg)
	pl.pv.Wait()
	dragPalette(pl.palette[0], absOfDisplay(pl.pv, 0, 150, 600))
	placed := filepath.Join(t.TempDir(), "contract-待签.pdf")
	pl.saveTo(placed)
	workers.drain(&pl.wg)
	sg := v.sign
	sg.OpenFiles([]string{placed})
	workers.drain(&sg.wg)
	sg.pv.Wait()
	if sg.selected == nil {
		t.Fatalf("no target (%q)", sg.status.Text)
	}
	sg.image.SetSelectedIndex(0)
	before := fileSum(t, placed)
	out := filepath.Join(t.TempDir(), "contract-已签.pdf")
	sg.signTo("99999999", out)
	workers.drain(&sg.wg)
	if !strings.Contains(sg.status.Text, "UKey 拒绝了这个 PIN") {
		t.Fatalf("wrong token PIN: %q", sg.status.Text)
	}
	if _, err := os.Stat(out); err == nil || fileSum(t, placed) != before {
		t.Fatal("a wrong token PIN wrote something")
	}
	sg.signTo(cfg.PIN, out)
	workers.drain(&sg.wg)
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("sign with the UKey: %q", sg.status.Text)
	}
	rep, err := verify.File(context.Background(), out, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(p.Root)})
	if err != nil || len(rep.Signatures) != 1 || rep.Signatures[0].Integrity != "valid" || rep.Signatures[0].Trust != "trusted" {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	pdfsigCheck(t, out, 1)

	// The token pulled out mid-signing: the token's failure is said, nothing is written.
	signer, err := local.Keys.Unlock(in.ID, cfg.PIN)
	if err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(t.TempDir(), "contract-拔出.pdf")
	_, err = signWithSigner(context.Background(), removedToken{signer, personal, *in.Token}, placed, out2, &sign.Options{
		Cert: in.Certificate, Chain: in.Chain, Page: 1, Rect: sign.VisibleRect{X1: 300, Y1: 100, X2: 400, Y2: 150}, Image: drawnSignature(t).PNG}, nil)
	if err == nil || !strings.Contains(errMessage(err), "UKey 在签名过程中出错或被拔出") {
		t.Fatalf("token removed: %v (%q)", err, errMessage(err))
	}
	if _, err := os.Stat(out2); err == nil || fileSum(t, placed) != before {
		t.Fatal("a token pulled out mid-signing left a file or changed the input")
	}
	entries, _ := os.ReadDir(filepath.Dir(out2))
	if len(entries) != 0 {
		t.Fatalf("partial files left: %v", entries)
	}
}
