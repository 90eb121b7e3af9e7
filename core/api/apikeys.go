package api

import "time"

// This file holds the wire types of the open API for business systems (issue 21): an
// enterprise's API keys as its admins manage them, and the requests and answers of the
// HMAC-signed /api/v1/open routes. core/apikey owns the rules.

// API key scopes: what a key may do.
const (
	ScopeSend     = "send"     // create, send and withdraw envelopes
	ScopeRead     = "read"     // read an envelope's status and events
	ScopeDownload = "download" // download the final PDF and the 签署报告
)

// APIScopes lists the scopes in the order the 企业 screen shows them.
var APIScopes = []string{ScopeSend, ScopeRead, ScopeDownload}

// APIKey is an enterprise's API key as its admins see it: never its secret.
type APIKey struct {
	ID           string    `json:"id"`
	EnterpriseID string    `json:"enterprise_id"`
	Name         string    `json:"name"`
	Scopes       []string  `json:"scopes"`
	CreatedBy    string    `json:"created_by"` // the admin the key acts for (the envelopes' sender)
	CreatorName  string    `json:"creator_name,omitempty"`
	Created      time.Time `json:"created"`
	LastUsed     time.Time `json:"last_used,omitzero"`
	Revoked      time.Time `json:"revoked,omitzero"`
	// SecretHint is the end of the secret, to tell keys apart.
	SecretHint string `json:"secret_hint"`
}

// APIKeyRequest creates an API key.
type APIKeyRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// APIKeyCreated is a new key with its secret, answered once.
type APIKeyCreated struct {
	Key    APIKey `json:"key"`
	Secret string `json:"secret"`
}

// APIKeyList is an enterprise's keys, newest first, revoked ones included.
type APIKeyList struct {
	Keys   []APIKey `json:"keys"`
	Scopes []string `json:"scopes"`
}

// OpenFile is a file of an open-API envelope given inline (JSON): its name and its bytes in
// standard base64. A multipart request gives files as parts named "file" instead.
type OpenFile struct {
	Name          string `json:"name"`
	ContentBase64 string `json:"content_base64"`
}

// OpenEnvelopeRequest creates an envelope through the open API: from files, or from a template
// of the enterprise whose roles the recipients fill in order.
type OpenEnvelopeRequest struct {
	Subject    string           `json:"subject"`
	Remark     string           `json:"remark,omitempty"`
	Deadline   time.Time        `json:"deadline,omitzero"`
	Order      string           `json:"order,omitempty"`
	Files      []OpenFile       `json:"files,omitempty"`
	TemplateID string           `json:"template_id,omitempty"`
	Recipients []Recipient      `json:"recipients"`
	Fields     []FieldPlacement `json:"fields,omitempty"`
	// Send sends at once; otherwise the envelope waits as a draft for POST …/send.
	Send bool `json:"send,omitempty"`
}

// OpenEnvelope is an envelope as an integrator sees it.
type OpenEnvelope struct {
	ID           string           `json:"id"`
	Subject      string           `json:"subject"`
	Status       string           `json:"status"`
	EnterpriseID string           `json:"enterprise_id"`
	Created      time.Time        `json:"created"`
	Sent         time.Time        `json:"sent,omitzero"`
	Updated      time.Time        `json:"updated"`
	Completed    time.Time        `json:"completed,omitzero"`
	Reason       string           `json:"reason,omitempty"`
	Documents    []OpenDocument   `json:"documents"`
	Recipients   []OpenRecipient  `json:"recipients"`
	VerifyURL    string           `json:"verify_url,omitempty"`
	Fields       []FieldPlacement `json:"fields,omitempty"`
}

// OpenDocument is a document of an envelope: Final is the SHA-256 of the completed PDF.
type OpenDocument struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Pages int    `json:"pages"`
	Final string `json:"final,omitempty"`
}

// OpenRecipient is where a recipient stands.
type OpenRecipient struct {
	Index    int       `json:"index"`
	Kind     string    `json:"kind"`
	Name     string    `json:"name,omitempty"`
	Company  string    `json:"company,omitempty"`
	State    string    `json:"state"`
	SignedAt time.Time `json:"signed_at,omitzero"`
	Reason   string    `json:"reason,omitempty"`
}

// OpenEvents is an envelope's timeline.
type OpenEvents struct {
	Events []Step `json:"events"`
}
