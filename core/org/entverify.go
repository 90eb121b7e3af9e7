package org

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	stdsync "sync"
	"time"
	"unicode/utf8"

	"sealdesk/core/ids"
	"sealdesk/core/notify"
	"sealdesk/core/sync"
)

// Enterprise verification (SPEC §3, manual 004 §2.2): a legal-representative check, a corporate
// micro-deposit, or a manual review of uploads. The checks that reach outside (a registry, a
// bank) are providers a deployment plugs in; the dev ones exist only under --dev.

// Verification methods.
const (
	MethodLegalRep = "legal_rep" // 法定代表人核验
	MethodDeposit  = "deposit"   // 对公打款
	MethodManual   = "manual"    // 人工审核
)

// States of an enterprise verification attempt.
const (
	EVAwaitingUploads = "awaiting_uploads" // manual: not every upload is there yet
	EVPending         = "pending"          // deposit: waiting for the amount; manual: in the review queue
	EVApproved        = "approved"
	EVRejected        = "rejected" // by the reviewer or the legal-rep provider (Reason)
	EVFailed          = "failed"   // deposit: 3 wrong amounts or the payment failed; start over
)

// Buckets of enterprise verifications.
const (
	BucketEntVerifications = "ent_verifications"        // id → EntVerification
	BucketEntVerifyCurrent = "ent_verification_current" // entID → id of the latest attempt
)

// MaxDepositAttempts is how many amounts may be typed for one micro-deposit.
const MaxDepositAttempts = 3

// Upload kinds of the manual review, in the order the form shows them.
var EntUploadKinds = []string{"business_licence", "legal_rep_id_front", "legal_rep_id_back", "handler_holding_id",
	"handler_id_front", "handler_id_back", "authorization_letter"}

var entUploadLabels = map[string]string{
	"business_licence": "营业执照", "legal_rep_id_front": "法定代表人身份证正面", "legal_rep_id_back": "法定代表人身份证背面",
	"handler_holding_id": "经办人手持身份证照", "handler_id_front": "经办人身份证正面", "handler_id_back": "经办人身份证背面",
	"authorization_letter": "加盖公章的授权委托书",
}

// EntUploadLabel is the Chinese name of an upload kind.
func EntUploadLabel(kind string) string { return entUploadLabels[kind] }

// EntVerification is one attempt to verify an enterprise.
type EntVerification struct {
	ID           string           `json:"id"`
	EnterpriseID string           `json:"enterprise_id"`
	Enterprise   string           `json:"enterprise_name"`
	CreditCode   string           `json:"credit_code"`
	Method       string           `json:"method"`
	Status       string           `json:"status"`
	LegalRep     string           `json:"legal_rep,omitempty"`
	LegalRepID   string           `json:"legal_rep_id,omitempty"` // legal_rep: the resident ID number
	Bank         string           `json:"bank,omitempty"`         // deposit: 开户行
	Account      string           `json:"account,omitempty"`      // deposit: 银行账户
	AmountMAC    string           `json:"amount_mac,omitempty"`   // deposit: keyed hash of the amount in fen; never sent out
	Attempts     int              `json:"attempts,omitempty"`     // deposit: wrong amounts typed
	Uploads      map[string]Photo `json:"uploads,omitempty"`      // manual: by kind
	Reason       string           `json:"reason,omitempty"`
	By           string           `json:"by"`                 // account id of the admin who started it
	Reviewer     string           `json:"reviewer,omitempty"` // manual: who decided
	Created      time.Time        `json:"created"`
	Decided      time.Time        `json:"decided,omitzero"`
}

// Public returns v as the enterprise's members and the admin console see it: no amount, the
// ID and account numbers masked.
func (v EntVerification) Public() EntVerification {
	v.AmountMAC = ""
	v.LegalRepID = ids.MaskResidentID(v.LegalRepID)
	if n := len(v.Account); n > 4 {
		v.Account = strings.Repeat("*", n-4) + v.Account[n-4:]
	}
	return v
}

// Deposit is a micro-deposit to an enterprise's bank account.
type Deposit struct {
	VerificationID string
	EnterpriseName string
	CreditCode     string
	Bank           string
	Account        string
	Fen            int // 1–99: 0.01–0.99 yuan
}

// PaymentProvider sends micro-deposits to the bank account the applicant names (a bank or
// payment company's API; the appeal's DepositPayer pays the account of record instead). It is
// called outside any transaction; an error means nothing was sent. The legal-representative
// check shares LegalRepChecker with the appeal.
type PaymentProvider interface {
	Name() string
	SendDeposit(ctx context.Context, d Deposit) error
}

// DevPayment "pays" a micro-deposit by writing the amount into a notifier (the dev outbox), as a
// message on the channel "bank" to the account number. WARNING: --dev only; no money moves and
// anyone reading the outbox learns the amount.
type DevPayment struct {
	Notifier notify.Notifier
}

// Name implements PaymentProvider.
func (DevPayment) Name() string { return "dev" }

// SendDeposit implements PaymentProvider.
func (p DevPayment) SendDeposit(ctx context.Context, d Deposit) error {
	if p.Notifier == nil {
		return errors.New("dev payment has no notifier")
	}
	return p.Notifier.Send(ctx, notify.Message{Channel: "bank", To: d.Account, Subject: "对公打款",
		Body: fmt.Sprintf("【开发环境打款】向 %s（%s）账户 %s 打款 %d.%02d 元，用于 SealDesk 企业认证 %s", d.EnterpriseName, d.Bank, d.Account, d.Fen/100, d.Fen%100, d.VerificationID),
		Time: time.Now()})
}

// VerificationRequest starts an enterprise verification.
type VerificationRequest struct {
	Method     string `json:"method"`
	LegalRep   string `json:"legal_rep"`              // 法定代表人姓名 (every method)
	LegalRepID string `json:"legal_rep_id,omitempty"` // legal_rep: 法定代表人身份证号
	Bank       string `json:"bank,omitempty"`         // deposit: 开户行
	Account    string `json:"account,omitempty"`      // deposit: 对公银行账户
}

var accountRE = stdsync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{8,32}$`) })

func (s *Service) depositMAC(vid string, fen int) string {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte("deposit\x00" + vid + "\x00" + strconv.Itoa(fen)))
	return hex.EncodeToString(m.Sum(nil))
}

var errAlreadyVerified = refuse(http.StatusConflict, "already_verified", "该企业已完成认证")

// saveEntVerification stores v, makes it the enterprise's current attempt, sets the enterprise's
// state from it and records the change.
func (s *Service) saveEntVerification(tx sync.Tx, v EntVerification, actor string, now time.Time) error {
	if err := sync.PutJSON(tx, BucketEntVerifications, v.ID, v); err != nil {
		return err
	}
	if err := tx.Put(BucketEntVerifyCurrent, v.EnterpriseID, []byte(v.ID)); err != nil {
		return err
	}
	e, err := GetEnterprise(tx, v.EnterpriseID)
	if err != nil {
		return err
	}
	typ := "enterprise.verification_updated"
	switch v.Status {
	case EVAwaitingUploads, EVPending:
		e.Status, e.Reason = EntPending, ""
	case EVApproved:
		e.Status, e.Reason, e.VerifiedBy, e.VerifiedAt, e.LegalRep = EntVerified, "", v.Method, now, v.LegalRep
		typ = "enterprise.verified"
	case EVRejected:
		e.Status, e.Reason = EntRejected, v.Reason
		typ = "enterprise.verification_rejected"
	case EVFailed:
		e.Status, e.Reason = EntUnverified, v.Reason
		typ = "enterprise.verification_failed"
	}
	if err := PutEnterprise(tx, e); err != nil {
		return err
	}
	return s.record(tx, e.ID, actor, typ, map[string]any{"enterprise": e, "verification": v.Public()}, now, v.Method+" "+v.Status)
}

// currentEntVerification reads the enterprise's latest attempt (sync.ErrNotFound if none).
func currentEntVerification(tx sync.Tx, entID string) (EntVerification, error) {
	var v EntVerification
	id, err := tx.Get(BucketEntVerifyCurrent, entID)
	if err != nil {
		return v, err
	}
	err = sync.GetJSON(tx, BucketEntVerifications, string(id), &v)
	return v, err
}

// deleteEntUploads removes the uploads of v.
func deleteEntUploads(tx sync.Tx, v EntVerification) error {
	for kind := range v.Uploads {
		if err := tx.Delete(BucketBlobs, entUploadKey(v.ID, kind)); err != nil {
			return err
		}
	}
	return nil
}

func entUploadKey(vid, kind string) string { return "entv/" + vid + "/" + kind }

// StartVerification starts verifying an enterprise (主管理员 and 子管理员). A new attempt
// replaces an unfinished one. legal_rep asks the LegalRepChecker at once; deposit sends 0.01–0.99
// yuan through the PaymentProvider and waits for ConfirmDeposit; manual waits for the uploads
// (UploadVerification) and then a reviewer.
func (s *Service) StartVerification(ctx context.Context, actor, entID string, r VerificationRequest) (EntVerification, error) {
	rep, err := CheckName(r.LegalRep)
	if err != nil {
		return EntVerification{}, refuse(http.StatusBadRequest, "bad_legal_rep", "请填写法定代表人姓名（1–40 个字符）")
	}
	v := EntVerification{ID: randomID("ev_"), EnterpriseID: entID, Method: r.Method, LegalRep: rep, By: actor}
	var fen int
	switch r.Method {
	case MethodLegalRep:
		if s.LegalRep == nil {
			return EntVerification{}, refuse(http.StatusServiceUnavailable, "no_provider", "服务器未配置法定代表人核验服务，请选择对公打款或人工审核")
		}
		rid, err := ids.ParseResidentID(r.LegalRepID, s.now())
		if err != nil {
			return EntVerification{}, idRefusal(err)
		}
		v.LegalRepID = rid.Number
		var acct Account
		if err := s.Store.View(ctx, func(tx sync.Tx) error { return sync.GetJSON(tx, BucketAccounts, actor, &acct) }); err != nil {
			return EntVerification{}, err
		}
		if !s.isSelf(acct, rep, rid.Number) {
			return EntVerification{}, errNotLegalRepSelf
		}
	case MethodDeposit:
		if s.Payments == nil {
			return EntVerification{}, refuse(http.StatusServiceUnavailable, "no_provider", "服务器未配置对公打款服务，请选择其他认证方式")
		}
		bank, ok := normalizeText(r.Bank)
		if n := utf8.RuneCountInString(bank); !ok || n < 2 || n > 60 {
			return EntVerification{}, refuse(http.StatusBadRequest, "bad_bank", "请填写开户行（2–60 个字符）")
		}
		acct := strings.NewReplacer(" ", "", "-", "").Replace(r.Account)
		if !accountRE().MatchString(acct) {
			return EntVerification{}, refuse(http.StatusBadRequest, "bad_account", "对公银行账户须为 8–32 位数字")
		}
		v.Bank, v.Account = bank, acct
		n, err := rand.Int(rand.Reader, big.NewInt(99))
		if err != nil {
			return EntVerification{}, err
		}
		fen = int(n.Int64()) + 1
		v.AmountMAC = s.depositMAC(v.ID, fen)
	case MethodManual:
	default:
		return EntVerification{}, refuse(http.StatusBadRequest, "bad_method", "认证方式须为 legal_rep（法定代表人核验）、deposit（对公打款）或 manual（人工审核）")
	}
	// Read the enterprise (and the right to verify it) before calling anyone.
	err = s.Store.View(ctx, func(tx sync.Tx) error {
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		e, err := GetEnterprise(tx, entID)
		if err != nil {
			return err
		}
		if e.Status == EntVerified {
			return errAlreadyVerified
		}
		v.Enterprise, v.CreditCode = e.Name, e.CreditCode
		return nil
	})
	if err != nil {
		return EntVerification{}, err
	}
	if r.Method == MethodLegalRep {
		ok, err := s.LegalRep.CheckLegalRep(ctx, v.CreditCode, v.LegalRep, v.LegalRepID)
		if err != nil {
			return EntVerification{}, fmt.Errorf("legal representative check: %w", err)
		}
		v.Status = EVApproved
		if !ok {
			v.Status, v.Reason = EVRejected, "法定代表人姓名或身份证号与登记信息不一致"
		}
	} else if r.Method == MethodDeposit {
		v.Status = EVPending
	} else {
		v.Status = EVAwaitingUploads
	}
	err = s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		if e, err := GetEnterprise(tx, entID); err != nil {
			return err
		} else if e.Status == EntVerified {
			return errAlreadyVerified
		}
		if old, err := currentEntVerification(tx, entID); err == nil {
			if err := deleteEntUploads(tx, old); err != nil {
				return err
			}
			if old.Status == EVPending || old.Status == EVAwaitingUploads {
				old.Status, old.Reason, old.Decided, old.Uploads = EVFailed, "superseded", now, nil
				if err := sync.PutJSON(tx, BucketEntVerifications, old.ID, old); err != nil {
					return err
				}
			}
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		v.Created = now
		if v.Status == EVApproved || v.Status == EVRejected {
			v.Decided = now
		}
		return s.saveEntVerification(tx, v, actor, now)
	})
	if err != nil {
		return EntVerification{}, err
	}
	if r.Method == MethodDeposit {
		d := Deposit{VerificationID: v.ID, EnterpriseName: v.Enterprise, CreditCode: v.CreditCode, Bank: v.Bank, Account: v.Account, Fen: fen}
		if perr := s.Payments.SendDeposit(ctx, d); perr != nil {
			// Nothing was paid: the attempt fails and may be started again.
			_ = s.entUpdate(context.WithoutCancel(ctx), entID, func(tx sync.Tx, now time.Time) error {
				cur, err := currentEntVerification(tx, entID)
				if err != nil || cur.ID != v.ID || cur.Status != EVPending {
					return err
				}
				cur.Status, cur.Reason, cur.Decided = EVFailed, "打款未能发出，请稍后重新发起", now
				return s.saveEntVerification(tx, cur, actor, now)
			})
			return EntVerification{}, refuse(http.StatusBadGateway, "deposit_failed", "打款未能发出，请稍后重新发起对公打款认证")
		}
	}
	return v.Public(), nil
}

var depositRE = stdsync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^0?\.([0-9]{2})$`) })

// ConfirmDeposit checks the amount (in yuan, like "0.37") an admin read on the bank statement.
// A wrong amount counts; the third wrong one ends the attempt, and every later try is refused
// until a new deposit is started.
func (s *Service) ConfirmDeposit(ctx context.Context, actor, entID, amount string) (EntVerification, error) {
	amount = strings.TrimSuffix(strings.TrimSpace(amount), "元")
	m := depositRE().FindStringSubmatch(strings.TrimSpace(amount))
	if m == nil || m[1] == "00" {
		return EntVerification{}, refuse(http.StatusBadRequest, "bad_amount", "请输入收到的打款金额（0.01–0.99 元），例如 0.37")
	}
	fen, _ := strconv.Atoi(m[1])
	var v EntVerification
	var refusal *sync.Refusal
	err := s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		refusal = nil
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		var err error
		v, err = currentEntVerification(tx, entID)
		if errors.Is(err, sync.ErrNotFound) || (err == nil && v.Method != MethodDeposit) {
			return refuse(http.StatusConflict, "no_deposit", "没有进行中的对公打款认证，请先发起对公打款")
		} else if err != nil {
			return err
		}
		switch {
		case v.Status == EVFailed && v.Attempts >= MaxDepositAttempts:
			return refuse(http.StatusConflict, "deposit_attempts_exhausted", fmt.Sprintf("打款金额已输错 %d 次，本次认证已失效，请重新发起对公打款", MaxDepositAttempts))
		case v.Status == EVApproved:
			return errAlreadyVerified
		case v.Status != EVPending:
			return refuse(http.StatusConflict, "no_deposit", "没有进行中的对公打款认证，请先发起对公打款")
		}
		if hmac.Equal([]byte(s.depositMAC(v.ID, fen)), []byte(v.AmountMAC)) {
			v.Status, v.Decided = EVApproved, now
			return s.saveEntVerification(tx, v, actor, now)
		}
		v.Attempts++
		left := MaxDepositAttempts - v.Attempts
		if left > 0 {
			refusal = refuse(http.StatusBadRequest, "wrong_amount", fmt.Sprintf("金额不正确，还可以再试 %d 次", left))
			// Counted: stored without an event (the state did not change).
			return sync.PutJSON(tx, BucketEntVerifications, v.ID, v)
		}
		refusal = refuse(http.StatusBadRequest, "wrong_amount", fmt.Sprintf("金额不正确，已输错 %d 次，本次认证已失效，请重新发起对公打款", MaxDepositAttempts))
		v.Status, v.Reason, v.Decided = EVFailed, fmt.Sprintf("打款金额输错 %d 次", MaxDepositAttempts), now
		return s.saveEntVerification(tx, v, actor, now)
	})
	if err != nil {
		return EntVerification{}, err
	}
	if refusal != nil {
		return EntVerification{}, refusal
	}
	return v.Public(), nil
}

// UploadVerification stores one upload of a manual verification (PNG or JPEG ≤ 5 MB, decoded
// and re-encoded by CleanImage; 主管理员 and 子管理员). With every kind there, the attempt goes
// to the review queue.
func (s *Service) UploadVerification(ctx context.Context, actor, entID, kind string, data []byte) (EntVerification, error) {
	if !slices.Contains(EntUploadKinds, kind) {
		return EntVerification{}, refuse(http.StatusBadRequest, "bad_kind", "未知的材料类型："+kind)
	}
	// The right to upload is checked before any decoding work.
	if err := s.Store.View(ctx, func(tx sync.Tx) error {
		_, err := s.RequireAdmin(tx, entID, actor)
		return err
	}); err != nil {
		return EntVerification{}, err
	}
	release, err := s.gate().Enter(ctx) // decoding takes up to MaxDecodedImage: the decode gate
	if err != nil {
		return EntVerification{}, fmt.Errorf("upload: %w", err)
	}
	data, typ, w, h, err := CleanImage(data)
	release()
	if err != nil {
		return EntVerification{}, err
	}
	sum := sha256.Sum256(data)
	ph := Photo{SHA256: hex.EncodeToString(sum[:]), Type: typ, Size: len(data), Width: w, Height: h}
	var v EntVerification
	err = s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		var err error
		v, err = currentEntVerification(tx, entID)
		if errors.Is(err, sync.ErrNotFound) || (err == nil && (v.Method != MethodManual || (v.Status != EVAwaitingUploads && v.Status != EVPending))) {
			return refuse(http.StatusConflict, "no_manual_review", "没有等待上传材料的人工审核认证，请先发起人工审核")
		} else if err != nil {
			return err
		}
		if err := tx.Put(BucketBlobs, entUploadKey(v.ID, kind), data); err != nil {
			return err
		}
		if v.Uploads == nil {
			v.Uploads = map[string]Photo{}
		}
		v.Uploads[kind] = ph
		if v.Status == EVAwaitingUploads && len(v.Uploads) == len(EntUploadKinds) {
			v.Status = EVPending
			return s.saveEntVerification(tx, v, actor, now)
		}
		if err := sync.PutJSON(tx, BucketEntVerifications, v.ID, v); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "enterprise.verification_upload", map[string]any{"verification": v.ID, "kind": kind}, now, kind+" "+ph.SHA256)
	})
	if err != nil {
		return EntVerification{}, err
	}
	return v.Public(), nil
}

// EnterpriseVerification returns the enterprise's latest verification attempt (any enabled member;
// sync.ErrNotFound if none).
func (s *Service) EnterpriseVerification(ctx context.Context, actor, entID string) (EntVerification, error) {
	var v EntVerification
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if _, err := s.Require(tx, entID, actor, ""); err != nil {
			return err
		}
		var err error
		v, err = currentEntVerification(tx, entID)
		if errors.Is(err, sync.ErrNotFound) {
			return refuse(http.StatusNotFound, "not_found", "该企业尚未发起认证")
		}
		return err
	})
	return v.Public(), err
}

// --- the review queue (server admins) ---------------------------------------------------------

// EnterpriseReviews lists manual enterprise verifications in status (EVPending when ""; "all"
// for every one), oldest first.
func (s *Service) EnterpriseReviews(ctx context.Context, status string) ([]EntVerification, error) {
	if status == "" {
		status = EVPending
	}
	out := []EntVerification{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out = out[:0]
		return tx.Scan(BucketEntVerifications, "", "", 0, func(_ string, b []byte) error {
			var v EntVerification
			if err := jsonUnmarshal(b, &v); err != nil {
				return err
			}
			if v.Method == MethodManual && (status == "all" || v.Status == status) {
				out = append(out, v.Public())
			}
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b EntVerification) int { return a.Created.Compare(b.Created) })
	return out, err
}

// EnterpriseReview returns one verification for a reviewer, with the legal representative's ID
// number in full.
func (s *Service) EnterpriseReview(ctx context.Context, id string) (EntVerification, error) {
	var v EntVerification
	err := s.Store.View(ctx, func(tx sync.Tx) error { return sync.GetJSON(tx, BucketEntVerifications, id, &v) })
	v.AmountMAC = ""
	return v, err
}

// EnterpriseUpload returns the bytes and type of one upload of a verification.
func (s *Service) EnterpriseUpload(ctx context.Context, id, kind string) ([]byte, string, error) {
	var b []byte
	var typ string
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		var v EntVerification
		if err := sync.GetJSON(tx, BucketEntVerifications, id, &v); err != nil {
			return err
		}
		ph, ok := v.Uploads[kind]
		if !ok {
			return refuse(http.StatusNotFound, "not_found", "该材料尚未上传")
		}
		typ = ph.Type
		var err error
		b, err = tx.Get(BucketBlobs, entUploadKey(id, kind))
		return err
	})
	return b, typ, err
}

// DecideEnterprise approves or rejects (with a reason the applicant sees) a manual verification
// in the review queue.
func (s *Service) DecideEnterprise(ctx context.Context, reviewer, id string, approve bool, reason string) (EntVerification, error) {
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return EntVerification{}, refuse(http.StatusBadRequest, "reason_required", "驳回时须填写原因")
	}
	if utf8.RuneCountInString(reason) > 200 {
		return EntVerification{}, refuse(http.StatusBadRequest, "reason_too_long", "原因不能超过 200 个字符")
	}
	var v EntVerification
	var entID string
	now := s.now()
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		if err := sync.GetJSON(tx, BucketEntVerifications, id, &v); errors.Is(err, sync.ErrNotFound) {
			return refuse(http.StatusNotFound, "not_found", "认证申请不存在")
		} else if err != nil {
			return err
		}
		entID = v.EnterpriseID
		if v.Method != MethodManual || v.Status != EVPending {
			return refuse(http.StatusConflict, "not_pending", "该认证申请不在待审核状态")
		}
		v.Reviewer, v.Decided = reviewer, now
		if approve {
			v.Status = EVApproved
		} else {
			v.Status, v.Reason = EVRejected, reason
		}
		return s.saveEntVerification(tx, v, reviewer, now)
	})
	if err != nil {
		return EntVerification{}, err
	}
	s.notifyEnterprise(entID)
	return v.Public(), nil
}
