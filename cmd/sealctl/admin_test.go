package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/store/bolt"
)

func TestAdminReviewFlow(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := make([]byte, 32)
	rand.Read(key)
	run, err := server.Start(ctx, server.Options{Store: st, MasterKey: key, Dev: true}, server.ListenOptions{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(ctx)
	rootFile := filepath.Join(t.TempDir(), "root.pem")
	os.WriteFile(rootFile, run.Server.RootPEM(), 0o600)

	codeRE := regexp.MustCompile(`验证码是 ([0-9]{6})`)
	register := func(login string) *client.Client {
		c, _ := client.New(run.URL, run.Server.RootPEM())
		if err := c.SendCode(ctx, login, org.PurposeRegister); err != nil {
			t.Fatal(err)
		}
		msgs := run.Server.Outbox().Messages()
		code := codeRE.FindStringSubmatch(msgs[len(msgs)-1].Body)[1]
		if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: code, Name: "李四", Password: "Passw0rdX"}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	register("13700000001")
	if _, err := run.Server.Org().SetAdmin(ctx, "13700000001", true); err != nil {
		t.Fatal(err)
	}
	user := register("reviewee@example.com")
	v, err := user.SubmitRealName(ctx, "王五", "440524188001010014", "manual")
	if err != nil || v.Status != org.StatusAwaitingPhotos {
		t.Fatalf("%+v %v", v, err)
	}
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 300, 200)))
	for _, side := range []string{"front", "back"} {
		if v, err = user.UploadIDPhoto(ctx, v.ID, side, img.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if v.Status != org.StatusPending {
		t.Fatalf("after both photos: %s", v.Status)
	}

	sealctl := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := map[string]string{"SEALDESK_SERVER": run.URL, "SEALDESK_ROOT": rootFile}
		code := adminMain(ctx, args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
		return code, out.String(), errb.String()
	}
	if code, _, errs := sealctl("", "review", "list"); code != 2 || !strings.Contains(errs, "no session token") {
		t.Fatalf("without token: %d %s", code, errs)
	}
	code, out, errs := sealctl("Passw0rdX\n", "login", "13700000001")
	if code != 0 {
		t.Fatalf("login: %d %s", code, errs)
	}
	tok := strings.TrimSpace(out)
	code, out, errs = sealctl("", "--token", tok, "review", "list")
	if code != 0 || !strings.Contains(out, v.ID) || !strings.Contains(out, "440524188001010014") || !strings.Contains(out, "front,back") {
		t.Fatalf("review list: %d %q %s", code, out, errs)
	}
	photo := filepath.Join(t.TempDir(), "front.png")
	if code, _, errs = sealctl("", "--token", tok, "review", "photo", v.ID, "front", photo); code != 0 {
		t.Fatalf("photo: %s", errs)
	}
	// The server re-encodes uploads (issue 14): the same picture, not the same bytes.
	b, _ := os.ReadFile(photo)
	got, err := png.Decode(bytes.NewReader(b))
	if err != nil || got.Bounds() != image.Rect(0, 0, 300, 200) {
		t.Fatalf("downloaded photo: %v", err)
	}
	for y := 0; y < 200; y += 7 {
		for x := 0; x < 300; x += 7 {
			if r, g, bl, _ := got.At(x, y).RGBA(); r|g|bl != 0 {
				t.Fatalf("downloaded photo differs at %d,%d", x, y)
			}
		}
	}
	if code, _, errs = sealctl("", "--token", tok, "review", "reject", v.ID); code != 1 || !strings.Contains(errs, "reason_required") {
		t.Fatalf("reject without reason: %d %s", code, errs)
	}
	if code, out, errs = sealctl("", "--token", tok, "review", "approve", v.ID); code != 0 || !strings.Contains(out, "approved") {
		t.Fatalf("approve: %d %s %s", code, out, errs)
	}
	me, _ := user.Me(ctx)
	if me.RealName == nil || me.RealName.Provider != "manual" {
		t.Fatalf("account after approval: %+v", me)
	}
	if code, out, _ = sealctl("", "--token", tok, "audit"); code != 0 || !strings.Contains(out, "realname.approve") {
		t.Fatalf("audit: %s", out)
	}
	// A non-admin token is refused.
	if code, _, errs = sealctl("", "--token", user.Token, "review", "list"); code != 1 || !strings.Contains(errs, "forbidden") {
		t.Fatalf("non-admin: %d %s", code, errs)
	}
}
