package api

import "sealdesk/core/webhook"

// WebhookList is an enterprise's integrator endpoints and what they can subscribe to.
type WebhookList struct {
	Endpoints  []webhook.Endpoint `json:"endpoints"`
	EventTypes []string           `json:"event_types"`
	// AllowPrivate says whether this server accepts loopback and private targets.
	AllowPrivate bool `json:"allow_private"`
}

// WebhookSecret is an endpoint with its secret, answered once: when created or rotated.
type WebhookSecret struct {
	Endpoint webhook.Endpoint `json:"endpoint"`
	Secret   string           `json:"secret"`
}

// DepositAmount is the micro-deposit amount an appeal's applicant read off the company's
// account statement, in yuan ("0.37").
type DepositAmount struct {
	Amount string `json:"amount"`
}
