package envelope

import (
	"errors"
	"net/http"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/blob"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// Steps other domains add to an envelope's timeline (and so to its 签署报告).
const (
	StepApprovalRequested = "approval_requested" // 提交审批
	StepApproved          = "approved"           // 审批通过
	StepRejected          = "rejected"           // 审批驳回
	StepApprovalWithdrawn = "approval_withdrawn" // 撤回审批
)

// Stored is an envelope as the server keeps it, for other domains of the same server (approvals,
// the archive): no party check is made, so never hand it to a caller unchecked.
type Stored struct {
	api.Envelope
	Request api.EnvelopeRequest // as asked (normalised)
	Report  string              // blob of the 签署报告 once completed
	// PartyKeys are the login keys of the sender and every recipient ("sms:<phone>",
	// "email:<address>"), the sender first.
	PartyKeys []string
}

// Lookup reads an envelope (404 *sync.Refusal when there is none).
func Lookup(tx sync.Tx, id string) (Stored, error) {
	var r record
	if sync.CheckKey(id) != nil {
		return Stored{}, refuse(http.StatusNotFound, "not_found", "合同不存在")
	}
	if err := sync.GetJSON(tx, BucketEnvelopes, id, &r); errors.Is(err, sync.ErrNotFound) {
		return Stored{}, refuse(http.StatusNotFound, "not_found", "合同不存在")
	} else if err != nil {
		return Stored{}, err
	}
	keys := []string{r.SenderKey}
	for _, p := range r.Parties {
		keys = append(keys, p.Key)
	}
	return Stored{Envelope: r.view(r.SenderKey), Request: r.Request, Report: r.Report, PartyKeys: keys}, nil
}

// AddStep appends st to an envelope's timeline in tx (every party's desktop hears of it through
// envelope.changed) and returns the scopes to wake (pass them to Wake after the commit).
func (s *Service) AddStep(tx sync.Tx, id string, st api.Step, now time.Time) ([]string, error) {
	var r record
	if err := sync.GetJSON(tx, BucketEnvelopes, id, &r); err != nil {
		return nil, err
	}
	r.Steps = append(r.Steps, st)
	r.Updated = now
	return s.save(tx, &r, now)
}

// Wake wakes the long polls of scopes (after the transaction that changed them committed).
func (s *Service) Wake(scopes []string) { s.wake(scopes) }

// PartyKey is the login key an account is a party of envelopes under.
func PartyKey(a org.Account) string { return accountKey(a) }

// BlobStore is where the envelopes' documents are (for the archive's exports).
func (s *Service) BlobStore() blob.Store { return s.blobs() }
