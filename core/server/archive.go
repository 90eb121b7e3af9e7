package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/archive"
	"sealdesk/core/gate"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// --- 档案柜 (issue 22, area: approve — core/archive) -------------------------------------------------

// archiveDirectory gives the archive the enterprise's members, roles and departments.
type archiveDirectory struct{ s *org.Service }

func (d archiveDirectory) Require(tx sync.Tx, eid, aid string, p org.Permission) (archive.Member, error) {
	m, err := d.s.Require(tx, eid, aid, p)
	if err != nil {
		return archive.Member{}, err
	}
	return archive.Member{AccountID: m.AccountID, Name: m.Name, Role: m.Role, Departments: departmentChain(tx, eid, m.Department)}, nil
}

func (d archiveDirectory) Departments(tx sync.Tx, eid, aid string) ([]string, error) {
	m, err := org.GetMember(tx, eid, aid)
	if errors.Is(err, sync.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return departmentChain(tx, eid, m.Department), nil
}

func (d archiveDirectory) RoleExists(tx sync.Tx, eid, role string) (bool, error) {
	switch role {
	case org.RoleOwner, org.RoleAdmin, org.RoleMember:
		return true, nil
	}
	if !org.IsCustomRole(role) || strings.Contains(role, "/") {
		return false, nil
	}
	_, err := org.GetRole(tx, eid, role)
	if errors.Is(err, sync.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (d archiveDirectory) PartyEnterprises(tx sync.Tx, partyKey, company string) ([]archive.Party, error) {
	id, err := tx.Get(org.BucketLogins, partyKey)
	if errors.Is(err, sync.ErrNotFound) {
		return nil, nil // a web-only signer belongs to no enterprise
	}
	if err != nil {
		return nil, err
	}
	aid := string(id)
	if aid == "" || strings.Contains(aid, "/") {
		return nil, nil
	}
	var eids []string
	if err := tx.Scan(org.BucketMemberships, aid+"/", "", 1000, func(k string, _ []byte) error {
		eids = append(eids, strings.TrimPrefix(k, aid+"/"))
		return nil
	}); err != nil {
		return nil, err
	}
	var out []archive.Party
	for _, eid := range eids {
		e, err := org.GetEnterprise(tx, eid)
		if errors.Is(err, sync.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(e.Name) != company {
			continue
		}
		m, err := org.GetMember(tx, eid, aid)
		if errors.Is(err, sync.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, archive.Party{EnterpriseID: eid, AccountID: aid, Departments: departmentChain(tx, eid, m.Department)})
	}
	return out, nil
}

func (d archiveDirectory) EnterpriseName(tx sync.Tx, eid string) (string, error) {
	e, err := org.GetEnterprise(tx, eid)
	if errors.Is(err, sync.ErrNotFound) {
		return "", nil
	}
	return strings.TrimSpace(e.Name), err
}

// departmentChain is a department and every one above it (a bounded walk: a cycle cannot loop).
func departmentChain(tx sync.Tx, eid, id string) []string {
	var out []string
	for n := 0; id != "" && n < 64; n++ {
		out = append(out, id)
		var dep org.Department
		if err := sync.GetJSON(tx, org.BucketDepartments, eid+"/"+id, &dep); err != nil {
			break
		}
		id = dep.Parent
	}
	return out
}

// DefaultArchiveExports is how many 档案柜 ZIP exports a process writes at once: each reads every
// file of a folder and writes the whole ZIP to a temporary file, so without a bound a member who
// sees a large folder could ask for it many times at once and fill the disk and the CPU (red
// team s5).
const DefaultArchiveExports = 2

// setupArchive files completed enterprise contracts and registers folders with 一键转交.
func (s *Server) setupArchive() {
	exports := s.opts.ArchiveExports
	if exports == nil {
		exports = gate.New(&gate.Options{Slots: DefaultArchiveExports, Queue: 2 * DefaultArchiveExports, Wait: 2 * time.Second})
	}
	s.archive = &archive.Service{Store: s.opts.Store, Directory: archiveDirectory{s.org}, Hub: s.hub, Now: s.opts.Now, Exports: exports}
	if s.env != nil {
		s.archive.Blobs = s.env.BlobStore()
		if s.env.Completed == nil {
			s.env.Completed = s.archive.File
		}
	}
	s.registerHandover("archive", "档案柜", s.archive.Handover)
}

// Archive returns the archive service.
func (s *Server) Archive() *archive.Service { return s.archive }

// archiveJanitor files, once per store, the received contracts completed before they were filed
// (archive.Service.BackfillReceived), then flags contracts past their folder's retention period,
// at start and hourly.
func (s *Server) archiveJanitor(ctx context.Context) {
	// Once per store: the received contracts completed before they were filed.
	if n, err := s.archive.BackfillReceived(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("archive backfill of received contracts", "err", err)
	} else if n > 0 {
		s.log.Info("archived received contracts completed earlier", "filings", n)
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := s.archive.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("archive retention sweep", "err", err)
		} else if n > 0 {
			s.log.Info("archived contracts past their retention period (flagged, kept)", "contracts", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) archiveRoutes() []route {
	return []route{
		{"GET", "/api/v1/enterprises/{id}/archive/folders", user, s.handleArchiveFolders},
		{"POST", "/api/v1/enterprises/{id}/archive/folders", user, s.handleArchiveFolderCreate},
		{"PUT", "/api/v1/enterprises/{id}/archive/folders/{folder}", user, s.handleArchiveFolderUpdate},
		{"DELETE", "/api/v1/enterprises/{id}/archive/folders/{folder}", user, s.handleArchiveFolderDelete},
		{"GET", "/api/v1/enterprises/{id}/archive/search", user, s.handleArchiveSearch},
		{"GET", "/api/v1/enterprises/{id}/archive/folders/{folder}/export", user, s.handleArchiveExport},
	}
}

func (s *Server) handleArchiveFolders(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.archive.Folders(r.Context(), r.PathValue("id"), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) saveArchiveFolder(w http.ResponseWriter, r *http.Request, c *call, id string) error {
	var req api.ArchiveFolder
	if err := decodeJSON(r, 64<<10, &req); err != nil {
		return err
	}
	req.ID = id
	out, err := s.archive.SaveFolder(r.Context(), r.PathValue("id"), c.account.ID, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleArchiveFolderCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.saveArchiveFolder(w, r, c, "")
}

func (s *Server) handleArchiveFolderUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.saveArchiveFolder(w, r, c, r.PathValue("folder"))
}

func (s *Server) handleArchiveFolderDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.archive.DeleteFolder(r.Context(), r.PathValue("id"), r.PathValue("folder"), c.account.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"deleted": true})
	return nil
}

// parseDay reads an RFC 3339 time or a day (2006-01-02, Beijing time).
func parseDay(s, what string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.FixedZone("CST", 8*3600)); err == nil {
		return t, nil
	}
	return time.Time{}, sync.Refuse(http.StatusBadRequest, "bad_date", what+"须为日期，如 2026-01-31")
}

func (s *Server) handleArchiveSearch(w http.ResponseWriter, r *http.Request, c *call) error {
	v := r.URL.Query()
	q := api.ArchiveQuery{Folder: v.Get("folder"), Subject: v.Get("subject"), Counterparty: v.Get("counterparty"), Signer: v.Get("signer"), After: v.Get("after")}
	var err error
	if q.From, err = parseDay(v.Get("from"), "开始日期"); err != nil {
		return err
	}
	if q.To, err = parseDay(v.Get("to"), "结束日期"); err != nil {
		return err
	}
	if l := v.Get("limit"); l != "" {
		if q.Limit, err = strconv.Atoi(l); err != nil || q.Limit < 0 {
			return sync.Refuse(http.StatusBadRequest, "bad_limit", "每页条数须为正整数")
		}
	}
	out, err := s.archive.Search(r.Context(), r.PathValue("id"), c.account.ID, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleArchiveExport builds the ZIP in a temporary file first, so a failure half-way answers an
// error instead of a truncated archive, then sends it with its length.
func (s *Server) handleArchiveExport(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := os.CreateTemp("", "sealdesk-archive-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	folder, _, err := s.archive.Export(r.Context(), r.PathValue("id"), r.PathValue("folder"), c.account.ID, f)
	if err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("Content-Disposition", "attachment; filename=\"archive.zip\"; filename*=UTF-8''"+url.PathEscape(folder.Name+".zip"))
	w.WriteHeader(http.StatusOK)
	io.Copy(w, f)
	return nil
}
