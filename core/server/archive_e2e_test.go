package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
)

// TestArchiveEndToEnd is 档案柜 on a real server, bolt and PostgreSQL, through the desktop's client:
// folders with filing rules (counterparty, department) and retention periods; completed
// contracts filed by themselves; search by subject, counterparty, signer and date range; what a
// plain member sees; the ZIP export (final PDFs and 签署报告 byte for byte, 索引.csv in UTF-8 with
// a BOM) written through a temporary file; the retention janitor flags and keeps; 一键转交 moves
// a folder's ownership.
func TestArchiveEndToEnd(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), func(o *server.Options) { o.ContractsUnbilled = true })
			admin, sender, plain := newParty(t, e, "王管理"), newParty(t, e, "李销售"), newParty(t, e, "孙成员")
			s1, s2 := newParty(t, e, "赵经办"), newParty(t, e, "钱客户")
			ent, err := admin.c.CreateEnterprise(ctx, "杭州档案测试有限公司", creditCode(t, "91330100MA2AR0001"))
			if err != nil {
				t.Fatal(err)
			}
			eid := ent.ID
			putRole(t, e, eid, "r_send", "业务员", org.PermSendContracts)
			senderID := e.enrol(t, eid, sender, "r_send")
			plainID := e.enrol(t, eid, plain, org.RoleMember)
			dep, err := admin.c.CreateDepartment(ctx, eid, "销售部", "")
			if err != nil {
				t.Fatal(err)
			}
			if err := e.store.Update(ctx, func(tx sync.Tx) error {
				m, err := org.GetMember(tx, eid, senderID)
				if err != nil {
					return err
				}
				m.Department = dep.ID
				return org.PutMember(tx, m)
			}); err != nil {
				t.Fatal(err)
			}

			// Folders: archive.manage only; limits named.
			_, err = plain.c.SaveArchiveFolder(ctx, eid, api.ArchiveFolder{Name: "我的"})
			wantCode(t, err, "permission_denied")
			_, err = admin.c.SaveArchiveFolder(ctx, eid, api.ArchiveFolder{Name: "x", RetentionYears: 101})
			wantCode(t, err, "bad_retention")
			_, err = admin.c.SaveArchiveFolder(ctx, eid, api.ArchiveFolder{Name: "x", Roles: []string{"r_nope"}})
			wantCode(t, err, "bad_role")
			hw, err := admin.c.SaveArchiveFolder(ctx, eid, api.ArchiveFolder{Name: "华为合同", Counterparties: []string{"华为"}, RetentionYears: 10})
			if err != nil {
				t.Fatal(err)
			}
			sales, err := admin.c.SaveArchiveFolder(ctx, eid, api.ArchiveFolder{Name: "销售部合同", Departments: []string{dep.ID}, RetentionYears: 1,
				Roles: []string{org.RoleMember}})
			if err != nil {
				t.Fatal(err)
			}
			owned, err := admin.c.SaveArchiveFolder(ctx, eid, api.ArchiveFolder{Name: "李销售的档案", Owner: senderID})
			if err != nil {
				t.Fatal(err)
			}

			// Three contracts, completed: to 华为 (company), from 销售部 to a person, and one the
			// rules do not take.
			send := func(p *party, subject string, rc api.Recipient) api.Envelope {
				refs, err := p.c.UploadFiles(ctx, []client.NamedFile{{Name: subject + ".pdf", Data: pdfBytes(t, 1, "contract")}})
				if err != nil {
					t.Fatal(err)
				}
				env, err := p.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: subject, EnterpriseID: eid, Files: refs,
					Recipients: []api.Recipient{rc}, Amount: 5000012, ValidUntil: time.Date(2099, 6, 30, 15, 59, 59, 0, time.UTC)})
				if err != nil {
					t.Fatal(err)
				}
				return env
			}
			e1 := send(admin, "华为框架协议", api.Recipient{Kind: api.RecipientCompany, Company: "华为技术有限公司", Name: s1.name, Phone: s1.phone})
			e1 = signAll(t, e, s1, e1)
			e2 := signAll(t, e, s2, send(sender, "销售合同", person(s2)))
			e3 := signAll(t, e, s1, send(admin, "办公租赁", person(s1)))
			for _, x := range []api.Envelope{e1, e2, e3} {
				if x.Status != api.EnvelopeCompleted {
					t.Fatalf("%s: %s", x.Subject, x.Status)
				}
			}
			folderOf := map[string]int{}
			fs, err := admin.c.ArchiveFolders(ctx, eid)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				folderOf[f.Name] = f.Count
			}
			if folderOf["华为合同"] != 1 || folderOf["销售部合同"] != 1 || folderOf["未分类合同"] != 1 || folderOf["李销售的档案"] != 0 || len(fs) != 4 {
				t.Fatalf("folders: %+v", fs)
			}
			// A plain member sees the folder open to every member only.
			if pf, err := plain.c.ArchiveFolders(ctx, eid); err != nil || len(pf) != 1 || pf[0].ID != sales.ID {
				t.Fatalf("plain member's folders: %+v %v", pf, err)
			}

			// Search.
			find := func(c *client.Client, q api.ArchiveQuery) []string {
				t.Helper()
				r, err := c.SearchArchive(ctx, eid, q)
				if err != nil {
					t.Fatalf("search %+v: %v", q, err)
				}
				var out []string
				for _, it := range r.Items {
					out = append(out, it.Subject)
				}
				slices.Sort(out)
				return out
			}
			now := e.clock.Now()
			for _, tc := range []struct {
				q    api.ArchiveQuery
				want []string
			}{
				{api.ArchiveQuery{}, []string{"办公租赁", "华为框架协议", "销售合同"}},
				{api.ArchiveQuery{Subject: "框架"}, []string{"华为框架协议"}},
				{api.ArchiveQuery{Counterparty: "华为技术"}, []string{"华为框架协议"}},
				{api.ArchiveQuery{Signer: s1.name}, []string{"办公租赁", "华为框架协议"}},
				{api.ArchiveQuery{Folder: sales.ID}, []string{"销售合同"}},
				{api.ArchiveQuery{From: now.Add(-time.Hour), To: now.Add(time.Hour)}, []string{"办公租赁", "华为框架协议", "销售合同"}},
				{api.ArchiveQuery{From: now.Add(time.Hour)}, nil},
				{api.ArchiveQuery{To: now.Add(-time.Hour)}, nil},
				{api.ArchiveQuery{Subject: "框架", Signer: s2.name}, nil},
			} {
				if got := find(admin.c, tc.q); !slices.Equal(got, tc.want) {
					t.Errorf("search %+v: %v, want %v", tc.q, got, tc.want)
				}
			}
			// Paging: one at a time, three pages.
			var paged []string
			for q := (api.ArchiveQuery{Limit: 1}); ; {
				r, err := admin.c.SearchArchive(ctx, eid, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range r.Items {
					paged = append(paged, it.Subject)
				}
				if r.Next == "" {
					break
				}
				q.After = r.Next
			}
			if len(paged) != 3 {
				t.Errorf("paged: %v", paged)
			}
			if got := find(plain.c, api.ArchiveQuery{}); !slices.Equal(got, []string{"销售合同"}) {
				t.Errorf("plain member finds %v", got)
			}
			_, err = plain.c.SearchArchive(ctx, eid, api.ArchiveQuery{Folder: hw.ID})
			wantCode(t, err, "folder_forbidden")

			// Export: refused for a folder the member may not see (nothing written), whole for the admin.
			dir := t.TempDir()
			dest := filepath.Join(dir, "华为合同.zip")
			err = plain.c.ExportArchiveFolder(ctx, eid, hw.ID, dest)
			wantCode(t, err, "folder_forbidden")
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("a refused export left %v", left)
			}
			if err := admin.c.ExportArchiveFolder(ctx, eid, hw.ID, dest); err != nil {
				t.Fatal(err)
			}
			zr, err := zip.OpenReader(dest)
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			files := map[string][]byte{}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				files[f.Name] = b
			}
			final, err := admin.c.EnvelopeDocument(ctx, e1.ID, 0, client.VersionFinal)
			if err != nil {
				t.Fatal(err)
			}
			report, err := admin.c.EnvelopeReport(ctx, e1.ID)
			if err != nil {
				t.Fatal(err)
			}
			var gotFinal, gotReport bool
			for n, b := range files {
				gotFinal = gotFinal || (strings.HasSuffix(n, "/华为框架协议.pdf") && bytes.Equal(b, final))
				gotReport = gotReport || (strings.HasSuffix(n, "/签署报告.pdf") && bytes.Equal(b, report))
			}
			idx := files["索引.csv"]
			if !gotFinal || !gotReport || len(files) != 3 || !bytes.HasPrefix(idx, []byte("\xef\xbb\xbf")) {
				t.Fatalf("zip entries %d, final %v report %v, index %q", len(files), gotFinal, gotReport, idx)
			}
			rows, err := csv.NewReader(bytes.NewReader(idx[3:])).ReadAll()
			if err != nil || len(rows) != 2 || rows[0][1] != "主题" || rows[1][1] != "华为框架协议" || rows[1][3] != "华为技术有限公司" || rows[1][4] != s1.name {
				t.Fatalf("index rows %q %v", rows, err)
			}
			// 合同金额 and 合同到期日 (Beijing time) are exported too.
			if am, vu := csvCol(rows, "合同金额（元）"), csvCol(rows, "合同到期日"); am < 0 || vu < 0 || rows[1][am] != "50000.12" || rows[1][vu] != "2099-06-30" {
				t.Errorf("index without 合同金额 / 合同到期日: %q", rows)
			}
			if c := csvCol(rows, "收发"); c < 0 || rows[1][c] != "发出" {
				t.Errorf("收发 of a sent contract: %q", rows)
			}

			// Retention: two years on, the 1-year folder's contract is flagged, not deleted.
			e.clock.Advance(2 * 366 * 24 * time.Hour)
			n, err := e.run.Server.Archive().Sweep(ctx)
			if err != nil || n != 1 {
				t.Fatalf("sweep: %d %v", n, err)
			}
			// Sessions expired meanwhile: everybody signs in again.
			for _, p := range []*party{admin, plain} {
				if _, err := p.c.Login(ctx, org.LoginRequest{Login: p.phone, Password: testPassword}); err != nil {
					t.Fatal(err)
				}
			}
			if fs, err = admin.c.ArchiveFolders(ctx, eid); err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if (f.ID == sales.ID) != (f.Due == 1) || (f.ID == sales.ID && f.Count != 1) {
					t.Errorf("folder %s after the sweep: count %d due %d", f.Name, f.Count, f.Due)
				}
			}
			r, err := admin.c.SearchArchive(ctx, eid, api.ArchiveQuery{Folder: sales.ID})
			if err != nil || len(r.Items) != 1 || !r.Items[0].Due {
				t.Fatalf("due item: %+v %v", r, err)
			}
			p, err := admin.c.Pull(ctx, org.EnterpriseScope(eid), 0, 1000, 0)
			if err != nil {
				t.Fatal(err)
			}
			told := false
			for _, ev := range p.Events {
				told = told || (ev.Type == "archive.retention_due" && strings.Contains(string(ev.Payload), sales.ID))
			}
			if !told {
				t.Error("no archive.retention_due event")
			}

			// 一键转交: the sender's folder goes to the plain member, who then sees it.
			kinds, err := admin.c.HandoverKinds(ctx, eid)
			if err != nil || !slices.ContainsFunc(kinds, func(k org.HandoverKind) bool { return k.Kind == "archive" && k.Label == "档案柜" }) {
				t.Fatalf("handover kinds %+v %v", kinds, err)
			}
			res, err := admin.c.HandOver(ctx, eid, senderID, org.HandoverRequest{Kinds: []string{"archive"}, To: plainID})
			if err != nil || res.Moved["archive"] != 1 {
				t.Fatalf("handover %+v %v", res, err)
			}
			if pf, err := plain.c.ArchiveFolders(ctx, eid); err != nil || len(pf) != 2 || !slices.ContainsFunc(pf, func(f api.ArchiveFolder) bool { return f.ID == owned.ID }) {
				t.Fatalf("plain member's folders after the handover: %+v %v", pf, err)
			}
			// An empty folder can be deleted, one with contracts cannot.
			err = admin.c.DeleteArchiveFolder(ctx, eid, hw.ID)
			wantCode(t, err, "folder_not_empty")
			if err := admin.c.DeleteArchiveFolder(ctx, eid, owned.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}
