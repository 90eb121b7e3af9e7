package org

// The main-admin change of manual 000 (上上签企业管理员更换流程), every path of it:
//
//   - I. 原管理员能接收验证码: the 主管理员 asks for a one-time code (sent to the admin's own phone or
//     e-mail), then picks an enabled member and what to hand over to them (确认新管理员、确认转交内容)
//     — StartTransfer, ConfirmTransfer.
//   - II. 原管理员不能接收验证码: the new person names the company and proves authority by a
//     legal-representative check, a corporate micro-deposit or a stamped authorization letter that
//     a server reviewer approves; then they are 主管理员 — StartAppeal, ConfirmDeposit,
//     UploadAppealLetter, DecideAppeal.
//   - III. the same appeal started from a contract waiting for the person's signature (the
//     appeal carries the contract id; signing continues after approval).
//   - Afterwards 一键转交: the old admin's contracts, templates, seals and archive move to a chosen
//     member through the functions other areas register (RegisterHandover), and the old member
//     is disabled or deleted — HandOver.
//
// Every change is an enterprise event (enterprise.admin_changed carries the credit code and the
// new 主管理员's signing certificate, so integrators need no e-mailed screenshots) and a line of
// the enterprise's audit log, in the transaction of the change.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"sealdesk/core/ids"
	"sealdesk/core/notify"
	"sealdesk/core/sync"
)

// Buckets of the main-admin change.
const (
	BucketAdminCodes    = "admin_transfer_codes" // entID → transferCode
	BucketAppeals       = "appeals"              // appealID → Appeal
	BucketAppealsBy     = "appeals_by_account"   // accountID/appealID → ""
	BucketAppealReviews = "appeal_reviews"       // created/appealID → "" (letters waiting for a reviewer)
	BucketAppealLetters = "appeal_letters"       // appealID → cleaned image
)

// Appeal methods (申诉方式).
const (
	AppealLegalRep = "legal_rep" // 法定代表人手机号认证
	AppealDeposit  = "deposit"   // 企业打款认证
	AppealLetter   = "letter"    // 授权书认证 (reviewed)
)

// Appeal states.
const (
	AppealProving  = "proving"   // waiting for the deposit amount or the letter
	AppealInReview = "in_review" // letter uploaded, in the server's review queue
	AppealApproved = "approved"  // the applicant is 主管理员
	AppealRejected = "rejected"  // a reviewer said no (Reason), or the deposit tries ran out
)

// Limits of the main-admin change.
const (
	TransferCodeTTL      = 10 * time.Minute
	TransferCodeInterval = time.Minute
	TransferCodeAttempts = 5
	DepositTries         = 3
)

// AdminChanged is the payload of the enterprise.admin_changed event — and the data of the
// integrator webhook of the same name.
type AdminChanged struct {
	EnterpriseID   string      `json:"enterprise_id"`
	EnterpriseName string      `json:"enterprise_name"`
	CreditCode     string      `json:"credit_code"`
	Method         string      `json:"method"` // "transfer" or "appeal:<method>"
	OldAdmin       AdminPerson `json:"old_admin"`
	NewAdmin       AdminPerson `json:"new_admin"`
	// CertificatePEM is the new 主管理员's current signing certificate ("" if none is issued yet).
	CertificatePEM string    `json:"certificate_pem"`
	AppealID       string    `json:"appeal_id,omitempty"`
	ContractID     string    `json:"contract_id,omitempty"`
	Time           time.Time `json:"time"`
}

// AdminPerson names an account in AdminChanged.
type AdminPerson struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
}

// Appeal is a request to become 主管理员 of an enterprise whose admin cannot be reached.
type Appeal struct {
	ID             string `json:"id"`
	EnterpriseID   string `json:"enterprise_id"`
	EnterpriseName string `json:"enterprise_name"`
	CreditCode     string `json:"credit_code"`
	Applicant      string `json:"applicant"` // account id
	ApplicantName  string `json:"applicant_name"`
	Method         string `json:"method"`
	ContractID     string `json:"contract_id,omitempty"`
	State          string `json:"state"`
	Reason         string `json:"reason,omitempty"`
	// Legal representative (legal_rep) or handler (letter): name and masked ID number.
	PersonName     string    `json:"person_name,omitempty"`
	PersonIDMasked string    `json:"person_id_masked,omitempty"`
	TriesLeft      int       `json:"tries_left,omitempty"` // deposit
	HasLetter      bool      `json:"has_letter,omitempty"`
	Created        time.Time `json:"created"`
	Decided        time.Time `json:"decided,omitzero"`
	Reviewer       string    `json:"reviewer,omitempty"`
	// depositMAC is the keyed hash of the amount sent (kept in the stored record only).
	DepositMAC string `json:"deposit_mac,omitempty"`
}

func (a Appeal) public() Appeal {
	a.DepositMAC = ""
	return a
}

// AppealRequest starts an appeal.
type AppealRequest struct {
	// Enterprise is the company's full name or its unified social credit code.
	Enterprise string `json:"enterprise"`
	Method     string `json:"method"`
	// ContractID: the appeal is started from this contract, which waits for the applicant's
	// signature on the company's behalf (path III of manual 000).
	ContractID string `json:"contract_id,omitempty"`
	// PersonName and PersonIDNumber are the legal representative's (legal_rep) or the
	// handler's (letter) name and resident ID number.
	PersonName     string `json:"person_name,omitempty"`
	PersonIDNumber string `json:"person_id_number,omitempty"`
	PersonPhone    string `json:"person_phone,omitempty"`
}

// LegalRepChecker checks that a person is the registered legal representative of a company
// (a deployment plugs in a business-registry provider; DevLegalRep only under --dev).
type LegalRepChecker interface {
	CheckLegalRep(ctx context.Context, creditCode, name, idNumber string) (bool, error)
}

// DepositPayer sends a corporate micro-deposit of amountFen (1–99 fen) to the company's account
// of record (a payment provider; DevDeposit only under --dev, which pays nothing and only
// records the amount).
type DepositPayer interface {
	SendDeposit(ctx context.Context, creditCode string, amountFen int) error
}

// DevLegalRep accepts any well-formed resident ID number (for --dev only).
type DevLegalRep struct{}

// CheckLegalRep implements LegalRepChecker.
func (DevLegalRep) CheckLegalRep(context.Context, string, string, string) (bool, error) {
	return true, nil
}

// DevDeposit records the last amount per credit code so tests and dev users can read it back
// (for --dev only).
type DevDeposit struct {
	Sent func(creditCode string, amountFen int)
}

// SendDeposit implements DepositPayer.
func (d DevDeposit) SendDeposit(_ context.Context, creditCode string, amountFen int) error {
	if d.Sent != nil {
		d.Sent(creditCode, amountFen)
	}
	return nil
}

// HandoverFunc moves what from owns in an enterprise to to, inside tx, and returns how many
// items it moved. It must not fail for an owner with nothing to move.
type HandoverFunc func(tx sync.Tx, entID, from, to string, now time.Time) (int, error)

// HandoverKind is one kind of item 一键转交 can move (合同, 模板, 印章, 档案柜).
type HandoverKind struct {
	Kind  string       `json:"kind"`
	Label string       `json:"label"`
	Fn    HandoverFunc `json:"-"`
}

// AdminChanges implements the main-admin change and 一键转交 over a Service.
type AdminChanges struct {
	Org *Service
	// CertificatePEM returns an account's current signing certificate as PEM ("" if none) for
	// enterprise.admin_changed; nil: none is sent.
	CertificatePEM func(tx sync.Tx, accountID string) (string, error)
	// Contract checks that contractID waits for accountID's signature on behalf of the company
	// named companyName (path III); nil: the contract id is recorded unchecked.
	Contract func(tx sync.Tx, contractID, accountID, companyName string) error
	LegalRep LegalRepChecker // nil: the method is refused as not offered
	Deposit  DepositPayer    // nil: the method is refused as not offered
	kinds    []HandoverKind
}

// RegisterHandover adds a kind of item to 一键转交 (call at start-up; a kind may not repeat).
func (a *AdminChanges) RegisterHandover(kind, label string, fn HandoverFunc) {
	if slices.ContainsFunc(a.kinds, func(k HandoverKind) bool { return k.Kind == kind }) {
		panic("org: handover kind registered twice: " + kind)
	}
	a.kinds = append(a.kinds, HandoverKind{Kind: kind, Label: label, Fn: fn})
}

// HandoverKinds lists the registered kinds in registration order.
func (a *AdminChanges) HandoverKinds() []HandoverKind {
	return append([]HandoverKind{}, a.kinds...)
}

var (
	errOwnerOnly     = refuse(http.StatusForbidden, "owner_only", "只有企业主管理员可以变更主管理员")
	errNoTransfer    = refuse(http.StatusBadRequest, "code_required", "请先获取验证码")
	errCodeWrong     = refuse(http.StatusBadRequest, "bad_code", "验证码错误")
	errCodeUsed      = refuse(http.StatusBadRequest, "code_used", "该验证码已使用，请重新获取")
	errCodeExpired   = refuse(http.StatusBadRequest, "code_expired", "验证码已过期，请重新获取")
	errCodeBurnt     = refuse(http.StatusBadRequest, "code_burnt", "验证码错误次数过多，请重新获取")
	errTargetSelf    = refuse(http.StatusBadRequest, "transfer_to_self", "新主管理员不能是您自己")
	errTargetMissing = refuse(http.StatusNotFound, "member_not_found", "新主管理员须是本企业的成员，请先添加该成员")
	errTargetOff     = refuse(http.StatusConflict, "member_disabled", "不能转交给已停用的成员，请先启用该成员")
	errNoAppeal      = refuse(http.StatusNotFound, "appeal_not_found", "申诉不存在")
)

type transferCode struct {
	MAC      string    `json:"mac"`
	Owner    string    `json:"owner"`
	Sent     time.Time `json:"sent"`
	Expires  time.Time `json:"expires"`
	Attempts int       `json:"attempts"`
	Used     bool      `json:"used,omitempty"`
}

// TransferChallenge says where the code went.
type TransferChallenge struct {
	SentTo  string    `json:"sent_to"` // masked phone or e-mail
	Expires time.Time `json:"expires"`
}

func (a *AdminChanges) codeMAC(entID, code string) string {
	return a.Org.codeMAC("admin-transfer\x00"+entID, code)
}

// StartTransfer sends a one-time code to the 主管理员 (actor) — path I, step 2.
func (a *AdminChanges) StartTransfer(ctx context.Context, actor, entID string) (TransferChallenge, error) {
	s := a.Org
	code, err := randomDigits(6)
	if err != nil {
		return TransferChallenge{}, err
	}
	var acct Account
	var ch TransferChallenge
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		now := s.now()
		m, err := s.Require(tx, entID, actor, "")
		if err != nil {
			return err
		}
		if m.Role != RoleOwner {
			return errOwnerOnly
		}
		if err := sync.GetJSON(tx, BucketAccounts, actor, &acct); err != nil {
			return err
		}
		var old transferCode
		if err := sync.GetJSON(tx, BucketAdminCodes, entID, &old); err == nil && !old.Used && now.Sub(old.Sent) < TransferCodeInterval {
			return refuse(http.StatusTooManyRequests, "code_too_soon", fmt.Sprintf("验证码已发送，请 %d 秒后再试", int((TransferCodeInterval-now.Sub(old.Sent)).Seconds())+1))
		}
		ch = TransferChallenge{SentTo: maskLogin(acct), Expires: now.Add(TransferCodeTTL)}
		return sync.PutJSON(tx, BucketAdminCodes, entID, transferCode{MAC: a.codeMAC(entID, code), Owner: actor, Sent: now, Expires: ch.Expires})
	})
	if err != nil {
		return TransferChallenge{}, err
	}
	msg := notify.Message{Time: s.now(), Subject: "SealDesk 主管理员变更验证码",
		Body: fmt.Sprintf("您正在变更企业主管理员，验证码是 %s，%d 分钟内有效。如非本人操作，请立即修改密码。", code, int(TransferCodeTTL.Minutes()))}
	if acct.Phone != "" {
		msg.Channel, msg.To = notify.SMS, acct.Phone
	} else {
		msg.Channel, msg.To = notify.Email, acct.Email
	}
	if s.Notifier == nil {
		return TransferChallenge{}, refuse(503, "notifier_unavailable", "服务器未配置验证码发送")
	}
	if err := s.Notifier.Send(ctx, msg); err != nil {
		if errors.Is(err, notify.ErrNoTransport) {
			return TransferChallenge{}, refuse(503, "notifier_unavailable", "服务器未配置该渠道（短信或邮件）的验证码发送")
		}
		return TransferChallenge{}, fmt.Errorf("failed to send the transfer code: %w", err)
	}
	return ch, nil
}

func maskLogin(a Account) string {
	if a.Phone != "" {
		return maskPhone(a.Phone)
	}
	at := strings.IndexByte(a.Email, '@')
	if at <= 1 {
		return "***" + a.Email[max(at, 0):]
	}
	return a.Email[:1] + "***" + a.Email[at:]
}

// TransferRequest confirms a transfer (path I, step 3): the code, the new 主管理员, and what of the
// old admin's to hand over to them at once (kinds of RegisterHandover; empty: nothing).
type TransferRequest struct {
	Code     string   `json:"code"`
	To       string   `json:"to"` // account id of an enabled member
	Handover []string `json:"handover,omitempty"`
}

// AdminChangeResult is what a transfer, an approved appeal or a hand-over did.
type AdminChangeResult struct {
	Enterprise Enterprise     `json:"enterprise"`
	Moved      map[string]int `json:"moved,omitempty"` // kind → items handed over
}

// ConfirmTransfer checks the code and makes req.To the 主管理员; the old one becomes 子管理员.
func (a *AdminChanges) ConfirmTransfer(ctx context.Context, actor, entID string, req TransferRequest) (AdminChangeResult, error) {
	s := a.Org
	if err := a.checkKinds(req.Handover); err != nil {
		return AdminChangeResult{}, err
	}
	var res AdminChangeResult
	var refusal error
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal, res = nil, AdminChangeResult{}
		now := s.now()
		m, err := s.Require(tx, entID, actor, "")
		if err != nil {
			return err
		}
		if m.Role != RoleOwner {
			return errOwnerOnly
		}
		var tc transferCode
		switch err := sync.GetJSON(tx, BucketAdminCodes, entID, &tc); {
		case errors.Is(err, sync.ErrNotFound):
			return errNoTransfer
		case err != nil:
			return err
		}
		switch {
		case tc.Owner != actor:
			return errNoTransfer
		case tc.Used:
			return errCodeUsed
		case now.After(tc.Expires):
			return errCodeExpired
		case tc.Attempts >= TransferCodeAttempts:
			return errCodeBurnt
		}
		if !hmac.Equal([]byte(tc.MAC), []byte(a.codeMAC(entID, strings.TrimSpace(req.Code)))) {
			// A wrong guess is counted (and committed) even though the transfer is refused.
			tc.Attempts++
			refusal = errCodeWrong
			if tc.Attempts >= TransferCodeAttempts {
				refusal = errCodeBurnt
			}
			return sync.PutJSON(tx, BucketAdminCodes, entID, tc)
		}
		to, err := a.enabledTarget(tx, entID, actor, req.To)
		if err != nil {
			return err
		}
		tc.Used = true
		if err := sync.PutJSON(tx, BucketAdminCodes, entID, tc); err != nil {
			return err
		}
		e, err := a.changeAdmin(tx, entID, actor, to.AccountID, RoleAdmin, "transfer", "", "", now)
		if err != nil {
			return err
		}
		res.Enterprise = e
		res.Moved, err = a.handOver(tx, entID, actor, actor, to.AccountID, req.Handover, now)
		return err
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return AdminChangeResult{}, err
	}
	s.notifyEnterprise(entID)
	s.notify(actor)
	s.notify(req.To)
	return res, nil
}

func (a *AdminChanges) enabledTarget(tx sync.Tx, entID, from, to string) (Member, error) {
	if to == "" {
		return Member{}, refuse(http.StatusBadRequest, "member_required", "请选择新的成员")
	}
	if to == from {
		return Member{}, errTargetSelf
	}
	m, err := GetMember(tx, entID, to)
	if errors.Is(err, sync.ErrNotFound) {
		return Member{}, errTargetMissing
	}
	if err != nil {
		return Member{}, err
	}
	if m.Disabled {
		return Member{}, errTargetOff
	}
	return m, nil
}

// changeAdmin makes newOwner the 主管理员 of entID inside tx (adding them as a member if they are
// not one) and gives the old one oldRole; it records enterprise.admin_changed.
func (a *AdminChanges) changeAdmin(tx sync.Tx, entID, actor, newOwner, oldRole, method, appealID, contractID string, now time.Time) (Enterprise, error) {
	s := a.Org
	e, err := GetEnterprise(tx, entID)
	if err != nil {
		return Enterprise{}, err
	}
	oldOwner := e.Owner
	if oldOwner == newOwner {
		return Enterprise{}, refuse(http.StatusConflict, "already_owner", "该成员已经是主管理员")
	}
	var newAcct Account
	if err := sync.GetJSON(tx, BucketAccounts, newOwner, &newAcct); err != nil {
		return Enterprise{}, err
	}
	oldName := ""
	if om, err := GetMember(tx, entID, oldOwner); err == nil {
		oldName = om.Name
		om.Role = oldRole
		if err := putMember(tx, om, false); err != nil {
			return Enterprise{}, err
		}
		if err := s.record(tx, entID, actor, "member.updated", eventMember(om), now, oldOwner); err != nil {
			return Enterprise{}, err
		}
	} else if !errors.Is(err, sync.ErrNotFound) {
		return Enterprise{}, err
	}
	nm, err := GetMember(tx, entID, newOwner)
	switch {
	case errors.Is(err, sync.ErrNotFound):
		nm = Member{EnterpriseID: entID, AccountID: newOwner, Name: memberName(newAcct), Phone: newAcct.Phone, Role: RoleOwner, Joined: now}
		if err := putMember(tx, nm, true); err != nil {
			return Enterprise{}, err
		}
		if err := s.record(tx, entID, actor, "member.joined", eventMember(nm), now, newOwner); err != nil {
			return Enterprise{}, err
		}
	case err != nil:
		return Enterprise{}, err
	default:
		nm.Role, nm.Disabled = RoleOwner, false
		if err := putMember(tx, nm, false); err != nil {
			return Enterprise{}, err
		}
		if err := s.record(tx, entID, actor, "member.updated", eventMember(nm), now, newOwner); err != nil {
			return Enterprise{}, err
		}
	}
	e.Owner = newOwner
	if err := PutEnterprise(tx, e); err != nil {
		return Enterprise{}, err
	}
	payload := AdminChanged{EnterpriseID: entID, EnterpriseName: e.Name, CreditCode: e.CreditCode, Method: method,
		OldAdmin: AdminPerson{AccountID: oldOwner, Name: oldName}, NewAdmin: AdminPerson{AccountID: newOwner, Name: nm.Name},
		AppealID: appealID, ContractID: contractID, Time: now}
	if a.CertificatePEM != nil {
		if payload.CertificatePEM, err = a.CertificatePEM(tx, newOwner); err != nil {
			return Enterprise{}, err
		}
	}
	return e, s.record(tx, entID, actor, "enterprise.admin_changed", payload, now, oldOwner+" → "+newOwner)
}

// eventMember is a member as events show it (the phone masked).
func eventMember(m Member) Member {
	m.Phone = maskPhone(m.Phone)
	return m
}

// --- 一键转交 -----------------------------------------------------------------------------------

func (a *AdminChanges) checkKinds(kinds []string) error {
	for _, k := range kinds {
		if !slices.ContainsFunc(a.kinds, func(h HandoverKind) bool { return h.Kind == k }) {
			return refuse(http.StatusBadRequest, "bad_handover_kind", "未知的转交内容："+k)
		}
	}
	return nil
}

// handOver runs the registered functions of kinds inside tx and records member.handed_over.
func (a *AdminChanges) handOver(tx sync.Tx, entID, actor, from, to string, kinds []string, now time.Time) (map[string]int, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	moved := map[string]int{}
	for _, h := range a.kinds {
		if !slices.Contains(kinds, h.Kind) {
			continue
		}
		n, err := h.Fn(tx, entID, from, to, now)
		if err != nil {
			return nil, fmt.Errorf("failed to hand over %s: %w", h.Kind, err)
		}
		moved[h.Kind] = n
	}
	detail, _ := json.Marshal(moved)
	return moved, a.Org.record(tx, entID, actor, "member.handed_over",
		map[string]any{"from": from, "to": to, "moved": moved}, now, from+" → "+to+" "+string(detail))
}

// HandoverRequest is 一键转交 (并停用/删除): the kinds to move, the member to receive them, and what
// then happens to the old member ("", "disable" or "delete").
type HandoverRequest struct {
	Kinds []string `json:"kinds"`
	To    string   `json:"to"`
	Then  string   `json:"then,omitempty"`
}

// HandOver moves the items of member from to req.To (主管理员 and 子管理员 only; the old member
// may not be the 主管理员 — transfer that first), then disables or deletes from.
func (a *AdminChanges) HandOver(ctx context.Context, actor, entID, from string, req HandoverRequest) (AdminChangeResult, error) {
	s := a.Org
	if err := a.checkKinds(req.Kinds); err != nil {
		return AdminChangeResult{}, err
	}
	if req.Then != "" && req.Then != "disable" && req.Then != "delete" {
		return AdminChangeResult{}, refuse(http.StatusBadRequest, "bad_then", "转交后只能停用或删除原成员")
	}
	if len(req.Kinds) == 0 && req.Then == "" {
		return AdminChangeResult{}, refuse(http.StatusBadRequest, "nothing_to_do", "请选择转交内容")
	}
	var res AdminChangeResult
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		res = AdminChangeResult{}
		now := s.now()
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		old, err := GetMember(tx, entID, from)
		if errors.Is(err, sync.ErrNotFound) {
			return refuse(http.StatusNotFound, "member_not_found", "该成员不在本企业")
		} else if err != nil {
			return err
		}
		if old.Role == RoleOwner {
			return refuse(http.StatusConflict, "owner", "不能转交主管理员的全部业务；请先变更主管理员")
		}
		if from == actor && req.Then != "" {
			return refuse(http.StatusConflict, "self", "不能停用或删除您自己")
		}
		if _, err := a.enabledTarget(tx, entID, from, req.To); err != nil {
			return err
		}
		if res.Moved, err = a.handOver(tx, entID, actor, from, req.To, req.Kinds, now); err != nil {
			return err
		}
		switch req.Then {
		case "disable":
			if !old.Disabled {
				old.Disabled = true
				if err := putMember(tx, old, false); err != nil {
					return err
				}
				if err := s.record(tx, entID, actor, "member.disabled", eventMember(old), now, from); err != nil {
					return err
				}
			}
		case "delete":
			if err := deleteMember(tx, old); err != nil {
				return err
			}
			if err := s.record(tx, entID, actor, "member.removed", eventMember(old), now, from); err != nil {
				return err
			}
		}
		res.Enterprise, err = GetEnterprise(tx, entID)
		return err
	})
	if err != nil {
		return AdminChangeResult{}, err
	}
	s.notifyEnterprise(entID)
	s.notify(from)
	return res, nil
}

// --- appeals (paths II and III) -------------------------------------------------------------------

// findEnterprise finds an enterprise by credit code or exact name.
func findEnterprise(tx sync.Tx, nameOrCode string) (Enterprise, error) {
	q := strings.TrimSpace(nameOrCode)
	notFound := refuse(http.StatusNotFound, "enterprise_not_found", "未找到该企业，请输入完整的企业名称或统一社会信用代码")
	if q == "" {
		return Enterprise{}, notFound
	}
	if id, err := tx.Get(BucketEnterpriseCodes, strings.ToUpper(q)); err == nil {
		return GetEnterprise(tx, string(id))
	}
	var found Enterprise
	err := tx.Scan(BucketEnterprises, "", "", 0, func(_ string, v []byte) error {
		var e Enterprise
		if json.Unmarshal(v, &e) == nil && e.Name == q {
			found = e
			return sync.ErrStopScan
		}
		return nil
	})
	if err != nil {
		return Enterprise{}, err
	}
	if found.ID == "" {
		return Enterprise{}, notFound
	}
	return found, nil
}

// StartAppeal starts an appeal of actor to become 主管理员 (path II; path III with ContractID).
// A legal-representative check decides at once; a deposit waits for ConfirmDeposit; a letter
// waits for UploadAppealLetter and a reviewer.
func (a *AdminChanges) StartAppeal(ctx context.Context, actor string, req AppealRequest) (Appeal, error) {
	s := a.Org
	switch req.Method {
	case AppealLegalRep:
		if a.LegalRep == nil {
			return Appeal{}, refuse(http.StatusBadRequest, "method_unavailable", "服务器未开通法定代表人认证")
		}
	case AppealDeposit:
		if a.Deposit == nil {
			return Appeal{}, refuse(http.StatusBadRequest, "method_unavailable", "服务器未开通企业打款认证")
		}
	case AppealLetter:
	default:
		return Appeal{}, refuse(http.StatusBadRequest, "bad_method", "请选择申诉方式：法定代表人认证、企业打款认证或授权书认证")
	}
	var maskedID string
	if req.Method != AppealDeposit {
		name, err := CheckName(req.PersonName)
		if err != nil {
			return Appeal{}, err
		}
		req.PersonName = name
		rid, err := ids.ParseResidentID(strings.TrimSpace(req.PersonIDNumber), s.now())
		if err != nil {
			return Appeal{}, refuse(http.StatusBadRequest, "bad_id_number", "身份证号码无效："+err.Error())
		}
		req.PersonIDNumber = rid.Number
		maskedID = ids.MaskResidentID(rid.Number)
	}
	ap := Appeal{ID: randomID("ap_"), Applicant: actor, Method: req.Method, ContractID: strings.TrimSpace(req.ContractID),
		State: AppealProving, PersonName: req.PersonName, PersonIDMasked: maskedID}
	if len(ap.ContractID) > 128 {
		return Appeal{}, refuse(http.StatusBadRequest, "bad_contract", "合同编号无效")
	}
	var amount int
	if req.Method == AppealDeposit {
		n, err := rand.Int(rand.Reader, big.NewInt(99))
		if err != nil {
			return Appeal{}, err
		}
		amount = int(n.Int64()) + 1
	}
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		now := s.now()
		ap.Created = now
		e, err := findEnterprise(tx, req.Enterprise)
		if err != nil {
			return err
		}
		if e.Owner == actor {
			return refuse(http.StatusConflict, "already_owner", "您已经是该企业的主管理员")
		}
		if m, err := GetMember(tx, e.ID, actor); err == nil && m.Disabled {
			return ErrMemberDisabled
		}
		ap.EnterpriseID, ap.EnterpriseName, ap.CreditCode = e.ID, e.Name, e.CreditCode
		var acct Account
		if err := sync.GetJSON(tx, BucketAccounts, actor, &acct); err != nil {
			return err
		}
		ap.ApplicantName = memberName(acct)
		if req.Method == AppealLegalRep {
			if !s.isSelf(acct, req.PersonName, req.PersonIDNumber) {
				return errNotLegalRepSelf
			}
			if e.Status == EntVerified && e.LegalRep != "" && e.LegalRep != req.PersonName {
				return refuse(http.StatusForbidden, "legal_rep_mismatch", "填写的法定代表人与企业认证时登记的法定代表人不一致")
			}
		}
		if ap.ContractID != "" && a.Contract != nil {
			if err := a.Contract(tx, ap.ContractID, actor, e.Name); err != nil {
				return err
			}
		}
		if req.Method == AppealDeposit {
			ap.TriesLeft = DepositTries
			ap.DepositMAC = a.Org.codeMAC("appeal-deposit\x00"+ap.ID, strconv.Itoa(amount))
		}
		if err := sync.InsertJSON(tx, BucketAppeals, ap.ID, ap); err != nil {
			return err
		}
		if err := tx.Put(BucketAppealsBy, actor+"/"+ap.ID, []byte{}); err != nil {
			return err
		}
		return s.record(tx, e.ID, actor, "appeal.started", ap.public(), now, ap.ID+" "+ap.Method)
	})
	if err != nil {
		return Appeal{}, err
	}
	switch req.Method {
	case AppealLegalRep:
		ok, err := a.LegalRep.CheckLegalRep(ctx, ap.CreditCode, req.PersonName, req.PersonIDNumber)
		if err != nil {
			return Appeal{}, fmt.Errorf("legal representative check: %w", err)
		}
		if !ok {
			return a.decide(ctx, ap.ID, "system", false, "法定代表人信息与工商登记不一致")
		}
		return a.decide(ctx, ap.ID, "system", true, "")
	case AppealDeposit:
		if err := a.Deposit.SendDeposit(ctx, ap.CreditCode, amount); err != nil {
			return Appeal{}, fmt.Errorf("micro-deposit: %w", err)
		}
	}
	return ap.public(), nil
}

// ConfirmDeposit checks the amount (in yuan, "0.37") the applicant read off the account
// statement; DepositTries wrong amounts reject the appeal (start a new one).
func (a *AdminChanges) ConfirmDeposit(ctx context.Context, actor, appealID, amount string) (Appeal, error) {
	fen, err := parseYuan(amount)
	if err != nil {
		return Appeal{}, err
	}
	var ap Appeal
	var refusal error
	err = a.Org.Store.Update(ctx, func(tx sync.Tx) error {
		refusal = nil
		if ap, err = a.ownAppeal(tx, actor, appealID); err != nil {
			return err
		}
		if ap.Method != AppealDeposit || ap.State != AppealProving {
			return refuse(http.StatusConflict, "appeal_state", "该申诉不在等待回填打款金额")
		}
		if hmac.Equal([]byte(ap.DepositMAC), []byte(a.Org.codeMAC("appeal-deposit\x00"+ap.ID, strconv.Itoa(fen)))) {
			return nil
		}
		ap.TriesLeft--
		if ap.TriesLeft <= 0 {
			ap.State, ap.Reason, ap.Decided = AppealRejected, "打款金额错误次数过多，请重新发起申诉", a.Org.now()
			refusal = refuse(http.StatusBadRequest, "deposit_tries_exhausted", "打款金额错误 3 次，本次申诉已失败，请重新发起申诉")
		} else {
			refusal = refuse(http.StatusBadRequest, "deposit_wrong", fmt.Sprintf("打款金额不正确，还可尝试 %d 次", ap.TriesLeft))
		}
		return sync.PutJSON(tx, BucketAppeals, ap.ID, ap)
	})
	if err != nil {
		return Appeal{}, err
	}
	if refusal != nil {
		return Appeal{}, refusal
	}
	return a.decide(ctx, ap.ID, "system", true, "")
}

// parseYuan reads 0.01–0.99 yuan as fen.
func parseYuan(s string) (int, error) {
	bad := refuse(http.StatusBadRequest, "bad_amount", "请输入收到的金额，0.01–0.99 元之间，如 0.37")
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "元"))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0.005 || f > 0.995 || len(s) > 6 {
		return 0, bad
	}
	return int(f*100 + 0.5), nil
}

func (a *AdminChanges) ownAppeal(tx sync.Tx, actor, id string) (Appeal, error) {
	var ap Appeal
	err := sync.GetJSON(tx, BucketAppeals, id, &ap)
	if errors.Is(err, sync.ErrNotFound) || errors.Is(err, sync.ErrBadKey) || err == nil && ap.Applicant != actor {
		return Appeal{}, errNoAppeal
	}
	return ap, err
}

// UploadAppealLetter stores the stamped authorization letter (PNG/JPEG ≤ 5 MB, decoded and
// re-encoded) and puts the appeal into the server's review queue.
func (a *AdminChanges) UploadAppealLetter(ctx context.Context, actor, appealID string, data []byte) (Appeal, error) {
	waiting := func(tx sync.Tx) (ap Appeal, err error) {
		if ap, err = a.ownAppeal(tx, actor, appealID); err != nil {
			return ap, err
		}
		if ap.Method != AppealLetter || (ap.State != AppealProving && ap.State != AppealInReview) {
			return ap, refuse(http.StatusConflict, "appeal_state", "该申诉不在等待上传授权书")
		}
		return ap, nil
	}
	// Whose appeal it is comes before any decoding work, and the decode goes through the gate.
	if err := a.Org.Store.View(ctx, func(tx sync.Tx) error {
		_, err := waiting(tx)
		return err
	}); err != nil {
		return Appeal{}, err
	}
	var clean []byte
	if err := a.Org.decodeIn(ctx, "appeal letter", func() (err error) {
		clean, _, _, _, err = CleanImage(data)
		return err
	}); err != nil {
		return Appeal{}, err
	}
	var ap Appeal
	err := a.Org.Store.Update(ctx, func(tx sync.Tx) (err error) {
		if ap, err = waiting(tx); err != nil {
			return err
		}
		if err := tx.Put(BucketAppealLetters, ap.ID, clean); err != nil {
			return err
		}
		if ap.State == AppealProving {
			if err := tx.Put(BucketAppealReviews, ap.Created.UTC().Format("20060102T150405.000000000")+"/"+ap.ID, []byte{}); err != nil {
				return err
			}
		}
		ap.State, ap.HasLetter = AppealInReview, true
		return sync.PutJSON(tx, BucketAppeals, ap.ID, ap)
	})
	return ap.public(), err
}

// Appeal returns one of actor's appeals.
func (a *AdminChanges) Appeal(ctx context.Context, actor, id string) (Appeal, error) {
	var ap Appeal
	err := a.Org.Store.View(ctx, func(tx sync.Tx) error {
		var err error
		ap, err = a.ownAppeal(tx, actor, id)
		return err
	})
	return ap.public(), err
}

// MyAppeals lists actor's appeals, newest last.
func (a *AdminChanges) MyAppeals(ctx context.Context, actor string) ([]Appeal, error) {
	out := []Appeal{}
	err := a.Org.Store.View(ctx, func(tx sync.Tx) error {
		out = out[:0]
		return tx.Scan(BucketAppealsBy, actor+"/", "", 0, func(k string, _ []byte) error {
			var ap Appeal
			if err := sync.GetJSON(tx, BucketAppeals, strings.TrimPrefix(k, actor+"/"), &ap); err != nil {
				return err
			}
			out = append(out, ap.public())
			return nil
		})
	})
	slices.SortFunc(out, func(x, y Appeal) int { return x.Created.Compare(y.Created) })
	return out, err
}

// AppealReviews lists the appeals waiting for a reviewer (server admins), oldest first.
func (a *AdminChanges) AppealReviews(ctx context.Context) ([]Appeal, error) {
	out := []Appeal{}
	err := a.Org.Store.View(ctx, func(tx sync.Tx) error {
		out = out[:0]
		return tx.Scan(BucketAppealReviews, "", "", 500, func(k string, _ []byte) error {
			var ap Appeal
			if err := sync.GetJSON(tx, BucketAppeals, k[strings.IndexByte(k, '/')+1:], &ap); err != nil {
				return err
			}
			out = append(out, ap.public())
			return nil
		})
	})
	return out, err
}

// ReviewAppeal returns an appeal and its letter for a reviewer.
func (a *AdminChanges) ReviewAppeal(ctx context.Context, id string) (Appeal, []byte, error) {
	var ap Appeal
	var letter []byte
	err := a.Org.Store.View(ctx, func(tx sync.Tx) error {
		err := sync.GetJSON(tx, BucketAppeals, id, &ap)
		if errors.Is(err, sync.ErrNotFound) || errors.Is(err, sync.ErrBadKey) {
			return errNoAppeal
		}
		if err != nil {
			return err
		}
		if ap.HasLetter {
			letter, err = tx.Get(BucketAppealLetters, id)
		}
		return err
	})
	return ap.public(), letter, err
}

// DecideAppeal approves or rejects an appeal in review (a server reviewer).
func (a *AdminChanges) DecideAppeal(ctx context.Context, reviewer, id string, approve bool, reason string) (Appeal, error) {
	if !approve && strings.TrimSpace(reason) == "" {
		return Appeal{}, refuse(http.StatusBadRequest, "reason_required", "驳回须填写原因")
	}
	return a.decide(ctx, id, reviewer, approve, strings.TrimSpace(reason))
}

// decide ends an appeal; approving makes the applicant 主管理员 in the same transaction.
func (a *AdminChanges) decide(ctx context.Context, id, reviewer string, approve bool, reason string) (Appeal, error) {
	s := a.Org
	var ap Appeal
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		now := s.now()
		err := sync.GetJSON(tx, BucketAppeals, id, &ap)
		if errors.Is(err, sync.ErrNotFound) || errors.Is(err, sync.ErrBadKey) {
			return errNoAppeal
		}
		if err != nil {
			return err
		}
		if ap.State == AppealApproved || ap.State == AppealRejected {
			return refuse(http.StatusConflict, "appeal_decided", "该申诉已处理")
		}
		if reviewer != "system" && ap.State != AppealInReview {
			return refuse(http.StatusConflict, "appeal_state", "该申诉尚未提交授权书，不能审核")
		}
		if ap.State == AppealInReview {
			if err := tx.Delete(BucketAppealReviews, ap.Created.UTC().Format("20060102T150405.000000000")+"/"+ap.ID); err != nil {
				return err
			}
		}
		ap.Decided, ap.Reviewer = now, reviewer
		if !approve {
			ap.State, ap.Reason = AppealRejected, reason
			if err := s.record(tx, ap.EnterpriseID, reviewer, "appeal.rejected", ap.public(), now, ap.ID+" "+reason); err != nil {
				return err
			}
			return sync.PutJSON(tx, BucketAppeals, ap.ID, ap)
		}
		ap.State = AppealApproved
		if m, err := GetMember(tx, ap.EnterpriseID, ap.Applicant); err == nil && m.Disabled {
			// Disabled after the appeal started: a departed member does not become admin.
			ap.State, ap.Reason = AppealRejected, "申诉人在该企业的账号已被停用"
			return sync.PutJSON(tx, BucketAppeals, ap.ID, ap)
		}
		if _, err := a.changeAdmin(tx, ap.EnterpriseID, ap.Applicant, ap.Applicant, RoleMember, "appeal:"+ap.Method, ap.ID, ap.ContractID, now); err != nil {
			return err
		}
		if err := s.record(tx, ap.EnterpriseID, reviewer, "appeal.approved", ap.public(), now, ap.ID); err != nil {
			return err
		}
		return sync.PutJSON(tx, BucketAppeals, ap.ID, ap)
	})
	if err != nil {
		return Appeal{}, err
	}
	s.notifyEnterprise(ap.EnterpriseID)
	s.notify(ap.Applicant)
	return ap.public(), nil
}

func randomDigits(n int) (string, error) {
	b := make([]byte, n)
	for i := range b {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", err
		}
		b[i] = byte('0' + d.Int64())
	}
	return string(b), nil
}

// errNotLegalRepSelf refuses a legal-representative check asked for by someone else: the check
// proves that the named person is the company's legal representative, so it proves authority
// only when that person is the applicant, as their own real-name verification says.
var errNotLegalRepSelf = refuse(http.StatusForbidden, "not_legal_rep",
	"法定代表人认证须由法定代表人本人办理：您的实名认证信息与填写的法定代表人不一致（请先完成实名认证，或改用企业打款、授权书认证）")

// isSelf reports whether acct's approved real-name verification names the person (name and
// resident ID number). Under --dev the dev provider approves any name, as the dev
// legal-representative checker accepts any; a deployment's providers check both for real.
func (s *Service) isSelf(acct Account, name, idNumber string) bool {
	rn := acct.RealName
	if rn == nil {
		return false
	}
	if _, ok := s.Providers[rn.Provider]; !ok {
		return false
	}
	return rn.Name == name && strings.EqualFold(rn.IDNumber, idNumber)
}
