package journey

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
	"sealdesk/ui"
)

// TestShotsContractsAll writes 文件 with 全部合同 on (a 主管理员 seeing a colleague's contracts),
// the view-only detail of one that waits for a company's seal (需加盖“…”的印章), and 发起签署 with
// a draft restored after a restart, against a real server on loopback, in Chinese and English at
// 1366×768 and 1024×640, into $SEALDESK_SHOTS. Without it the test skips.
func TestShotsContractsAll(t *testing.T) {
	dir := os.Getenv("SEALDESK_SHOTS")
	if dir == "" {
		t.Skip("set SEALDESK_SHOTS=DIR to write screen pictures")
	}
	ctx := context.Background()
	run, st := shotServer(t, server.Options{ContractsUnbilled: true}, true)
	admin, _, _ := shotPerson(t, run, "王管理")
	clerk, clerkID, clerkLogin := shotPerson(t, run, "李经办")
	ent := shotEnterprise(t, admin, "苏州示例科技有限公司", "91320500MA1AP0003")
	if err := st.Update(ctx, func(tx sync.Tx) error {
		if err := org.PutRole(tx, ent.ID, org.Role{ID: "r_send", Name: "经办", Permissions: []org.Permission{org.PermSendContracts}, Created: time.Now()}); err != nil {
			return err
		}
		return org.PutMember(tx, org.Member{EnterpriseID: ent.ID, AccountID: clerkID, Name: "李经办", Phone: clerkLogin, Role: "r_send", Joined: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	plainPDF, _ := contractPDF(t, t.TempDir())
	data, err := os.ReadFile(plainPDF)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct{ subject, company string }{{"华东区代理协议", ""}, {"年度设备采购合同", "杭州某某软件有限公司"}} {
		refs, err := clerk.UploadFiles(ctx, []client.NamedFile{{Name: x.subject + ".pdf", Data: data}})
		if err != nil {
			t.Fatal(err)
		}
		rc := api.Recipient{Kind: api.RecipientPerson, Name: "钱客户", Phone: "13912345678"}
		if x.company != "" {
			rc = api.Recipient{Kind: api.RecipientCompany, Company: x.company, Name: "赵经办", Phone: "13912345679"}
		}
		if _, err := clerk.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: x.subject, EnterpriseID: ent.ID, Files: refs,
			Recipients: []api.Recipient{rc}}); err != nil {
			t.Fatal(err)
		}
	}

	// A data folder whose 发起签署 was editing a draft when the app stopped.
	draftHome := t.TempDir()
	draftID := "20261204-230000-0123456789abcdef"
	draftDir := filepath.Join(draftHome, "drafts", draftID)
	if err := os.MkdirAll(draftDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(draftDir, "0123456789abcdef.pdf"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	draft := fmt.Sprintf(`{"id":%q,"subject":"租赁合同续签","remark":"请在月底前签署","sequential":true,
"files":[{"name":"租赁合同.pdf","file":"0123456789abcdef.pdf","size":%d,"sha256":"0123456789abcdef","pages":1}],
"recipients":[{"kind":"person","name":"钱客户","contact":"13912345678"}],"boxes":[]}`, draftID, len(data))
	if err := os.WriteFile(filepath.Join(draftDir, "draft.json"), []byte(draft), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(draftHome, "compose-current"), []byte(draftID), 0o600); err != nil {
		t.Fatal(err)
	}

	var s2 *ui.Shell
	build := func(lang, home string, c *client.Client, nav ui.NavID) {
		fyne.DoAndWait(func() {
			ui.SetLanguage(lang)
			s2 = ui.NewShell(fyne.CurrentApp(), win, ui.Services{Settings: &memSettings{dir: home, lang: lang}, Local: local,
				Conn: &shotConn{c: c, ent: ent.ID}})
			win.SetContent(s2.Content())
			s2.Show(nav)
		})
		time.Sleep(1500 * time.Millisecond) // the lists from the server
	}
	defer fyne.DoAndWait(func() {
		ui.SetLanguage(ui.LangChinese)
		shell.Rebuild()
		win.SetContent(shell.Content())
		win.Resize(fyne.NewSize(1200, 720))
	})
	for _, lang := range []string{ui.LangChinese, ui.LangEnglish} {
		for _, size := range []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 640}} {
			fyne.DoAndWait(func() { win.Resize(size) })
			sfx := fmt.Sprintf("-%s-%dx%d", lang, int(size.Width), int(size.Height))
			build(lang, t.TempDir(), admin, ui.NavDocuments)
			all, ok := waitFor(t, "the 全部合同 switch", false, func(o fyne.CanvasObject) bool {
				c, ok := o.(*widget.Check)
				return ok && c.Text == tabText(lang, "全部合同", "All contracts")
			}).(*widget.Check)
			if !ok {
				t.Fatal("no 全部合同 switch")
			}
			fyne.DoAndWait(func() { all.SetChecked(true) })
			row := waitFor(t, "the colleague's contract", false, labelHas("年度设备采购合同"))
			shot(t, "contracts-all"+sfx)
			fyne.DoAndWait(func() {
				// the row is a tappable container around the subject's label: tap the label's row
				walk(win.Content(), func(o fyne.CanvasObject) {
					if tp, ok := o.(fyne.Tappable); ok && containsObject(o, row) {
						tp.Tapped(&fyne.PointEvent{})
					}
				})
			})
			waitFor(t, "the view-only detail", false, labelHas(tabText(lang, "需加盖", "needs the seal")))
			shot(t, "contracts-all-detail"+sfx)
			build(lang, draftHome, admin, ui.NavSend)
			waitFor(t, "the restored draft", false, labelHas(tabText(lang, "已恢复", "is back")))
			shot(t, "compose-restored"+sfx)
		}
	}
}

// containsObject reports whether obj is o or lies under it.
func containsObject(o, obj fyne.CanvasObject) bool {
	found := false
	walk(o, func(x fyne.CanvasObject) { found = found || x == obj })
	return found
}
