package envelope

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/blob"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/sync"
	"sealdesk/core/verify"
)

// Quota is the billing domain's reservation of a contract's documents, called inside the
// envelope's transactions (nil fields: no billing).
type Quota struct {
	// Reserve holds docs documents of the payer's quota at send (a *sync.Refusal 402
	// quota_exhausted when there are too few). enterpriseID is empty for a personal send;
	// channel is the sender's Actor.Channel ("" for the desktop: 门户, ChannelAPI: 接口).
	Reserve func(tx sync.Tx, enterpriseID, senderID, envelopeID string, docs int, subject, channel string, now time.Time) error
	// Charge turns the reservation into a charge when the envelope completes.
	Charge func(tx sync.Tx, envelopeID string, now time.Time) error
	// Release gives it back when the envelope is withdrawn, declined or expires.
	Release func(tx sync.Tx, envelopeID string, now time.Time) error
}

// Service runs contracts over a sync.Store.
type Service struct {
	Store sync.Store
	Blobs blob.Store // nil: blob.KV over Store
	Hub   *sync.Hub  // wakes long polls of the parties (may be nil)
	Now   func() time.Time
	Log   *slog.Logger
	// Notifier sends the "please sign" notices by SMS or e-mail (nil: none; the sync events
	// still reach parties with a desktop).
	Notifier notify.Notifier
	// BaseURL is the server's public URL; the QR code opens BaseURL + "/v/" + token.
	BaseURL string
	// Platform is the server's signing identity (nil Signer: documents are sent without the
	// server's certification, reports unsigned — tests of the bookkeeping only).
	Platform *Platform
	// Trust holds the anchors uploaded revisions are verified against (the server's root).
	Trust *verify.TrustStore
	Quota Quota
	// Permit checks that accountID may send for enterpriseID (org.PermSendContracts); nil
	// refuses every enterprise send.
	Permit func(tx sync.Tx, enterpriseID, accountID string) error
	// CertOwner returns the account a certificate (by lower-case hex serial) was issued to, ""
	// when it was issued to none.
	CertOwner func(tx sync.Tx, serial string) (string, error)
	// CertRevoked, when set, reports whether the server revoked a certificate (by lower-case hex
	// serial) and when: a new signature by it is refused whatever the signer's clock says (挂失).
	CertRevoked func(tx sync.Tx, serial string) (at time.Time, revoked bool, err error)
	// SignerCheck, when set, may accept a signature that is not by a certificate issued to the
	// recipient's account — a company recipient signing with a seal granted to them (the seals
	// domain). It returns true to accept.
	SignerCheck func(tx sync.Tx, env api.Envelope, recipient int, accountID, serial string) (bool, error)
	// SealOf, when set, names the seal of a signature SignerCheck accepted ("" : none): the
	// step of the signature says which seal was used (签署记录 and 签署报告: 盖章：<name>).
	SealOf func(tx sync.Tx, env api.Envelope, recipient int, accountID, serial string) (string, error)
	// Events, when set, is called inside the transaction of every change of an enterprise's
	// envelope with each step it added that integrators hear about (sent, signed, declined,
	// withdrawn, expired, completed: see EventOf) — the server enqueues the webhooks there.
	Events func(tx sync.Tx, e api.Envelope, step api.Step, now time.Time) error
	// TempDir holds the files of a send or a completion while they are built ("" : os.TempDir).
	TempDir string
	// SendGate, when set, is asked whether an enterprise envelope may be sent now (审批管理: a
	// contract that a rule sends for approval waits until it is approved); it runs before the
	// documents are prepared and again inside the sending transaction, and a *sync.Refusal stops
	// the send. Drafts are never gated.
	SendGate func(tx sync.Tx, envelopeID, senderID string, req api.EnvelopeRequest) error
	// Completed, when set, runs inside the transaction that completes an envelope (档案柜 files
	// enterprise contracts by rule); an error rolls the completion back to be retried.
	Completed func(tx sync.Tx, env api.Envelope, report string, now time.Time) error
	// SignLink, when set, makes the browser signing link of recipient k (core/websign): the
	// "please sign" notice carries it instead of the public verification page.
	SignLink func(ctx context.Context, env api.Envelope, k int) (string, error)
	// ViewAll checks that accountID may see every contract enterprise eid sent
	// (org.PermViewAllContracts: 查看企业全部合同); nil refuses everyone.
	ViewAll func(tx sync.Tx, enterpriseID, accountID string) error
	// Uploads bounds the new files one account uploads a day with PutBlob (zero: the defaults).
	Uploads UploadBudget
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) blobs() blob.Store {
	if s.Blobs != nil {
		return s.Blobs
	}
	return &blob.KV{Store: s.Store}
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Actor is who calls: the account, and the device it names.
type Actor struct {
	Account org.Account
	Device  string
	// Channel is how the request came: "" the desktop (门户), ChannelAPI the open API (接口).
	Channel string
}

// ChannelAPI is the Actor.Channel of a business system's request through the open API.
const ChannelAPI = "api"

func randomID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// --- blobs -------------------------------------------------------------------------------------

// GetBlob returns a file the account uploaded (a template's files, fetched by another computer
// of the same account); anyone else's, or an unknown digest, is 404.
func (s *Service) GetBlob(ctx context.Context, a Actor, sum string) ([]byte, error) {
	sum = strings.ToLower(sum)
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return nil, refuse(http.StatusNotFound, "not_found", "文件不存在")
	}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		_, err := tx.Get(BucketBlobOwners, a.Account.ID+"/"+sum)
		if errors.Is(err, sync.ErrNotFound) {
			return refuse(http.StatusNotFound, "not_found", "文件不存在")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.blobs().Get(ctx, sum)
}

// PutBlob stores an upload of the account (a file to send, ≤ MaxFileSize) and remembers who
// uploaded it: only the uploader may name it in an envelope. New files count against the day's
// UploadBudget (refused over it with 429 upload_quota, before anything is stored).
func (s *Service) PutBlob(ctx context.Context, a Actor, data []byte) (api.BlobInfo, error) {
	if err := checkBlob(data); err != nil {
		return api.BlobInfo{}, err
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	// The day's budget is checked before the bytes are stored, and charged with the owner mark.
	if err := s.Store.View(ctx, func(tx sync.Tx) error {
		return s.chargeUpload(tx, a.Account.ID, hexSum, int64(len(data)), false)
	}); err != nil {
		return api.BlobInfo{}, err
	}
	info, err := s.blobs().Put(ctx, data)
	if err != nil {
		return api.BlobInfo{}, err
	}
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		if err := s.chargeUpload(tx, a.Account.ID, info.SHA256, info.Size, true); err != nil {
			return err
		}
		return tx.Put(BucketBlobOwners, a.Account.ID+"/"+info.SHA256, nil)
	})
	return api.BlobInfo{SHA256: info.SHA256, Size: info.Size}, err
}

// checkBlob refuses a file no envelope may carry.
func checkBlob(data []byte) error {
	if len(data) > MaxFileSize {
		return refuse(http.StatusRequestEntityTooLarge, "file_too_large",
			fmt.Sprintf("单个文档大小不能超过 10M（该文件为 %.1f MB）", float64(len(data))/(1<<20)))
	}
	if len(data) == 0 {
		return bad("empty_file", "文件是空的")
	}
	if kindOf(data) == "" {
		return bad("bad_file_type", "文件格式不受支持：仅支持 PDF、JPEG、JPG、PNG")
	}
	return nil
}

// --- idempotency -------------------------------------------------------------------------------

type idem struct {
	Hash string          `json:"hash"`
	Body json.RawMessage `json:"body"`
	Time time.Time       `json:"time"`
}

func idemKey(actor, op, key string) string { return actor + "/" + op + "/" + key }

func requestHash(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// replay returns the stored answer of a key, a refusal when the key was used for another
// request, or nil when the key is new.
func replay(tx sync.Tx, k, hash string, out *api.Envelope) (bool, error) {
	var rec idem
	err := sync.GetJSON(tx, BucketIdem, k, &rec)
	if errors.Is(err, sync.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if rec.Hash != hash {
		return false, refuse(http.StatusUnprocessableEntity, "idempotency_key_reused", "该 Idempotency-Key 已用于另一个请求")
	}
	return true, json.Unmarshal(rec.Body, out)
}

func remember(tx sync.Tx, k, hash string, e api.Envelope, now time.Time) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return sync.PutJSON(tx, BucketIdem, k, idem{Hash: hash, Body: body, Time: now})
}

func checkKey(key string) error {
	if sync.CheckIdempotencyKey(key) != nil {
		return bad("bad_idempotency_key", "缺少或无效的 Idempotency-Key（须为 1–128 个可打印 ASCII 字符）")
	}
	return nil
}

// --- send --------------------------------------------------------------------------------------

// Send creates an envelope: sent at once, or stored as a draft when req.Draft. key is the
// client's idempotency key: a retry returns the first answer.
func (s *Service) Send(ctx context.Context, a Actor, key string, req api.EnvelopeRequest) (api.Envelope, error) {
	if err := checkKey(key); err != nil {
		return api.Envelope{}, err
	}
	raw, _ := json.Marshal(req)
	hash := requestHash([]byte("send"), raw)
	ik := idemKey(a.Account.ID, "send", key)
	// A retry is answered from the idempotency record: send looks it up first, in the same
	// read transaction as its checks.
	rec := &record{}
	rec.ID, rec.VerifyToken = randomID("env_"), randomID(verifyTokenPrefix)
	return s.send(ctx, a, ik, hash, rec, req, req.Draft, nil)
}

// File is a document brought with a Create.
type File struct {
	Name string
	Data []byte
}

// Create is Send for a caller that brings the files' bytes with the request (the open API):
// req.Files is filled from files, which are stored together with the envelope, the sender as
// their owner (as PutBlob does). within, when not nil, runs first in the transaction that
// stores the envelope — also when the key's first answer is replayed — and its error rolls
// everything back (the open API spends the request's nonce there).
//
// A draft is then one read-write transaction in all: the files, the checks, the envelope and
// its idempotency record. A send still checks first, prepares the documents outside any
// transaction, and stores everything in one transaction at the end.
func (s *Service) Create(ctx context.Context, a Actor, key string, req api.EnvelopeRequest, files []File, within func(tx sync.Tx) error) (api.Envelope, error) {
	if err := checkKey(key); err != nil {
		return api.Envelope{}, err
	}
	if len(files) > MaxFiles {
		return api.Envelope{}, bad("too_many_files", fmt.Sprintf("最多添加 %d 个文件", MaxFiles))
	}
	x := &brought{files: map[string][]byte{}, within: within}
	kv, ok := s.blobs().(*blob.KV)
	x.inTx = ok && kv.Store == s.Store
	for _, f := range files {
		if err := checkBlob(f.Data); err != nil {
			return api.Envelope{}, err
		}
		if !x.inTx {
			// Blobs kept elsewhere cannot join the envelope's transaction.
			if _, err := s.PutBlob(ctx, a, f.Data); err != nil {
				return api.Envelope{}, err
			}
		}
		sum := blob.Sum(f.Data)
		x.files[sum] = f.Data
		req.Files = append(req.Files, api.FileRef{Name: f.Name, SHA256: sum})
	}
	raw, _ := json.Marshal(req)
	hash := requestHash([]byte("send"), raw)
	ik := idemKey(a.Account.ID, "send", key)
	rec := &record{}
	rec.ID, rec.VerifyToken = randomID("env_"), randomID(verifyTokenPrefix)
	return s.send(ctx, a, ik, hash, rec, req, req.Draft, x)
}

// brought is what Create adds to a send.
type brought struct {
	files  map[string][]byte // by SHA-256
	inTx   bool              // files are stored in the saving transaction (else already by PutBlob)
	within func(tx sync.Tx) error
}

// file returns the bytes of a brought file (nil: not brought).
func (x *brought) file(sum string) []byte {
	if x == nil {
		return nil
	}
	return x.files[sum]
}

// store writes the brought files and their owner inside tx.
func (x *brought) store(s *Service, tx sync.Tx, owner string) error {
	if !x.inTx {
		return nil
	}
	kv := s.blobs().(*blob.KV)
	for _, data := range x.files {
		info, err := kv.PutIn(tx, data)
		if err != nil {
			return err
		}
		if err := tx.Put(BucketBlobOwners, owner+"/"+info.SHA256, nil); err != nil {
			return err
		}
	}
	return nil
}

// send builds and stores rec from req (a new envelope, or a draft being sent).
// x (may be nil) is what Create brings: for a draft, the checks then run inside the saving
// transaction, with no read transaction before it.
func (s *Service) send(ctx context.Context, a Actor, ik, hash string, rec *record, req api.EnvelopeRequest, draft bool, x *brought) (api.Envelope, error) {
	now := s.now()
	var v *validated
	var prior api.Envelope
	var replayed bool
	precheck := func(tx sync.Tx) error {
		var err error
		if replayed, err = replay(tx, ik, hash, &prior); err != nil || replayed {
			return err
		}
		if req.EnterpriseID != "" {
			// Who may send comes before what is sent: a stranger learns nothing of the rules.
			if s.Permit == nil {
				return refuse(http.StatusForbidden, "forbidden", "无权以该企业的名义发起签署")
			}
			if err := s.Permit(tx, req.EnterpriseID, a.Account.ID); err != nil {
				return err
			}
		}
		v, err = checkRequest(req, now, txDirectory{tx}, draft)
		if err != nil {
			return err
		}
		if !draft && v.req.EnterpriseID != "" && s.SendGate != nil {
			if err := s.SendGate(tx, rec.ID, a.Account.ID, v.req); err != nil {
				return err
			}
		}
		for _, f := range v.req.Files {
			if x != nil && x.files[f.SHA256] != nil {
				continue // stored with the envelope
			}
			if _, err := tx.Get(BucketBlobOwners, a.Account.ID+"/"+f.SHA256); err != nil {
				if errors.Is(err, sync.ErrNotFound) {
					return bad("bad_file", fmt.Sprintf("文件「%s」未上传", f.Name))
				}
				return err
			}
		}
		return nil
	}
	// oneTx: a draft Create checks and saves in one transaction.
	oneTx := draft && x != nil
	if !oneTx {
		if err := s.Store.View(ctx, precheck); err != nil {
			return api.Envelope{}, err
		}
		if replayed {
			if x != nil && x.within != nil {
				// The first answer again; within still runs, in a transaction of its own.
				if err := s.Store.Update(ctx, x.within); err != nil {
					return api.Envelope{}, err
				}
			}
			return prior, nil
		}
		req = v.req
		s.fill(rec, a, v, now)
	}
	var sent [][]byte
	if !draft {
		rec.Status = api.EnvelopeInProgress
		rec.Sent = now
		dir, err := os.MkdirTemp(s.TempDir, "envelope-")
		if err != nil {
			return api.Envelope{}, err
		}
		defer os.RemoveAll(dir)
		certify := len(req.Fields) > 0
		for k := range rec.Parties {
			if rec.signer(k) && !hasFields(req.Fields, k) {
				certify = false // someone places their own fields: new fields must stay allowed
			}
		}
		for i, f := range req.Files {
			original := x.file(f.SHA256)
			if original == nil {
				if original, err = s.blobs().Get(ctx, f.SHA256); err != nil {
					return api.Envelope{}, fmt.Errorf("failed to read file %d: %w", i, err)
				}
			}
			p, err := prepareDoc(ctx, dir, i, f, original, req.Fields, rec.VerifyURL, s.Platform, certify)
			if err != nil {
				return api.Envelope{}, err
			}
			p.doc.Sent, p.doc.Current, p.doc.Size = "", "", int64(len(p.sent))
			rec.Documents[i] = p.doc
			rec.Docs = append(rec.Docs, p.state)
			sent = append(sent, p.sent)
		}
		for i, b := range sent {
			info, err := s.blobs().Put(ctx, b)
			if err != nil {
				return api.Envelope{}, err
			}
			rec.Documents[i].Sent, rec.Documents[i].Current = info.SHA256, info.SHA256
		}
		s.startTurns(rec)
		rec.Steps = append(rec.Steps, api.Step{Time: now, Action: "sent", AccountID: a.Account.ID, Name: rec.SenderName,
			Recipient: -1, Document: -1, Device: a.Device})
		for i, d := range rec.Documents {
			rec.Steps = append(rec.Steps, api.Step{Time: now, Action: "prepared", Recipient: -1, Document: i, Name: "SealDesk",
				Before: d.Original, After: d.Sent, Note: "二维码、签署位置与平台签名"})
		}
	} else {
		rec.Status = api.EnvelopeDraft
	}
	rec.Updated = now
	var out api.Envelope
	var scopes []string
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		scopes = nil
		if x != nil && x.within != nil {
			if err := x.within(tx); err != nil {
				return err
			}
		}
		if oneTx {
			replayed, v = false, nil
			if err := precheck(tx); err != nil {
				return err
			}
			if replayed {
				out = prior
				return nil
			}
			s.fill(rec, a, v, now)
		} else if done, err := replay(tx, ik, hash, &out); err != nil || done {
			return err
		}
		if x != nil {
			if err := x.store(s, tx, a.Account.ID); err != nil {
				return err
			}
		}
		r := *rec
		if rec.Status != api.EnvelopeDraft || rec.Index != nil {
			// A draft being sent: it must still be the sender's draft.
			var cur record
			err := sync.GetJSON(tx, BucketEnvelopes, rec.ID, &cur)
			switch {
			case errors.Is(err, sync.ErrNotFound):
			case err != nil:
				return err
			case cur.Status != api.EnvelopeDraft || cur.SenderID != a.Account.ID:
				return refuse(http.StatusConflict, "not_draft", "该合同已不是草稿")
			default:
				r.Index = cur.Index
			}
		}
		if r.Status == api.EnvelopeInProgress && r.EnterpriseID != "" && s.SendGate != nil {
			// Again inside the transaction: an approval withdrawn meanwhile stops the send.
			if err := s.SendGate(tx, r.ID, a.Account.ID, r.Request); err != nil {
				return err
			}
		}
		if r.Status == api.EnvelopeInProgress && s.Quota.Reserve != nil {
			if err := s.Quota.Reserve(tx, r.EnterpriseID, r.SenderID, r.ID, len(r.Documents), r.Subject, a.Channel, now); err != nil {
				return err
			}
		}
		var err error
		if scopes, err = s.save(tx, &r, now); err != nil {
			return err
		}
		if r.Status == api.EnvelopeInProgress {
			if err := s.rememberContacts(tx, &r, now); err != nil {
				return err
			}
			if err := tx.Put(BucketVerify, r.VerifyToken, []byte(r.ID)); err != nil {
				return err
			}
			if !r.Deadline.IsZero() {
				if err := tx.Put(BucketOpen, "deadline/"+r.ID, []byte(r.Deadline.Format(time.RFC3339Nano))); err != nil {
					return err
				}
			}
		}
		out = r.view(r.SenderKey)
		if err := sync.Audit(tx, sync.AuditEntry{Time: now, Actor: a.Account.ID, Action: AuditPrefix + map[bool]string{true: "draft", false: "send"}[draft], Target: r.ID}); err != nil {
			return err
		}
		return remember(tx, ik, hash, out, now)
	})
	if err != nil {
		return api.Envelope{}, err
	}
	if oneTx && replayed {
		return out, nil
	}
	s.wake(scopes)
	if out.Status == api.EnvelopeInProgress {
		s.notifyTurn(ctx, rec)
	}
	return out, nil
}

// fill sets rec from a checked request (a retried transaction may fill it again: same result).
func (s *Service) fill(rec *record, a Actor, v *validated, now time.Time) {
	req := v.req
	rec.Subject, rec.Remark, rec.Deadline, rec.Order, rec.EnterpriseID, rec.Template = req.Subject, req.Remark, req.Deadline, req.Order, req.EnterpriseID, req.Template
	rec.Amount, rec.ValidUntil = req.Amount, req.ValidUntil
	rec.SenderID, rec.SenderName, rec.SenderKey = a.Account.ID, displayName(a.Account), accountKey(a.Account)
	rec.Request = req
	rec.Fields = req.Fields
	rec.Parties = v.parties
	rec.Recipients = nil
	for k, rc := range req.Recipients {
		rs := api.RecipientState{Recipient: rc, Index: k, State: api.RecipientWaiting, Prefix: prefix(k)}
		if rc.Kind == api.RecipientCC {
			rs.State = api.RecipientCopied
		}
		rec.Recipients = append(rec.Recipients, rs)
	}
	rec.Documents, rec.Docs = nil, nil
	for i, f := range req.Files {
		rec.Documents = append(rec.Documents, api.Document{Index: i, Name: f.Name, Original: f.SHA256})
	}
	if rec.Created.IsZero() {
		rec.Created = now
	}
	rec.VerifyURL = s.BaseURL + "/v/" + rec.VerifyToken
}

func hasFields(fs []api.FieldPlacement, k int) bool {
	for _, f := range fs {
		if f.Recipient == k {
			return true
		}
	}
	return false
}

func displayName(a org.Account) string {
	if a.RealName != nil && a.RealName.Name != "" {
		return a.RealName.Name
	}
	return a.Name
}

// startTurns gives the first turn(s): the first signer (sequential) or every signer.
func (s *Service) startTurns(r *record) {
	for k := range r.Recipients {
		if !r.signer(k) {
			continue
		}
		r.Recipients[k].State = api.RecipientToSign
		if r.Order == api.OrderSequential {
			return
		}
	}
}

func (s *Service) wake(scopes []string) {
	if s.Hub != nil && len(scopes) > 0 {
		s.Hub.Notify(scopes...)
	}
}

// notifyTurn sends "please sign" notices to the recipients whose turn it is (after commit;
// failures are logged, the sync events still reach desktops).
func (s *Service) notifyTurn(ctx context.Context, r *record) {
	if s.Notifier == nil {
		return
	}
	for k, rc := range r.Recipients {
		if rc.State != api.RecipientToSign {
			continue
		}
		url := r.VerifyURL
		if s.SignLink != nil {
			if u, err := s.SignLink(ctx, r.Envelope, k); err != nil {
				s.log().Warn("signing link not made", "envelope", r.ID, "recipient", k, "err", err)
			} else {
				url = u
			}
		}
		s.notice(ctx, rc.Recipient, fmt.Sprintf("【SealDesk】%s 发来《%s》，请您签署：%s", r.SenderName, r.Subject, url))
	}
}

func (s *Service) notice(ctx context.Context, rc api.Recipient, body string) {
	if s.Notifier == nil {
		return
	}
	m := notify.Message{Channel: notify.SMS, To: rc.Phone, Subject: "SealDesk 签署通知", Body: body, Time: s.now()}
	if rc.Phone == "" {
		m.Channel, m.To = notify.Email, rc.Email
	}
	if m.To == "" {
		return
	}
	if err := s.Notifier.Send(ctx, m); err != nil {
		s.log().Warn("envelope notice not sent", "to", m.Channel, "err", err)
	}
}

// --- storage and boxes -------------------------------------------------------------------------

type boxLine struct {
	api.EnvelopeSummary
	Search string `json:"search"`
}

func invTime(t time.Time) string { return fmt.Sprintf("%019d", math.MaxInt64-t.UnixNano()) }

func boxPrefix(key, box string) string { return key + "|" + box + "|" }

func boxOfIndexKey(ik string) string {
	parts := strings.Split(ik, "|")
	if len(parts) < 4 {
		return ""
	}
	return parts[len(parts)-3]
}

// Counts live in one record per party (box → count), so a list reads them in one Get.
func addCount(tx sync.Tx, key, box string, d int) error {
	m := map[string]int{}
	if err := sync.GetJSON(tx, BucketCounts, key, &m); err != nil && !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	m[box] = max(0, m[box]+d)
	return sync.PutJSON(tx, BucketCounts, key, m)
}

// save writes r, moves its index entries to the parties' current boxes and appends the
// envelope.changed events; it returns the scopes to wake.
func (s *Service) save(tx sync.Tx, r *record, now time.Time) ([]string, error) {
	if r.Index == nil {
		r.Index = map[string]string{}
	}
	if s.Events != nil && r.EnterpriseID != "" {
		if err := s.stepEvents(tx, r, now); err != nil {
			return nil, err
		}
	}
	search := r.searchText()
	var scopes []string
	newIdx := map[string]string{}
	var due []string
	for _, key := range r.partyKeys() {
		box := r.boxOf(key)
		ik := boxPrefix(key, box) + invTime(r.Updated) + "|" + r.ID
		old := r.Index[key]
		if old != "" && old != ik {
			if err := tx.Delete(BucketBox, old); err != nil {
				return nil, err
			}
		}
		if ob := boxOfIndexKey(old); ob != box {
			if old != "" {
				if err := addCount(tx, key, ob, -1); err != nil {
					return nil, err
				}
			}
			if err := addCount(tx, key, box, +1); err != nil {
				return nil, err
			}
		}
		if err := sync.PutJSON(tx, BucketBox, ik, boxLine{EnvelopeSummary: r.summary(box), Search: search}); err != nil {
			return nil, err
		}
		newIdx[key] = ik
		if strings.HasPrefix(key, "ent:") {
			continue // the enterprise's list: nobody's sync scope
		}
		for _, dk := range r.dueKeys(key, box) {
			if err := tx.Put(BucketDue, dk, []byte(ik)); err != nil {
				return nil, err
			}
			due = append(due, dk)
		}
		if id, err := tx.Get(org.BucketLogins, key); err == nil {
			ev := map[string]string{"id": r.ID, "box": box, "status": r.Status, "updated": r.Updated.UTC().Format(time.RFC3339)}
			if !r.Deadline.IsZero() {
				ev["deadline"] = r.Deadline.UTC().Format(time.RFC3339) // 首页's 即将截止签约
			}
			if !r.ValidUntil.IsZero() {
				ev["valid_until"] = r.ValidUntil.UTC().Format(time.RFC3339) // 首页's 即将过期
			}
			if r.EnterpriseID != "" {
				ev["enterprise_id"] = r.EnterpriseID
			}
			payload, _ := json.Marshal(ev)
			scope := org.Scope(string(id))
			if _, err := tx.Append(sync.Event{Scope: scope, Type: EventChanged, Time: now, Payload: payload}); err != nil {
				return nil, err
			}
			scopes = append(scopes, scope)
		} else if !errors.Is(err, sync.ErrNotFound) {
			return nil, err
		}
	}
	for key, old := range r.Index {
		if _, ok := newIdx[key]; !ok {
			if err := tx.Delete(BucketBox, old); err != nil {
				return nil, err
			}
			if err := addCount(tx, key, boxOfIndexKey(old), -1); err != nil {
				return nil, err
			}
		}
	}
	for _, old := range r.Due {
		if !slices.Contains(due, old) {
			if err := tx.Delete(BucketDue, old); err != nil {
				return nil, err
			}
		}
	}
	r.Index, r.Due = newIdx, due
	return scopes, sync.PutJSON(tx, BucketEnvelopes, r.ID, r)
}

// EventOf returns the integrator event type of a step's action ("" for steps integrators do not
// hear about: prepared, reminded, timestamped).
func EventOf(action string) string {
	switch action {
	case "sent", "signed", "declined", "withdrawn", "expired", "completed":
		return "envelope." + action
	}
	return ""
}

// stepEvents calls s.Events for the steps r has beyond the stored record's.
func (s *Service) stepEvents(tx sync.Tx, r *record, now time.Time) error {
	var old record
	if err := sync.GetJSON(tx, BucketEnvelopes, r.ID, &old); err != nil && !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	if len(r.Steps) <= len(old.Steps) {
		return nil
	}
	view := r.view(r.SenderKey)
	for _, st := range r.Steps[len(old.Steps):] {
		if EventOf(st.Action) == "" {
			continue
		}
		if err := s.Events(tx, view, st, now); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) rememberContacts(tx sync.Tx, r *record, now time.Time) error {
	for _, rc := range r.Recipients {
		if rc.Kind == api.RecipientMember {
			continue
		}
		c := api.Contact{Recipient: rc.Recipient, Used: now}
		id := rc.Phone + rc.Email
		// One entry per contact: the old time-ordered key is found through the by-id key.
		byID := r.SenderID + "/id/" + id
		if old, err := tx.Get(BucketContacts, byID); err == nil {
			if err := tx.Delete(BucketContacts, string(old)); err != nil {
				return err
			}
		}
		k := r.SenderID + "/t/" + invTime(now) + "/" + id
		if err := sync.PutJSON(tx, BucketContacts, k, c); err != nil {
			return err
		}
		if err := tx.Put(BucketContacts, byID, []byte(k)); err != nil {
			return err
		}
	}
	return nil
}

// Contacts lists the account's recent recipients, newest first (at most 50).
func (s *Service) Contacts(ctx context.Context, a Actor) ([]api.Contact, error) {
	out := []api.Contact{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		return tx.Scan(BucketContacts, a.Account.ID+"/t/", "", 50, func(_ string, v []byte) error {
			var c api.Contact
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// load reads an envelope and the caller's party key, refusing non-parties (404: an envelope
// id says nothing to whoever is not in it).
func (s *Service) load(tx sync.Tx, a Actor, id string) (*record, string, error) {
	var r record
	if sync.CheckKey(id) != nil {
		return nil, "", refuse(http.StatusNotFound, "not_found", "合同不存在")
	}
	if err := sync.GetJSON(tx, BucketEnvelopes, id, &r); errors.Is(err, sync.ErrNotFound) {
		return nil, "", refuse(http.StatusNotFound, "not_found", "合同不存在")
	} else if err != nil {
		return nil, "", err
	}
	key := accountKey(a.Account)
	if _, ok := r.Index[key]; ok {
		return &r, key, nil
	}
	// The account the recipient's login belonged to at send, whatever its login is now.
	for _, p := range r.Parties {
		if p.AccountID != "" && p.AccountID == a.Account.ID {
			if _, ok := r.Index[p.Key]; ok {
				return &r, p.Key, nil
			}
		}
	}
	return nil, "", refuse(http.StatusNotFound, "not_found", "合同不存在")
}

// loadView is load for reading: besides its parties, a member who may see every contract of the
// sending enterprise (ViewAll) reads a sent envelope as the enterprise, view only. Anyone else
// still gets 404.
func (s *Service) loadView(tx sync.Tx, a Actor, id string) (*record, string, error) {
	r, key, err := s.load(tx, a, id)
	var rf *sync.Refusal
	if err == nil || s.ViewAll == nil || !errors.As(err, &rf) || rf.Status != http.StatusNotFound {
		return r, key, err
	}
	var rec record
	if sync.GetJSON(tx, BucketEnvelopes, id, &rec) != nil || rec.EnterpriseID == "" || rec.Status == api.EnvelopeDraft {
		return nil, "", err
	}
	if s.ViewAll(tx, rec.EnterpriseID, a.Account.ID) != nil {
		return nil, "", err
	}
	return &rec, enterpriseKey(rec.EnterpriseID), nil
}

// Get returns an envelope as the caller sees it.
func (s *Service) Get(ctx context.Context, a Actor, id string) (api.Envelope, error) {
	var out api.Envelope
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		r, key, err := s.loadView(tx, a, id)
		if err != nil {
			return err
		}
		out = r.view(key)
		return nil
	})
	return out, err
}

// Document returns a version of document n ("current", "original", "sent", "final").
func (s *Service) Document(ctx context.Context, a Actor, id string, n int, version string) ([]byte, string, error) {
	var name, sum string
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		r, _, err := s.loadView(tx, a, id)
		if err != nil {
			return err
		}
		if n < 0 || n >= len(r.Documents) {
			return refuse(http.StatusNotFound, "not_found", "文件不存在")
		}
		d := r.Documents[n]
		name = d.Name
		switch version {
		case "", "current":
			sum = d.Current
		case "original":
			sum = d.Original
		case "sent":
			sum = d.Sent
		case "final":
			sum = d.Final
		default:
			return bad("bad_version", "version 须为 current、original、sent 或 final")
		}
		if sum == "" {
			return refuse(http.StatusNotFound, "not_ready", "该版本尚未生成")
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	b, err := s.blobs().Get(ctx, sum)
	return b, name, err
}

// List returns a page of a box of the caller with every box's count.
func (s *Service) List(ctx context.Context, a Actor, box, query, after string, limit int) (api.EnvelopeList, error) {
	if box == "" {
		box = api.BoxToSign
	}
	limit, err := checkPage(box, limit)
	if err != nil {
		return api.EnvelopeList{}, err
	}
	return s.list(ctx, accountKey(a.Account), box, query, after, limit, nil)
}

// checkPage checks a box's name and a page's size (0: the default).
func checkPage(box string, limit int) (int, error) {
	known := false
	for _, b := range api.Boxes {
		known = known || b == box
	}
	if !known {
		return 0, bad("bad_box", "box 须为 to_sign、waiting、completed、draft、withdrawn、declined 或 expired")
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	if limit > MaxListLimit {
		return 0, bad("bad_limit", fmt.Sprintf("limit 须在 1–%d 之间", MaxListLimit))
	}
	return limit, nil
}

// ListEnterprise returns a page of a box of every contract enterprise eid sent (drafts stay their
// senders' own), with every box's count, to a member who may see them all (ViewAll: 查看企业全部
// 合同; anyone else gets its refusal, 403). In-progress contracts are in BoxWaiting.
func (s *Service) ListEnterprise(ctx context.Context, a Actor, eid, box, query, after string, limit int) (api.EnvelopeList, error) {
	if box == "" {
		box = api.BoxWaiting
	}
	if sync.CheckKey(eid) != nil || strings.Contains(eid, "|") {
		return api.EnvelopeList{}, refuse(http.StatusNotFound, "not_found", "企业不存在")
	}
	limit, err := checkPage(box, limit)
	if err != nil {
		return api.EnvelopeList{}, err
	}
	return s.list(ctx, enterpriseKey(eid), box, query, after, limit, func(tx sync.Tx) error {
		if s.ViewAll == nil {
			return refuse(http.StatusForbidden, "forbidden", "没有查看企业全部合同的权限")
		}
		return s.ViewAll(tx, eid, a.Account.ID)
	})
}

// list reads a page of key's box; allow, when set, runs first in the same transaction.
func (s *Service) list(ctx context.Context, key, box, query, after string, limit int, allow func(tx sync.Tx) error) (api.EnvelopeList, error) {
	pfx := boxPrefix(key, box)
	if after != "" && !strings.HasPrefix(after, pfx) {
		after = pfx + after
	}
	query = strings.ToLower(strings.TrimSpace(query))
	out := api.EnvelopeList{Box: box, Items: []api.EnvelopeSummary{}}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if allow != nil {
			if err := allow(tx); err != nil {
				return err
			}
		}
		var err error
		if out.Counts, err = counts(tx, key); err != nil {
			return err
		}
		scanLimit := limit + 1
		if query != "" {
			scanLimit = 0
		}
		var last string
		return tx.Scan(BucketBox, pfx, after, scanLimit, func(k string, v []byte) error {
			if len(out.Items) == limit {
				out.Next = strings.TrimPrefix(last, pfx)
				return sync.ErrStopScan
			}
			var l boxLine
			if err := json.Unmarshal(v, &l); err != nil {
				return err
			}
			if query != "" && !strings.Contains(l.Search, query) {
				return nil
			}
			out.Items = append(out.Items, l.EnvelopeSummary)
			last = k
			return nil
		})
	})
	return out, err
}

func counts(tx sync.Tx, key string) (map[string]int, error) {
	stored := map[string]int{}
	if err := sync.GetJSON(tx, BucketCounts, key, &stored); err != nil && !errors.Is(err, sync.ErrNotFound) {
		return nil, err
	}
	m := map[string]int{}
	for _, b := range api.Boxes {
		m[b] = stored[b]
	}
	return m, nil
}

// Counts returns the caller's count per box.
func (s *Service) Counts(ctx context.Context, a Actor) (map[string]int, error) {
	var m map[string]int
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		var err error
		m, err = counts(tx, accountKey(a.Account))
		return err
	})
	return m, err
}

// VerifyPage is the public page of a verification token (the QR code): status, signers, times
// and document digests — never the content.
func (s *Service) VerifyPage(ctx context.Context, token string) (api.VerifyPage, error) {
	var out api.VerifyPage
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if sync.CheckKey(token) != nil {
			return sync.ErrNotFound
		}
		id, err := tx.Get(BucketVerify, token)
		if err != nil {
			return err
		}
		var r record
		if err := sync.GetJSON(tx, BucketEnvelopes, string(id), &r); err != nil {
			return err
		}
		out = api.VerifyPage{Subject: r.Subject, Status: r.Status, Sent: r.Sent, Completed: r.Completed}
		for _, d := range r.Documents {
			sum := d.Current
			if d.Final != "" {
				sum = d.Final
			}
			out.Documents = append(out.Documents, api.VerifyDocument{Name: d.Name, SHA256: sum})
		}
		for k, rc := range r.Recipients {
			if !r.signer(k) {
				continue
			}
			out.Signers = append(out.Signers, api.VerifySigner{Name: rc.Name, Company: rc.Company, State: rc.State, SignedAt: rc.SignedAt})
		}
		return nil
	})
	if errors.Is(err, sync.ErrNotFound) {
		return out, refuse(http.StatusNotFound, "not_found", "未找到该文件的签署记录")
	}
	return out, err
}

// sortInts sorts in place and returns xs.
func sortInts(xs []int) []int { sort.Ints(xs); return xs }

// SendDraft sends a draft of the caller as it is stored.
func (s *Service) SendDraft(ctx context.Context, a Actor, key, id string) (api.Envelope, error) {
	if err := checkKey(key); err != nil {
		return api.Envelope{}, err
	}
	hash := requestHash([]byte("send-draft"), []byte(id))
	ik := idemKey(a.Account.ID, "send", key)
	var out api.Envelope
	var rec *record
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if done, err := replay(tx, ik, hash, &out); err != nil || done {
			return err
		}
		r, _, err := s.load(tx, a, id)
		if err != nil {
			return err
		}
		if r.Status != api.EnvelopeDraft || r.SenderID != a.Account.ID {
			return refuse(http.StatusConflict, "not_draft", "该合同已不是草稿")
		}
		rec = r
		return nil
	})
	if err != nil || rec == nil {
		return out, err
	}
	return s.send(ctx, a, ik, hash, rec, rec.Request, false, nil)
}

// UpdateDraft replaces the content of a draft of the caller.
func (s *Service) UpdateDraft(ctx context.Context, a Actor, id string, req api.EnvelopeRequest) (api.Envelope, error) {
	var rec *record
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		r, _, err := s.load(tx, a, id)
		if err != nil {
			return err
		}
		if r.Status != api.EnvelopeDraft || r.SenderID != a.Account.ID {
			return refuse(http.StatusConflict, "not_draft", "该合同已不是草稿")
		}
		rec = r
		return nil
	})
	if err != nil {
		return api.Envelope{}, err
	}
	key := randomID("draft")
	return s.send(ctx, a, idemKey(a.Account.ID, "draft", key), key, rec, req, true, nil)
}

// DeleteDraft removes a draft of the caller.
func (s *Service) DeleteDraft(ctx context.Context, a Actor, id string) error {
	return s.Store.Update(ctx, func(tx sync.Tx) error {
		r, _, err := s.load(tx, a, id)
		if err != nil {
			return err
		}
		if r.Status != api.EnvelopeDraft || r.SenderID != a.Account.ID {
			return refuse(http.StatusConflict, "not_draft", "只能删除自己的草稿")
		}
		for key, ik := range r.Index {
			if err := tx.Delete(BucketBox, ik); err != nil {
				return err
			}
			if err := addCount(tx, key, api.BoxDraft, -1); err != nil {
				return err
			}
		}
		return tx.Delete(BucketEnvelopes, r.ID)
	})
}
