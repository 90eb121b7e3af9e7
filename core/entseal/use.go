package entseal

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/csvcell"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// --- applications -------------------------------------------------------------------------------

// Apply asks for a seal for a period (any enabled member).
func (s *Service) Apply(ctx context.Context, eid, sid, actor string, req api.SealApplyRequest) (api.SealApplication, error) {
	var out api.SealApplication
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		m, err := s.Directory.Require(tx, eid, actor, "")
		if err != nil {
			return err
		}
		reason, err := checkText(req.Reason, MaxReason, "reason")
		if err != nil {
			return err
		}
		r, err := s.getSeal(tx, eid, sid)
		if err != nil {
			return err
		}
		if r.Status != api.SealActive {
			return errDiscarded
		}
		now := s.now()
		if req.NotAfter.IsZero() {
			return refuse(http.StatusBadRequest, "bad_period", "请填写用印期限的结束时间")
		}
		nb, na, err := checkPeriod(req.NotBefore, req.NotAfter, now)
		if err != nil {
			return err
		}
		if na.Sub(nb) > MaxApplyPeriod {
			return refuse(http.StatusBadRequest, "bad_period", "单次申请的用印期限不能超过 366 天")
		}
		out = api.SealApplication{ID: newID("sapp_"), SealID: sid, SealName: r.Name, EnterpriseID: eid, ApplicantID: actor, ApplicantName: m.Name,
			Reason: reason, NotBefore: nb, NotAfter: na, Status: api.ApplicationPending, Created: now}
		if err := sync.InsertJSON(tx, BucketApps, eid+"/"+out.ID, out); err != nil {
			return err
		}
		if err := event(tx, s.Directory.Scope(eid), "seal.application", actor, out, now); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: actor, Action: "seal.apply", Target: eid + "/" + out.ID, Detail: sid})
	})
	if err == nil {
		s.notifyScopes(s.Directory.Scope(eid))
	}
	return out, err
}

// Applications lists applications: every one for approvers (seals.approve), the caller's own for
// other members. status "" lists all states.
func (s *Service) Applications(ctx context.Context, eid, actor, status string) ([]api.SealApplication, error) {
	out := []api.SealApplication{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out = out[:0]
		if _, err := s.Directory.Require(tx, eid, actor, ""); err != nil {
			return err
		}
		_, err := s.Directory.Require(tx, eid, actor, org.PermApproveSealUse)
		all := err == nil
		return tx.Scan(BucketApps, eid+"/", "", 0, func(_ string, v []byte) error {
			var a api.SealApplication
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			if (all || a.ApplicantID == actor) && (status == "" || a.Status == status) {
				out = append(out, a)
			}
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b api.SealApplication) int { return b.Created.Compare(a.Created) })
	return out, err
}

// Decide approves (a grant for the applied period follows) or rejects an application
// (seals.approve). The applicant hears of it in their own scope and through the notifier.
func (s *Service) Decide(ctx context.Context, eid, aid, actor string, approve bool, req api.SealDecisionRequest) (api.SealApplication, error) {
	comment := strings.TrimSpace(req.Comment)
	if comment != "" {
		var err error
		if comment, err = checkText(comment, MaxReason, "comment"); err != nil {
			return api.SealApplication{}, err
		}
	}
	var out api.SealApplication
	var login string
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		login = ""
		if _, err := s.Directory.Require(tx, eid, actor, org.PermApproveSealUse); err != nil {
			return err
		}
		if aid == "" || strings.Contains(aid, "/") {
			return errApp404
		}
		var a api.SealApplication
		if err := sync.GetJSON(tx, BucketApps, eid+"/"+aid, &a); errors.Is(err, sync.ErrNotFound) {
			return errApp404
		} else if err != nil {
			return err
		}
		if a.Status != api.ApplicationPending {
			return refuse(http.StatusConflict, "application_decided", "该申请已处理，不能重复审批")
		}
		now := s.now()
		a.DecidedBy, a.DecidedAt, a.Comment = actor, now, comment
		if approve {
			r, err := s.getSeal(tx, eid, a.SealID)
			if err != nil {
				return err
			}
			if r.Status != api.SealActive {
				return errDiscarded
			}
			m, err := s.Directory.Require(tx, eid, a.ApplicantID, "")
			if err != nil {
				return refuse(http.StatusConflict, "applicant_not_member", "申请人已不是本企业的在职成员")
			}
			nb := a.NotBefore
			if nb.Before(now) {
				nb = now
			}
			if !a.NotAfter.After(now) {
				return refuse(http.StatusConflict, "application_expired", "申请的用印期限已过，请驳回后让申请人重新申请")
			}
			g := api.SealGrant{ID: newID("grant_"), SealID: a.SealID, EnterpriseID: eid, MemberID: m.AccountID, GranteeName: m.Name,
				NotBefore: nb, NotAfter: a.NotAfter, Created: now, CreatedBy: actor, ApplicationID: a.ID}
			if _, err := s.putNewGrant(tx, r, g, actor, now); err != nil {
				return err
			}
			a.Status, a.GrantID = api.ApplicationApproved, g.ID
		} else {
			a.Status = api.ApplicationRejected
		}
		if err := sync.PutJSON(tx, BucketApps, eid+"/"+aid, a); err != nil {
			return err
		}
		out = a
		if err := event(tx, s.Directory.Scope(eid), "seal.application_decided", actor, a, now); err != nil {
			return err
		}
		if err := event(tx, org.Scope(a.ApplicantID), "seal.application_decided", actor, a, now); err != nil {
			return err
		}
		var acct org.Account
		if err := sync.GetJSON(tx, org.BucketAccounts, a.ApplicantID, &acct); err == nil {
			login = acct.Phone
			if login == "" {
				login = acct.Email
			}
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: actor, Action: "seal.application." + a.Status, Target: eid + "/" + aid})
	})
	if err != nil {
		return out, err
	}
	s.notifyScopes(s.Directory.Scope(eid), org.Scope(out.ApplicantID))
	if s.Notifier != nil && login != "" {
		body := fmt.Sprintf("您申请使用的印章“%s”已获批准，可用至 %s。", out.SealName, out.NotAfter.Local().Format("2006-01-02 15:04"))
		if !approve {
			body = fmt.Sprintf("您申请使用的印章“%s”未获批准。", out.SealName)
			if out.Comment != "" {
				body += "意见：" + out.Comment
			}
		}
		ch, _ := channelOf(login)
		// The decision stands whether or not the notice arrives; the sync event carries it too.
		_ = s.Notifier.Send(ctx, notify.Message{Channel: ch, To: login, Subject: "SealDesk 用印申请结果", Body: body, Time: s.now()})
	}
	return out, nil
}

func channelOf(login string) (notify.Channel, string) {
	if strings.Contains(login, "@") {
		return notify.Email, login
	}
	return notify.SMS, login
}

// --- one-time codes -----------------------------------------------------------------------------

func (s *Service) codeMAC(id, code string) string {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte("seal-code\x00" + id + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

func maskLogin(l string) string {
	if at := strings.IndexByte(l, '@'); at > 0 {
		return l[:1] + "***" + l[at:]
	}
	if len(l) >= 7 {
		return l[:3] + "****" + l[len(l)-4:]
	}
	return "***"
}

// SendCode sends a one-time signing code for seal to the caller, who must be able to use it now.
func (s *Service) SendCode(ctx context.Context, eid, sid, actor string) (api.SealCodeTicket, error) {
	return s.SendCodeFor(ctx, eid, sid, actor, api.SealCodeRequest{})
}

// SendCodeFor is SendCode for req: a code bound to req.ContractID that signs up to
// req.Signatures (≤ api.MaxCodeSignatures) digests of that contract within its lifetime.
func (s *Service) SendCodeFor(ctx context.Context, eid, sid, actor string, req api.SealCodeRequest) (api.SealCodeTicket, error) {
	uses := max(req.Signatures, 1)
	if req.Signatures < 0 || req.Signatures > api.MaxCodeSignatures {
		return api.SealCodeTicket{}, refuse(http.StatusBadRequest, "bad_request", fmt.Sprintf("一个用印验证码最多用于 %d 次签署", api.MaxCodeSignatures))
	}
	if len(req.ContractID) > 128 || !utf8Clean(req.ContractID) || strings.Contains(req.ContractID, "/") {
		return api.SealCodeTicket{}, refuse(http.StatusBadRequest, "bad_request", "合同编号不超过 128 个字符，且不能包含控制字符")
	}
	if uses > 1 && req.ContractID == "" {
		return api.SealCodeTicket{}, refuse(http.StatusBadRequest, "bad_request", "多次签署的用印验证码须指定合同")
	}
	if s.Notifier == nil {
		return api.SealCodeTicket{}, refuse(http.StatusServiceUnavailable, "notifier_unavailable", "服务器未配置验证码发送渠道")
	}
	l := s.limits()
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(l.CodeLength)), nil)
	n, err := rand.Int(rand.Reader, max)
	if err != nil {
		return api.SealCodeTicket{}, err
	}
	code := fmt.Sprintf("%0*d", l.CodeLength, n)
	id := newID("scode_")
	var login, sealName string
	var t api.SealCodeTicket
	var refusal error
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal = nil
		m, err := s.Directory.Require(tx, eid, actor, "")
		if err != nil {
			return err
		}
		r, err := s.getSeal(tx, eid, sid)
		if err != nil {
			return err
		}
		if r.Status != api.SealActive {
			return errDiscarded
		}
		now := s.now()
		if _, ok, err := usableGrant(tx, sid, m, now); err != nil {
			return err
		} else if !ok {
			return errNoGrant
		}
		if l.CodesPerHour > 0 {
			var c codeCounter
			if err := sync.GetJSON(tx, BucketCodeLimits, actor, &c); err != nil && !errors.Is(err, sync.ErrNotFound) {
				return err
			}
			if now.Sub(c.WindowStart) >= time.Hour {
				c = codeCounter{WindowStart: now}
			}
			if c.Count >= l.CodesPerHour {
				refusal = refuse(http.StatusTooManyRequests, "code_limit", fmt.Sprintf("一小时内最多获取 %d 个用印验证码，请稍后再试", l.CodesPerHour))
				return nil
			}
			c.Count++
			if err := sync.PutJSON(tx, BucketCodeLimits, actor, c); err != nil {
				return err
			}
		}
		var acct org.Account
		if err := sync.GetJSON(tx, org.BucketAccounts, actor, &acct); err != nil {
			return err
		}
		login = acct.Phone
		if login == "" {
			login = acct.Email
		}
		sealName = r.Name
		t = api.SealCodeTicket{CodeID: id, To: maskLogin(login), Expires: now.Add(l.CodeTTL), Signatures: uses}
		return sync.InsertJSON(tx, BucketCodes, id, storedCode{AccountID: actor, SealID: sid, MAC: s.codeMAC(id, code), Expires: t.Expires,
			Contract: req.ContractID, Left: uses})
	})
	if err != nil {
		return api.SealCodeTicket{}, err
	}
	if refusal != nil {
		return api.SealCodeTicket{}, refusal
	}
	ch, to := channelOf(login)
	msg := notify.Message{Channel: ch, To: to, Subject: "SealDesk 用印验证码", Time: s.now(),
		Body: fmt.Sprintf("您正在使用印章“%s”签署文件，用印验证码是 %s，%d 分钟内有效，仅可使用一次。如非本人操作，请立即联系企业管理员。", sealName, code, int(l.CodeTTL.Minutes()))}
	if uses > 1 {
		msg.Body = fmt.Sprintf("您正在使用印章“%s”签署合同，用印验证码是 %s，%d 分钟内有效，仅用于本合同的 %d 处盖章。如非本人操作，请立即联系企业管理员。", sealName, code, int(l.CodeTTL.Minutes()), uses)
	}
	if err := s.Notifier.Send(ctx, msg); err != nil {
		if errors.Is(err, notify.ErrNoTransport) {
			return api.SealCodeTicket{}, refuse(http.StatusServiceUnavailable, "notifier_unavailable", "服务器未配置该渠道（短信或邮件）的验证码发送")
		}
		return api.SealCodeTicket{}, fmt.Errorf("failed to send the signing code: %w", err)
	}
	return t, nil
}

// --- signing ------------------------------------------------------------------------------------

func signRequestHash(eid, sid string, r api.SealSignRequest) string {
	h := sha256.New()
	for _, f := range []string{eid, sid, string(r.Digest), r.CodeID, r.Code, r.ContractID, r.DocumentSHA256, r.Device} {
		fmt.Fprintf(h, "%d:%s\x00", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SignInput is one remote signing request with what the HTTP layer knows of the caller.
type SignInput struct {
	EnterpriseID, SealID, Actor string
	IdempotencyKey              string
	Address                     string
	Request                     api.SealSignRequest
	// ServerPrepared says the caller computed Request.Digest itself from a document the server
	// holds (Stamp, core/websign's signing page). Without it Sign refuses the digest and logs
	// the refusal: a digest from a client binds the approval and the code to nothing.
	ServerPrepared bool
}

// errUnbound refuses a digest the server did not compute (clients before the bound protocol).
var errUnbound = refuse(http.StatusUpgradeRequired, "unbound_digest",
	"客户端版本过旧：为防止印章被盖到未经核对的文件上，服务器不再签署客户端提交的摘要，只对服务器核对过的合同文件用印。请升级 SealDesk 后重试")

// refusedUse writes a usage log line for a use the server refused after the member and the seal
// were known (why: Chinese, shown in 用印记录).
func refusedUse(tx sync.Tx, in SignInput, r sealRecord, m Member, req api.SealSignRequest, why string, now time.Time) error {
	use := api.SealUse{ID: newID("use_"), Time: now, EnterpriseID: in.EnterpriseID, SealID: r.ID, SealName: r.Name, MemberID: m.AccountID,
		MemberName: m.Name, ContractID: req.ContractID, DocumentSHA256: req.DocumentSHA256, Device: req.Device, Address: in.Address, Refused: why}
	if len(req.Digest) > 0 {
		use.DigestSHA256 = hex.EncodeToString(req.Digest)
	}
	if err := sync.InsertJSON(tx, BucketUses, useKey(in.EnterpriseID, now, use.ID), use); err != nil {
		return err
	}
	return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: in.Actor, Action: "seal.use_refused", Target: in.EnterpriseID + "/" + r.ID,
		Detail: use.ID + " " + why, IP: in.Address})
}

// Sign signs a digest the server computed (in.ServerPrepared) with a seal after every check (see
// the package doc). replayed is true when the answer is a stored one (a retry).
func (s *Service) Sign(ctx context.Context, in SignInput) (resp api.SealSignResponse, replayed bool, err error) {
	req := in.Request
	req.DocumentSHA256 = strings.ToLower(req.DocumentSHA256)
	hash := signRequestHash(in.EnterpriseID, in.SealID, req)
	ansKey := in.Actor + "\x00" + in.IdempotencyKey
	l := s.limits()
	var refusal error
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal, replayed, resp = nil, false, api.SealSignResponse{}
		// Who asks comes first: a stranger learns nothing, not even what is wrong with the input.
		m, err := s.Directory.Require(tx, in.EnterpriseID, in.Actor, "")
		if err != nil {
			return err
		}
		if sync.CheckIdempotencyKey(in.IdempotencyKey) != nil {
			return refuse(http.StatusBadRequest, "bad_idempotency_key", "缺少或无效的 Idempotency-Key（须为 1–128 个可打印 ASCII 字符）")
		}
		if len(req.Digest) != sha256.Size {
			return refuse(http.StatusBadRequest, "bad_digest", fmt.Sprintf("摘要须为 SHA-256（32 字节），收到 %d 字节", len(req.Digest)))
		}
		if d, err := hex.DecodeString(req.DocumentSHA256); err != nil || len(d) != sha256.Size {
			return refuse(http.StatusBadRequest, "bad_document_hash", "文件摘要须为 64 位十六进制的 SHA-256")
		}
		if len(req.ContractID) > 128 || len(req.Device) > 128 || len(req.CodeID) > 64 || len(req.Code) > 16 {
			return refuse(http.StatusBadRequest, "bad_request", "合同编号、设备名不超过 128 个字符")
		}
		if !utf8Clean(req.ContractID) || !utf8Clean(req.Device) || strings.Contains(req.ContractID, "/") {
			return refuse(http.StatusBadRequest, "bad_request", "合同编号和设备名不能包含控制字符")
		}
		var prev storedAnswer
		if err := sync.GetJSON(tx, BucketSignAnswers, ansKey, &prev); err == nil {
			if prev.RequestHash != hash {
				return refuse(http.StatusUnprocessableEntity, "idempotency_key_reused", "该 Idempotency-Key 已用于另一次用印")
			}
			resp, replayed = prev.Response, true
			return nil
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		r, err := s.getSeal(tx, in.EnterpriseID, in.SealID)
		if err != nil {
			return err
		}
		if r.Status != api.SealActive {
			return errDiscarded
		}
		now := s.now()
		if !in.ServerPrepared {
			// A digest from the client: whatever the code and the approval say, it may be of
			// any document. Refused, and the attempt is in the usage log.
			refusal = errUnbound
			return refusedUse(tx, in, r, m, req, "拒绝：客户端提交的摘要未经服务器核对（旧版客户端或伪造的请求），未用印", now)
		}
		if _, ok, err := usableGrant(tx, r.ID, m, now); err != nil {
			return err
		} else if !ok {
			return errNoGrant
		}
		if s.UseGate != nil {
			if err := s.UseGate(tx, in.EnterpriseID, r.ID, in.Actor, req.ContractID); err != nil {
				return err
			}
		}
		// The code: the caller's, for this seal, fresh, unspent. A wrong guess is counted (and
		// committed) before the refusal.
		var c storedCode
		if req.CodeID == "" || strings.Contains(req.CodeID, "/") {
			return errCode
		}
		if err := sync.GetJSON(tx, BucketCodes, req.CodeID, &c); errors.Is(err, sync.ErrNotFound) {
			return errCode
		} else if err != nil {
			return err
		}
		if c.AccountID != in.Actor || c.SealID != r.ID || (c.Contract != "" && c.Contract != req.ContractID) {
			return errCode
		}
		if now.After(c.Expires) || c.Attempts >= l.CodeAttempts {
			refusal = errCode
			return tx.Delete(BucketCodes, req.CodeID)
		}
		if !hmac.Equal([]byte(c.MAC), []byte(s.codeMAC(req.CodeID, strings.TrimSpace(req.Code)))) {
			c.Attempts++
			refusal = errCode
			return sync.PutJSON(tx, BucketCodes, req.CodeID, c)
		}
		if c.Left > 1 {
			c.Left--
			if err := sync.PutJSON(tx, BucketCodes, req.CodeID, c); err != nil {
				return err
			}
		} else if err := tx.Delete(BucketCodes, req.CodeID); err != nil {
			return err
		}
		signer, err := s.Vault.Signer(r.ID, r.KeyHandle)
		if err != nil {
			return fmt.Errorf("failed to open the key of seal %s: %w", r.ID, err)
		}
		sig, err := signer.Sign(rand.Reader, req.Digest, cryptoSHA256)
		if err != nil {
			return fmt.Errorf("failed to sign with seal %s: %w", r.ID, err)
		}
		use := api.SealUse{ID: newID("use_"), Time: now, EnterpriseID: in.EnterpriseID, SealID: r.ID, SealName: r.Name, MemberID: m.AccountID,
			MemberName: m.Name, ContractID: req.ContractID, DocumentSHA256: req.DocumentSHA256, DigestSHA256: hex.EncodeToString(req.Digest),
			Device: req.Device, Address: in.Address}
		if err := sync.InsertJSON(tx, BucketUses, useKey(in.EnterpriseID, now, use.ID), use); err != nil {
			return err
		}
		if req.ContractID != "" {
			// The contract flow asks later whether this person used this seal on this contract.
			if err := tx.Put(BucketUsesByContract, req.ContractID+"/"+in.Actor+"/"+r.Serial, []byte(use.ID)); err != nil {
				return err
			}
		}
		resp = api.SealSignResponse{Signature: sig, UseID: use.ID}
		if err := sync.InsertJSON(tx, BucketSignAnswers, ansKey, storedAnswer{RequestHash: hash, Response: resp}); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: in.Actor, Action: "seal.use", Target: in.EnterpriseID + "/" + r.ID,
			Detail: use.ID + " " + req.DocumentSHA256, IP: in.Address})
	})
	if err == nil && refusal != nil {
		err = refusal
	}
	return resp, replayed, err
}

func utf8Clean(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

const useTimeLayout = "20060102T150405.000000000Z"

func useKey(eid string, t time.Time, id string) string {
	return eid + "/" + t.UTC().Format(useTimeLayout) + "-" + id
}

// UseFilter selects lines of the usage log. Zero fields select everything; From is inclusive,
// To exclusive.
type UseFilter struct {
	SealID, MemberID string
	From, To         time.Time
	After            string // continue after this key (SealUseList.After)
	Limit            int    // default and maximum MaxUsePage (MaxExport for Export)
}

// Uses reads the usage log in time order (seals.manage).
func (s *Service) Uses(ctx context.Context, eid, actor string, f UseFilter) (api.SealUseList, error) {
	if f.Limit <= 0 || f.Limit > MaxUsePage {
		f.Limit = MaxUsePage
	}
	return s.uses(ctx, eid, actor, f)
}

func (s *Service) uses(ctx context.Context, eid, actor string, f UseFilter) (api.SealUseList, error) {
	out := api.SealUseList{Uses: []api.SealUse{}}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out = api.SealUseList{Uses: []api.SealUse{}}
		if _, err := s.Directory.Require(tx, eid, actor, org.PermManageSeals); err != nil {
			return err
		}
		prefix := eid + "/"
		after := f.After
		if !strings.HasPrefix(after, prefix) {
			after = ""
		}
		if !f.From.IsZero() {
			// Keys sort by time: start just before From's first key.
			if from := prefix + f.From.UTC().Format(useTimeLayout); after < from {
				after = from[:len(from)-1]
			}
		}
		var to string
		if !f.To.IsZero() {
			to = prefix + f.To.UTC().Format(useTimeLayout)
		}
		return tx.Scan(BucketUses, prefix, after, 0, func(k string, v []byte) error {
			if to != "" && k >= to {
				return sync.ErrStopScan
			}
			var u api.SealUse
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			if (f.SealID != "" && u.SealID != f.SealID) || (f.MemberID != "" && u.MemberID != f.MemberID) || (!f.From.IsZero() && u.Time.Before(f.From)) {
				return nil
			}
			if len(out.Uses) >= f.Limit {
				return sync.ErrStopScan
			}
			out.Uses = append(out.Uses, u)
			out.After = k
			return nil
		})
	})
	if len(out.Uses) < f.Limit {
		out.After = ""
	}
	return out, err
}

// ExportCSV writes the selected usage log as CSV (UTF-8 with a BOM, so spreadsheet programs on
// Chinese Windows read it), at most MaxExport lines (seals.manage).
func (s *Service) ExportCSV(ctx context.Context, w io.Writer, eid, actor string, f UseFilter) error {
	f.Limit, f.After = MaxExport, ""
	list, err := s.uses(ctx, eid, actor, f)
	if err != nil {
		return err
	}
	return WriteCSV(w, list.Uses)
}

// WriteCSV writes uses as CSV with a header line.
func WriteCSV(w io.Writer, uses []api.SealUse) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"时间", "印章", "印章ID", "使用人", "使用人ID", "合同编号", "文件SHA-256", "签名摘要", "设备", "地址", "记录ID", "结果"})
	for _, u := range uses {
		cw.Write([]string{u.Time.UTC().Format(time.RFC3339), csvcell.Safe(u.SealName), u.SealID, csvcell.Safe(u.MemberName), u.MemberID,
			csvcell.Safe(u.ContractID), u.DocumentSHA256, u.DigestSHA256, csvcell.Safe(u.Device), u.Address, u.ID, useResult(u)})
	}
	cw.Flush()
	return cw.Error()
}

// useResult is the 结果 column of a usage log line.
func useResult(u api.SealUse) string {
	if u.Refused != "" {
		return csvcell.Safe(u.Refused)
	}
	return "已用印"
}

var cryptoSHA256 = crypto.SHA256

// UsedOnContract reports whether accountID signed with the seal whose certificate has serial
// (lower-case hex) on the contract, through Sign, and returns the seal: the contract flow then
// accepts that seal's signature as the account's (a company recipient signing with its seal).
func UsedOnContract(tx sync.Tx, contractID, accountID, serial string) (api.Seal, bool, error) {
	if contractID == "" || accountID == "" || serial == "" || strings.Contains(contractID+accountID, "/") {
		return api.Seal{}, false, nil
	}
	id, err := tx.Get(BucketUsesByContract, contractID+"/"+accountID+"/"+strings.ToLower(serial))
	if errors.Is(err, sync.ErrNotFound) {
		return api.Seal{}, false, nil
	}
	if err != nil {
		return api.Seal{}, false, err
	}
	_ = id
	key, err := tx.Get(BucketSealSerials, strings.ToLower(serial))
	if errors.Is(err, sync.ErrNotFound) {
		return api.Seal{}, false, nil
	}
	if err != nil {
		return api.Seal{}, false, err
	}
	var r sealRecord
	if err := sync.GetJSON(tx, BucketSeals, string(key), &r); err != nil {
		return api.Seal{}, false, err
	}
	return r.Seal, true, nil
}
