package ui

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/api"
	"sealdesk/core/envelope"
	"sealdesk/core/org"
	"sealdesk/core/pdf"
	coresync "sealdesk/core/sync"
	"sealdesk/ui/widgets"
)

// The limits of 发起签署 (SPEC §5, manual 004 §6): the editor says each of them by name when it is
// exceeded and keeps what was typed.
const (
	maxEnvelopeFiles = 5
	maxSubjectRunes  = 25
	maxRemarkRunes   = 300
	maxRecipients    = 20
)

// Recipient kinds of 添加接收方.
const (
	recipientMember  = "member"  // 企业内部成员: picked from the enterprise's members
	recipientPerson  = "person"  // 个人: name + phone or e-mail
	recipientCompany = "company" // 企业: company name + handler + phone; signs with the company's seal
	recipientCC      = "cc"      // 抄送: receives a copy, signs nothing
)

// draftFile is one file of an envelope, kept as a PDF in the draft's folder (an image already
// made a page), so the draft survives the original being moved or changed.
type draftFile struct {
	Name   string `json:"name"`   // as the user chose it: 合同.pdf, 扫描件.jpg
	File   string `json:"file"`   // the PDF's name inside the draft folder
	Size   int64  `json:"size"`   // of the original
	SHA256 string `json:"sha256"` // of the PDF
	Pages  int    `json:"pages"`
}

// draftRecipient is one line of 添加接收方.
type draftRecipient struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"` // the person, the member, the company's handler, the copy's receiver
	Contact   string `json:"contact"`
	Company   string `json:"company,omitempty"`
	AccountID string `json:"account_id,omitempty"` // a member's account
}

// signs reports whether the recipient signs (抄送 does not).
func (r draftRecipient) signs() bool { return r.Kind != recipientCC }

// draftBox is a box placed for a recipient on a page of a file.
type draftBox struct {
	File      int          `json:"file"`
	Recipient int          `json:"recipient"` // index into Recipients
	Kind      string       `json:"kind"`      // boxSign, boxSeal, boxDate, boxCross
	Page      int          `json:"page"`      // 0-based
	Rect      widgets.Rect `json:"rect"`      // PDF user space
}

// envelopeDraft is 发起签署's work: saved locally at every change worth keeping (保存至草稿 saves
// it by name and syncs it), so nothing typed is lost when the window closes.
type envelopeDraft struct {
	ID         string           `json:"id"`
	Subject    string           `json:"subject"`
	Remark     string           `json:"remark"`
	Deadline   string           `json:"deadline,omitempty"`    // YYYY-MM-DD, the last day to sign
	Amount     string           `json:"amount,omitempty"`      // 合同金额 as typed, in yuan
	ValidUntil string           `json:"valid_until,omitempty"` // YYYY-MM-DD, 合同到期日
	Sequential bool             `json:"sequential"`
	Files      []draftFile      `json:"files"`
	Recipients []draftRecipient `json:"recipients"`
	Boxes      []draftBox       `json:"boxes"`
	Updated    time.Time        `json:"updated"`
	Template   bool             `json:"template,omitempty"` // saved as a template (subject is its name)
	ServerID   string           `json:"server_id,omitempty"`
	// SendKey is the idempotency key of sending it, made before the first attempt: sending
	// again after a failure is the same send.
	SendKey string `json:"send_key,omitempty"`
}

func newDraftID() string {
	var b [8]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405-") + hex.EncodeToString(b[:])
}

// inputError is a bad input of the editor: a sentence for the user naming the limit.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func inputErr(key string, data ...any) error { return &inputError{tr(key, data...)} }

// checkSubject: required, ≤ 25 characters (runes: 主题 is counted in characters, not bytes).
func checkSubject(s string) error {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return inputErr("compose.err.subject.empty", map[string]any{"Max": maxSubjectRunes})
	case n > maxSubjectRunes:
		return inputErr("compose.err.subject.long", map[string]any{"Max": maxSubjectRunes, "Len": n})
	}
	return nil
}

func checkRemark(s string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(s)); n > maxRemarkRunes {
		return inputErr("compose.err.remark.long", map[string]any{"Max": maxRemarkRunes, "Len": n})
	}
	return nil
}

// checkDeadline accepts "" (none) or a day from today on.
func checkDeadline(d string, now time.Time) error {
	if d == "" {
		return nil
	}
	t, err := time.ParseInLocation(time.DateOnly, d, time.Local)
	if err != nil {
		return inputErr("compose.err.deadline.bad")
	}
	y, m, dd := now.Date()
	if t.Before(time.Date(y, m, dd, 0, 0, 0, 0, time.Local)) {
		return inputErr("compose.err.deadline.past")
	}
	return nil
}

// checkAmount accepts "" (none) or 合同金额 in yuan: not negative, at most two decimals, at most
// api.MaxAmount (envelope.ParseAmount, exact to the fen).
func checkAmount(s string) error {
	_, err := envelope.ParseAmount(s)
	var ref *coresync.Refusal
	if !errors.As(err, &ref) {
		return err
	}
	max := envelope.FormatAmount(api.MaxAmount)
	switch ref.Code {
	case "amount_negative":
		return inputErr("compose.err.amount.negative")
	case "amount_decimals":
		return inputErr("compose.err.amount.decimals")
	case "amount_too_large":
		return inputErr("compose.err.amount.large", map[string]any{"Max": max})
	}
	return inputErr("compose.err.amount.bad", map[string]any{"Value": strings.TrimSpace(s), "Max": max})
}

// checkValidUntil accepts "" (none) or a day from today on, not before the deadline.
func checkValidUntil(v, deadline string, now time.Time) error {
	if v == "" {
		return nil
	}
	t, err := time.ParseInLocation(time.DateOnly, v, time.Local)
	if err != nil {
		return inputErr("compose.err.valid.bad")
	}
	y, m, dd := now.Date()
	if t.Before(time.Date(y, m, dd, 0, 0, 0, 0, time.Local)) {
		return inputErr("compose.err.valid.past")
	}
	if dl, err := time.ParseInLocation(time.DateOnly, deadline, time.Local); err == nil && t.Before(dl) {
		return inputErr("compose.err.valid.before", map[string]any{"Deadline": deadline})
	}
	return nil
}

// checkContact accepts a mainland mobile number or an e-mail address (org.NormalizeLogin, the
// server's own rule) and returns it normalised.
func checkContact(s string, phoneOnly bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if phoneOnly {
			return "", inputErr("compose.err.phone.empty")
		}
		return "", inputErr("compose.err.contact.empty")
	}
	login, ch, err := org.NormalizeLogin(s)
	if err != nil || (phoneOnly && !strings.HasPrefix(login, "1")) {
		_ = ch
		if phoneOnly {
			return "", inputErr("compose.err.phone.bad", map[string]any{"Value": s})
		}
		return "", inputErr("compose.err.contact.bad", map[string]any{"Value": s})
	}
	return login, nil
}

// checkRecipient checks one recipient (n is its number as shown, from 1).
func checkRecipient(n int, r draftRecipient) error {
	wrap := func(err error) error {
		return &inputError{tr("compose.err.recipient", map[string]any{"N": n, "Reason": err.Error()})}
	}
	name := func(s, key string) error {
		if strings.TrimSpace(s) == "" {
			return inputErr(key)
		}
		if _, err := org.CheckName(s); err != nil {
			return inputErr("compose.err.name.bad", map[string]any{"Value": s})
		}
		return nil
	}
	switch r.Kind {
	case recipientMember:
		if r.AccountID == "" && strings.TrimSpace(r.Contact) == "" {
			return wrap(inputErr("compose.err.member.none"))
		}
	case recipientPerson, recipientCC:
		if err := name(r.Name, "compose.err.name.empty"); err != nil {
			return wrap(err)
		}
		if _, err := checkContact(r.Contact, false); err != nil {
			return wrap(err)
		}
	case recipientCompany:
		if strings.TrimSpace(r.Company) == "" {
			return wrap(inputErr("compose.err.company.empty"))
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(r.Company)); n > 60 {
			return wrap(inputErr("compose.err.company.long", map[string]any{"Max": 60, "Len": n}))
		}
		if err := name(r.Name, "compose.err.handler.empty"); err != nil {
			return wrap(err)
		}
		if _, err := checkContact(r.Contact, true); err != nil {
			return wrap(err)
		}
	default:
		return wrap(errors.New(r.Kind))
	}
	return nil
}

// checkSendable lists everything that keeps the draft from being sent, first things first.
func (d *envelopeDraft) checkSendable(now time.Time) []error {
	var errs []error
	if len(d.Files) == 0 {
		errs = append(errs, inputErr("compose.err.files.none"))
	}
	if err := checkSubject(d.Subject); err != nil {
		errs = append(errs, err)
	}
	if err := checkRemark(d.Remark); err != nil {
		errs = append(errs, err)
	}
	if err := checkDeadline(d.Deadline, now); err != nil {
		errs = append(errs, err)
	}
	if err := checkAmount(d.Amount); err != nil {
		errs = append(errs, err)
	}
	if err := checkValidUntil(d.ValidUntil, d.Deadline, now); err != nil {
		errs = append(errs, err)
	}
	signers := 0
	for i, r := range d.Recipients {
		if err := checkRecipient(i+1, r); err != nil {
			errs = append(errs, err)
		}
		if r.signs() {
			signers++
		}
	}
	if signers == 0 {
		errs = append(errs, inputErr("compose.err.recipients.none"))
	}
	return errs
}

// signerNumber is the recipient's number among those who sign (1-based; 0 for 抄送): the N of
// the field names "rN-sign-1" a box of theirs becomes.
func (d *envelopeDraft) signerNumber(i int) int {
	n := 0
	for j, r := range d.Recipients {
		if r.signs() {
			n++
		}
		if j == i {
			if !r.signs() {
				return 0
			}
			return n
		}
	}
	return 0
}

// recipientLabel is how a recipient is shown: 张三（个人）, 上海样例贸易有限公司（企业）.
func recipientLabel(r draftRecipient) string {
	who := strings.TrimSpace(r.Name)
	if r.Kind == recipientCompany && strings.TrimSpace(r.Company) != "" {
		who = strings.TrimSpace(r.Company)
	}
	if who == "" {
		who = tr("compose.unnamed")
	}
	return who + "（" + tr("compose.kind."+r.Kind) + "）"
}

// ----- the files -----

// envelopeFileKinds are what 添加文件 accepts.
var envelopeFileKinds = []string{".pdf", ".jpeg", ".jpg", ".png"}

// prepareEnvelopeFile checks a file for the envelope (kind, size, readable) and writes the PDF
// to put in the draft folder dir (an image becomes a one-page document). have is how many files
// the envelope holds already. Nothing is written when a check fails.
func prepareEnvelopeFile(dir, path string, have int) (draftFile, error) {
	name := filepath.Base(path)
	if have >= maxEnvelopeFiles {
		return draftFile{}, inputErr("compose.err.files.many", map[string]any{"Max": maxEnvelopeFiles, "Name": name})
	}
	ext := strings.ToLower(filepath.Ext(path))
	ok := false
	for _, k := range envelopeFileKinds {
		ok = ok || ext == k
	}
	if !ok {
		return draftFile{}, inputErr("compose.err.files.kind", map[string]any{"Name": name})
	}
	st, err := os.Stat(path)
	if err != nil {
		return draftFile{}, inputErr("compose.err.files.read", map[string]any{"Name": name, "Reason": errMessage(err)})
	}
	if st.Size() > maxDocumentSize {
		return draftFile{}, inputErr("compose.err.files.big", map[string]any{"Name": name,
			"Size": fmt.Sprintf("%.1f", float64(st.Size())/(1<<20)), "Max": maxDocumentSize >> 20})
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return draftFile{}, inputErr("compose.err.files.read", map[string]any{"Name": name, "Reason": errMessage(err)})
	}
	if ext != ".pdf" {
		data, err = pdf.ImageDocument(data)
		if err != nil {
			return draftFile{}, inputErr("compose.err.files.image", map[string]any{"Name": name})
		}
	}
	f, err := pdf.Open(strings.NewReader(string(data)), int64(len(data)), nil)
	if err != nil {
		if errors.Is(err, pdf.ErrNotPDF) {
			return draftFile{}, inputErr("compose.err.files.kind", map[string]any{"Name": name})
		}
		return draftFile{}, inputErr("compose.err.files.read", map[string]any{"Name": name, "Reason": errMessage(err)})
	}
	pages, err := f.Pages()
	f.Close()
	if err != nil || len(pages) == 0 {
		return draftFile{}, inputErr("compose.err.files.read", map[string]any{"Name": name, "Reason": errMessage(err)})
	}
	sum := sha256.Sum256(data)
	df := draftFile{Name: name, Size: st.Size(), SHA256: hex.EncodeToString(sum[:]), Pages: len(pages)}
	df.File = df.SHA256[:16] + ".pdf"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return draftFile{}, err
	}
	if err := writeFileAtomic(filepath.Join(dir, df.File), data); err != nil {
		return draftFile{}, err
	}
	return df, nil
}

// ----- the local store of drafts, templates and recent contacts -----

// draftStore keeps drafts and templates under the data folder: drafts/<id>/draft.json with the
// draft's PDFs beside it (templates/<id>/ the same), and contacts.json.
type draftStore struct{ root string }

func newDraftStore(dataDir string) *draftStore {
	if dataDir == "" {
		return nil
	}
	return &draftStore{root: dataDir}
}

func (s *draftStore) dir(d *envelopeDraft) string {
	kind := "drafts"
	if d.Template {
		kind = "templates"
	}
	return filepath.Join(s.root, kind, d.ID)
}

// Save writes the draft (its files are already in its folder).
func (s *draftStore) Save(d *envelopeDraft) error {
	dir, b, err := s.encode(d)
	if err != nil {
		return err
	}
	return s.write(dir, b)
}

// encode stamps d (its id, the time) and returns its folder and its draft.json: a snapshot that
// write can put on disk later, from another goroutine.
func (s *draftStore) encode(d *envelopeDraft) (string, []byte, error) {
	if d.ID == "" {
		d.ID = newDraftID()
	}
	d.Updated = time.Now().UTC()
	b, err := json.MarshalIndent(d, "", "  ")
	return s.dir(d), b, err
}

// write puts an encoded draft in its folder (temporary file, then rename).
func (s *draftStore) write(dir string, b []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "draft.json"), b)
}

// currentFile names the draft 发起签署 was editing, so that it comes back after a restart or a
// crash.
const currentFile = "compose-current"

// SetCurrent remembers id as the draft being edited ("" : none).
func (s *draftStore) SetCurrent(id string) error {
	if id == "" {
		err := os.Remove(filepath.Join(s.root, currentFile))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	if err := os.MkdirAll(s.root, 0o700); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.root, currentFile), []byte(id))
}

// Current returns the draft that was being edited, if it was saved and is still there.
func (s *draftStore) Current() *envelopeDraft {
	id, err := os.ReadFile(filepath.Join(s.root, currentFile))
	if err != nil || len(id) == 0 || strings.ContainsAny(string(id), `/\.`) {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(s.root, "drafts", string(id), "draft.json"))
	if err != nil {
		return nil
	}
	var d envelopeDraft
	if json.Unmarshal(b, &d) != nil || d.ID != string(id) {
		return nil
	}
	return &d
}

// List returns the drafts (templates: true for the templates), newest first.
func (s *draftStore) List(templates bool) ([]*envelopeDraft, error) {
	kind := "drafts"
	if templates {
		kind = "templates"
	}
	ents, err := os.ReadDir(filepath.Join(s.root, kind))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*envelopeDraft
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(s.root, kind, e.Name(), "draft.json"))
		if err != nil {
			continue // a folder being written
		}
		var d envelopeDraft
		if json.Unmarshal(b, &d) == nil && d.ID == e.Name() {
			d.Template = templates
			out = append(out, &d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	return out, nil
}

// Delete removes a draft and its files.
func (s *draftStore) Delete(d *envelopeDraft) error {
	if d.ID == "" {
		return nil
	}
	return os.RemoveAll(s.dir(d))
}

// Copy makes a new draft (or template) from d with its files copied.
func (s *draftStore) Copy(d *envelopeDraft, template bool) (*envelopeDraft, error) {
	n := *d
	n.ID, n.Template, n.ServerID, n.SendKey = newDraftID(), template, "", ""
	n.Files = append([]draftFile(nil), d.Files...)
	n.Recipients = append([]draftRecipient(nil), d.Recipients...)
	n.Boxes = append([]draftBox(nil), d.Boxes...)
	if err := os.MkdirAll(s.dir(&n), 0o700); err != nil {
		return nil, err
	}
	for _, f := range d.Files {
		b, err := os.ReadFile(filepath.Join(s.dir(d), f.File))
		if err != nil {
			return nil, err
		}
		if err := writeFileAtomic(filepath.Join(s.dir(&n), f.File), b); err != nil {
			return nil, err
		}
	}
	if err := s.Save(&n); err != nil {
		return nil, err
	}
	return &n, nil
}

// maxRecentContacts caps 最近联系人.
const maxRecentContacts = 20

// RecentContacts returns the people and companies sent to before, most recent first.
func (s *draftStore) RecentContacts() []draftRecipient {
	b, err := os.ReadFile(filepath.Join(s.root, "contacts.json"))
	if err != nil {
		return nil
	}
	var out []draftRecipient
	json.Unmarshal(b, &out)
	return out
}

// RememberContacts puts the recipients of a sent envelope first in 最近联系人.
func (s *draftStore) RememberContacts(rs []draftRecipient) error {
	old := s.RecentContacts()
	var out []draftRecipient
	seen := map[string]bool{}
	for _, r := range append(append([]draftRecipient(nil), rs...), old...) {
		k := r.Kind + "\x00" + r.Company + "\x00" + r.Name + "\x00" + r.Contact
		if seen[k] || r.Kind == recipientMember {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	if len(out) > maxRecentContacts {
		out = out[:maxRecentContacts]
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.root, 0o700); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.root, "contacts.json"), b)
}
