package server

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"sealdesk/core/api"
	"sealdesk/core/envelope"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/sync"
	"sealdesk/core/verify"
)

// Contracts (SPEC §5): the routes over core/envelope, the server's platform signing identity
// (it certifies sent documents, signs 签署报告) and the in-process revocation source completed
// documents take their LTV data from.

// platformIdentity returns the server's document-signing certificate and key ("<org> 签署平台",
// an enterprise-seal profile certificate from the issuing CA), made on first use and kept in the
// CA bucket with its key sealed, renewed like the TLS certificate.
func (a *authority) platformIdentity(ctx context.Context, org string) (*x509.Certificate, crypto.Signer, error) {
	const name = "platform-sign"
	if org == "" {
		org = "SealDesk"
	}
	var cert *x509.Certificate
	var key crypto.Signer
	err := a.store.Update(ctx, func(tx sync.Tx) error {
		cert, key = nil, nil
		var st storedTLS
		err := sync.GetJSON(tx, bucketCA, name, &st)
		if err == nil {
			c, cerr := x509.ParseCertificate(st.DER)
			der, kerr := a.keys.open("ca/"+name, st.Key)
			if cerr == nil && kerr == nil && c.CheckSignatureFrom(a.issuing) == nil && a.now().Add(tlsRenewBefore).Before(c.NotAfter) {
				if k, perr := x509.ParsePKCS8PrivateKey(der); perr == nil {
					if signer, ok := k.(crypto.Signer); ok {
						cert, key = c, signer
						return nil
					}
				}
			}
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		k, err := pki.GenerateKey(pki.ECDSAP256)
		if err != nil {
			return err
		}
		c, err := pki.Issue(a.issuer(), pki.Request{Profile: pki.ProfileEnterpriseSeal, PublicKey: k.Public(),
			Subject:   pkix.Name{Country: []string{"CN"}, Organization: []string{org}, CommonName: org + " 签署平台"},
			NotBefore: a.now().Add(-time.Hour), NotAfter: a.now().AddDate(2, 0, 0)})
		if err != nil {
			return err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return err
		}
		sealed, err := a.keys.seal("ca/"+name, der)
		if err != nil {
			return err
		}
		if err := sync.PutJSON(tx, bucketCA, name, storedTLS{DER: c.Raw, Key: sealed}); err != nil {
			return err
		}
		cert, key = c, k
		return recordCert(tx, c, "", pki.ProfileEnterpriseSeal)
	})
	return cert, key, err
}

// caRevocation answers revocation questions about this CA's certificates in-process (no HTTP
// round trip to ourselves while completing a contract).
type caRevocation struct{ a *authority }

func (r caRevocation) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	if !issuer.Equal(r.a.issuing) {
		return nil, errors.New("not issued by this server's ca")
	}
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return nil, err
	}
	return r.a.ocspResponse(ctx, req)
}

func (r caRevocation) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	if !issuer.Equal(r.a.issuing) {
		return nil, errors.New("not issued by this server's ca")
	}
	return r.a.crlDER(ctx)
}

// certOwner returns the account a certificate of this CA was issued to.
func certOwner(tx sync.Tx, serial string) (string, error) {
	var rec CertRecord
	if err := sync.GetJSON(tx, bucketCerts, strings.ToLower(serial), &rec); err != nil {
		if errors.Is(err, sync.ErrNotFound) {
			return "", nil
		}
		return "", err
	}
	return rec.AccountID, nil
}

// certRevoked reports whether this CA revoked a certificate, and when.
func certRevoked(tx sync.Tx, serial string) (time.Time, bool, error) {
	var rec CertRecord
	if err := sync.GetJSON(tx, bucketCerts, strings.ToLower(serial), &rec); err != nil {
		if errors.Is(err, sync.ErrNotFound) {
			return time.Time{}, false, nil
		}
		return time.Time{}, false, err
	}
	return rec.RevokedAt, rec.Revoked, nil
}

// newEnvelopes builds the contract service of s.
func (s *Server) newEnvelopes(ctx context.Context) error {
	cert, key, err := s.ca.platformIdentity(ctx, s.opts.Organization)
	if err != nil {
		return fmt.Errorf("failed to load the platform signing identity: %w", err)
	}
	quota := s.opts.ContractQuota
	if quota.Reserve == nil && !s.opts.ContractsUnbilled {
		quota = BillingQuota() // 对公 quota for an enterprise's contract, 对私 for a person's
	}
	quota = statsQuota(quota) // 签发量月度报表 (account.go)
	permit := s.opts.ContractPermit
	if permit == nil {
		permit = func(tx sync.Tx, enterpriseID, accountID string) error {
			_, err := s.org.Require(tx, enterpriseID, accountID, org.PermSendContracts)
			return err
		}
	}
	s.env = &envelope.Service{Store: s.opts.Store, Hub: s.hub, Now: s.opts.Now, Log: s.log, Notifier: s.org.Notifier,
		BaseURL: s.opts.BaseURL,
		Platform: &envelope.Platform{Signer: key, Cert: cert, Chain: []*x509.Certificate{s.ca.issuing, s.ca.root},
			Timestamper: s.tsa, Revocation: caRevocation{s.ca}},
		Trust:       verify.NewTrustStore(s.ca.root),
		Quota:       quota,
		CertOwner:   certOwner,
		CertRevoked: certRevoked,
		SignerCheck: s.opts.ContractSigner,
		Permit:      permit,
		ViewAll: func(tx sync.Tx, enterpriseID, accountID string) error {
			_, err := s.org.Require(tx, enterpriseID, accountID, org.PermViewAllContracts)
			return err
		},
		Uploads: s.opts.Uploads,
	}
	return nil
}

// Envelopes returns the contract service.
func (s *Server) Envelopes() *envelope.Service { return s.env }

func (c *call) envActor(r *http.Request) envelope.Actor {
	d := strings.TrimSpace(r.Header.Get("X-SealDesk-Device"))
	if d == "" {
		d = r.UserAgent()
	}
	if len(d) > 200 {
		d = d[:200]
	}
	return envelope.Actor{Account: c.account, Device: d + " (" + clientAddr(r) + ")"}
}

// MaxEnvelopeBody bounds an envelope request's JSON.
const MaxEnvelopeBody = 1 << 20

// MaxRevisionBody bounds an uploaded signed revision: a 10 MB document plus its signatures.
const MaxRevisionBody = envelope.MaxFileSize + 8<<20

func (s *Server) handleBlobPut(w http.ResponseWriter, r *http.Request, c *call) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, envelope.MaxFileSize+1))
	if err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_request", "读取文件失败")
	}
	info, err := s.env.PutBlob(r.Context(), c.envActor(r), data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// handleBlobGet returns a file the caller uploaded (templates synced to another computer).
func (s *Server) handleBlobGet(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.env.GetBlob(r.Context(), c.envActor(r), r.PathValue("sha256"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

func (s *Server) handleEnvelopeSend(w http.ResponseWriter, r *http.Request, c *call) error {
	var req api.EnvelopeRequest
	if err := decodeJSON(r, MaxEnvelopeBody, &req); err != nil {
		return err
	}
	e, err := s.env.Send(r.Context(), c.envActor(r), r.Header.Get("Idempotency-Key"), req)
	if err != nil {
		return err
	}
	if e.EnterpriseID != "" && e.Status != api.EnvelopeDraft {
		s.lowQuotaNotice(r.Context(), e.EnterpriseID)
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) handleEnvelopeList(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return sync.Refuse(http.StatusBadRequest, "bad_limit", "limit 须为整数")
		}
		limit = n
	}
	var l api.EnvelopeList
	var err error
	if f := q.Get("filter"); f != "" {
		days, derr := daysParam(q.Get("days"))
		if derr != nil {
			return derr
		}
		l, err = s.env.Quick(r.Context(), c.envActor(r), f, days, q.Get("q"), q.Get("after"), limit)
	} else {
		l, err = s.env.List(r.Context(), c.envActor(r), q.Get("box"), q.Get("q"), q.Get("after"), limit)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// handleEnterpriseEnvelopes is 查看企业全部合同: a page of every contract the enterprise sent.
func (s *Server) handleEnterpriseEnvelopes(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return sync.Refuse(http.StatusBadRequest, "bad_limit", "limit 须为整数")
		}
		limit = n
	}
	l, err := s.env.ListEnterprise(r.Context(), c.envActor(r), r.PathValue("id"), q.Get("box"), q.Get("q"), q.Get("after"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// daysParam reads the days of a quick list ("" : the default).
func daysParam(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n == 0 {
		return 0, sync.Refuse(http.StatusBadRequest, "bad_days", fmt.Sprintf("天数须为 1–%d 之间的整数", api.MaxDueDays))
	}
	return n, nil
}

// handleQuickCounts answers 首页's 快捷入口 counters (即将截止签约 and 即将过期 over ?days=).
func (s *Server) handleQuickCounts(w http.ResponseWriter, r *http.Request, c *call) error {
	days, err := daysParam(r.URL.Query().Get("days"))
	if err != nil {
		return err
	}
	qc, err := s.env.QuickCounts(r.Context(), c.envActor(r), days)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, qc)
	return nil
}

func (s *Server) handleEnvelopeCounts(w http.ResponseWriter, r *http.Request, c *call) error {
	m, err := s.env.Counts(r.Context(), c.envActor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) handleEnvelopeGet(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.env.Get(r.Context(), c.envActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) handleDraftUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	var req api.EnvelopeRequest
	if err := decodeJSON(r, MaxEnvelopeBody, &req); err != nil {
		return err
	}
	e, err := s.env.UpdateDraft(r.Context(), c.envActor(r), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) handleDraftSend(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.env.SendDraft(r.Context(), c.envActor(r), r.Header.Get("Idempotency-Key"), r.PathValue("id"))
	if err != nil {
		return err
	}
	if e.EnterpriseID != "" {
		s.lowQuotaNotice(r.Context(), e.EnterpriseID)
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) handleDraftDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.env.DeleteDraft(r.Context(), c.envActor(r), r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"deleted": true})
	return nil
}

func docIndex(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n >= envelope.MaxFiles {
		return 0, sync.Refuse(http.StatusNotFound, "not_found", "文件不存在")
	}
	return n, nil
}

func (s *Server) handleEnvelopeDocument(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := docIndex(r)
	if err != nil {
		return err
	}
	b, name, err := s.env.Document(r.Context(), c.envActor(r), r.PathValue("id"), n, r.URL.Query().Get("version"))
	if err != nil {
		return err
	}
	writePDF(w, b, name)
	return nil
}

func writePDF(w http.ResponseWriter, b []byte, name string) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if name != "" {
		w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+urlPathEscape(name))
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func urlPathEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func (s *Server) handleContacts(w http.ResponseWriter, r *http.Request, c *call) error {
	cs, err := s.env.Contacts(r.Context(), c.envActor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}

var verifyPageHTML = template.Must(template.New("verify").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>SealDesk 文件验证</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:40em;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left}.h{word-break:break-all;font-family:monospace;font-size:.8em}</style>
</head><body>
<h1>文件验证</h1>
<p>主题：<b>{{.Subject}}</b></p>
<p>状态：<b>{{.StatusText}}</b></p>
<p>发起时间：{{.Sent}}{{if .Completed}}　完成时间：{{.Completed}}{{end}}</p>
<h2>签署方</h2>
<table><tr><th>签署方</th><th>状态</th><th>签署时间</th></tr>
{{range .Signers}}<tr><td>{{.Name}}{{if .Company}}（{{.Company}}）{{end}}</td><td>{{.State}}</td><td>{{.SignedAt}}</td></tr>
{{end}}</table>
<h2>文件</h2>
<table><tr><th>文件</th><th>SHA-256（最新版本）</th></tr>
{{range .Documents}}<tr><td>{{.Name}}</td><td class="h">{{.SHA256}}</td></tr>
{{end}}</table>
<p>本页只显示签署状态，不显示文件内容。请将手中文件的 SHA-256 与上表比对，或在 SealDesk 中拖入文件验签。</p>
</body></html>
`))

var envelopeStatusZH = map[string]string{api.EnvelopeDraft: "草稿", api.EnvelopeInProgress: "签署中", api.EnvelopeCompleting: "签署完成，正在归档",
	api.EnvelopeCompleted: "已完成", api.EnvelopeWithdrawn: "已撤回", api.EnvelopeDeclined: "已拒签", api.EnvelopeExpired: "已逾期"}

var recipientStateZH = map[string]string{api.RecipientWaiting: "等待中", api.RecipientToSign: "待签署", api.RecipientSigned: "已签署",
	api.RecipientDeclined: "已拒签", api.RecipientCopied: "抄送"}

func (s *Server) handleVerifyPage(w http.ResponseWriter, r *http.Request, _ *call) error {
	p, err := s.env.VerifyPage(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, http.StatusOK, p)
		return nil
	}
	type signer struct{ Name, Company, State, SignedAt string }
	data := struct {
		Subject, StatusText, Sent, Completed string
		Signers                              []signer
		Documents                            []api.VerifyDocument
	}{Subject: p.Subject, StatusText: envelopeStatusZH[p.Status], Sent: cst(p.Sent), Documents: p.Documents}
	if !p.Completed.IsZero() {
		data.Completed = cst(p.Completed)
	}
	for _, sg := range p.Signers {
		t := ""
		if !sg.SignedAt.IsZero() {
			t = cst(sg.SignedAt)
		}
		data.Signers = append(data.Signers, signer{sg.Name, sg.Company, recipientStateZH[sg.State], t})
	}
	var b bytes.Buffer
	if err := verifyPageHTML.Execute(&b, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
	return nil
}

// cst formats a time in China Standard Time.
func cst(t time.Time) string {
	return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05") + "（北京时间）"
}

func (s *Server) handleRevision(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := docIndex(r)
	if err != nil {
		return err
	}
	if err := s.secondCheck(r, c); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRevisionBody+1))
	if err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_request", "读取上传的文件失败")
	}
	if len(body) > MaxRevisionBody {
		return sync.Refuse(http.StatusRequestEntityTooLarge, "file_too_large", fmt.Sprintf("签署后的文件不能超过 %d MB", MaxRevisionBody>>20))
	}
	e, err := s.env.UploadRevision(r.Context(), c.envActor(r), r.Header.Get("Idempotency-Key"), r.PathValue("id"), n, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) handleDecline(w http.ResponseWriter, r *http.Request, c *call) error {
	var req api.ReasonRequest
	if err := decodeJSON(r, 16<<10, &req); err != nil {
		return err
	}
	if err := s.secondCheck(r, c); err != nil {
		return err
	}
	e, err := s.env.Decline(r.Context(), c.envActor(r), r.Header.Get("Idempotency-Key"), r.PathValue("id"), req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) handleWithdraw(w http.ResponseWriter, r *http.Request, c *call) error {
	var req api.ReasonRequest
	if err := decodeJSON(r, 16<<10, &req); err != nil {
		return err
	}
	if err := s.secondCheck(r, c); err != nil {
		return err
	}
	e, err := s.env.Withdraw(r.Context(), c.envActor(r), r.Header.Get("Idempotency-Key"), r.PathValue("id"), req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) handleRemind(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.env.Remind(r.Context(), c.envActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.env.Report(r.Context(), c.envActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writePDF(w, b, "签署报告.pdf")
	return nil
}

func (s *Server) handleTemplateSave(w http.ResponseWriter, r *http.Request, c *call) error {
	var t api.Template
	if err := decodeJSON(r, MaxEnvelopeBody, &t); err != nil {
		return err
	}
	if t.Enterprise != "" {
		// A template kept for an enterprise (一键转交 moves it, the open API offers it to that
		// enterprise's keys) is only the enterprise's members' to make.
		if err := s.opts.Store.View(r.Context(), func(tx sync.Tx) error {
			_, err := s.org.Require(tx, t.Enterprise, c.account.ID, "")
			return err
		}); err != nil {
			return err
		}
	}
	t, err := s.env.SaveTemplate(r.Context(), c.envActor(r), t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) handleTemplates(w http.ResponseWriter, r *http.Request, c *call) error {
	ts, err := s.env.Templates(r.Context(), c.envActor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ts)
	return nil
}

func (s *Server) handleTemplateDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.env.DeleteTemplate(r.Context(), c.envActor(r), r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"deleted": true})
	return nil
}

// contractJanitor indexes older contracts by date (once), expires overdue envelopes and finishes
// interrupted completions, at start and then every interval.
func (s *Server) contractJanitor(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	// contracts sent before 首页's date index existed join it (once; idempotent)
	if n, err := s.env.BackfillDue(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("contract date index", "err", err)
	} else if n > 0 {
		s.log.Info("contract date index", "backfilled", n)
	}
	for {
		if exp, done, err := s.env.Janitor(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("contract janitor", "err", err)
		} else if exp+done > 0 {
			s.log.Info("contract janitor", "expired", exp, "completed", done)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
