package server_test

import (
	"bytes"
	"image/png"
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
			a, b, c := e.register(t, newPhone()), e.register(t, newPhone()), e.register(t, newPhone())
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
			for _, want := range []string{"enterprise.created", "member.join_requested", "member.joined", "role.created",
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
