package api

import "time"

// This file holds the wire types of contracts (SPEC §5): envelopes sent for signing, their
// recipients, placed fields, the 文件 boxes, templates and recent contacts. core/envelope owns the
// rules; these are only the shapes.

// Envelope statuses.
const (
	EnvelopeDraft      = "draft"       // 草稿
	EnvelopeInProgress = "in_progress" // 签署中
	EnvelopeCompleting = "completing"  // 全部签完，服务器正在加时间戳和出具报告
	EnvelopeCompleted  = "completed"   // 已完成
	EnvelopeWithdrawn  = "withdrawn"   // 已撤回
	EnvelopeDeclined   = "declined"    // 已拒签
	EnvelopeExpired    = "expired"     // 已逾期
)

// The 文件 boxes, one per account and envelope.
const (
	BoxToSign    = "to_sign"   // 待我签
	BoxWaiting   = "waiting"   // 待他人签
	BoxCompleted = "completed" // 已完成
	BoxDraft     = "draft"     // 草稿
	BoxWithdrawn = "withdrawn" // 已撤回
	BoxDeclined  = "declined"  // 已拒签
	BoxExpired   = "expired"   // 已逾期
)

// Boxes lists the boxes in the order the 文件 screen shows them.
var Boxes = []string{BoxToSign, BoxWaiting, BoxCompleted, BoxDraft, BoxWithdrawn, BoxDeclined, BoxExpired}

// Recipient kinds.
const (
	RecipientMember  = "member"  // 企业内部成员: an account picked from the sender's enterprise
	RecipientPerson  = "person"  // 个人: name + phone or e-mail
	RecipientCompany = "company" // 企业: company name + handler + phone; signs with the company's seal
	RecipientCC      = "cc"      // 抄送: receives a copy, does not sign
)

// Recipient states.
const (
	RecipientWaiting  = "waiting"  // not their turn yet
	RecipientToSign   = "to_sign"  // their turn
	RecipientSigned   = "signed"   // done
	RecipientDeclined = "declined" // 拒签
	RecipientCopied   = "cc"       // 抄送: nothing to do
)

// Signing orders.
const (
	OrderSequential = "sequential" // 顺序签署: in the order of Recipients
	OrderParallel   = "parallel"   // 无序签署: all at once
)

// Field kinds: every kind is an empty PDF signature field the recipient fills with a signature.
const (
	FieldSignature = "signature" // 签名框 (persons)
	FieldSeal      = "seal"      // 盖章框 (companies)
	FieldDate      = "date"      // 日期框
	FieldCrossPage = "crosspage" // 骑缝章
)

// Recipient is one party of an envelope as the sender describes it.
type Recipient struct {
	Kind string `json:"kind"`
	// AccountID picks a member (kind member); filled in by the server for others once known.
	AccountID string `json:"account_id,omitempty"`
	Name      string `json:"name,omitempty"`  // the person, or the company's handler (经办人)
	Phone     string `json:"phone,omitempty"` // mobile number (个人, 企业 handler)
	Email     string `json:"email,omitempty"` // or e-mail (个人)
	Company   string `json:"company,omitempty"`
}

// FieldPlacement is a box placed on a document for a recipient.
type FieldPlacement struct {
	Recipient int    `json:"recipient"` // index into Recipients (0-based)
	Document  int    `json:"document"`  // index into Files (0-based)
	Kind      string `json:"kind"`
	Page      int    `json:"page"` // 1-based
	// Rect is x1, y1, x2, y2 in points in the page's visible coordinates (origin lower-left,
	// after /Rotate), as core/sign.VisibleRect.
	Rect [4]float64 `json:"rect"`
}

// FileRef names an uploaded blob (PUT /api/v1/blobs) as a file of an envelope.
type FileRef struct {
	Name   string `json:"name"`   // shown to the parties, e.g. 采购合同.pdf
	SHA256 string `json:"sha256"` // lower-case hex of the uploaded bytes
}

// BlobInfo answers a blob upload.
type BlobInfo struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// EnvelopeRequest creates an envelope: sent at once, or kept as a draft (Draft).
type EnvelopeRequest struct {
	Subject  string    `json:"subject"`          // 主题: required, ≤ 25 characters
	Remark   string    `json:"remark,omitempty"` // 备注: ≤ 300 characters
	Deadline time.Time `json:"deadline,omitzero"`
	Order    string    `json:"order"` // OrderSequential (default) or OrderParallel
	// EnterpriseID sends on behalf of an enterprise the sender is a member of (needs
	// contracts.send); empty sends as a person (个人版).
	EnterpriseID string           `json:"enterprise_id,omitempty"`
	Files        []FileRef        `json:"files"`
	Recipients   []Recipient      `json:"recipients"`
	Fields       []FieldPlacement `json:"fields,omitempty"` // none: 现在发送, recipients place their own
	Draft        bool             `json:"draft,omitempty"`
	// Template, when set, names the template the envelope was started from (for the record).
	Template string `json:"template,omitempty"`
	// Amount is the contract's amount (合同金额) in fen (分), 0 when none is named; approval
	// rules may ask for approval from an amount on. 0 ≤ Amount ≤ MaxAmount.
	Amount int64 `json:"amount,omitempty"`
	// ValidUntil is the contract's 合同到期日: the end of its validity (首页's 即将过期). It comes
	// after Deadline when both are set.
	ValidUntil time.Time `json:"valid_until,omitzero"`
}

// MaxAmount bounds 合同金额: 999,999,999,999.99 yuan, in fen.
const MaxAmount = 99_999_999_999_999

// Quick-list filters of GET /api/v1/envelopes?filter=… (首页's 快捷入口), over the boxes.
const (
	// FilterDueSoon (即将截止签约): contracts still being signed (待我签, 待他人签) whose signing
	// deadline falls within the next Days days.
	FilterDueSoon = "due_soon"
	// FilterExpiring (即将过期): contracts being signed or completed whose 合同到期日 falls within
	// the next Days days.
	FilterExpiring = "expiring"
)

// Days of the quick-list filters: DefaultDueDays unless asked, 1–MaxDueDays.
const (
	DefaultDueDays = 3
	MaxDueDays     = 90
)

// QuickCounts are 首页's 快捷入口 counters as the server counts them (GET
// /api/v1/envelopes/quick-counts).
type QuickCounts struct {
	Days     int `json:"days"`     // the window of DueSoon and Expiring
	All      int `json:"all"`      // 所有合同: every box but 草稿
	ToSign   int `json:"to_sign"`  // 需要我签署
	DueSoon  int `json:"due_soon"` // 即将截止签约
	Waiting  int `json:"waiting"`  // 需要他人签署
	Expiring int `json:"expiring"` // 即将过期
}

// Document is one file of an envelope as it travels.
type Document struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Pages int    `json:"pages"`
	// Original is the uploaded file; Sent the PDF as sent (QR code, fields, the server's
	// certification); Current the latest signed revision; Final the completed PDF with its
	// document timestamp (empty until completed).
	Original string `json:"original"`
	Sent     string `json:"sent,omitempty"`
	Current  string `json:"current,omitempty"`
	Size     int64  `json:"size"` // bytes of Current
	Final    string `json:"final,omitempty"`
	// Fields names the empty signature fields of each recipient (by recipient index).
	Fields map[int][]string `json:"fields,omitempty"`
}

// RecipientState is a recipient with where they stand.
type RecipientState struct {
	Recipient
	Index    int       `json:"index"`
	State    string    `json:"state"`
	Prefix   string    `json:"prefix"` // field names of this recipient start with it, e.g. "R2."
	SignedAt time.Time `json:"signed_at,omitzero"`
	Reason   string    `json:"reason,omitempty"` // 拒签 reason
}

// Step is one line of an envelope's timeline (and of the 签署报告).
type Step struct {
	Time      time.Time `json:"time"`
	Action    string    `json:"action"` // sent, signed, declined, withdrawn, reminded, expired, completed
	AccountID string    `json:"account_id,omitempty"`
	Name      string    `json:"name,omitempty"`
	Recipient int       `json:"recipient"` // -1: the sender or the server
	Document  int       `json:"document"`  // -1: the envelope as a whole
	Device    string    `json:"device,omitempty"`
	Before    string    `json:"before,omitempty"` // SHA-256 of the document before the step
	After     string    `json:"after,omitempty"`  // and after it
	Note      string    `json:"note,omitempty"`   // a reason, a field name
	// Seal names the enterprise seal(s) a company recipient's signature was made with (盖章：…).
	Seal string `json:"seal,omitempty"`
}

// Envelope is the detail of an envelope as a party sees it.
type Envelope struct {
	ID           string           `json:"id"`
	Subject      string           `json:"subject"`
	Remark       string           `json:"remark,omitempty"`
	Status       string           `json:"status"`
	Order        string           `json:"order"`
	Deadline     time.Time        `json:"deadline,omitzero"`
	SenderID     string           `json:"sender_id"`
	SenderName   string           `json:"sender_name"`
	EnterpriseID string           `json:"enterprise_id,omitempty"`
	Created      time.Time        `json:"created"`
	Sent         time.Time        `json:"sent,omitzero"`
	Updated      time.Time        `json:"updated"`
	Completed    time.Time        `json:"completed,omitzero"`
	Documents    []Document       `json:"documents"`
	Recipients   []RecipientState `json:"recipients"`
	Fields       []FieldPlacement `json:"fields,omitempty"`
	Steps        []Step           `json:"steps"`
	Reason       string           `json:"reason,omitempty"` // why withdrawn or declined
	// VerifyURL is the public verification page the QR code opens.
	VerifyURL string `json:"verify_url,omitempty"`
	// Box is the box the envelope is in for the caller; YourRecipient is the caller's
	// recipient index (-1 when the caller signs nothing).
	Box           string `json:"box"`
	YourRecipient int    `json:"your_recipient"`
	Template      string `json:"template,omitempty"`
	// ViewOnly: the caller is no party and sees the envelope because they may see every
	// contract of the sending enterprise (查看企业全部合同); they can take no action on it.
	ViewOnly bool `json:"view_only,omitempty"`
	// Amount (合同金额, fen) and ValidUntil (合同到期日) as the sender gave them.
	Amount     int64     `json:"amount,omitempty"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
}

// EnvelopeSummary is a line of a box.
type EnvelopeSummary struct {
	ID         string    `json:"id"`
	Subject    string    `json:"subject"`
	Status     string    `json:"status"`
	Box        string    `json:"box"`
	SenderName string    `json:"sender_name"`
	Parties    []string  `json:"parties"` // recipient names (companies by company name)
	Updated    time.Time `json:"updated"`
	Deadline   time.Time `json:"deadline,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"` // 合同到期日
	Amount     int64     `json:"amount,omitempty"`     // 合同金额 in fen
	Signed     int       `json:"signed"`               // recipients done
	Signers    int       `json:"signers"`
}

// EnvelopeList is one page of a box.
type EnvelopeList struct {
	Box string `json:"box"`
	// Filter and Days name a quick list (FilterDueSoon, FilterExpiring) instead of a box; its
	// items are in the order of the date filtered on, soonest first, each in the caller's box.
	Filter string            `json:"filter,omitempty"`
	Days   int               `json:"days,omitempty"`
	Items  []EnvelopeSummary `json:"items"`
	Counts map[string]int    `json:"counts"` // every box's count
	// Next continues the listing (pass as after); empty at the end.
	Next string `json:"next,omitempty"`
}

// ReasonRequest carries the reason of a 拒签 or 撤回.
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// Template is a reusable contract: files, boxes and recipient roles (SPEC §5).
type Template struct {
	ID         string           `json:"id,omitempty"`
	Name       string           `json:"name"`
	Files      []FileRef        `json:"files"`
	Roles      []Recipient      `json:"roles"` // kinds and, optionally, fixed parties
	Fields     []FieldPlacement `json:"fields,omitempty"`
	Order      string           `json:"order,omitempty"`
	Subject    string           `json:"subject,omitempty"`
	Remark     string           `json:"remark,omitempty"`
	OwnerID    string           `json:"owner_id,omitempty"`
	Updated    time.Time        `json:"updated,omitzero"`
	Enterprise string           `json:"enterprise_id,omitempty"`
}

// Contact is a recent recipient of the caller's envelopes.
type Contact struct {
	Recipient
	Used time.Time `json:"used"`
}

// VerifyPage is what the public verification page shows (never the content).
type VerifyPage struct {
	Subject   string           `json:"subject"`
	Status    string           `json:"status"`
	Sent      time.Time        `json:"sent"`
	Completed time.Time        `json:"completed,omitzero"`
	Documents []VerifyDocument `json:"documents"`
	Signers   []VerifySigner   `json:"signers"`
}

// VerifyDocument names a document and the digest of its latest version.
type VerifyDocument struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// VerifySigner is a party on the verification page.
type VerifySigner struct {
	Name     string    `json:"name"`
	Company  string    `json:"company,omitempty"`
	State    string    `json:"state"`
	SignedAt time.Time `json:"signed_at,omitzero"`
}
