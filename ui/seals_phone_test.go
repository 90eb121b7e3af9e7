package ui

import (
	"bytes"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// TestPhonePadStrokesReachLibrary: 手写签名 › 获取二维码 shows a QR code for a pad on a real
// server; strokes posted to the pad (as the phone page does) come back through the account's sync
// scope and are saved in 我的印章; 重新获取二维码 voids the old pad.
func TestPhonePadStrokesReachLibrary(t *testing.T) {
	if err := SetLanguage(LangChinese); err != nil {
		t.Fatal(err)
	}
	run := contractsServer(t)
	p := newTestParty(t, run, "周签名")
	lib := p.local.Library.(*memLibrary)
	before, _ := lib.Items()
	s, w := newPartyShell(t, p)
	s.Show(NavSeals)
	v := s.Screen(NavSeals).(*sealsScreen)
	v.tabs.SelectIndex(3) // 手写签名
	v.deferUpdatesForTest()
	t.Cleanup(v.phone.stop)
	ph := v.phone

	test.Tap(ph.btn)
	v.wait()
	first := ph.url
	if first == "" || ph.qr.Resource == nil || len(ph.qr.Resource.Content()) < 100 || ph.btn.Text != "重新获取二维码" {
		t.Fatalf("after 获取二维码: url %q, qr %v, button %q, message %q", first, ph.qr.Resource != nil, ph.btn.Text, ph.msg.Text)
	}
	if !strings.Contains(ph.msg.Text, "扫描二维码") {
		t.Errorf("message %q", ph.msg.Text)
	}
	if dir := os.Getenv("SEALDESK_WEB_SHOTS"); dir != "" {
		f, err := os.Create(filepath.Join(dir, "desktop-phone-pad.png"))
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, w.Canvas().Capture())
		f.Close()
	}
	test.Tap(ph.btn) // 重新获取二维码
	v.wait()
	if ph.url == first || ph.url == "" {
		t.Fatalf("重新获取二维码 gave the same pad %q", ph.url)
	}
	hc := run.HTTPClient()
	post := func(url string) *http.Response {
		body := `{"strokes":{"v":1,"w":60,"h":30,"strokes":[[{"x":5,"y":5,"t":0},{"x":40,"y":20,"t":120}],[{"x":10,"y":25,"t":300},{"x":50,"y":8,"t":420}]]}}`
		resp, err := hc.Post(url, "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := post(first); r.StatusCode != http.StatusGone {
		t.Errorf("the voided pad answered %d", r.StatusCode)
	}
	if r := post(ph.url); r.StatusCode != http.StatusOK {
		t.Fatalf("the pad answered %d", r.StatusCode)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		v.wait()
		ph.mu.Lock()
		n := ph.saved
		ph.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the phone's strokes did not arrive: %q", ph.msg.Text)
		}
		time.Sleep(50 * time.Millisecond)
	}
	items, _ := lib.Items()
	if len(items) != len(before)+1 {
		t.Fatalf("library has %d items, want %d", len(items), len(before)+1)
	}
	got := items[len(items)-1]
	if got.Kind != ItemSignatureDraw || got.Name != "手机手写签名" || len(got.PNG) < 100 || !bytes.Contains(got.Strokes, []byte(`"strokes"`)) {
		t.Errorf("saved item: kind %s name %q png %d strokes %d", got.Kind, got.Name, len(got.PNG), len(got.Strokes))
	}
	if !strings.Contains(ph.msg.Text, "已保存到我的印章") {
		t.Errorf("message after the phone drew: %q", ph.msg.Text)
	}
}
