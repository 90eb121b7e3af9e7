package server_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// Failed logins lock the account; the lock is in the store, so it holds across a restart (and
// across processes sharing PostgreSQL), and ends after the lockout time.
func TestLoginLockoutPersists(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			phone := newPhone()
			e.register(t, phone)
			c := e.client(t)
			for i := 0; i < 5; i++ {
				_, err := c.Login(ctx, org.LoginRequest{Login: phone, Password: "Wrong0neX"})
				wantCode(t, err, "bad_credentials")
			}
			_, err := c.Login(ctx, org.LoginRequest{Login: phone, Password: testPassword})
			wantCode(t, err, "locked")
			e.restart(t, true)
			c = e.client(t)
			_, err = c.Login(ctx, org.LoginRequest{Login: phone, Password: testPassword})
			wantCode(t, err, "locked")
			e.clock.Advance(16 * time.Minute)
			if _, err := c.Login(ctx, org.LoginRequest{Login: phone, Password: testPassword}); err != nil {
				t.Fatalf("login after the lockout: %v", err)
			}
			// Logout revokes the session.
			if err := c.Logout(ctx); err != nil {
				t.Fatal(err)
			}
			c2 := e.client(t)
			tok, _ := c2.Login(ctx, org.LoginRequest{Login: phone, Password: testPassword})
			c2.Logout(ctx)
			c2.Token = tok.Token
			_, err = c2.Me(ctx)
			wantCode(t, err, "unauthenticated")
			// Sessions expire.
			c3 := e.client(t)
			c3.Login(ctx, org.LoginRequest{Login: phone, Password: testPassword})
			e.clock.Advance(31 * 24 * time.Hour)
			_, err = c3.Me(ctx)
			wantCode(t, err, "unauthenticated")
		})
	}
}

func TestRegistrationRules(t *testing.T) {
	e := start(t, openBolt(t), true)
	c := e.client(t)
	phone := newPhone()
	wantCode(t, c.SendCode(ctx, "12345", org.PurposeRegister), "bad_login")
	if err := c.SendCode(ctx, phone, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	code := e.lastCode(t, phone)
	for _, pw := range []string{"short1A", "alllowercase1", "ALLUPPER1", "NoDigitsHere", "Way2LongPassword12345"} {
		_, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Name: "张三", Password: pw})
		wantCode(t, err, "weak_password")
	}
	_, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: "000000", Name: "张三", Password: testPassword})
	wantCode(t, err, "code_invalid")
	if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Name: "张三", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	// The code is spent, and the login is taken.
	c2 := e.client(t)
	_, err = c2.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Name: "张三", Password: testPassword})
	wantCode(t, err, "code_invalid")
	// Wrong guesses burn a code.
	mail := "li@example.com"
	c2.SendCode(ctx, mail, org.PurposeRegister)
	good := e.lastCode(t, mail)
	for i := 0; i < 5; i++ {
		c2.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: mail, Code: "999999", Name: "李", Password: testPassword})
	}
	_, err = c2.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: mail, Code: good, Name: "李", Password: testPassword})
	wantCode(t, err, "code_invalid")
	// Strict JSON: unknown fields are refused with a Chinese message.
	resp, err := e.run.HTTPClient().Post(e.run.URL+"/api/v1/auth/login", "application/json", strings.NewReader(`{"login":"x","pasword":"y"}`))
	if err != nil {
		t.Fatal(err)
	}
	var eb struct {
		Error struct{ Code, Message string }
	}
	json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if resp.StatusCode != 400 || eb.Error.Code != "bad_json" || !strings.Contains(eb.Error.Message, "pasword") {
		t.Errorf("unknown field: %d %+v", resp.StatusCode, eb)
	}
}

func TestCommandsAndSync(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			c := e.register(t, newPhone())
			me, _ := c.Me(ctx)
			scope := org.Scope(me.ID)
			cmd := sync.Command{Type: "settings.put", Scope: scope, Payload: json.RawMessage(`{"key":"theme","value":"dark"}`)}
			key := client.NewIdempotencyKey()
			r1, err := c.Command(ctx, key, cmd)
			if err != nil || r1.Replayed || len(r1.Applied.Events) != 1 {
				t.Fatalf("first: %+v %v", r1, err)
			}
			r2, err := c.Command(ctx, key, cmd)
			if err != nil || !r2.Replayed || r2.Applied.Events[0] != r1.Applied.Events[0] {
				t.Fatalf("retry: %+v %v", r2, err)
			}
			_, err = c.Command(ctx, key, sync.Command{Type: "settings.put", Scope: scope, Payload: json.RawMessage(`{"key":"theme","value":"light"}`)})
			wantCode(t, err, "idempotency_key_reused")
			_, err = c.Command(ctx, "", cmd)
			wantCode(t, err, "bad_idempotency_key")
			_, err = c.Command(ctx, client.NewIdempotencyKey(), sync.Command{Type: "nope", Scope: scope})
			wantCode(t, err, "unknown_command")
			_, err = c.Command(ctx, client.NewIdempotencyKey(), sync.Command{Type: "settings.put", Scope: "user:someone-else", Payload: cmd.Payload})
			wantCode(t, err, "forbidden_scope")
			_, err = c.Pull(ctx, "user:someone-else", 0, 0, 0)
			wantCode(t, err, "forbidden_scope")
			// A refused command is refused again on retry, not re-run.
			badKey := client.NewIdempotencyKey()
			bad := sync.Command{Type: "profile.rename", Scope: scope, Payload: json.RawMessage(`{"name":""}`)}
			_, err = c.Command(ctx, badKey, bad)
			wantCode(t, err, "bad_name")
			_, err = c.Command(ctx, badKey, bad)
			wantCode(t, err, "bad_name")

			// Long poll: a waiting pull returns as soon as a command lands.
			p, err := c.Pull(ctx, scope, 0, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			cursor := p.Cursor
			got := make(chan time.Duration, 1)
			go func() {
				t0 := time.Now()
				p, err := c.Pull(ctx, scope, cursor, 0, 20*time.Second)
				if err != nil || len(p.Events) != 1 || p.Events[0].Type != "account.updated" {
					t.Errorf("long poll: %+v %v", p, err)
				}
				got <- time.Since(t0)
			}()
			time.Sleep(300 * time.Millisecond)
			if _, err := c.Command(ctx, client.NewIdempotencyKey(), sync.Command{Type: "profile.rename", Scope: scope, Payload: json.RawMessage(`{"name":"张三丰"}`)}); err != nil {
				t.Fatal(err)
			}
			if d := <-got; d > 5*time.Second {
				t.Errorf("long poll took %v", d)
			}
			if me, _ := c.Me(ctx); me.Name != "张三丰" {
				t.Errorf("rename not applied: %q", me.Name)
			}
			// An empty long poll ends at its wait.
			t0 := time.Now()
			p, err = c.Pull(ctx, scope, cursor+1, 0, 300*time.Millisecond)
			if err != nil || len(p.Events) != 0 || time.Since(t0) < 250*time.Millisecond {
				t.Errorf("empty long poll: %+v %v after %v", p, err, time.Since(t0))
			}
		})
	}
}

func TestWithoutDev(t *testing.T) {
	e := start(t, openBolt(t), false)
	// Without --dev there is no outbox to send codes to, and no notifier was configured.
	err := e.client(t).SendCode(ctx, newPhone(), org.PurposeRegister)
	wantCode(t, err, "notifier_unavailable")
	if e.run.Server.Outbox() != nil {
		t.Fatal("outbox exists without --dev")
	}
	resp, _ := e.run.HTTPClient().Get(e.run.URL + "/dev/outbox")
	if resp.StatusCode != 404 {
		t.Errorf("/dev/outbox without --dev: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func TestManualReviewHTTP(t *testing.T) {
	e := start(t, openBolt(t), true)
	c := e.register(t, newPhone())
	_, err := c.SubmitRealName(ctx, "张三", goodID, "face-scan")
	wantCode(t, err, "unknown_provider")
	v, err := c.SubmitRealName(ctx, "张三", goodID, "manual")
	if err != nil || v.Status != org.StatusAwaitingPhotos {
		t.Fatalf("%+v %v", v, err)
	}
	gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	_, err = c.UploadIDPhoto(ctx, v.ID, "front", gif)
	wantCode(t, err, "photo_type")
	_, err = c.UploadIDPhoto(ctx, v.ID, "front", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...))
	wantCode(t, err, "photo_type")
	_, err = c.UploadIDPhoto(ctx, v.ID, "front", append(testImage(t, "png"), make([]byte, 5<<20)...))
	wantCode(t, err, "photo_too_large")
	_, err = c.UploadIDPhoto(ctx, v.ID, "side", testImage(t, "png"))
	wantCode(t, err, "bad_side")
	other := e.register(t, newPhone())
	_, err = other.UploadIDPhoto(ctx, v.ID, "front", testImage(t, "png"))
	wantCode(t, err, "not_found")
	if v, err = c.UploadIDPhoto(ctx, v.ID, "front", testImage(t, "png")); err != nil || v.Status != org.StatusAwaitingPhotos {
		t.Fatalf("front: %+v %v", v, err)
	}
	if v, err = c.UploadIDPhoto(ctx, v.ID, "back", testImage(t, "jpeg")); err != nil || v.Status != org.StatusPending {
		t.Fatalf("back: %+v %v", v, err)
	}
	phone := newPhone()
	admin := e.register(t, phone)
	_, err = admin.Reviews(ctx, "")
	wantCode(t, err, "forbidden")
	e.run.Server.Org().SetAdmin(ctx, phone, true)
	list, err := admin.Reviews(ctx, "")
	if err != nil || len(list) != 1 || list[0].ID != v.ID || list[0].IDNumber != goodID {
		t.Fatalf("reviews: %+v %v", list, err)
	}
	_, err = admin.Reject(ctx, v.ID, "")
	wantCode(t, err, "reason_required")
	if r, err := admin.Reject(ctx, v.ID, "照片模糊"); err != nil || r.Status != org.StatusRejected {
		t.Fatalf("reject: %+v %v", r, err)
	}
	_, err = admin.Approve(ctx, v.ID)
	wantCode(t, err, "not_pending")
	if me, _ := c.Me(ctx); me.RealName != nil {
		t.Fatal("rejected verification verified the account")
	}
	// The user sees the rejection (masked number) in their own sync scope.
	me, _ := c.Me(ctx)
	p, _ := c.Pull(ctx, org.Scope(me.ID), 0, 0, 0)
	last := p.Events[len(p.Events)-1]
	if last.Type != "realname.updated" || !strings.Contains(string(last.Payload), "照片模糊") || strings.Contains(string(last.Payload), goodID) {
		t.Errorf("last event: %s %s", last.Type, last.Payload)
	}
	// Resubmitted and approved by the reviewer: a verified identity, so the certificate keeps the
	// ordinary person profile (no self-declared policy or OU).
	v, err = c.SubmitRealName(ctx, "张三", goodID, "manual")
	if err != nil {
		t.Fatal(err)
	}
	c.UploadIDPhoto(ctx, v.ID, "front", testImage(t, "png"))
	c.UploadIDPhoto(ctx, v.ID, "back", testImage(t, "jpeg"))
	if r, err := admin.Approve(ctx, v.ID); err != nil || r.Status != org.StatusApproved {
		t.Fatalf("approve: %+v %v", r, err)
	}
	wantSelfDeclared(t, requestPersonCert(t, c), false)
}
