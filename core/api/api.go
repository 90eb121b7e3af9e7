// Package api holds the wire types of SealDesk's HTTP API: the JSON bodies the server
// (core/server) reads and writes and the desktop's client (core/client) sends and decodes. Both
// import it, so the client never imports the server, and a change to a body is a change to this
// one package.
//
// # What it refuses
//
// It holds no behaviour: no validation, no handlers, no store. Types the server shares with
// other core packages stay where their logic is (accounts and verifications in core/org, events
// and commands in core/sync) and are referred to from here.
package api

import (
	"time"

	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// CodeRequest asks for a one-time code.
type CodeRequest struct {
	Login   string `json:"login"`
	Purpose string `json:"purpose"` // "register" or "login"
	// Device is the device token of an earlier sign-in (org.Token.Device), if any.
	Device string `json:"device,omitempty"`
}

// CodeResponse answers a CodeRequest. The code sent to the login is bound to Challenge: register
// or log in with both (a code without its challenge is refused).
type CodeResponse struct {
	Status    string `json:"status"` // "sent"
	Challenge string `json:"challenge"`
}

// RealNameRequest starts a real-name verification.
type RealNameRequest struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Provider string `json:"provider"`
}

// CertificateRequest carries a PEM CSR made on the desktop.
type CertificateRequest struct {
	CSR string `json:"csr"`
	// Device names the device whose key the CSR is for (shown in 挂失 lists); optional, at most
	// 64 characters.
	Device string `json:"device,omitempty"`
}

// CertificateResponse is an issued certificate with its chain up to the root.
type CertificateResponse struct {
	Serial      string    `json:"serial"`
	Certificate string    `json:"certificate"` // PEM
	Chain       string    `json:"chain"`       // PEM: issuing CA, root
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
}

// CertificateInfo lists an issued certificate without its DER.
type CertificateInfo struct {
	Serial    string    `json:"serial"`
	Subject   string    `json:"subject"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Revoked   bool      `json:"revoked"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// Device is the device named when the certificate was requested ("" if none).
	Device string `json:"device,omitempty"`
}

// RevokeRequest gives the RFC 5280 reason code of a revocation (0 unspecified, 1 keyCompromise,
// 3 affiliationChanged, 4 superseded, 5 cessationOfOperation).
type RevokeRequest struct {
	Reason int `json:"reason"`
}

// PullResponse is one page of a scope's events.
type PullResponse struct {
	Scope  string       `json:"scope"`
	Events []sync.Event `json:"events"`
	// Cursor is the Seq of the last event returned (or the request's since when none).
	Cursor uint64 `json:"cursor"`
	// More is true when the page was full: pull again at once.
	More bool `json:"more"`
}

// DecisionRequest carries a reviewer's reason (required to reject).
type DecisionRequest struct {
	Reason string `json:"reason"`
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// CreateEnterpriseRequest registers a company: its name and 18-character unified social credit
// code as on the business licence.
type CreateEnterpriseRequest struct {
	Name       string `json:"name"`
	CreditCode string `json:"credit_code"`
}

// InviteLink is an enterprise's invitation link with its full URL (the QR code encodes URL).
type InviteLink struct {
	URL string `json:"url"`
	org.InviteLink
}

// InviteSwitchRequest switches an enterprise's invitation link on or off.
type InviteSwitchRequest struct {
	Enabled bool `json:"enabled"`
}

// AddMemberRequest invites a colleague by name and mobile number (邀请同事加入).
type AddMemberRequest struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Invitation is a personal invitation with its full URL (also sent to the phone by SMS).
type Invitation struct {
	URL string `json:"url"`
	org.Invite
}

// RoleRequest creates or changes a custom role.
type RoleRequest struct {
	Name        string           `json:"name"`
	Permissions []org.Permission `json:"permissions"`
}

// DepartmentRequest creates or changes a department (Parent "" for the top level).
type DepartmentRequest struct {
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"`
}
