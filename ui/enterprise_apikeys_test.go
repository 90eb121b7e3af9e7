package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sealdesk/core/server"
)

// openGet signs a GET of the open API with a key as a business system would and returns the
// status and error code.
func openGet(t *testing.T, run *server.Running, keyID, secret, uri string) (int, string) {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := "ui-test-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	sum := sha256.Sum256(nil)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("GET\n" + uri + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])))
	req, _ := http.NewRequest("GET", run.URL+uri, nil)
	req.Header.Set("X-SealDesk-Key", keyID)
	req.Header.Set("X-SealDesk-Timestamp", ts)
	req.Header.Set("X-SealDesk-Nonce", nonce)
	req.Header.Set("X-SealDesk-Signature", hex.EncodeToString(m.Sum(nil)))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(run.Server.RootPEM())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb struct {
		Error struct{ Code string } `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&eb)
	return resp.StatusCode, eb.Error.Code
}

// 开放接口 against a real server: the form refuses a key without a name or scope; a created key
// shows its secret once, 复制密钥 puts it on the clipboard, and the secret signs requests the
// server accepts; the list shows the key, its scopes and its last use; 吊销 (after confirming)
// ends it at once; a plain member gets the server's refusal in Chinese.
func TestAPIKeysPanel(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	pa := newTestParty(t, run, "张管理")
	pb := newTestParty(t, run, "李成员")
	ent := newEnterprise(t, pa, "杭州接口测试有限公司", "91330106MA2HKWK02")
	joinEnterprise(t, pa, pb, ent)

	s, w := billingShell(t, pa, ent)
	p := newAPIKeysPanel(s)
	p.Reload()
	p.Wait()
	if p.Status.Visible() || len(p.List) != 0 || len(p.Scopes.Selected) != 3 {
		t.Fatalf("fresh panel: status %q, %d keys, scopes %v", p.Status.Text, len(p.List), p.Scopes.Selected)
	}
	test.Tap(p.Create)
	if !strings.Contains(p.Status.Text, "名称") {
		t.Fatalf("no name: %q", p.Status.Text)
	}
	test.Type(p.Name, "ERP 正式环境")
	p.Scopes.SetSelected(nil)
	test.Tap(p.Create)
	if !strings.Contains(p.Status.Text, "权限范围") {
		t.Fatalf("no scope: %q", p.Status.Text)
	}
	p.Scopes.SetSelected([]string{"查询状态", "下载文件"})
	test.Tap(p.Create)
	p.Wait()
	p.Wait()
	secret, id := p.Secret.Text, p.KeyID.Text
	if !p.SecretBox.Visible() || !strings.HasPrefix(secret, "sk_") || len(p.List) != 1 || p.List[0].ID != id ||
		strings.Join(p.List[0].Scopes, ",") != "read,download" || p.Name.Text != "" {
		t.Fatalf("after create: secret %q, list %+v, status %q", secret, p.List, p.Status.Text)
	}
	test.Tap(p.Copy)
	if got := fyne.CurrentApp().Clipboard().Content(); got != secret || p.Copy.Text != "已复制" {
		t.Errorf("clipboard %q, button %q", got, p.Copy.Text)
	}
	test.Tap(p.Done)
	if p.SecretBox.Visible() || p.Secret.Text != "" {
		t.Error("the secret stays on screen after 我已保存")
	}
	// The secret works: an envelope that does not exist is not found (the request got through).
	if st, code := openGet(t, run, id, secret, "/api/v1/open/envelopes/env_nothing"); st != 404 || code != "not_found" {
		t.Fatalf("signed with the new key: %d %s", st, code)
	}
	p.Reload()
	p.Wait()
	line := p.Rows[id].Text
	if !strings.Contains(line, "ERP 正式环境") || !strings.Contains(line, "查询状态、下载文件") || strings.Contains(line, "从未使用") ||
		!strings.Contains(line, "张管理") || p.Revoke[id] == nil {
		t.Errorf("line %q", line)
	}
	// 吊销 asks first; then the key is refused at once.
	test.Tap(p.Revoke[id])
	if len(w.Canvas().Overlays().List()) == 0 {
		t.Error("吊销 did not ask for confirmation")
	}
	p.RevokeKey(id)
	p.Wait()
	p.Wait()
	if !strings.Contains(p.Rows[id].Text, "吊销") || p.Revoke[id] != nil || p.List[0].Revoked.IsZero() {
		t.Errorf("after revoke: %q", p.Rows[id].Text)
	}
	if st, code := openGet(t, run, id, secret, "/api/v1/open/envelopes/env_nothing"); st != 401 || code != "key_revoked" {
		t.Errorf("revoked key: %d %s", st, code)
	}
	// A plain member: the server refuses, in Chinese.
	sb, _ := billingShell(t, pb, ent)
	pm := newAPIKeysPanel(sb)
	pm.Reload()
	pm.Wait()
	if !pm.Status.Visible() || !strings.Contains(pm.Status.Text, "权限") {
		t.Errorf("member sees %q", pm.Status.Text)
	}
}
