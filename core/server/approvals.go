package server

import (
	"context"
	"net/http"

	"sealdesk/core/api"
	"sealdesk/core/approval"
	"sealdesk/core/entseal"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// --- 审批管理 (issue 22, area: approve — core/approval) ---------------------------------------------

// approvalDirectory gives approvals the enterprise's members (with their departments) and seals.
type approvalDirectory struct{ d orgDirectory }

func (a approvalDirectory) Require(tx sync.Tx, eid, aid string, p org.Permission) (approval.Member, error) {
	m, err := a.d.Require(tx, eid, aid, p)
	if err != nil {
		return approval.Member{}, err
	}
	return approval.Member{AccountID: m.AccountID, Name: m.Name, Departments: m.Departments}, nil
}

func (a approvalDirectory) SealName(tx sync.Tx, eid, sid string) (string, error) {
	seal, err := entseal.GetSeal(tx, eid, sid)
	return seal.Name, err
}

// approvalNotices sends the approval notices through the notifier of the one-time codes (SMTP
// e-mail or SMS; the dev outbox under --dev) and the 企业通知邮箱.
type approvalNotices struct{ s *Server }

func (n approvalNotices) Person(ctx context.Context, accountID, subject, body string) {
	if n.s.org.Notifier == nil {
		return
	}
	a, err := n.s.org.Account(ctx, accountID)
	if err != nil {
		n.s.log.Warn("approval notice: no account", "account", accountID, "err", err)
		return
	}
	m := notify.Message{Channel: notify.Email, To: a.Email, Subject: "SealDesk 审批通知：" + subject, Body: body, Time: n.s.opts.Now()}
	if a.Email == "" {
		m.Channel, m.To = notify.SMS, a.Phone
	}
	if m.To == "" {
		return
	}
	if err := n.s.org.Notifier.Send(ctx, m); err != nil {
		n.s.log.Warn("approval notice not sent", "account", accountID, "channel", m.Channel, "err", err)
	}
}

func (n approvalNotices) Enterprise(ctx context.Context, enterpriseID, subject, body string) {
	if _, err := n.s.org.NotifyEnterpriseEmail(ctx, enterpriseID, subject, body); err != nil {
		n.s.log.Warn("approval notice to the enterprise e-mail not sent", "enterprise", enterpriseID, "err", err)
	}
}

var _ approval.Noticer = approvalNotices{}

// setupApprovals builds the approval service and puts its gates in front of sending contracts
// and using seals; approvers' places are handed over by 一键转交 (kind "approvals").
func (s *Server) setupApprovals() {
	s.approvals = &approval.Service{Store: s.opts.Store, Directory: approvalDirectory{orgDirectory{s.org}}, Envelopes: s.env,
		Hub: s.hub, Now: s.opts.Now, Notices: approvalNotices{s}}
	if s.env != nil && s.env.SendGate == nil {
		s.env.SendGate = s.approvals.SendGate
	}
	if s.seals != nil && s.seals.UseGate == nil {
		s.seals.UseGate = s.approvals.UseGate
	}
	s.registerHandover("approvals", "审批", s.approvals.Handover)
}

// registerHandover adds a kind to 一键转交 unless Options.Handovers already brought one.
func (s *Server) registerHandover(kind, label string, fn org.HandoverFunc) {
	for _, k := range s.admin.HandoverKinds() {
		if k.Kind == kind {
			return
		}
	}
	s.admin.RegisterHandover(kind, label, fn)
}

// Approvals returns the approval service.
func (s *Server) Approvals() *approval.Service { return s.approvals }

func (s *Server) approvalRoutes() []route {
	return []route{
		{"GET", "/api/v1/approvals/count", user, s.handleApprovalCount},
		{"GET", "/api/v1/enterprises/{id}/approval-rules", user, s.handleApprovalRules},
		{"POST", "/api/v1/enterprises/{id}/approval-rules", user, s.handleApprovalRuleCreate},
		{"PUT", "/api/v1/enterprises/{id}/approval-rules/{rule}", user, s.handleApprovalRuleUpdate},
		{"DELETE", "/api/v1/enterprises/{id}/approval-rules/{rule}", user, s.handleApprovalRuleDelete},
		{"POST", "/api/v1/enterprises/{id}/approvals", user, s.handleApprovalSubmit},
		{"GET", "/api/v1/enterprises/{id}/approvals", user, s.handleApprovals},
		{"GET", "/api/v1/enterprises/{id}/approvals/{approval}", user, s.handleApprovalGet},
		{"POST", "/api/v1/enterprises/{id}/approvals/{approval}/approve", user, s.handleApprovalApprove},
		{"POST", "/api/v1/enterprises/{id}/approvals/{approval}/reject", user, s.handleApprovalReject},
		{"POST", "/api/v1/enterprises/{id}/approvals/{approval}/withdraw", user, s.handleApprovalWithdraw},
	}
}

func (s *Server) handleApprovalCount(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := s.approvals.PendingCount(r.Context(), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.ApprovalCount{Pending: n})
	return nil
}

func (s *Server) handleApprovalRules(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.approvals.Rules(r.Context(), r.PathValue("id"), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) saveApprovalRule(w http.ResponseWriter, r *http.Request, c *call, id string) error {
	var req api.ApprovalRule
	if err := decodeJSON(r, 64<<10, &req); err != nil {
		return err
	}
	req.ID = id
	out, err := s.approvals.SaveRule(r.Context(), r.PathValue("id"), c.account.ID, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleApprovalRuleCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.saveApprovalRule(w, r, c, "")
}

func (s *Server) handleApprovalRuleUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.saveApprovalRule(w, r, c, r.PathValue("rule"))
}

func (s *Server) handleApprovalRuleDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.approvals.DeleteRule(r.Context(), r.PathValue("id"), r.PathValue("rule"), c.account.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"deleted": true})
	return nil
}

func (s *Server) handleApprovalSubmit(w http.ResponseWriter, r *http.Request, c *call) error {
	var req api.ApprovalSubmit
	if err := decodeJSON(r, 16<<10, &req); err != nil {
		return err
	}
	out, err := s.approvals.Submit(r.Context(), r.PathValue("id"), c.account.ID, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleApprovals(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.approvals.List(r.Context(), r.PathValue("id"), c.account.ID, r.URL.Query().Get("box"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleApprovalGet(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.approvals.Get(r.Context(), r.PathValue("id"), r.PathValue("approval"), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) decideApproval(w http.ResponseWriter, r *http.Request, c *call, approve bool) error {
	var req api.ApprovalDecision
	if err := decodeJSON(r, 16<<10, &req); err != nil {
		return err
	}
	out, err := s.approvals.Decide(r.Context(), r.PathValue("id"), r.PathValue("approval"), c.account.ID, approve, req.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleApprovalApprove(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideApproval(w, r, c, true)
}

func (s *Server) handleApprovalReject(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideApproval(w, r, c, false)
}

func (s *Server) handleApprovalWithdraw(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.approvals.Withdraw(r.Context(), r.PathValue("id"), r.PathValue("approval"), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
