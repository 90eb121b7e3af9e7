package org

// Account care (issue 22, manual 000 用户中心): 忘记密码 (a code to the login, then a new
// password; every session opened before ends), 修改登录密码 (with the current password or a code
// to the login), the 服务条款 / 隐私政策 versions accepted at registration, and 二次校验 — a
// one-time code besides the PIN for signing, 拒签 and 撤回, switched on by the person or, for its
// members, by an enterprise (console.go). Every refusal changes nothing but the attempt counters.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"sealdesk/core/sync"
)

// More code purposes.
const (
	PurposeReset   = "reset"   // 忘记密码, and 修改登录密码 by code
	PurposeConfirm = "confirm" // 二次校验 before signing, 拒签 and 撤回
)

// Consent documents.
const (
	DocTerms   = "terms"   // 服务条款
	DocPrivacy = "privacy" // 隐私政策
)

// Consent is one accepted document version.
type Consent struct {
	Doc      string    `json:"doc"`
	Version  string    `json:"version"`
	Accepted time.Time `json:"accepted"`
}

// Terms are the versions of the documents a person accepts when registering.
type Terms struct {
	Terms   string `json:"terms_version"`
	Privacy string `json:"privacy_version"`
}

// DefaultTerms are the versions shipped with this build.
var DefaultTerms = Terms{Terms: "2026-01", Privacy: "2026-01"}

// CurrentTerms returns the versions in force.
func (s *Service) CurrentTerms() Terms {
	t := s.Terms
	if t.Terms == "" {
		t.Terms = DefaultTerms.Terms
	}
	if t.Privacy == "" {
		t.Privacy = DefaultTerms.Privacy
	}
	return t
}

// checkConsent returns the consents of a registration: it must name the versions in force of
// both documents the person ticked (manual 004 §1.1), else it is refused — consent_required when
// it names none (ConsentOptional lets the embedded single-machine backend record none),
// terms_outdated when it names others.
func (s *Service) checkConsent(r RegisterRequest) ([]Consent, error) {
	if r.TermsVersion == "" && r.PrivacyVersion == "" {
		if s.ConsentOptional {
			return nil, nil
		}
		return nil, refuse(http.StatusBadRequest, "consent_required", "请阅读并勾选同意《服务条款》和《隐私政策》后再注册")
	}
	cur := s.CurrentTerms()
	if r.TermsVersion != cur.Terms || r.PrivacyVersion != cur.Privacy {
		return nil, refuse(http.StatusBadRequest, "terms_outdated", "《服务条款》或《隐私政策》已更新，请重新阅读并勾选同意后再注册")
	}
	return []Consent{{Doc: DocTerms, Version: cur.Terms}, {Doc: DocPrivacy, Version: cur.Privacy}}, nil
}

func consentDetail(cs []Consent) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Doc+"="+c.Version)
	}
	return strings.Join(parts, ",")
}

// ResetRequest is 忘记密码: the login, the code sent to it (purpose PurposeReset) and the new
// password.
type ResetRequest struct {
	Login     string `json:"login"`
	Code      string `json:"code"`
	Challenge string `json:"challenge"`
	Password  string `json:"password"`
}

// ResetPassword sets a new password after checking a reset code sent to the login. Sessions
// opened before end (a lost phone's session does not survive the owner's reset), the password
// lockouts end. A wrong or expired code changes nothing but its attempt count.
func (s *Service) ResetPassword(ctx context.Context, r ResetRequest, client string) error {
	login, ch, err := NormalizeLogin(r.Login)
	if err != nil {
		return err
	}
	if err := CheckPassword(r.Password); err != nil {
		return err
	}
	if len(r.Code) > 16 {
		return refuse(400, "code_invalid", "验证码错误或已失效，请重新获取")
	}
	lk := loginKey(login, ch)
	now := s.now()
	l := s.limits()
	var refusal *sync.Refusal
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal = nil
		if client != "" {
			over, err := hit(tx, "resetip:"+client, now, 10*time.Minute, l.IPAttempts)
			if err != nil {
				return err
			}
			if over {
				refusal = refuse(429, "too_many_attempts", "尝试次数过多，请稍后再试")
				return nil
			}
		}
		ref, err := s.checkCode(tx, PurposeReset, lk, r.Challenge, r.Code, now, false)
		refusal = ref
		return err
	})
	if err != nil {
		return err
	}
	if refusal != nil {
		return refusal
	}
	hash, err := s.hashPassword(ctx, r.Password)
	if err != nil {
		return err
	}
	var id string
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal = nil
		ref, err := s.checkCode(tx, PurposeReset, lk, r.Challenge, r.Code, now, true)
		if err != nil {
			return err
		}
		if ref != nil {
			refusal = ref
			return nil
		}
		raw, err := tx.Get(BucketLogins, lk)
		if err != nil {
			return err // a code exists only for a registered login
		}
		id = string(raw)
		var a Account
		if err := sync.GetJSON(tx, BucketAccounts, id, &a); err != nil {
			return err
		}
		a.PasswordHash = hash
		a.SessionsAfter = now
		if err := PutAccount(tx, a); err != nil {
			return err
		}
		if err := clearLockouts(tx, lk); err != nil {
			return err
		}
		if err := s.event(tx, a.ID, "account.password_reset", publicAccount(a), now); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: a.ID, Action: "account.password_reset", Target: a.ID, IP: client})
	})
	if err != nil {
		return err
	}
	if refusal != nil {
		return refusal
	}
	s.notify(id)
	return nil
}

// ChangePasswordRequest is 修改登录密码: the current password or a code sent to the login
// (purpose PurposeReset, asked with SendOwnCode), and the new password.
type ChangePasswordRequest struct {
	Current   string `json:"current,omitempty"`
	Code      string `json:"code,omitempty"`
	Challenge string `json:"challenge,omitempty"`
	New       string `json:"new"`
}

// ChangePasswordFailures is how many wrong current passwords lock 修改登录密码 (by password) for
// the lockout time of logins.
const ChangePasswordFailures = 5

// ChangePassword sets a new password for a signed-in account. A wrong current password is
// counted (ChangePasswordFailures, then locked; a code still works) and changes nothing else.
// The caller's sessions stay.
func (s *Service) ChangePassword(ctx context.Context, accountID string, r ChangePasswordRequest, client string) error {
	if (r.Current == "") == (r.Code == "") {
		return refuse(400, "bad_request", "请填写当前密码或验证码之一")
	}
	if err := CheckPassword(r.New); err != nil {
		return err
	}
	if r.Current != "" && r.Current == r.New {
		return refuse(400, "same_password", "新密码不能与当前密码相同")
	}
	if len(r.Current) > 64 || len(r.Code) > 16 {
		return refuse(400, "wrong_password", "当前密码错误")
	}
	now := s.now()
	l := s.limits()
	ckey := "chpw:" + accountID
	var a Account
	var lk string
	var refusal *sync.Refusal
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal = nil
		if err := sync.GetJSON(tx, BucketAccounts, accountID, &a); err != nil {
			return err
		}
		lk = accountLoginKey(a)
		if r.Code != "" {
			ref, err := s.checkCode(tx, PurposeReset, lk, r.Challenge, r.Code, now, false)
			refusal = ref
			return err
		}
		c, err := getCounter(tx, ckey, now, l.LoginLockout)
		if err != nil {
			return err
		}
		if now.Before(c.LockedUntil) || c.Count+len(c.Pending) >= ChangePasswordFailures {
			refusal = refuse(429, "locked", fmt.Sprintf("当前密码输错次数过多，请 %d 分钟后再试，或使用验证码修改", int(l.LoginLockout.Minutes())))
			return nil
		}
		return nil
	})
	if err != nil {
		return err
	}
	if refusal != nil {
		return refusal
	}
	if r.Current != "" {
		ok, err := s.verifyPassword(ctx, a.PasswordHash, r.Current)
		if err != nil {
			return err
		}
		if !ok {
			err := s.Store.Update(ctx, func(tx sync.Tx) error {
				c, err := getCounter(tx, ckey, now, l.LoginLockout)
				if err != nil {
					return err
				}
				c.Count++
				c.Last = now
				if c.Count >= ChangePasswordFailures {
					c.LockedUntil = now.Add(l.LoginLockout)
				}
				if err := sync.PutJSON(tx, BucketLimits, ckey, c); err != nil {
					return err
				}
				return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: accountID, Action: "account.password_change_failed", Target: accountID, IP: client})
			})
			if err != nil {
				return err
			}
			return refuse(400, "wrong_password", "当前密码错误，登录密码未修改")
		}
	}
	hash, err := s.hashPassword(ctx, r.New)
	if err != nil {
		return err
	}
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal = nil
		if r.Code != "" {
			ref, err := s.checkCode(tx, PurposeReset, lk, r.Challenge, r.Code, now, true)
			if err != nil {
				return err
			}
			if ref != nil {
				refusal = ref
				return nil
			}
		}
		if err := sync.GetJSON(tx, BucketAccounts, accountID, &a); err != nil {
			return err
		}
		a.PasswordHash = hash
		if err := PutAccount(tx, a); err != nil {
			return err
		}
		if err := tx.Delete(BucketLimits, ckey); err != nil {
			return err
		}
		if err := s.event(tx, a.ID, "account.password_changed", publicAccount(a), now); err != nil {
			return err
		}
		how := "password"
		if r.Code != "" {
			how = "code"
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: a.ID, Action: "account.password_changed", Target: a.ID, IP: client, Detail: how})
	})
	if err != nil {
		return err
	}
	if refusal != nil {
		return refusal
	}
	s.notify(accountID)
	return nil
}

// accountLoginKey is the login key codes to the account go to (the phone first).
func accountLoginKey(a Account) string {
	if a.Phone != "" {
		return "sms:" + a.Phone
	}
	return "email:" + a.Email
}

// SendOwnCode sends a signed-in account a one-time code to its own login: PurposeReset (修改登录密码
// by code) or PurposeConfirm (二次校验). It returns the challenge to send back with the code.
func (s *Service) SendOwnCode(ctx context.Context, accountID, purpose, client string) (string, error) {
	if purpose != PurposeReset && purpose != PurposeConfirm {
		return "", refuse(400, "bad_purpose", "无效的验证码用途")
	}
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return "", err
	}
	login := a.Phone
	if login == "" {
		login = a.Email
	}
	return s.SendCode(ctx, login, purpose, client, "")
}

// SecondCheckRequest switches 二次校验 of the caller. Switching it off needs a confirm code (a
// borrowed session must not be enough to remove the check).
type SecondCheckRequest struct {
	On        bool   `json:"on"`
	Code      string `json:"code,omitempty"`
	Challenge string `json:"challenge,omitempty"`
}

// SetSecondCheck switches the account's own 二次校验 and returns the account.
func (s *Service) SetSecondCheck(ctx context.Context, accountID string, r SecondCheckRequest) (Account, error) {
	now := s.now()
	var a Account
	var refusal *sync.Refusal
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal = nil
		if err := sync.GetJSON(tx, BucketAccounts, accountID, &a); err != nil {
			return err
		}
		if !r.On && a.SecondCheck {
			if r.Code == "" {
				refusal = refuse(403, "second_check_required", "关闭二次校验需要输入发送到您手机或邮箱的验证码")
				return nil
			}
			ref, err := s.checkCode(tx, PurposeConfirm, accountLoginKey(a), r.Challenge, r.Code, now, true)
			if err != nil || ref != nil {
				refusal = ref
				return err
			}
		}
		if a.SecondCheck == r.On {
			return nil
		}
		a.SecondCheck = r.On
		if err := PutAccount(tx, a); err != nil {
			return err
		}
		if err := s.event(tx, a.ID, "account.second_check", publicAccount(a), now); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: a.ID, Action: "account.second_check", Target: a.ID, Detail: fmt.Sprint(r.On)})
	})
	if err != nil {
		return Account{}, err
	}
	if refusal != nil {
		return Account{}, refusal
	}
	s.notify(accountID)
	return publicAccount(a), nil
}

// NeedsSecondCheck reports whether accountID must give a confirm code to sign, 拒签 or 撤回: their
// own 二次校验 is on, or an enterprise they are an enabled member of requires it of its members.
func NeedsSecondCheck(tx sync.Tx, accountID string) (bool, error) {
	var a Account
	if err := sync.GetJSON(tx, BucketAccounts, accountID, &a); err != nil {
		return false, err
	}
	if a.SecondCheck {
		return true, nil
	}
	var ents []string
	if err := tx.Scan(BucketMemberships, accountID+"/", "", 0, func(k string, _ []byte) error {
		ents = append(ents, strings.TrimPrefix(k, accountID+"/"))
		return nil
	}); err != nil {
		return false, err
	}
	for _, e := range ents {
		st, err := GetEnterpriseSettings(tx, e)
		if err != nil {
			return false, err
		}
		if !st.SecondCheck {
			continue
		}
		m, err := GetMember(tx, e, accountID)
		if errors.Is(err, sync.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if !m.Disabled {
			return true, nil
		}
	}
	return false, nil
}

// ErrSecondCheck is the refusal of an action that needs the 二次校验 code and came without one.
var ErrSecondCheck = refuse(http.StatusForbidden, "second_check_required", "已开启二次校验：请输入发送到您手机或邮箱的验证码后再提交")

// SecondCheck enforces 二次校验 for accountID before signing, 拒签 or 撤回: when it is required,
// the confirm code (SendOwnCode with PurposeConfirm) is checked and spent; without it the answer
// is ErrSecondCheck. A wrong code is counted and refused; nothing else changes.
func (s *Service) SecondCheck(ctx context.Context, accountID, challenge, code string) error {
	var need bool
	if err := s.Store.View(ctx, func(tx sync.Tx) (err error) {
		need, err = NeedsSecondCheck(tx, accountID)
		return err
	}); err != nil || !need {
		return err // the usual case costs one read transaction
	}
	now := s.now()
	var refusal *sync.Refusal
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal = nil
		need, err := NeedsSecondCheck(tx, accountID)
		if err != nil || !need {
			return err
		}
		if code == "" {
			refusal = ErrSecondCheck
			return nil
		}
		var a Account
		if err := sync.GetJSON(tx, BucketAccounts, accountID, &a); err != nil {
			return err
		}
		ref, err := s.checkCode(tx, PurposeConfirm, accountLoginKey(a), challenge, code, now, true)
		refusal = ref
		return err
	})
	if err != nil {
		return err
	}
	if refusal != nil {
		return refusal
	}
	return nil
}
