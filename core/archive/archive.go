// Package archive is 档案柜: an enterprise's completed contracts, filed automatically into folders
// by rule (counterparty, template, the sender's department), searched by subject, counterparty,
// signer and date range, kept for a retention period per folder, and exported folder by folder as
// a ZIP of the final PDFs, their 签署报告 and a CSV index.
//
// # Filing
//
// core/envelope calls File inside the transaction that completes a contract, so a completed
// contract is always filed exactly once per enterprise that is a party to it: the enterprise
// that sent it (发出), and every enterprise that signed it as a company recipient through a
// member (收到: an enterprise of the recipient's name of which the handler who signed is a
// member; its counterparties start with the sender, its department is the handler's, and the
// sender's template is not kept). In each enterprise it goes into the first folder (in the order
// of creation) whose every set condition holds, else into the enterprise's default folder
// 未分类合同. Received contracts completed before they were filed are filed once per store by
// BackfillReceived (the server runs it at start).
// An item is one key per contract, "<enterprise>/<inverted completion time>/<contract>", in two
// buckets: the whole item, and a compact index line (folder, then subject, counterparties and
// signers in lower case). A search is a range scan of the index in time order (a date range
// bounds it, a full page ends it), matching without decoding anything; only the page's items are
// read.
//
// # Retention
//
// A folder's retention period (保存期限, in years; 0 keeps for ever) is counted from completion.
// The janitor (Sweep) flags contracts past it — counted per folder, shown in lists and searches,
// announced once to the enterprise as archive.retention_due — and never deletes one: a signed
// contract is evidence, Chinese archive practice (会计档案管理办法 and the 档案法) destroys records
// only after an appraisal and a destruction list signed by people, and an automatic deletion
// cannot be undone. Destroying flagged contracts is left to a human decision (not implemented).
//
// # Who sees what
//
// Members holding archive.manage or contracts.view_all see every folder; others see the folders
// whose Roles name their role (or "member": every member) and the folders they own. Searching
// skips folders the caller may not see; naming one, or exporting it, is refused.
//
// # What it refuses
//
//   - Folder changes without archive.manage; names empty or over MaxName, retention outside
//     0–MaxRetention years, unknown parents or cycles, unknown roles, more than MaxFolders
//     folders; deleting a folder that holds contracts or folders, or the default folder.
//   - Searches over MaxLimit a page; dates that do not parse.
//   - Exports of a folder the caller may not see.
package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/api"
	"sealdesk/core/blob"
	"sealdesk/core/envelope"
	"sealdesk/core/gate"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// Buckets.
const (
	BucketFolders = "archive_folders" // <ent>/<folder> → api.ArchiveFolder
	BucketItems   = "archive_items"   // <ent>/<inverted completion>/<contract> → <folder> NUL item JSON
	BucketIndex   = "archive_index"   // the same keys → indexLine (what a search reads)
	BucketWhere   = "archive_where"   // <ent>/<contract> → item key
	BucketCounts  = "archive_counts"  // <ent>/<folder> → {"n":…, "due":…}
	BucketMeta    = "archive_meta"    // keyBackfill → backfill (the received-contracts backfill's position)
	EventChanged  = "archive.changed"
	EventDue      = "archive.retention_due"
	// DefaultFolder is the id of the folder contracts no rule takes go to (未分类合同).
	DefaultFolder     = "default"
	DefaultFolderName = "未分类合同"
)

// Limits.
const (
	MaxFolders    = 200
	MaxName       = 40
	MaxRetention  = 100
	MaxConditions = 20
	MaxLimit      = 200
	DefaultLimit  = 50
)

// Member is an enabled member as the enterprise domain reports it.
type Member struct {
	AccountID   string
	Name        string
	Role        string
	Departments []string // the member's department and every one above it
}

// Directory is what the archive needs from the enterprise domain.
type Directory interface {
	// Require returns the member if accountID is an enabled member holding p ("" : any), else a
	// 403 *sync.Refusal.
	Require(tx sync.Tx, enterpriseID, accountID string, p org.Permission) (Member, error)
	// Departments returns the department of accountID in the enterprise and every one above it,
	// whether or not the member is still enabled (nil when none).
	Departments(tx sync.Tx, enterpriseID, accountID string) ([]string, error)
	// RoleExists reports whether a role id is known in the enterprise.
	RoleExists(tx sync.Tx, enterpriseID, role string) (bool, error)
	// PartyEnterprises returns the enterprises a company recipient signed for: those named
	// company of which the account with login key partyKey ("sms:<phone>", "email:<address>")
	// is a member, enabled or not, each with that member's departments.
	PartyEnterprises(tx sync.Tx, partyKey, company string) ([]Party, error)
	// EnterpriseName returns an enterprise's name ("" when there is none).
	EnterpriseName(tx sync.Tx, enterpriseID string) (string, error)
}

// Party is an enterprise that signed a contract as a company recipient, through a member.
type Party struct {
	EnterpriseID string
	AccountID    string   // the member who signed for it (经办人)
	Departments  []string // the member's department and every one above it
}

// Service is the archive over a store.
type Service struct {
	Store     sync.Store
	Blobs     blob.Store
	Directory Directory
	Hub       *sync.Hub
	Now       func() time.Time
	TempDir   string
	// Exports, when set, bounds the exports written at once (each reads every file of a folder
	// and writes the whole ZIP); the caller's right to the folder is checked before it is
	// entered, and over it Export answers gate.ErrBusy.
	Exports *gate.Gate
}

type counts struct {
	N   int `json:"n"`
	Due int `json:"due,omitempty"`
}

func refuse(status int, code, msg string) *sync.Refusal { return sync.Refuse(status, code, msg) }

var errFolderNotFound = refuse(http.StatusNotFound, "folder_not_found", "档案夹不存在")

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func invTime(t time.Time) string { return fmt.Sprintf("%019d", math.MaxInt64-t.UnixNano()) }

func checkID(id string) bool { return id != "" && len(id) <= 64 && !strings.ContainsAny(id, "/\x00") }

func (s *Service) wake(scopes ...string) {
	if s.Hub == nil {
		return
	}
	for _, sc := range scopes {
		s.Hub.Notify(sc)
	}
}

// --- folders -------------------------------------------------------------------------------------

func folders(tx sync.Tx, eid string) ([]api.ArchiveFolder, error) {
	out := []api.ArchiveFolder{}
	err := tx.Scan(BucketFolders, eid+"/", "", 0, func(_ string, v []byte) error {
		var f api.ArchiveFolder
		if err := json.Unmarshal(v, &f); err != nil {
			return err
		}
		out = append(out, f)
		return nil
	})
	slices.SortStableFunc(out, func(a, b api.ArchiveFolder) int {
		if a.ID == DefaultFolder || b.ID == DefaultFolder {
			return map[bool]int{true: -1, false: 1}[a.ID == DefaultFolder]
		}
		return a.Created.Compare(b.Created)
	})
	return out, err
}

func getFolder(tx sync.Tx, eid, fid string) (api.ArchiveFolder, error) {
	var f api.ArchiveFolder
	if !checkID(fid) {
		return f, errFolderNotFound
	}
	if err := sync.GetJSON(tx, BucketFolders, eid+"/"+fid, &f); errors.Is(err, sync.ErrNotFound) {
		return f, errFolderNotFound
	} else if err != nil {
		return f, err
	}
	return f, nil
}

// ensureDefault creates the default folder of an enterprise if it is missing.
func ensureDefault(tx sync.Tx, eid string, now time.Time) error {
	if _, err := tx.Get(BucketFolders, eid+"/"+DefaultFolder); err == nil || !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	return sync.PutJSON(tx, BucketFolders, eid+"/"+DefaultFolder, api.ArchiveFolder{ID: DefaultFolder, EnterpriseID: eid,
		Name: DefaultFolderName, Created: now})
}

// viewer decides which folders a member sees.
type viewer struct {
	all    bool
	member Member
}

func (s *Service) viewer(tx sync.Tx, eid, actor string) (viewer, error) {
	m, err := s.Directory.Require(tx, eid, actor, "")
	if err != nil {
		return viewer{}, err
	}
	v := viewer{member: m}
	for _, p := range []org.Permission{org.PermManageArchive, org.PermViewAllContracts} {
		if _, err := s.Directory.Require(tx, eid, actor, p); err == nil {
			v.all = true
			break
		}
	}
	return v, nil
}

func (v viewer) sees(f api.ArchiveFolder) bool {
	return v.all || f.Owner == v.member.AccountID || slices.Contains(f.Roles, v.member.Role) || slices.Contains(f.Roles, org.RoleMember)
}

func forbidden(f api.ArchiveFolder) error {
	return refuse(http.StatusForbidden, "folder_forbidden", "您无权查看档案夹「"+f.Name+"」，请联系企业管理员")
}

// Folders lists the folders the caller sees, with how many contracts each holds and how many
// are past the retention period.
func (s *Service) Folders(ctx context.Context, eid, actor string) ([]api.ArchiveFolder, error) {
	var out []api.ArchiveFolder
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out = []api.ArchiveFolder{}
		v, err := s.viewer(tx, eid, actor)
		if err != nil {
			return err
		}
		fs, err := folders(tx, eid)
		if err != nil {
			return err
		}
		if len(fs) == 0 {
			fs = []api.ArchiveFolder{{ID: DefaultFolder, EnterpriseID: eid, Name: DefaultFolderName}}
		}
		for _, f := range fs {
			if !v.sees(f) {
				continue
			}
			var c counts
			if err := sync.GetJSON(tx, BucketCounts, eid+"/"+f.ID, &c); err != nil && !errors.Is(err, sync.ErrNotFound) {
				return err
			}
			f.Count, f.Due = c.N, c.Due
			out = append(out, f)
		}
		return nil
	})
	return out, err
}

// isControl reports a character user text may not hold (org.Invisible: controls, bidi overrides,
// zero-width and other invisible characters).
func isControl(r rune) bool { return org.Invisible(r) }

func cleanList(xs []string, what string) ([]string, error) {
	var out []string
	for _, x := range xs {
		x = strings.TrimSpace(x)
		if x == "" || slices.Contains(out, x) {
			continue
		}
		if utf8.RuneCountInString(x) > 60 || strings.ContainsFunc(x, isControl) || strings.Contains(x, "/") {
			return nil, refuse(http.StatusBadRequest, "bad_folder_rule", fmt.Sprintf("%s「%s」须为 1–60 个字且不含控制字符和 /", what, x))
		}
		out = append(out, x)
	}
	if len(out) > MaxConditions {
		return nil, refuse(http.StatusBadRequest, "bad_folder_rule", fmt.Sprintf("%s最多 %d 个", what, MaxConditions))
	}
	return out, nil
}

// SaveFolder creates (f.ID empty) or changes a folder and its rule (archive.manage).
func (s *Service) SaveFolder(ctx context.Context, eid, actor string, f api.ArchiveFolder) (api.ArchiveFolder, error) {
	if err := s.Store.View(ctx, func(tx sync.Tx) error {
		_, err := s.Directory.Require(tx, eid, actor, org.PermManageArchive)
		return err
	}); err != nil {
		return f, err
	}
	f.Name = strings.TrimSpace(f.Name)
	if n := utf8.RuneCountInString(f.Name); n == 0 || n > MaxName || strings.ContainsFunc(f.Name, isControl) {
		return f, refuse(http.StatusBadRequest, "bad_folder_name", fmt.Sprintf("请填写档案夹名称（1–%d 个字）", MaxName))
	}
	if f.RetentionYears < 0 || f.RetentionYears > MaxRetention {
		return f, refuse(http.StatusBadRequest, "bad_retention", fmt.Sprintf("保存期限须为 0–%d 年（0 为永久保存）", MaxRetention))
	}
	var err error
	if f.Counterparties, err = cleanList(f.Counterparties, "签约方"); err != nil {
		return f, err
	}
	if f.Templates, err = cleanList(f.Templates, "模板"); err != nil {
		return f, err
	}
	if f.Departments, err = cleanList(f.Departments, "部门"); err != nil {
		return f, err
	}
	if f.Roles, err = cleanList(f.Roles, "角色"); err != nil {
		return f, err
	}
	now := s.now()
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, org.PermManageArchive); err != nil {
			return err
		}
		if err := ensureDefault(tx, eid, now); err != nil {
			return err
		}
		for _, r := range f.Roles {
			ok, err := s.Directory.RoleExists(tx, eid, r)
			if err != nil {
				return err
			}
			if !ok {
				return refuse(http.StatusBadRequest, "bad_role", "角色「"+r+"」不存在")
			}
		}
		if f.ID == "" {
			if err := sync.Claim(tx, "archive-folders/"+eid); err != nil {
				return err
			}
			n := 0
			if err := tx.Scan(BucketFolders, eid+"/", "", MaxFolders+1, func(string, []byte) error { n++; return nil }); err != nil {
				return err
			}
			if n >= MaxFolders {
				return refuse(http.StatusBadRequest, "too_many_folders", fmt.Sprintf("每个企业最多 %d 个档案夹", MaxFolders))
			}
			f.ID, f.Created = newID("fd_"), now
			if f.Owner == "" {
				f.Owner = actor
			}
		} else {
			old, err := getFolder(tx, eid, f.ID)
			if err != nil {
				return err
			}
			f.Created = old.Created
			if f.Owner == "" {
				f.Owner = old.Owner
			}
		}
		if f.Owner != "" {
			if _, err := s.Directory.Require(tx, eid, f.Owner, ""); err != nil {
				return refuse(http.StatusBadRequest, "bad_owner", "档案夹负责人须为企业的在职成员")
			}
		}
		// The parent exists and is not the folder itself or below it.
		for p, n := f.Parent, 0; p != ""; n++ {
			if p == f.ID || n > MaxFolders {
				return refuse(http.StatusBadRequest, "bad_parent", "上级档案夹不能是它自己或它的下级")
			}
			pf, err := getFolder(tx, eid, p)
			if err != nil {
				return refuse(http.StatusBadRequest, "bad_parent", "上级档案夹不存在")
			}
			p = pf.Parent
		}
		if f.ID == DefaultFolder {
			f.Counterparties, f.Templates, f.Departments, f.Parent = nil, nil, nil, ""
		}
		f.EnterpriseID, f.Count, f.Due = eid, 0, 0
		if err := sync.PutJSON(tx, BucketFolders, eid+"/"+f.ID, f); err != nil {
			return err
		}
		return s.record(tx, eid, actor, "archive.folder_saved", map[string]string{"id": f.ID, "name": f.Name}, now)
	})
	if err == nil {
		s.wake(org.EnterpriseScope(eid))
	}
	return f, err
}

// DeleteFolder removes an empty folder without subfolders (archive.manage).
func (s *Service) DeleteFolder(ctx context.Context, eid, fid, actor string) error {
	now := s.now()
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, org.PermManageArchive); err != nil {
			return err
		}
		f, err := getFolder(tx, eid, fid)
		if err != nil {
			return err
		}
		if f.ID == DefaultFolder {
			return refuse(http.StatusConflict, "folder_default", "「"+DefaultFolderName+"」不能删除")
		}
		var c counts
		if err := sync.GetJSON(tx, BucketCounts, eid+"/"+fid, &c); err != nil && !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		if c.N > 0 {
			return refuse(http.StatusConflict, "folder_not_empty", fmt.Sprintf("档案夹「%s」中还有 %d 份合同，不能删除", f.Name, c.N))
		}
		fs, err := folders(tx, eid)
		if err != nil {
			return err
		}
		for _, x := range fs {
			if x.Parent == fid {
				return refuse(http.StatusConflict, "folder_not_empty", fmt.Sprintf("档案夹「%s」下还有档案夹「%s」，不能删除", f.Name, x.Name))
			}
		}
		if err := tx.Delete(BucketFolders, eid+"/"+fid); err != nil {
			return err
		}
		if err := tx.Delete(BucketCounts, eid+"/"+fid); err != nil {
			return err
		}
		return s.record(tx, eid, actor, "archive.folder_deleted", map[string]string{"id": fid, "name": f.Name}, now)
	})
	if err == nil {
		s.wake(org.EnterpriseScope(eid))
	}
	return err
}

func (s *Service) record(tx sync.Tx, eid, actor, typ string, payload any, now time.Time) error {
	b, _ := json.Marshal(payload)
	if _, err := tx.Append(sync.Event{Scope: org.EnterpriseScope(eid), Type: EventChanged, Time: now, Actor: actor, Payload: b}); err != nil {
		return err
	}
	return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: actor, Action: typ, Target: eid, Detail: string(b)})
}

// --- filing ---------------------------------------------------------------------------------------

func containsFold(hay, needle string) bool {
	return strings.Contains(strings.ToLower(hay), strings.ToLower(needle))
}

func matches(f api.ArchiveFolder, it api.ArchiveItem, departments []string) bool {
	if len(f.Counterparties) == 0 && len(f.Templates) == 0 && len(f.Departments) == 0 {
		return false
	}
	if len(f.Counterparties) > 0 && !slices.ContainsFunc(f.Counterparties, func(c string) bool {
		return slices.ContainsFunc(it.Counterparties, func(p string) bool { return containsFold(p, c) })
	}) {
		return false
	}
	if len(f.Templates) > 0 && !slices.Contains(f.Templates, it.Template) {
		return false
	}
	if len(f.Departments) > 0 && !slices.ContainsFunc(f.Departments, func(d string) bool { return slices.Contains(departments, d) }) {
		return false
	}
	return true
}

// itemOf is what the archive keeps of a completed contract.
func itemOf(env api.Envelope, report string, amount int64) api.ArchiveItem {
	it := api.ArchiveItem{EnvelopeID: env.ID, Subject: env.Subject, SenderID: env.SenderID, SenderName: env.SenderName,
		Template: env.Template, Completed: env.Completed, Report: report, Amount: amount, ValidUntil: env.ValidUntil}
	for _, rc := range env.Recipients {
		switch rc.Kind {
		case api.RecipientCompany:
			it.Counterparties = append(it.Counterparties, rc.Company)
		case api.RecipientPerson:
			it.Counterparties = append(it.Counterparties, rc.Name)
		}
		if rc.State == api.RecipientSigned {
			it.Signers = append(it.Signers, rc.Name)
		}
	}
	for _, d := range env.Documents {
		it.Documents = append(it.Documents, api.ArchiveDocument{Name: d.Name, SHA256: d.Final})
	}
	return it
}

// File is envelope.Service.Completed: it files a completed contract into the archive of every
// enterprise that is a party to it — the sending enterprise (a personal send has none), and each
// enterprise a company recipient signed for (see fileReceived) — each time into the first
// folder whose rule it matches in that enterprise, else its default folder.
func (s *Service) File(tx sync.Tx, env api.Envelope, report string, now time.Time) error {
	var amount int64
	var keys []string
	if st, err := envelope.Lookup(tx, env.ID); err == nil {
		amount, keys = st.Request.Amount, st.PartyKeys
	}
	if env.EnterpriseID != "" {
		it := itemOf(env, report, amount)
		deps, err := s.Directory.Departments(tx, env.EnterpriseID, env.SenderID)
		if err != nil {
			return err
		}
		if len(deps) > 0 {
			it.Department = deps[0]
		}
		if err := fileItem(tx, env.EnterpriseID, it, deps, now); err != nil {
			return err
		}
	}
	_, err := s.fileReceived(tx, env, report, amount, keys, now)
	return err
}

// fileReceived files env into the archive of every enterprise a company recipient signed for
// (other than the sender's own, filed as sent): the counterparties are the sender (its
// enterprise's name, or the person's for a personal send) and the other recipients, the
// department is that of the member who signed for it, and the sender's template is not kept
// (it is another enterprise's). keys are the envelope's party keys (sender first), when known.
// It returns how many enterprises it filed env for (0 for those that had it filed already).
func (s *Service) fileReceived(tx sync.Tx, env api.Envelope, report string, amount int64, keys []string, now time.Time) (int, error) {
	sender := strings.TrimSpace(env.SenderName)
	filed := 0
	if env.EnterpriseID != "" {
		name, err := s.Directory.EnterpriseName(tx, env.EnterpriseID)
		if err != nil {
			return 0, err
		}
		if name != "" {
			sender = name
		}
	}
	done := map[string]bool{env.EnterpriseID: true}
	for k, rc := range env.Recipients {
		if rc.Kind != api.RecipientCompany || rc.State != api.RecipientSigned {
			continue
		}
		key := ""
		if k+1 < len(keys) {
			key = keys[k+1]
		} else if rc.Phone != "" {
			key = "sms:" + rc.Phone
		} else if rc.Email != "" {
			key = "email:" + rc.Email
		}
		if key == "" {
			continue
		}
		company := strings.TrimSpace(rc.Company)
		parties, err := s.Directory.PartyEnterprises(tx, key, company)
		if err != nil {
			return filed, err
		}
		for _, p := range parties {
			if done[p.EnterpriseID] {
				continue
			}
			done[p.EnterpriseID] = true
			it := itemOf(env, report, amount)
			it.Received, it.Template = true, ""
			cps := []string{}
			if sender != "" {
				cps = append(cps, sender)
			}
			for _, c := range it.Counterparties {
				if c != company && !slices.Contains(cps, c) {
					cps = append(cps, c)
				}
			}
			it.Counterparties = cps
			if len(p.Departments) > 0 {
				it.Department = p.Departments[0]
			}
			if _, err := tx.Get(BucketWhere, p.EnterpriseID+"/"+env.ID); err == nil {
				continue // filed already
			} else if !errors.Is(err, sync.ErrNotFound) {
				return filed, err
			}
			if err := fileItem(tx, p.EnterpriseID, it, p.Departments, now); err != nil {
				return filed, err
			}
			filed++
		}
	}
	return filed, nil
}

// The received-contracts backfill: before received contracts were filed, the archive filed only
// what an enterprise sent; BackfillReceived files the received ones completed before, once per
// store.
const (
	keyBackfill   = "received_backfill"
	backfillBatch = 200
)

type backfill struct {
	After string `json:"after,omitempty"` // the last envelope id looked at
	Done  bool   `json:"done,omitempty"`
}

// BackfillReceived files into the archive of each enterprise that signed them as a company
// recipient the contracts completed before such contracts were filed (see File). It walks every
// envelope once, backfillBatch at a time, each batch one transaction that also records the
// position (BucketMeta), so a restart continues where it stopped, a finished walk is never
// repeated, and servers sharing a store that run it at once file nothing twice (an enterprise's
// contract is filed once: BucketWhere). It returns how many filings it made.
func (s *Service) BackfillReceived(ctx context.Context) (int, error) {
	// A finished walk is read, not written: every server start asks.
	var b backfill
	if err := s.Store.View(ctx, func(tx sync.Tx) error {
		return sync.GetJSON(tx, BucketMeta, keyBackfill, &b)
	}); err != nil && !errors.Is(err, sync.ErrNotFound) {
		return 0, err
	}
	if b.Done {
		return 0, nil
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		done, n, batch := false, 0, 0
		err := s.Store.Update(ctx, func(tx sync.Tx) error {
			done, n, batch = false, 0, 0
			var b backfill
			if err := sync.GetJSON(tx, BucketMeta, keyBackfill, &b); err != nil && !errors.Is(err, sync.ErrNotFound) {
				return err
			}
			if b.Done {
				done = true
				return nil
			}
			var ids []string
			if err := tx.Scan(envelope.BucketEnvelopes, "", b.After, backfillBatch, func(k string, v []byte) error {
				var head struct {
					Status string `json:"status"`
				}
				if json.Unmarshal(v, &head) == nil && head.Status == api.EnvelopeCompleted {
					ids = append(ids, k)
				}
				b.After = k
				n++
				return nil
			}); err != nil {
				return err
			}
			now := s.now()
			for _, id := range ids {
				st, err := envelope.Lookup(tx, id)
				if err != nil {
					return fmt.Errorf("backfill of %s: %w", id, err)
				}
				filed, err := s.fileReceived(tx, st.Envelope, st.Report, st.Request.Amount, st.PartyKeys, now)
				if err != nil {
					return fmt.Errorf("backfill of %s: %w", id, err)
				}
				batch += filed
			}
			b.Done = n < backfillBatch
			done = b.Done
			return sync.PutJSON(tx, BucketMeta, keyBackfill, b)
		})
		if err != nil {
			return total, err
		}
		total += batch
		if done {
			return total, nil
		}
	}
}

func fileItem(tx sync.Tx, eid string, it api.ArchiveItem, departments []string, now time.Time) error {
	if _, err := tx.Get(BucketWhere, eid+"/"+it.EnvelopeID); err == nil {
		return nil // filed already (a retried completion)
	} else if !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	if err := ensureDefault(tx, eid, now); err != nil {
		return err
	}
	fs, err := folders(tx, eid)
	if err != nil {
		return err
	}
	it.FolderID = DefaultFolder
	for _, f := range fs {
		if matches(f, it, departments) {
			it.FolderID = f.ID
			break
		}
	}
	if it.Completed.IsZero() {
		it.Completed = now
	}
	key := eid + "/" + invTime(it.Completed) + "/" + it.EnvelopeID
	if err := tx.Put(BucketItems, key, encodeItem(it)); err != nil {
		return err
	}
	if err := tx.Put(BucketIndex, key, indexLine(it)); err != nil {
		return err
	}
	if err := tx.Put(BucketWhere, eid+"/"+it.EnvelopeID, []byte(key)); err != nil {
		return err
	}
	return addCount(tx, eid, it.FolderID, 1, 0)
}

func addCount(tx sync.Tx, eid, fid string, dn, ddue int) error {
	var c counts
	if err := sync.GetJSON(tx, BucketCounts, eid+"/"+fid, &c); err != nil && !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	c.N, c.Due = max(0, c.N+dn), max(0, c.Due+ddue)
	return sync.PutJSON(tx, BucketCounts, eid+"/"+fid, c)
}

// encodeItem is the folder id, a NUL, and the item as JSON without HTML escaping (so the bytes
// hold the text as typed and a search can look for it before decoding).
func encodeItem(it api.ArchiveItem) []byte {
	var b bytes.Buffer
	b.WriteString(it.FolderID)
	b.WriteByte(0)
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(it)
	return bytes.TrimRight(b.Bytes(), "\n")
}

func decodeItem(v []byte) (api.ArchiveItem, error) {
	i := bytes.IndexByte(v, 0)
	if i < 0 {
		return api.ArchiveItem{}, errors.New("corrupt archive item")
	}
	var it api.ArchiveItem
	err := json.Unmarshal(v[i+1:], &it)
	return it, err
}

// --- 一键转交 --------------------------------------------------------------------------------------

// Handover is the org.HandoverFunc of kind "archive": the folders from owns go to to.
func (s *Service) Handover(tx sync.Tx, eid, from, to string, now time.Time) (int, error) {
	fs, err := folders(tx, eid)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range fs {
		if f.Owner != from {
			continue
		}
		f.Owner = to
		if err := sync.PutJSON(tx, BucketFolders, eid+"/"+f.ID, f); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}
