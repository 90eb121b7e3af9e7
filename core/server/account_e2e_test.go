package server_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"crypto/x509/pkix"
	"encoding/pem"
	"slices"

	"golang.org/x/image/bmp"

	"sealdesk/core/pki"

	"sealdesk/core/api"
	"sealdesk/core/billing"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
)

// 忘记密码 and 修改登录密码 through the desktop's client against a real server, on both stores:
// every refusal (a wrong or expired code, a wrong current password, a weak new password, stale
// terms) says why in Chinese and changes nothing.
func TestAccountPasswordsE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			phone := newPhone()
			c := e.client(t)
			terms, err := c.Terms(ctx)
			if err != nil || terms != org.DefaultTerms {
				t.Fatalf("terms: %+v %v", terms, err)
			}
			if err := c.SendCode(ctx, phone, org.PurposeRegister); err != nil {
				t.Fatal(err)
			}
			code := e.lastCode(t, phone)
			// Consent is required (manual 004 §1.1): without the ticked versions, refused in
			// Chinese naming both documents, and no account is made.
			_, err = c.Register(ctx, org.RegisterRequest{Login: phone, Code: code, Name: "赵六", Password: testPassword})
			wantCode(t, err, "consent_required")
			var ce *client.Error
			if errors.As(err, &ce) && (ce.Status != 400 || !strings.Contains(ce.Message, "《服务条款》") || !strings.Contains(ce.Message, "《隐私政策》")) {
				t.Errorf("consent refusal: %d %q", ce.Status, ce.Message)
			}
			if _, err := e.client(t).Login(ctx, org.LoginRequest{Login: phone, Password: testPassword}); err == nil {
				t.Fatal("an account was made without consent")
			}
			_, err = c.Register(ctx, org.RegisterRequest{Login: phone, Code: code, Name: "赵六", Password: testPassword, TermsVersion: terms.Terms})
			wantCode(t, err, "terms_outdated") // one of the two is not consent to both
			_, err = c.Register(ctx, org.RegisterRequest{Login: phone, Code: code, Name: "赵六", Password: testPassword,
				TermsVersion: "2020-01", PrivacyVersion: terms.Privacy})
			wantCode(t, err, "terms_outdated")
			tok, err := c.Register(ctx, org.RegisterRequest{Login: phone, Code: code, Name: "赵六", Password: testPassword,
				TermsVersion: terms.Terms, PrivacyVersion: terms.Privacy})
			if err != nil {
				t.Fatal(err)
			}
			me, err := c.Me(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(me.Consents) != 2 || me.Consents[0].Doc != org.DocTerms || me.Consents[0].Version != terms.Terms ||
				me.Consents[1].Doc != org.DocPrivacy || me.Consents[0].Accepted.IsZero() || me.Created.IsZero() || me.Phone != phone {
				t.Errorf("account information: %+v", me)
			}
			_ = tok

			login := func(pw string) error {
				_, err := e.client(t).Login(ctx, org.LoginRequest{Login: phone, Password: pw})
				return err
			}
			// 修改登录密码 with a wrong current password: refused, nothing changes.
			err = c.ChangePassword(ctx, org.ChangePasswordRequest{Current: "Wrong0Pass", New: "NewPassw0rd"})
			wantCode(t, err, "wrong_password")
			if err := login(testPassword); err != nil {
				t.Fatalf("old password after a refused change: %v", err)
			}
			err = c.ChangePassword(ctx, org.ChangePasswordRequest{Current: testPassword, New: "weak"})
			wantCode(t, err, "weak_password")
			if err := c.ChangePassword(ctx, org.ChangePasswordRequest{Current: testPassword, New: "NewPassw0rd"}); err != nil {
				t.Fatal(err)
			}
			if err := login(testPassword); !client.IsCode(err, "bad_credentials") {
				t.Errorf("old password after the change: %v", err)
			}
			if err := login("NewPassw0rd"); err != nil {
				t.Errorf("new password: %v", err)
			}
			if _, err := c.Me(ctx); err != nil {
				t.Errorf("the session survives 修改登录密码: %v", err)
			}
			// … and by a code sent to the login.
			e.clock.Advance(61 * time.Second) // one code a minute per login
			if err := c.SendOwnCode(ctx, org.PurposeReset); err != nil {
				t.Fatal(err)
			}
			err = c.ChangePassword(ctx, org.ChangePasswordRequest{Code: "000000", New: "Third0Pass"})
			if !client.IsCode(err, "code_invalid") {
				wantCode(t, err, "code_invalid")
			}
			if err := c.ChangePassword(ctx, org.ChangePasswordRequest{Code: e.lastCode(t, phone), New: "Third0Pass"}); err != nil {
				t.Fatal(err)
			}
			if err := login("Third0Pass"); err != nil {
				t.Errorf("password changed by code: %v", err)
			}
			// Five wrong current passwords lock the password way (the code way stays).
			for i := 0; i < org.ChangePasswordFailures; i++ {
				c.ChangePassword(ctx, org.ChangePasswordRequest{Current: "Wrong0Pass", New: "Other0Pass"})
			}
			err = c.ChangePassword(ctx, org.ChangePasswordRequest{Current: "Third0Pass", New: "Other0Pass"})
			wantCode(t, err, "locked")

			// 忘记密码: an expired code is refused and the password stays.
			anon := e.client(t)
			e.clock.Advance(61 * time.Second) // one code a minute per login
			if err := anon.SendCode(ctx, phone, org.PurposeReset); err != nil {
				t.Fatal(err)
			}
			old := e.lastCode(t, phone)
			e.clock.Advance(11 * time.Minute)
			err = anon.ResetPassword(ctx, org.ResetRequest{Login: phone, Code: old, Password: "Reset0Pass"})
			wantCode(t, err, "code_invalid")
			if err := login("Third0Pass"); err != nil {
				t.Fatalf("password after a refused reset: %v", err)
			}
			e.clock.Advance(61 * time.Second) // one code a minute per login
			if err := anon.SendCode(ctx, phone, org.PurposeReset); err != nil {
				t.Fatal(err)
			}
			err = anon.ResetPassword(ctx, org.ResetRequest{Login: phone, Code: e.lastCode(t, phone), Password: "short"})
			wantCode(t, err, "weak_password")
			if err := anon.ResetPassword(ctx, org.ResetRequest{Login: phone, Code: e.lastCode(t, phone), Password: "Reset0Pass"}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Me(ctx); !client.IsCode(err, "unauthenticated") {
				t.Errorf("a session from before 忘记密码 still works: %v", err)
			}
			if err := login("Third0Pass"); !client.IsCode(err, "bad_credentials") {
				t.Errorf("old password after the reset: %v", err)
			}
			if err := login("Reset0Pass"); err != nil {
				t.Errorf("reset password: %v", err)
			}
			// A reset code for a login that is not registered is never made.
			stranger := newPhone()
			if err := anon.SendCode(ctx, stranger, org.PurposeReset); err != nil {
				t.Fatal(err)
			}
			if m := e.run.Server.Outbox().Messages(); !strings.Contains(m[len(m)-1].Body, "尚未注册") {
				t.Errorf("reset to an unknown login: %q", m[len(m)-1].Body)
			}
			// 二次校验 codes are only for the signed-in owner.
			err = anon.SendCode(ctx, phone, org.PurposeConfirm)
			wantCode(t, err, "bad_purpose")
		})
	}
}

// 二次校验 is enforced by the server for 拒签, 撤回 and signing: switched on by the person, or by an
// enterprise for its members; switching it off needs a code.
func TestSecondCheckE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), nil)
			a, b := newParty(t, e, "王菲菲"), newParty(t, e, "李四")
			files := []client.NamedFile{{Name: "a.pdf", Data: pdfBytes(t, 1, "second check")}}
			if _, err := b.c.SetSecondCheck(ctx, org.SecondCheckRequest{On: true}); err != nil {
				t.Fatal(err)
			}
			env := sendTo(t, a, "二次校验", files, []api.Recipient{person(b)}, nil)
			_, err := b.c.Decline(ctx, client.NewIdempotencyKey(), env.ID, "不同意")
			wantCode(t, err, "second_check_required")
			signed := signDocument(t, e, b, env.ID, 0, nil)
			_, err = b.c.UploadRevision(ctx, client.NewIdempotencyKey(), env.ID, 0, signed)
			wantCode(t, err, "second_check_required")
			if bx := boxOf(t, b, env.ID); bx != api.BoxToSign {
				t.Fatalf("refused actions changed the box: %s", bx)
			}
			e.clock.Advance(61 * time.Second) // one code a minute per login
			if err := b.c.SendOwnCode(ctx, org.PurposeConfirm); err != nil {
				t.Fatal(err)
			}
			_, err = b.c.UploadRevision(client.WithConfirmCode(ctx, "123456"), client.NewIdempotencyKey(), env.ID, 0, signed)
			wantCode(t, err, "code_invalid")
			got, err := b.c.UploadRevision(client.WithConfirmCode(ctx, e.lastCode(t, b.phone)), client.NewIdempotencyKey(), env.ID, 0, signed)
			if err != nil || got.Status == api.EnvelopeInProgress {
				t.Fatalf("sign with the code: %+v %v", got.Status, err)
			}
			// Switching off needs a code.
			_, err = b.c.SetSecondCheck(ctx, org.SecondCheckRequest{On: false})
			wantCode(t, err, "second_check_required")
			e.clock.Advance(2 * time.Minute)
			if err := b.c.SendOwnCode(ctx, org.PurposeConfirm); err != nil {
				t.Fatal(err)
			}
			if acct, err := b.c.SetSecondCheck(ctx, org.SecondCheckRequest{On: false, Code: e.lastCode(t, b.phone)}); err != nil || acct.SecondCheck {
				t.Fatalf("switch off: %+v %v", acct, err)
			}
			// The sender's 撤回 with it on.
			if _, err := a.c.SetSecondCheck(ctx, org.SecondCheckRequest{On: true}); err != nil {
				t.Fatal(err)
			}
			env2 := sendTo(t, a, "撤回二次校验", files, []api.Recipient{person(b)}, nil)
			_, err = a.c.Withdraw(ctx, client.NewIdempotencyKey(), env2.ID, "重发")
			wantCode(t, err, "second_check_required")
			e.clock.Advance(61 * time.Second) // one code a minute per login
			if err := a.c.SendOwnCode(ctx, org.PurposeConfirm); err != nil {
				t.Fatal(err)
			}
			if w, err := a.c.Withdraw(client.WithConfirmCode(ctx, e.lastCode(t, a.phone)), client.NewIdempotencyKey(), env2.ID, "重发"); err != nil || w.Status != api.EnvelopeWithdrawn {
				t.Fatalf("withdraw with the code: %+v %v", w, err)
			}
			// An enterprise requires it of its members: b (a member, own check off) must give a code.
			ent, err := a.c.CreateEnterprise(ctx, "杭州二次校验有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			joinMember(t, a.c, b.c, ent.ID)
			on := true
			_, err = b.c.UpdateConsoleSettings(ctx, ent.ID, org.SettingsUpdate{SecondCheck: &on})
			wantCode(t, err, "permission_denied")
			if _, err := a.c.UpdateConsoleSettings(ctx, ent.ID, org.SettingsUpdate{SecondCheck: &on}); err != nil {
				t.Fatal(err)
			}
			env3 := sendTo(t, a, "企业二次校验", files, []api.Recipient{person(b)}, nil)
			_, err = b.c.Decline(ctx, client.NewIdempotencyKey(), env3.ID, "不同意")
			wantCode(t, err, "second_check_required")
			e.clock.Advance(2 * time.Minute)
			if err := b.c.SendOwnCode(ctx, org.PurposeConfirm); err != nil {
				t.Fatal(err)
			}
			if d, err := b.c.Decline(client.WithConfirmCode(ctx, e.lastCode(t, b.phone)), client.NewIdempotencyKey(), env3.ID, "不同意"); err != nil || d.Status != api.EnvelopeDeclined {
				t.Fatalf("decline with the code: %+v %v", d, err)
			}
		})
	}
}

// joinMember makes joiner an enabled member of entID through the invitation link.
func joinMember(t testing.TB, admin, joiner *client.Client, entID string) {
	t.Helper()
	link, err := admin.InviteLink(ctx, entID)
	if err != nil {
		t.Fatal(err)
	}
	jr, err := joiner.Join(ctx, link.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ApproveJoin(ctx, entID, jr.AccountID); err != nil {
		t.Fatal(err)
	}
}

func logoImage(t testing.TB, w, h int, format string, noise bool) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{uint8(x), 40, 200, 255}
			if noise {
				c = color.NRGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	var err error
	switch format {
	case "bmp":
		err = bmp.Encode(&b, img)
	default:
		err = png.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// 企业控制台: LOGO (a 2 MB file and a non-image are refused and leave the old logo; a BMP is
// re-encoded and served as PNG to members only), 企业通知邮箱 (low-quota notice), 设置管理员
// and the member count, and the monthly report counting sends and completions — all on both stores.
func TestEnterpriseConsoleE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), nil)
			a, b := newParty(t, e, "王菲菲"), newParty(t, e, "李四")
			ent, err := a.c.CreateEnterprise(ctx, "杭州控制台有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			con, err := a.c.Console(ctx, ent.ID)
			if err != nil || con.Members != 1 || con.MainAdmin.Name != "王菲菲" || !strings.Contains(con.MainAdmin.Phone, "*") {
				t.Fatalf("console: %+v %v", con, err)
			}
			_, err = b.c.Console(ctx, ent.ID)
			wantCode(t, err, "not_member")
			joinMember(t, a.c, b.c, ent.ID)
			if con, _ = b.c.Console(ctx, ent.ID); con.Members != 2 {
				t.Errorf("members after a join: %d", con.Members)
			}
			// LOGO.
			bmpLogo := logoImage(t, 300, 100, "bmp", false)
			_, err = b.c.SetLogo(ctx, ent.ID, bmpLogo)
			wantCode(t, err, "permission_denied")
			st, err := a.c.SetLogo(ctx, ent.ID, bmpLogo)
			if err != nil || st.LogoWidth != 300 || st.LogoHeight != 100 || st.Logo == "" {
				t.Fatalf("set logo: %+v %v", st, err)
			}
			// Members read the logo; it is not public (the signing page reaches its sender's
			// through the link: websign_logo_test.go).
			served, err := b.c.Logo(ctx, ent.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.client(t).Logo(ctx, ent.ID)
			wantCode(t, err, "unauthenticated")
			img, format, err := image.Decode(bytes.NewReader(served))
			if err != nil || format != "png" || img.Bounds().Dx() != 300 {
				t.Fatalf("served logo: %s %v", format, err)
			}
			big := logoImage(t, 900, 800, "png", true)
			if len(big) < 2<<20 {
				t.Fatalf("test logo is %d bytes, want 2 MB", len(big))
			}
			_, err = a.c.SetLogo(ctx, ent.ID, big)
			wantCode(t, err, "logo_too_large")
			if !strings.Contains(err.Error(), "1 MB") {
				t.Errorf("the refusal names the limit: %v", err)
			}
			_, err = a.c.SetLogo(ctx, ent.ID, []byte("%PDF-1.7 not an image"))
			wantCode(t, err, "bad_logo")
			if again, _ := b.c.Logo(ctx, ent.ID); !bytes.Equal(again, served) {
				t.Error("a refused upload changed the logo")
			}
			// 企业通知邮箱.
			bad := "not-an-email"
			_, err = a.c.UpdateConsoleSettings(ctx, ent.ID, org.SettingsUpdate{NotifyEmail: &bad})
			wantCode(t, err, "bad_email")
			mail := "Notice@Example.com"
			if st, err = a.c.UpdateConsoleSettings(ctx, ent.ID, org.SettingsUpdate{NotifyEmail: &mail}); err != nil || st.NotifyEmail != "notice@example.com" {
				t.Fatalf("notify email: %+v %v", st, err)
			}
			if st.Logo == "" {
				t.Error("changing the e-mail lost the logo")
			}
			// A send that leaves the 对公 quota under the threshold notifies the e-mail once a day.
			if err := e.store.Update(ctx, func(tx sync.Tx) error {
				return billing.Credit(tx, billing.Enterprise(ent.ID), "console-test", 12, 365*24*time.Hour, e.clock.Now())
			}); err != nil {
				t.Fatal(err)
			}
			files := []client.NamedFile{{Name: "a.pdf", Data: pdfBytes(t, 1, "console")}}
			refs, err := a.c.UploadFiles(ctx, files)
			if err != nil {
				t.Fatal(err)
			}
			send := func() api.Envelope {
				env, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "月报", Files: refs,
					Recipients: []api.Recipient{person(b)}, EnterpriseID: ent.ID})
				if err != nil {
					t.Fatal(err)
				}
				return env
			}
			notices := func() int {
				n := 0
				for _, m := range e.run.Server.Outbox().Messages() {
					if m.To == "notice@example.com" && strings.Contains(m.Body, "剩余可发对公合同") {
						n++
					}
				}
				return n
			}
			env1 := send()
			if notices() != 0 {
				t.Error("notice while 11 documents are left")
			}
			send()
			send()
			if n := notices(); n != 1 {
				t.Errorf("low-quota notices: %d, want 1 (once a day)", n)
			}
			// 签发量月度报表: 3 sent this month, 1 completed after b signs.
			signAll(t, e, b, env1)
			if err := e.run.Server.Envelopes().Finish(ctx, env1.ID); err != nil {
				t.Fatal(err)
			}
			months, err := b.c.EnterpriseMonthly(ctx, ent.ID, 12)
			if err != nil || len(months) != 12 {
				t.Fatalf("monthly: %+v %v", months, err)
			}
			last := months[11]
			if last.Month != e.clock.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01") || last.Sent != 3 || last.Completed != 1 {
				t.Errorf("this month: %+v", last)
			}
			if months[10].Sent != 0 || months[0].Month >= last.Month {
				t.Errorf("earlier months: %+v", months[:11])
			}
			_, err = b.c.EnterpriseMonthly(ctx, ent.ID, 99)
			wantCode(t, err, "bad_months")
			// The personal report counts the personal sends only.
			if mine, err := a.c.MyMonthly(ctx, 1); err != nil || len(mine) != 1 || mine[0].Sent != 0 {
				t.Errorf("personal report: %+v %v", mine, err)
			}
			// A stranger reads no report; the logo address of an enterprise without one says so.
			stranger := e.register(t, newPhone())
			_, err = stranger.EnterpriseMonthly(ctx, ent.ID, 12)
			wantCode(t, err, "not_member")
			if _, err := a.c.DeleteLogo(ctx, ent.ID); err != nil {
				t.Fatal(err)
			}
			_, err = stranger.Logo(ctx, ent.ID)
			wantCode(t, err, "not_member")
			_, err = b.c.Logo(ctx, ent.ID)
			wantCode(t, err, "no_logo")
		})
	}
}

// An invited person who registers from the invitation lands in the enterprise's join flow; a
// dead invitation is refused before the account is made. With a trial quota configured, a new
// unverified account can send at once (暂不实名，立即体验).
func TestRegisterFromInviteAndTrial(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startWith(t, open(t), true, func(o *server.Options) { o.Trial = server.TrialOptions{Docs: 5} })
			admin := e.register(t, newPhone())
			ent, err := admin.CreateEnterprise(ctx, "杭州邀请注册有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			link, err := admin.InviteLink(ctx, ent.ID)
			if err != nil {
				t.Fatal(err)
			}
			token := link.URL[strings.LastIndex(link.URL, "/")+1:]
			phone := newPhone()
			c := e.client(t)
			if err := c.SendCode(ctx, phone, org.PurposeRegister); err != nil {
				t.Fatal(err)
			}
			code := e.lastCode(t, phone)
			_, err = c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Name: "新同事", Password: testPassword, Invite: "bogus"})
			if err == nil {
				t.Fatal("registered with a bogus invitation")
			}
			var ce *client.Error
			if e, ok := err.(*client.Error); ok {
				ce = e
			}
			if ce == nil || ce.Status == http.StatusCreated || !strings.ContainsFunc(ce.Message, func(r rune) bool { return r >= 0x4e00 }) {
				t.Errorf("bogus invitation: %v", err)
			}
			tok, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Name: "新同事", Password: testPassword, Invite: token})
			if err != nil {
				t.Fatal(err)
			}
			if tok.Join == nil || tok.Join.EnterpriseID != ent.ID {
				t.Fatalf("registered from an invitation without a join request: %+v", tok.Join)
			}
			reqs, err := admin.JoinRequests(ctx, ent.ID)
			if err != nil || len(reqs) != 1 || reqs[0].AccountID != tok.Account.ID {
				t.Errorf("待审核成员: %+v %v", reqs, err)
			}
			bal, err := c.Balance(ctx, "")
			if err != nil || bal.Available != 5 {
				t.Errorf("trial quota: %+v %v", bal, err)
			}
			// … and a certificate that says it is not verified (未实名 on every verifier card).
			key, err := pki.GenerateKey(pki.ECDSAP256)
			if err != nil {
				t.Fatal(err)
			}
			csr, err := pki.NewCSR(key, pkix.Name{CommonName: "新同事"})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.RequestCertificate(ctx, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))
			if err != nil {
				t.Fatal(err)
			}
			certs, err := pki.ParseCertsPEM([]byte(resp.Certificate))
			if err != nil || !pki.IsSelfDeclared(certs[0]) || certs[0].Subject.CommonName != "新同事" || certs[0].Subject.SerialNumber != "" ||
				!slices.Contains(certs[0].Subject.OrganizationalUnit, pki.OUSelfDeclared) {
				t.Errorf("trial certificate: %+v %v", certs[0].Subject, err)
			}
		})
	}
}
