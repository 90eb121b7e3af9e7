package envelope

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sealdesk/core/pdf"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/assets"
	"sealdesk/core/api"
	"sealdesk/core/blob"
	"sealdesk/core/pdf/render"
	"sealdesk/core/pdf/textpdf"
	"sealdesk/core/sign"
	"sealdesk/core/sync"
	"sealdesk/core/verify"
)

// closedRefusal says why nothing can be signed in an envelope that is not in progress.
func closedRefusal(status string) *sync.Refusal {
	msg := map[string]string{
		api.EnvelopeWithdrawn:  "该合同已被发起人撤回，无法签署",
		api.EnvelopeDeclined:   "该合同已被拒签，无法继续签署",
		api.EnvelopeExpired:    "该合同已逾期，无法签署",
		api.EnvelopeCompleted:  "该合同已完成签署",
		api.EnvelopeCompleting: "该合同已全部签署，正在归档",
		api.EnvelopeDraft:      "该合同尚未发送",
	}[status]
	if msg == "" {
		msg = "该合同当前无法签署"
	}
	return refuse(http.StatusConflict, "envelope_closed", msg)
}

// turn checks that the caller may sign document n of r now and returns their recipient index.
func (r *record) turn(key string, n int) (int, error) {
	if r.Status != api.EnvelopeInProgress {
		return -1, closedRefusal(r.Status)
	}
	k := r.recipientOf(key)
	if k < 0 {
		return -1, refuse(http.StatusForbidden, "not_a_signer", "您不是该合同的签署方")
	}
	switch r.Recipients[k].State {
	case api.RecipientToSign:
	case api.RecipientSigned:
		return -1, refuse(http.StatusConflict, "already_signed", "您已签署该合同")
	default:
		return -1, refuse(http.StatusConflict, "not_your_turn", "还未轮到您签署：该合同按顺序签署，请等待前面的签署方完成")
	}
	if n < 0 || n >= len(r.Documents) {
		return -1, refuse(http.StatusNotFound, "not_found", "文件不存在")
	}
	if !contains(r.Parties[k].Required, n) {
		return -1, refuse(http.StatusConflict, "not_required", fmt.Sprintf("文件「%s」中没有需要您签署的位置", r.Documents[n].Name))
	}
	if contains(r.Parties[k].Done, n) {
		return -1, refuse(http.StatusConflict, "already_signed", fmt.Sprintf("您已签署文件「%s」", r.Documents[n].Name))
	}
	return k, nil
}

// revisionCheck is what verifying an uploaded revision found.
type revisionCheck struct {
	sigs, revs int
	serials    []string // new signatures' certificate serials (lower-case hex)
	fields     []string // new signatures' fields
	signed     []string // every signed field of the document
}

// checkRevision verifies body (the current document plus the caller's incremental updates).
func (s *Service) checkRevision(ctx context.Context, r *record, k, n int, body []byte) (*revisionCheck, error) {
	d, st := r.Documents[n], r.Docs[n]
	if int64(len(body)) <= d.Size || blob.Sum(body[:d.Size]) != d.Current {
		return nil, refuse(http.StatusUnprocessableEntity, "not_incremental",
			fmt.Sprintf("上传的文件不是在文件「%s」当前版本上追加的签署（须为增量更新，请重新下载最新版本后签署）", d.Name))
	}
	rep, err := verify.Verify(ctx, bytes.NewReader(body), int64(len(body)), d.Name, &verify.Options{Trust: s.Trust, Now: s.Now, Renderer: render.Shared()})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, refuse(http.StatusUnprocessableEntity, "bad_pdf", "上传的文件无法验证："+err.Error())
	}
	c := &revisionCheck{sigs: len(rep.Signatures)}
	stamps := map[string]bool{} // document timestamps the signer added (a signature made offline)
	for _, sg := range rep.Signatures {
		c.revs = max(c.revs, sg.Revisions)
		if sg.Integrity != "valid" {
			return nil, refuse(http.StatusUnprocessableEntity, "invalid_signature",
				fmt.Sprintf("文件中的签名「%s」无效（签名数据与文件内容不符）", sg.Field))
		}
		if sg.ChangesAfter == "disallowed" {
			changes := sg.Changes
			if len(changes) > 3 {
				changes = changes[:3]
			}
			return nil, refuse(http.StatusUnprocessableEntity, "disallowed_change",
				fmt.Sprintf("上传的文件在签名「%s」之后修改了文档内容，不能接受：%s", sg.Field, strings.Join(changes, "；")))
		}
		if sg.Revocation == "revoked" {
			return nil, refuse(http.StatusUnprocessableEntity, "revoked_certificate", fmt.Sprintf("签名「%s」的证书已被吊销", sg.Field))
		}
		if sg.Kind != verify.KindDocTimestamp && sg.Field != "" {
			c.signed = append(c.signed, sg.Field)
		}
		if sg.Revision <= st.Revs {
			continue
		}
		switch sg.Kind {
		case verify.KindDocTimestamp:
			stamps[sg.Field] = true
			continue
		case verify.KindCertification:
			return nil, refuse(http.StatusUnprocessableEntity, "wrong_field", "签署方不能再次认证（DocMDP）已发送的文件")
		}
		if !strings.HasPrefix(sg.Field, prefix(k)) {
			return nil, refuse(http.StatusUnprocessableEntity, "wrong_field",
				fmt.Sprintf("签名位于「%s」，只能签署分配给您的签署位置（名称以「%s」开头）", sg.Field, prefix(k)))
		}
		c.serials = append(c.serials, strings.ToLower(sg.Signer.Serial))
		c.fields = append(c.fields, sg.Field)
	}
	if c.revs == 0 {
		c.revs = st.Revs
	}
	if len(c.fields) == 0 {
		return nil, refuse(http.StatusUnprocessableEntity, "no_signature", "上传的文件中没有您的新签名")
	}
	// Fields the signer adds (追加印章, a box placed for a "现在发送" contract) carry their own
	// prefix: a signer must not place another party's box (platform red team #4).
	added, err := addedFields(body, d.Size)
	if err != nil {
		return nil, refuse(http.StatusUnprocessableEntity, "bad_pdf", "上传的文件无法读取："+err.Error())
	}
	for _, name := range added {
		if !strings.HasPrefix(name, prefix(k)) && !stamps[name] {
			return nil, refuse(http.StatusUnprocessableEntity, "foreign_field",
				fmt.Sprintf("上传的文件新增了签署位置「%s」，签署方只能为自己添加签署位置（名称以「%s」开头）", name, prefix(k)))
		}
	}
	return c, nil
}

// addedFields lists the form fields of body (all its revisions) that its first prevSize bytes,
// the document as sent to the signer, did not have.
func addedFields(body []byte, prevSize int64) ([]string, error) {
	names := func(b []byte) (map[string]bool, error) {
		f, err := pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			return nil, err
		}
		fields, err := f.Latest().Fields()
		if err != nil {
			return nil, err
		}
		out := map[string]bool{}
		for _, fl := range fields {
			out[fl.Name] = true
		}
		return out, nil
	}
	before, err := names(body[:prevSize])
	if err != nil {
		return nil, err
	}
	after, err := names(body)
	if err != nil {
		return nil, err
	}
	var added []string
	for n := range after {
		if !before[n] {
			added = append(added, n)
		}
	}
	sort.Strings(added)
	return added, nil
}

// UploadRevision accepts the caller's signed revision of document n (see the package doc).
func (s *Service) UploadRevision(ctx context.Context, a Actor, key, id string, n int, body []byte) (api.Envelope, error) {
	if err := checkKey(key); err != nil {
		return api.Envelope{}, err
	}
	hash := requestHash([]byte("revision"), []byte(id), []byte(fmt.Sprint(n)), []byte(blob.Sum(body)))
	ik := idemKey(a.Account.ID, "revision", key)
	var out api.Envelope
	var rec *record
	var k int
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if done, err := replay(tx, ik, hash, &out); err != nil || done {
			return err
		}
		r, key, err := s.load(tx, a, id)
		if err != nil {
			return err
		}
		if k, err = r.turn(key, n); err != nil {
			return err
		}
		rec = r
		return nil
	})
	if err != nil {
		return out, err
	}
	if rec == nil {
		// A retry of an applied upload: the envelope as it is now (completed, if the first
		// attempt's completion ran).
		if e, err := s.Get(ctx, a, id); err == nil {
			return e, nil
		}
		return out, nil
	}
	base := rec.Documents[n].Current
	chk, err := s.checkRevision(ctx, rec, k, n, body)
	if err != nil {
		return api.Envelope{}, err
	}
	info, err := s.blobs().Put(ctx, body)
	if err != nil {
		return api.Envelope{}, err
	}
	now := s.now()
	var scopes []string
	var r record
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		scopes = nil
		if done, err := replay(tx, ik, hash, &out); err != nil || done {
			return err
		}
		cur, key, err := s.load(tx, a, id)
		if err != nil {
			return err
		}
		r = *cur
		if k2, err := r.turn(key, n); err != nil {
			return err
		} else if k2 != k || r.Documents[n].Current != base {
			return refuse(http.StatusConflict, "stale_document", "文件已被更新，请重新下载最新版本后签署")
		}
		var seals []string // the enterprise seals the signatures were made with
		for _, serial := range chk.serials {
			if s.CertRevoked != nil {
				at, revoked, err := s.CertRevoked(tx, serial)
				if err != nil {
					return err
				}
				if revoked {
					return refuse(http.StatusUnprocessableEntity, "revoked_certificate",
						fmt.Sprintf("签名证书已于 %s 被吊销（挂失），不能再用它签署；请在本机重新申请签名证书后再签", at.In(cstZone).Format("2006-01-02 15:04:05")))
				}
			}
			owner := ""
			if s.CertOwner != nil {
				if owner, err = s.CertOwner(tx, serial); err != nil {
					return err
				}
			}
			if owner == a.Account.ID {
				continue
			}
			ok := false
			if s.SignerCheck != nil {
				if ok, err = s.SignerCheck(tx, r.Envelope, k, a.Account.ID, serial); err != nil {
					return err
				}
			}
			if !ok {
				return refuse(http.StatusUnprocessableEntity, "wrong_signer", "签名证书不属于当前签署人，请使用本人的签名证书（或被授权的印章）签署")
			}
			if s.SealOf != nil {
				name, err := s.SealOf(tx, r.Envelope, k, a.Account.ID, serial)
				if err != nil {
					return err
				}
				if name != "" && !slices.Contains(seals, name) {
					seals = append(seals, name)
				}
			}
		}
		d := &r.Documents[n]
		step := api.Step{Time: now, Action: "signed", AccountID: a.Account.ID, Name: r.Recipients[k].Name, Recipient: k, Document: n,
			Device: a.Device, Before: d.Current, After: info.SHA256, Note: strings.Join(chk.fields, "、"), Seal: strings.Join(seals, "、")}
		d.Current, d.Size = info.SHA256, info.Size
		r.Docs[n].Sigs, r.Docs[n].Revs = chk.sigs, chk.revs
		r.Steps = append(r.Steps, step)
		need := d.Fields[k]
		filled := true
		for _, f := range need {
			filled = filled && slices.Contains(chk.signed, f)
		}
		if filled {
			r.Parties[k].Done = sortInts(append(r.Parties[k].Done, n))
		}
		if len(r.Parties[k].Done) == len(r.Parties[k].Required) {
			r.Recipients[k].State, r.Recipients[k].SignedAt = api.RecipientSigned, now
			s.advance(&r)
		}
		r.Updated = now
		if r.Status == api.EnvelopeCompleting {
			if err := tx.Put(BucketOpen, "completing/"+r.ID, nil); err != nil {
				return err
			}
		}
		if scopes, err = s.save(tx, &r, now); err != nil {
			return err
		}
		out = r.view(key)
		if err := sync.Audit(tx, sync.AuditEntry{Time: now, Actor: a.Account.ID, Action: AuditPrefix + "sign", Target: r.ID,
			Detail: fmt.Sprintf("document %d: %s → %s", n, step.Before, step.After)}); err != nil {
			return err
		}
		return remember(tx, ik, hash, out, now)
	})
	if err != nil {
		return api.Envelope{}, err
	}
	s.wake(scopes)
	if out.Status == api.EnvelopeCompleting {
		if err := s.Finish(ctx, id); err != nil {
			s.log().Error("complete envelope", "envelope", id, "err", err)
		} else if e, err := s.Get(ctx, a, id); err == nil {
			out = e
		}
	} else if r.ID != "" {
		s.notifyTurn(ctx, &r)
	}
	return out, nil
}

// advance gives the turn to the next signer (sequential) or marks the envelope completing when
// every signer is done.
func (s *Service) advance(r *record) {
	for k, rc := range r.Recipients {
		if !r.signer(k) || rc.State == api.RecipientSigned {
			continue
		}
		if rc.State == api.RecipientToSign {
			return // parallel: others still signing
		}
		r.Recipients[k].State = api.RecipientToSign
		return
	}
	r.Status = api.EnvelopeCompleting
}

// --- decline, withdraw, remind, expire ---------------------------------------------------------

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", bad("reason_required", "请填写原因")
	}
	if n := utf8.RuneCountInString(reason); n > MaxReason || strings.ContainsFunc(reason, isControl) {
		return "", bad("reason_too_long", fmt.Sprintf("原因最多 %d 个字且不含控制字符", MaxReason))
	}
	return reason, nil
}

// change runs fn on an envelope of the caller under an idempotency key and saves it.
func (s *Service) change(ctx context.Context, a Actor, op, key, id string, extra []byte,
	fn func(r *record, partyKey string, now time.Time) error) (api.Envelope, error) {
	if err := checkKey(key); err != nil {
		return api.Envelope{}, err
	}
	hash := requestHash([]byte(op), []byte(id), extra)
	ik := idemKey(a.Account.ID, op, key)
	now := s.now()
	var out api.Envelope
	var scopes []string
	var r record
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		scopes = nil
		if done, err := replay(tx, ik, hash, &out); err != nil || done {
			return err
		}
		cur, pk, err := s.load(tx, a, id)
		if err != nil {
			return err
		}
		r = *cur
		if err := fn(&r, pk, now); err != nil {
			return err
		}
		r.Updated = now
		if r.Status != api.EnvelopeInProgress {
			if s.Quota.Release != nil {
				if err := s.Quota.Release(tx, r.ID, now); err != nil {
					return err
				}
			}
			if err := tx.Delete(BucketOpen, "deadline/"+r.ID); err != nil {
				return err
			}
		}
		if scopes, err = s.save(tx, &r, now); err != nil {
			return err
		}
		out = r.view(pk)
		if err := sync.Audit(tx, sync.AuditEntry{Time: now, Actor: a.Account.ID, Action: AuditPrefix + op, Target: r.ID}); err != nil {
			return err
		}
		return remember(tx, ik, hash, out, now)
	})
	if err != nil {
		return api.Envelope{}, err
	}
	s.wake(scopes)
	return out, nil
}

// Decline refuses to sign (拒签): the envelope becomes 已拒签 for every party.
func (s *Service) Decline(ctx context.Context, a Actor, key, id, reason string) (api.Envelope, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return api.Envelope{}, err
	}
	return s.change(ctx, a, "decline", key, id, []byte(reason), func(r *record, pk string, now time.Time) error {
		if r.Status != api.EnvelopeInProgress {
			return closedRefusal(r.Status)
		}
		k := r.recipientOf(pk)
		if k < 0 {
			return refuse(http.StatusForbidden, "not_a_signer", "您不是该合同的签署方")
		}
		if r.Recipients[k].State != api.RecipientToSign {
			return refuse(http.StatusConflict, "not_your_turn", "还未轮到您签署，暂不能拒签")
		}
		r.Recipients[k].State, r.Recipients[k].Reason = api.RecipientDeclined, reason
		r.Status, r.Reason = api.EnvelopeDeclined, reason
		r.Steps = append(r.Steps, api.Step{Time: now, Action: "declined", AccountID: a.Account.ID, Name: r.Recipients[k].Name,
			Recipient: k, Document: -1, Device: a.Device, Note: reason})
		return nil
	})
}

// Withdraw takes the envelope back (撤回) before completion: the sender only.
func (s *Service) Withdraw(ctx context.Context, a Actor, key, id, reason string) (api.Envelope, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return api.Envelope{}, err
	}
	return s.change(ctx, a, "withdraw", key, id, []byte(reason), func(r *record, pk string, now time.Time) error {
		if r.SenderID != a.Account.ID {
			return refuse(http.StatusForbidden, "not_sender", "只有发起人可以撤回合同")
		}
		if r.Status != api.EnvelopeInProgress {
			return refuse(http.StatusConflict, "envelope_closed", "该合同已"+map[string]string{api.EnvelopeCompleted: "完成", api.EnvelopeCompleting: "全部签署",
				api.EnvelopeWithdrawn: "撤回", api.EnvelopeDeclined: "被拒签", api.EnvelopeExpired: "逾期", api.EnvelopeDraft: "是草稿"}[r.Status]+"，无法撤回")
		}
		r.Status, r.Reason = api.EnvelopeWithdrawn, reason
		r.Steps = append(r.Steps, api.Step{Time: now, Action: "withdrawn", AccountID: a.Account.ID, Name: r.SenderName,
			Recipient: -1, Document: -1, Device: a.Device, Note: reason})
		return nil
	})
}

// Remind (催办) notifies the recipients whose turn it is again; at most once per RemindEvery
// and MaxRemindsPerDay a day per envelope.
func (s *Service) Remind(ctx context.Context, a Actor, id string) (api.Envelope, error) {
	var rec record
	out, err := s.change(ctx, a, "remind", randomID("remind"), id, nil, func(r *record, pk string, now time.Time) error {
		if r.SenderID != a.Account.ID {
			return refuse(http.StatusForbidden, "not_sender", "只有发起人可以催办")
		}
		if r.Status != api.EnvelopeInProgress {
			return closedRefusal(r.Status)
		}
		var today []time.Time
		for _, t := range r.Reminds {
			if now.Sub(t) < 24*time.Hour {
				today = append(today, t)
			}
		}
		if len(today) > 0 && now.Sub(today[len(today)-1]) < RemindEvery {
			wait := RemindEvery - now.Sub(today[len(today)-1])
			return refuse(http.StatusTooManyRequests, "remind_too_soon", fmt.Sprintf("催办过于频繁，请 %d 分钟后再试", int(wait.Minutes())+1))
		}
		if len(today) >= MaxRemindsPerDay {
			return refuse(http.StatusTooManyRequests, "remind_too_soon", fmt.Sprintf("每份合同每天最多催办 %d 次", MaxRemindsPerDay))
		}
		r.Reminds = append(today, now)
		r.Steps = append(r.Steps, api.Step{Time: now, Action: "reminded", AccountID: a.Account.ID, Name: r.SenderName, Recipient: -1, Document: -1, Device: a.Device})
		rec = *r
		return nil
	})
	if err == nil {
		for k, rc := range rec.Recipients {
			if rc.State == api.RecipientToSign {
				url := rec.VerifyURL
				if s.SignLink != nil {
					if u, err := s.SignLink(ctx, rec.Envelope, k); err == nil {
						url = u
					}
				}
				s.notice(ctx, rc.Recipient, fmt.Sprintf("【SealDesk】%s 提醒您签署《%s》：%s", rec.SenderName, rec.Subject, url))
			}
		}
	}
	return out, err
}

// Janitor expires envelopes past their deadline (已逾期) and completes envelopes whose signers
// are all done but whose completion was interrupted. It returns how many it expired and
// completed.
func (s *Service) Janitor(ctx context.Context) (expired, completed int, err error) {
	now := s.now()
	var due, completing []string
	err = s.Store.View(ctx, func(tx sync.Tx) error {
		return tx.Scan(BucketOpen, "", "", 0, func(k string, v []byte) error {
			if id, ok := strings.CutPrefix(k, "deadline/"); ok {
				if t, err := time.Parse(time.RFC3339Nano, string(v)); err == nil && !t.After(now) {
					due = append(due, id)
				}
			} else if id, ok := strings.CutPrefix(k, "completing/"); ok {
				completing = append(completing, id)
			}
			return nil
		})
	})
	if err != nil {
		return 0, 0, err
	}
	for _, id := range due {
		var scopes []string
		changed := false
		err := s.Store.Update(ctx, func(tx sync.Tx) error {
			scopes, changed = nil, false
			var r record
			if err := sync.GetJSON(tx, BucketEnvelopes, id, &r); err != nil {
				if errors.Is(err, sync.ErrNotFound) {
					return tx.Delete(BucketOpen, "deadline/"+id)
				}
				return err
			}
			if err := tx.Delete(BucketOpen, "deadline/"+id); err != nil {
				return err
			}
			if r.Status != api.EnvelopeInProgress || r.Deadline.After(now) {
				return nil
			}
			r.Status, r.Updated, changed = api.EnvelopeExpired, now, true
			r.Steps = append(r.Steps, api.Step{Time: now, Action: "expired", Recipient: -1, Document: -1, Name: "SealDesk",
				Note: "超过签署截止时间 " + r.Deadline.Format(time.RFC3339)})
			if s.Quota.Release != nil {
				if err := s.Quota.Release(tx, r.ID, now); err != nil {
					return err
				}
			}
			var err error
			scopes, err = s.save(tx, &r, now)
			return err
		})
		if err != nil {
			return expired, completed, err
		}
		if changed {
			expired++
		}
		s.wake(scopes)
	}
	for _, id := range completing {
		if err := s.Finish(ctx, id); err != nil {
			return expired, completed, err
		}
		completed++
	}
	return expired, completed, nil
}

// --- completion ----------------------------------------------------------------------------------

// Finish completes an envelope whose signers are all done: a document timestamp (B-LTA, with
// revocation data) on every document, the 签署报告 signed by the server, then the envelope
// completed and its quota charged, in one transaction. It is idempotent.
func (s *Service) Finish(ctx context.Context, id string) error {
	var r record
	err := s.Store.View(ctx, func(tx sync.Tx) error { return sync.GetJSON(tx, BucketEnvelopes, id, &r) })
	if err != nil || r.Status != api.EnvelopeCompleting {
		return err
	}
	dir, err := os.MkdirTemp(s.TempDir, "complete-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	now := s.now()
	finals := make([]string, len(r.Documents))
	var steps []api.Step
	for i, d := range r.Documents {
		cur, err := s.blobs().Get(ctx, d.Current)
		if err != nil {
			return err
		}
		final := cur
		if s.Platform != nil && s.Platform.Timestamper != nil {
			in, out := filepath.Join(dir, fmt.Sprintf("d%d.pdf", i)), filepath.Join(dir, fmt.Sprintf("d%d-final.pdf", i))
			if err := os.WriteFile(in, cur, 0o600); err != nil {
				return err
			}
			if _, err := sign.Upgrade(ctx, in, out, &sign.UpgradeOptions{Level: sign.LevelBLTA, Timestamper: s.Platform.Timestamper,
				Revocation: s.Platform.Revocation, Extra: s.Platform.Chain}); err != nil {
				return fmt.Errorf("failed to timestamp document %d: %w", i, err)
			}
			if final, err = os.ReadFile(out); err != nil {
				return err
			}
		}
		info, err := s.blobs().Put(ctx, final)
		if err != nil {
			return err
		}
		finals[i] = info.SHA256
		steps = append(steps, api.Step{Time: now, Action: "timestamped", Name: "SealDesk", Recipient: -1, Document: i,
			Before: d.Current, After: info.SHA256, Note: "文档时间戳（B-LTA）与验证数据"})
	}
	steps = append(steps, api.Step{Time: now, Action: "completed", Name: "SealDesk", Recipient: -1, Document: -1})
	view := r
	view.Steps = append(append([]api.Step{}, r.Steps...), steps...)
	view.Completed = now
	for i := range view.Documents {
		view.Documents[i].Final = finals[i]
	}
	report, err := s.report(ctx, dir, &view)
	if err != nil {
		return fmt.Errorf("failed to write the report: %w", err)
	}
	rinfo, err := s.blobs().Put(ctx, report)
	if err != nil {
		return err
	}
	var scopes []string
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		scopes = nil
		var cur record
		if err := sync.GetJSON(tx, BucketEnvelopes, id, &cur); err != nil {
			return err
		}
		if err := tx.Delete(BucketOpen, "completing/"+id); err != nil {
			return err
		}
		if cur.Status != api.EnvelopeCompleting {
			return nil
		}
		for i := range cur.Documents {
			if cur.Documents[i].Current != r.Documents[i].Current {
				return fmt.Errorf("document %d changed while completing", i)
			}
			cur.Documents[i].Final = finals[i]
			cur.Docs[i].Finished = true
		}
		cur.Steps = append(cur.Steps, steps...)
		cur.Status, cur.Completed, cur.Updated, cur.Report = api.EnvelopeCompleted, now, now, rinfo.SHA256
		if s.Quota.Charge != nil {
			if err := s.Quota.Charge(tx, id, now); err != nil {
				return err
			}
		}
		if err := tx.Delete(BucketOpen, "deadline/"+id); err != nil {
			return err
		}
		var err error
		if scopes, err = s.save(tx, &cur, now); err != nil {
			return err
		}
		if s.Completed != nil {
			if err := s.Completed(tx, cur.Envelope, cur.Report, now); err != nil {
				return err
			}
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: "system", Action: AuditPrefix + "complete", Target: id})
	})
	if err != nil {
		return err
	}
	s.wake(scopes)
	for _, rc := range r.Recipients {
		s.notice(ctx, rc.Recipient, fmt.Sprintf("【SealDesk】《%s》已全部签署完成，可在 SealDesk 中下载：%s", r.Subject, r.VerifyURL))
	}
	return nil
}

var actionZH = map[string]string{"sent": "发起签署", "prepared": "生成待签文件", "signed": "签署", "declined": "拒签", "withdrawn": "撤回",
	"reminded": "催办", "expired": "逾期", "timestamped": "加盖文档时间戳", "completed": "签署完成",
	StepApprovalRequested: "提交审批", StepApproved: "审批通过", StepRejected: "审批驳回", StepApprovalWithdrawn: "撤回审批"}

var cstZone = time.FixedZone("CST", 8*3600)

// report writes the 签署报告 of r as a PDF signed by the server.
func (s *Service) report(ctx context.Context, dir string, r *record) ([]byte, error) {
	w, err := textpdf.New(assets.SansRegular, "NotoSansSC-Regular")
	if err != nil {
		return nil, err
	}
	w.Line("签署报告", 18)
	w.Line("", 6)
	w.Wrapped("合同主题："+r.Subject, 11)
	w.Wrapped("合同编号："+r.ID, 9)
	w.Wrapped("发起人："+r.SenderName, 10)
	w.Wrapped("发起时间："+r.Sent.In(cstZone).Format("2006-01-02 15:04:05")+"（北京时间）", 10)
	w.Wrapped("完成时间："+r.Completed.In(cstZone).Format("2006-01-02 15:04:05")+"（北京时间）", 10)
	w.Wrapped("验证地址："+r.VerifyURL, 9)
	w.Rule()
	w.Line("文件", 13)
	for _, d := range r.Documents {
		w.Wrapped(fmt.Sprintf("%d. %s（%d 页）", d.Index+1, d.Name, d.Pages), 10)
		w.Wrapped("原文件 SHA-256："+d.Original, 8)
		w.Wrapped("最终文件 SHA-256："+d.Final, 8)
	}
	w.Rule()
	w.Line("签署方", 13)
	for k, rc := range r.Recipients {
		who := rc.Name
		if rc.Company != "" {
			who = rc.Company + " · 经办人 " + rc.Name
		}
		line := fmt.Sprintf("%d. %s（%s）", k+1, who, map[string]string{api.RecipientSigned: "已签署", api.RecipientCopied: "抄送"}[rc.State])
		if !rc.SignedAt.IsZero() {
			line += " " + rc.SignedAt.In(cstZone).Format("2006-01-02 15:04:05")
		}
		w.Wrapped(line, 10)
	}
	w.Rule()
	w.Line("签署过程", 13)
	for i, st := range r.Steps {
		who := st.Name
		doc := ""
		if st.Document >= 0 && st.Document < len(r.Documents) {
			doc = "《" + r.Documents[st.Document].Name + "》"
		}
		w.Wrapped(fmt.Sprintf("%d. %s  %s  %s%s", i+1, st.Time.In(cstZone).Format("2006-01-02 15:04:05"), who, actionZH[st.Action], doc), 10)
		if st.Seal != "" {
			w.Wrapped("盖章："+st.Seal, 8)
		}
		if st.Device != "" {
			w.Wrapped("设备："+st.Device, 8)
		}
		if st.Before != "" {
			w.Wrapped("签署前 SHA-256："+st.Before, 8)
		}
		if st.After != "" {
			w.Wrapped("签署后 SHA-256："+st.After, 8)
		}
		if st.Note != "" {
			w.Wrapped("说明："+st.Note, 8)
		}
	}
	w.Rule()
	w.Wrapped("本报告由 SealDesk 服务器生成并签名；签署过程中的每个版本都经服务器验签后才被接受。", 9)
	raw, err := w.Bytes(true)
	if err != nil {
		return nil, err
	}
	if s.Platform == nil || s.Platform.Signer == nil {
		return raw, nil
	}
	in, out := filepath.Join(dir, "report.pdf"), filepath.Join(dir, "report-signed.pdf")
	if err := os.WriteFile(in, raw, 0o600); err != nil {
		return nil, err
	}
	opts := &sign.Options{Signer: s.Platform.Signer, Cert: s.Platform.Cert, Chain: s.Platform.Chain, Field: "SealDesk.report",
		Certify: 1, Reason: "SealDesk 签署报告", Name: s.Platform.Cert.Subject.CommonName}
	if s.Platform.Timestamper != nil {
		opts.Level, opts.Timestamper = sign.LevelBT, s.Platform.Timestamper
	}
	if _, err := sign.SignFile(ctx, in, out, opts); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}

// Report returns the 签署报告 of a completed envelope.
func (s *Service) Report(ctx context.Context, a Actor, id string) ([]byte, error) {
	var sum string
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		r, _, err := s.loadView(tx, a, id)
		if err != nil {
			return err
		}
		if r.Report == "" {
			return refuse(http.StatusNotFound, "not_ready", "合同完成后才有签署报告")
		}
		sum = r.Report
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.blobs().Get(ctx, sum)
}
