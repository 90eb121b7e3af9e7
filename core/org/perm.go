package org

// Permission is one right inside an enterprise (SPEC §3). Roles are sets of permissions: 主管理员
// and 子管理员 hold all of them; custom roles hold the ones the admin ticks. Every server route that
// touches an enterprise names the permission it needs; the desktop hides what the member lacks.
type Permission string

// The permissions of SPEC §3. The string values are stored in role records and sent to clients:
// never change one.
const (
	PermSendContracts      Permission = "contracts.send"      // 发起合同
	PermViewAllContracts   Permission = "contracts.view_all"  // 查看企业全部合同
	PermManageTemplates    Permission = "templates.manage"    // 管理模板
	PermManageSeals        Permission = "seals.manage"        // 管理印章
	PermGrantSeals         Permission = "seals.grant"         // 授权印章
	PermApproveSealUse     Permission = "seals.approve"       // 审批用印申请
	PermManageMembers      Permission = "members.manage"      // 管理成员
	PermBilling            Permission = "billing"             // 费用中心：购买、开票
	PermManageIntegrations Permission = "integrations.manage" // 对接集成（Webhook）
	PermManageApprovals    Permission = "approvals.manage"    // 管理审批流程（审批规则）
	PermApproveContracts   Permission = "approvals.approve"   // 审批合同（发送与用印审批）
	PermManageArchive      Permission = "archive.manage"      // 管理档案柜
	PermManageAPIKeys      Permission = "api.manage"          // 开放接口：API 密钥
)

// AllPermissions lists every permission in the order the role editor shows them.
var AllPermissions = []Permission{PermSendContracts, PermViewAllContracts, PermManageTemplates,
	PermManageSeals, PermGrantSeals, PermApproveSealUse, PermManageMembers, PermBilling,
	PermManageIntegrations, PermManageApprovals, PermApproveContracts, PermManageArchive, PermManageAPIKeys}

// The built-in roles. A member has exactly one role; an enterprise has exactly one RoleOwner.
const (
	RoleOwner  = "owner"  // 主管理员: every permission, transferable, exactly one
	RoleAdmin  = "admin"  // 子管理员: every permission
	RoleMember = "member" // 普通成员: no permission beyond signing what is sent to them
)

// Known reports whether p is one of AllPermissions.
func (p Permission) Known() bool {
	for _, q := range AllPermissions {
		if p == q {
			return true
		}
	}
	return false
}

var permLabels = map[Permission]string{
	PermSendContracts: "发起合同", PermViewAllContracts: "查看企业全部合同", PermManageTemplates: "管理模板",
	PermManageSeals: "管理印章", PermGrantSeals: "授权印章", PermApproveSealUse: "审批用印申请",
	PermManageMembers: "管理成员", PermBilling: "费用中心", PermManageIntegrations: "对接集成",
	PermManageApprovals: "管理审批流程", PermApproveContracts: "审批合同", PermManageArchive: "管理档案柜",
	PermManageAPIKeys: "管理 API 密钥",
}

// Label returns the permission's Chinese name as the role editor shows it ("" asks for no
// permission: "企业成员").
func (p Permission) Label() string {
	if p == "" {
		return "企业成员"
	}
	if l, ok := permLabels[p]; ok {
		return l
	}
	return string(p)
}
