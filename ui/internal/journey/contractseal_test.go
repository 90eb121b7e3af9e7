package journey

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/ids"
	"sealdesk/core/pdf/render"
	"sealdesk/store/bolt"
	"sealdesk/ui"
	"sealdesk/ui/internal/servertest"
)

// TestCompanySealDesktops: A (张三) sends a contract to 深圳市波克科技有限公司 with 孟良华 as
// its handler, a seal box and a date box; on 孟良华's desktop the signing view first says he
// holds no grant of the company's seals, then — granted — offers the 合同专用章 alone, and
// 立即提交 with the one code the server sent signs both boxes with the seal and completes the
// contract. With SEALDESK_SHOTS=DIR it writes the signing view (no grant, granted) in Chinese
// and English at 1366×768 and 1024×640.
func TestCompanySealDesktops(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := servertest.Start(t, st)
	pa, pc := srv.Party(t, "张三"), srv.Party(t, "孟良华")
	const company = "深圳市波克科技有限公司"
	check, _ := ids.CreditCheck("91440300MA5F12345")
	ent, err := pc.Client.CreateEnterprise(ctx, company, "91440300MA5F12345"+string(check))
	if err != nil {
		t.Fatal(err)
	}
	seal, err := pc.Client.CreateSeal(ctx, ent.ID, api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: ringPNG()})
	if err != nil {
		t.Fatal(err)
	}
	engine := render.New(nil)
	defer engine.Close()
	fyne.DoAndWait(win.Hide)
	defer fyne.DoAndWait(win.Show)
	a := newDesktop(t, pa, engine, "SealDesk — 张三")
	c := newDesktop(t, pc, engine, "SealDesk — 孟良华")
	a.other, c.other = c, a
	plain, _ := contractPDF(t, t.TempDir())

	// 文件 › 草稿 with a draft saved (synced) and its 继续编辑 / 删除.
	a.drive.Compose([]string{plain}, "年度维保合同（草稿）", pc.Name, pc.Phone)
	if msg := a.drive.SaveDraft(); msg == "" {
		t.Fatal("保存至草稿 said nothing")
	}
	if n := a.drive.ShowBox(api.BoxDraft); n != 1 {
		t.Fatalf("A's 草稿 lists %d", n)
	}
	if os.Getenv("SEALDESK_SHOTS") != "" {
		for _, lang := range []string{ui.LangChinese, ui.LangEnglish} {
			fyne.DoAndWait(func() { ui.SetLanguage(lang); a.shell.Rebuild() })
			for _, sz := range []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 640}} {
				a.resize(sz)
				a.drive.ShowBox(api.BoxDraft)
				a.shot(t, "contracts-drafts-"+lang+"-"+sizeName(sz))
			}
		}
		fyne.DoAndWait(func() { ui.SetLanguage(ui.LangChinese); a.shell.Rebuild() })
	}

	a.drive.ComposeCompany([]string{plain}, "企业盖章合同", company, pc.Name, pc.Phone)
	a.drive.PlaceSealBoxes()
	if msg := a.drive.Send(); !strings.Contains(msg, "已发送") {
		t.Fatalf("A's send: %q", msg)
	}
	sizes := []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 640}}
	shots := os.Getenv("SEALDESK_SHOTS") != ""
	langs := []string{ui.LangChinese}
	if shots {
		langs = append(langs, ui.LangEnglish)
	}
	open := func() (string, []string) {
		if n := c.drive.ShowBox(api.BoxToSign); n != 1 {
			t.Fatalf("C's 待我签 lists %d", n)
		}
		c.drive.SignFirst()
		return c.drive.SigningStatus()
	}
	for _, lang := range langs {
		fyne.DoAndWait(func() { ui.SetLanguage(lang); c.shell.Rebuild() })
		msg, opts := open()
		if len(opts) != 0 || (lang == ui.LangChinese && !strings.Contains(msg, "没有“"+company+"”任何印章当前有效的用印授权")) {
			t.Fatalf("C without a grant (%s): %q %q", lang, msg, opts)
		}
		for _, sz := range sizes {
			c.resize(sz)
			c.shot(t, "contract-seal-nogrant-"+lang+"-"+sizeName(sz))
		}
	}
	me, _ := pc.Client.Me(ctx)
	if _, err := pc.Client.GrantSeal(ctx, ent.ID, seal.ID, api.SealGrantRequest{MemberID: me.ID}); err != nil {
		t.Fatal(err)
	}
	for _, lang := range langs {
		fyne.DoAndWait(func() { ui.SetLanguage(lang); c.shell.Rebuild() })
		_, opts := open()
		if len(opts) != 1 || !strings.Contains(opts[0], "合同专用章") {
			t.Fatalf("C's seal box (%s): %q", lang, opts)
		}
		for _, sz := range sizes {
			c.resize(sz)
			c.shot(t, "contract-seal-"+lang+"-"+sizeName(sz))
		}
	}
	fyne.DoAndWait(func() { ui.SetLanguage(ui.LangChinese); c.shell.Rebuild() })
	open()
	c.resize(sizes[0])
	codeRE := regexp.MustCompile(`用印验证码是 ([0-9]{6})`)
	msg := c.drive.SubmitSeal(func() string {
		msgs := srv.Run.Server.Outbox().Messages()
		for i := len(msgs) - 1; i >= 0; i-- {
			if m := codeRE.FindStringSubmatch(msgs[i].Body); m != nil && msgs[i].To == pc.Phone {
				return m[1]
			}
		}
		return ""
	})
	if msg != "签署成功。" {
		t.Fatalf("C's 立即提交: %q", msg)
	}
	c.shot(t, "contract-seal-signed-zh-1366")
	uses, err := pc.Client.SealUses(ctx, ent.ID, client.SealUseQuery{})
	if err != nil || len(uses.Uses) != 2 {
		t.Fatalf("usage log: %+v %v", uses, err)
	}
}
