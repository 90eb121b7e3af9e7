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

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
)

// csvCol returns the column of header name in an export's index (-1: none).
func csvCol(rows [][]string, name string) int {
	if len(rows) == 0 {
		return -1
	}
	return slices.Index(rows[0], name)
}

// TestArchiveReceivedEndToEnd: 档案柜 files the contracts an enterprise RECEIVED — signed as a
// company recipient by a member (经办人) — by the same rules as the ones it sent, on a real
// server, bolt and PostgreSQL: the counterparty is the sender (its enterprise, or the person for
// a personal send), the department is the handler's; the sending enterprise files its own copy
// as sent; an enterprise of the same name that the handler does not belong to gets nothing.
// Search, what a plain member sees, and the folder ZIP (final PDF and 签署报告 byte for byte,
// 索引.csv saying 收到) hold for received contracts too.
func TestArchiveReceivedEndToEnd(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), func(o *server.Options) { o.ContractsUnbilled = true })
			adminA, adminB := newParty(t, e, "王发起"), newParty(t, e, "陈收方")
			handler, plain, personal, outsider := newParty(t, e, "赵经办"), newParty(t, e, "孙成员"), newParty(t, e, "周个人"), newParty(t, e, "吴路人")
			entA, err := adminA.c.CreateEnterprise(ctx, "杭州发出方有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			entB, err := adminB.c.CreateEnterprise(ctx, "宁波收到方有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			a, b := entA.ID, entB.ID
			e.enrol(t, b, handler, org.RoleMember)
			e.enrol(t, b, plain, org.RoleMember)
			dep, err := adminB.c.CreateDepartment(ctx, b, "采购部", "")
			if err != nil {
				t.Fatal(err)
			}
			handlerID, err := handler.c.Me(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.store.Update(ctx, func(tx sync.Tx) error {
				m, err := org.GetMember(tx, b, handlerID.ID)
				if err != nil {
					return err
				}
				m.Department = dep.ID
				return org.PutMember(tx, m)
			}); err != nil {
				t.Fatal(err)
			}
			// B's folders: contracts with 杭州 (admins only), and 采购部's (every member).
			hz, err := adminB.c.SaveArchiveFolder(ctx, b, api.ArchiveFolder{Name: "杭州往来", Counterparties: []string{"杭州发出方"}})
			if err != nil {
				t.Fatal(err)
			}
			buy, err := adminB.c.SaveArchiveFolder(ctx, b, api.ArchiveFolder{Name: "采购部合同", Departments: []string{dep.ID}, Roles: []string{org.RoleMember}})
			if err != nil {
				t.Fatal(err)
			}

			send := func(p *party, eid, subject string, h *party) api.Envelope {
				t.Helper()
				refs, err := p.c.UploadFiles(ctx, []client.NamedFile{{Name: subject + ".pdf", Data: pdfBytes(t, 1, subject)}})
				if err != nil {
					t.Fatal(err)
				}
				env, err := p.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: subject, EnterpriseID: eid, Files: refs,
					Recipients: []api.Recipient{{Kind: api.RecipientCompany, Company: "宁波收到方有限公司", Name: h.name, Phone: h.phone}}})
				if err != nil {
					t.Fatal(err)
				}
				env = signAll(t, e, h, env)
				if env.Status != api.EnvelopeCompleted {
					t.Fatalf("%s: %s", subject, env.Status)
				}
				return env
			}
			e1 := send(adminA, a, "钢材采购合同", handler) // from enterprise A
			send(personal, "", "个人委托合同", handler)    // from a person
			send(adminA, a, "冒名合同", outsider)        // B's name, a handler who is not B's

			folders := func(c *client.Client, eid string) map[string]int {
				t.Helper()
				fs, err := c.ArchiveFolders(ctx, eid)
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]int{}
				for _, f := range fs {
					out[f.Name] = f.Count
				}
				return out
			}
			if got := folders(adminB.c, b); got["杭州往来"] != 1 || got["采购部合同"] != 1 || got["未分类合同"] != 0 || len(got) != 3 {
				t.Errorf("B's folders: %v, want 杭州往来 1, 采购部合同 1, 未分类合同 0", got)
			}
			// A files what it sent, once each, as sent.
			if got := folders(adminA.c, a); got["未分类合同"] != 2 {
				t.Errorf("A's folders: %v, want its 2 sends in 未分类合同", got)
			}
			search := func(c *client.Client, eid string, q api.ArchiveQuery) []api.ArchiveItem {
				t.Helper()
				r, err := c.SearchArchive(ctx, eid, q)
				if err != nil {
					t.Fatalf("search %+v: %v", q, err)
				}
				return r.Items
			}
			subjects := func(items []api.ArchiveItem) []string {
				var out []string
				for _, it := range items {
					out = append(out, it.Subject)
				}
				slices.Sort(out)
				return out
			}
			all := search(adminB.c, b, api.ArchiveQuery{})
			if got := subjects(all); !slices.Equal(got, []string{"个人委托合同", "钢材采购合同"}) {
				t.Fatalf("B's archive: %v", got)
			}
			for _, it := range all {
				wantCP := map[string]string{"钢材采购合同": "杭州发出方有限公司", "个人委托合同": "周个人"}[it.Subject]
				if !it.Received || len(it.Counterparties) != 1 || it.Counterparties[0] != wantCP || it.Department != dep.ID ||
					it.Template != "" || !slices.Contains(it.Signers, handler.name) {
					t.Errorf("received item %+v, want counterparty %s, department %s", it, wantCP, dep.ID)
				}
			}
			for _, tc := range []struct {
				q    api.ArchiveQuery
				want []string
			}{
				{api.ArchiveQuery{Counterparty: "杭州发出方"}, []string{"钢材采购合同"}},
				{api.ArchiveQuery{Counterparty: "周个人"}, []string{"个人委托合同"}},
				{api.ArchiveQuery{Counterparty: "宁波收到方"}, nil}, // B is no counterparty of itself
				{api.ArchiveQuery{Signer: handler.name}, []string{"个人委托合同", "钢材采购合同"}},
				{api.ArchiveQuery{Subject: "钢材", Folder: hz.ID}, []string{"钢材采购合同"}},
				{api.ArchiveQuery{Folder: buy.ID}, []string{"个人委托合同"}},
			} {
				if got := subjects(search(adminB.c, b, tc.q)); !slices.Equal(got, tc.want) {
					t.Errorf("B searches %+v: %v, want %v", tc.q, got, tc.want)
				}
			}
			sent := search(adminA.c, a, api.ArchiveQuery{Subject: "钢材"})
			if len(sent) != 1 || sent[0].Received || !slices.Equal(sent[0].Counterparties, []string{"宁波收到方有限公司"}) {
				t.Errorf("A's copy: %+v", sent)
			}
			// A plain member of B sees 采购部's folder only.
			if got := subjects(search(plain.c, b, api.ArchiveQuery{})); !slices.Equal(got, []string{"个人委托合同"}) {
				t.Errorf("plain member of B finds %v", got)
			}
			_, err = plain.c.SearchArchive(ctx, b, api.ArchiveQuery{Folder: hz.ID})
			wantCode(t, err, "folder_forbidden")
			// The outsider, the person and A's admin read nothing of B's archive.
			for _, p := range []*party{outsider, personal, adminA} {
				_, err := p.c.SearchArchive(ctx, b, api.ArchiveQuery{})
				wantCode(t, err, "not_member")
			}

			// Export of the received folder: refused to the plain member (nothing written), whole
			// for B's admin.
			dir := t.TempDir()
			dest := filepath.Join(dir, "杭州往来.zip")
			err = plain.c.ExportArchiveFolder(ctx, b, hz.ID, dest)
			wantCode(t, err, "folder_forbidden")
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("a refused export left %v", left)
			}
			if err := adminB.c.ExportArchiveFolder(ctx, b, hz.ID, dest); err != nil {
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
				data, _ := io.ReadAll(rc)
				rc.Close()
				files[f.Name] = data
			}
			final, err := handler.c.EnvelopeDocument(ctx, e1.ID, 0, client.VersionFinal)
			if err != nil {
				t.Fatal(err)
			}
			report, err := handler.c.EnvelopeReport(ctx, e1.ID)
			if err != nil {
				t.Fatal(err)
			}
			var gotFinal, gotReport bool
			for n, data := range files {
				gotFinal = gotFinal || (strings.HasSuffix(n, "/钢材采购合同.pdf") && bytes.Equal(data, final))
				gotReport = gotReport || (strings.HasSuffix(n, "/签署报告.pdf") && bytes.Equal(data, report))
			}
			idx := files["索引.csv"]
			if !gotFinal || !gotReport || len(files) != 3 || !bytes.HasPrefix(idx, []byte("\xef\xbb\xbf")) {
				t.Fatalf("zip entries %d, final %v report %v", len(files), gotFinal, gotReport)
			}
			rows, err := csv.NewReader(bytes.NewReader(idx[3:])).ReadAll()
			if err != nil || len(rows) != 2 {
				t.Fatalf("index %q %v", rows, err)
			}
			if c := csvCol(rows, "签约方"); c < 0 || rows[1][c] != "杭州发出方有限公司" {
				t.Errorf("签约方 of the received contract: %q", rows)
			}
			if c := csvCol(rows, "收发"); c < 0 || rows[1][c] != "收到" {
				t.Errorf("收发 of the received contract: %q", rows)
			}
			if c := csvCol(rows, "合同编号"); c < 0 || rows[1][c] != e1.ID {
				t.Errorf("合同编号: %q", rows)
			}
		})
	}
}
