package server

import (
	"encoding/csv"
	"errors"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/skip2/go-qrcode"

	"sealdesk/core/api"
	"sealdesk/core/csvcell"
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

// --- invitations ------------------------------------------------------------------------------

func (s *Server) inviteURL(token string) string { return s.opts.BaseURL + "/join/" + token }

func (s *Server) writeLink(w http.ResponseWriter, l org.InviteLink) {
	writeJSON(w, http.StatusOK, api.InviteLink{URL: s.inviteURL(l.Token), InviteLink: l})
}

func (s *Server) handleInviteLink(w http.ResponseWriter, r *http.Request, c *call) error {
	l, err := s.org.InviteLink(r.Context(), c.account.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeLink(w, l)
	return nil
}

func (s *Server) handleInviteSwitch(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.require(r, c, org.PermManageMembers); err != nil {
		return err
	}
	var req api.InviteSwitchRequest
	if err := decodeJSON(r, 1<<10, &req); err != nil {
		return err
	}
	l, err := s.org.SetInviteEnabled(r.Context(), c.account.ID, r.PathValue("id"), req.Enabled)
	if err != nil {
		return err
	}
	s.writeLink(w, l)
	return nil
}

func (s *Server) handleInviteRotate(w http.ResponseWriter, r *http.Request, c *call) error {
	l, err := s.org.RotateInvite(r.Context(), c.account.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeLink(w, l)
	return nil
}

// handleInviteQR answers the QR code (PNG) of the enterprise's invitation link.
func (s *Server) handleInviteQR(w http.ResponseWriter, r *http.Request, c *call) error {
	l, err := s.org.InviteLink(r.Context(), c.account.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !l.Enabled {
		return sync.Refuse(http.StatusConflict, "invite_disabled", "链接邀请已关闭，请先开启")
	}
	// Whole pixels per module (a fixed size would scale modules unevenly, which readers reject).
	png, err := qrcode.Encode(s.inviteURL(l.Token), qrcode.Medium, -8)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
	return nil
}

func (s *Server) handleInvitation(w http.ResponseWriter, r *http.Request, _ *call) error {
	info, err := s.org.Invitation(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request, c *call) error {
	jr, err := s.org.Join(r.Context(), c.account.ID, r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, jr)
	return nil
}

var joinPage = template.Must(template.New("join").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>加入企业 · SealDesk</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto; padding: 0 1em">
{{if .Err}}<h1>无法加入</h1><p>{{.Err}}</p>
{{else}}<h1>邀请您加入「{{.Info.EnterpriseName}}」</h1>
{{if .Info.Name}}<p>{{.Info.Name}}，您好。</p>{{end}}
<p>请在 SealDesk 桌面端登录{{if eq .Info.Kind "personal"}}（使用收到邀请的手机号）{{end}}，打开「企业 › 加入企业」，粘贴此页面的地址，申请加入。企业管理员审核通过后即可加入。</p>
<p>链接有效期至 {{.Info.Expires.Format "2006-01-02 15:04"}}（UTC）。</p>{{end}}
</body></html>
`))

// handleJoinPage is the public page an invitation link (or its QR code) opens: it names the
// enterprise and says how to ask to join.
func (s *Server) handleJoinPage(w http.ResponseWriter, r *http.Request, _ *call) error {
	data := struct {
		Info org.InviteInfo
		Err  string
	}{}
	status := http.StatusOK
	info, err := s.org.Invitation(r.Context(), r.PathValue("token"))
	var ref *sync.Refusal
	switch {
	case errors.As(err, &ref):
		data.Err, status = ref.Message, ref.Status
	case err != nil:
		return err
	default:
		data.Info = info
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	return joinPage.Execute(w, data)
}

// --- join requests and members ----------------------------------------------------------------

func (s *Server) handleJoinRequests(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.org.JoinRequests(r.Context(), c.account.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) decideJoin(w http.ResponseWriter, r *http.Request, c *call, approve bool) error {
	m, err := s.org.DecideJoin(r.Context(), c.account.ID, r.PathValue("id"), r.PathValue("account"), approve)
	if err != nil {
		return err
	}
	if !approve {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) handleApproveJoin(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideJoin(w, r, c, true)
}

func (s *Server) handleRejectJoin(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideJoin(w, r, c, false)
}

func (s *Server) handleAddMember(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.require(r, c, org.PermManageMembers); err != nil {
		return err
	}
	var req api.AddMemberRequest
	if err := decodeJSON(r, 1<<10, &req); err != nil {
		return err
	}
	inv, err := s.org.AddMember(r.Context(), c.account.ID, r.PathValue("id"), req.Name, req.Phone)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, api.Invitation{URL: s.inviteURL(inv.Token), Invite: inv})
	return nil
}

func (s *Server) handleUpdateMember(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.require(r, c, org.PermManageMembers); err != nil {
		return err
	}
	var req org.MemberUpdate
	if err := decodeJSON(r, 1<<10, &req); err != nil {
		return err
	}
	m, err := s.org.UpdateMember(r.Context(), c.account.ID, r.PathValue("id"), r.PathValue("account"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) handleRemoveMember(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.org.RemoveMember(r.Context(), c.account.ID, r.PathValue("id"), r.PathValue("account")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request, c *call, disabled bool) error {
	m, err := s.org.SetMemberDisabled(r.Context(), c.account.ID, r.PathValue("id"), r.PathValue("account"), disabled)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) handleDisableMember(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.setDisabled(w, r, c, true)
}

func (s *Server) handleEnableMember(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.setDisabled(w, r, c, false)
}

// --- roles and departments --------------------------------------------------------------------

func (s *Server) handleRoles(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.org.Roles(r.Context(), c.account.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleCreateRole(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.requireAdmin(r, c); err != nil {
		return err
	}
	var req api.RoleRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	role, err := s.org.CreateRole(r.Context(), c.account.ID, r.PathValue("id"), req.Name, req.Permissions)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, role)
	return nil
}

func (s *Server) handleUpdateRole(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.requireAdmin(r, c); err != nil {
		return err
	}
	var req api.RoleRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	role, err := s.org.UpdateRole(r.Context(), c.account.ID, r.PathValue("id"), r.PathValue("role"), req.Name, req.Permissions)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, role)
	return nil
}

func (s *Server) handleDeleteRole(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.org.DeleteRole(r.Context(), c.account.ID, r.PathValue("id"), r.PathValue("role")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleDepartments(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.org.Departments(r.Context(), c.account.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleCreateDepartment(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.require(r, c, org.PermManageMembers); err != nil {
		return err
	}
	var req api.DepartmentRequest
	if err := decodeJSON(r, 1<<10, &req); err != nil {
		return err
	}
	d, err := s.org.CreateDepartment(r.Context(), c.account.ID, r.PathValue("id"), req.Name, req.Parent)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) handleUpdateDepartment(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.require(r, c, org.PermManageMembers); err != nil {
		return err
	}
	var req api.DepartmentRequest
	if err := decodeJSON(r, 1<<10, &req); err != nil {
		return err
	}
	d, err := s.org.UpdateDepartment(r.Context(), c.account.ID, r.PathValue("id"), r.PathValue("dept"), req.Name, req.Parent)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) handleDeleteDepartment(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.org.DeleteDepartment(r.Context(), c.account.ID, r.PathValue("id"), r.PathValue("dept")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- audit ------------------------------------------------------------------------------------

func (s *Server) handleEnterpriseAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.requireAdmin(r, c); err != nil {
		return err
	}
	limit, err := pageLimit(r, 200)
	if err != nil {
		return err
	}
	out, err := s.org.EnterpriseAudit(r.Context(), c.account.ID, r.PathValue("id"), r.URL.Query().Get("after"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleEnterpriseAuditCSV exports the whole audit log as CSV (UTF-8 with a BOM, so that Excel
// reads the Chinese), streamed page by page.
func (s *Server) handleEnterpriseAuditCSV(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.requireAdmin(r, c); err != nil {
		return err
	}
	id := r.PathValue("id")
	after := ""
	wroteHeader := false
	var cw *csv.Writer
	for {
		page, err := s.org.EnterpriseAudit(r.Context(), c.account.ID, id, after, 1000)
		if err != nil {
			if wroteHeader {
				s.log.Error("audit csv", "err", err)
				return nil // the answer has begun: a cut CSV, logged
			}
			return err
		}
		if !wroteHeader {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="audit-`+id+`.csv"`)
			w.Write([]byte("\ufeff"))
			cw = csv.NewWriter(w)
			cw.Write([]string{"时间", "操作人", "操作", "对象", "详情"})
			wroteHeader = true
		}
		for _, a := range page {
			cw.Write([]string{a.Time.UTC().Format(time.RFC3339), a.Actor, a.Action, a.Target, csvcell.Safe(a.Detail)})
		}
		cw.Flush()
		if len(page) < 1000 {
			return cw.Error()
		}
		after = page[len(page)-1].Key
	}
}

// --- verification -----------------------------------------------------------------------------

func (s *Server) handleStartVerification(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.requireAdmin(r, c); err != nil {
		return err
	}
	var req org.VerificationRequest
	if err := decodeJSON(r, 2<<10, &req); err != nil {
		return err
	}
	v, err := s.org.StartVerification(r.Context(), c.account.ID, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) handleEnterpriseVerification(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := s.org.EnterpriseVerification(r.Context(), c.account.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) handleConfirmDeposit(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.requireAdmin(r, c); err != nil {
		return err
	}
	var req api.DepositAmount
	if err := decodeJSON(r, 1<<10, &req); err != nil {
		return err
	}
	v, err := s.org.ConfirmDeposit(r.Context(), c.account.ID, r.PathValue("id"), req.Amount)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) handleVerificationUpload(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.requireAdmin(r, c); err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, org.MaxPhotoBytes+1))
	if err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_request", "读取上传的图片失败")
	}
	v, err := s.org.UploadVerification(r.Context(), c.account.ID, r.PathValue("id"), r.PathValue("kind"), data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) handleEnterpriseReviews(w http.ResponseWriter, r *http.Request, _ *call) error {
	out, err := s.org.EnterpriseReviews(r.Context(), r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleEnterpriseReview(w http.ResponseWriter, r *http.Request, _ *call) error {
	v, err := s.org.EnterpriseReview(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) handleEnterpriseReviewUpload(w http.ResponseWriter, r *http.Request, _ *call) error {
	b, typ, err := s.org.EnterpriseUpload(r.Context(), r.PathValue("id"), r.PathValue("kind"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Disposition", "attachment")
	w.Write(b)
	return nil
}

func (s *Server) decideEnterprise(w http.ResponseWriter, r *http.Request, c *call, approve bool) error {
	var req api.DecisionRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, 4<<10, &req); err != nil {
			return err
		}
	}
	v, err := s.org.DecideEnterprise(r.Context(), c.account.ID, r.PathValue("id"), approve, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) handleEnterpriseApprove(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideEnterprise(w, r, c, true)
}

func (s *Server) handleEnterpriseReject(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideEnterprise(w, r, c, false)
}
