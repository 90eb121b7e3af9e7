// Package approval is 审批管理: an enterprise can make a contract wait for approval before it is
// sent, and the use of a seal on a contract wait for approval before the seal signs, by rules
// (seal, 合同金额 from an amount on, the requester's department, the template the contract was
// started from) that members holding approvals.manage keep.
//
// # How a contract waits
//
// core/envelope asks SendGate before it prepares an enterprise contract and again inside the
// sending transaction; core/entseal asks UseGate after the grant and before the one-time code is
// spent. When a rule matches and there is no approval of this very content, the send (or the
// seal use) is refused with a *sync.Refusal that says what to do (approval_required,
// approval_pending, approval_rejected, approval_stale). The sender keeps the contract as a draft
// and submits it (Submit, kind send); a signer submits the use of a seal on a contract in
// progress (kind seal). Any one of the rule's approvers who still holds approvals.approve
// decides with a comment (Decide); the requester may withdraw a pending request. A send approval
// is bound to a digest of the draft's content: editing the draft after the approval voids it.
//
// Every submission, decision and withdrawal is a step of the contract's timeline (so it is in
// the 签署报告 PDF), a line of the audit log and an event in the enterprise's sync scope and in
// the approvers' and the requester's own scopes (the desktop's 需要我审批 counter).
//
// # Notices
//
// With Notices set, people hear of it outside the app too, through the notifier that carries the
// one-time codes (SMTP e-mail, or a text message to an account without an e-mail address; the
// dev outbox under --dev): each approver when a request waits for them or is withdrawn, the
// requester when it is approved or rejected (with the comment), and the enterprise's 企业通知邮箱
// of both. Notices go after the transaction commits; one that cannot be delivered is logged by
// the Noticer and changes nothing.
//
// # What it refuses
//
//   - Rules from members without approvals.manage; rules without a name, with an unknown kind,
//     without approvers or with an approver who is not an enabled member holding
//     approvals.approve, with an unknown seal; more than MaxRules rules.
//   - Deciding without approvals.approve, as someone the rule does not name, one's own request,
//     twice (already_decided), after a withdrawal, or when the contract is no longer waiting
//     (withdrawn, declined, deleted draft …).
//   - Submitting what no rule asks to approve, what is already waiting, a contract of another
//     enterprise or of someone else.
package approval

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/api"
	"sealdesk/core/envelope"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// Buckets.
const (
	BucketRules  = "approval_rules"  // <ent>/<rule> → api.ApprovalRule
	BucketItems  = "approvals"       // <approval> → stored
	BucketByEnv  = "approval_by_env" // <envelope>/send or <envelope>/seal/<seal>/<account> → approval id (latest)
	BucketInbox  = "approval_inbox"  // <approver>/<ent>/<approval> → "" (pending, to decide)
	BucketBoxes  = "approval_boxes"  // <account>/<box>/<ent>/<inverted time>/<approval> → ""
	EventChanged = "approval.changed"
)

// Limits.
const (
	MaxRules     = 50
	MaxApprovers = 10
	MaxName      = 40
	MaxNote      = 300
	MaxComment   = 300
	MaxListed    = 200
)

// Member is an enabled member as the enterprise domain reports it.
type Member struct {
	AccountID string
	Name      string
	// Departments are the member's department and every one above it.
	Departments []string
}

// Directory is what approvals need from the enterprise and seal domains.
type Directory interface {
	// Require returns the member if accountID is an enabled member of the enterprise holding p
	// ("" : any enabled member), else a 403 *sync.Refusal.
	Require(tx sync.Tx, enterpriseID, accountID string, p org.Permission) (Member, error)
	// SealName returns the name of a seal of the enterprise (a 404 *sync.Refusal if none).
	SealName(tx sync.Tx, enterpriseID, sealID string) (string, error)
}

// Noticer delivers the notices of requests and decisions (see # Notices).
type Noticer interface {
	// Person sends a notice to an account: to its e-mail address, else its phone.
	Person(ctx context.Context, accountID, subject, body string)
	// Enterprise sends it to the enterprise's 企业通知邮箱 (none set: nothing).
	Enterprise(ctx context.Context, enterpriseID, subject, body string)
}

// Service runs approvals over a store.
type Service struct {
	Store     sync.Store
	Directory Directory
	Envelopes *envelope.Service // timeline steps of contracts
	Hub       *sync.Hub         // may be nil
	Notices   Noticer           // may be nil: no notices
	Now       func() time.Time
}

func kindZH(kind string) string {
	if kind == api.ApprovalSeal {
		return "用印审批"
	}
	return "发送审批"
}

// what names the contract (and the seal) of a.
func what(a api.Approval) string {
	w := "《" + a.Subject + "》"
	if a.SealName != "" {
		w += "（印章：" + a.SealName + "）"
	}
	return w
}

// noticeRequested tells every approver that a waits for them, and the 企业通知邮箱.
func (s *Service) noticeRequested(ctx context.Context, a api.Approval) {
	if s.Notices == nil {
		return
	}
	subject := "待您审批：" + a.Subject
	body := fmt.Sprintf("【SealDesk】待您审批：%s 提交了%s的%s（规则「%s」）", a.RequesterName, what(a), kindZH(a.Kind), a.RuleName)
	if a.Amount > 0 {
		body += "，合同金额 " + envelope.FormatAmount(a.Amount) + " 元"
	}
	if a.Note != "" {
		body += "，说明：" + a.Note
	}
	body += "。请在 SealDesk 的“审批管理 › 需要我审批”中处理。"
	for _, id := range a.Approvers {
		s.Notices.Person(ctx, id, subject, body)
	}
	s.Notices.Enterprise(ctx, a.EnterpriseID, "新的"+kindZH(a.Kind), strings.Replace(body, "待您审批：", "", 1))
}

// noticeDecided tells the requester (and the 企业通知邮箱) how a was decided.
func (s *Service) noticeDecided(ctx context.Context, a api.Approval) {
	if s.Notices == nil {
		return
	}
	result := "已通过"
	if a.Status == api.ApprovalRejected {
		result = "已驳回"
	}
	body := fmt.Sprintf("【SealDesk】您提交的%s的%s%s（审批人：%s", what(a), kindZH(a.Kind), result, a.DeciderName)
	if a.Comment != "" {
		body += "，意见：" + a.Comment
	}
	body += "）。"
	if a.Status == api.ApprovalApproved && a.Kind == api.ApprovalSend {
		body += "现在可以发送该合同。"
	} else if a.Status == api.ApprovalRejected {
		body += "修改后可重新提交审批。"
	}
	s.Notices.Person(ctx, a.RequesterID, "审批"+result+"："+a.Subject, body)
	s.Notices.Enterprise(ctx, a.EnterpriseID, kindZH(a.Kind)+result, strings.Replace(body, "您提交的", a.RequesterName+" 提交的", 1))
}

// noticeWithdrawn tells the approvers that a no longer waits for them.
func (s *Service) noticeWithdrawn(ctx context.Context, a api.Approval) {
	if s.Notices == nil {
		return
	}
	body := fmt.Sprintf("【SealDesk】%s 撤回了%s的%s，无需再处理。", a.RequesterName, what(a), kindZH(a.Kind))
	for _, id := range a.Approvers {
		s.Notices.Person(ctx, id, "审批已撤回："+a.Subject, body)
	}
}

type stored struct {
	api.Approval
	Digest string `json:"digest,omitempty"` // of the draft's content (kind send)
}

var mark = []byte("1") // the value of index keys

func refuse(status int, code, msg string) *sync.Refusal { return sync.Refuse(status, code, msg) }

var (
	errNotFound   = refuse(http.StatusNotFound, "approval_not_found", "审批不存在")
	errNotApprove = refuse(http.StatusForbidden, "not_approver", "您不是该审批的审批人")
	errSelf       = refuse(http.StatusForbidden, "self_approval", "不能审批自己提交的申请")
	errWithdrawn  = refuse(http.StatusConflict, "approval_withdrawn", "该审批已撤回，无需处理")
)

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func newID(prefix string) string {
	var b [10]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func invTime(t time.Time) string { return fmt.Sprintf("%019d", math.MaxInt64-t.UnixNano()) }

func statusZH(st string) string {
	return map[string]string{api.ApprovalPending: "待审批", api.ApprovalApproved: "已通过", api.ApprovalRejected: "已驳回",
		api.ApprovalWithdrawn: "已撤回"}[st]
}

func checkID(id string) bool { return id != "" && len(id) <= 64 && !strings.ContainsAny(id, "/\x00") }

// --- rules ---------------------------------------------------------------------------------------

// Rules lists the enterprise's rules in the order they were made (approvals.manage).
func (s *Service) Rules(ctx context.Context, eid, actor string) ([]api.ApprovalRule, error) {
	out := []api.ApprovalRule{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, org.PermManageApprovals); err != nil {
			return err
		}
		var err error
		out, err = rules(tx, eid, "")
		return err
	})
	return out, err
}

func rules(tx sync.Tx, eid, kind string) ([]api.ApprovalRule, error) {
	out := []api.ApprovalRule{}
	err := tx.Scan(BucketRules, eid+"/", "", 0, func(_ string, v []byte) error {
		var r api.ApprovalRule
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if kind == "" || r.Kind == kind {
			out = append(out, r)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b api.ApprovalRule) int { return a.Created.Compare(b.Created) })
	return out, err
}

func cleanList(xs []string, max int, what string) ([]string, error) {
	var out []string
	for _, x := range xs {
		x = strings.TrimSpace(x)
		if x == "" || slices.Contains(out, x) {
			continue
		}
		if !checkID(x) {
			return nil, refuse(http.StatusBadRequest, "bad_rule", what+"编号不正确")
		}
		out = append(out, x)
	}
	if len(out) > max {
		return nil, refuse(http.StatusBadRequest, "bad_rule", fmt.Sprintf("%s最多 %d 个", what, max))
	}
	return out, nil
}

// SaveRule creates a rule (r.ID empty) or replaces one (approvals.manage).
func (s *Service) SaveRule(ctx context.Context, eid, actor string, r api.ApprovalRule) (api.ApprovalRule, error) {
	// Who asks comes before what is asked: a stranger learns nothing of the rules' limits.
	if err := s.Store.View(ctx, func(tx sync.Tx) error {
		_, err := s.Directory.Require(tx, eid, actor, org.PermManageApprovals)
		return err
	}); err != nil {
		return r, err
	}
	r.Name = strings.TrimSpace(r.Name)
	if n := utf8.RuneCountInString(r.Name); n == 0 || n > MaxName || strings.ContainsFunc(r.Name, isControl) {
		return r, refuse(http.StatusBadRequest, "bad_rule_name", fmt.Sprintf("请填写规则名称（1–%d 个字）", MaxName))
	}
	if r.Kind != api.ApprovalSend && r.Kind != api.ApprovalSeal {
		return r, refuse(http.StatusBadRequest, "bad_rule_kind", "审批类型须为发送审批或用印审批")
	}
	if r.MinAmount < 0 {
		return r, refuse(http.StatusBadRequest, "bad_amount", "合同金额不能为负数")
	}
	var err error
	if r.Approvers, err = cleanList(r.Approvers, MaxApprovers, "审批人"); err != nil {
		return r, err
	}
	if len(r.Approvers) == 0 {
		return r, refuse(http.StatusBadRequest, "no_approvers", "请至少选择一位审批人")
	}
	if r.Seals, err = cleanList(r.Seals, 50, "印章"); err != nil {
		return r, err
	}
	if r.Kind == api.ApprovalSend {
		r.Seals = nil
	}
	if r.Departments, err = cleanList(r.Departments, 50, "部门"); err != nil {
		return r, err
	}
	if r.Templates, err = cleanList(r.Templates, 50, "模板"); err != nil {
		return r, err
	}
	now := s.now()
	var scope []string
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		scope = nil
		if _, err := s.Directory.Require(tx, eid, actor, org.PermManageApprovals); err != nil {
			return err
		}
		for _, a := range r.Approvers {
			_, err := s.Directory.Require(tx, eid, a, org.PermApproveContracts)
			var ref *sync.Refusal
			if errors.As(err, &ref) {
				who := a
				if m, e := s.Directory.Require(tx, eid, a, ""); e == nil {
					who = m.Name
				}
				return refuse(http.StatusBadRequest, "bad_approver", fmt.Sprintf("审批人「%s」须为企业的在职成员并有「%s」权限", who, org.PermApproveContracts.Label()))
			} else if err != nil {
				return err
			}
		}
		for _, sid := range r.Seals {
			if _, err := s.Directory.SealName(tx, eid, sid); err != nil {
				return err
			}
		}
		if r.ID == "" {
			if err := sync.Claim(tx, "approval-rules/"+eid); err != nil {
				return err
			}
			n := 0
			if err := tx.Scan(BucketRules, eid+"/", "", MaxRules+1, func(string, []byte) error { n++; return nil }); err != nil {
				return err
			}
			if n >= MaxRules {
				return refuse(http.StatusBadRequest, "too_many_rules", fmt.Sprintf("每个企业最多 %d 条审批规则", MaxRules))
			}
			r.ID, r.Created = newID("apr_"), now
		} else {
			var old api.ApprovalRule
			if !checkID(r.ID) {
				return refuse(http.StatusNotFound, "rule_not_found", "审批规则不存在")
			}
			if err := sync.GetJSON(tx, BucketRules, eid+"/"+r.ID, &old); errors.Is(err, sync.ErrNotFound) {
				return refuse(http.StatusNotFound, "rule_not_found", "审批规则不存在")
			} else if err != nil {
				return err
			}
			r.Created = old.Created
		}
		r.EnterpriseID, r.Updated = eid, now
		if err := sync.PutJSON(tx, BucketRules, eid+"/"+r.ID, r); err != nil {
			return err
		}
		scope = []string{org.EnterpriseScope(eid)}
		return s.record(tx, eid, actor, "approval.rule_saved", map[string]string{"id": r.ID, "name": r.Name}, now)
	})
	s.wake(scope)
	return r, err
}

// DeleteRule removes a rule (approvals.manage); approvals it started stay as they are.
func (s *Service) DeleteRule(ctx context.Context, eid, rid, actor string) error {
	now := s.now()
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, org.PermManageApprovals); err != nil {
			return err
		}
		if !checkID(rid) {
			return refuse(http.StatusNotFound, "rule_not_found", "审批规则不存在")
		}
		if _, err := tx.Get(BucketRules, eid+"/"+rid); errors.Is(err, sync.ErrNotFound) {
			return refuse(http.StatusNotFound, "rule_not_found", "审批规则不存在")
		} else if err != nil {
			return err
		}
		if err := tx.Delete(BucketRules, eid+"/"+rid); err != nil {
			return err
		}
		return s.record(tx, eid, actor, "approval.rule_deleted", map[string]string{"id": rid}, now)
	})
	if err == nil {
		s.wake([]string{org.EnterpriseScope(eid)})
	}
	return err
}

// subject is what a rule is matched against.
type subject struct {
	kind        string
	seal        string
	amount      int64
	departments []string
	template    string
}

func matches(r api.ApprovalRule, x subject) bool {
	if r.Kind != x.kind {
		return false
	}
	if len(r.Seals) > 0 && !slices.Contains(r.Seals, x.seal) {
		return false
	}
	if r.MinAmount > 0 && x.amount < r.MinAmount {
		return false
	}
	if len(r.Departments) > 0 && !slices.ContainsFunc(r.Departments, func(d string) bool { return slices.Contains(x.departments, d) }) {
		return false
	}
	if len(r.Templates) > 0 && !slices.Contains(r.Templates, x.template) {
		return false
	}
	return true
}

// firstRule returns the first rule (in the order of creation) that x matches.
func firstRule(tx sync.Tx, eid string, x subject) (api.ApprovalRule, bool, error) {
	rs, err := rules(tx, eid, x.kind)
	if err != nil {
		return api.ApprovalRule{}, false, err
	}
	for _, r := range rs {
		if matches(r, x) {
			return r, true, nil
		}
	}
	return api.ApprovalRule{}, false, nil
}

// digest binds a send approval to the draft's content.
func digest(req api.EnvelopeRequest) string {
	req.Draft = false
	b, _ := json.Marshal(req)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func byEnvKey(kind, envID, sealID, account string) string {
	if kind == api.ApprovalSend {
		return envID + "/send"
	}
	return envID + "/seal/" + sealID + "/" + account
}

func latest(tx sync.Tx, key string) (stored, bool, error) {
	id, err := tx.Get(BucketByEnv, key)
	if errors.Is(err, sync.ErrNotFound) {
		return stored{}, false, nil
	}
	if err != nil {
		return stored{}, false, err
	}
	var a stored
	if err := sync.GetJSON(tx, BucketItems, string(id), &a); err != nil {
		return stored{}, false, err
	}
	return a, true, nil
}

// --- gates ---------------------------------------------------------------------------------------

// SendGate is envelope.Service.SendGate: an enterprise contract a rule matches is sent only with
// an approval of this content.
func (s *Service) SendGate(tx sync.Tx, envID, sender string, req api.EnvelopeRequest) error {
	m, err := s.Directory.Require(tx, req.EnterpriseID, sender, "")
	if err != nil {
		return err
	}
	r, ok, err := firstRule(tx, req.EnterpriseID, subject{kind: api.ApprovalSend, amount: req.Amount, departments: m.Departments, template: req.Template})
	if err != nil || !ok {
		return err
	}
	a, found, err := latest(tx, byEnvKey(api.ApprovalSend, envID, "", ""))
	if err != nil {
		return err
	}
	return gateAnswer(r, a, found, digest(req), "发送")
}

func gateAnswer(r api.ApprovalRule, a stored, found bool, dig, what string) error {
	if found {
		switch a.Status {
		case api.ApprovalApproved:
			if a.Digest == "" || a.Digest == dig {
				return nil
			}
			return refuse(http.StatusConflict, "approval_stale", "审批通过后合同内容已修改，请重新提交审批")
		case api.ApprovalPending:
			return refuse(http.StatusConflict, "approval_pending", fmt.Sprintf("正在等待「%s」审批（审批人：%s），审批通过后才能%s",
				a.RuleName, strings.Join(a.ApproverNames, "、"), what))
		case api.ApprovalRejected:
			msg := "审批未通过"
			if a.Comment != "" {
				msg += "（意见：" + a.Comment + "）"
			}
			return refuse(http.StatusConflict, "approval_rejected", msg+"，修改后可重新提交审批")
		}
	}
	if what == "发送" {
		return refuse(http.StatusConflict, "approval_required", fmt.Sprintf("该合同须经「%s」审批后才能发送：请保存为草稿并提交审批", r.Name))
	}
	return refuse(http.StatusConflict, "approval_required", fmt.Sprintf("使用该印章须经「%s」审批：请先提交用印审批", r.Name))
}

// UseGate is entseal.Service.UseGate: a seal use a rule matches needs an approval of this
// person's use of this seal on this contract.
func (s *Service) UseGate(tx sync.Tx, eid, sealID, account, contractID string) error {
	m, err := s.Directory.Require(tx, eid, account, "")
	if err != nil {
		return err
	}
	x := subject{kind: api.ApprovalSeal, seal: sealID, departments: m.Departments}
	if contractID != "" {
		if env, err := envelope.Lookup(tx, contractID); err == nil {
			x.amount, x.template = env.Request.Amount, env.Request.Template
		}
	}
	r, ok, err := firstRule(tx, eid, x)
	if err != nil || !ok {
		return err
	}
	if contractID == "" {
		return refuse(http.StatusConflict, "approval_required", fmt.Sprintf("使用该印章须经「%s」审批：请在合同中用印并提交用印审批", r.Name))
	}
	a, found, err := latest(tx, byEnvKey(api.ApprovalSeal, contractID, sealID, account))
	if err != nil {
		return err
	}
	return gateAnswer(r, a, found, "", "用印")
}

// --- submit, decide, withdraw ----------------------------------------------------------------------

// isControl reports a character user text may not hold (org.Invisible: controls, bidi overrides,
// zero-width and other invisible characters).
func isControl(r rune) bool { return org.Invisible(r) }

func checkText(s string, max int, what string) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > max {
		return "", refuse(http.StatusBadRequest, "text_too_long", fmt.Sprintf("%s最多 %d 个字（现为 %d 个字）", what, max, n))
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && isControl(r) }) {
		return "", refuse(http.StatusBadRequest, "bad_text", what+"不能包含控制字符")
	}
	return s, nil
}

func account(tx sync.Tx, id string) (org.Account, error) {
	var a org.Account
	err := sync.GetJSON(tx, org.BucketAccounts, id, &a)
	return a, err
}

func parties(env envelope.Stored) []string {
	var out []string
	for _, rc := range env.Recipients {
		if rc.Kind == api.RecipientCompany {
			out = append(out, rc.Company)
		} else if rc.Kind != api.RecipientCC {
			out = append(out, rc.Name)
		}
	}
	return out
}

// Submit asks for an approval (any enabled member: the draft's sender, or a party of the
// contract for a seal).
func (s *Service) Submit(ctx context.Context, eid, actor string, req api.ApprovalSubmit) (api.Approval, error) {
	now := s.now()
	var out stored
	var scopes []string
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		scopes = nil
		m, err := s.Directory.Require(tx, eid, actor, "")
		if err != nil {
			return err
		}
		note, err := checkText(req.Note, MaxNote, "申请说明")
		if err != nil {
			return err
		}
		env, err := envelope.Lookup(tx, req.EnvelopeID)
		if err != nil {
			return err
		}
		me, err := account(tx, actor)
		if err != nil {
			return err
		}
		a := stored{Approval: api.Approval{ID: newID("ap_"), EnterpriseID: eid, Kind: req.Kind, Status: api.ApprovalPending,
			EnvelopeID: env.ID, Subject: env.Subject, Amount: env.Request.Amount, Parties: parties(env), RequesterID: actor,
			RequesterName: m.Name, Note: note, Created: now}}
		x := subject{kind: req.Kind, amount: env.Request.Amount, departments: m.Departments, template: env.Request.Template}
		switch req.Kind {
		case api.ApprovalSend:
			if env.SenderID != actor {
				return refuse(http.StatusNotFound, "not_found", "合同不存在")
			}
			if env.EnterpriseID != eid {
				return refuse(http.StatusBadRequest, "wrong_enterprise", "该合同不是以本企业名义发起的")
			}
			if env.Status != api.EnvelopeDraft {
				return refuse(http.StatusConflict, "not_draft", "只有草稿可以提交发送审批（该合同已发送）")
			}
			a.Digest = digest(env.Request)
		case api.ApprovalSeal:
			if !slices.Contains(env.PartyKeys, envelope.PartyKey(me)) {
				return refuse(http.StatusNotFound, "not_found", "合同不存在")
			}
			if env.Status != api.EnvelopeInProgress {
				return contractClosed(env.Status)
			}
			name, err := s.Directory.SealName(tx, eid, req.SealID)
			if err != nil {
				return err
			}
			a.SealID, a.SealName, x.seal = req.SealID, name, req.SealID
		default:
			return refuse(http.StatusBadRequest, "bad_kind", "审批类型须为发送审批或用印审批")
		}
		r, ok, err := firstRule(tx, eid, x)
		if err != nil {
			return err
		}
		if !ok {
			return refuse(http.StatusBadRequest, "approval_not_required", "没有审批规则要求审批此项，可直接"+map[string]string{api.ApprovalSend: "发送", api.ApprovalSeal: "用印"}[req.Kind])
		}
		key := byEnvKey(req.Kind, env.ID, req.SealID, actor)
		prev, found, err := latest(tx, key)
		if err != nil {
			return err
		}
		if found && prev.Status == api.ApprovalPending {
			return refuse(http.StatusConflict, "approval_pending", "已提交审批，请等待审批结果")
		}
		if found && prev.Status == api.ApprovalApproved && (prev.Digest == a.Digest) {
			return refuse(http.StatusConflict, "already_approved", "已审批通过，无需再次提交")
		}
		a.RuleID, a.RuleName = r.ID, r.Name
		for _, id := range r.Approvers {
			if id == actor {
				continue // nobody approves their own request
			}
			am, err := s.Directory.Require(tx, eid, id, "")
			if err != nil {
				continue // a departed approver: the others decide
			}
			a.Approvers, a.ApproverNames = append(a.Approvers, id), append(a.ApproverNames, am.Name)
		}
		if len(a.Approvers) == 0 {
			return refuse(http.StatusConflict, "no_approvers", fmt.Sprintf("审批规则「%s」没有可用的审批人，请联系企业管理员", r.Name))
		}
		if err := sync.PutJSON(tx, BucketItems, a.ID, a); err != nil {
			return err
		}
		if err := tx.Put(BucketByEnv, key, []byte(a.ID)); err != nil {
			return err
		}
		for _, id := range a.Approvers {
			if err := tx.Put(BucketInbox, id+"/"+eid+"/"+a.ID, mark); err != nil {
				return err
			}
		}
		if err := tx.Put(BucketBoxes, actor+"/"+api.ApprovalBoxMine+"/"+eid+"/"+invTime(now)+"/"+a.ID, mark); err != nil {
			return err
		}
		line := "「" + r.Name + "」"
		if a.SealName != "" {
			line += " 印章：" + a.SealName
		}
		if a.Note != "" {
			line += " 说明：" + a.Note
		}
		sc, err := s.step(tx, env.ID, envelope.StepApprovalRequested, actor, m.Name, line, now)
		if err != nil {
			return err
		}
		scopes = append(sc, s.events(tx, a.Approval, now)...)
		out = a
		return s.record(tx, eid, actor, "approval.submitted", map[string]string{"id": a.ID, "envelope": env.ID, "kind": a.Kind}, now)
	})
	if err != nil {
		return api.Approval{}, err
	}
	s.wake(scopes)
	s.noticeRequested(ctx, out.Approval)
	return out.Approval, nil
}

func contractClosed(status string) *sync.Refusal {
	switch status {
	case api.EnvelopeWithdrawn:
		return refuse(http.StatusConflict, "contract_withdrawn", "合同已撤回，不能再审批")
	case api.EnvelopeDraft:
		return refuse(http.StatusConflict, "contract_closed", "合同还是草稿，尚未发送")
	}
	return refuse(http.StatusConflict, "contract_closed", "合同已"+map[string]string{api.EnvelopeCompleted: "完成", api.EnvelopeCompleting: "签完",
		api.EnvelopeDeclined: "被拒签", api.EnvelopeExpired: "逾期"}[status]+"，不能再审批")
}

// step adds a line to the contract's timeline.
func (s *Service) step(tx sync.Tx, envID, action, actor, name, note string, now time.Time) ([]string, error) {
	if s.Envelopes == nil {
		return nil, nil
	}
	return s.Envelopes.AddStep(tx, envID, api.Step{Time: now, Action: action, AccountID: actor, Name: name, Recipient: -1, Document: -1, Note: note}, now)
}

// events tells the enterprise, the approvers and the requester that a changed.
func (s *Service) events(tx sync.Tx, a api.Approval, now time.Time) []string {
	payload, _ := json.Marshal(map[string]string{"id": a.ID, "status": a.Status, "kind": a.Kind, "envelope": a.EnvelopeID})
	scopes := []string{org.EnterpriseScope(a.EnterpriseID), org.Scope(a.RequesterID)}
	for _, id := range a.Approvers {
		scopes = append(scopes, org.Scope(id))
	}
	var out []string
	for _, sc := range scopes {
		if slices.Contains(out, sc) {
			continue
		}
		if _, err := tx.Append(sync.Event{Scope: sc, Type: EventChanged, Time: now, Payload: payload}); err == nil {
			out = append(out, sc)
		}
	}
	return out
}

func (s *Service) record(tx sync.Tx, eid, actor, typ string, payload any, now time.Time) error {
	b, _ := json.Marshal(payload)
	return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: actor, Action: typ, Target: eid, Detail: string(b)})
}

func (s *Service) wake(scopes []string) {
	if s.Hub == nil {
		return
	}
	for _, sc := range scopes {
		s.Hub.Notify(sc)
	}
}

func load(tx sync.Tx, eid, aid string) (stored, error) {
	var a stored
	if !checkID(aid) {
		return a, errNotFound
	}
	if err := sync.GetJSON(tx, BucketItems, aid, &a); errors.Is(err, sync.ErrNotFound) {
		return a, errNotFound
	} else if err != nil {
		return a, err
	}
	if a.EnterpriseID != eid {
		return a, errNotFound
	}
	return a, nil
}

// close takes a off every approver's inbox and files it in the boxes.
func closeInbox(tx sync.Tx, a stored, now time.Time) error {
	for _, id := range a.Approvers {
		if err := tx.Delete(BucketInbox, id+"/"+a.EnterpriseID+"/"+a.ID); err != nil {
			return err
		}
	}
	return nil
}

// Decide approves or rejects a pending approval (approvals.approve, named by the rule).
func (s *Service) Decide(ctx context.Context, eid, aid, actor string, approve bool, comment string) (api.Approval, error) {
	now := s.now()
	var out stored
	var scopes []string
	var closed *sync.Refusal
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		scopes, closed = nil, nil
		m, err := s.Directory.Require(tx, eid, actor, org.PermApproveContracts)
		if err != nil {
			return err
		}
		c, err := checkText(comment, MaxComment, "审批意见")
		if err != nil {
			return err
		}
		a, err := load(tx, eid, aid)
		if err != nil {
			return err
		}
		switch a.Status {
		case api.ApprovalApproved, api.ApprovalRejected:
			return refuse(http.StatusConflict, "already_decided", fmt.Sprintf("该审批已处理（%s，%s），不能重复审批", statusZH(a.Status), a.DeciderName))
		case api.ApprovalWithdrawn:
			return errWithdrawn
		}
		if a.RequesterID == actor {
			return errSelf
		}
		if !slices.Contains(a.Approvers, actor) {
			return errNotApprove
		}
		if !approve && c == "" {
			return refuse(http.StatusBadRequest, "comment_required", "驳回时请填写审批意见")
		}
		env, err := envelope.Lookup(tx, a.EnvelopeID)
		var ref *sync.Refusal
		switch {
		case errors.As(err, &ref):
			closed = refuse(http.StatusConflict, "contract_closed", "合同草稿已删除，不能再审批")
		case err != nil:
			return err
		case a.Kind == api.ApprovalSend && env.Status != api.EnvelopeDraft:
			closed = contractClosed(env.Status)
		case a.Kind == api.ApprovalSend && digest(env.Request) != a.Digest:
			closed = refuse(http.StatusConflict, "approval_stale", "提交审批后合同草稿已修改，请发起人重新提交审批")
		case a.Kind == api.ApprovalSeal && env.Status != api.EnvelopeInProgress:
			closed = contractClosed(env.Status)
		}
		if closed != nil {
			// Nothing waits any more: the request leaves every inbox (committed), then the
			// approver hears why.
			a.Status, a.Decided, a.Comment = api.ApprovalWithdrawn, now, closed.Message
			if err := sync.PutJSON(tx, BucketItems, a.ID, a); err != nil {
				return err
			}
			if err := closeInbox(tx, a, now); err != nil {
				return err
			}
			scopes = s.events(tx, a.Approval, now)
			return nil
		}
		a.Status = api.ApprovalRejected
		action := envelope.StepRejected
		if approve {
			a.Status, action = api.ApprovalApproved, envelope.StepApproved
		}
		a.DeciderID, a.DeciderName, a.Comment, a.Decided = actor, m.Name, c, now
		if err := sync.PutJSON(tx, BucketItems, a.ID, a); err != nil {
			return err
		}
		if err := closeInbox(tx, a, now); err != nil {
			return err
		}
		if err := tx.Put(BucketBoxes, actor+"/"+api.ApprovalBoxDone+"/"+eid+"/"+invTime(now)+"/"+a.ID, mark); err != nil {
			return err
		}
		note := "「" + a.RuleName + "」"
		if a.SealName != "" {
			note += " 印章：" + a.SealName
		}
		if c != "" {
			note += " 意见：" + c
		}
		sc, err := s.step(tx, a.EnvelopeID, action, actor, m.Name, note, now)
		if err != nil {
			return err
		}
		scopes = append(sc, s.events(tx, a.Approval, now)...)
		out = a
		return s.record(tx, eid, actor, "approval."+a.Status, map[string]string{"id": a.ID, "envelope": a.EnvelopeID, "comment": c}, now)
	})
	if err != nil {
		return api.Approval{}, err
	}
	s.wake(scopes)
	if closed != nil {
		return api.Approval{}, closed
	}
	s.noticeDecided(ctx, out.Approval)
	return out.Approval, nil
}

// Withdraw takes back a pending request (the requester only).
func (s *Service) Withdraw(ctx context.Context, eid, aid, actor string) (api.Approval, error) {
	now := s.now()
	var out stored
	var scopes []string
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		scopes = nil
		m, err := s.Directory.Require(tx, eid, actor, "")
		if err != nil {
			return err
		}
		a, err := load(tx, eid, aid)
		if err != nil {
			return err
		}
		if a.RequesterID != actor {
			return refuse(http.StatusForbidden, "not_requester", "只有提交人可以撤回审批")
		}
		if a.Status != api.ApprovalPending {
			return refuse(http.StatusConflict, "already_decided", "该审批"+statusZH(a.Status)+"，不能撤回")
		}
		a.Status, a.Decided = api.ApprovalWithdrawn, now
		if err := sync.PutJSON(tx, BucketItems, a.ID, a); err != nil {
			return err
		}
		if err := closeInbox(tx, a, now); err != nil {
			return err
		}
		sc, err := s.step(tx, a.EnvelopeID, envelope.StepApprovalWithdrawn, actor, m.Name, "「"+a.RuleName+"」", now)
		if err != nil && !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		scopes = append(sc, s.events(tx, a.Approval, now)...)
		out = a
		return s.record(tx, eid, actor, "approval.withdrawn", map[string]string{"id": a.ID}, now)
	})
	if err != nil {
		return api.Approval{}, err
	}
	s.wake(scopes)
	s.noticeWithdrawn(ctx, out.Approval)
	return out.Approval, nil
}

// --- reading ---------------------------------------------------------------------------------------

func (s *Service) view(tx sync.Tx, a stored, actor string) api.Approval {
	v := a.Approval
	if v.Status == api.ApprovalPending && v.RequesterID != actor && slices.Contains(v.Approvers, actor) {
		_, err := s.Directory.Require(tx, v.EnterpriseID, actor, org.PermApproveContracts)
		v.CanDecide = err == nil
	}
	return v
}

// Get returns an approval to its requester, its approvers and holders of approvals.manage.
func (s *Service) Get(ctx context.Context, eid, aid, actor string) (api.Approval, error) {
	var out api.Approval
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, ""); err != nil {
			return err
		}
		a, err := load(tx, eid, aid)
		if err != nil {
			return err
		}
		if a.RequesterID != actor && !slices.Contains(a.Approvers, actor) && a.DeciderID != actor {
			if _, err := s.Directory.Require(tx, eid, actor, org.PermManageApprovals); err != nil {
				return errNotFound
			}
		}
		out = s.view(tx, a, actor)
		return nil
	})
	return out, err
}

// List returns a box of the caller in the enterprise, newest first: todo (需要我审批), done (我已
// 审批) or mine (我发起的).
func (s *Service) List(ctx context.Context, eid, actor, box string) ([]api.Approval, error) {
	out := []api.Approval{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, ""); err != nil {
			return err
		}
		var ids []string
		switch box {
		case api.ApprovalBoxTodo, "":
			if _, err := s.Directory.Require(tx, eid, actor, org.PermApproveContracts); err != nil {
				return nil // nothing to decide without the permission
			}
			if err := tx.Scan(BucketInbox, actor+"/"+eid+"/", "", MaxListed, func(k string, _ []byte) error {
				ids = append(ids, k[strings.LastIndexByte(k, '/')+1:])
				return nil
			}); err != nil {
				return err
			}
		case api.ApprovalBoxDone, api.ApprovalBoxMine:
			if err := tx.Scan(BucketBoxes, actor+"/"+box+"/"+eid+"/", "", MaxListed, func(k string, _ []byte) error {
				ids = append(ids, k[strings.LastIndexByte(k, '/')+1:])
				return nil
			}); err != nil {
				return err
			}
		default:
			return refuse(http.StatusBadRequest, "bad_box", "列表须为需要我审批、我已审批或我发起的")
		}
		for _, id := range ids {
			a, err := load(tx, eid, id)
			if err != nil {
				continue
			}
			out = append(out, s.view(tx, a, actor))
		}
		if box == api.ApprovalBoxTodo || box == "" {
			slices.SortFunc(out, func(a, b api.Approval) int { return b.Created.Compare(a.Created) })
		}
		return nil
	})
	return out, err
}

// PendingCount is the 需要我审批 counter: pending approvals the caller may decide, across every
// enterprise they hold approvals.approve in.
func (s *Service) PendingCount(ctx context.Context, actor string) (int, error) {
	n := 0
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		n = 0
		allowed := map[string]bool{}
		return tx.Scan(BucketInbox, actor+"/", "", 0, func(k string, _ []byte) error {
			eid, _, _ := strings.Cut(strings.TrimPrefix(k, actor+"/"), "/")
			ok, seen := allowed[eid]
			if !seen {
				_, err := s.Directory.Require(tx, eid, actor, org.PermApproveContracts)
				var ref *sync.Refusal
				if err != nil && !errors.As(err, &ref) {
					return err
				}
				ok = err == nil
				allowed[eid] = ok
			}
			if ok {
				n++
			}
			return nil
		})
	})
	return n, err
}

// --- 一键转交 --------------------------------------------------------------------------------------

// Handover is the org.HandoverFunc of kind "approvals": from's places as approver in the
// enterprise's rules and pending approvals go to to.
func (s *Service) Handover(tx sync.Tx, eid, from, to string, now time.Time) (int, error) {
	moved := 0
	rs, err := rules(tx, eid, "")
	if err != nil {
		return 0, err
	}
	swap := func(xs []string) ([]string, bool) {
		i := slices.Index(xs, from)
		if i < 0 {
			return xs, false
		}
		xs = slices.Clone(xs)
		if slices.Contains(xs, to) {
			return slices.Delete(xs, i, i+1), true
		}
		xs[i] = to
		return xs, true
	}
	for _, r := range rs {
		var ok bool
		if r.Approvers, ok = swap(r.Approvers); ok {
			r.Updated = now
			if err := sync.PutJSON(tx, BucketRules, eid+"/"+r.ID, r); err != nil {
				return 0, err
			}
			moved++
		}
	}
	var ids []string
	if err := tx.Scan(BucketInbox, from+"/"+eid+"/", "", 0, func(k string, _ []byte) error {
		ids = append(ids, k[strings.LastIndexByte(k, '/')+1:])
		return nil
	}); err != nil {
		return 0, err
	}
	for _, id := range ids {
		a, err := load(tx, eid, id)
		if err != nil {
			return 0, err
		}
		if err := tx.Delete(BucketInbox, from+"/"+eid+"/"+id); err != nil {
			return 0, err
		}
		i := slices.Index(a.Approvers, from)
		if i < 0 {
			continue
		}
		if slices.Contains(a.Approvers, to) || a.RequesterID == to {
			a.Approvers = slices.Delete(a.Approvers, i, i+1)
			if i < len(a.ApproverNames) {
				a.ApproverNames = slices.Delete(a.ApproverNames, i, i+1)
			}
		} else {
			a.Approvers[i] = to
			if m, err := s.Directory.Require(tx, eid, to, ""); err == nil && i < len(a.ApproverNames) {
				a.ApproverNames[i] = m.Name
			}
			if err := tx.Put(BucketInbox, to+"/"+eid+"/"+id, mark); err != nil {
				return 0, err
			}
		}
		if err := sync.PutJSON(tx, BucketItems, a.ID, a); err != nil {
			return 0, err
		}
		moved++
	}
	return moved, nil
}
