package server

import (
	"net/http"
	"strconv"

	"sealdesk/core/api"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// --- enterprises (branch ent) -----------------------------------------------------------------

// require checks, in a read-only transaction of its own, that the caller is an enabled member of
// the enterprise of the path's {id} holding p (p == "": any enabled member). Handlers call it
// before they read a body, so a stranger is refused the same way whatever they send; the
// service checks again inside its own transaction.
func (s *Server) require(r *http.Request, c *call, p org.Permission) (org.Member, error) {
	var m org.Member
	err := s.opts.Store.View(r.Context(), func(tx sync.Tx) error {
		var err error
		m, err = s.org.Require(tx, r.PathValue("id"), c.account.ID, p)
		return err
	})
	return m, err
}

// requireAdmin is require for what only 主管理员 and 子管理员 may do.
func (s *Server) requireAdmin(r *http.Request, c *call) (org.Member, error) {
	var m org.Member
	err := s.opts.Store.View(r.Context(), func(tx sync.Tx) error {
		var err error
		m, err = s.org.RequireAdmin(tx, r.PathValue("id"), c.account.ID)
		return err
	})
	return m, err
}

func (s *Server) handleCreateEnterprise(w http.ResponseWriter, r *http.Request, c *call) error {
	var req api.CreateEnterpriseRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	e, err := s.org.CreateEnterprise(r.Context(), c.account.ID, req.Name, req.CreditCode)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) handleMyEnterprises(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.org.MyEnterprises(r.Context(), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleEnterprise(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.org.Enterprise(r.Context(), c.account.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// pageLimit reads the limit query parameter (default def, 1–org.MaxPage).
func pageLimit(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > org.MaxPage {
		return 0, sync.Refuse(http.StatusBadRequest, "bad_limit", "limit 须在 1–"+strconv.Itoa(org.MaxPage)+" 之间")
	}
	return n, nil
}

func (s *Server) handleMembers(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.require(r, c, ""); err != nil {
		return err
	}
	limit, err := pageLimit(r, 100)
	if err != nil {
		return err
	}
	out, err := s.org.Members(r.Context(), c.account.ID, r.PathValue("id"), r.URL.Query().Get("after"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
