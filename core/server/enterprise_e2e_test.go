package server_test

import (
	"bytes"
	"fmt"
	"image/png"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"sealdesk/core/client"
	"sealdesk/core/org"
)

// decodeQRPNG reads the text of a QR code PNG with an independent decoder (gozxing).
func decodeQRPNG(t testing.TB, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("QR code is not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("QR code does not decode: %v", err)
	}
	return res.GetText()
}

func eventTypes(t testing.TB, c *client.Client, scope string) []string {
	t.Helper()
	var out []string
	var since uint64
	for {
		p, err := c.Pull(ctx, scope, since, 500, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Events {
			out = append(out, e.Type)
		}
		since = p.Cursor
		if !p.More {
			return out
		}
	}
}

// TestEnterpriseEndToEnd drives the enterprise API as three people with the desktop's client, on
// a real server over HTTPS on loopback, on bolt and on PostgreSQL: A creates an enterprise, B
// joins through the QR code (decoded back to the link) and is approved, gets a custom role, and
// may then do what the role allows and nothing else; every bad input is refused with a Chinese
// message and changes nothing.
func TestEnterpriseEndToEnd(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			phoneC := newPhone()
			a, b, c := e.register(t, newPhone()), e.register(t, newPhone()), e.register(t, phoneC)
			me := func(cl *client.Client) org.Account {
				acct, err := cl.Me(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return acct
			}
			accB, accC := me(b), me(c)

			// Create, and the bad creations.
			code := creditCode(t, "91330100MA2H00001")
			ent, err := a.CreateEnterprise(ctx, "杭州示例网络科技有限公司", code)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.CreateEnterprise(ctx, "杭州示例", code[:16]+"0"+code[17:])
			if code[16] == '0' {
				_, err = c.CreateEnterprise(ctx, "杭州示例", code[:16]+"1"+code[17:])
			}
			wantCode(t, err, "bad_credit_code")
			_, err = c.CreateEnterprise(ctx, "杭州示例", code)
			wantCode(t, err, "enterprise_exists")
			if mine, err := c.MyEnterprises(ctx); err != nil || len(mine) != 0 {
				t.Fatalf("refused creations left %+v %v", mine, err)
			}

			// Verify by micro-deposit (dev payment provider: the amount is in the dev outbox).
			// Three wrong amounts end the attempt; a fourth try is refused and changes nothing.
			deposit := func() int {
				t.Helper()
				v, err := a.StartVerification(ctx, ent.ID, org.VerificationRequest{Method: org.MethodDeposit, LegalRep: "王五", Bank: "招商银行杭州分行", Account: "571900012345678"})
				if err != nil || v.Status != org.EVPending || v.AmountMAC != "" || strings.Contains(v.Account, "0012345") {
					t.Fatalf("start deposit: %+v %v", v, err)
				}
				return e.depositFen(t, "571900012345678", v.ID)
			}
			fen := deposit()
			wrong := fmt.Sprintf("0.%02d", fen%99+1)
			for i := 0; i < 3; i++ {
				_, err := a.ConfirmEnterpriseDeposit(ctx, ent.ID, wrong)
				wantCode(t, err, "wrong_amount")
			}
			_, err = a.ConfirmEnterpriseDeposit(ctx, ent.ID, fmt.Sprintf("0.%02d", fen))
			wantCode(t, err, "deposit_attempts_exhausted")
			if got, err := a.Enterprise(ctx, ent.ID); err != nil || got.Enterprise.Status != org.EntUnverified || got.Enterprise.Reason == "" {
				t.Fatalf("after 3 wrong amounts: %+v %v", got.Enterprise, err)
			}
			fen = deposit()
			_, err = a.ConfirmEnterpriseDeposit(ctx, ent.ID, "1.50")
			wantCode(t, err, "bad_amount")
			if v, err := a.ConfirmEnterpriseDeposit(ctx, ent.ID, fmt.Sprintf("0.%02d", fen)); err != nil || v.Status != org.EVApproved {
				t.Fatalf("right amount: %+v %v", v, err)
			}
			if got, err := a.Enterprise(ctx, ent.ID); err != nil || got.Enterprise.Status != org.EntVerified || got.Enterprise.VerifiedBy != org.MethodDeposit {
				t.Fatalf("verified: %+v %v", got.Enterprise, err)
			}
			_, err = a.StartVerification(ctx, ent.ID, org.VerificationRequest{Method: org.MethodManual, LegalRep: "王五"})
			wantCode(t, err, "already_verified")

			// Invite by QR code: the PNG decodes to the link.
			qr, err := a.InviteQR(ctx, ent.ID)
			if err != nil {
				t.Fatal(err)
			}
			link := decodeQRPNG(t, qr)
			l, err := a.InviteLink(ctx, ent.ID)
			if err != nil || link != l.URL || !strings.HasPrefix(link, e.run.URL+"/join/") {
				t.Fatalf("QR decodes to %q, link %+v %v", link, l, err)
			}
			info, err := b.Invitation(ctx, link)
			if err != nil || info.EnterpriseName != ent.Name {
				t.Fatalf("invitation %+v %v", info, err)
			}
			if _, err := b.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Join(ctx, link); err != nil { // asking twice: the same request
				t.Fatal(err)
			}
			// Waiting: not a member yet.
			_, err = b.Members(ctx, ent.ID, "", 0)
			wantCode(t, err, "not_member")
			jrs, err := a.JoinRequests(ctx, ent.ID)
			if err != nil || len(jrs) != 1 || jrs[0].AccountID != accB.ID {
				t.Fatalf("join requests %+v %v", jrs, err)
			}
			if _, err := a.ApproveJoin(ctx, ent.ID, accB.ID); err != nil {
				t.Fatal(err)
			}
			_, err = a.ApproveJoin(ctx, ent.ID, accB.ID)
			wantCode(t, err, "no_join_request")

			// A custom role for B: manage members, nothing else.
			role, err := a.CreateRole(ctx, ent.ID, "人事专员", []org.Permission{org.PermManageMembers})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.SetMemberRole(ctx, ent.ID, accB.ID, role.ID); err != nil {
				t.Fatal(err)
			}
			mineB, err := b.Enterprise(ctx, ent.ID)
			if err != nil || !slices.Equal(mineB.Permissions, []org.Permission{org.PermManageMembers}) {
				t.Fatalf("B's permissions %+v %v", mineB, err)
			}
			// Permitted: departments and members; refused: roles, the audit log, giving itself more.
			dept, err := b.CreateDepartment(ctx, ent.ID, "人事部", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.CreateDepartment(ctx, ent.ID, "招聘组", dept.ID); err != nil {
				t.Fatal(err)
			}
			_, err = b.CreateRole(ctx, ent.ID, "超级角色", org.AllPermissions)
			wantCode(t, err, "permission_denied")
			_, err = b.EnterpriseAudit(ctx, ent.ID, "", 0)
			wantCode(t, err, "permission_denied")
			_, err = b.SetMemberRole(ctx, ent.ID, accB.ID, org.RoleAdmin)
			wantCode(t, err, "self")

			// Rotating the link: the old one is refused, nothing filed.
			rot, err := b.RotateInvite(ctx, ent.ID)
			if err != nil || rot.URL == link {
				t.Fatalf("rotate %+v %v", rot, err)
			}
			_, err = c.Join(ctx, link)
			wantCode(t, err, "invite_invalid")
			// Switched off: refused; on again: works until it expires.
			if _, err := a.SetInviteEnabled(ctx, ent.ID, false); err != nil {
				t.Fatal(err)
			}
			_, err = c.Join(ctx, rot.URL)
			wantCode(t, err, "invite_disabled")
			if _, err := a.SetInviteEnabled(ctx, ent.ID, true); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(org.DefaultInviteTTL + time.Minute)
			_, err = c.Join(ctx, rot.URL)
			wantCode(t, err, "invite_expired")
			if jrs, err := a.JoinRequests(ctx, ent.ID); err != nil || len(jrs) != 0 {
				t.Fatalf("refused joins left requests: %+v %v", jrs, err)
			}
			// A personal invitation (name + phone) works only for that phone; the SMS carries it.
			inv, err := a.AddMember(ctx, ent.ID, "陈七", phoneC)
			if err != nil || !strings.HasPrefix(inv.URL, e.run.URL+"/join/") {
				t.Fatalf("add member: %+v %v", inv, err)
			}
			if msgs := e.run.Server.Outbox().Messages(); !strings.Contains(msgs[len(msgs)-1].Body, inv.URL) || msgs[len(msgs)-1].To != phoneC {
				t.Fatalf("no SMS with the invitation: %+v", msgs[len(msgs)-1])
			}
			_, err = a.AddMember(ctx, ent.ID, "陈七", "12345")
			wantCode(t, err, "bad_phone")
			outsider := e.register(t, newPhone())
			_, err = outsider.Join(ctx, inv.URL)
			wantCode(t, err, "invite_other_phone")
			fresh, err := a.RotateInvite(ctx, ent.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Join(ctx, fresh.URL); err != nil {
				t.Fatal(err)
			}
			if _, err := b.ApproveJoin(ctx, ent.ID, accC.ID); err != nil { // B may manage members
				t.Fatal(err)
			}
			// A plain member sees the list with phone numbers masked; a manager in full.
			if ms, err := c.Members(ctx, ent.ID, "", 0); err != nil || len(ms) != 3 || !strings.Contains(ms[0].Phone, "****") {
				t.Fatalf("members as a plain member: %+v %v", ms, err)
			}
			if ms, err := b.Members(ctx, ent.ID, "", 0); err != nil || strings.Contains(ms[0].Phone, "*") {
				t.Fatalf("members as a manager: %+v %v", ms, err)
			}
			// The invitation page the link opens names the enterprise (escaped); a dead link says why.
			for _, l := range []struct {
				url  string
				code int
				want string
			}{{fresh.URL, 200, ent.Name}, {link, 410, "邀请链接已失效"}} {
				resp, err := c.HTTP.Get(l.url)
				if err != nil {
					t.Fatal(err)
				}
				page, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != l.code || !strings.Contains(string(page), l.want) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("join page %s: %d %s", l.url, resp.StatusCode, page)
				}
			}

			// Removed and disabled members are refused at once, pulls included.
			if err := a.RemoveMember(ctx, ent.ID, accC.ID); err != nil {
				t.Fatal(err)
			}
			_, err = c.Members(ctx, ent.ID, "", 0)
			wantCode(t, err, "not_member")
			_, err = c.Pull(ctx, org.EnterpriseScope(ent.ID), 0, 10, 0)
			wantCode(t, err, "not_member")
			if _, err := a.DisableMember(ctx, ent.ID, accB.ID); err != nil {
				t.Fatal(err)
			}
			_, err = b.CreateDepartment(ctx, ent.ID, "财务部", "")
			wantCode(t, err, "member_disabled")
			_, err = b.Pull(ctx, org.EnterpriseScope(ent.ID), 0, 10, 0)
			wantCode(t, err, "member_disabled")
			if deps, err := a.Departments(ctx, ent.ID); err != nil || len(deps) != 2 {
				t.Fatalf("departments after a refused one: %+v %v", deps, err)
			}
			if _, err := a.EnableMember(ctx, ent.ID, accB.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Members(ctx, ent.ID, "", 0); err != nil {
				t.Fatalf("re-enabled: %v", err)
			}
			// Exactly one 主管理员: it cannot be disabled, removed or given away here.
			_, err = b.DisableMember(ctx, ent.ID, ent.Owner)
			wantCode(t, err, "owner")
			_, err = a.SetMemberRole(ctx, ent.ID, accB.ID, org.RoleOwner)
			wantCode(t, err, "owner")

			// Every change is an event and an audit line; the CSV has them all.
			types := eventTypes(t, a, org.EnterpriseScope(ent.ID))
			for _, want := range []string{"enterprise.created", "enterprise.verification_failed", "enterprise.verified", "member.join_requested", "member.joined", "role.created",
				"member.updated", "department.created", "invite.rotated", "invite.disabled", "invite.enabled",
				"member.removed", "member.disabled", "member.enabled"} {
				if !slices.Contains(types, want) {
					t.Errorf("no %s event in %v", want, types)
				}
			}
			audit, err := a.EnterpriseAudit(ctx, ent.ID, "", 0)
			if err != nil || len(audit) != len(types) {
				t.Fatalf("audit: %d lines for %d events, %v", len(audit), len(types), err)
			}
			csv, err := a.EnterpriseAuditCSV(ctx, ent.ID)
			if err != nil || !bytes.HasPrefix(csv, []byte("\ufeff时间,操作人,操作")) || bytes.Count(csv, []byte("\n")) != len(types)+1 {
				t.Fatalf("csv: %v\n%s", err, csv)
			}
		})
	}
}

var depositRE = regexp.MustCompile(`打款 ([0-9])\.([0-9]{2}) 元，用于 SealDesk 企业认证 (ev_[0-9a-f]+)`)

// depositFen reads the amount (in fen) the dev payment provider "paid" to account for the
// verification vid.
func (e *env) depositFen(t testing.TB, account, vid string) int {
	t.Helper()
	msgs := e.run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := depositRE.FindStringSubmatch(msgs[i].Body); m != nil && msgs[i].To == account && m[3] == vid {
			var y, f int
			fmt.Sscan(m[1], &y)
			fmt.Sscan(strings.TrimLeft(m[2], "0"), &f)
			if y != 0 || f < 1 || f > 99 {
				t.Fatalf("deposit of %s.%s yuan", m[1], m[2])
			}
			return f
		}
	}
	t.Fatalf("no deposit to %s in the dev outbox", account)
	return 0
}

// TestEnterpriseManualReview: the uploads of a manual verification (PNG/JPEG ≤ 5 MB, re-encoded)
// go to the server's review queue; a reviewer rejects with a reason the enterprise sees, then
// approves a new attempt. Bad uploads are refused and store nothing.
func TestEnterpriseManualReview(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			a := e.register(t, newPhone())
			reviewerPhone := newPhone()
			reviewer := e.register(t, reviewerPhone)
			if _, err := e.run.Server.Org().SetAdmin(ctx, reviewerPhone, true); err != nil {
				t.Fatal(err)
			}
			ent, err := a.CreateEnterprise(ctx, "深圳示例电子有限公司", creditCode(t, "91440300MA5G00001"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = a.UploadVerification(ctx, ent.ID, "business_licence", testImage(t, "png"))
			wantCode(t, err, "no_manual_review")
			manual := func() org.EntVerification {
				v, err := a.StartVerification(ctx, ent.ID, org.VerificationRequest{Method: org.MethodManual, LegalRep: "赵六"})
				if err != nil || v.Status != org.EVAwaitingUploads {
					t.Fatalf("start manual: %+v %v", v, err)
				}
				return v
			}
			v := manual()
			// 6 MB, not an image, a PNG header over garbage: refused, nothing stored.
			big := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 6<<20)...)
			_, err = a.UploadVerification(ctx, ent.ID, "business_licence", big)
			wantCode(t, err, "photo_too_large")
			_, err = a.UploadVerification(ctx, ent.ID, "business_licence", []byte("%PDF-1.7 not an image"))
			wantCode(t, err, "photo_type")
			_, err = a.UploadVerification(ctx, ent.ID, "business_licence", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...))
			wantCode(t, err, "photo_type")
			_, err = a.UploadVerification(ctx, ent.ID, "selfie", testImage(t, "png"))
			wantCode(t, err, "bad_kind")
			if cur, err := a.EnterpriseVerification(ctx, ent.ID); err != nil || len(cur.Uploads) != 0 || cur.ID != v.ID {
				t.Fatalf("refused uploads left %+v %v", cur, err)
			}
			upload := func() org.EntVerification {
				var last org.EntVerification
				for i, kind := range org.EntUploadKinds {
					format := "png"
					if i%2 == 1 {
						format = "jpeg"
					}
					var err error
					if last, err = a.UploadVerification(ctx, ent.ID, kind, testImage(t, format)); err != nil {
						t.Fatalf("%s: %v", kind, err)
					}
				}
				return last
			}
			if last := upload(); last.Status != org.EVPending {
				t.Fatalf("all uploads: %+v", last)
			}
			queue, err := reviewer.EnterpriseReviews(ctx, "")
			if err != nil || len(queue) != 1 || queue[0].ID != v.ID {
				t.Fatalf("queue %+v %v", queue, err)
			}
			img, typ, err := reviewer.EnterpriseReviewUpload(ctx, v.ID, "legal_rep_id_front")
			if err != nil || typ != "image/jpeg" || !bytes.HasPrefix(img, []byte{0xff, 0xd8}) {
				t.Fatalf("upload %s %d bytes %v", typ, len(img), err)
			}
			_, err = a.EnterpriseReviews(ctx, "")
			wantCode(t, err, "forbidden")
			_, err = reviewer.RejectEnterprise(ctx, v.ID, "")
			wantCode(t, err, "reason_required")
			if _, err := reviewer.RejectEnterprise(ctx, v.ID, "营业执照照片不清晰"); err != nil {
				t.Fatal(err)
			}
			got, err := a.Enterprise(ctx, ent.ID)
			if err != nil || got.Enterprise.Status != org.EntRejected || got.Enterprise.Reason != "营业执照照片不清晰" {
				t.Fatalf("rejected: %+v %v", got.Enterprise, err)
			}
			v = manual()
			upload()
			if _, err := reviewer.ApproveEnterprise(ctx, v.ID); err != nil {
				t.Fatal(err)
			}
			_, err = reviewer.ApproveEnterprise(ctx, v.ID)
			wantCode(t, err, "not_pending")
			if got, err := a.Enterprise(ctx, ent.ID); err != nil || got.Enterprise.Status != org.EntVerified || got.Enterprise.LegalRep != "赵六" {
				t.Fatalf("approved: %+v %v", got.Enterprise, err)
			}
		})
	}
}

// TestEnterpriseLegalRepCheck: the dev checker under --dev; without a checker the method is
// refused with a clear message.
func TestEnterpriseLegalRepCheck(t *testing.T) {
	e := start(t, openBolt(t), true)
	a := e.register(t, newPhone())
	ent, err := a.CreateEnterprise(ctx, "成都示例软件有限公司", creditCode(t, "91510100MA6C00001"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.StartVerification(ctx, ent.ID, org.VerificationRequest{Method: org.MethodLegalRep, LegalRep: "钱七", LegalRepID: "11010519491231002Y"})
	wantCode(t, err, "bad_id_number")
	// Only the legal representative in person: first without, then with the real name.
	_, err = a.StartVerification(ctx, ent.ID, org.VerificationRequest{Method: org.MethodLegalRep, LegalRep: "钱七", LegalRepID: "11010519491231002X"})
	wantCode(t, err, "not_legal_rep")
	if _, err := a.SubmitRealName(ctx, "钱七", "11010519491231002X", "dev"); err != nil {
		t.Fatal(err)
	}
	v, err := a.StartVerification(ctx, ent.ID, org.VerificationRequest{Method: org.MethodLegalRep, LegalRep: "钱七", LegalRepID: "11010519491231002X"})
	if err != nil || v.Status != org.EVApproved || strings.Contains(v.LegalRepID, "19491231") {
		t.Fatalf("%+v %v", v, err)
	}
	// Without --dev there is no checker and no payment provider.
	p := start(t, openBolt(t), false)
	if p.run.Server.Org().LegalRep != nil || p.run.Server.Org().Payments != nil {
		t.Fatal("dev enterprise providers registered without --dev")
	}
}
