package server

import (
	"context"
	"encoding/pem"
	"io"
	"net/http"
	"strconv"
	"strings"

	"sealdesk/core/api"
	"sealdesk/core/envelope"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// --- the main-admin change of manual 000 and 一键转交 (area: admin) --------------------------------

// AppealProviders are the checks an appeal can use (see org.AdminChanges).
type AppealProviders struct {
	LegalRep org.LegalRepChecker
	Deposit  org.DepositPayer
	// Contract checks that a contract waits for the applicant's signature on the company's
	// behalf; nil: the contracts domain's envelope.WaitsForCompanySignature.
	Contract func(tx sync.Tx, contractID, accountID, companyName string) error
}

func (s *Server) newAdminChanges() {
	p := s.opts.Appeals
	ac := &org.AdminChanges{Org: s.org, CertificatePEM: currentCertPEM, LegalRep: p.LegalRep, Deposit: p.Deposit, Contract: p.Contract}
	if ac.LegalRep == nil {
		ac.LegalRep = s.org.LegalRep // the enterprise verification's checker (Options.LegalRep)
	}
	if s.opts.Dev {
		if ac.LegalRep == nil {
			ac.LegalRep = org.DevLegalRep{}
		}
		if ac.Deposit == nil {
			// The dev payer sends nothing; the amount appears in /dev/outbox instead.
			ac.Deposit = org.DevDeposit{Sent: func(code string, fen int) {
				s.outbox.Send(context.Background(), notify.Message{Channel: notify.Email, To: "deposit:" + code, Time: s.opts.Now(),
					Subject: "企业打款", Body: "打款金额 0." + twoDigits(fen) + " 元"})
			}}
		}
	}
	if ac.Contract == nil {
		ac.Contract = envelope.WaitsForCompanySignature
	}
	for _, h := range s.opts.Handovers {
		ac.RegisterHandover(h.Kind, h.Label, h.Fn)
	}
	s.admin = ac
	if s.env != nil {
		s.registerHandover("contracts", "合同", s.env.Handover)
		s.registerHandover("templates", "模板", s.env.HandoverTemplates)
	}
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// AdminChanges returns the main-admin change service.
func (s *Server) AdminChanges() *org.AdminChanges { return s.admin }

// currentCertPEM returns the newest unrevoked person certificate of an account as PEM.
func currentCertPEM(tx sync.Tx, accountID string) (string, error) {
	var best CertRecord
	err := tx.Scan(bucketCertsActive, accountID+"/", "", 0, func(k string, _ []byte) error {
		var rec CertRecord
		if err := sync.GetJSON(tx, bucketCerts, strings.TrimPrefix(k, accountID+"/"), &rec); err != nil {
			return err
		}
		if !rec.Revoked && rec.NotBefore.After(best.NotBefore) {
			best = rec
		}
		return nil
	})
	if err != nil || best.DER == nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: best.DER})), nil
}

func (s *Server) adminChangeRoutes() []route {
	return []route{
		{"POST", "/api/v1/enterprises/{id}/admin-transfer/code", user, s.handleTransferCode},
		{"POST", "/api/v1/enterprises/{id}/admin-transfer", user, s.handleTransfer},
		{"GET", "/api/v1/enterprises/{id}/handover-kinds", user, s.handleHandoverKinds},
		{"POST", "/api/v1/enterprises/{id}/members/{account}/handover", user, s.handleHandover},
		{"POST", "/api/v1/appeals", user, s.handleStartAppeal},
		{"GET", "/api/v1/appeals", user, s.handleMyAppeals},
		{"GET", "/api/v1/appeals/{appeal}", user, s.handleAppeal},
		{"PUT", "/api/v1/appeals/{appeal}/letter", user, s.handleAppealLetter},
		{"POST", "/api/v1/appeals/{appeal}/deposit", user, s.handleAppealDeposit},
		{"GET", "/api/v1/admin/appeals", admin, s.handleAppealReviews},
		{"GET", "/api/v1/admin/appeals/{appeal}/letter", admin, s.handleAppealReviewLetter},
		{"POST", "/api/v1/admin/appeals/{appeal}/approve", admin, s.handleAppealApprove},
		{"POST", "/api/v1/admin/appeals/{appeal}/reject", admin, s.handleAppealReject},
	}
}

func (s *Server) handleTransferCode(w http.ResponseWriter, r *http.Request, c *call) error {
	ch, err := s.admin.StartTransfer(r.Context(), c.account.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}

func (s *Server) handleTransfer(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.require(r, c, ""); err != nil {
		return err
	}
	var req org.TransferRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	res, err := s.admin.ConfirmTransfer(r.Context(), c.account.ID, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	s.hooks.Kick()
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) handleHandoverKinds(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.requireAdmin(r, c); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.admin.HandoverKinds())
	return nil
}

func (s *Server) handleHandover(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.requireAdmin(r, c); err != nil {
		return err
	}
	var req org.HandoverRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	res, err := s.admin.HandOver(r.Context(), c.account.ID, r.PathValue("id"), r.PathValue("account"), req)
	if err != nil {
		return err
	}
	s.hooks.Kick()
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) handleStartAppeal(w http.ResponseWriter, r *http.Request, c *call) error {
	var req org.AppealRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	ap, err := s.admin.StartAppeal(r.Context(), c.account.ID, req)
	if err != nil {
		return err
	}
	s.hooks.Kick()
	writeJSON(w, http.StatusCreated, ap)
	return nil
}

func (s *Server) handleMyAppeals(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.admin.MyAppeals(r.Context(), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleAppeal(w http.ResponseWriter, r *http.Request, c *call) error {
	ap, err := s.admin.Appeal(r.Context(), c.account.ID, r.PathValue("appeal"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ap)
	return nil
}

func (s *Server) handleAppealLetter(w http.ResponseWriter, r *http.Request, c *call) error {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0]))
	if ct != "image/png" && ct != "image/jpeg" {
		return sync.Refuse(http.StatusUnsupportedMediaType, "photo_type", "授权书照片须为 PNG 或 JPEG 格式")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, org.MaxPhotoBytes+1))
	if err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_request", "读取上传内容失败")
	}
	ap, err := s.admin.UploadAppealLetter(r.Context(), c.account.ID, r.PathValue("appeal"), data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ap)
	return nil
}

func (s *Server) handleAppealDeposit(w http.ResponseWriter, r *http.Request, c *call) error {
	var req api.DepositAmount
	if err := decodeJSON(r, 1<<10, &req); err != nil {
		return err
	}
	ap, err := s.admin.ConfirmDeposit(r.Context(), c.account.ID, r.PathValue("appeal"), req.Amount)
	if err != nil {
		return err
	}
	s.hooks.Kick()
	writeJSON(w, http.StatusOK, ap)
	return nil
}

func (s *Server) handleAppealReviews(w http.ResponseWriter, r *http.Request, _ *call) error {
	out, err := s.admin.AppealReviews(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleAppealReviewLetter(w http.ResponseWriter, r *http.Request, _ *call) error {
	_, letter, err := s.admin.ReviewAppeal(r.Context(), r.PathValue("appeal"))
	if err != nil {
		return err
	}
	if letter == nil {
		return sync.Refuse(http.StatusNotFound, "letter_not_found", "该申诉没有授权书")
	}
	typ := "image/jpeg"
	if len(letter) > 4 && string(letter[1:4]) == "PNG" {
		typ = "image/png"
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Length", strconv.Itoa(len(letter)))
	w.Write(letter)
	return nil
}

func (s *Server) handleAppealApprove(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideAppeal(w, r, c, true)
}

func (s *Server) handleAppealReject(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideAppeal(w, r, c, false)
}

func (s *Server) decideAppeal(w http.ResponseWriter, r *http.Request, c *call, approve bool) error {
	var req api.DecisionRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, 4<<10, &req); err != nil {
			return err
		}
	}
	ap, err := s.admin.DecideAppeal(r.Context(), c.account.ID, r.PathValue("appeal"), approve, req.Reason)
	if err != nil {
		return err
	}
	s.hooks.Kick()
	writeJSON(w, http.StatusOK, ap)
	return nil
}
