package api

import "time"

// This file holds the wire types of 审批管理 (approvals) and 档案柜 (the archive); core/approval and
// core/archive own the rules.

// Approval kinds: what waits for the decision.
const (
	ApprovalSend = "send" // 发送审批: the contract is sent only once approved
	ApprovalSeal = "seal" // 用印审批: the seal is used on the contract only once approved
)

// Approval statuses.
const (
	ApprovalPending   = "pending"   // 待审批
	ApprovalApproved  = "approved"  // 已通过
	ApprovalRejected  = "rejected"  // 已驳回
	ApprovalWithdrawn = "withdrawn" // 已撤回 (by the requester, or the contract was withdrawn)
)

// Approval boxes of a member.
const (
	ApprovalBoxTodo = "todo" // 需要我审批
	ApprovalBoxDone = "done" // 我已审批
	ApprovalBoxMine = "mine" // 我发起的
)

// ApprovalRule says which contracts (or seal uses) of an enterprise wait for whose approval.
// Every condition that is set must hold (an empty list or a zero amount holds for all).
type ApprovalRule struct {
	ID           string    `json:"id,omitempty"`
	EnterpriseID string    `json:"enterprise_id,omitempty"`
	Name         string    `json:"name"`
	Kind         string    `json:"kind"`                  // ApprovalSend or ApprovalSeal
	Seals        []string  `json:"seals,omitempty"`       // seal ids (kind seal)
	MinAmount    int64     `json:"min_amount,omitempty"`  // 合同金额 from this amount on, in fen
	Departments  []string  `json:"departments,omitempty"` // the requester's department (or one above it)
	Templates    []string  `json:"templates,omitempty"`   // template ids the contract was started from
	Approvers    []string  `json:"approvers"`             // account ids; any one of them decides
	Created      time.Time `json:"created,omitzero"`
	Updated      time.Time `json:"updated,omitzero"`
}

// ApprovalSubmit asks for an approval: of a draft before it is sent (kind send), or of the use of
// a seal on a contract in progress (kind seal).
type ApprovalSubmit struct {
	Kind       string `json:"kind"`
	EnvelopeID string `json:"envelope_id"`
	SealID     string `json:"seal_id,omitempty"`
	Note       string `json:"note,omitempty"` // 申请说明, ≤ 300 characters
}

// ApprovalDecision carries the approver's comment (审批意见).
type ApprovalDecision struct {
	Comment string `json:"comment,omitempty"`
}

// Approval is one request for approval and its decision.
type Approval struct {
	ID            string    `json:"id"`
	EnterpriseID  string    `json:"enterprise_id"`
	Kind          string    `json:"kind"`
	Status        string    `json:"status"`
	RuleID        string    `json:"rule_id"`
	RuleName      string    `json:"rule_name"`
	EnvelopeID    string    `json:"envelope_id"`
	Subject       string    `json:"subject"`
	Amount        int64     `json:"amount,omitempty"`
	Parties       []string  `json:"parties,omitempty"` // the contract's recipients (companies by name)
	SealID        string    `json:"seal_id,omitempty"`
	SealName      string    `json:"seal_name,omitempty"`
	RequesterID   string    `json:"requester_id"`
	RequesterName string    `json:"requester_name"`
	Note          string    `json:"note,omitempty"`
	Approvers     []string  `json:"approvers"`
	ApproverNames []string  `json:"approver_names,omitempty"`
	Created       time.Time `json:"created"`
	DeciderID     string    `json:"decider_id,omitempty"`
	DeciderName   string    `json:"decider_name,omitempty"`
	Comment       string    `json:"comment,omitempty"`
	Decided       time.Time `json:"decided,omitzero"`
	// CanDecide is true when the caller may approve or reject it now.
	CanDecide bool `json:"can_decide,omitempty"`
}

// ApprovalCount is the 需要我审批 counter of the caller across their enterprises.
type ApprovalCount struct {
	Pending int `json:"pending"`
}

// --- 档案柜 ----------------------------------------------------------------------------------------

// ArchiveFolder is a folder of an enterprise's archive with its filing rule.
type ArchiveFolder struct {
	ID           string `json:"id,omitempty"`
	EnterpriseID string `json:"enterprise_id,omitempty"`
	Name         string `json:"name"`
	Parent       string `json:"parent,omitempty"` // folder id; "" at the top
	// The filing rule: a completed contract goes to the first folder (in the order of creation)
	// whose every set condition holds; a folder with no condition takes nothing by itself.
	Counterparties []string `json:"counterparties,omitempty"` // a party's name or company contains one
	Templates      []string `json:"templates,omitempty"`      // template ids
	Departments    []string `json:"departments,omitempty"`    // the sender's department (or one above it)
	// RetentionYears is how long contracts are kept (保存期限), counted from completion; 0: 永久.
	RetentionYears int `json:"retention_years,omitempty"`
	// Roles may see the folder besides those holding archive.manage or contracts.view_all
	// (role ids: "member" for every member, custom role ids).
	Roles   []string  `json:"roles,omitempty"`
	Owner   string    `json:"owner,omitempty"` // account id (一键转交 moves it); the owner sees it
	Created time.Time `json:"created,omitzero"`
	// Count and Due are filled in lists: contracts filed, and how many are past the retention.
	Count int `json:"count"`
	Due   int `json:"due,omitempty"`
}

// ArchiveItem is one filed contract.
type ArchiveItem struct {
	EnvelopeID     string            `json:"envelope_id"`
	FolderID       string            `json:"folder_id"`
	Subject        string            `json:"subject"`
	SenderID       string            `json:"sender_id"`
	SenderName     string            `json:"sender_name"`
	Counterparties []string          `json:"counterparties,omitempty"`
	Signers        []string          `json:"signers,omitempty"`
	Department     string            `json:"department,omitempty"`
	Template       string            `json:"template,omitempty"`
	Amount         int64             `json:"amount,omitempty"`     // 合同金额, fen
	ValidUntil     time.Time         `json:"valid_until,omitzero"` // 合同到期日
	Completed      time.Time         `json:"completed"`
	Documents      []ArchiveDocument `json:"documents"`
	Report         string            `json:"report,omitempty"` // SHA-256 of the 签署报告
	Due            bool              `json:"due,omitempty"`    // past the folder's retention (flagged, never deleted)
	// Received: the enterprise signed this contract as a company recipient (收到); otherwise it
	// sent it (发出). The counterparties of a received contract start with its sender.
	Received bool `json:"received,omitempty"`
}

// ArchiveDocument names a final PDF of a filed contract.
type ArchiveDocument struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// ArchiveQuery searches the archive; empty fields match everything.
type ArchiveQuery struct {
	Folder       string    `json:"folder,omitempty"`
	Subject      string    `json:"subject,omitempty"`
	Counterparty string    `json:"counterparty,omitempty"`
	Signer       string    `json:"signer,omitempty"`
	From         time.Time `json:"from,omitzero"` // completed at or after
	To           time.Time `json:"to,omitzero"`   // completed before
	After        string    `json:"after,omitempty"`
	Limit        int       `json:"limit,omitempty"`
}

// ArchiveResult is one page of a search.
type ArchiveResult struct {
	Items []ArchiveItem `json:"items"`
	Next  string        `json:"next,omitempty"`
}
