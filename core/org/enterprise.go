package org

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/ids"
	"sealdesk/core/sync"
)

// Buckets of the enterprise domain. Keys that belong to one enterprise start with its id and a
// slash, so one enterprise's records page in key order without touching another's.
const (
	BucketEnterprises     = "enterprises"      // id → Enterprise
	BucketEnterpriseCodes = "enterprise_codes" // credit code → enterprise id (one code, one enterprise)
	BucketMembers         = "members"          // entID/accountID → Member
	BucketMemberships     = "memberships"      // accountID/entID → "" (the enterprises of a person)
	BucketRoles           = "roles"            // entID/roleID → Role
	BucketDepartments     = "departments"      // entID/deptID → Department
	BucketEnterpriseAudit = "enterprise_audit" // entID/time-rand → sync.AuditEntry
)

// Enterprise verification states (SPEC §3): 未认证 → 认证中 → 已认证 / 已驳回.
const (
	EntUnverified = "unverified" // 未认证
	EntPending    = "pending"    // 认证中
	EntVerified   = "verified"   // 已认证
	EntRejected   = "rejected"   // 已驳回 (Reason says why)
)

// EnterpriseScope returns the sync scope of an enterprise's shared data: every change to the
// enterprise, its members, roles and departments is an event there, readable by its enabled
// members only.
func EnterpriseScope(id string) string { return "ent:" + id }

// EnterpriseIDOfScope returns the enterprise id of an "ent:<id>" scope.
func EnterpriseIDOfScope(scope string) (string, bool) {
	id, ok := strings.CutPrefix(scope, "ent:")
	return id, ok && id != ""
}

// Enterprise is a company on the server.
type Enterprise struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CreditCode string `json:"credit_code"`
	// CreditCodeWarning is set (in Chinese) for a known legacy code whose check character does
	// not match GB 32100: accepted, but worth a second look.
	CreditCodeWarning string    `json:"credit_code_warning,omitempty"`
	Owner             string    `json:"owner"` // account id of the one 主管理员
	Status            string    `json:"status"`
	Reason            string    `json:"reason,omitempty"`      // why the last verification was rejected
	VerifiedBy        string    `json:"verified_by,omitempty"` // legal_rep, deposit or manual
	VerifiedAt        time.Time `json:"verified_at,omitzero"`  //
	LegalRep          string    `json:"legal_rep,omitempty"`   // the legal representative's name as verified
	Created           time.Time `json:"created"`               //
	Creator           string    `json:"creator"`               // account id
}

// Member is one person's membership of an enterprise.
type Member struct {
	EnterpriseID string `json:"enterprise_id"`
	AccountID    string `json:"account_id"`
	Name         string `json:"name"`
	Phone        string `json:"phone,omitempty"`
	// Role is RoleOwner, RoleAdmin, RoleMember or the id of a custom role ("r_…").
	Role       string    `json:"role"`
	Department string    `json:"department,omitempty"`
	Disabled   bool      `json:"disabled,omitempty"`
	Joined     time.Time `json:"joined"`
}

// Role is a custom role: a name and a set of permissions.
type Role struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Permissions []Permission `json:"permissions"`
	Created     time.Time    `json:"created"`
}

// Department is a node of an enterprise's department tree (Parent "" is the top level).
type Department struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"`
}

func memberKey(entID, accountID string) string { return entID + "/" + accountID }

// Members and roles are read by every permission check, so they are stored in a compact line
// instead of JSON (decoding JSON took most of Require's time): fields separated by 0x1f, which
// no name or id can contain (names are normalised: no control characters). The enterprise and
// account ids come from the key.
const (
	memberFormat = "m1"
	roleFormat   = "r1"
	sep          = "\x1f"
)

func encodeMember(m Member) []byte {
	dis := "0"
	if m.Disabled {
		dis = "1"
	}
	return []byte(memberFormat + sep + m.Role + sep + dis + sep + m.Name + sep + m.Phone + sep + m.Department + sep +
		strconv.FormatInt(m.Joined.UnixNano(), 10))
}

func decodeMember(key string, b []byte) (Member, error) {
	f := strings.Split(string(b), sep)
	ent, acct, ok := strings.Cut(key, "/")
	if len(f) != 7 || f[0] != memberFormat || !ok {
		return Member{}, fmt.Errorf("corrupt member record %s", key)
	}
	ns, err := strconv.ParseInt(f[6], 10, 64)
	if err != nil {
		return Member{}, fmt.Errorf("corrupt member record %s: %w", key, err)
	}
	return Member{EnterpriseID: ent, AccountID: acct, Role: f[1], Disabled: f[2] == "1", Name: f[3], Phone: f[4],
		Department: f[5], Joined: time.Unix(0, ns).UTC()}, nil
}

func encodeRole(r Role) []byte {
	ps := make([]string, len(r.Permissions))
	for i, p := range r.Permissions {
		ps[i] = string(p)
	}
	return []byte(roleFormat + sep + r.Name + sep + strconv.FormatInt(r.Created.UnixNano(), 10) + sep + strings.Join(ps, ","))
}

func decodeRole(key string, b []byte) (Role, error) {
	f := strings.Split(string(b), sep)
	_, id, ok := strings.Cut(key, "/")
	if len(f) != 4 || f[0] != roleFormat || !ok {
		return Role{}, fmt.Errorf("corrupt role record %s", key)
	}
	ns, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return Role{}, fmt.Errorf("corrupt role record %s: %w", key, err)
	}
	r := Role{ID: id, Name: f[1], Created: time.Unix(0, ns).UTC(), Permissions: []Permission{}}
	if f[3] != "" {
		for _, p := range strings.Split(f[3], ",") {
			r.Permissions = append(r.Permissions, Permission(p))
		}
	}
	return r, nil
}

// IsCustomRole reports whether role names a custom role rather than a built-in one.
func IsCustomRole(role string) bool { return strings.HasPrefix(role, "r_") }

// Refusals of Require, stable codes the desktop and the permission matrix test rely on.
var (
	ErrNotMember      = refuse(http.StatusForbidden, "not_member", "您不是该企业的成员")
	ErrMemberDisabled = refuse(http.StatusForbidden, "member_disabled", "您在该企业的账号已被停用，请联系企业管理员")
)

// PermissionDenied is the refusal for a member who lacks p.
func PermissionDenied(p Permission) *sync.Refusal {
	return refuse(http.StatusForbidden, "permission_denied", "您没有「"+p.Label()+"」权限，请联系企业管理员")
}

// errAdminOnly refuses what only 主管理员 and 子管理员 may do.
var errAdminOnly = refuse(http.StatusForbidden, "permission_denied", "只有企业主管理员或子管理员可以进行此操作")

// GetMember reads the membership of accountID in entID (sync.ErrNotFound if none).
func GetMember(tx sync.Tx, entID, accountID string) (Member, error) {
	if entID == "" || accountID == "" || strings.Contains(entID, "/") {
		return Member{}, sync.ErrNotFound
	}
	k := memberKey(entID, accountID)
	b, err := tx.Get(BucketMembers, k)
	if err != nil {
		return Member{}, err
	}
	return decodeMember(k, b)
}

// GetEnterprise reads an enterprise (sync.ErrNotFound if none).
func GetEnterprise(tx sync.Tx, id string) (Enterprise, error) {
	var e Enterprise
	if id == "" {
		return e, sync.ErrNotFound
	}
	err := sync.GetJSON(tx, BucketEnterprises, id, &e)
	return e, err
}

// Require checks that accountID is an enabled member of enterpriseID holding p, and returns the
// membership. p == "" asks only for an enabled member. RoleOwner and RoleAdmin hold every
// permission; RoleMember none; a custom role the ones it lists. The refusals are 403
// *sync.Refusal: ErrNotMember (also for an enterprise that does not exist, so strangers learn
// nothing), ErrMemberDisabled, PermissionDenied(p).
//
// It reads one key (two for a custom role) in tx — or, while RunPermCache runs (PostgreSQL),
// in memory: a membership or role changed by any process is forgotten as soon as the change is
// announced (this process: before its Update returns; another: one notification later), so a
// disabled member is refused from then on, in every server process. Callers that write a
// membership back read it with GetMember in their transaction, never from Require.
func (s *Service) Require(tx sync.Tx, enterpriseID, accountID string, p Permission) (Member, error) {
	c := s.perms.Load()
	now := time.Time{}
	if c != nil {
		now = time.Now()
	}
	m, found, hit := c.member(enterpriseID, accountID, now)
	if !hit {
		var err error
		m, err = GetMember(tx, enterpriseID, accountID)
		if err != nil && !errors.Is(err, sync.ErrNotFound) {
			return Member{}, err
		}
		found = err == nil
		c.fill('m', enterpriseID, accountID)
	}
	if !found {
		return Member{}, ErrNotMember
	}
	if m.Disabled {
		return Member{}, ErrMemberDisabled
	}
	ok, err := roleHasIn(tx, c, now, enterpriseID, m.Role, p)
	if err != nil {
		return Member{}, err
	}
	if !ok {
		return Member{}, PermissionDenied(p)
	}
	return m, nil
}

// RequireAdmin checks that accountID is an enabled 主管理员 or 子管理员 of enterpriseID.
func (s *Service) RequireAdmin(tx sync.Tx, enterpriseID, accountID string) (Member, error) {
	m, err := s.Require(tx, enterpriseID, accountID, "")
	if err != nil {
		return m, err
	}
	if m.Role != RoleOwner && m.Role != RoleAdmin {
		return Member{}, errAdminOnly
	}
	return m, nil
}

// roleHas reports whether role (of enterprise entID) holds p, reading tx.
func roleHas(tx sync.Tx, entID, role string, p Permission) (bool, error) {
	return roleHasIn(tx, nil, time.Time{}, entID, role, p)
}

// roleHasIn is roleHas answering from c (nil: none) when it can.
func roleHasIn(tx sync.Tx, c *permCache, now time.Time, entID, role string, p Permission) (bool, error) {
	switch {
	case p == "" || role == RoleOwner || role == RoleAdmin:
		return true, nil
	case role == RoleMember:
		return false, nil
	}
	list, found, hit := c.role(entID, role, now)
	if !hit {
		var err error
		list, err = rolePerms(tx, entID, role)
		if err != nil && !errors.Is(err, sync.ErrNotFound) {
			return false, err
		}
		found = err == nil
		c.fill('r', entID, role)
	}
	if !found {
		return false, nil // a deleted role grants nothing
	}
	for list != "" {
		var q string
		q, list, _ = strings.Cut(list, ",")
		if q == string(p) {
			return true, nil
		}
	}
	return false, nil
}

// rolePerms returns the permission list of a custom role's record, comma-separated, without
// decoding the rest (sync.ErrNotFound if there is no such role).
func rolePerms(tx sync.Tx, entID, role string) (string, error) {
	b, err := tx.Get(BucketRoles, entID+"/"+role)
	if err != nil {
		return "", err
	}
	i := strings.LastIndex(string(b), sep)
	if i < 0 {
		return "", fmt.Errorf("corrupt role record %s/%s", entID, role)
	}
	return string(b[i+1:]), nil
}

// GetRole reads a custom role of an enterprise (sync.ErrNotFound if none).
func GetRole(tx sync.Tx, entID, roleID string) (Role, error) {
	k := entID + "/" + roleID
	b, err := tx.Get(BucketRoles, k)
	if err != nil {
		return Role{}, err
	}
	return decodeRole(k, b)
}

func putRole(tx sync.Tx, entID string, r Role) error {
	sync.Touch(tx, EnterpriseScope(entID)) // permission caches forget the enterprise at commit
	return tx.Put(BucketRoles, entID+"/"+r.ID, encodeRole(r))
}

// Permissions returns the permissions role holds in enterprise entID (all of them for the
// owner and sub-admins).
func Permissions(tx sync.Tx, entID, role string) ([]Permission, error) {
	out := []Permission{}
	for _, p := range AllPermissions {
		ok, err := roleHas(tx, entID, role, p)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// --- create -----------------------------------------------------------------------------------

// CheckEnterpriseName validates a company name as on its business licence: NFKC, 2–100
// characters, no invisible or bidirectional characters.
func CheckEnterpriseName(name string) (string, error) {
	name, ok := normalizeText(name)
	if !ok {
		return "", refuse(400, "bad_enterprise_name", "企业名称不能包含控制字符、不可见字符或文字方向控制符")
	}
	if n := utf8.RuneCountInString(name); n < 2 || n > 100 {
		return "", refuse(400, "bad_enterprise_name", "企业名称须为 2–100 个字符，与营业执照一致")
	}
	return name, nil
}

// CheckCreditCode validates a unified social credit code (GB 32100) and returns it normalised,
// with a Chinese warning for a known legacy code whose check character does not match.
func CheckCreditCode(code string) (normalized, warning string, err error) {
	cc, err := ids.ValidateCreditCode(code)
	switch {
	case err == nil:
	case errors.Is(err, ids.ErrLength):
		return "", "", refuse(400, "bad_credit_code", "统一社会信用代码应为 18 位")
	case errors.Is(err, ids.ErrCharacter):
		return "", "", refuse(400, "bad_credit_code", "统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V）")
	case errors.Is(err, ids.ErrCheckDigit):
		return "", "", refuse(400, "bad_credit_code", "统一社会信用代码校验位不正确，请核对营业执照后重新输入")
	default:
		return "", "", refuse(400, "bad_credit_code", "统一社会信用代码无效")
	}
	if cc.Warning != "" {
		warning = "该统一社会信用代码的校验位与国家标准 GB 32100 不符，但属于已知的早期试点代码，已接受；请核对营业执照"
	}
	return cc.Code, warning, nil
}

// CreateEnterprise registers a company with its name and unified social credit code; the
// creator becomes its 主管理员 (RoleOwner). One code, one enterprise: a second registration of
// the same code is refused with the name it is registered under.
func (s *Service) CreateEnterprise(ctx context.Context, accountID, name, creditCode string) (Enterprise, error) {
	name, err := CheckEnterpriseName(name)
	if err != nil {
		return Enterprise{}, err
	}
	code, warning, err := CheckCreditCode(creditCode)
	if err != nil {
		return Enterprise{}, err
	}
	now := s.now()
	e := Enterprise{ID: randomID("e_"), Name: name, CreditCode: code, CreditCodeWarning: warning, Owner: accountID,
		Status: EntUnverified, Created: now, Creator: accountID}
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		var a Account
		if err := sync.GetJSON(tx, BucketAccounts, accountID, &a); err != nil {
			return err
		}
		if err := s.checkUnverifiedCreated(tx, accountID); err != nil {
			return err
		}
		if err := tx.Insert(BucketEnterpriseCodes, code, []byte(e.ID)); errors.Is(err, sync.ErrExists) {
			// The answer does not name the enterprise: anyone signed in could otherwise learn
			// which companies use SealDesk, and under what name (red team #8).
			return refuse(409, "enterprise_exists", "该统一社会信用代码已注册企业，请联系该企业的管理员邀请您加入")
		} else if err != nil {
			return err
		}
		if err := sync.InsertJSON(tx, BucketEnterprises, e.ID, e); err != nil {
			return err
		}
		m := Member{EnterpriseID: e.ID, AccountID: accountID, Name: memberName(a), Phone: a.Phone, Role: RoleOwner, Joined: now}
		if err := putMember(tx, m, true); err != nil {
			return err
		}
		if err := s.record(tx, e.ID, accountID, "enterprise.created", e, now, e.CreditCode); err != nil {
			return err
		}
		return s.record(tx, e.ID, accountID, "member.joined", eventMember(m), now, accountID)
	})
	if err != nil {
		return Enterprise{}, err
	}
	s.notifyEnterprise(e.ID)
	s.notify(accountID)
	return e, nil
}

// checkUnverifiedCreated refuses (429 too_many_enterprises, naming the limit) a new enterprise of
// an account that already created Limits.UnverifiedEnterprises enterprises not yet verified.
func (s *Service) checkUnverifiedCreated(tx sync.Tx, accountID string) error {
	max := s.limits().UnverifiedEnterprises
	if max < 0 {
		return nil
	}
	var ids []string
	if err := tx.Scan(BucketMemberships, accountID+"/", "", 0, func(k string, _ []byte) error {
		ids = append(ids, strings.TrimPrefix(k, accountID+"/"))
		return nil
	}); err != nil {
		return err
	}
	n := 0
	for _, id := range ids {
		var e Enterprise
		if err := sync.GetJSON(tx, BucketEnterprises, id, &e); errors.Is(err, sync.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if e.Creator == accountID && e.Status != EntVerified {
			n++
		}
	}
	if n >= max {
		return refuse(http.StatusTooManyRequests, "too_many_enterprises", fmt.Sprintf(
			"您创建的企业中已有 %d 家尚未认证，请先完成企业认证再创建新的企业（最多 %d 家未认证）", n, max))
	}
	// Two creations at once conflict, and the one retried counts the other (sync.Claim: 15 of 30
	// parallel creations passed a bound of 10 without it).
	return sync.Claim(tx, "enterprises-created/"+accountID)
}

// memberName is how a new member is called: the verified real name, else the account's name.
func memberName(a Account) string {
	if a.RealName != nil {
		return a.RealName.Name
	}
	return a.Name
}

// putMember stores m and, for a new member, its index entry of the person's enterprises.
func putMember(tx sync.Tx, m Member, isNew bool) error {
	sync.Touch(tx, EnterpriseScope(m.EnterpriseID)) // permission caches forget the enterprise at commit
	if isNew {
		if err := tx.Insert(BucketMembers, memberKey(m.EnterpriseID, m.AccountID), encodeMember(m)); err != nil {
			return err
		}
		return tx.Put(BucketMemberships, m.AccountID+"/"+m.EnterpriseID, []byte{})
	}
	return tx.Put(BucketMembers, memberKey(m.EnterpriseID, m.AccountID), encodeMember(m))
}

// deleteMember removes m and its index entry.
func deleteMember(tx sync.Tx, m Member) error {
	sync.Touch(tx, EnterpriseScope(m.EnterpriseID))
	if err := tx.Delete(BucketMembers, memberKey(m.EnterpriseID, m.AccountID)); err != nil {
		return err
	}
	return tx.Delete(BucketMemberships, m.AccountID+"/"+m.EnterpriseID)
}

// PutMember stores a membership (for other packages of the enterprise domain, e.g. the
// main-admin transfer), keeping the index of the person's enterprises; the caller appends the
// event with RecordEnterprise. Write members only through it: the record is not JSON.
func PutMember(tx sync.Tx, m Member) error {
	if _, err := tx.Get(BucketMembers, memberKey(m.EnterpriseID, m.AccountID)); errors.Is(err, sync.ErrNotFound) {
		return putMember(tx, m, true)
	} else if err != nil {
		return err
	}
	return putMember(tx, m, false)
}

// PutEnterprise stores a changed enterprise record.
func PutEnterprise(tx sync.Tx, e Enterprise) error {
	return sync.PutJSON(tx, BucketEnterprises, e.ID, e)
}

// RecordEnterprise appends an event of type typ with payload to the enterprise's scope and a
// line to its audit log (and the server's), inside tx. Call NotifyEnterprise after the commit.
func (s *Service) RecordEnterprise(tx sync.Tx, entID, actor, typ string, payload any, now time.Time, detail string) error {
	return s.record(tx, entID, actor, typ, payload, now, detail)
}

// NotifyEnterprise wakes the long polls of the enterprise's scope.
func (s *Service) NotifyEnterprise(entID string) { s.notifyEnterprise(entID) }

func (s *Service) record(tx sync.Tx, entID, actor, typ string, payload any, now time.Time, detail string) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	if _, err := tx.Append(sync.Event{Scope: EnterpriseScope(entID), Type: typ, Time: now, Actor: actor, Payload: b}); err != nil {
		return err
	}
	if s.EnterpriseEvents != nil {
		if err := s.EnterpriseEvents(tx, entID, typ, payload, now); err != nil {
			return err
		}
	}
	a := sync.AuditEntry{Time: now, Actor: actor, Action: typ, Target: entID, Detail: detail}
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		return err
	}
	key := entID + "/" + now.UTC().Format("20060102T150405.000000000") + "-" + hex.EncodeToString(r[:])
	if err := sync.PutJSON(tx, BucketEnterpriseAudit, key, a); err != nil {
		return err
	}
	return sync.Audit(tx, a)
}

func (s *Service) notifyEnterprise(entID string) {
	if s.Hub != nil {
		s.Hub.Notify(EnterpriseScope(entID))
	}
}

// --- read -------------------------------------------------------------------------------------

// MyEnterprise is one enterprise of a person, with the person's membership and permissions.
type MyEnterprise struct {
	Enterprise  Enterprise   `json:"enterprise"`
	Member      Member       `json:"member"`
	Permissions []Permission `json:"permissions"`
}

// MyEnterprises lists the enterprises accountID belongs to (disabled memberships included, with
// no permissions), in key order.
func (s *Service) MyEnterprises(ctx context.Context, accountID string) ([]MyEnterprise, error) {
	out := []MyEnterprise{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out = out[:0]
		return tx.Scan(BucketMemberships, accountID+"/", "", 1000, func(k string, _ []byte) error {
			entID := strings.TrimPrefix(k, accountID+"/")
			e, err := GetEnterprise(tx, entID)
			if err != nil {
				return fmt.Errorf("membership of %s: %w", k, err)
			}
			m, err := GetMember(tx, entID, accountID)
			if err != nil {
				return fmt.Errorf("membership of %s: %w", k, err)
			}
			perms := []Permission{}
			if !m.Disabled {
				if perms, err = Permissions(tx, entID, m.Role); err != nil {
					return err
				}
			}
			out = append(out, MyEnterprise{Enterprise: e, Member: m, Permissions: perms})
			return nil
		})
	})
	return out, err
}

// Enterprise returns the enterprise entID as its enabled member accountID sees it.
func (s *Service) Enterprise(ctx context.Context, accountID, entID string) (MyEnterprise, error) {
	var out MyEnterprise
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		m, err := s.Require(tx, entID, accountID, "")
		if err != nil {
			return err
		}
		e, err := GetEnterprise(tx, entID)
		if err != nil {
			return err
		}
		perms, err := Permissions(tx, entID, m.Role)
		out = MyEnterprise{Enterprise: e, Member: m, Permissions: perms}
		return err
	})
	return out, err
}

// MaxPage bounds a page of a listing.
const MaxPage = 500

// Members returns up to limit members of entID after the account id after, in account-id order
// (one index range: a page costs the same with ten or a hundred thousand members). Any enabled
// member may list; phone numbers are masked unless the caller may manage members.
func (s *Service) Members(ctx context.Context, accountID, entID, after string, limit int) ([]Member, error) {
	if limit <= 0 || limit > MaxPage {
		limit = 100
	}
	out := []Member{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out = out[:0]
		me, err := s.Require(tx, entID, accountID, "")
		if err != nil {
			return err
		}
		manage, err := roleHas(tx, entID, me.Role, PermManageMembers)
		if err != nil {
			return err
		}
		prefix := entID + "/"
		from := ""
		if after != "" {
			from = prefix + after
		}
		return tx.Scan(BucketMembers, prefix, from, limit, func(k string, v []byte) error {
			m, err := decodeMember(k, v)
			if err != nil {
				return err
			}
			if !manage {
				m.Phone = maskPhone(m.Phone)
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

func maskPhone(p string) string {
	if len(p) != 11 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + "****" + p[7:]
}

// PutRole stores a custom role of an enterprise (for tests and tools; the role editor goes
// through the service's methods, which check and record the change).
func PutRole(tx sync.Tx, entID string, r Role) error { return putRole(tx, entID, r) }
