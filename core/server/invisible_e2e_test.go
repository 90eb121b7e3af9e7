package server_test

import (
	"testing"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/webhook"
)

// Red team s5, F6 (unicode tricks in names): text other people read — a contract's subject,
// remark, file names and company, template, archive folder and approval rule names, approval
// notes, API key names (shown as the device in a contract's timeline and 签署报告), webhook
// descriptions — refuses bidi overrides, zero-width and other invisible characters, as
// enterprise, member and account names already did. Before: an API key named "合同\u202eFDP.exe"
// and subjects, file names and folders with U+200B, U+200E, U+FEFF or tag characters were kept.
func TestInvisibleCharactersRefusedE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			a := e.register(t, newPhone())
			ent, err := a.CreateEnterprise(ctx, "杭州字符检查有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			me, err := a.Me(ctx)
			if err != nil {
				t.Fatal(err)
			}
			file, err := a.UploadBlob(ctx, pdfBytes(t, 1, "invisible"))
			if err != nil {
				t.Fatal(err)
			}
			draft := func(mod func(*api.EnvelopeRequest)) error {
				req := api.EnvelopeRequest{Subject: "采购合同", Draft: true, Files: []api.FileRef{{Name: "采购合同.pdf", SHA256: file.SHA256}},
					Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: "李四", Phone: "13800000000"}}}
				mod(&req)
				_, err := a.SendEnvelope(ctx, client.NewIdempotencyKey(), req)
				return err
			}
			checks := []struct {
				code string
				try  func(s string) error
			}{
				{"bad_subject", func(s string) error { return draft(func(r *api.EnvelopeRequest) { r.Subject = "采购" + s }) }},
				{"bad_remark", func(s string) error { return draft(func(r *api.EnvelopeRequest) { r.Remark = "请签" + s }) }},
				{"bad_file_name", func(s string) error {
					return draft(func(r *api.EnvelopeRequest) { r.Files[0].Name = "合同" + s + ".pdf" })
				}},
				{"bad_company", func(s string) error {
					return draft(func(r *api.EnvelopeRequest) {
						r.Recipients[0] = api.Recipient{Kind: api.RecipientCompany, Name: "王经办", Phone: "13800000001", Company: "甲" + s + "公司"}
					})
				}},
				{"bad_template_name", func(s string) error {
					_, err := a.SaveTemplate(ctx, api.Template{Name: "模板" + s, Files: []api.FileRef{{Name: "采购合同.pdf", SHA256: file.SHA256}},
						Roles: []api.Recipient{{Kind: api.RecipientPerson}}})
					return err
				}},
				{"bad_folder_name", func(s string) error {
					_, err := a.SaveArchiveFolder(ctx, ent.ID, api.ArchiveFolder{Name: "档案" + s})
					return err
				}},
				{"bad_folder_rule", func(s string) error {
					_, err := a.SaveArchiveFolder(ctx, ent.ID, api.ArchiveFolder{Name: "档案", Counterparties: []string{"乙" + s}})
					return err
				}},
				{"bad_rule_name", func(s string) error {
					_, err := a.SaveApprovalRule(ctx, ent.ID, api.ApprovalRule{Name: "审批" + s, Kind: api.ApprovalSend, Approvers: []string{me.ID}})
					return err
				}},
				{"bad_key_name", func(s string) error {
					_, err := a.CreateAPIKey(ctx, ent.ID, api.APIKeyRequest{Name: "合同" + s + "FDP.exe", Scopes: []string{api.ScopeRead}})
					return err
				}},
				{"bad_description", func(s string) error {
					_, err := a.CreateWebhook(ctx, ent.ID, webhook.EndpointInput{URL: "https://example.com/hook", Description: "推送" + s})
					return err
				}},
			}
			for _, trick := range []string{"\u202e", "\u200b", "\u200e", "\ufeff", "\U000e0041", "\x00"} {
				for _, c := range checks {
					wantCode(t, c.try(trick), c.code)
				}
			}
			// The same text without the trick passes everywhere (the checks refuse only the trick).
			for _, c := range checks {
				if err := c.try("　全角（中文）"); err != nil {
					t.Errorf("%s: plain text refused: %v", c.code, err)
				}
			}
		})
	}
}
