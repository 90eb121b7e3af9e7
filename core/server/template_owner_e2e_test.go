package server_test

import (
	"testing"

	"sealdesk/core/api"
)

// Red team s5 (mass assignment): a template may name an enterprise (enterprise_id: 一键转交
// moves it, the open API offers it to that enterprise's keys) only if its maker is an enabled
// member of it. Before: any account could tag its templates with any enterprise's id.
func TestTemplateEnterpriseMembersOnlyE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			a, stranger := e.register(t, newPhone()), e.register(t, newPhone())
			ent, err := a.CreateEnterprise(ctx, "杭州模板归属有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				who  string
				want string
			}{{"stranger", "not_member"}, {"member", ""}} {
				cl := a
				if c.who == "stranger" {
					cl = stranger
				}
				f, err := cl.UploadBlob(ctx, pdfBytes(t, 1, c.who))
				if err != nil {
					t.Fatal(err)
				}
				_, err = cl.SaveTemplate(ctx, api.Template{Name: "采购模板", Enterprise: ent.ID, Files: []api.FileRef{{Name: "采购.pdf", SHA256: f.SHA256}},
					Roles: []api.Recipient{{Kind: api.RecipientPerson}}})
				if c.want != "" {
					wantCode(t, err, c.want)
				} else if err != nil {
					t.Errorf("%s: %v", c.who, err)
				}
			}
			if ts, err := stranger.Templates(ctx); err != nil || len(ts) != 0 {
				t.Errorf("the stranger kept %d templates (%v)", len(ts), err)
			}
		})
	}
}
