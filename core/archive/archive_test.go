package archive

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/envelope"
	"sealdesk/core/org"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
	"sealdesk/store/postgres/pgtest"
)

// fakeDir is an enterprise of three: an archive manager, a member, a stranger.
type fakeDir struct{}

func (fakeDir) Require(_ sync.Tx, eid, aid string, p org.Permission) (Member, error) {
	switch {
	case aid == "manager":
		return Member{AccountID: aid, Name: "管理员", Role: org.RoleAdmin}, nil
	case aid == "member" && p == "":
		return Member{AccountID: aid, Name: "成员", Role: org.RoleMember}, nil
	case aid == "member":
		return Member{}, org.PermissionDenied(p)
	}
	return Member{}, org.ErrNotMember
}

func (fakeDir) Departments(sync.Tx, string, string) ([]string, error) { return nil, nil }
func (fakeDir) RoleExists(_ sync.Tx, _, r string) (bool, error) {
	return r == org.RoleMember || r == org.RoleAdmin, nil
}
func (fakeDir) PartyEnterprises(sync.Tx, string, string) ([]Party, error) { return nil, nil }
func (fakeDir) EnterpriseName(sync.Tx, string) (string, error)            { return "", nil }

var ctx = context.Background()

// seed files n contracts of enterprise "e1" completed one minute apart before now: every tenth
// with 华为 as counterparty (into folder hw), every hundredth signed by 钱多多.
func seed(t testing.TB, s *Service, n int, now time.Time) (hw api.ArchiveFolder) {
	hw, err := s.SaveFolder(ctx, "e1", "manager", api.ArchiveFolder{Name: "华为合同", Counterparties: []string{"华为"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 500 {
		err := s.Store.Update(ctx, func(tx sync.Tx) error {
			for j := i; j < min(n, i+500); j++ {
				cp := fmt.Sprintf("客户%04d有限公司", j)
				if j%10 == 0 {
					cp = fmt.Sprintf("华为技术%04d有限公司", j)
				}
				signer := fmt.Sprintf("签署人%d", j)
				if j%100 == 0 {
					signer = "钱多多"
				}
				it := api.ArchiveItem{EnvelopeID: fmt.Sprintf("env_%06d", j), Subject: fmt.Sprintf("采购合同第%d号", j), SenderID: "manager",
					SenderName: "王管理", Counterparties: []string{cp}, Signers: []string{"王管理", signer},
					Completed: now.Add(-time.Duration(j) * time.Minute),
					Documents: []api.ArchiveDocument{{Name: "合同.pdf", SHA256: fmt.Sprintf("%064d", j)}}, Report: fmt.Sprintf("%064d", j+1)}
				if err := fileItem(tx, "e1", it, nil, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return hw
}

func stores(t *testing.T) map[string]func(t *testing.T) sync.Store {
	return map[string]func(t *testing.T) sync.Store{
		"bolt": func(t *testing.T) sync.Store {
			s, err := bolt.Open(filepath.Join(t.TempDir(), "a.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) sync.Store { return pgtest.Open(t) },
	}
}

// TestSearchFilters checks every filter, paging, and what a plain member sees, on both stores.
func TestSearchFilters(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			now := time.Now().UTC().Truncate(time.Second)
			s := &Service{Store: open(t), Directory: fakeDir{}, Now: func() time.Time { return now }}
			hw := seed(t, s, 300, now)
			count := func(actor string, q api.ArchiveQuery) int {
				t.Helper()
				n := 0
				for {
					r, err := s.Search(ctx, "e1", actor, q)
					if err != nil {
						t.Fatalf("%+v: %v", q, err)
					}
					n += len(r.Items)
					if r.Next == "" {
						return n
					}
					q.After = r.Next
				}
			}
			for _, tc := range []struct {
				q    api.ArchiveQuery
				want int
			}{
				{api.ArchiveQuery{}, 300},
				{api.ArchiveQuery{Folder: hw.ID}, 30},
				{api.ArchiveQuery{Folder: DefaultFolder}, 270},
				{api.ArchiveQuery{Counterparty: "华为"}, 30},
				{api.ArchiveQuery{Subject: "第12号"}, 1},
				{api.ArchiveQuery{Subject: "第1"}, 111}, // 1, 10–19, 100–199
				{api.ArchiveQuery{Signer: "钱多多"}, 3},
				{api.ArchiveQuery{Signer: "钱多多", Counterparty: "华为"}, 3},
				{api.ArchiveQuery{From: now.Add(-60 * time.Minute)}, 61},                                 // j = 0…60
				{api.ArchiveQuery{To: now.Add(-60 * time.Minute)}, 239},                                  // j = 61…299
				{api.ArchiveQuery{From: now.Add(-20 * time.Minute), To: now.Add(-10 * time.Minute)}, 10}, // j = 11…20
				{api.ArchiveQuery{From: now.Add(-20 * time.Minute), To: now.Add(-10 * time.Minute), Limit: 3}, 10},
				{api.ArchiveQuery{Subject: `"`}, 0},
			} {
				if got := count("manager", tc.q); got != tc.want {
					t.Errorf("%+v: %d, want %d", tc.q, got, tc.want)
				}
			}
			// A plain member sees no folder; naming one is refused; a stranger is refused.
			if got := count("member", api.ArchiveQuery{}); got != 0 {
				t.Errorf("member sees %d", got)
			}
			_, err := s.Search(ctx, "e1", "member", api.ArchiveQuery{Folder: hw.ID})
			if ref, ok := err.(*sync.Refusal); !ok || ref.Status != http.StatusForbidden || ref.Code != "folder_forbidden" {
				t.Errorf("member names a folder: %v", err)
			}
			if _, err := s.Search(ctx, "e1", "x", api.ArchiveQuery{}); err != org.ErrNotMember {
				t.Errorf("stranger: %v", err)
			}
			if _, err := s.Search(ctx, "e1", "manager", api.ArchiveQuery{Limit: MaxLimit + 1}); err == nil {
				t.Error("limit over the maximum accepted")
			}
			// Opened to members, the folder shows.
			hw.Roles = []string{org.RoleMember}
			if _, err := s.SaveFolder(ctx, "e1", "manager", hw); err != nil {
				t.Fatal(err)
			}
			if got := count("member", api.ArchiveQuery{}); got != 30 {
				t.Errorf("member sees %d after opening the folder", got)
			}
		})
	}
}

// BenchmarkArchiveSearch is issue 22's target: archive search over 10,000 contracts ≤ 100 ms
// p99 on PostgreSQL. Each iteration runs five kinds of search (first page of everything, a
// subject, a counterparty, a signer, a one-week date range); the p99 of single searches is
// reported as p99-ms (and the worst kind's p99 as worst-kind-p99-ms).
//
//	SEALDESK_TEST_POSTGRES=… go test -run '^$' -bench BenchmarkArchiveSearch -benchtime 40x ./core/archive/
func BenchmarkArchiveSearch(b *testing.B) {
	now := time.Now().UTC()
	st := pgtest.Open(b)
	s := &Service{Store: st, Directory: fakeDir{}, Now: func() time.Time { return now }}
	seed(b, s, 10000, now)
	queries := []api.ArchiveQuery{
		{},
		{Subject: "第4321号"},
		{Counterparty: "华为技术0420"},
		{Signer: "钱多多"},
		{From: now.Add(-7 * 24 * time.Hour), To: now.Add(-6 * 24 * time.Hour)},
	}
	per := make([][]time.Duration, len(queries))
	var all []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, q := range queries {
			t0 := time.Now()
			r, err := s.Search(ctx, "e1", "manager", q)
			d := time.Since(t0)
			if err != nil || len(r.Items) == 0 {
				b.Fatalf("%+v: %d items, %v", q, len(r.Items), err)
			}
			per[k] = append(per[k], d)
			all = append(all, d)
		}
	}
	b.StopTimer()
	p99 := func(ds []time.Duration) float64 {
		ds = slices.Clone(ds)
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[min(len(ds)-1, len(ds)*99/100)]) / float64(time.Millisecond)
	}
	worst := 0.0
	for k := range queries {
		worst = max(worst, p99(per[k]))
		b.Logf("query %+v: p99 %.1f ms", queries[k], p99(per[k]))
	}
	b.ReportMetric(p99(all), "p99-ms")
	b.ReportMetric(worst, "worst-kind-p99-ms")
}

// partyDir is fakeDir with two enterprises by name: e1 甲公司 and e2 乙公司, whose handlers are
// the logins "sms:139…".
type partyDir struct{ fakeDir }

func (partyDir) PartyEnterprises(_ sync.Tx, key, company string) ([]Party, error) {
	if company == "乙公司" && strings.HasPrefix(key, "sms:139") {
		return []Party{{EnterpriseID: "e2", AccountID: "handler", Departments: []string{"d_buy"}}}, nil
	}
	return nil, nil
}

func (partyDir) EnterpriseName(_ sync.Tx, eid string) (string, error) {
	return map[string]string{"e1": "甲公司", "e2": "乙公司"}[eid], nil
}

// storedEnvelope writes an envelope record as core/envelope keeps it (the fields the archive
// reads), as an older server left it.
func storedEnvelope(t *testing.T, tx sync.Tx, id, status, eid, company, phone string, completed time.Time) {
	t.Helper()
	kind, name := api.RecipientCompany, "赵经办"
	if company == "" {
		kind, name = api.RecipientPerson, "钱个人"
	}
	rec := map[string]any{"id": id, "subject": "合同" + id, "status": status, "sender_id": "sender", "sender_name": "王发起",
		"enterprise_id": eid, "completed": completed,
		"documents":  []api.Document{{Index: 0, Name: "合同.pdf", Current: strings.Repeat("a", 64), Final: strings.Repeat("b", 64)}},
		"recipients": []api.RecipientState{{Recipient: api.Recipient{Kind: kind, Company: company, Name: name, Phone: phone}, State: api.RecipientSigned}},
		"sender_key": "sms:13800000000", "parties": []map[string]any{{"key": "sms:" + phone, "required": []int{}}},
		"report": strings.Repeat("c", 64)}
	if err := sync.PutJSON(tx, envelope.BucketEnvelopes, id, rec); err != nil {
		t.Fatal(err)
	}
}

// TestBackfillReceived: contracts completed before received contracts were filed are filed into
// the receiving enterprise's archive once, walking the envelopes in batches on both stores:
// completed ones with a company recipient whose handler belongs to it only (not drafts or ones in
// progress, not the sender's own, not one filed already); a second run files nothing.
func TestBackfillReceived(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			now := time.Now().UTC().Truncate(time.Second)
			s := &Service{Store: open(t), Directory: partyDir{}, Now: func() time.Time { return now }}
			const n = 2*backfillBatch + 50 // three batches
			want := 0
			err := s.Store.Update(ctx, func(tx sync.Tx) error {
				for i := 0; i < n; i++ {
					id := fmt.Sprintf("env_%05d", i)
					phone := fmt.Sprintf("139%08d", i)
					at := now.Add(-time.Duration(i) * time.Hour)
					switch {
					case i%50 == 7: // completed, received by 乙公司 from 甲公司
						storedEnvelope(t, tx, id, api.EnvelopeCompleted, "e1", "乙公司", phone, at)
						want++
					case i%50 == 8: // completed, from a person to 乙公司
						storedEnvelope(t, tx, id, api.EnvelopeCompleted, "", "乙公司", phone, at)
						want++
					case i%50 == 9: // completed, but 乙公司 sent it itself
						storedEnvelope(t, tx, id, api.EnvelopeCompleted, "e2", "乙公司", phone, at)
					case i%50 == 10: // completed, the handler is not 乙公司's
						storedEnvelope(t, tx, id, api.EnvelopeCompleted, "e1", "乙公司", fmt.Sprintf("137%08d", i), at)
					case i%50 == 11: // completed, to a person
						storedEnvelope(t, tx, id, api.EnvelopeCompleted, "e1", "", phone, at)
					case i%2 == 0:
						storedEnvelope(t, tx, id, api.EnvelopeInProgress, "e1", "乙公司", phone, at)
					default:
						storedEnvelope(t, tx, id, api.EnvelopeDraft, "e1", "乙公司", phone, at)
					}
				}
				// One was filed already (a server with received filing completed it).
				st, err := envelope.Lookup(tx, "env_00007")
				if err != nil {
					return err
				}
				_, err = s.fileReceived(tx, st.Envelope, st.Report, 0, st.PartyKeys, now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			filed, err := s.BackfillReceived(ctx)
			if err != nil || filed != want-1 {
				t.Fatalf("backfill filed %d (%v), want %d", filed, err, want-1)
			}
			r, err := s.Search(ctx, "e2", "manager", api.ArchiveQuery{Limit: MaxLimit})
			if err != nil || len(r.Items) != want {
				t.Fatalf("e2's archive: %d items (%v), want %d", len(r.Items), err, want)
			}
			for _, it := range r.Items {
				cp := map[bool]string{true: "甲公司", false: "王发起"}[it.EnvelopeID != "" && (it.EnvelopeID[len(it.EnvelopeID)-1] == '7')]
				if !it.Received || len(it.Counterparties) != 1 || it.Counterparties[0] != cp || it.Department != "d_buy" ||
					len(it.Documents) != 1 || it.Documents[0].SHA256 != strings.Repeat("b", 64) || it.Report != strings.Repeat("c", 64) {
					t.Errorf("backfilled %+v, want counterparty %s", it, cp)
				}
			}
			if r, _ := s.Search(ctx, "e1", "manager", api.ArchiveQuery{}); len(r.Items) != 0 {
				t.Errorf("the backfill filed %d contracts as sent (only received ones are its)", len(r.Items))
			}
			if again, err := s.BackfillReceived(ctx); err != nil || again != 0 {
				t.Errorf("second run filed %d (%v)", again, err)
			}
		})
	}
}
