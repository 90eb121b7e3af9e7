package envelope

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// StepHandedOver is the timeline step of 一键转交: the envelope's sender, or the company's
// handler who had still to sign, is now another member of the enterprise.
const StepHandedOver = "handed_over"

// Handover is 一键转交 of contracts (manual 000, after a main-admin change): inside tx, every
// envelope of enterprise entID that account from sent (drafts included) gets to as its sender,
// and every envelope still in progress in which from is the handler of a company recipient
// named as the enterprise, and has not signed, gets to as that handler — the signature fields
// stay the recipient's, to signs them with their own certificate or a seal granted to them.
// Each moved envelope gets a step on its timeline (and so in its 签署报告); the old party's
// boxes lose it. It returns how many envelopes moved. It is an org.HandoverFunc.
func (s *Service) Handover(tx sync.Tx, entID, from, to string, now time.Time) (int, error) {
	var fromAcct, toAcct org.Account
	if err := sync.GetJSON(tx, org.BucketAccounts, from, &fromAcct); err != nil {
		return 0, err
	}
	if err := sync.GetJSON(tx, org.BucketAccounts, to, &toAcct); err != nil {
		return 0, err
	}
	ent, err := org.GetEnterprise(tx, entID)
	if err != nil {
		return 0, err
	}
	fromKey, toKey := accountKey(fromAcct), accountKey(toAcct)
	if fromKey == toKey {
		return 0, nil
	}
	// every envelope the old member is a party of has one index entry under its key
	var ids []string
	seen := map[string]bool{}
	err = tx.Scan(BucketBox, fromKey+"|", "", 0, func(k string, _ []byte) error {
		if i := strings.LastIndexByte(k, '|'); i >= 0 && !seen[k[i+1:]] {
			seen[k[i+1:]] = true
			ids = append(ids, k[i+1:])
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, id := range ids {
		var r record
		if err := sync.GetJSON(tx, BucketEnvelopes, id, &r); errors.Is(err, sync.ErrNotFound) {
			continue
		} else if err != nil {
			return moved, err
		}
		if r.EnterpriseID != entID && !r.handlerOf(fromKey, ent.Name) {
			continue
		}
		changed := false
		if r.EnterpriseID == entID && r.SenderKey == fromKey {
			r.SenderKey, r.SenderID, r.SenderName = toKey, to, displayName(toAcct)
			r.Steps = append(r.Steps, api.Step{Time: now, Action: StepHandedOver, AccountID: to, Name: r.SenderName,
				Recipient: -1, Document: -1, Note: "发起方由 " + displayName(fromAcct) + " 转交"})
			changed = true
		}
		if r.Status == api.EnvelopeInProgress {
			for k := range r.Recipients {
				rc := &r.Recipients[k]
				if rc.Kind != api.RecipientCompany || rc.Company != ent.Name || r.Parties[k].Key != fromKey ||
					rc.State == api.RecipientSigned || rc.State == api.RecipientDeclined {
					continue
				}
				rc.Name, rc.Phone, rc.Email, rc.AccountID = displayName(toAcct), toAcct.Phone, "", to
				if toAcct.Phone == "" {
					rc.Email = toAcct.Email
				}
				r.Parties[k].Key, r.Parties[k].AccountID = toKey, to // the old handler's account no longer finds it
				r.Steps = append(r.Steps, api.Step{Time: now, Action: StepHandedOver, AccountID: to, Name: rc.Name,
					Recipient: k, Document: -1, Note: "经办人由 " + displayName(fromAcct) + " 转交"})
				changed = true
			}
		}
		if !changed {
			continue
		}
		r.Updated = now
		if _, err := s.save(tx, &r, now); err != nil {
			return moved, err
		}
		// the old party's lists drop it: tell their desktops too
		if acct, err := tx.Get(org.BucketLogins, fromKey); err == nil {
			payload, _ := json.Marshal(map[string]string{"id": r.ID, "box": "", "status": r.Status})
			if _, err := tx.Append(sync.Event{Scope: org.Scope(string(acct)), Type: EventChanged, Time: now, Payload: payload}); err != nil {
				return moved, err
			}
		}
		moved++
	}
	return moved, nil
}

// handlerOf reports whether key is the handler of a company recipient named company.
func (r *record) handlerOf(key, company string) bool {
	for k, p := range r.Parties {
		if p.Key == key && r.Recipients[k].Kind == api.RecipientCompany && r.Recipients[k].Company == company {
			return true
		}
	}
	return false
}

// HandoverTemplates is 一键转交 of templates: the enterprise's templates account from kept move
// to account to (with the right to use their files). It returns how many moved. It is an
// org.HandoverFunc.
func (s *Service) HandoverTemplates(tx sync.Tx, entID, from, to string, _ time.Time) (int, error) {
	var move []api.Template
	err := tx.Scan(BucketTemplates, from+"/", "", 0, func(_ string, v []byte) error {
		var t api.Template
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if t.Enterprise == entID {
			move = append(move, t)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, t := range move {
		if err := tx.Delete(BucketTemplates, from+"/"+t.ID); err != nil {
			return 0, err
		}
		t.OwnerID = to
		for _, f := range t.Files {
			if err := tx.Put(BucketBlobOwners, to+"/"+f.SHA256, nil); err != nil {
				return 0, err
			}
		}
		if err := sync.PutJSON(tx, BucketTemplates, to+"/"+t.ID, t); err != nil {
			return 0, err
		}
	}
	return len(move), nil
}

// WaitsForCompanySignature checks, inside tx, that envelope id is in progress and waits for
// accountID's signature as the handler of the company recipient named company, not yet signed
// — the third path of the main-admin appeal (manual 000: 从合同发起申诉). Otherwise a
// *sync.Refusal that says which.
func WaitsForCompanySignature(tx sync.Tx, id, accountID, company string) error {
	var r record
	if sync.CheckKey(id) != nil {
		return refuse(http.StatusNotFound, "contract_not_found", "合同不存在")
	}
	if err := sync.GetJSON(tx, BucketEnvelopes, id, &r); errors.Is(err, sync.ErrNotFound) {
		return refuse(http.StatusNotFound, "contract_not_found", "合同不存在")
	} else if err != nil {
		return err
	}
	var acct org.Account
	if err := sync.GetJSON(tx, org.BucketAccounts, accountID, &acct); err != nil {
		return err
	}
	key := accountKey(acct)
	if _, ok := r.Index[key]; !ok {
		return refuse(http.StatusNotFound, "contract_not_found", "合同不存在")
	}
	if r.Status != api.EnvelopeInProgress {
		return refuse(http.StatusConflict, "contract_not_waiting", "该合同不在签署中，不能据此申诉")
	}
	for k, p := range r.Parties {
		rc := r.Recipients[k]
		if p.Key == key && rc.Kind == api.RecipientCompany && rc.Company == company &&
			rc.State != api.RecipientSigned && rc.State != api.RecipientDeclined {
			return nil
		}
	}
	return refuse(http.StatusForbidden, "contract_not_for_company", "该合同没有等待您代表「"+company+"」签署")
}
