package api

import "time"

// Seal kinds (SPEC §4). The string values are stored and sent: never change one.
const (
	SealOfficial  = "公章"
	SealContract  = "合同专用章"
	SealFinance   = "财务专用章"
	SealInvoice   = "发票专用章"
	SealHR        = "人事专用章"
	SealDept      = "部门章"
	SealLegalRep  = "法定代表人章"
	SealOtherKind = "其他"
)

// SealKinds lists the kinds in the order the desktop offers them.
var SealKinds = []string{SealOfficial, SealContract, SealFinance, SealInvoice, SealHR, SealDept, SealLegalRep, SealOtherKind}

// Seal states.
const (
	SealActive    = "active"
	SealDiscarded = "discarded" // 废弃: unusable from then on, kept in the log
)

// Seal is an enterprise seal: an asset of the enterprise whose key the server holds.
type Seal struct {
	ID           string    `json:"id"`
	EnterpriseID string    `json:"enterprise_id"`
	Name         string    `json:"name"`
	Kind         string    `json:"kind"`
	WidthMM      float64   `json:"width_mm"`
	HeightMM     float64   `json:"height_mm"`
	ImageSHA256  string    `json:"image_sha256"` // hex; the PNG is at …/seals/{id}/image
	Status       string    `json:"status"`
	Created      time.Time `json:"created"`
	CreatedBy    string    `json:"created_by"`
	DiscardedAt  time.Time `json:"discarded_at,omitzero"`
	DiscardedBy  string    `json:"discarded_by,omitempty"`
	// Serial is the seal certificate's serial number (hex) and KeyStore where its key is kept
	// ("software": sealed under the server's master key; "pkcs11": on a token).
	Serial   string `json:"serial"`
	KeyStore string `json:"key_store"`
}

// SealView is a seal as one member sees it in a list: may they use it now, and until when.
type SealView struct {
	Seal
	Usable bool `json:"usable"`
	// UsableUntil is the end of the grant that makes it usable (zero: without end).
	UsableUntil time.Time `json:"usable_until,omitzero"`
}

// SealList is the answer of GET …/seals: the seals and what the caller may do with them.
type SealList struct {
	Seals      []SealView `json:"seals"`
	CanManage  bool       `json:"can_manage"`  // seals.manage: create, discard, see the usage log
	CanGrant   bool       `json:"can_grant"`   // seals.grant: grant, change, revoke
	CanApprove bool       `json:"can_approve"` // seals.approve: decide applications
}

// SealDetail is a seal with its certificate chain (PEM: seal certificate, issuing CA, root), what
// a desktop needs to build the CMS it asks the server to sign.
type SealDetail struct {
	Seal
	Certificate string `json:"certificate"`
	Chain       string `json:"chain"`
}

// SealCreateRequest creates a seal. Image is a PNG (designed in 签章管理 or an upload cleaned
// by core/seal), at most MaxSealImage bytes.
type SealCreateRequest struct {
	Name     string  `json:"name"`
	Kind     string  `json:"kind"`
	WidthMM  float64 `json:"width_mm"`
	HeightMM float64 `json:"height_mm"`
	Image    []byte  `json:"image"`
}

// MaxSealImage bounds a seal's PNG.
const MaxSealImage = 2 << 20

// SealGrant lets a member, or every member of a department, use a seal from NotBefore until
// NotAfter (zero: without end).
type SealGrant struct {
	ID            string    `json:"id"`
	SealID        string    `json:"seal_id"`
	EnterpriseID  string    `json:"enterprise_id"`
	MemberID      string    `json:"member_id,omitempty"`
	DepartmentID  string    `json:"department_id,omitempty"`
	GranteeName   string    `json:"grantee_name"`
	NotBefore     time.Time `json:"not_before"`
	NotAfter      time.Time `json:"not_after,omitzero"`
	Created       time.Time `json:"created"`
	CreatedBy     string    `json:"created_by"`
	Revoked       bool      `json:"revoked,omitempty"`
	RevokedAt     time.Time `json:"revoked_at,omitzero"`
	RevokedBy     string    `json:"revoked_by,omitempty"`
	ApplicationID string    `json:"application_id,omitempty"`
	LastChangedAt time.Time `json:"last_changed_at,omitzero"`
	LastChangedBy string    `json:"last_changed_by,omitempty"`
	ValidNow      bool      `json:"valid_now"`
	Ended         bool      `json:"ended"`
}

// SealGrantRequest creates a grant (exactly one of MemberID and DepartmentID) or, on PUT,
// changes its period. A zero NotBefore means now; a zero NotAfter means without end.
type SealGrantRequest struct {
	MemberID     string    `json:"member_id,omitempty"`
	DepartmentID string    `json:"department_id,omitempty"`
	NotBefore    time.Time `json:"not_before,omitzero"`
	NotAfter     time.Time `json:"not_after,omitzero"`
}

// Application states.
const (
	ApplicationPending  = "pending"
	ApplicationApproved = "approved"
	ApplicationRejected = "rejected"
)

// SealApplication is a member's request to use a seal (用印申请).
type SealApplication struct {
	ID            string    `json:"id"`
	SealID        string    `json:"seal_id"`
	SealName      string    `json:"seal_name"`
	EnterpriseID  string    `json:"enterprise_id"`
	ApplicantID   string    `json:"applicant_id"`
	ApplicantName string    `json:"applicant_name"`
	Reason        string    `json:"reason"`
	NotBefore     time.Time `json:"not_before"`
	NotAfter      time.Time `json:"not_after"`
	Status        string    `json:"status"`
	Created       time.Time `json:"created"`
	DecidedBy     string    `json:"decided_by,omitempty"`
	DecidedAt     time.Time `json:"decided_at,omitzero"`
	Comment       string    `json:"comment,omitempty"`
	GrantID       string    `json:"grant_id,omitempty"`
}

// SealApplyRequest applies for a seal for a period (NotAfter required: an application is for a
// period; a grant without end is the admin's to give).
type SealApplyRequest struct {
	Reason    string    `json:"reason"`
	NotBefore time.Time `json:"not_before,omitzero"`
	NotAfter  time.Time `json:"not_after"`
}

// SealDecisionRequest approves or rejects an application.
type SealDecisionRequest struct {
	Comment string `json:"comment,omitempty"`
}

// SealUse is one line of the usage log (用印记录): who used which seal when, on what.
type SealUse struct {
	ID             string    `json:"id"`
	Time           time.Time `json:"time"`
	EnterpriseID   string    `json:"enterprise_id"`
	SealID         string    `json:"seal_id"`
	SealName       string    `json:"seal_name"`
	MemberID       string    `json:"member_id"`
	MemberName     string    `json:"member_name"`
	ContractID     string    `json:"contract_id,omitempty"`
	DocumentSHA256 string    `json:"document_sha256"`
	DigestSHA256   string    `json:"digest"` // hex of the signed-attributes digest that was signed
	Device         string    `json:"device,omitempty"`
	Address        string    `json:"address,omitempty"`
	// Refused, when set, says why the server refused this use (nothing was signed): e.g. a
	// digest it could not check, a document that is not the contract's current version.
	Refused string `json:"refused,omitempty"`
}

// SealUseList is one page of the usage log; After continues it.
type SealUseList struct {
	Uses  []SealUse `json:"uses"`
	After string    `json:"after,omitempty"`
}

// SealCodeTicket answers a request for a signing code: the code went to To (masked).
type SealCodeTicket struct {
	CodeID  string    `json:"code_id"`
	To      string    `json:"to"`
	Expires time.Time `json:"expires"`
	// Signatures is how many signatures the code allows (1 unless asked for a contract).
	Signatures int `json:"signatures,omitempty"`
}

// MaxCodeSignatures bounds the signatures one code allows (SealCodeRequest.Signatures).
const MaxCodeSignatures = 20

// SealCodeRequest (optional body of a code request) binds the code to one contract and lets it
// sign up to Signatures digests of that contract (a company recipient's seal, date and 骑缝章
// boxes in one 立即提交, manual 004 §7.1: one code per submission). Empty: one signature, any
// use.
type SealCodeRequest struct {
	ContractID string `json:"contract_id,omitempty"`
	Signatures int    `json:"signatures,omitempty"`
}

// SealSignRequest asks the server to seal a document with a seal. The server signs only what it
// prepared itself from a document it holds (a digest sent by a client binds nothing: an approved
// use of a seal on one contract could seal any other document with it):
//
//   - A use on a contract (ContractID set) seals document Document of the contract as the server
//     stores it now; DocumentSHA256 is that version's SHA-256 as the desktop has it, and the
//     server refuses (and logs) a use whose declared document is not the contract's current one.
//   - A use without a contract (sealing a local file under a standing grant) sends the whole
//     file in PDF; DocumentSHA256 is its SHA-256. The server keeps only the hash, in the usage
//     log, never the file.
//
// Marks are the signatures to add, in order, each one PAdES signature (an incremental update)
// on top of the previous; the answer is the bytes to append to the document. Digest is the
// request of clients before SealDesk 2.4 (the digest of CMS signed attributes made on the
// desktop): it is refused with 426 unbound_digest and a line in the usage log. Send the request
// with an Idempotency-Key: a retry with the same key gets the same answer and logs nothing twice.
type SealSignRequest struct {
	CodeID         string     `json:"code_id"`
	Code           string     `json:"code"`
	ContractID     string     `json:"contract_id,omitempty"`
	Document       int        `json:"document,omitempty"` // index of the contract's document
	DocumentSHA256 string     `json:"document_sha256"`
	PDF            []byte     `json:"pdf,omitempty"` // without a contract: the document
	Marks          []SealMark `json:"marks,omitempty"`
	Device         string     `json:"device,omitempty"`
	// Digest is the refused request of old clients (see above); the server's own signing
	// (core/websign) still passes the digest it computed through core/entseal.
	Digest []byte `json:"digest,omitempty"`
}

// SealMark is one seal signature to add: into the existing empty signature field Field, or a
// new field on Page (1-based) at Rect (visible points: x1, y1, x2, y2, origin lower left).
// Image (PNG or JPEG, at most MaxSealMarkImage bytes) is drawn into the box; empty: the seal's
// own image. CrossPage makes it a cross-page seal (骑缝章) cut into strips along the right edge
// of Pages (empty: every page), Width points wide (0: 119), centred at visible height CenterY.
type SealMark struct {
	Field     string         `json:"field,omitempty"`
	Page      int            `json:"page,omitempty"`
	Rect      [4]float64     `json:"rect,omitzero"`
	Image     []byte         `json:"image,omitempty"`
	CrossPage *SealCrossPage `json:"cross_page,omitempty"`
	Reason    string         `json:"reason,omitempty"`
}

// SealCrossPage places a cross-page seal (SealMark.CrossPage).
type SealCrossPage struct {
	Pages   []int   `json:"pages,omitempty"`
	Width   float64 `json:"width,omitempty"`
	CenterY float64 `json:"center_y,omitempty"`
}

// Limits of a seal request.
const (
	MaxSealDocument  = 30 << 20 // a local file sealed without a contract
	MaxSealMarkImage = 2 << 20
)

// SealSignResponse is what the server added: Update, the bytes to append to the document (one
// incremental update per mark), the SHA-256 of the sealed document, and the usage log lines
// (one per mark). Signature and UseID answer the server's own digest signing (core/websign).
type SealSignResponse struct {
	Update       []byte   `json:"update,omitempty"`
	SealedSHA256 string   `json:"sealed_sha256,omitempty"`
	UseIDs       []string `json:"use_ids,omitempty"`
	Signature    []byte   `json:"signature,omitempty"`
	UseID        string   `json:"use_id,omitempty"`
}

// SignaturePad is a one-time phone pad (扫码生成): the URL its QR code opens, when it expires,
// and the QR code as a base64 PNG. The strokes the phone draws arrive as a "signature.drawn"
// event in the account's sync scope (payload: {"strokes": core/seal.Signature, "time": …}).
type SignaturePad struct {
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
	QRPNG   string    `json:"qr_png"`
}
