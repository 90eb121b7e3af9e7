package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	pdfrender "sealdesk/core/pdf/render"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/seal"
	"sealdesk/core/sync"
	"sealdesk/core/verify"
	"sealdesk/core/websign"
	"sealdesk/store/bolt"
	"sealdesk/store/postgres"
	"sealdesk/store/postgres/pgtest"
)

// The browser side of issue 21, driven in Debian's chromium (headless) through chromedp: a
// recipient without SealDesk opens the SMS link, logs in with the code, draws a signature with
// pointer events and signs; a company handler signs with a granted seal; a recipient declines;
// bad input gets a Chinese page and changes nothing; the phone pad's strokes reach the account's
// sync scope. Screenshots go to $SEALDESK_WEB_SHOTS when set.

// chromium returns the browser's path, skipping (or, under SEALDESK_CI, failing) without one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SEALDESK_CI") != "" {
		t.Fatal("chromium is required under SEALDESK_CI (apt-get install chromium): the browser signing page is untested without it")
	}
	t.Skip("chromium not installed (apt-get install chromium): the browser signing page tests are skipped")
	return ""
}

// browser is one headless chromium tab at a viewport size (mobile with touch below 700 px).
type browser struct {
	t      *testing.T
	ctx    context.Context
	w, h   int
	shots  string
	prefix string
}

func newBrowser(t *testing.T, w, h int) *browser {
	path := chromium(t)
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts, chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("lang", "zh-CN"), chromedp.WindowSize(w, h))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	b := &browser{t: t, ctx: bctx, w: w, h: h, shots: os.Getenv("SEALDESK_WEB_SHOTS"), prefix: fmt.Sprintf("%dx%d", w, h)}
	if b.shots == "" {
		b.shots = t.TempDir()
	}
	vp := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if w < 700 {
		vp = append(vp, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	// The first action starts the browser: it must run on the tab's own context (a timeout
	// there would stop the browser with it).
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(int64(w), int64(h), vp...)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// until waits for a JavaScript condition to be true.
func (b *browser) until(cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		txt, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.body.innerText"))
		b.t.Fatalf("browser: waiting for %s: %v\npage text:\n%s", cond, err, txt)
	}
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("browser: eval %s: %v", expr, err)
	}
	return v
}

// shot saves a screenshot of the viewport.
func (b *browser) shot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.shots, b.prefix+"-"+name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// draw draws a signature on the canvas #pad with mouse events (the page sees pointer events).
func (b *browser) draw() {
	b.t.Helper()
	rect := b.eval(`(function(){var r=document.getElementById("pad").getBoundingClientRect();return [r.left,r.top,r.width,r.height].join(",")})()`)
	var x, y, w, h float64
	fmt.Sscanf(strings.ReplaceAll(rect, ",", " "), "%g %g %g %g", &x, &y, &w, &h)
	if w < 100 || h < 60 {
		b.t.Fatalf("pad is %gx%g", w, h)
	}
	var steps []chromedp.Action[chromedp.Void]
	stroke := func(pts [][2]float64) {
		steps = append(steps, chromedp.MouseEvent(chromedp.MousePressed, x+pts[0][0]*w, y+pts[0][1]*h, chromedp.ButtonLeft, chromedp.ClickCount(1)))
		for _, p := range pts[1:] {
			steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x+p[0]*w, y+p[1]*h, chromedp.ButtonLeft))
		}
		last := pts[len(pts)-1]
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x+last[0]*w, y+last[1]*h, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	}
	// 李: a few strokes across the pad.
	stroke([][2]float64{{0.2, 0.3}, {0.3, 0.3}, {0.4, 0.3}, {0.5, 0.3}})
	stroke([][2]float64{{0.35, 0.15}, {0.35, 0.35}, {0.35, 0.55}})
	stroke([][2]float64{{0.33, 0.35}, {0.25, 0.5}, {0.2, 0.55}})
	stroke([][2]float64{{0.37, 0.35}, {0.45, 0.5}, {0.5, 0.55}})
	stroke([][2]float64{{0.25, 0.6}, {0.4, 0.6}, {0.38, 0.7}, {0.34, 0.85}, {0.3, 0.8}})
	stroke([][2]float64{{0.2, 0.72}, {0.5, 0.72}})
	b.do(steps...)
}

var (
	signLinkRE = regexp.MustCompile(`https://[^\s]+/s/[A-Za-z0-9_-]+`)
	webCodeRE  = regexp.MustCompile(`验证码 ([0-9]{6})`)
)

// outboxAfter returns the newest message to login matching re after n messages, waiting a bit.
func outboxFind(t *testing.T, e *env, login string, re *regexp.Regexp, after int) (string, int) {
	t.Helper()
	for i := 0; i < 100; i++ {
		msgs := e.run.Server.Outbox().Messages()
		for j := len(msgs) - 1; j >= after; j-- {
			if msgs[j].To == login {
				if m := re.FindStringSubmatch(msgs[j].Body); m != nil {
					return m[len(m)-1], len(msgs)
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no message to %s matching %s", login, re)
	return "", 0
}

// webEnv is a contracts server over a bolt file the test can read byte by byte, with the event
// keys it made observed.
type webEnv struct {
	*env
	path string
	mu   stdsync.Mutex
	keys []*ecdsa.PrivateKey
	ds   [][]byte // copies of the private scalars, to look for afterwards
}

func startWeb(t *testing.T) *webEnv {
	path := filepath.Join(t.TempDir(), "server.db")
	st, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &webEnv{env: startContracts(t, st, nil), path: path}
	w.observeKeys()
	return w
}

// observeKeys records every event key the server makes.
func (w *webEnv) observeKeys() {
	w.run.Server.WebSign().NewKey = func() (*ecdsa.PrivateKey, error) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err == nil {
			w.mu.Lock()
			w.keys = append(w.keys, k)
			w.ds = append(w.ds, k.D.FillBytes(make([]byte, 32)))
			w.mu.Unlock()
		}
		return k, err
	}
}

// keyGone checks that every event key was zeroed and that no trace of it is in the store file.
func (w *webEnv) keyGone(t *testing.T) {
	t.Helper()
	raw, err := os.ReadFile(w.path)
	if err != nil {
		t.Fatal(err)
	}
	w.keyGoneIn(t, raw)
}

// keyGoneIn checks that every event key was zeroed and that raw (the store's bytes) holds no
// form of it.
func (w *webEnv) keyGoneIn(t *testing.T, raw []byte) {
	t.Helper()
	for _, p := range w.keyTraces(t, raw) {
		t.Error(p)
	}
	t.Logf("%d event key(s): zeroed, and none of their forms is in the store's %d bytes", len(w.keys), len(raw))
}

// keyTraces lists what is left of the event keys: not zeroed, or a form of one found in raw.
func (w *webEnv) keyTraces(t *testing.T, raw []byte) []string {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.keys) == 0 {
		t.Fatal("no event key was made")
	}
	var out []string
	for i, k := range w.keys {
		if k.D.Sign() != 0 {
			out = append(out, fmt.Sprintf("event key %d was not zeroed after signing", i))
		}
		d := w.ds[i]
		for _, form := range [][]byte{d, []byte(hex.EncodeToString(d)), []byte(base64.StdEncoding.EncodeToString(d)),
			[]byte(base64.RawURLEncoding.EncodeToString(d)), []byte(new(big.Int).SetBytes(d).String())} {
			if bytes.Contains(raw, form) {
				out = append(out, fmt.Sprintf("the store holds event key %d (a %d-byte form)", i, len(form)))
			}
		}
	}
	return out
}

// sendToPerson sends a one-document contract from a to a person with a signature box and a date box.
func sendToPerson(t *testing.T, a *party, subject, name, phone string, doc []byte, page int) api.Envelope {
	t.Helper()
	files, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "合同.pdf", Data: doc}})
	if err != nil {
		t.Fatal(err)
	}
	env, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: subject, Files: files,
		Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: name, Phone: phone}},
		Fields: []api.FieldPlacement{
			{Recipient: 0, Document: 0, Kind: api.FieldSignature, Page: page, Rect: [4]float64{360, 120, 520, 190}},
			{Recipient: 0, Document: 0, Kind: api.FieldDate, Page: page, Rect: [4]float64{360, 80, 520, 110}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// login opens the link and logs in with the code from the outbox.
func (b *browser) login(t *testing.T, e *env, link, phone string) {
	t.Helper()
	b.do(chromedp.Navigate(link))
	b.until(`!document.getElementById("login").hidden`)
	b.shot("1-login")
	n := len(e.run.Server.Outbox().Messages())
	b.do(chromedp.Click(chromedp.ID("login-send")))
	code, _ := outboxFind(t, e, phone, webCodeRE, n)
	b.do(chromedp.SendKeys(chromedp.ID("login-code"), code), chromedp.Click(chromedp.ID("login-go")))
	b.until(`!document.getElementById("doc").hidden && !!document.querySelector(".page.loaded")`)
}

// TestWebSignPerson: A sends from the client core to P, who has no SealDesk; P signs in the
// browser at phone and desktop sizes; the contract completes, the final PDF is valid in
// core/verify and pdfsig with P's signature on an event certificate, and the key is gone.
func TestWebSignPerson(t *testing.T) {
	chromium(t)
	for _, size := range [][2]int{{360, 740}, {1366, 768}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			w := startWeb(t)
			a := newParty(t, w.env, "王发起")
			phone := newPhone()
			env := sendToPerson(t, a, "网页签署测试", "李四", phone, pdfBytes(t, 2, "contract"), 2)
			link, _ := outboxFind(t, w.env, phone, signLinkRE, 0)
			if !strings.HasPrefix(link, w.run.URL+"/s/") {
				t.Fatalf("the notice carries %q, want a link under %s/s/", link, w.run.URL)
			}
			b := newBrowser(t, size[0], size[1])
			b.login(t, w.env, link, phone)
			if got := b.eval(`document.getElementById("counter").textContent`); got != "0/2" {
				t.Errorf("counter %q, want 0/2", got)
			}
			if got := b.eval(`document.getElementById("subject").textContent`); got != "《网页签署测试》" {
				t.Errorf("subject %q", got)
			}
			b.shot("2-document")
			// The boxes sit on page 2: scroll there so the picture shows them.
			b.do(chromedp.Click(chromedp.ID("goto"))) // 点击开始签署
			b.until(`document.querySelectorAll("#page-0-2 .box").length === 2`)
			b.until(`(function(){var r=document.querySelector("#page-0-2 .box").getBoundingClientRect();return r.top>=0&&r.bottom<=innerHeight})()`)
			b.shot("3-boxes")
			b.do(chromedp.Click(chromedp.ID("sign-open")))
			b.until(`!document.getElementById("sign-sheet").hidden`)
			b.draw()
			n := len(w.run.Server.Outbox().Messages())
			b.do(chromedp.Click(chromedp.ID("sign-send")))
			code, _ := outboxFind(t, w.env, phone, webCodeRE, n)
			b.do(chromedp.SendKeys(chromedp.ID("sign-code"), code))
			b.shot("4-sign")
			b.do(chromedp.Click(chromedp.ID("sign-go")))
			b.until(`document.body.dataset.result === "signed"`)
			b.shot("5-signed")

			got, err := a.c.Envelope(ctx, env.ID)
			if err != nil || got.Status != api.EnvelopeCompleted || got.Box != api.BoxCompleted {
				t.Fatalf("A sees %s in %s (%v), want 已完成", got.Status, got.Box, err)
			}
			final, err := a.c.EnvelopeDocument(ctx, env.ID, 0, client.VersionFinal)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := verify.Verify(ctx, bytes.NewReader(final), int64(len(final)), "final.pdf", &verify.Options{Renderer: pdfrender.Shared(), Trust: verify.NewTrustStore(w.run.Server.Root())})
			if err != nil {
				t.Fatal(err)
			}
			events := 0
			for _, s := range rep.Signatures {
				if s.Status != verify.StatusValid {
					t.Errorf("signature %s (%s): %s %v", s.Field, s.Signer.Name, s.Status, s.Reasons)
				}
				if strings.HasPrefix(s.Field, "R1.") {
					if !s.Signer.Event || s.Signer.Name != "李四" || !strings.Contains(s.Signer.EventNotice, env.ID) {
						t.Errorf("P's signature %s: signer %+v, want 李四 on an event certificate naming %s", s.Field, s.Signer, env.ID)
					}
					events++
				}
			}
			if rep.Verdict != verify.StatusValid || events != 2 {
				t.Errorf("verdict %s, %d event-certificate signatures (want valid, 2)", rep.Verdict, events)
			}
			checkPdfsig(t, 0, pdfsigReport(t, w.env, final), rep)
			w.keyGone(t)
			// The link is used now: a Chinese page says so.
			b.do(chromedp.Navigate(link))
			b.until(`document.body.className === "error-page"`)
			if txt := b.eval(`document.getElementById("message").textContent`); !strings.Contains(txt, "已签署") {
				t.Errorf("used link page says %q", txt)
			}
			b.shot("6-used-link")
			// The steps name the web signing and the report says 事件证书 is how it was done.
			for _, st := range got.Steps {
				if st.Action == "signed" && !strings.HasPrefix(st.Device, "网页签署") {
					t.Errorf("signing step device %q", st.Device)
				}
			}
		})
	}
}

// pageResult reads A's view of the envelope: status and the number of steps.
func envState(t *testing.T, a *party, id string) (string, int, string) {
	t.Helper()
	e, err := a.c.Envelope(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return e.Status, len(e.Steps), e.Documents[0].Current
}

// errorPage waits for the Chinese error page and returns its message.
func (b *browser) errorPage(name string) string {
	b.t.Helper()
	b.until(`document.body.className === "error-page"`)
	b.shot(name)
	return b.eval(`document.getElementById("message").textContent`)
}

// TestWebSignDecline: P declines with a reason in the browser; A sees 已拒签 with it.
func TestWebSignDecline(t *testing.T) {
	chromium(t)
	w := startWeb(t)
	a := newParty(t, w.env, "王发起")
	phone := newPhone()
	env := sendToPerson(t, a, "拒签测试", "赵六", phone, pdfBytes(t, 2, "contract"), 2)
	link, _ := outboxFind(t, w.env, phone, signLinkRE, 0)
	b := newBrowser(t, 360, 740)
	b.prefix += "-decline"
	b.login(t, w.env, link, phone)
	// English, and back.
	b.do(chromedp.Click(chromedp.ID("lang")))
	b.until(`document.getElementById("sign-open").textContent === "Sign"`)
	b.shot("0-english")
	b.do(chromedp.Click(chromedp.ID("lang")))
	b.until(`document.getElementById("sign-open").textContent === "签署"`)
	b.do(chromedp.Click(chromedp.ID("decline-open")))
	b.until(`!document.getElementById("decline-sheet").hidden`)
	b.do(chromedp.Click(chromedp.ID("decline-go")))
	b.until(`document.getElementById("decline-msg").textContent !== ""`)
	if m := b.eval(`document.getElementById("decline-msg").textContent`); !strings.Contains(m, "原因") {
		t.Errorf("an empty reason says %q", m)
	}
	b.do(chromedp.SendKeys(chromedp.ID("reason"), "价格条款有误"))
	b.shot("1-reason")
	b.do(chromedp.Click(chromedp.ID("decline-go")))
	b.until(`document.body.dataset.result === "declined"`)
	b.shot("2-declined")
	got, err := a.c.Envelope(ctx, env.ID)
	if err != nil || got.Status != api.EnvelopeDeclined || got.Reason != "价格条款有误" || got.Recipients[0].State != api.RecipientDeclined {
		t.Fatalf("A sees %s (%q, %s), %v", got.Status, got.Reason, got.Recipients[0].State, err)
	}
	b.do(chromedp.Navigate(link))
	if m := b.errorPage("3-used"); !strings.Contains(m, "拒签") {
		t.Errorf("the used link says %q", m)
	}
}

// TestWebSignBadInput: every bad input gets a Chinese page (or message) and changes nothing.
func TestWebSignBadInput(t *testing.T) {
	chromium(t)
	w := startWeb(t)
	a := newParty(t, w.env, "王发起")
	b := newBrowser(t, 1366, 768)
	b.prefix += "-bad"

	// An unknown link.
	b.do(chromedp.Navigate(w.run.URL + "/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
	if m := b.errorPage("1-unknown"); !strings.Contains(m, "签署链接无效") {
		t.Errorf("unknown link: %q", m)
	}

	// Wrong code five times: the link locks; the contract is untouched.
	phone := newPhone()
	env := sendToPerson(t, a, "验证码测试", "钱七", phone, pdfBytes(t, 2, "contract"), 2)
	link, _ := outboxFind(t, w.env, phone, signLinkRE, 0)
	st0, steps0, cur0 := envState(t, a, env.ID)
	b.do(chromedp.Navigate(link))
	b.until(`!document.getElementById("login").hidden`)
	n := len(w.run.Server.Outbox().Messages())
	b.do(chromedp.Click(chromedp.ID("login-send")))
	code, _ := outboxFind(t, w.env, phone, webCodeRE, n)
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1000000)
	for i := 1; i <= 5; i++ {
		b.do(chromedp.SetValue(chromedp.ID("login-code"), wrong), chromedp.Click(chromedp.ID("login-go")))
		if i < 5 {
			want := fmt.Sprintf("还可尝试 %d 次", 5-i)
			b.until(fmt.Sprintf(`document.getElementById("login-msg").textContent.includes(%q)`, want))
			if i == 1 {
				b.shot("2-wrong-code")
			}
		}
	}
	b.until(`!document.getElementById("closed").hidden`)
	if m := b.eval(`document.getElementById("closed-p").textContent`); !strings.Contains(m, "锁定") {
		t.Errorf("after 5 wrong codes: %q", m)
	}
	b.shot("3-locked")
	// Even the right code does nothing now.
	b.do(chromedp.Navigate(link))
	if m := b.errorPage("4-locked-page"); !strings.Contains(m, "锁定") {
		t.Errorf("locked link page: %q", m)
	}
	if st, steps, cur := envState(t, a, env.ID); st != st0 || steps != steps0 || cur != cur0 {
		t.Errorf("the locked link changed the contract: %s %d %s", st, steps, cur)
	}

	// A page out of range, and a 20 MB canvas upload, in a logged-in session.
	phone2 := newPhone()
	env2 := sendToPerson(t, a, "上传测试", "孙八", phone2, pdfBytes(t, 2, "contract"), 2)
	link2, _ := outboxFind(t, w.env, phone2, signLinkRE, 0)
	b.login(t, w.env, link2, phone2)
	st0, steps0, cur0 = envState(t, a, env2.ID)
	b.do(chromedp.Click(chromedp.ID("sign-open")))
	b.until(`!document.getElementById("sign-sheet").hidden`)
	b.draw()
	n = len(w.run.Server.Outbox().Messages())
	b.do(chromedp.Click(chromedp.ID("sign-send")))
	code2, _ := outboxFind(t, w.env, phone2, webCodeRE, n)
	// The page's own request, swollen to 20 MB on its way (a hostile or broken canvas).
	b.eval(`(function(){var f=window.fetch;window.fetch=function(u,o){if(String(u).endsWith("/sign")){var j=JSON.parse(o.body);j.strokes.pad="x".repeat(20<<20);o.body=JSON.stringify(j);}return f(u,o)};return ""})()`)
	b.do(chromedp.SendKeys(chromedp.ID("sign-code"), code2), chromedp.Click(chromedp.ID("sign-go")))
	b.until(`document.getElementById("sign-msg").textContent.includes("过大")`)
	b.shot("5-too-large")
	if m := b.eval(`document.getElementById("sign-msg").textContent`); !strings.Contains(m, "2 MB") {
		t.Errorf("20 MB upload: %q", m)
	}
	if st, steps, cur := envState(t, a, env2.ID); st != st0 || steps != steps0 || cur != cur0 {
		t.Errorf("the 20 MB upload changed the contract: %s %d %s", st, steps, cur)
	}
	b.do(chromedp.Navigate(link2 + "/documents/0/pages/99"))
	if m := b.errorPage("6-page-out-of-range"); !strings.Contains(m, "共 2 页") {
		t.Errorf("page out of range: %q", m)
	}
	b.do(chromedp.Navigate(link2 + "/documents/7/pages/1"))
	if m := b.errorPage("7-document-out-of-range"); !strings.Contains(m, "文件不存在") {
		t.Errorf("document out of range: %q", m)
	}

	// A withdrawn contract: the link dies with it.
	if _, err := a.c.Withdraw(ctx, client.NewIdempotencyKey(), env2.ID, "发错了"); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(link2))
	if m := b.errorPage("8-withdrawn"); !strings.Contains(m, "撤回") {
		t.Errorf("withdrawn: %q", m)
	}
	if r, err := a.c.Envelope(ctx, env2.ID); err != nil || r.Status != api.EnvelopeWithdrawn || r.Documents[0].Current != cur0 {
		t.Errorf("withdrawn contract: %+v %v", r.Status, err)
	}

	// An expired link: a contract with a deadline, opened after it.
	phone3 := newPhone()
	files, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "合同.pdf", Data: pdfBytes(t, 1, "deadline")}})
	if err != nil {
		t.Fatal(err)
	}
	env3, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "截止测试", Files: files,
		Deadline:   w.clock.Now().Add(time.Hour),
		Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: "周九", Phone: phone3}}})
	if err != nil {
		t.Fatal(err)
	}
	link3, _ := outboxFind(t, w.env, phone3, signLinkRE, 0)
	w.clock.Advance(2 * time.Hour)
	b.do(chromedp.Navigate(link3))
	if m := b.errorPage("9-expired"); !strings.Contains(m, "过期") && !strings.Contains(m, "逾期") {
		t.Errorf("expired link: %q", m)
	}
	if r, err := a.c.Envelope(ctx, env3.ID); err != nil || len(r.Steps) != len(env3.Steps) && r.Status == api.EnvelopeInProgress {
		t.Errorf("expired link changed the contract: %+v %v", r.Status, err)
	}
}

func atoi(s string) int {
	n := 0
	fmt.Sscanf(s, "%d", &n)
	return n
}

// TestWebSignCompanySeal: a company handler (an enterprise member with a grant, but no desktop)
// signs the seal box in the browser with the granted seal and its one-time code; A sees 已完成
// and the final PDF is valid in core/verify and pdfsig with the company's seal certificate.
func TestWebSignCompanySeal(t *testing.T) {
	chromium(t)
	w := startWeb(t)
	admin, handler := w.person(t, "王管理"), w.person(t, "李经办")
	ent, err := admin.c.CreateEnterprise(ctx, "杭州示例科技有限公司", creditCode(t, "91330106MA27XY012"))
	if err != nil {
		t.Fatal(err)
	}
	w.join(t, ent.ID, handler, false)
	seal, err := admin.c.CreateSeal(ctx, ent.ID, api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: testImage(t, "png")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.c.GrantSeal(ctx, ent.ID, seal.ID, api.SealGrantRequest{MemberID: handler.id, NotAfter: w.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	a := newParty(t, w.env, "王发起")
	files, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "采购合同.pdf", Data: pdfBytes(t, 1, "purchase")}})
	if err != nil {
		t.Fatal(err)
	}
	env, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "企业网页用印", Files: files,
		Recipients: []api.Recipient{{Kind: api.RecipientCompany, Company: ent.Name, Name: handler.name, Phone: handler.login}},
		Fields:     []api.FieldPlacement{{Recipient: 0, Document: 0, Kind: api.FieldSeal, Page: 1, Rect: [4]float64{380, 100, 500, 220}}}})
	if err != nil {
		t.Fatal(err)
	}
	link, _ := outboxFind(t, w.env, handler.login, signLinkRE, 0)
	b := newBrowser(t, 1366, 768)
	b.prefix += "-seal"
	b.login(t, w.env, link, handler.login)
	b.until(`document.querySelectorAll("#page-0-1 .box.seal").length === 1`)
	b.shot("1-document")
	b.do(chromedp.Click(chromedp.ID("sign-open")))
	b.until(`!document.getElementById("sign-sheet").hidden && document.querySelectorAll("input[name=seal]").length === 1`)
	if b.eval(`String(document.getElementById("draw-block").hidden)`) != "true" {
		t.Error("a handler with only a seal box is asked to draw")
	}
	n := len(w.run.Server.Outbox().Messages())
	b.do(chromedp.Click(chromedp.ID("seal-send")))
	sealCode, _ := outboxFind(t, w.env, handler.login, sealCodeRE, n)
	n = len(w.run.Server.Outbox().Messages())
	b.do(chromedp.Click(chromedp.ID("sign-send")))
	code, _ := outboxFind(t, w.env, handler.login, webCodeRE, n)
	b.do(chromedp.SendKeys(chromedp.ID("seal-code"), sealCode), chromedp.SendKeys(chromedp.ID("sign-code"), code))
	b.shot("2-choose-seal")
	b.do(chromedp.Click(chromedp.ID("sign-go")))
	b.until(`document.body.dataset.result === "signed"`)
	b.shot("3-signed")
	got, err := a.c.Envelope(ctx, env.ID)
	if err != nil || got.Status != api.EnvelopeCompleted {
		t.Fatalf("A sees %s, %v; want 已完成", got.Status, err)
	}
	final, err := a.c.EnvelopeDocument(ctx, env.ID, 0, client.VersionFinal)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := verify.Verify(ctx, bytes.NewReader(final), int64(len(final)), "final.pdf", &verify.Options{Renderer: pdfrender.Shared(), Trust: verify.NewTrustStore(w.run.Server.Root())})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range rep.Signatures {
		if s.Status != verify.StatusValid {
			t.Errorf("signature %s: %s %v", s.Field, s.Status, s.Reasons)
		}
		if s.Field == "R1.seal1" {
			found = true
			if s.Signer.Organization != ent.Name || s.Signer.Event || s.Signer.Operator != handler.name {
				t.Errorf("the seal signature: %+v", s.Signer)
			}
		}
	}
	if !found || rep.Verdict != verify.StatusValid {
		t.Errorf("verdict %s, seal signature found %v", rep.Verdict, found)
	}
	checkPdfsig(t, 0, pdfsigReport(t, w.env, final), rep)
	l, err := admin.c.SealUses(ctx, ent.ID, client.SealUseQuery{})
	if err != nil || len(l.Uses) != 1 || l.Uses[0].ContractID != env.ID || l.Uses[0].MemberID != handler.id {
		t.Errorf("usage log: %+v %v", l, err)
	}
}

// TestWebSignPhonePad: the desktop's account asks for a pad; the phone page draws with pointer
// events; the strokes arrive in the account's sync scope; a new pad voids the old one.
func TestWebSignPhonePad(t *testing.T) {
	chromium(t)
	w := startWeb(t)
	x := w.person(t, "吴十")
	old, _, err := x.c.NewSignaturePad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pad, qr, err := x.c.NewSignaturePad(ctx) // 重新获取二维码
	if err != nil || len(qr) < 100 || !strings.HasPrefix(pad.URL, w.run.URL+"/p/") {
		t.Fatalf("pad %+v (%d-byte qr) %v", pad, len(qr), err)
	}
	b := newBrowser(t, 360, 740)
	b.prefix += "-pad"
	b.do(chromedp.Navigate(old.URL))
	if m := b.errorPage("1-voided"); !strings.Contains(m, "作废") {
		t.Errorf("the old pad says %q", m)
	}
	b.do(chromedp.Navigate(pad.URL))
	b.until(`!!document.getElementById("pad")`)
	b.draw()
	b.shot("2-drawn")
	b.do(chromedp.Click(chromedp.ID("pad-done")))
	b.until(`document.body.dataset.result === "sent"`)
	b.shot("3-sent")
	p, err := x.c.Pull(ctx, "user:"+x.id, 0, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var drawn *websign.DrawnSignature
	for _, ev := range p.Events {
		if ev.Type == client.EventSignatureDrawn {
			drawn = new(websign.DrawnSignature)
			if err := json.Unmarshal(ev.Payload, drawn); err != nil {
				t.Fatal(err)
			}
		}
	}
	if drawn == nil {
		t.Fatalf("no %s event in the account's scope: %+v", client.EventSignatureDrawn, p.Events)
	}
	sg, err := seal.ParseSignature(drawn.Strokes)
	if err != nil || len(sg.Strokes) != 6 {
		t.Fatalf("strokes: %v (%d strokes, want the 6 drawn)", err, len(sg.Strokes))
	}
	b.do(chromedp.Navigate(pad.URL))
	if m := b.errorPage("4-used"); !strings.Contains(m, "已使用") {
		t.Errorf("the used pad says %q", m)
	}
}

// TestWebSignFirstPageBench measures the first page of a 10 MB contract on the signing page on
// loopback: from navigation to the page's picture shown, the first time (rendered by the
// server) and again (from the server's cache). Target: ≤ 1.5 s cached.
func TestWebSignFirstPageBench(t *testing.T) {
	chromium(t)
	w := startWeb(t)
	w.run.Server.WebPages().Warm()
	a := newParty(t, w.env, "王发起")
	phone := newPhone()
	doc := bigPDF(t, 10<<20-64<<10)
	env := sendToPerson(t, a, "大文件", "郑十一", phone, doc, 1)
	if env.Documents[0].Size < 9<<20 {
		t.Fatalf("the contract is %d bytes, want about 10 MB", env.Documents[0].Size)
	}
	link, _ := outboxFind(t, w.env, phone, signLinkRE, 0)
	b := newBrowser(t, 1366, 768)
	b.prefix += "-bench"
	b.login(t, w.env, link, phone) // the first render happened here
	measure := func() time.Duration {
		start := time.Now()
		b.do(chromedp.Navigate(link))
		b.until(`!!document.querySelector("#page-0-1.loaded img") && document.querySelector("#page-0-1.loaded img").naturalWidth > 0`)
		return time.Since(start)
	}
	// A fresh server-side render: drop the cache by making a new Pages for the same server.
	cold := func() time.Duration {
		w.run.Server.WebPages().Close()
		*w.run.Server.WebPages() = websign.Pages{}
		w.run.Server.WebPages().Warm()
		time.Sleep(2 * time.Second) // the engine's start (compilation cached on disk) is not the page's
		return measure()
	}()
	var best, worst time.Duration
	for i := 0; i < 5; i++ {
		d := measure()
		if i == 0 || d < best {
			best = d
		}
		worst = max(worst, d)
	}
	b.shot("first-page")
	t.Logf("first page of a %.1f MB contract visible: %v rendered by the server, %v–%v from its cache (target ≤ 1.5 s)",
		float64(env.Documents[0].Size)/(1<<20), cold.Round(time.Millisecond), best.Round(time.Millisecond), worst.Round(time.Millisecond))
	if worst > 1500*time.Millisecond {
		// A benchmark, not a timed test: on a loaded machine (CI shares its cores) the log says
		// it; SEALDESK_LONG=1 (a calm machine, make bench-…) makes it fail.
		if os.Getenv("SEALDESK_LONG") != "" {
			t.Errorf("cached first page took %v, over the 1.5 s target", worst)
		} else {
			t.Logf("cached first page took %v, over the 1.5 s target (load average now: %s; SEALDESK_LONG=1 fails on it)", worst, loadAvg())
		}
	}
}

// TestWebSignHTTPStores is the page's calls without a browser (a Go client with a cookie jar, as
// the page's JavaScript makes them) on both stores: link, code, session, pages, 签署 with an
// event certificate; the key leaves no trace in either store and the 签署报告 names it.
func TestWebSignHTTPStores(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) (sync.Store, func() []byte){
		"bolt": func(t *testing.T) (sync.Store, func() []byte) {
			path := filepath.Join(t.TempDir(), "server.db")
			st, err := bolt.Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st, func() []byte { b, _ := os.ReadFile(path); return b }
		},
		"postgres": func(t *testing.T) (sync.Store, func() []byte) {
			dsn, schema := pgtest.NewSchema(t)
			st, err := postgres.Open(ctx, dsn, &postgres.Options{Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st, func() []byte { return dumpSchema(t, dsn, schema) }
		},
	} {
		t.Run(name, func(t *testing.T) {
			st, dump := open(t)
			w := &webEnv{env: startContracts(t, st, nil)}
			w.observeKeys()
			a := newParty(t, w.env, "王发起")
			phone := newPhone()
			env := sendToPerson(t, a, "接口签署", "冯十二", phone, pdfBytes(t, 2, "contract"), 2)
			link, _ := outboxFind(t, w.env, phone, signLinkRE, 0)
			jar, _ := cookiejar.New(nil)
			hc := *w.run.HTTPClient()
			hc.Jar = jar
			call := func(method, path, body string) (int, string) {
				t.Helper()
				req, _ := http.NewRequest(method, link+path, strings.NewReader(body))
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			if code, body := call("GET", "", ""); code != 200 || !strings.Contains(body, "合同签署") {
				t.Fatalf("page: %d %.200s", code, body)
			}
			if code, body := call("GET", "/state", ""); code != 401 || !strings.Contains(body, "session_required") {
				t.Fatalf("state without a session: %d %s", code, body)
			}
			n := len(w.run.Server.Outbox().Messages())
			if code, body := call("POST", "/code", `{"purpose":"login"}`); code != 200 || !strings.Contains(body, "****") {
				t.Fatalf("login code: %d %s", code, body)
			}
			otp, _ := outboxFind(t, w.env, phone, webCodeRE, n)
			if code, body := call("POST", "/login", fmt.Sprintf(`{"code":"%06d"}`, (atoi(otp)+1)%1000000)); code != 400 || !strings.Contains(body, "还可尝试 4 次") {
				t.Fatalf("wrong code: %d %s", code, body)
			}
			if code, body := call("POST", "/login", `{"code":"`+otp+`"}`); code != 200 {
				t.Fatalf("login: %d %s", code, body)
			}
			code, body := call("GET", "/state", "")
			var state websign.State
			if code != 200 || json.Unmarshal([]byte(body), &state) != nil || state.Needed != 2 || len(state.Fields) != 2 || !state.YourTurn {
				t.Fatalf("state: %d %s", code, body)
			}
			if code, body := call("GET", "/documents/0/pages/2", ""); code != 200 || !strings.HasPrefix(body, "\x89PNG") {
				t.Fatalf("page 2: %d %.60q", code, body)
			}
			if code, body := call("GET", "/documents/0/pages/3", ""); code != 404 || !strings.Contains(body, "该文件共 2 页") {
				t.Fatalf("page 3: %d %.300s", code, body)
			}
			n = len(w.run.Server.Outbox().Messages())
			if code, body := call("POST", "/code", `{"purpose":"sign"}`); code != 200 {
				t.Fatalf("sign code: %d %s", code, body)
			}
			otp, _ = outboxFind(t, w.env, phone, webCodeRE, n)
			strokes := `{"v":1,"w":60,"h":30,"strokes":[[{"x":5,"y":5,"t":0},{"x":40,"y":20,"t":120}],[{"x":10,"y":25,"t":300},{"x":50,"y":8,"t":420}]]}`
			if code, body := call("POST", "/sign", `{"code":"`+otp+`","strokes":`+strokes+`}`); code != 200 || !strings.Contains(body, api.EnvelopeCompleted) {
				t.Fatalf("sign: %d %s", code, body)
			}
			final, err := a.c.EnvelopeDocument(ctx, env.ID, 0, client.VersionFinal)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := verify.Verify(ctx, bytes.NewReader(final), int64(len(final)), "final.pdf", &verify.Options{Renderer: pdfrender.Shared(), Trust: verify.NewTrustStore(w.run.Server.Root())})
			if err != nil || rep.Verdict != verify.StatusValid {
				t.Fatalf("final: %v %+v", err, rep)
			}
			serial := ""
			for _, s := range rep.Signatures {
				if strings.HasPrefix(s.Field, "R1.") {
					if !s.Signer.Event {
						t.Errorf("%s is not on an event certificate: %+v", s.Field, s.Signer)
					}
					serial = s.Signer.Serial
				}
			}
			w.keyGoneIn(t, dump())
			// The check's twin: a key written into the store is found.
			w.mu.Lock()
			leak := hex.EncodeToString(w.ds[0])
			w.mu.Unlock()
			if err := st.Update(ctx, func(tx sync.Tx) error { return tx.Put("leak_twin", "k", []byte(`{"d":"`+leak+`"}`)) }); err != nil {
				t.Fatal(err)
			}
			if len(w.keyTraces(t, dump())) == 0 {
				t.Error("a key written into the store was not found: the check cannot fail")
			}
			rp, err := a.c.EnvelopeReport(ctx, env.ID)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.ReplaceAll(pdfText(t, rp), "\n", "")
			if !strings.Contains(text, "网页签署") || !strings.Contains(text, "事件证书") || serial == "" || !strings.Contains(text, serial) {
				t.Errorf("the 签署报告 does not name the web signing with event certificate %s:\n%s", serial, text)
			}
		})
	}
}

// dumpSchema returns every value of every row of every table of a PostgreSQL schema (bytea as
// its bytes).
func dumpSchema(t *testing.T, dsn, schema string) []byte {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var out bytes.Buffer
	for _, tb := range tables {
		r, err := conn.Query(ctx, fmt.Sprintf(`SELECT * FROM %s.%s`, pgx.Identifier{schema}.Sanitize(), pgx.Identifier{tb}.Sanitize()))
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			vals, err := r.Values()
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					out.Write(b) // bytea and json as their bytes
				} else {
					fmt.Fprint(&out, v)
				}
				out.WriteByte(0)
			}
		}
		r.Close()
	}
	if len(tables) == 0 || out.Len() == 0 {
		t.Fatalf("schema %s dumped nothing", schema)
	}
	return out.Bytes()
}

// TestWebSignEventCertOutlived: P signs in the browser first; the other signer signs on the
// desktop hours later, after P's event certificate has expired; the contract completes and the
// final PDF is still valid (P's signature time comes from its timestamp, and completion adds
// the revocation data of the expired certificate).
func TestWebSignEventCertOutlived(t *testing.T) {
	w := &webEnv{env: startContracts(t, openBolt(t), nil)}
	w.observeKeys()
	a, b := newParty(t, w.env, "王发起"), newParty(t, w.env, "孟良华")
	phone := newPhone()
	files, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "合同.pdf", Data: pdfBytes(t, 1, "two signers")}})
	if err != nil {
		t.Fatal(err)
	}
	env, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "先网页后桌面", Files: files,
		Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: "李四", Phone: phone}, {Kind: api.RecipientPerson, Name: b.name, Phone: b.phone}},
		Fields: []api.FieldPlacement{
			{Recipient: 0, Document: 0, Kind: api.FieldSignature, Page: 1, Rect: [4]float64{60, 100, 200, 160}},
			{Recipient: 1, Document: 0, Kind: api.FieldSignature, Page: 1, Rect: [4]float64{360, 100, 500, 160}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	link, _ := outboxFind(t, w.env, phone, signLinkRE, 0)
	jar, _ := cookiejar.New(nil)
	hc := *w.run.HTTPClient()
	hc.Jar = jar
	call := func(path, body string) string {
		t.Helper()
		resp, err := hc.Post(link+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, out)
		}
		return string(out)
	}
	n := len(w.run.Server.Outbox().Messages())
	call("/code", `{"purpose":"login"}`)
	otp, _ := outboxFind(t, w.env, phone, webCodeRE, n)
	call("/login", `{"code":"`+otp+`"}`)
	n = len(w.run.Server.Outbox().Messages())
	call("/code", `{"purpose":"sign"}`)
	otp, _ = outboxFind(t, w.env, phone, webCodeRE, n)
	call("/sign", `{"code":"`+otp+`","strokes":{"v":1,"w":60,"h":30,"strokes":[[{"x":5,"y":5,"t":0},{"x":40,"y":20,"t":120}]]}}`)

	w.clock.Advance(websign.EventCertValidity + 2*time.Hour)
	cur, err := b.c.Envelope(ctx, env.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur = signAll(t, w.env, b, cur); cur.Status != api.EnvelopeCompleted {
		t.Fatalf("after the desktop signer: %s", cur.Status)
	}
	final, err := a.c.EnvelopeDocument(ctx, env.ID, 0, client.VersionFinal)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := verify.Verify(ctx, bytes.NewReader(final), int64(len(final)), "final.pdf",
		&verify.Options{Renderer: pdfrender.Shared(), Trust: verify.NewTrustStore(w.run.Server.Root()), Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Signatures {
		if s.Status != verify.StatusValid {
			t.Errorf("signature %s (%s, event %v): %s %v", s.Field, s.Signer.Name, s.Signer.Event, s.Status, s.Reasons)
		}
	}
	if rep.Verdict != verify.StatusValid {
		t.Errorf("verdict %s", rep.Verdict)
	}
}
