package entseal

import (
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/sync"
)

// Handover is 一键转交 of seals (manual 000, after a main-admin change): inside tx, every grant
// of an active seal of enterprise eid that member from holds, in force or yet to start, ends
// (revoked by "handover") and member to receives a grant of the same seal for the rest of its
// period. Department grants stay as they are. It returns how many grants moved. It is an
// org.HandoverFunc; the caller's transaction notifies nobody, so the enterprise's desktops hear
// of it through the seal.grant_revoked and seal.granted events it appends.
func (s *Service) Handover(tx sync.Tx, eid, from, to string, now time.Time) (int, error) {
	m, err := s.Directory.Require(tx, eid, to, "")
	if err != nil {
		return 0, err
	}
	type ref struct{ sid, gid string }
	var refs []ref
	err = tx.Scan(BucketGrantIndex, eid+"/", "", 0, func(k string, v []byte) error {
		refs = append(refs, ref{string(v), strings.TrimPrefix(k, eid+"/")})
		return nil
	})
	if err != nil {
		return 0, err
	}
	actor := "handover:" + from
	moved := 0
	for _, rf := range refs {
		var g api.SealGrant
		if err := sync.GetJSON(tx, BucketGrants, rf.sid+"/"+rf.gid, &g); err != nil {
			return moved, err
		}
		if g.MemberID != from || g.Revoked || (!g.NotAfter.IsZero() && !g.NotAfter.After(now)) {
			continue
		}
		r, err := s.getSeal(tx, eid, g.SealID)
		if err != nil {
			return moved, err
		}
		if r.Status != api.SealActive {
			continue
		}
		g.Revoked, g.RevokedAt, g.RevokedBy = true, now, actor
		g.ValidNow, g.Ended = false, false
		if err := sync.PutJSON(tx, BucketGrants, g.SealID+"/"+g.ID, g); err != nil {
			return moved, err
		}
		if err := event(tx, s.Directory.Scope(eid), "seal.grant_revoked", actor, grantState(g, now), now); err != nil {
			return moved, err
		}
		if err := sync.Audit(tx, sync.AuditEntry{Time: now, Actor: actor, Action: "seal.grant.revoked", Target: eid + "/" + g.ID}); err != nil {
			return moved, err
		}
		nb := g.NotBefore
		if nb.Before(now) {
			nb = now
		}
		ng := api.SealGrant{ID: newID("grant_"), SealID: g.SealID, EnterpriseID: eid, MemberID: m.AccountID, GranteeName: m.Name,
			NotBefore: nb, NotAfter: g.NotAfter, Created: now, CreatedBy: actor}
		if _, err := s.putNewGrant(tx, r, ng, actor, now); err != nil {
			return moved, err
		}
		moved++
	}
	return moved, nil
}
