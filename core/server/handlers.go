package server

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"sealdesk/core/api"
	"sealdesk/core/gate"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/sync"
)

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request, _ *call) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	check := func() error {
		if p, ok := s.opts.Store.(sync.Pinger); ok {
			return p.Ping(ctx)
		}
		return s.opts.Store.View(ctx, func(tx sync.Tx) error {
			_, err := tx.Get(bucketCA, "check")
			return err
		})
	}
	if err := check(); err != nil {
		s.log.Error("health check", "err", err)
		writeError(w, sync.Refuse(http.StatusServiceUnavailable, "unhealthy", "存储不可用"))
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, _ *http.Request, _ *call) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDoc)
	return nil
}

// --- accounts ---------------------------------------------------------------------------------

func (s *Server) handleSendCode(w http.ResponseWriter, r *http.Request, _ *call) error {
	var req api.CodeRequest
	release, err := s.authCall(w, r, &req)
	if err != nil {
		return err
	}
	defer release()
	if req.Purpose == org.PurposeConfirm {
		// 二次校验 codes go only to the signed-in owner (POST /api/v1/me/codes)
		return sync.Refuse(http.StatusBadRequest, "bad_purpose", "无效的验证码用途")
	}
	challenge, err := s.org.SendCode(r.Context(), req.Login, req.Purpose, clientAddr(r), req.Device)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, api.CodeResponse{Status: "sent", Challenge: challenge})
	return nil
}

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request, _ *call) error {
	var req org.RegisterRequest
	release, err := s.authCall(w, r, &req)
	if err != nil {
		return err
	}
	defer release()
	tok, err := s.org.Register(r.Context(), req, clientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tok)
	return nil
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request, _ *call) error {
	var req org.LoginRequest
	release, err := s.authCall(w, r, &req)
	if err != nil {
		return err
	}
	defer release()
	tok, err := s.org.Login(r.Context(), req, clientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tok)
	return nil
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.org.Logout(r.Context(), c.token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleMe(w http.ResponseWriter, _ *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, org.Public(c.account))
	return nil
}

// --- real name --------------------------------------------------------------------------------

func (s *Server) handleRealNameSubmit(w http.ResponseWriter, r *http.Request, c *call) error {
	var req api.RealNameRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	v, err := s.org.SubmitRealName(r.Context(), c.account.ID, req.Name, req.IDNumber, req.Provider)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v.Public())
	return nil
}

func (s *Server) handleRealNameGet(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := s.org.CurrentVerification(r.Context(), c.account.ID)
	if errors.Is(err, sync.ErrNotFound) {
		return sync.Refuse(http.StatusNotFound, "not_found", "尚未提交实名认证")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v.Public())
	return nil
}

func (s *Server) handleRealNamePhoto(w http.ResponseWriter, r *http.Request, c *call) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, org.MaxPhotoBytes+1))
	if err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_request", "读取照片失败")
	}
	v, err := s.org.AddPhoto(r.Context(), c.account.ID, r.PathValue("id"), r.PathValue("side"), data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v.Public())
	return nil
}

// --- certificates -----------------------------------------------------------------------------

// MaxActiveCertificates bounds the valid, unrevoked person certificates of one account (one
// per device).
const MaxActiveCertificates = 5

// Issuance quota per account: revoked certificates still count, so issue/revoke cycles are
// bounded (Options.CertificatesPerPeriod and CertificatePeriod override them).
const (
	DefaultCertificatesPerPeriod = 10
	DefaultCertificatePeriod     = 30 * 24 * time.Hour
)

// bucketCertQuota holds each account's issueQuota.
const bucketCertQuota = "certificate_quota"

type issueQuota struct {
	WindowStart time.Time `json:"window_start"`
	Count       int       `json:"count"`
}

// PersonCertValidity is how long a person's signing certificate is valid.
const PersonCertValidity = 2 * 365 * 24 * time.Hour

func (s *Server) handleIssueCertificate(w http.ResponseWriter, r *http.Request, c *call) error {
	var req api.CertificateRequest
	if err := decodeJSON(r, 64<<10, &req); err != nil {
		return err
	}
	rn := c.account.RealName
	if rn == nil && s.opts.Trial.Docs > 0 {
		// 暂不实名，立即体验: a certificate naming the account as registered, marked self-declared
		// (no provider "trial" verifies anything), so every verifier card says 未实名
		rn = &org.RealName{Name: c.account.Name, Provider: "trial"}
	}
	if rn == nil {
		return sync.Refuse(http.StatusForbidden, "realname_required", "请先完成实名认证，再申请签名证书")
	}
	device := strings.TrimSpace(req.Device)
	if utf8.RuneCountInString(device) > 64 || strings.ContainsFunc(device, unicode.IsControl) {
		return sync.Refuse(http.StatusBadRequest, "bad_device", "设备名称最多 64 个字符，且不能含控制字符")
	}
	block, _ := pem.Decode([]byte(req.CSR))
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return sync.Refuse(http.StatusBadRequest, "bad_csr", "证书请求须为 PEM 格式（CERTIFICATE REQUEST）")
	}
	now := s.opts.Now()
	subject := pkix.Name{Country: []string{"CN"}, CommonName: rn.Name}
	if rn.IDNumber != "" {
		subject.SerialNumber = rn.IDNumber
	}
	var policies []x509.OID
	if !s.identityVerified(rn) {
		// Nobody checked the name and ID number: say so in the certificate, where verifiers
		// look (policy) and where people look (the subject's OU).
		subject.OrganizationalUnit = []string{pki.OUSelfDeclared}
		policies = []x509.OID{pki.OIDSelfDeclaredIdentity}
	}
	release, err := s.pkiGate.Enter(r.Context())
	if err != nil {
		return err
	}
	cert, err := pki.IssueFromCSR(s.ca.issuer(), block.Bytes, pki.Request{
		Profile:   pki.ProfilePerson,
		Subject:   subject,
		Policies:  policies,
		NotBefore: now.Add(-5 * time.Minute), NotAfter: now.Add(PersonCertValidity),
	})
	release()
	if errors.Is(err, pki.ErrBadCSR) || errors.Is(err, pki.ErrKeyType) {
		return sync.Refuse(http.StatusBadRequest, "bad_csr", "证书请求无效或密钥强度不足（需 ECDSA P-256、SM2 或 RSA 2048 以上）")
	}
	if err != nil {
		return err
	}
	serial := serialHex(cert.SerialNumber)
	limit, period := s.opts.CertificatesPerPeriod, s.opts.CertificatePeriod
	if limit <= 0 {
		limit = DefaultCertificatesPerPeriod
	}
	if period <= 0 {
		period = DefaultCertificatePeriod
	}
	err = s.opts.Store.Update(r.Context(), func(tx sync.Tx) error {
		// One key per device, a few devices per person: refuse beyond MaxActiveCertificates
		// (the certificate just signed is then never recorded nor returned). Only the index of
		// unrevoked certificates is read; expired entries leave it here.
		active := 0
		var expired []string
		err := tx.Scan(bucketCertsActive, c.account.ID+"/", "", 0, func(k string, v []byte) error {
			var ac activeCert
			if err := json.Unmarshal(v, &ac); err != nil {
				return err
			}
			if now.Before(ac.NotAfter) {
				active++
			} else {
				expired = append(expired, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range expired {
			if err := tx.Delete(bucketCertsActive, k); err != nil {
				return err
			}
		}
		if active >= MaxActiveCertificates {
			return sync.Refuse(http.StatusConflict, "too_many_certificates",
				fmt.Sprintf("每人最多同时持有 %d 张有效签名证书，请先吊销不再使用的设备上的证书", MaxActiveCertificates))
		}
		// Revoking does not give issuance back: at most limit certificates per period, so
		// issue/revoke cycles cannot grow the store and the CRL without bound.
		var q issueQuota
		if err := sync.GetJSON(tx, bucketCertQuota, c.account.ID, &q); err != nil && !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		if now.Sub(q.WindowStart) >= period {
			q = issueQuota{WindowStart: now}
		}
		if q.Count >= limit {
			return sync.Refuse(http.StatusTooManyRequests, "certificate_limit",
				fmt.Sprintf("每人每 %d 天最多申请 %d 张签名证书，请在 %s 之后再申请", int(period.Hours()/24), limit, q.WindowStart.Add(period).Format("2006-01-02")))
		}
		q.Count++
		if err := sync.PutJSON(tx, bucketCertQuota, c.account.ID, q); err != nil {
			return err
		}
		if err := recordCertOn(tx, cert, c.account.ID, pki.ProfilePerson, device); err != nil {
			return err
		}
		payload, _ := json.Marshal(map[string]any{"serial": serial, "not_after": cert.NotAfter, "subject": cert.Subject.CommonName})
		if _, err := tx.Append(sync.Event{Scope: org.Scope(c.account.ID), Type: "certificate.issued", Time: now, Actor: c.account.ID, Payload: payload}); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: c.account.ID, Action: "certificate.issue", Target: serial, IP: clientAddr(r)})
	})
	if err != nil {
		return err
	}
	s.hub.Notify(org.Scope(c.account.ID))
	writeJSON(w, http.StatusCreated, api.CertificateResponse{Serial: serial, Certificate: string(pki.EncodeCertsPEM(cert)),
		Chain: string(pki.EncodeCertsPEM(s.ca.issuing, s.ca.root)), NotBefore: cert.NotBefore, NotAfter: cert.NotAfter})
	return nil
}

func (s *Server) handleListCertificates(w http.ResponseWriter, r *http.Request, c *call) error {
	out := []api.CertificateInfo{}
	err := s.opts.Store.View(r.Context(), func(tx sync.Tx) error {
		return tx.Scan(bucketCertsBy, c.account.ID+"/", "", 0, func(k string, _ []byte) error {
			var rec CertRecord
			if err := sync.GetJSON(tx, bucketCerts, strings.TrimPrefix(k, c.account.ID+"/"), &rec); err != nil {
				return err
			}
			out = append(out, certInfo(rec))
			return nil
		})
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) revoke(r *http.Request, c *call, ownOnly bool) (CertRecord, error) {
	var req api.RevokeRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, 1<<10, &req); err != nil {
			return CertRecord{}, err
		}
	}
	switch req.Reason {
	case 0, 1, 3, 4, 5:
	default:
		return CertRecord{}, sync.Refuse(http.StatusBadRequest, "bad_reason", "不支持的吊销原因")
	}
	serial := strings.ToLower(r.PathValue("serial"))
	now := s.opts.Now()
	var rec CertRecord
	err := s.opts.Store.Update(r.Context(), func(tx sync.Tx) error {
		if err := sync.GetJSON(tx, bucketCerts, serial, &rec); errors.Is(err, sync.ErrNotFound) {
			return sync.Refuse(http.StatusNotFound, "not_found", "证书不存在")
		} else if err != nil {
			return err
		}
		if ownOnly && rec.AccountID != c.account.ID {
			return sync.Refuse(http.StatusNotFound, "not_found", "证书不存在")
		}
		var err error
		if rec, err = revokeInTx(tx, serial, req.Reason, now); err != nil {
			return err
		}
		if rec.AccountID != "" {
			payload, _ := json.Marshal(map[string]any{"serial": serial, "revoked_at": rec.RevokedAt, "reason": rec.Reason})
			if _, err := tx.Append(sync.Event{Scope: org.Scope(rec.AccountID), Type: "certificate.revoked", Time: now, Actor: c.account.ID, Payload: payload}); err != nil {
				return err
			}
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: c.account.ID, Action: "certificate.revoke", Target: serial, Detail: strconv.Itoa(req.Reason), IP: clientAddr(r)})
	})
	if err != nil {
		return rec, err
	}
	s.ca.invalidateCRL()
	if rec.AccountID != "" {
		s.hub.Notify(org.Scope(rec.AccountID))
	}
	return rec, nil
}

func (s *Server) handleRevokeOwnCertificate(w http.ResponseWriter, r *http.Request, c *call) error {
	rec, err := s.revoke(r, c, true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, certInfo(rec))
	return nil
}

func (s *Server) handleAdminRevoke(w http.ResponseWriter, r *http.Request, c *call) error {
	rec, err := s.revoke(r, c, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, certInfo(rec))
	return nil
}

// --- CA, OCSP, TSA ----------------------------------------------------------------------------

func (s *Server) handleRootPEM(w http.ResponseWriter, _ *http.Request, _ *call) error {
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Write(pki.EncodeCertsPEM(s.ca.root))
	return nil
}

func (s *Server) handleIssuingCert(w http.ResponseWriter, _ *http.Request, _ *call) error {
	w.Header().Set("Content-Type", "application/pkix-cert")
	w.Write(s.ca.issuing.Raw)
	return nil
}

func (s *Server) handleCRL(w http.ResponseWriter, r *http.Request, _ *call) error {
	der, err := s.ca.crlDER(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Write(der)
	return nil
}

func (s *Server) writeOCSP(w http.ResponseWriter, r *http.Request, der []byte) error {
	release, err := s.pkiGate.Enter(r.Context())
	if errors.Is(err, gate.ErrBusy) {
		// RFC 6960 tryLater, with the HTTP answer every other busy route gives.
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte{0x30, 0x03, 0x0a, 0x01, 0x03})
		return nil
	}
	if err != nil {
		return err
	}
	defer release()
	resp, err := s.ca.ocspResponse(r.Context(), der)
	if err != nil {
		if r.Context().Err() != nil {
			return err
		}
		// A malformed request gets the RFC 6960 malformedRequest response, not a JSON error.
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte{0x30, 0x03, 0x0a, 0x01, 0x01})
		return nil
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Write(resp)
	return nil
}

// ocspLimited answers a rate-limited OCSP request with RFC 6960 tryLater (what OCSP clients
// understand) and the 429 and Retry-After limitPKI chose.
func ocspLimited(w http.ResponseWriter, _ error) error {
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write([]byte{0x30, 0x03, 0x0a, 0x01, 0x03})
	return nil
}

func (s *Server) handleOCSPGet(w http.ResponseWriter, r *http.Request, _ *call) error {
	if err := limitPKI(s.ocspRate, w, r); err != nil {
		return ocspLimited(w, err)
	}
	raw := r.PathValue("request")
	der, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(raw) > 8<<10 {
		der = nil
	}
	return s.writeOCSP(w, r, der)
}

func (s *Server) handleOCSPPost(w http.ResponseWriter, r *http.Request, _ *call) error {
	if err := limitPKI(s.ocspRate, w, r); err != nil {
		return ocspLimited(w, err)
	}
	der, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil || len(der) > 64<<10 {
		der = nil
	}
	return s.writeOCSP(w, r, der)
}

func (s *Server) handleTSA(w http.ResponseWriter, r *http.Request, _ *call) error {
	if err := limitPKI(s.tsaRate, w, r); err != nil {
		return err
	}
	release, err := s.pkiGate.Enter(r.Context())
	if err != nil {
		return err
	}
	defer release()
	s.tsa.ServeHTTP(w, r)
	return nil
}

func (s *Server) handleOutbox(w http.ResponseWriter, _ *http.Request, _ *call) error {
	writeJSON(w, http.StatusOK, s.outbox.Messages())
	return nil
}

// --- sync and commands ------------------------------------------------------------------------

// Pull limits.
const (
	DefaultPullLimit = 1000
	MaxPullLimit     = 10000
	MaxPullWait      = 60 * time.Second
)

func (s *Server) handleSync(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	scope := q.Get("scope")
	if scope == "" {
		scope = org.Scope(c.account.ID)
	}
	var since uint64
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return sync.Refuse(http.StatusBadRequest, "bad_since", "since 须为非负整数")
		}
		since = n
	}
	limit := DefaultPullLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPullLimit {
			return sync.Refuse(http.StatusBadRequest, "bad_limit", fmt.Sprintf("limit 须在 1–%d 之间", MaxPullLimit))
		}
		limit = n
	}
	var wait time.Duration
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > MaxPullWait {
			return sync.Refuse(http.StatusBadRequest, "bad_wait", "wait 须为 0–60s 的时长，例如 30s")
		}
		wait = d
	}
	if err := sync.CheckName(scope); err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_scope", "无效的 scope")
	}
	if wait > 0 {
		leave, err := s.polls.enter(c.account.ID)
		if err != nil {
			w.Header().Set("Retry-After", "5")
			return err
		}
		defer leave()
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	authorized := false
	for {
		// The wait is registered before the read (so a commit between the read and the select
		// still wakes us) but only once the caller may read the scope: a refused request must
		// leave nothing behind.
		var woken <-chan struct{}
		cancel := func() {}
		if authorized {
			woken, cancel = s.hub.Wait(scope)
		}
		var evs []sync.Event
		err := s.opts.Store.View(r.Context(), func(tx sync.Tx) error {
			// Checked on every read, not only the first: a member disabled during a long poll
			// is refused at its next wake-up.
			if err := s.authorizeScope(tx, c.actor(), scope); err != nil {
				return err
			}
			var err error
			evs, err = tx.Events(scope, since, limit)
			return err
		})
		if err != nil {
			cancel()
			return err
		}
		if len(evs) > 0 || wait == 0 {
			cancel()
			resp := api.PullResponse{Scope: scope, Events: evs, Cursor: since, More: len(evs) == limit}
			if resp.Events == nil {
				resp.Events = []sync.Event{}
			}
			if len(evs) > 0 {
				resp.Cursor = evs[len(evs)-1].Seq
			}
			writeJSON(w, http.StatusOK, resp)
			return nil
		}
		if !authorized {
			// First pass: now allowed; register the wait and read again before sleeping.
			authorized = true
			continue
		}
		poll := time.NewTimer(s.opts.PollInterval)
		select {
		case <-woken:
		case <-poll.C:
		case <-deadline.C:
			wait = 0
		case <-r.Context().Done():
			poll.Stop()
			cancel()
			return r.Context().Err()
		}
		poll.Stop()
		cancel()
	}
}

// MaxCommandBody bounds a command.
const MaxCommandBody = 256 << 10

func (s *Server) handleCommand(w http.ResponseWriter, r *http.Request, c *call) error {
	var cmd sync.Command
	if err := decodeJSON(r, MaxCommandBody, &cmd); err != nil {
		return err
	}
	out, err := s.proc.Apply(r.Context(), c.actor(), r.Header.Get("Idempotency-Key"), cmd)
	if err != nil {
		return err
	}
	if out.Replayed {
		w.Header().Set("Idempotency-Replayed", "true")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(out.Status)
	w.Write(out.Body)
	return nil
}

// registerCommands wires the platform's own command types. Domains add theirs via Processor().
func (s *Server) registerCommands() {
	s.proc.Register("profile.rename", func(_ context.Context, tx sync.Tx, a sync.Actor, cmd sync.Command, now time.Time) (any, []sync.Event, error) {
		var p struct {
			Name string `json:"name"`
		}
		if err := decodeBytes(cmd.Payload, &p); err != nil {
			return nil, nil, err
		}
		name, err := org.CheckName(p.Name)
		if err != nil {
			return nil, nil, err
		}
		if cmd.Scope != org.Scope(a.ID) {
			return nil, nil, sync.Refuse(http.StatusBadRequest, "bad_scope", "该命令只能用于本人的数据范围")
		}
		var acct org.Account
		if err := sync.GetJSON(tx, org.BucketAccounts, a.ID, &acct); err != nil {
			return nil, nil, err
		}
		acct.Name = name
		if err := org.PutAccount(tx, acct); err != nil {
			return nil, nil, err
		}
		pub := org.Public(acct)
		b, _ := json.Marshal(pub)
		return pub, []sync.Event{{Type: "account.updated", Payload: b}}, nil
	})
	s.proc.Register("settings.put", func(_ context.Context, tx sync.Tx, a sync.Actor, cmd sync.Command, now time.Time) (any, []sync.Event, error) {
		var p struct {
			Key   string          `json:"key"`
			Value json.RawMessage `json:"value"`
		}
		if err := decodeBytes(cmd.Payload, &p); err != nil {
			return nil, nil, err
		}
		if p.Key == "" || len(p.Key) > 128 || len(p.Value) > 64<<10 {
			return nil, nil, sync.Refuse(http.StatusBadRequest, "bad_setting", "设置项名称须为 1–128 个字符，值不超过 64 KB")
		}
		if id, ok := org.EnterpriseIDOfScope(cmd.Scope); ok {
			// An enterprise's settings are its admins' to change (any member may read them).
			if _, err := s.org.RequireAdmin(tx, id, a.ID); err != nil {
				return nil, nil, err
			}
		}
		if err := tx.Put("settings", cmd.Scope+"/"+p.Key, p.Value); err != nil {
			return nil, nil, err
		}
		b, _ := json.Marshal(p)
		return nil, []sync.Event{{Type: "settings.changed", Payload: b}}, nil
	})
}

// --- admin ------------------------------------------------------------------------------------

func (s *Server) handleReviews(w http.ResponseWriter, r *http.Request, _ *call) error {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = org.StatusPending
	}
	if status == "all" {
		status = ""
	}
	vs, err := s.org.Reviews(r.Context(), status)
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []org.Verification{}
	}
	writeJSON(w, http.StatusOK, vs)
	return nil
}

func (s *Server) handleReview(w http.ResponseWriter, r *http.Request, _ *call) error {
	v, err := s.org.Verification(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) handleReviewPhoto(w http.ResponseWriter, r *http.Request, _ *call) error {
	v, err := s.org.Verification(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ph, ok := v.Photos[r.PathValue("side")]
	if !ok {
		return sync.Refuse(http.StatusNotFound, "not_found", "该面照片尚未上传")
	}
	b, err := s.org.Photo(r.Context(), v, r.PathValue("side"))
	if errors.Is(err, sync.ErrNotFound) {
		return sync.Refuse(http.StatusNotFound, "not_found", "该面照片已过期删除")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ph.Type)
	w.Header().Set("Content-Disposition", "attachment")
	w.Write(b)
	return nil
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request, c *call, approve bool) error {
	var req api.DecisionRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, 4<<10, &req); err != nil {
			return err
		}
	}
	v, err := s.org.Decide(r.Context(), c.account.ID, r.PathValue("id"), approve, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) handleApprove(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decide(w, r, c, true)
}

func (s *Server) handleReject(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decide(w, r, c, false)
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, _ *call) error {
	limit := 200
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return sync.Refuse(http.StatusBadRequest, "bad_limit", "limit 须在 1–1000 之间")
		}
		limit = n
	}
	type entry struct {
		Key string `json:"key"`
		sync.AuditEntry
	}
	out := []entry{}
	err := s.opts.Store.View(r.Context(), func(tx sync.Tx) error {
		return tx.Scan(sync.BucketAudit, "", r.URL.Query().Get("after"), limit, func(k string, v []byte) error {
			var e sync.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, entry{k, e})
			return nil
		})
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// certInfo lists rec without its DER.
func certInfo(rec CertRecord) api.CertificateInfo {
	return api.CertificateInfo{Serial: rec.Serial, Subject: rec.Subject, NotBefore: rec.NotBefore, NotAfter: rec.NotAfter,
		Revoked: rec.Revoked, RevokedAt: rec.RevokedAt, Device: rec.Device}
}
