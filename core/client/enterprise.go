package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"sealdesk/core/api"
	"sealdesk/core/org"
)

// The enterprise API (SPEC §3). Every call answers 403 with code not_member, member_disabled or
// permission_denied (and a Chinese message) when the account may not do it.

func entPath(id string, rest ...string) string {
	p := "/api/v1/enterprises/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// CreateEnterprise registers a company (name + unified social credit code); the caller becomes
// its 主管理员. A legacy code comes back with CreditCodeWarning set.
func (c *Client) CreateEnterprise(ctx context.Context, name, creditCode string) (org.Enterprise, error) {
	var e org.Enterprise
	return e, c.json(ctx, "POST", "/api/v1/enterprises", api.CreateEnterpriseRequest{Name: name, CreditCode: creditCode}, &e)
}

// MyEnterprises lists the enterprises the account belongs to, with its role and permissions in
// each.
func (c *Client) MyEnterprises(ctx context.Context) ([]org.MyEnterprise, error) {
	var r []org.MyEnterprise
	return r, c.json(ctx, "GET", "/api/v1/enterprises", nil, &r)
}

// Enterprise returns one enterprise with the caller's membership and permissions.
func (c *Client) Enterprise(ctx context.Context, id string) (org.MyEnterprise, error) {
	var r org.MyEnterprise
	return r, c.json(ctx, "GET", entPath(id), nil, &r)
}

// Members returns a page of an enterprise's members in account-id order, after the account id
// after ("" for the first page); limit 0 means 100.
func (c *Client) Members(ctx context.Context, id, after string, limit int) ([]org.Member, error) {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var r []org.Member
	return r, c.json(ctx, "GET", entPath(id, "members")+"?"+q.Encode(), nil, &r)
}

// InviteLink returns the enterprise's invitation link (members.manage), made on first use.
func (c *Client) InviteLink(ctx context.Context, id string) (api.InviteLink, error) {
	var r api.InviteLink
	return r, c.json(ctx, "GET", entPath(id, "invite"), nil, &r)
}

// SetInviteEnabled switches the invitation link on or off.
func (c *Client) SetInviteEnabled(ctx context.Context, id string, enabled bool) (api.InviteLink, error) {
	var r api.InviteLink
	return r, c.json(ctx, "PUT", entPath(id, "invite"), api.InviteSwitchRequest{Enabled: enabled}, &r)
}

// RotateInvite replaces the invitation link; the old one stops working at once.
func (c *Client) RotateInvite(ctx context.Context, id string) (api.InviteLink, error) {
	var r api.InviteLink
	return r, c.json(ctx, "POST", entPath(id, "invite", "rotate"), nil, &r)
}

// InviteQR returns the PNG QR code of the invitation link (for the 企业 screen to show).
func (c *Client) InviteQR(ctx context.Context, id string) ([]byte, error) {
	_, b, err := c.do(ctx, "GET", entPath(id, "invite", "qr.png"), nil, nil, nil)
	return b, err
}

// inviteToken accepts an invitation link (https://…/join/<token>) or a bare token.
func inviteToken(linkOrToken string) string {
	if i := strings.LastIndex(linkOrToken, "/join/"); i >= 0 {
		linkOrToken = linkOrToken[i+len("/join/"):]
	}
	if i := strings.IndexAny(linkOrToken, "?#"); i >= 0 {
		linkOrToken = linkOrToken[:i]
	}
	return strings.TrimSpace(linkOrToken)
}

// Invitation shows what an invitation (link or token) leads to, before joining.
func (c *Client) Invitation(ctx context.Context, linkOrToken string) (org.InviteInfo, error) {
	var r org.InviteInfo
	return r, c.json(ctx, "GET", "/api/v1/invites/"+url.PathEscape(inviteToken(linkOrToken)), nil, &r)
}

// Join asks to join through an invitation (link or token); the request waits in 待审核成员.
func (c *Client) Join(ctx context.Context, linkOrToken string) (org.JoinRequest, error) {
	var r org.JoinRequest
	return r, c.json(ctx, "POST", "/api/v1/invites/"+url.PathEscape(inviteToken(linkOrToken))+"/join", nil, &r)
}

// JoinRequests lists 待审核成员 (members.manage).
func (c *Client) JoinRequests(ctx context.Context, id string) ([]org.JoinRequest, error) {
	var r []org.JoinRequest
	return r, c.json(ctx, "GET", entPath(id, "join-requests"), nil, &r)
}

// ApproveJoin admits a waiting person as a member.
func (c *Client) ApproveJoin(ctx context.Context, id, accountID string) (org.Member, error) {
	var r org.Member
	return r, c.json(ctx, "POST", entPath(id, "join-requests", url.PathEscape(accountID), "approve"), nil, &r)
}

// RejectJoin turns a waiting request down.
func (c *Client) RejectJoin(ctx context.Context, id, accountID string) error {
	return c.json(ctx, "POST", entPath(id, "join-requests", url.PathEscape(accountID), "reject"), nil, nil)
}

// AddMember invites a colleague by name and mobile number: an SMS with a personal link; the
// answer carries the link too.
func (c *Client) AddMember(ctx context.Context, id, name, phone string) (api.Invitation, error) {
	var r api.Invitation
	return r, c.json(ctx, "POST", entPath(id, "members"), api.AddMemberRequest{Name: name, Phone: phone}, &r)
}

// UpdateMember changes a member's role, department or name (nil fields unchanged).
func (c *Client) UpdateMember(ctx context.Context, id, accountID string, u org.MemberUpdate) (org.Member, error) {
	var r org.Member
	return r, c.json(ctx, "PUT", entPath(id, "members", url.PathEscape(accountID)), u, &r)
}

// SetMemberRole is UpdateMember of the role only (RoleAdmin, RoleMember or a custom role id).
func (c *Client) SetMemberRole(ctx context.Context, id, accountID, role string) (org.Member, error) {
	return c.UpdateMember(ctx, id, accountID, org.MemberUpdate{Role: &role})
}

// RemoveMember deletes a member from the enterprise.
func (c *Client) RemoveMember(ctx context.Context, id, accountID string) error {
	return c.json(ctx, "DELETE", entPath(id, "members", url.PathEscape(accountID)), nil, nil)
}

// DisableMember disables a departed member: from the next request on they can use nothing of
// the enterprise.
func (c *Client) DisableMember(ctx context.Context, id, accountID string) (org.Member, error) {
	var r org.Member
	return r, c.json(ctx, "POST", entPath(id, "members", url.PathEscape(accountID), "disable"), nil, &r)
}

// EnableMember enables a disabled member again.
func (c *Client) EnableMember(ctx context.Context, id, accountID string) (org.Member, error) {
	var r org.Member
	return r, c.json(ctx, "POST", entPath(id, "members", url.PathEscape(accountID), "enable"), nil, &r)
}

// Roles lists the custom roles.
func (c *Client) Roles(ctx context.Context, id string) ([]org.Role, error) {
	var r []org.Role
	return r, c.json(ctx, "GET", entPath(id, "roles"), nil, &r)
}

// CreateRole adds a custom role (主管理员 and 子管理员).
func (c *Client) CreateRole(ctx context.Context, id, name string, perms []org.Permission) (org.Role, error) {
	var r org.Role
	return r, c.json(ctx, "POST", entPath(id, "roles"), api.RoleRequest{Name: name, Permissions: perms}, &r)
}

// UpdateRole renames a custom role and sets its permissions.
func (c *Client) UpdateRole(ctx context.Context, id, roleID, name string, perms []org.Permission) (org.Role, error) {
	var r org.Role
	return r, c.json(ctx, "PUT", entPath(id, "roles", url.PathEscape(roleID)), api.RoleRequest{Name: name, Permissions: perms}, &r)
}

// DeleteRole deletes a custom role no member holds.
func (c *Client) DeleteRole(ctx context.Context, id, roleID string) error {
	return c.json(ctx, "DELETE", entPath(id, "roles", url.PathEscape(roleID)), nil, nil)
}

// Departments lists the department tree (by Parent).
func (c *Client) Departments(ctx context.Context, id string) ([]org.Department, error) {
	var r []org.Department
	return r, c.json(ctx, "GET", entPath(id, "departments"), nil, &r)
}

// CreateDepartment adds a department under parent ("" for the top level).
func (c *Client) CreateDepartment(ctx context.Context, id, name, parent string) (org.Department, error) {
	var r org.Department
	return r, c.json(ctx, "POST", entPath(id, "departments"), api.DepartmentRequest{Name: name, Parent: parent}, &r)
}

// UpdateDepartment renames or moves a department.
func (c *Client) UpdateDepartment(ctx context.Context, id, deptID, name, parent string) (org.Department, error) {
	var r org.Department
	return r, c.json(ctx, "PUT", entPath(id, "departments", url.PathEscape(deptID)), api.DepartmentRequest{Name: name, Parent: parent}, &r)
}

// DeleteDepartment deletes an empty department.
func (c *Client) DeleteDepartment(ctx context.Context, id, deptID string) error {
	return c.json(ctx, "DELETE", entPath(id, "departments", url.PathEscape(deptID)), nil, nil)
}

// EnterpriseAudit reads a page of the enterprise's audit log (主管理员 and 子管理员).
func (c *Client) EnterpriseAudit(ctx context.Context, id, after string, limit int) ([]org.AuditRecord, error) {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var r []org.AuditRecord
	return r, c.json(ctx, "GET", entPath(id, "audit")+"?"+q.Encode(), nil, &r)
}

// EnterpriseAuditCSV downloads the whole audit log as CSV (UTF-8 with BOM).
func (c *Client) EnterpriseAuditCSV(ctx context.Context, id string) ([]byte, error) {
	_, b, err := c.do(ctx, "GET", entPath(id, "audit.csv"), nil, nil, nil)
	return b, err
}

// StartVerification starts verifying the enterprise (主管理员 and 子管理员): method
// org.MethodLegalRep, org.MethodDeposit or org.MethodManual.
func (c *Client) StartVerification(ctx context.Context, id string, r org.VerificationRequest) (org.EntVerification, error) {
	var v org.EntVerification
	return v, c.json(ctx, "POST", entPath(id, "verification"), r, &v)
}

// EnterpriseVerification returns the enterprise's latest verification attempt.
func (c *Client) EnterpriseVerification(ctx context.Context, id string) (org.EntVerification, error) {
	var v org.EntVerification
	return v, c.json(ctx, "GET", entPath(id, "verification"), nil, &v)
}

// ConfirmEnterpriseDeposit sends the micro-deposit amount of the enterprise's verification read
// on the bank statement ("0.37"); three wrong amounts end the attempt.
func (c *Client) ConfirmEnterpriseDeposit(ctx context.Context, id, amount string) (org.EntVerification, error) {
	var v org.EntVerification
	return v, c.json(ctx, "POST", entPath(id, "verification", "deposit"), api.DepositAmount{Amount: amount}, &v)
}

// UploadVerification uploads one image of a manual verification (kind from
// org.EntUploadKinds; PNG or JPEG ≤ 5 MB).
func (c *Client) UploadVerification(ctx context.Context, id, kind string, data []byte) (org.EntVerification, error) {
	var v org.EntVerification
	_, _, err := c.do(ctx, "PUT", entPath(id, "verification", "uploads", url.PathEscape(kind)),
		http.Header{"Content-Type": {http.DetectContentType(data)}}, data, &v)
	return v, err
}

// EnterpriseReviews lists manual enterprise verifications for review (server admin; status ""
// means pending, "all" all).
func (c *Client) EnterpriseReviews(ctx context.Context, status string) ([]org.EntVerification, error) {
	var r []org.EntVerification
	p := "/api/v1/admin/enterprise-reviews"
	if status != "" {
		p += "?status=" + url.QueryEscape(status)
	}
	return r, c.json(ctx, "GET", p, nil, &r)
}

// EnterpriseReview returns one enterprise verification in full (server admin).
func (c *Client) EnterpriseReview(ctx context.Context, id string) (org.EntVerification, error) {
	var v org.EntVerification
	return v, c.json(ctx, "GET", "/api/v1/admin/enterprise-reviews/"+url.PathEscape(id), nil, &v)
}

// EnterpriseReviewUpload downloads one upload of an enterprise verification (server admin).
func (c *Client) EnterpriseReviewUpload(ctx context.Context, id, kind string) ([]byte, string, error) {
	resp, b, err := c.do(ctx, "GET", "/api/v1/admin/enterprise-reviews/"+url.PathEscape(id)+"/uploads/"+url.PathEscape(kind), nil, nil, nil)
	if err != nil {
		return nil, "", err
	}
	return b, resp.Header.Get("Content-Type"), nil
}

// ApproveEnterprise approves a manual enterprise verification (server admin).
func (c *Client) ApproveEnterprise(ctx context.Context, id string) (org.EntVerification, error) {
	var v org.EntVerification
	return v, c.json(ctx, "POST", "/api/v1/admin/enterprise-reviews/"+url.PathEscape(id)+"/approve", nil, &v)
}

// RejectEnterprise rejects a manual enterprise verification with a reason (server admin).
func (c *Client) RejectEnterprise(ctx context.Context, id, reason string) (org.EntVerification, error) {
	var v org.EntVerification
	return v, c.json(ctx, "POST", "/api/v1/admin/enterprise-reviews/"+url.PathEscape(id)+"/reject", api.DecisionRequest{Reason: reason}, &v)
}
