package server

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	stdsync "sync"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/apikey"
	"sealdesk/core/envelope"
	"sealdesk/core/org"
	"sealdesk/core/sync"
	"sealdesk/core/webhook"
)

// The open API for business systems (issue 21, area api): an enterprise's API keys, managed by
// its admins (org.PermManageAPIKeys), and the HMAC-signed routes under /api/v1/open that create,
// send, query, download and withdraw envelopes with them (core/apikey checks the signature).
// A key acts for the admin who created it: the envelopes' sender is that admin, sending for the
// key's enterprise, and its sends are the 接口 channel of 费用明细.

// MaxOpenBody bounds an open-API request: five 10 MB files in base64 plus the JSON around them.
const MaxOpenBody = envelope.MaxFiles*envelope.MaxFileSize*4/3 + 1<<20

func (s *Server) newAPIKeys() error {
	secret, err := s.ca.keys.subkey("api-keys")
	if err != nil {
		return err
	}
	s.keys, err = apikey.New(apikey.Options{Store: s.opts.Store, Secret: secret, Now: s.opts.Now})
	return err
}

// APIKeys returns the API key service.
func (s *Server) APIKeys() *apikey.Service { return s.keys }

// envelopeEvent enqueues the integrator webhook of an envelope step (envelope.Service.Events).
func (s *Server) envelopeEvent(tx sync.Tx, e api.Envelope, st api.Step, now time.Time) error {
	typ := envelope.EventOf(st.Action)
	data := map[string]any{"envelope_id": e.ID, "subject": e.Subject, "status": e.Status, "action": st.Action,
		"time": st.Time, "recipient": st.Recipient, "document": st.Document}
	if st.Recipient >= 0 && st.Recipient < len(e.Recipients) {
		rc := e.Recipients[st.Recipient]
		data["recipient_name"], data["recipient_company"] = rc.Name, rc.Company
	}
	if st.Action == "declined" || st.Action == "withdrawn" {
		data["reason"] = st.Note
	}
	_, err := webhook.Enqueue(tx, e.EnterpriseID, typ, data, now)
	return err
}

func (s *Server) apiKeyRoutes() []route {
	return []route{
		{"GET", "/api/v1/enterprises/{id}/api-keys", user, s.handleAPIKeyList},
		{"POST", "/api/v1/enterprises/{id}/api-keys", user, s.handleAPIKeyCreate},
		{"POST", "/api/v1/enterprises/{id}/api-keys/{key}/revoke", user, s.handleAPIKeyRevoke},
		{"POST", "/api/v1/open/envelopes", integrator, s.handleOpenCreate},
		{"GET", "/api/v1/open/envelopes/{id}", integrator, s.handleOpenGet},
		{"POST", "/api/v1/open/envelopes/{id}/send", integrator, s.handleOpenSend},
		{"GET", "/api/v1/open/envelopes/{id}/events", integrator, s.handleOpenEvents},
		{"GET", "/api/v1/open/envelopes/{id}/documents/{n}", integrator, s.handleOpenDocument},
		{"GET", "/api/v1/open/envelopes/{id}/report", integrator, s.handleOpenReport},
		{"POST", "/api/v1/open/envelopes/{id}/withdraw", integrator, s.handleOpenWithdraw},
	}
}

// --- key management (session routes) -----------------------------------------------------------

func (s *Server) keyTx(r *http.Request, c *call, write bool, action string, fn func(tx sync.Tx, ent string, m org.Member, now time.Time) (string, error)) error {
	ent := r.PathValue("id")
	run := s.opts.Store.View
	if write {
		run = s.opts.Store.Update
	}
	return run(r.Context(), func(tx sync.Tx) error {
		m, err := s.org.Require(tx, ent, c.account.ID, org.PermManageAPIKeys)
		if err != nil {
			return err
		}
		now := s.opts.Now().UTC()
		detail, err := fn(tx, ent, m, now)
		if err != nil || !write {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: c.account.ID, Action: action, Target: "ent:" + ent,
			Detail: detail, IP: clientAddr(r)})
	})
}

func (s *Server) handleAPIKeyList(w http.ResponseWriter, r *http.Request, c *call) error {
	var out api.APIKeyList
	err := s.keyTx(r, c, false, "", func(tx sync.Tx, ent string, _ org.Member, _ time.Time) (string, error) {
		var err error
		out.Keys, err = s.keys.List(tx, ent)
		return "", err
	})
	if err != nil {
		return err
	}
	out.Scopes = api.APIScopes
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleAPIKeyCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.require(r, c, org.PermManageAPIKeys); err != nil {
		return err
	}
	var req api.APIKeyRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	var out api.APIKeyCreated
	err := s.keyTx(r, c, true, "apikey.create", func(tx sync.Tx, ent string, m org.Member, now time.Time) (string, error) {
		name := m.Name
		if name == "" {
			name = c.account.Name
		}
		var err error
		out, err = s.keys.Create(tx, ent, c.account.ID, name, req, now)
		return out.Key.ID + " " + out.Key.Name + " " + strings.Join(out.Key.Scopes, ","), err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) handleAPIKeyRevoke(w http.ResponseWriter, r *http.Request, c *call) error {
	var out api.APIKey
	err := s.keyTx(r, c, true, "apikey.revoke", func(tx sync.Tx, ent string, _ org.Member, now time.Time) (string, error) {
		var err error
		out, err = s.keys.Revoke(tx, ent, r.PathValue("key"), now)
		return out.ID + " " + out.Name, err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// --- signed requests ---------------------------------------------------------------------------

// authenticateKey checks a signed request (its body already read) and returns the key and the
// account it acts for: the key's creator, who must still be an enabled member of its enterprise.
func (s *Server) authenticateKey(r *http.Request, body []byte) (api.APIKey, org.Account, error) {
	var acct org.Account
	k, err := s.keys.Authenticate(r.Context(), apikey.FromHTTP(r, body), func(tx sync.Tx, k api.APIKey) error {
		return s.checkKeyCreator(tx, k, &acct)
	})
	return k, acct, err
}

// checkKeyCreator checks that k's creator is still an enabled member of its enterprise and
// reads their account into acct.
func (s *Server) checkKeyCreator(tx sync.Tx, k api.APIKey, acct *org.Account) error {
	if _, err := s.org.Require(tx, k.EnterpriseID, k.CreatedBy, ""); err != nil {
		var ref *sync.Refusal
		if errors.As(err, &ref) {
			return sync.Refuse(http.StatusForbidden, apikey.CodeCreatorGone, "创建该 API 密钥的管理员已不是企业的有效成员，请由现任管理员重新创建密钥")
		}
		return err
	}
	return sync.GetJSON(tx, org.BucketAccounts, k.CreatedBy, acct)
}

// spendsNonce names the integrator routes whose handler spends the request's nonce inside its
// own read-write transaction (c.nonce), so that the route costs one such transaction.
var spendsNonce = map[string]bool{"POST /api/v1/open/envelopes": true}

// verifyKey is authenticateKey without spending the nonce (see apikey.Service.Verify).
func (s *Server) verifyKey(r *http.Request, body []byte) (api.APIKey, org.Account, *apikey.Nonce, error) {
	var acct org.Account
	k, n, err := s.keys.Verify(r.Context(), apikey.FromHTTP(r, body), func(tx sync.Tx, k api.APIKey) error {
		return s.checkKeyCreator(tx, k, &acct)
	})
	return k, acct, n, err
}

// spendNonce spends the nonce of a spendsNonce request whose handler did not (it failed before
// its transaction committed): a replay of the request is then refused as such.
func (s *Server) spendNonce(r *http.Request, c *call) {
	if c.nonce == nil || c.spent {
		return
	}
	c.spent = true
	err := s.opts.Store.Update(context.WithoutCancel(r.Context()), c.nonce.Spend)
	var ref *sync.Refusal
	if err != nil && !errors.As(err, &ref) {
		s.log.Error("spend api request nonce", "key", c.key.ID, "err", err)
	}
}

// openActor is the envelope actor of a signed request.
func (c *call) openActor(r *http.Request) envelope.Actor {
	return envelope.Actor{Account: c.account, Channel: envelope.ChannelAPI,
		Device: "API 密钥 " + c.key.Name + " (" + c.key.ID + ", " + clientAddr(r) + ")"}
}

// openIdemKey puts the integrator's Idempotency-Key in the key's own namespace (two keys of one
// admin may use the same keys).
func openIdemKey(r *http.Request, c *call) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" || sync.CheckIdempotencyKey(k) != nil || len(k) > sync.MaxIdempotencyKeyLen-len(c.key.ID)-1 {
		return "", sync.Refuse(http.StatusBadRequest, "bad_idempotency_key",
			fmt.Sprintf("缺少或无效的 Idempotency-Key（须为 1–%d 个可打印 ASCII 字符）", sync.MaxIdempotencyKeyLen-len(c.key.ID)-1))
	}
	return c.key.ID + ":" + k, nil
}

// openEnvelope reads envelope {id} for a signed request: an envelope of another enterprise is
// refused as such (other_enterprise), one the key's creator is no party to is not found.
func (s *Server) openEnvelope(r *http.Request, c *call, scope string) (api.Envelope, error) {
	if err := apikey.RequireScope(*c.key, scope); err != nil {
		return api.Envelope{}, err
	}
	id := r.PathValue("id")
	var owner struct {
		EnterpriseID string `json:"enterprise_id"`
	}
	err := s.opts.Store.View(r.Context(), func(tx sync.Tx) error {
		if sync.CheckKey(id) != nil {
			return sync.ErrNotFound
		}
		return sync.GetJSON(tx, envelope.BucketEnvelopes, id, &owner)
	})
	if errors.Is(err, sync.ErrNotFound) {
		return api.Envelope{}, sync.Refuse(http.StatusNotFound, "not_found", "合同不存在")
	}
	if err != nil {
		return api.Envelope{}, err
	}
	if owner.EnterpriseID != c.key.EnterpriseID {
		return api.Envelope{}, sync.Refuse(http.StatusForbidden, apikey.CodeOtherEnt, "该合同不属于此 API 密钥所在的企业")
	}
	return s.env.Get(r.Context(), c.openActor(r), id)
}

func openView(e api.Envelope) api.OpenEnvelope {
	o := api.OpenEnvelope{ID: e.ID, Subject: e.Subject, Status: e.Status, EnterpriseID: e.EnterpriseID, Created: e.Created,
		Sent: e.Sent, Updated: e.Updated, Completed: e.Completed, Reason: e.Reason, VerifyURL: e.VerifyURL, Fields: e.Fields,
		Documents: []api.OpenDocument{}, Recipients: []api.OpenRecipient{}}
	for _, d := range e.Documents {
		o.Documents = append(o.Documents, api.OpenDocument{Index: d.Index, Name: d.Name, Pages: d.Pages, Final: d.Final})
	}
	for _, rc := range e.Recipients {
		o.Recipients = append(o.Recipients, api.OpenRecipient{Index: rc.Index, Kind: rc.Kind, Name: rc.Name, Company: rc.Company,
			State: rc.State, SignedAt: rc.SignedAt, Reason: rc.Reason})
	}
	return o
}

type namedFile struct {
	name string
	data []byte
}

// readOpenCreate parses a create request: JSON with base64 files, or multipart/form-data with a
// "request" part (the same JSON without files) and "file" parts.
func readOpenCreate(r *http.Request) (api.OpenEnvelopeRequest, []namedFile, error) {
	var req api.OpenEnvelopeRequest
	var files []namedFile
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		if err := decodeJSON(r, MaxOpenBody, &req); err != nil {
			return req, nil, err
		}
		for i, f := range req.Files {
			b, err := base64.StdEncoding.DecodeString(f.ContentBase64)
			if err != nil {
				return req, nil, sync.Refuse(http.StatusBadRequest, "bad_file", fmt.Sprintf("第 %d 个文件的 content_base64 不是有效的 base64", i+1))
			}
			files = append(files, namedFile{f.Name, b})
		}
		return req, files, nil
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	seen := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return req, nil, sync.Refuse(http.StatusBadRequest, "bad_multipart", "multipart 请求体格式错误")
		}
		data, err := io.ReadAll(io.LimitReader(p, envelope.MaxFileSize+1))
		if err != nil {
			return req, nil, sync.Refuse(http.StatusBadRequest, "bad_multipart", "multipart 请求体格式错误")
		}
		switch p.FormName() {
		case "request":
			if err := decodeBytes(data, &req); err != nil {
				return req, nil, err
			}
			seen = true
		case "file":
			if len(files) >= envelope.MaxFiles {
				return req, nil, sync.Refuse(http.StatusBadRequest, "too_many_files", fmt.Sprintf("最多添加 %d 个文件", envelope.MaxFiles))
			}
			files = append(files, namedFile{p.FileName(), data})
		default:
			return req, nil, sync.Refuse(http.StatusBadRequest, "bad_multipart", fmt.Sprintf("未知的 multipart 字段「%s」：只能是 request 和 file", p.FormName()))
		}
	}
	if !seen {
		return req, nil, sync.Refuse(http.StatusBadRequest, "bad_multipart", "multipart 请求缺少 request 字段（JSON）")
	}
	if len(req.Files) > 0 {
		return req, nil, sync.Refuse(http.StatusBadRequest, "bad_multipart", "multipart 请求的文件须放在 file 字段中，而不是 request.files")
	}
	return req, files, nil
}

func (s *Server) handleOpenCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := apikey.RequireScope(*c.key, api.ScopeSend); err != nil {
		return err
	}
	ik, err := openIdemKey(r, c)
	if err != nil {
		return err
	}
	in, files, err := readOpenCreate(r)
	if err != nil {
		return err
	}
	a := c.openActor(r)
	req := api.EnvelopeRequest{Subject: in.Subject, Remark: in.Remark, Deadline: in.Deadline, Order: in.Order,
		EnterpriseID: c.key.EnterpriseID, Recipients: in.Recipients, Fields: in.Fields, Draft: !in.Send}
	if len(files) > envelope.MaxFiles {
		return sync.Refuse(http.StatusBadRequest, "too_many_files", fmt.Sprintf("最多添加 %d 个文件", envelope.MaxFiles))
	}
	var brought []envelope.File
	if in.TemplateID != "" {
		if len(files) > 0 {
			return sync.Refuse(http.StatusBadRequest, "bad_request", "从模板发起时不能再附加文件")
		}
		if err := s.fillFromTemplate(r, a, c, in, &req); err != nil {
			return err
		}
	} else {
		if len(files) == 0 {
			return sync.Refuse(http.StatusBadRequest, "no_files", "请添加文件（files 或 multipart 的 file 字段）或指定模板 template_id")
		}
		for _, f := range files {
			brought = append(brought, envelope.File{Name: f.name, Data: f.data})
		}
	}
	// One read-write transaction: the nonce, the files, the envelope, its idempotency record.
	var within func(sync.Tx) error
	if c.nonce != nil {
		within = c.nonce.Spend
	}
	e, err := s.env.Create(r.Context(), a, ik, req, brought, within)
	if err != nil {
		return err
	}
	c.spent = true
	writeJSON(w, http.StatusOK, openView(e))
	return nil
}

// fillFromTemplate builds req from a template of the key's creator: its files, boxes, order and
// roles, the integrator's recipients filling the roles in order.
func (s *Server) fillFromTemplate(r *http.Request, a envelope.Actor, c *call, in api.OpenEnvelopeRequest, req *api.EnvelopeRequest) error {
	ts, err := s.env.Templates(r.Context(), a)
	if err != nil {
		return err
	}
	var t *api.Template
	for i := range ts {
		if ts[i].ID == in.TemplateID {
			t = &ts[i]
		}
	}
	if t == nil || t.Enterprise != "" && t.Enterprise != c.key.EnterpriseID {
		return sync.Refuse(http.StatusNotFound, "template_not_found", "模板不存在（只能使用创建该 API 密钥的管理员的模板）")
	}
	if len(in.Recipients) > len(t.Roles) {
		return sync.Refuse(http.StatusBadRequest, "bad_recipients", fmt.Sprintf("该模板只有 %d 个签署方角色", len(t.Roles)))
	}
	req.Files, req.Template = t.Files, t.ID
	if req.Order == "" {
		req.Order = t.Order
	}
	if req.Subject == "" {
		req.Subject = t.Subject
	}
	if req.Remark == "" {
		req.Remark = t.Remark
	}
	if len(req.Fields) == 0 {
		req.Fields = t.Fields
	}
	req.Recipients = nil
	for i, role := range t.Roles {
		rc := role
		if i < len(in.Recipients) {
			g := in.Recipients[i]
			if g.Kind != "" && g.Kind != role.Kind {
				return sync.Refuse(http.StatusBadRequest, "bad_recipients", fmt.Sprintf("第 %d 个签署方的类型须为模板角色的 %s", i+1, role.Kind))
			}
			for _, p := range []struct {
				dst *string
				src string
			}{{&rc.AccountID, g.AccountID}, {&rc.Name, g.Name},
				{&rc.Phone, g.Phone}, {&rc.Email, g.Email}, {&rc.Company, g.Company}} {
				if *p.dst == "" {
					*p.dst = p.src
				}
			}
		}
		req.Recipients = append(req.Recipients, rc)
	}
	return nil
}

func (s *Server) handleOpenGet(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.openEnvelope(r, c, api.ScopeRead)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, openView(e))
	return nil
}

func (s *Server) handleOpenEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.openEnvelope(r, c, api.ScopeRead)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.OpenEvents{Events: e.Steps})
	return nil
}

func (s *Server) handleOpenSend(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.openEnvelope(r, c, api.ScopeSend); err != nil {
		return err
	}
	ik, err := openIdemKey(r, c)
	if err != nil {
		return err
	}
	e, err := s.env.SendDraft(r.Context(), c.openActor(r), ik, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, openView(e))
	return nil
}

func (s *Server) handleOpenWithdraw(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.openEnvelope(r, c, api.ScopeSend); err != nil {
		return err
	}
	ik, err := openIdemKey(r, c)
	if err != nil {
		return err
	}
	var req api.ReasonRequest
	if err := decodeJSON(r, 16<<10, &req); err != nil {
		return err
	}
	e, err := s.env.Withdraw(r.Context(), c.openActor(r), ik, r.PathValue("id"), req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, openView(e))
	return nil
}

func (s *Server) handleOpenDocument(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.openEnvelope(r, c, api.ScopeDownload); err != nil {
		return err
	}
	n, err := docIndex(r)
	if err != nil {
		return err
	}
	version := r.URL.Query().Get("version")
	if version == "" {
		version = "final"
	}
	b, name, err := s.env.Document(r.Context(), c.openActor(r), r.PathValue("id"), n, version)
	if err != nil {
		return err
	}
	writePDF(w, b, name)
	return nil
}

func (s *Server) handleOpenReport(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.openEnvelope(r, c, api.ScopeDownload); err != nil {
		return err
	}
	b, err := s.env.Report(r.Context(), c.openActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writePDF(w, b, "签署报告.pdf")
	return nil
}

// MaxOpenSmallBody bounds the body of every signed request but a create (send and withdraw
// carry at most a reason; reads none): a key holder cannot make the server read and parse
// megabytes through them (red team F6).
const MaxOpenSmallBody = 64 << 10

// DefaultOpenBodyBudget bounds the bytes of signed request bodies the server holds at once (a
// body is read whole before its signature can be checked, then parsed): four creates of the
// largest size. Over it a request answers 503 with Retry-After before its body is read.
const DefaultOpenBodyBudget = 4 * MaxOpenBody

// openBodyLimits are the signed routes allowed more than MaxOpenSmallBody.
var openBodyLimits = map[string]int64{"POST /api/v1/open/envelopes": MaxOpenBody}

func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", n>>10)
}

// bodyBudget counts the bytes of the signed request bodies held at once.
type bodyBudget struct {
	mu        stdsync.Mutex
	used, max int64
}

func (b *bodyBudget) take(n int64) (release func(), ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return nil, false
	}
	b.used += n
	return func() {
		b.mu.Lock()
		b.used -= n
		b.mu.Unlock()
	}, true
}

// readSigned reads the body of a signed request to route (at most its limit: openBodyLimits,
// else MaxOpenSmallBody) and puts it back for the handler. A body declared larger than the
// limit is refused before it is read; so is any body while the bodies held at once would pass
// the budget (Options.OpenBodyBudget). release gives the budget back once the request is done.
func (s *Server) readSigned(w http.ResponseWriter, r *http.Request, rt route) (body []byte, release func(), err error) {
	limit, ok := openBodyLimits[rt.method+" "+rt.pattern]
	if !ok {
		limit = MaxOpenSmallBody
	}
	tooLarge := func(got string) error {
		what := "该接口的请求体"
		if limit == MaxOpenBody {
			what = "创建合同的请求体（最多 5 个 10 MB 文件，base64 编码）"
		}
		return sync.Refuse(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("%s不能超过 %s（本次%s）", what, sizeText(limit), got))
	}
	if r.ContentLength > limit {
		refuseBody(w, r)
		return nil, nil, tooLarge("声明 " + sizeText(r.ContentLength))
	}
	hold := r.ContentLength
	if hold < 0 {
		hold = limit // chunked: as much as it may be
	}
	release, ok = s.openBodies.take(hold)
	if !ok {
		refuseBody(w, r)
		w.Header().Set("Retry-After", "2")
		return nil, nil, sync.Refuse(http.StatusServiceUnavailable, "body_budget",
			fmt.Sprintf("服务器同时接收的接口请求体已达 %s 的上限，请稍后重试", sizeText(s.openBodies.max)))
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		release()
		return nil, nil, sync.Refuse(http.StatusBadRequest, "bad_request", "读取请求体失败")
	}
	if int64(len(b)) > limit {
		release()
		refuseBody(w, r)
		return nil, nil, tooLarge("超过上限")
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, release, nil
}

// openapi_open.json documents the routes of this file; it is merged into openapi.json (kept
// apart so that areas adding routes at once do not edit the same lines).
//
//go:embed openapi_open.json
var openAPIOpen []byte

// openAPIDoc is the OpenAPI document served at /api/openapi.json and /api/v1/openapi.json.
var openAPIDoc = mergeOpenAPI(openAPI, openAPIOpen)

// mergeOpenAPI adds the paths and components of part to base. A path or component named in both
// is a programming error (the routes test would fail anyway): it panics at start.
func mergeOpenAPI(base, part []byte) []byte {
	var b, p map[string]any
	if err := json.Unmarshal(base, &b); err != nil {
		panic("openapi.json: " + err.Error())
	}
	if err := json.Unmarshal(part, &p); err != nil {
		panic("openapi part: " + err.Error())
	}
	merge := func(dst, src map[string]any, what string) {
		for k, v := range src {
			if _, dup := dst[k]; dup {
				panic("openapi: " + what + " " + k + " is documented twice")
			}
			dst[k] = v
		}
	}
	merge(b["paths"].(map[string]any), p["paths"].(map[string]any), "path")
	bc, pc := b["components"].(map[string]any), p["components"].(map[string]any)
	for sect, v := range pc {
		if bc[sect] == nil {
			bc[sect] = map[string]any{}
		}
		merge(bc[sect].(map[string]any), v.(map[string]any), sect)
	}
	out, err := json.MarshalIndent(b, "", " ")
	if err != nil {
		panic(err)
	}
	return out
}
