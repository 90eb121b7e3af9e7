package envelope

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/api"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// Limits of SPEC §5.
const (
	MaxFiles      = 5
	MaxFileSize   = 10 << 20
	MaxSubject    = 25
	MaxRemark     = 300
	MaxRecipients = 20
	MaxFields     = 200
	MaxReason     = 200
	MaxCompany    = 60
	MaxFileName   = 120
)

// Buckets.
const (
	BucketEnvelopes   = "envelopes"
	BucketBox         = "envelope_box"
	BucketCounts      = "envelope_counts"
	BucketIdem        = "envelope_idem"
	BucketVerify      = "envelope_verify"
	BucketBlobOwners  = "envelope_blob_owner"
	BucketTemplates   = "envelope_templates"
	BucketContacts    = "envelope_contacts"
	BucketOpen        = "envelope_open" // envelopes with a deadline or completing, for the janitor
	BucketDue         = "envelope_due"  // <party key>|d or v|<unix seconds>|<id> → box index key (due.go)
	EventChanged      = "envelope.changed"
	AuditPrefix       = "envelope."
	DefaultListLimit  = 20
	MaxListLimit      = 100
	RemindEvery       = 10 * time.Minute
	MaxRemindsPerDay  = 5
	verifyTokenPrefix = "v"
)

// party is what the server keeps of a recipient besides the wire view.
type party struct {
	Key string `json:"key"` // login key: "sms:<phone>" or "email:<address>"
	// AccountID is the account the recipient's login belonged to at send (empty: none yet);
	// that account finds the envelope by it too (another login of theirs, a changed number).
	AccountID string `json:"account_id,omitempty"`
	Required  []int  `json:"required"`
	Done      []int  `json:"done,omitempty"`
}

// docState is what the server keeps of a document besides the wire view.
type docState struct {
	Sigs     int    `json:"sigs"`     // signatures in Current (the server's included)
	Revs     int    `json:"revs"`     // revisions in Current
	Kind     string `json:"kind"`     // "pdf", "jpeg" or "png": the original's type
	Certify  int    `json:"certify"`  // DocMDP of the server's first signature (0: approval)
	Finished bool   `json:"finished"` // the final PDF exists
}

// record is a stored envelope.
type record struct {
	api.Envelope
	VerifyToken string              `json:"verify_token"`
	SenderKey   string              `json:"sender_key"`
	Parties     []party             `json:"parties"`
	Docs        []docState          `json:"docs"`
	Index       map[string]string   `json:"index"` // party key → its index key now
	Reminds     []time.Time         `json:"reminds,omitempty"`
	Report      string              `json:"report,omitempty"` // blob of the 签署报告
	Request     api.EnvelopeRequest `json:"request"`          // as asked (drafts are sent from it)
	// Due are r's entries in BucketDue now (首页's 即将截止 and 即将过期 lists).
	Due []string `json:"due,omitempty"`
}

func refuse(status int, code, msg string) *sync.Refusal { return sync.Refuse(status, code, msg) }

func bad(code, msg string) *sync.Refusal { return refuse(http.StatusBadRequest, code, msg) }

// loginKey is org's key of a login in org.BucketLogins.
func loginKey(login string, ch notify.Channel) string { return string(ch) + ":" + login }

// accountKey is the party key of an account: its phone, else its e-mail.
func accountKey(a org.Account) string {
	if a.Phone != "" {
		return loginKey(a.Phone, notify.SMS)
	}
	if a.Email != "" {
		return loginKey(a.Email, notify.Email)
	}
	return "account:" + a.ID
}

// validated is a checked request: normalised recipients with their party keys.
type validated struct {
	req     api.EnvelopeRequest
	parties []party
}

// directory answers checkRequest's questions about accounts and enterprises (a store
// transaction in the service; see txDirectory).
type directory interface {
	// Account reads an account by id.
	Account(id string) (org.Account, error)
	// ByLogin finds the account of a login key ("sms:<phone>", "email:<address>"), if any.
	ByLogin(key string) (org.Account, bool, error)
	// Member reads accountID's membership of enterprise eid (sync.ErrNotFound: none).
	Member(eid, accountID string) (org.Member, error)
	// CompanyMember reports whether accountID is a member of an enterprise named company, and
	// whether that membership is disabled.
	CompanyMember(accountID, company string) (member, disabled bool, err error)
}

// txDirectory is a directory over a store transaction (core/org's buckets).
type txDirectory struct{ tx sync.Tx }

func (d txDirectory) Account(id string) (org.Account, error) {
	var a org.Account
	err := sync.GetJSON(d.tx, org.BucketAccounts, id, &a)
	return a, err
}

func (d txDirectory) ByLogin(key string) (org.Account, bool, error) {
	id, err := d.tx.Get(org.BucketLogins, key)
	if errors.Is(err, sync.ErrNotFound) {
		return org.Account{}, false, nil
	}
	if err != nil {
		return org.Account{}, false, err
	}
	a, err := d.Account(string(id))
	if errors.Is(err, sync.ErrNotFound) {
		return org.Account{}, false, nil
	}
	return a, err == nil, err
}

func (d txDirectory) Member(eid, accountID string) (org.Member, error) {
	return org.GetMember(d.tx, eid, accountID)
}

func (d txDirectory) CompanyMember(accountID, company string) (member, disabled bool, err error) {
	if strings.Contains(accountID, "/") {
		return false, false, nil
	}
	disabled = true
	err = d.tx.Scan(org.BucketMemberships, accountID+"/", "", 1000, func(k string, _ []byte) error {
		eid := strings.TrimPrefix(k, accountID+"/")
		e, err := org.GetEnterprise(d.tx, eid)
		if errors.Is(err, sync.ErrNotFound) {
			return nil
		}
		if err != nil || strings.TrimSpace(e.Name) != company {
			return err
		}
		m, err := org.GetMember(d.tx, eid, accountID)
		if errors.Is(err, sync.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		member = true
		disabled = disabled && m.Disabled
		return nil
	})
	return member, member && disabled, err
}

// checkRequest validates what can be checked without the files' bytes, asking dir about
// accounts and memberships: a member recipient must be an enabled member of the enterprise the
// envelope is sent for; a company recipient's handler may not be a disabled member of an
// enterprise of that name (a handler who is no member yet is accepted); a person's or handler's login that belongs to an
// account is matched to that account (its party key is the account's, so it finds the envelope
// whichever of its logins the sender used). Drafts skip the membership checks (they run when
// the draft is sent).
func checkRequest(req api.EnvelopeRequest, now time.Time, dir directory, draft bool) (*validated, error) {
	v := &validated{req: req}
	r := &v.req
	r.Subject = strings.TrimSpace(r.Subject)
	n := utf8.RuneCountInString(r.Subject)
	switch {
	case n == 0 && !draft:
		return nil, bad("subject_required", "请输入签署主题（必填，最多 25 个字）")
	case n > MaxSubject:
		return nil, bad("subject_too_long", fmt.Sprintf("主题最多 %d 个字（现为 %d 个字）", MaxSubject, n))
	case strings.ContainsFunc(r.Subject, isControl):
		return nil, bad("bad_subject", "主题不能包含控制字符")
	}
	if n := utf8.RuneCountInString(r.Remark); n > MaxRemark {
		return nil, bad("remark_too_long", fmt.Sprintf("备注最多 %d 个字（现为 %d 个字）", MaxRemark, n))
	}
	if strings.ContainsFunc(r.Remark, func(c rune) bool { return c != '\n' && isControl(c) }) {
		return nil, bad("bad_remark", "备注不能包含控制字符或不可见字符")
	}
	if !r.Deadline.IsZero() && !r.Deadline.After(now) && !draft {
		return nil, bad("bad_deadline", "签署截止时间须晚于现在")
	}
	switch {
	case r.Amount < 0:
		return nil, bad("bad_amount", "合同金额不能为负数")
	case r.Amount > api.MaxAmount:
		return nil, bad("amount_too_large", "合同金额最多 "+FormatAmount(api.MaxAmount)+" 元")
	}
	if !r.ValidUntil.IsZero() && !draft {
		if !r.ValidUntil.After(now) {
			return nil, bad("bad_valid_until", "合同到期日须晚于现在")
		}
		if !r.Deadline.IsZero() && r.ValidUntil.Before(r.Deadline) {
			return nil, bad("bad_valid_until", "合同到期日不能早于签署截止时间")
		}
	}
	switch r.Order {
	case "":
		r.Order = api.OrderSequential
	case api.OrderSequential, api.OrderParallel:
	default:
		return nil, bad("bad_order", "签署顺序须为顺序签署或无序签署")
	}
	if len(r.Files) == 0 && !draft {
		return nil, bad("no_files", "请添加待签署文件（最多 5 个文档，支持 PDF、JPEG、JPG、PNG，单个文档不超过 10M）")
	}
	if len(r.Files) > MaxFiles {
		return nil, bad("too_many_files", fmt.Sprintf("一次最多添加 %d 个文档（现为 %d 个）", MaxFiles, len(r.Files)))
	}
	for i := range r.Files {
		f := &r.Files[i]
		f.Name = strings.TrimSpace(f.Name)
		if f.Name == "" {
			f.Name = fmt.Sprintf("文件%d", i+1)
		}
		if utf8.RuneCountInString(f.Name) > MaxFileName || strings.ContainsFunc(f.Name, isControl) {
			return nil, bad("bad_file_name", fmt.Sprintf("文件名须为 1–%d 个字符且不含控制字符", MaxFileName))
		}
		if len(f.SHA256) != 64 {
			return nil, bad("bad_file", fmt.Sprintf("文件「%s」未上传", f.Name))
		}
	}
	if len(r.Recipients) > MaxRecipients {
		return nil, bad("too_many_recipients", fmt.Sprintf("最多添加 %d 个接收方", MaxRecipients))
	}
	signers := 0
	seen := map[string]bool{}
	for i := range r.Recipients {
		rc := &r.Recipients[i]
		label := fmt.Sprintf("第 %d 个接收方", i+1)
		var key string
		switch rc.Kind {
		case api.RecipientMember:
			if rc.AccountID == "" {
				return nil, bad("bad_recipient", label+"：请选择企业成员")
			}
			a, err := dir.Account(rc.AccountID)
			if err != nil {
				return nil, bad("bad_recipient", label+"：企业成员不存在")
			}
			if !draft {
				if r.EnterpriseID == "" {
					return nil, bad("member_needs_enterprise", label+"：以个人身份发起时不能添加企业内部成员，请切换到企业后再发起")
				}
				m, err := dir.Member(r.EnterpriseID, a.ID)
				if errors.Is(err, sync.ErrNotFound) {
					return nil, refuse(http.StatusUnprocessableEntity, "recipient_not_member", fmt.Sprintf("%s（%s）不是本企业的成员", label, a.Name))
				} else if err != nil {
					return nil, err
				}
				if m.Disabled {
					return nil, refuse(http.StatusUnprocessableEntity, "recipient_disabled", fmt.Sprintf("%s（%s）在本企业的账号已停用，不能签署", label, m.Name))
				}
			}
			rc.Name, rc.Phone, rc.Email = a.Name, a.Phone, a.Email
			if a.RealName != nil {
				rc.Name = a.RealName.Name
			}
			key = accountKey(a)
		case api.RecipientPerson, api.RecipientCompany, api.RecipientCC:
			rc.AccountID = "" // the server fills it in below
			name, err := org.CheckName(rc.Name)
			if err != nil {
				return nil, bad("bad_name", label+"：请填写正确的姓名（1–40 个字）")
			}
			rc.Name = name
			if rc.Kind == api.RecipientCompany {
				rc.Company = strings.TrimSpace(rc.Company)
				if rc.Company == "" || utf8.RuneCountInString(rc.Company) > MaxCompany || strings.ContainsFunc(rc.Company, isControl) {
					return nil, bad("bad_company", fmt.Sprintf("%s：请填写企业名称（最多 %d 个字）", label, MaxCompany))
				}
				if rc.Phone == "" {
					return nil, bad("bad_phone", label+"：请填写经办人的手机号码")
				}
			}
			switch {
			case rc.Phone != "":
				login, ch, err := org.NormalizeLogin(rc.Phone)
				if err != nil || ch != notify.SMS {
					return nil, bad("bad_phone", fmt.Sprintf("%s（%s）的手机号码「%s」格式不正确，须为 11 位中国大陆手机号", label, rc.Name, rc.Phone))
				}
				rc.Phone, rc.Email = login, ""
				key = loginKey(login, ch)
			case rc.Email != "":
				login, ch, err := org.NormalizeLogin(rc.Email)
				if err != nil || ch != notify.Email {
					return nil, bad("bad_email", fmt.Sprintf("%s（%s）的电子邮箱「%s」格式不正确", label, rc.Name, rc.Email))
				}
				rc.Email = login
				key = loginKey(login, ch)
			default:
				return nil, bad("bad_phone", label+"：请填写手机号码或电子邮箱")
			}
			if rc.Kind != api.RecipientCC {
				a, ok, err := dir.ByLogin(key)
				if err != nil {
					return nil, err
				}
				if ok {
					rc.AccountID = a.ID
					key = accountKey(a) // the key its boxes are listed under
				}
				if ok && rc.Kind == api.RecipientCompany && !draft {
					// A handler who is not a member yet is fine (they may be invited, or claim the
					// enterprise by an appeal started from this contract, manual 000); one whose
					// membership was disabled has left and cannot seal for it.
					member, disabled, err := dir.CompanyMember(a.ID, rc.Company)
					if err != nil {
						return nil, err
					}
					if member && disabled {
						return nil, refuse(http.StatusUnprocessableEntity, "handler_disabled",
							fmt.Sprintf("%s：经办人%s在“%s”的账号已停用，无法代表该企业盖章；请改填该企业现在的经办人", label, rc.Name, rc.Company))
					}
				}
			}
		default:
			return nil, bad("bad_recipient", label+"：类型须为企业成员、个人、企业或抄送")
		}
		if rc.Kind != api.RecipientCC {
			signers++
			if seen[key] {
				return nil, bad("duplicate_recipient", label+"：同一签署人不能添加两次")
			}
			seen[key] = true
		}
		v.parties = append(v.parties, party{Key: key, AccountID: rc.AccountID})
	}
	if signers == 0 && !draft {
		return nil, bad("no_signers", "请至少添加一个签署方")
	}
	if len(r.Fields) > MaxFields {
		return nil, bad("too_many_fields", fmt.Sprintf("签署位置最多 %d 个", MaxFields))
	}
	for i, f := range r.Fields {
		label := fmt.Sprintf("第 %d 个签署位置", i+1)
		if f.Recipient < 0 || f.Recipient >= len(r.Recipients) || r.Recipients[f.Recipient].Kind == api.RecipientCC {
			return nil, bad("bad_field", label+"：须属于一个签署方")
		}
		if f.Document < 0 || f.Document >= len(r.Files) {
			return nil, bad("bad_field", label+"：文件不存在")
		}
		switch f.Kind {
		case api.FieldSignature, api.FieldSeal, api.FieldDate, api.FieldCrossPage:
		default:
			return nil, bad("bad_field", label+"：类型须为签名、盖章、日期或骑缝章")
		}
		if f.Page < 1 {
			return nil, bad("bad_field", label+"：页码须从 1 开始")
		}
		if f.Rect[2]-f.Rect[0] < 4 || f.Rect[3]-f.Rect[1] < 4 {
			return nil, bad("bad_field", label+"：区域太小")
		}
	}
	// Required documents per signer: where their boxes are, or every document when none.
	for k := range v.parties {
		if r.Recipients[k].Kind == api.RecipientCC {
			continue
		}
		set := map[int]bool{}
		for _, f := range r.Fields {
			if f.Recipient == k {
				set[f.Document] = true
			}
		}
		for d := range r.Files {
			if len(set) == 0 || set[d] {
				v.parties[k].Required = append(v.parties[k].Required, d)
			}
		}
	}
	return v, nil
}

// isControl reports a character user text may not hold (org.Invisible: controls, bidi overrides,
// zero-width and other invisible characters).
func isControl(r rune) bool { return org.Invisible(r) }

// prefix is the field-name prefix of recipient k (0-based).
func prefix(k int) string { return fmt.Sprintf("R%d.", k+1) }

// fieldName names the n-th (1-based) box of a kind of recipient k.
func fieldName(k int, kind string, n int) string {
	short := map[string]string{api.FieldSignature: "sig", api.FieldSeal: "seal", api.FieldDate: "date", api.FieldCrossPage: "cross"}[kind]
	return fmt.Sprintf("%s%s%d", prefix(k), short, n)
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// signer reports whether recipient k signs.
func (r *record) signer(k int) bool { return r.Recipients[k].Kind != api.RecipientCC }

// boxOf is the box of a party key in r.
func (r *record) boxOf(key string) string {
	switch r.Status {
	case api.EnvelopeDraft:
		return api.BoxDraft
	case api.EnvelopeCompleted:
		return api.BoxCompleted
	case api.EnvelopeWithdrawn:
		return api.BoxWithdrawn
	case api.EnvelopeDeclined:
		return api.BoxDeclined
	case api.EnvelopeExpired:
		return api.BoxExpired
	}
	for k, p := range r.Parties {
		if p.Key == key && r.Recipients[k].State == api.RecipientToSign {
			return api.BoxToSign
		}
	}
	return api.BoxWaiting
}

// partyKeys lists every party's key once: the sender first.
func (r *record) partyKeys() []string {
	keys := []string{r.SenderKey}
	if r.Status == api.EnvelopeDraft {
		return keys
	}
	for _, p := range r.Parties {
		dup := false
		for _, k := range keys {
			dup = dup || k == p.Key
		}
		if !dup {
			keys = append(keys, p.Key)
		}
	}
	if r.EnterpriseID != "" {
		keys = append(keys, enterpriseKey(r.EnterpriseID)) // 查看全部合同 (never drafts)
	}
	return keys
}

// enterpriseKey is the index key under which every envelope an enterprise sent is listed for the
// members allowed to see all of them (org.PermViewAllContracts). No login has this form.
func enterpriseKey(eid string) string { return "ent:" + eid }

// recipientOf returns the signer index of a party key (-1: none).
func (r *record) recipientOf(key string) int {
	for k, p := range r.Parties {
		if p.Key == key && r.signer(k) {
			return k
		}
	}
	return -1
}

// view is the envelope as the party with key sees it.
func (r *record) view(key string) api.Envelope {
	e := r.Envelope
	e.Box = r.boxOf(key)
	e.YourRecipient = r.recipientOf(key)
	e.Recipients = append([]api.RecipientState(nil), r.Recipients...)
	e.Steps = append([]api.Step{}, r.Steps...)
	e.ViewOnly = strings.HasPrefix(key, "ent:")
	return e
}

// summary is the line of a box.
func (r *record) summary(box string) api.EnvelopeSummary {
	s := api.EnvelopeSummary{ID: r.ID, Subject: r.Subject, Status: r.Status, Box: box, SenderName: r.SenderName,
		Updated: r.Updated, Deadline: r.Deadline, ValidUntil: r.ValidUntil, Amount: r.Amount}
	for k, rc := range r.Recipients {
		name := rc.Name
		if rc.Kind == api.RecipientCompany {
			name = rc.Company
		}
		s.Parties = append(s.Parties, name)
		if r.signer(k) {
			s.Signers++
			if rc.State == api.RecipientSigned {
				s.Signed++
			}
		}
	}
	return s
}

// searchText is what a search matches: subject, sender, every party's name, company, phone and
// e-mail.
func (r *record) searchText() string {
	parts := []string{r.Subject, r.SenderName}
	for _, rc := range r.Recipients {
		parts = append(parts, rc.Name, rc.Company, rc.Phone, rc.Email)
	}
	return strings.ToLower(strings.Join(parts, "\x00"))
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
