package org

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/notify"
	"sealdesk/core/sync"
)

// More buckets of the enterprise domain.
const (
	BucketInvites       = "invites"          // token → Invite
	BucketInviteLinks   = "invite_links"     // entID → InviteLink (the enterprise's current link)
	BucketJoinRequests  = "join_requests"    // entID/accountID → JoinRequest (待审核成员)
	BucketPhoneInvites  = "phone_invites"    // entID/phone → token of the personal invitation
	DefaultInviteTTL    = 7 * 24 * time.Hour // how long an invitation link works
	MaxRolesPerEnt      = 100
	MaxDepartmentsPerEn = 1000
)

// Invitation kinds.
const (
	InviteLinkKind     = "link"     // the enterprise's link and QR code, for anyone who has it
	InvitePersonalKind = "personal" // sent to one phone number by 添加成员 (name + phone)
)

// Invite is a way into an enterprise. Joining through one files a join request that waits in
// 待审核成员 until an admin approves it (manual 004 §3.1).
type Invite struct {
	Token        string    `json:"token"`
	EnterpriseID string    `json:"enterprise_id"`
	Kind         string    `json:"kind"`
	Name         string    `json:"name,omitempty"`  // personal: the name the admin typed
	Phone        string    `json:"phone,omitempty"` // personal: the only phone that may use it
	By           string    `json:"by"`              // account id of the admin
	Created      time.Time `json:"created"`
	Expires      time.Time `json:"expires"`
}

// InviteLink is the state of an enterprise's invitation link: the admin can switch it off and
// rotate it (the old link stops working at once).
type InviteLink struct {
	Token   string    `json:"token"`
	Enabled bool      `json:"enabled"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// JoinRequest is a person waiting in 待审核成员.
type JoinRequest struct {
	EnterpriseID string    `json:"enterprise_id"`
	AccountID    string    `json:"account_id"`
	Name         string    `json:"name"`
	Phone        string    `json:"phone,omitempty"`
	Via          string    `json:"via"` // InviteLinkKind or InvitePersonalKind
	Requested    time.Time `json:"requested"`
}

// InviteInfo is what a person who opens an invitation sees before joining.
type InviteInfo struct {
	EnterpriseID   string    `json:"enterprise_id"`
	EnterpriseName string    `json:"enterprise_name"`
	Verified       bool      `json:"verified"`
	Kind           string    `json:"kind"`
	Name           string    `json:"name,omitempty"`
	Expires        time.Time `json:"expires"`
}

func (s *Service) inviteTTL() time.Duration {
	if s.InviteTTL > 0 {
		return s.InviteTTL
	}
	return DefaultInviteTTL
}

func newToken() string {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "inv_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// entUpdate runs fn in an update transaction and, once committed, wakes the enterprise's long
// polls.
func (s *Service) entUpdate(ctx context.Context, entID string, fn func(tx sync.Tx, now time.Time) error) error {
	now := s.now()
	if err := s.Store.Update(ctx, func(tx sync.Tx) error { return fn(tx, now) }); err != nil {
		return err
	}
	s.notifyEnterprise(entID)
	return nil
}

// publicMember is a member as events carry it: every member reads the enterprise's scope, so the
// phone number is masked.
func publicMember(m Member) Member {
	m.Phone = maskPhone(m.Phone)
	return m
}

// --- invitation link and QR code --------------------------------------------------------------

// newLink makes and stores a fresh enabled link for entID, retiring the old one.
func (s *Service) newLink(tx sync.Tx, entID, actor string, now time.Time) (InviteLink, error) {
	var old InviteLink
	if err := sync.GetJSON(tx, BucketInviteLinks, entID, &old); err == nil {
		if err := tx.Delete(BucketInvites, old.Token); err != nil {
			return InviteLink{}, err
		}
	} else if !errors.Is(err, sync.ErrNotFound) {
		return InviteLink{}, err
	}
	l := InviteLink{Token: newToken(), Enabled: true, Created: now, Expires: now.Add(s.inviteTTL())}
	inv := Invite{Token: l.Token, EnterpriseID: entID, Kind: InviteLinkKind, By: actor, Created: now, Expires: l.Expires}
	if err := sync.InsertJSON(tx, BucketInvites, l.Token, inv); err != nil {
		return InviteLink{}, err
	}
	return l, sync.PutJSON(tx, BucketInviteLinks, entID, l)
}

// InviteLink returns the enterprise's invitation link (members.manage), making one on first use.
func (s *Service) InviteLink(ctx context.Context, actor, entID string) (InviteLink, error) {
	var l InviteLink
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if _, err := s.Require(tx, entID, actor, PermManageMembers); err != nil {
			return err
		}
		return sync.GetJSON(tx, BucketInviteLinks, entID, &l)
	})
	if !errors.Is(err, sync.ErrNotFound) {
		return l, err
	}
	err = s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.Require(tx, entID, actor, PermManageMembers); err != nil {
			return err
		}
		if err := sync.GetJSON(tx, BucketInviteLinks, entID, &l); err == nil || !errors.Is(err, sync.ErrNotFound) {
			return err // made meanwhile
		}
		var err error
		if l, err = s.newLink(tx, entID, actor, now); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "invite.created", map[string]any{"expires": l.Expires}, now, "")
	})
	return l, err
}

// RotateInvite replaces the enterprise's invitation link with a new one (enabled, with a fresh
// expiry); the old link stops working at once.
func (s *Service) RotateInvite(ctx context.Context, actor, entID string) (InviteLink, error) {
	var l InviteLink
	err := s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.Require(tx, entID, actor, PermManageMembers); err != nil {
			return err
		}
		var err error
		if l, err = s.newLink(tx, entID, actor, now); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "invite.rotated", map[string]any{"expires": l.Expires}, now, "")
	})
	return l, err
}

// SetInviteEnabled switches the enterprise's invitation link on or off (如果不允许再通过连接加入，
// 可以选择把链接关闭).
func (s *Service) SetInviteEnabled(ctx context.Context, actor, entID string, enabled bool) (InviteLink, error) {
	var l InviteLink
	err := s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.Require(tx, entID, actor, PermManageMembers); err != nil {
			return err
		}
		err := sync.GetJSON(tx, BucketInviteLinks, entID, &l)
		if errors.Is(err, sync.ErrNotFound) {
			l, err = s.newLink(tx, entID, actor, now)
		}
		if err != nil {
			return err
		}
		if l.Enabled == enabled {
			return nil
		}
		l.Enabled = enabled
		if err := sync.PutJSON(tx, BucketInviteLinks, entID, l); err != nil {
			return err
		}
		typ := "invite.disabled"
		if enabled {
			typ = "invite.enabled"
		}
		return s.record(tx, entID, actor, typ, map[string]any{"enabled": enabled}, now, "")
	})
	return l, err
}

var (
	errInviteInvalid  = refuse(http.StatusGone, "invite_invalid", "邀请链接已失效（可能已被管理员更换），请向企业管理员索取新的邀请链接")
	errInviteExpired  = refuse(http.StatusGone, "invite_expired", "邀请链接已过期，请向企业管理员索取新的邀请链接")
	errInviteDisabled = refuse(http.StatusGone, "invite_disabled", "该企业已关闭链接邀请，请联系企业管理员")
)

// checkInvite finds a usable invitation by its token.
func checkInvite(tx sync.Tx, token string, now time.Time) (Invite, error) {
	var inv Invite
	if !strings.HasPrefix(token, "inv_") || len(token) > 64 {
		return inv, errInviteInvalid
	}
	if err := sync.GetJSON(tx, BucketInvites, token, &inv); errors.Is(err, sync.ErrNotFound) {
		return inv, errInviteInvalid
	} else if err != nil {
		return inv, err
	}
	if inv.Kind == InviteLinkKind {
		var l InviteLink
		if err := sync.GetJSON(tx, BucketInviteLinks, inv.EnterpriseID, &l); errors.Is(err, sync.ErrNotFound) || l.Token != token {
			return inv, errInviteInvalid
		} else if err != nil {
			return inv, err
		}
		if !l.Enabled {
			return inv, errInviteDisabled
		}
	}
	if !now.Before(inv.Expires) {
		return inv, errInviteExpired
	}
	return inv, nil
}

// Invitation returns what a person opening an invitation sees (any signed-in person; the server
// also shows it on a public page).
func (s *Service) Invitation(ctx context.Context, token string) (InviteInfo, error) {
	var info InviteInfo
	now := s.now()
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		inv, err := checkInvite(tx, token, now)
		if err != nil {
			return err
		}
		e, err := GetEnterprise(tx, inv.EnterpriseID)
		if err != nil {
			return err
		}
		info = InviteInfo{EnterpriseID: e.ID, EnterpriseName: e.Name, Verified: e.Status == EntVerified, Kind: inv.Kind, Name: inv.Name, Expires: inv.Expires}
		return nil
	})
	return info, err
}

// Join files accountID's request to join through an invitation; it waits in 待审核成员. A
// personal invitation works only for the account with its phone number. Asking twice returns
// the waiting request.
func (s *Service) Join(ctx context.Context, accountID, token string) (JoinRequest, error) {
	var jr JoinRequest
	var entID string
	now := s.now()
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		inv, err := checkInvite(tx, token, now)
		if err != nil {
			return err
		}
		entID = inv.EnterpriseID
		var a Account
		if err := sync.GetJSON(tx, BucketAccounts, accountID, &a); err != nil {
			return err
		}
		if inv.Kind == InvitePersonalKind && a.Phone != inv.Phone {
			return refuse(http.StatusForbidden, "invite_other_phone", "该邀请是发给另一个手机号的，请用被邀请的手机号登录后再加入")
		}
		if m, err := GetMember(tx, entID, accountID); err == nil {
			if m.Disabled {
				return refuse(http.StatusConflict, "member_disabled", "您在该企业的账号已被停用，请联系企业管理员重新启用")
			}
			return refuse(http.StatusConflict, "already_member", "您已是该企业的成员")
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		key := memberKey(entID, accountID)
		if err := sync.GetJSON(tx, BucketJoinRequests, key, &jr); err == nil {
			return nil
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		name := memberName(a)
		if inv.Kind == InvitePersonalKind && inv.Name != "" && a.RealName == nil {
			name = inv.Name
		}
		jr = JoinRequest{EnterpriseID: entID, AccountID: accountID, Name: name, Phone: a.Phone, Via: inv.Kind, Requested: now}
		if err := sync.InsertJSON(tx, BucketJoinRequests, key, jr); err != nil {
			return err
		}
		p := jr
		p.Phone = maskPhone(p.Phone)
		return s.record(tx, entID, accountID, "member.join_requested", p, now, inv.Kind)
	})
	if err != nil {
		return JoinRequest{}, err
	}
	s.notifyEnterprise(entID)
	return jr, nil
}

// JoinRequests lists the requests waiting in 待审核成员 (members.manage).
func (s *Service) JoinRequests(ctx context.Context, actor, entID string) ([]JoinRequest, error) {
	out := []JoinRequest{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out = out[:0]
		if _, err := s.Require(tx, entID, actor, PermManageMembers); err != nil {
			return err
		}
		return tx.Scan(BucketJoinRequests, entID+"/", "", MaxPage, func(_ string, v []byte) error {
			var jr JoinRequest
			if err := jsonUnmarshal(v, &jr); err != nil {
				return err
			}
			out = append(out, jr)
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b JoinRequest) int { return a.Requested.Compare(b.Requested) })
	return out, err
}

// DecideJoin approves (the person becomes a RoleMember) or rejects a waiting join request
// (members.manage).
func (s *Service) DecideJoin(ctx context.Context, actor, entID, accountID string, approve bool) (Member, error) {
	var m Member
	err := s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.Require(tx, entID, actor, PermManageMembers); err != nil {
			return err
		}
		var jr JoinRequest
		key := memberKey(entID, accountID)
		if err := sync.GetJSON(tx, BucketJoinRequests, key, &jr); errors.Is(err, sync.ErrNotFound) {
			return refuse(http.StatusNotFound, "no_join_request", "该成员申请不存在或已处理")
		} else if err != nil {
			return err
		}
		if err := tx.Delete(BucketJoinRequests, key); err != nil {
			return err
		}
		if !approve {
			p := jr
			p.Phone = maskPhone(p.Phone)
			return s.record(tx, entID, actor, "member.join_rejected", p, now, accountID)
		}
		m = Member{EnterpriseID: entID, AccountID: accountID, Name: jr.Name, Phone: jr.Phone, Role: RoleMember, Joined: now}
		if err := putMember(tx, m, true); errors.Is(err, sync.ErrExists) {
			return refuse(http.StatusConflict, "already_member", "该用户已是企业成员")
		} else if err != nil {
			return err
		}
		// The personal invitation is used up: a member removed later cannot join again with it
		// (red team #7).
		if tok, err := tx.Get(BucketPhoneInvites, entID+"/"+jr.Phone); err == nil {
			if err := tx.Delete(BucketInvites, string(tok)); err != nil {
				return err
			}
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		if err := tx.Delete(BucketPhoneInvites, entID+"/"+jr.Phone); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "member.joined", publicMember(m), now, accountID)
	})
	if err == nil && approve {
		s.notify(accountID)
	}
	return m, err
}

// AddMember invites a colleague by name and mobile number (邀请同事加入): a personal invitation
// link goes to the phone by SMS; the colleague opens it, signs in with that number and asks to
// join, and an admin approves in 待审核成员 (manual 004 §3.1). It returns the invitation (its
// token makes the link the admin may also pass on).
func (s *Service) AddMember(ctx context.Context, actor, entID, name, phone string) (Invite, error) {
	name, err := CheckName(name)
	if err != nil {
		return Invite{}, err
	}
	login, ch, err := NormalizeLogin(phone)
	if err != nil || ch != notify.SMS {
		return Invite{}, refuse(http.StatusBadRequest, "bad_phone", "请输入正确的 11 位手机号码")
	}
	var inv Invite
	var entName string
	err = s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.Require(tx, entID, actor, PermManageMembers); err != nil {
			return err
		}
		e, err := GetEnterprise(tx, entID)
		if err != nil {
			return err
		}
		entName = e.Name
		if id, err := tx.Get(BucketLogins, loginKey(login, notify.SMS)); err == nil {
			if _, err := GetMember(tx, entID, string(id)); err == nil {
				return refuse(http.StatusConflict, "already_member", "该手机号的用户已是企业成员")
			} else if !errors.Is(err, sync.ErrNotFound) {
				return err
			}
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		// One personal invitation per number: a new one replaces the old.
		pk := entID + "/" + login
		if old, err := tx.Get(BucketPhoneInvites, pk); err == nil {
			if err := tx.Delete(BucketInvites, string(old)); err != nil {
				return err
			}
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		inv = Invite{Token: newToken(), EnterpriseID: entID, Kind: InvitePersonalKind, Name: name, Phone: login, By: actor, Created: now, Expires: now.Add(s.inviteTTL())}
		if err := sync.InsertJSON(tx, BucketInvites, inv.Token, inv); err != nil {
			return err
		}
		if err := tx.Put(BucketPhoneInvites, pk, []byte(inv.Token)); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "member.invited", map[string]any{"name": name, "phone": maskPhone(login)}, now, maskPhone(login))
	})
	if err != nil {
		return Invite{}, err
	}
	if s.Notifier != nil {
		link := inv.Token
		if s.InviteURL != nil {
			link = s.InviteURL(inv.Token)
		}
		// Best effort: the admin also gets the link to pass on.
		s.Notifier.Send(ctx, notify.Message{Channel: notify.SMS, To: login, Time: s.now(),
			Body: fmt.Sprintf("【SealDesk】%s，您好，企业「%s」邀请您加入。请打开链接并用本手机号登录后申请加入：%s", name, entName, link)})
	}
	return inv, nil
}

// --- members ----------------------------------------------------------------------------------

// target reads the member an admin acts on, with the rules every such change shares: not the
// actor themselves, not the 主管理员, and a 子管理员 only by the 主管理员 or another 子管理员.
func target(tx sync.Tx, me Member, entID, accountID, verb string) (Member, error) {
	m, err := GetMember(tx, entID, accountID)
	if errors.Is(err, sync.ErrNotFound) {
		return m, refuse(http.StatusNotFound, "no_member", "该成员不存在")
	}
	if err != nil {
		return m, err
	}
	if m.AccountID == me.AccountID {
		return m, refuse(http.StatusConflict, "self", "不能"+verb+"自己")
	}
	if m.Role == RoleOwner {
		return m, refuse(http.StatusConflict, "owner", "不能"+verb+"主管理员；请先转让主管理员")
	}
	if m.Role == RoleAdmin && me.Role != RoleOwner && me.Role != RoleAdmin {
		return m, errAdminOnly
	}
	return m, nil
}

// SetMemberDisabled disables a departed member (no use of the enterprise at all from the next
// request on: Require refuses them) or enables them again (members.manage).
func (s *Service) SetMemberDisabled(ctx context.Context, actor, entID, accountID string, disabled bool) (Member, error) {
	var m Member
	verb := "停用"
	if !disabled {
		verb = "启用"
	}
	err := s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		me, err := s.Require(tx, entID, actor, PermManageMembers)
		if err != nil {
			return err
		}
		if m, err = target(tx, me, entID, accountID, verb); err != nil {
			return err
		}
		if m.Disabled == disabled {
			return nil
		}
		m.Disabled = disabled
		if err := putMember(tx, m, false); err != nil {
			return err
		}
		typ := "member.disabled"
		if !disabled {
			typ = "member.enabled"
		}
		return s.record(tx, entID, actor, typ, publicMember(m), now, accountID)
	})
	if err == nil {
		s.notify(accountID)
	}
	return m, err
}

// RemoveMember deletes a member from the enterprise (members.manage).
func (s *Service) RemoveMember(ctx context.Context, actor, entID, accountID string) error {
	err := s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		me, err := s.Require(tx, entID, actor, PermManageMembers)
		if err != nil {
			return err
		}
		m, err := target(tx, me, entID, accountID, "移除")
		if err != nil {
			return err
		}
		if err := deleteMember(tx, m); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "member.removed", publicMember(m), now, accountID)
	})
	if err == nil {
		s.notify(accountID)
	}
	return err
}

// MemberUpdate changes a member's role, department or display name (nil: unchanged).
type MemberUpdate struct {
	Role       *string `json:"role,omitempty"`
	Department *string `json:"department,omitempty"`
	Name       *string `json:"name,omitempty"`
}

// UpdateMember changes a member (members.manage). Nobody changes their own role; 主管理员 is
// given only by the main-admin transfer; 子管理员 is given and taken only by 主管理员 and
// 子管理员; a manager who is not an admin may give only roles whose permissions they hold
// themselves.
func (s *Service) UpdateMember(ctx context.Context, actor, entID, accountID string, u MemberUpdate) (Member, error) {
	var m Member
	var name string
	if u.Name != nil {
		var err error
		if name, err = CheckName(*u.Name); err != nil {
			return Member{}, err
		}
	}
	err := s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		me, err := s.Require(tx, entID, actor, PermManageMembers)
		if err != nil {
			return err
		}
		m, err = GetMember(tx, entID, accountID)
		if errors.Is(err, sync.ErrNotFound) {
			return refuse(http.StatusNotFound, "no_member", "该成员不存在")
		} else if err != nil {
			return err
		}
		if (m.Role == RoleAdmin || m.Role == RoleOwner) && me.Role != RoleOwner && me.Role != RoleAdmin {
			return errAdminOnly // the 主管理员 is protected at least as a 子管理员 is (red team #6)
		}
		if u.Role != nil && *u.Role != m.Role {
			role := *u.Role
			switch {
			case m.AccountID == actor:
				return refuse(http.StatusConflict, "self", "不能修改自己的角色")
			case role == RoleOwner || m.Role == RoleOwner:
				return refuse(http.StatusConflict, "owner", "主管理员只能通过「转让主管理员」变更")
			case role == RoleAdmin && me.Role != RoleOwner && me.Role != RoleAdmin:
				return errAdminOnly
			case role == RoleMember, role == RoleAdmin:
			case IsCustomRole(role):
				r, err := GetRole(tx, entID, role)
				if errors.Is(err, sync.ErrNotFound) {
					return refuse(http.StatusBadRequest, "no_role", "该角色不存在")
				} else if err != nil {
					return err
				}
				if me.Role != RoleOwner && me.Role != RoleAdmin {
					for _, p := range r.Permissions {
						if ok, err := roleHas(tx, entID, me.Role, p); err != nil {
							return err
						} else if !ok {
							return refuse(http.StatusForbidden, "permission_denied", "不能授予自己没有的权限：「"+p.Label()+"」")
						}
					}
				}
				// Written again so that deleting the role meanwhile conflicts with this.
				if err := putRole(tx, entID, r); err != nil {
					return err
				}
			default:
				return refuse(http.StatusBadRequest, "no_role", "该角色不存在")
			}
			m.Role = role
		}
		if u.Department != nil && *u.Department != m.Department {
			if d := *u.Department; d != "" {
				var dep Department
				if err := sync.GetJSON(tx, BucketDepartments, entID+"/"+d, &dep); errors.Is(err, sync.ErrNotFound) {
					return refuse(http.StatusBadRequest, "no_department", "该部门不存在")
				} else if err != nil {
					return err
				}
				if err := sync.PutJSON(tx, BucketDepartments, entID+"/"+d, dep); err != nil {
					return err
				}
			}
			m.Department = *u.Department
		}
		if u.Name != nil {
			m.Name = name
		}
		if err := putMember(tx, m, false); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "member.updated", publicMember(m), now, accountID)
	})
	return m, err
}

// --- roles ------------------------------------------------------------------------------------

// checkRole validates a role's name and permissions.
func checkRole(name string, perms []Permission) (string, []Permission, error) {
	name, ok := normalizeText(name)
	if n := utf8.RuneCountInString(name); !ok || n < 1 || n > 20 {
		return "", nil, refuse(http.StatusBadRequest, "bad_role", "角色名称须为 1–20 个字符")
	}
	out := []Permission{}
	for _, p := range AllPermissions { // in the editor's order, without repeats
		if slices.Contains(perms, p) {
			out = append(out, p)
		}
	}
	for _, p := range perms {
		if !p.Known() {
			return "", nil, refuse(http.StatusBadRequest, "bad_permission", "未知的权限："+string(p))
		}
	}
	return name, out, nil
}

// Roles lists the enterprise's custom roles (any enabled member), in id order.
func (s *Service) Roles(ctx context.Context, actor, entID string) ([]Role, error) {
	out := []Role{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out = out[:0]
		if _, err := s.Require(tx, entID, actor, ""); err != nil {
			return err
		}
		return tx.Scan(BucketRoles, entID+"/", "", MaxRolesPerEnt, func(k string, v []byte) error {
			r, err := decodeRole(k, v)
			out = append(out, r)
			return err
		})
	})
	return out, err
}

// CreateRole adds a custom role (主管理员 and 子管理员 only: a role decides who may do what).
func (s *Service) CreateRole(ctx context.Context, actor, entID, name string, perms []Permission) (Role, error) {
	name, perms, err := checkRole(name, perms)
	if err != nil {
		return Role{}, err
	}
	var r Role
	err = s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		n := 0
		if err := tx.Scan(BucketRoles, entID+"/", "", MaxRolesPerEnt, func(string, []byte) error { n++; return nil }); err != nil {
			return err
		}
		if n >= MaxRolesPerEnt {
			return refuse(http.StatusConflict, "too_many_roles", fmt.Sprintf("每个企业最多 %d 个自定义角色", MaxRolesPerEnt))
		}
		r = Role{ID: randomID("r_"), Name: name, Permissions: perms, Created: now}
		if err := putRole(tx, entID, r); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "role.created", r, now, r.ID)
	})
	return r, err
}

// UpdateRole renames a custom role and sets its permissions (主管理员 and 子管理员 only); its
// members have the new permissions from the next request on.
func (s *Service) UpdateRole(ctx context.Context, actor, entID, roleID, name string, perms []Permission) (Role, error) {
	name, perms, err := checkRole(name, perms)
	if err != nil {
		return Role{}, err
	}
	var r Role
	err = s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		r, err = GetRole(tx, entID, roleID)
		if errors.Is(err, sync.ErrNotFound) || !IsCustomRole(roleID) {
			return refuse(http.StatusNotFound, "no_role", "该角色不存在")
		} else if err != nil {
			return err
		}
		r.Name, r.Permissions = name, perms
		if err := putRole(tx, entID, r); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "role.updated", r, now, r.ID)
	})
	return r, err
}

// DeleteRole deletes a custom role that no member holds (主管理员 and 子管理员 only).
func (s *Service) DeleteRole(ctx context.Context, actor, entID, roleID string) error {
	return s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		r, err := GetRole(tx, entID, roleID)
		if errors.Is(err, sync.ErrNotFound) || !IsCustomRole(roleID) {
			return refuse(http.StatusNotFound, "no_role", "该角色不存在")
		} else if err != nil {
			return err
		}
		used := ""
		if err := scanMembers(tx, entID, func(m Member) error {
			if m.Role == roleID {
				used = m.Name
				return sync.ErrStopScan
			}
			return nil
		}); err != nil {
			return err
		}
		if used != "" {
			return refuse(http.StatusConflict, "role_in_use", "仍有成员（如 "+used+"）使用该角色，请先为他们更换角色")
		}
		sync.Touch(tx, EnterpriseScope(entID))
		if err := tx.Delete(BucketRoles, entID+"/"+roleID); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "role.deleted", r, now, r.ID)
	})
}

// scanMembers calls fn for every member of entID (fn may stop it with sync.ErrStopScan).
func scanMembers(tx sync.Tx, entID string, fn func(Member) error) error {
	return tx.Scan(BucketMembers, entID+"/", "", 0, func(k string, v []byte) error {
		m, err := decodeMember(k, v)
		if err != nil {
			return err
		}
		return fn(m)
	})
}

// --- departments ------------------------------------------------------------------------------

// Departments lists the enterprise's departments (any enabled member); the tree is given by
// Parent.
func (s *Service) Departments(ctx context.Context, actor, entID string) ([]Department, error) {
	out := []Department{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out = out[:0]
		if _, err := s.Require(tx, entID, actor, ""); err != nil {
			return err
		}
		return tx.Scan(BucketDepartments, entID+"/", "", MaxDepartmentsPerEn, func(_ string, v []byte) error {
			var d Department
			if err := jsonUnmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

func checkDepartmentName(name string) (string, error) {
	name, ok := normalizeText(name)
	if n := utf8.RuneCountInString(name); !ok || n < 1 || n > 40 {
		return "", refuse(http.StatusBadRequest, "bad_department", "部门名称须为 1–40 个字符")
	}
	return name, nil
}

// checkParent verifies that parent exists and that making it id's parent makes no cycle.
func checkParent(tx sync.Tx, entID, id, parent string) error {
	seen := 0
	for p := parent; p != ""; seen++ {
		if p == id {
			return refuse(http.StatusConflict, "department_cycle", "不能把部门移到它自己或它的下级部门之下")
		}
		if seen > MaxDepartmentsPerEn {
			return fmt.Errorf("department tree of %s has a cycle", entID)
		}
		var d Department
		if err := sync.GetJSON(tx, BucketDepartments, entID+"/"+p, &d); errors.Is(err, sync.ErrNotFound) {
			return refuse(http.StatusBadRequest, "no_department", "上级部门不存在")
		} else if err != nil {
			return err
		}
		p = d.Parent
	}
	return nil
}

// CreateDepartment adds a department under parent ("" for the top level) (members.manage).
func (s *Service) CreateDepartment(ctx context.Context, actor, entID, name, parent string) (Department, error) {
	name, err := checkDepartmentName(name)
	if err != nil {
		return Department{}, err
	}
	var d Department
	err = s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.Require(tx, entID, actor, PermManageMembers); err != nil {
			return err
		}
		d = Department{ID: randomID("d_"), Name: name, Parent: parent}
		if err := checkParent(tx, entID, d.ID, parent); err != nil {
			return err
		}
		if err := sync.PutJSON(tx, BucketDepartments, entID+"/"+d.ID, d); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "department.created", d, now, d.ID)
	})
	return d, err
}

// UpdateDepartment renames a department or moves it under another parent (members.manage).
func (s *Service) UpdateDepartment(ctx context.Context, actor, entID, id, name, parent string) (Department, error) {
	name, err := checkDepartmentName(name)
	if err != nil {
		return Department{}, err
	}
	var d Department
	err = s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.Require(tx, entID, actor, PermManageMembers); err != nil {
			return err
		}
		if err := sync.GetJSON(tx, BucketDepartments, entID+"/"+id, &d); errors.Is(err, sync.ErrNotFound) {
			return refuse(http.StatusNotFound, "no_department", "该部门不存在")
		} else if err != nil {
			return err
		}
		if err := checkParent(tx, entID, id, parent); err != nil {
			return err
		}
		d.Name, d.Parent = name, parent
		if err := sync.PutJSON(tx, BucketDepartments, entID+"/"+id, d); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "department.updated", d, now, d.ID)
	})
	return d, err
}

// DeleteDepartment deletes a department without sub-departments or members (members.manage).
func (s *Service) DeleteDepartment(ctx context.Context, actor, entID, id string) error {
	return s.entUpdate(ctx, entID, func(tx sync.Tx, now time.Time) error {
		if _, err := s.Require(tx, entID, actor, PermManageMembers); err != nil {
			return err
		}
		var d Department
		if err := sync.GetJSON(tx, BucketDepartments, entID+"/"+id, &d); errors.Is(err, sync.ErrNotFound) {
			return refuse(http.StatusNotFound, "no_department", "该部门不存在")
		} else if err != nil {
			return err
		}
		busy := ""
		if err := tx.Scan(BucketDepartments, entID+"/", "", 0, func(_ string, v []byte) error {
			var c Department
			if err := jsonUnmarshal(v, &c); err != nil {
				return err
			}
			if c.Parent == id {
				busy = "该部门下还有子部门「" + c.Name + "」，请先移走或删除"
				return sync.ErrStopScan
			}
			return nil
		}); err != nil {
			return err
		}
		if busy == "" {
			if err := scanMembers(tx, entID, func(m Member) error {
				if m.Department == id {
					busy = "该部门下还有成员（如 " + m.Name + "），请先调整他们的部门"
					return sync.ErrStopScan
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if busy != "" {
			return refuse(http.StatusConflict, "department_not_empty", busy)
		}
		if err := tx.Delete(BucketDepartments, entID+"/"+id); err != nil {
			return err
		}
		return s.record(tx, entID, actor, "department.deleted", d, now, d.ID)
	})
}

// --- audit ------------------------------------------------------------------------------------

// AuditRecord is one line of an enterprise's audit log with its key (pass the last key as
// after to page).
type AuditRecord struct {
	Key string `json:"key"`
	sync.AuditEntry
}

// EnterpriseAudit returns up to limit lines of the enterprise's audit log after the key after,
// oldest first (主管理员 and 子管理员 only).
func (s *Service) EnterpriseAudit(ctx context.Context, actor, entID, after string, limit int) ([]AuditRecord, error) {
	if limit <= 0 || limit > 5000 {
		limit = 200
	}
	out := []AuditRecord{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out = out[:0]
		if _, err := s.RequireAdmin(tx, entID, actor); err != nil {
			return err
		}
		prefix := entID + "/"
		from := ""
		if after != "" {
			from = prefix + after
		}
		return tx.Scan(BucketEnterpriseAudit, prefix, from, limit, func(k string, v []byte) error {
			var a sync.AuditEntry
			if err := jsonUnmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, AuditRecord{Key: strings.TrimPrefix(k, prefix), AuditEntry: a})
			return nil
		})
	})
	return out, err
}
