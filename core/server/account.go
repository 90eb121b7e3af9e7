package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/billing"
	"sealdesk/core/envelope"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// --- accounts, 企业控制台 and the home screen's report (area: acct, issue 22) -----------------------

// TrialOptions are 暂不实名，立即体验: an account that has not passed real-name verification gets a
// small personal quota when it registers, so a new user can try a contract at once.
type TrialOptions struct {
	Docs     int           // documents granted at registration (0: no trial quota)
	Validity time.Duration // how long they last (default 30 days)
}

// bucketEntNotices marks the notices sent to an enterprise (one low-quota notice a day).
const bucketEntNotices = "ent_notices"

// LowQuotaThreshold is the 对公 balance under which a send notifies the 企业通知邮箱 (once a day).
const LowQuotaThreshold = 10

// Header names of the 二次校验 code on signing, 拒签 and 撤回.
const (
	HeaderConfirmCode      = "X-SealDesk-Confirm-Code"
	HeaderConfirmChallenge = "X-SealDesk-Confirm-Challenge"
)

func (s *Server) accountRoutes() []route {
	return []route{
		{"GET", "/api/v1/terms", public, s.handleTerms},
		{"POST", "/api/v1/auth/password/reset", public, s.handleResetPassword},
		{"POST", "/api/v1/me/codes", user, s.handleOwnCode},
		{"PUT", "/api/v1/me/password", user, s.handleChangePassword},
		{"PUT", "/api/v1/me/second-check", user, s.handleSecondCheck},
		{"GET", "/api/v1/me/stats/monthly", user, s.handleMyMonthly},
		{"GET", "/api/v1/enterprises/{id}/console", user, s.handleConsole},
		{"PUT", "/api/v1/enterprises/{id}/settings", user, s.handleConsoleSettings},
		{"PUT", "/api/v1/enterprises/{id}/logo", user, s.handleLogoPut},
		{"DELETE", "/api/v1/enterprises/{id}/logo", user, s.handleLogoDelete},
		{"GET", "/api/v1/enterprises/{id}/stats/monthly", user, s.handleEntMonthly},
		{"GET", "/api/v1/enterprises/{id}/logo", user, s.handleLogo},
	}
}

// setupAccounts wires the trial quota into registration.
func (s *Server) setupAccounts() {
	t := s.opts.Trial
	if t.Docs <= 0 {
		return
	}
	if t.Validity <= 0 {
		t.Validity = 30 * 24 * time.Hour
	}
	s.org.Registered = func(tx sync.Tx, a org.Account, now time.Time) error {
		if a.RealName != nil {
			return nil
		}
		return billing.Credit(tx, billing.Personal(a.ID), "trial-"+a.ID, t.Docs, t.Validity, now)
	}
}

// statsQuota counts every send and completion in the monthly report around the quota's own
// reservation (which may be none: an unbilled embedded backend still has a report).
func statsQuota(q envelope.Quota) envelope.Quota {
	return envelope.Quota{
		Reserve: func(tx sync.Tx, enterpriseID, senderID, envelopeID string, docs int, subject, channel string, now time.Time) error {
			if q.Reserve != nil {
				if err := q.Reserve(tx, enterpriseID, senderID, envelopeID, docs, subject, channel, now); err != nil {
					return err
				}
			}
			return envelope.CountSent(tx, envelope.StatsOwner(enterpriseID, senderID), envelopeID, now)
		},
		Charge: func(tx sync.Tx, envelopeID string, now time.Time) error {
			if q.Charge != nil {
				if err := q.Charge(tx, envelopeID, now); err != nil {
					return err
				}
			}
			return envelope.CountCompleted(tx, envelopeID, now)
		},
		Release: func(tx sync.Tx, envelopeID string, now time.Time) error {
			if q.Release != nil {
				if err := q.Release(tx, envelopeID, now); err != nil {
					return err
				}
			}
			return envelope.CountEnded(tx, envelopeID)
		},
	}
}

func (s *Server) handleTerms(w http.ResponseWriter, _ *http.Request, _ *call) error {
	writeJSON(w, http.StatusOK, s.org.CurrentTerms())
	return nil
}

func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request, _ *call) error {
	var req org.ResetRequest
	release, err := s.authCall(w, r, &req)
	if err != nil {
		return err
	}
	defer release()
	if err := s.org.ResetPassword(r.Context(), req, clientAddr(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleOwnCode(w http.ResponseWriter, r *http.Request, c *call) error {
	var req api.CodeRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	ch, err := s.org.SendOwnCode(r.Context(), c.account.ID, req.Purpose, clientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, api.CodeResponse{Status: "sent", Challenge: ch})
	return nil
}

func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request, c *call) error {
	var req org.ChangePasswordRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	if err := s.org.ChangePassword(r.Context(), c.account.ID, req, clientAddr(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleSecondCheck(w http.ResponseWriter, r *http.Request, c *call) error {
	var req org.SecondCheckRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	a, err := s.org.SetSecondCheck(r.Context(), c.account.ID, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// secondCheck enforces 二次校验 before signing, 拒签 and 撤回 (the code travels in headers, so the
// bodies of those routes stay as they are).
func (s *Server) secondCheck(r *http.Request, c *call) error {
	code := strings.TrimSpace(r.Header.Get(HeaderConfirmCode))
	ch := strings.TrimSpace(r.Header.Get(HeaderConfirmChallenge))
	return s.org.SecondCheck(r.Context(), c.account.ID, ch, code)
}

func monthsParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("months")
	if v == "" {
		return 12, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, sync.Refuse(http.StatusBadRequest, "bad_months", fmt.Sprintf("月度报表的月数须在 1–%d 之间", envelope.MaxReportMonths))
	}
	return n, nil
}

func (s *Server) handleMyMonthly(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := monthsParam(r)
	if err != nil {
		return err
	}
	var out []envelope.MonthCount
	err = s.opts.Store.View(r.Context(), func(tx sync.Tx) (err error) {
		out, err = envelope.Monthly(tx, envelope.StatsOwner("", c.account.ID), n, s.opts.Now())
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleEntMonthly is the enterprise's 签发量月度报表 (any enabled member, like the home screen
// that shows it).
func (s *Server) handleEntMonthly(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := monthsParam(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	var out []envelope.MonthCount
	err = s.opts.Store.View(r.Context(), func(tx sync.Tx) (err error) {
		if _, err := s.org.Require(tx, id, c.account.ID, ""); err != nil {
			return err
		}
		out, err = envelope.Monthly(tx, envelope.StatsOwner(id, ""), n, s.opts.Now())
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleConsole(w http.ResponseWriter, r *http.Request, c *call) error {
	con, err := s.org.Console(r.Context(), c.account.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, con)
	return nil
}

func (s *Server) handleConsoleSettings(w http.ResponseWriter, r *http.Request, c *call) error {
	var req org.SettingsUpdate
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	st, err := s.org.UpdateSettings(r.Context(), c.account.ID, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) handleLogoPut(w http.ResponseWriter, r *http.Request, c *call) error {
	// read one byte past the limit so "too large" names the limit instead of failing to decode
	body, err := io.ReadAll(io.LimitReader(r.Body, 3*org.MaxLogoBytes))
	if err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_request", "读取上传的图片失败")
	}
	st, err := s.org.SetLogo(r.Context(), c.account.ID, r.PathValue("id"), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) handleLogoDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := s.org.DeleteLogo(r.Context(), c.account.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// handleLogo serves an enterprise's logo to its enabled members (the desktop's home screen and
// 企业设置). It is not public: a stranger cannot walk enterprise ids for logos. The browser
// signing page reaches its sender's logo through the link instead (GET /s/{token}/logo).
func (s *Server) handleLogo(w http.ResponseWriter, r *http.Request, c *call) error {
	eid := r.PathValue("id")
	if err := s.opts.Store.View(r.Context(), func(tx sync.Tx) error {
		_, err := s.org.Require(tx, eid, c.account.ID, "")
		return err
	}); err != nil {
		return err
	}
	b, err := s.org.Logo(r.Context(), eid)
	if errors.Is(err, sync.ErrNotFound) {
		return sync.Refuse(http.StatusNotFound, "no_logo", "该企业未设置 LOGO")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(b)
	return nil
}

// lowQuotaNotice tells the 企业通知邮箱 that the 对公 quota runs low, at most once a day per
// enterprise (the day's marker is kept in the store, so several servers send one notice).
func (s *Server) lowQuotaNotice(ctx context.Context, entID string) {
	now := s.opts.Now()
	var b billing.Balance
	if err := s.opts.Store.View(ctx, func(tx sync.Tx) (err error) {
		b, err = billing.GetBalance(tx, billing.Enterprise(entID), now)
		return err
	}); err != nil || b.Available >= LowQuotaThreshold {
		return
	}
	send := false
	err := s.opts.Store.Update(ctx, func(tx sync.Tx) error {
		key := entID + "/lowquota/" + now.Format("2006-01-02")
		err := tx.Insert(bucketEntNotices, key, []byte("1"))
		send = err == nil
		if errors.Is(err, sync.ErrExists) {
			return nil
		}
		return err
	})
	if err != nil || !send {
		return
	}
	body := fmt.Sprintf("企业剩余可发对公合同 %d 份，为避免合同无法发送，请及时充值。", b.Available)
	if _, err := s.org.NotifyEnterpriseEmail(ctx, entID, "合同余量不足", body); err != nil {
		s.log.Warn("low quota notice", "enterprise", entID, "err", err)
	}
}
