package server_test

import (
	"testing"

	"sealdesk/core/ids"
	"sealdesk/core/org"
)

// creditCode makes a valid unified social credit code from a 17-character body.
func creditCode(t testing.TB, body string) string {
	c, err := ids.CreditCheck(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

// Create an enterprise through the API; its scope is readable by its members only.
func TestCreateEnterpriseHTTP(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			a := e.register(t, newPhone())
			x := e.register(t, newPhone())
			code := creditCode(t, "91310000MA1FL0001")
			ent, err := a.CreateEnterprise(ctx, "上海示例信息技术有限公司", code)
			if err != nil {
				t.Fatal(err)
			}
			_, err = x.CreateEnterprise(ctx, "冒名公司", code)
			wantCode(t, err, "enterprise_exists")
			_, err = x.CreateEnterprise(ctx, "冒名公司", code[:17]+"0")
			if code[17] == '0' {
				_, err = x.CreateEnterprise(ctx, "冒名公司", code[:17]+"1")
			}
			wantCode(t, err, "bad_credit_code")
			mine, err := a.MyEnterprises(ctx)
			if err != nil || len(mine) != 1 || mine[0].Enterprise.ID != ent.ID || mine[0].Member.Role != org.RoleOwner {
				t.Fatalf("%+v %v", mine, err)
			}
			if other, err := x.MyEnterprises(ctx); err != nil || len(other) != 0 {
				t.Fatalf("stranger's enterprises: %+v %v", other, err)
			}
			p, err := a.Pull(ctx, org.EnterpriseScope(ent.ID), 0, 100, 0)
			if err != nil || len(p.Events) != 2 || p.Events[0].Type != "enterprise.created" {
				t.Fatalf("pull: %+v %v", p, err)
			}
			_, err = x.Pull(ctx, org.EnterpriseScope(ent.ID), 0, 100, 0)
			wantCode(t, err, "not_member")
			_, err = x.Enterprise(ctx, ent.ID)
			wantCode(t, err, "not_member")
			_, err = x.Members(ctx, ent.ID, "", 0)
			wantCode(t, err, "not_member")
			ms, err := a.Members(ctx, ent.ID, "", 0)
			if err != nil || len(ms) != 1 || ms[0].Role != org.RoleOwner {
				t.Fatalf("members: %+v %v", ms, err)
			}
		})
	}
}
