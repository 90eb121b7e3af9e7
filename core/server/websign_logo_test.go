package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
)

// senderLogoRE finds the sender's LOGO in the signing page's HTML.
var senderLogoRE = regexp.MustCompile(`<img class="logo" id="sender-logo" src="([^"]+)" width="(\d+)" height="(\d+)"`)

// sendFrom sends a one-document contract to a person from enterprise eid ("" : personal) and
// returns its signing link.
func sendFrom(t *testing.T, e *env, p *party, eid, subject string) (api.Envelope, string) {
	t.Helper()
	refs, err := p.c.UploadFiles(ctx, []client.NamedFile{{Name: subject + ".pdf", Data: pdfBytes(t, 1, subject)}})
	if err != nil {
		t.Fatal(err)
	}
	phone := newPhone()
	env, err := p.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: subject, EnterpriseID: eid, Files: refs,
		Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: "网页签署人", Phone: phone}}})
	if err != nil {
		t.Fatal(err)
	}
	link, _ := outboxFind(t, e, phone, signLinkRE, 0)
	return env, link
}

// TestWebSignSenderLogo: the browser signing page of a contract sent by an enterprise shows that
// enterprise's LOGO — the page's HTML references it under the link, and the bytes served there
// are the PNG core/org re-encoded from the upload (not the upload), as image/png with nosniff,
// a private cache lifetime and an ETag. The address is scoped by the link: no other enterprise's
// LOGO is reachable, the old public address by enterprise id is gone, a dead link serves none.
// A contract from an enterprise without a LOGO, or a personal one, has no image in the page at
// all. Both stores; then (bolt) chromium loads the page and the image under the page's CSP.
func TestWebSignSenderLogo(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), func(o *server.Options) { o.ContractsUnbilled = true })
			a, b := newParty(t, e, "王发起"), newParty(t, e, "李其他")
			entA, err := a.c.CreateEnterprise(ctx, "杭州标识测试有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			entB, err := b.c.CreateEnterprise(ctx, "宁波别家有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			entC, err := a.c.CreateEnterprise(ctx, "温州无标识有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			upload := logoImage(t, 240, 80, "bmp", false)
			st, err := a.c.SetLogo(ctx, entA.ID, upload)
			if err != nil {
				t.Fatal(err)
			}
			want, _, _, err := org.CleanLogo(upload)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(want, upload) {
				t.Fatal("the re-encoded logo equals the upload: the test proves nothing")
			}
			if _, err := b.c.SetLogo(ctx, entB.ID, logoImage(t, 100, 100, "png", true)); err != nil {
				t.Fatal(err)
			}

			hc := e.run.HTTPClient()
			get := func(url string, hdr ...string) (*http.Response, []byte) {
				t.Helper()
				req, err := http.NewRequest("GET", url, nil)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i+1 < len(hdr); i += 2 {
					req.Header.Set(hdr[i], hdr[i+1])
				}
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				return resp, body
			}

			// A contract of enterprise A: the page references A's LOGO under its own link.
			envA, linkA := sendFrom(t, e, a, entA.ID, "标识合同")
			resp, page := get(linkA)
			if resp.StatusCode != 200 {
				t.Fatalf("page: %d %s", resp.StatusCode, page)
			}
			m := senderLogoRE.FindStringSubmatch(string(page))
			if m == nil {
				t.Fatalf("the signing page does not show the sender's LOGO:\n%s", page)
			}
			path := linkA[strings.Index(linkA, "/s/"):]
			if want := path + "/logo?v=" + st.Logo[:16]; m[1] != want {
				t.Errorf("logo address %q, want %q", m[1], want)
			}
			if m[2] != "96" || m[3] != "32" {
				t.Errorf("logo size in the page %s×%s, want 96×32 (240×80 at 32 px high)", m[2], m[3])
			}
			base := linkA[:strings.Index(linkA, "/s/")]
			resp, served := get(base + m[1])
			if resp.StatusCode != 200 {
				t.Fatalf("logo: %d %s", resp.StatusCode, served)
			}
			if !bytes.Equal(served, want) {
				t.Errorf("served logo (%d bytes) is not the re-encoded PNG (%d bytes)", len(served), len(want))
			}
			if sum := sha256.Sum256(served); hex.EncodeToString(sum[:]) != st.Logo {
				t.Error("served logo does not hash to the stored logo's SHA-256")
			}
			if img, format, err := image.Decode(bytes.NewReader(served)); err != nil || format != "png" || img.Bounds().Dx() != 240 || img.Bounds().Dy() != 80 {
				t.Errorf("served logo: %s %v", format, err)
			}
			for k, v := range map[string]string{"Content-Type": "image/png", "X-Content-Type-Options": "nosniff",
				"Cache-Control": "private, max-age=86400", "ETag": `"` + st.Logo + `"`} {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
				t.Errorf("logo CSP %q", csp)
			}
			if resp, body := get(base+m[1], "If-None-Match", `"`+st.Logo+`"`); resp.StatusCode != http.StatusNotModified || len(body) != 0 {
				t.Errorf("revalidation: %d, %d bytes", resp.StatusCode, len(body))
			}

			// No enumeration: the public address by enterprise id is gone, the members' address
			// wants a session, a made-up link serves nothing.
			if resp, _ := get(base + "/logos/" + entB.ID); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET /logos/{id}: %d, want 404", resp.StatusCode)
			}
			if resp, _ := get(base + "/api/v1/enterprises/" + entB.ID + "/logo"); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("members' logo address without a session: %d, want 401", resp.StatusCode)
			}
			if resp, body := get(base + "/s/" + strings.Repeat("A", 43) + "/logo"); resp.StatusCode != http.StatusNotFound || bytes.Equal(body, want) {
				t.Errorf("made-up link: %d", resp.StatusCode)
			}

			// Enterprise C has no LOGO, and a personal contract has no enterprise: no image at
			// all, and the link's LOGO address says so.
			_, linkC := sendFrom(t, e, a, entC.ID, "无标识合同")
			_, linkP := sendFrom(t, e, a, "", "个人合同")
			for what, link := range map[string]string{"enterprise without a LOGO": linkC, "personal contract": linkP} {
				resp, page := get(link)
				if resp.StatusCode != 200 || bytes.Contains(page, []byte("<img")) || !bytes.Contains(page, []byte(`id="login"`)) {
					t.Errorf("%s: page %d, has an image: %v", what, resp.StatusCode, bytes.Contains(page, []byte("<img")))
				}
				resp, body := get(link + "/logo")
				if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "未设置 LOGO") {
					t.Errorf("%s: logo %d %s", what, resp.StatusCode, body)
				}
			}

			// A withdrawn contract's link serves no LOGO any more.
			if _, err := a.c.Withdraw(ctx, client.NewIdempotencyKey(), envA.ID, "测试撤回"); err != nil {
				t.Fatal(err)
			}
			if resp, body := get(base + m[1]); resp.StatusCode != http.StatusGone || bytes.Equal(body, want) {
				t.Errorf("withdrawn contract's logo: %d", resp.StatusCode)
			}

			if name != "bolt" {
				return
			}
			// A browser loads the page and the LOGO under the page's CSP; the page without one
			// has no broken image.
			_, linkA2 := sendFrom(t, e, a, entA.ID, "标识合同二")
			br := newBrowser(t, 390, 844)
			br.do(chromedp.Navigate(linkA2))
			br.until(`(() => { const i = document.getElementById("sender-logo"); return !!i && i.complete && i.naturalWidth === 240 })()`)
			br.shot("logo-sender")
			br.do(chromedp.Click(chromedp.ID("lang")))
			if alt := br.eval(`document.getElementById("sender-logo").alt`); alt != "Logo of the sending company" {
				t.Errorf("English alt text: %q", alt)
			}
			br.do(chromedp.Click(chromedp.ID("lang")))
			br.do(chromedp.Navigate(linkC))
			br.until(`!document.getElementById("login").hidden`)
			if n := br.eval(`String(document.images.length)`); n != "0" {
				t.Errorf("page without a LOGO has %s images", n)
			}
		})
	}
}
