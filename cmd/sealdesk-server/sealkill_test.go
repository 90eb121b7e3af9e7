package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net/http"
	"regexp"
	"sealdesk/core/pdf/render"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/ids"
	"sealdesk/core/verify"
)

var sealCodeRE = regexp.MustCompile(`用印验证码是 ([0-9]{6})`)

func redPNG(t *testing.T) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := 0; i < 64; i++ {
		img.Set(i, 63-i, color.NRGBA{200, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSealSignSurvivesKill9: the client sends a seal request (a local file, which the server
// prepares and signs itself), the server process is killed with SIGKILL a random moment later
// (before, during or after the signing transaction, before or after the answer is stored), a new
// process starts on the same store, and the client resends the same request with the same
// idempotency key. Every signature is then in the usage log exactly once and the sealed files
// verify.
func TestSealSignSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server binary many times")
	}
	for _, name := range []string{"bolt", "postgres"} {
		spec := storeSpecs(t)[name]
		t.Run(name, func(t *testing.T) { sealKillRun(t, spec(t)) })
	}
}

func sealKillRun(t *testing.T, storeSpec string) {
	ctx := context.Background()
	srv := startChild(t, storeSpec)
	hc := &http.Client{Timeout: 30 * time.Second}
	login := fmt.Sprintf("137%08d", rand.IntN(1e8))
	admin := register(t, srv.url, hc, login)
	body := "91440300MA5FK0K0"
	c, err := ids.CreditCheck(body + "1")
	if err != nil {
		t.Fatal(err)
	}
	ent, err := admin.CreateEnterprise(ctx, "深圳示例有限公司", body+"1"+string(c))
	if err != nil {
		t.Fatal(err)
	}
	seal, err := admin.CreateSeal(ctx, ent.ID, api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 40, HeightMM: 40, Image: redPNG(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.GrantSeal(ctx, ent.ID, seal.ID, api.SealGrantRequest{MemberID: mustMe(t, admin)}); err != nil {
		t.Fatal(err)
	}
	det, err := admin.Seal(ctx, ent.ID, seal.ID)
	if err != nil {
		t.Fatal(err)
	}
	cert, _, err := client.SealCertificates(det)
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 6
	committedFirst := 0
	keys := map[string]string{} // idempotency key → use id
	for i := 0; i < rounds; i++ {
		tk, err := admin.SealCode(ctx, ent.ID, seal.ID)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := admin.DevOutbox(ctx)
		if err != nil {
			t.Fatal(err)
		}
		code := ""
		for _, m := range msgs {
			if s := sealCodeRE.FindStringSubmatch(m.Body); s != nil && m.To == login {
				code = s[1]
			}
		}
		// The bound protocol: the file travels, the server prepares and signs the seal itself.
		doc := paddedPDF(2000 + i)
		sum := sha256.Sum256(doc)
		req := api.SealSignRequest{CodeID: tk.CodeID, Code: code, DocumentSHA256: hex.EncodeToString(sum[:]), PDF: doc,
			Marks: []api.SealMark{{Page: 1, Rect: [4]float64{300, 80, 420, 200}}}}
		key := client.NewIdempotencyKey()
		done := make(chan error, 1)
		go func() {
			_, _, err := admin.SealSign(ctx, ent.ID, seal.ID, key, req)
			done <- err
		}()
		time.Sleep(time.Duration(rand.IntN(60000)) * time.Microsecond) // the server prepares and signs: a longer request
		srv.kill()
		first := <-done
		srv.start()
		resp, replayed, err := admin.SealSign(ctx, ent.ID, seal.ID, key, req)
		if err != nil {
			t.Fatalf("round %d: retry after kill -9 (first attempt: %v): %v", i, first, err)
		}
		if replayed {
			committedFirst++
		}
		sealed := append(append([]byte(nil), doc...), resp.Update...)
		rep, err := verify.Verify(ctx, bytes.NewReader(sealed), int64(len(sealed)), "sealed.pdf", &verify.Options{Renderer: render.Shared()})
		if err != nil || len(rep.Signatures) != 1 || rep.Signatures[0].Integrity != "valid" || len(resp.UseIDs) != 1 ||
			strings.TrimLeft(strings.ToUpper(rep.Signatures[0].Signer.Serial), "0") != strings.TrimLeft(strings.ToUpper(cert.SerialNumber.Text(16)), "0") {
			t.Fatalf("round %d: the sealed file does not verify: %v %+v", i, err, rep)
		}
		keys[key] = resp.UseIDs[0]
	}
	t.Logf("%d rounds: %d kills after the commit (retry answered from the store), %d before it (retry signed)", rounds, committedFirst, rounds-committedFirst)
	l, err := admin.SealUses(ctx, ent.ID, client.SealUseQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Uses) != rounds {
		t.Fatalf("usage log has %d lines after %d signatures", len(l.Uses), rounds)
	}
	seen := map[string]int{}
	for _, u := range l.Uses {
		seen[u.ID]++
	}
	for k, id := range keys {
		if seen[id] != 1 {
			t.Fatalf("signature of key %s logged %d times", k, seen[id])
		}
	}
}

func mustMe(t *testing.T, c *client.Client) string {
	me, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return me.ID
}
