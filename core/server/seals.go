package server

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/entseal"
	"sealdesk/core/gate"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/sealkey"
	"sealdesk/core/sync"
)

// Default limits of remote seal signing, per process (like the TSA's): a person signs a batch of
// a few hundred documents at once and then a few a second; one seal is used by many people.
const (
	DefaultSealSignRate        = 20
	DefaultSealSignBurst       = 300
	DefaultSealSignRatePerSeal = 100
	DefaultSealSignBurstSeal   = 1000
)

// keyringSealer lets core/sealkey seal keys under the master key (the CA keys' keyring).
type keyringSealer struct{ k *keyring }

func (s keyringSealer) Seal(purpose string, plain []byte) ([]byte, error) {
	return s.k.seal(purpose, plain)
}
func (s keyringSealer) Open(purpose string, sealed []byte) ([]byte, error) {
	return s.k.open(purpose, sealed)
}

// sealCA issues seal certificates from the issuing CA and records them like person certificates
// (so OCSP answers good for them and they can be revoked).
type sealCA struct{ a *authority }

func (c sealCA) Issue(tx sync.Tx, req pki.Request) (*x509.Certificate, error) {
	cert, err := pki.Issue(c.a.issuer(), req)
	if err != nil {
		return nil, err
	}
	return cert, recordCert(tx, cert, "", pki.ProfileEnterpriseSeal)
}

func (c sealCA) Chain() []*x509.Certificate { return []*x509.Certificate{c.a.issuing, c.a.root} }

// orgDirectory gives the seals the enterprise domain's members, permissions and departments.
type orgDirectory struct{ s *org.Service }

func (d orgDirectory) Require(tx sync.Tx, eid, aid string, p org.Permission) (entseal.Member, error) {
	m, err := d.s.Require(tx, eid, aid, p)
	if err != nil {
		return entseal.Member{}, err
	}
	out := entseal.Member{AccountID: m.AccountID, Name: m.Name}
	// The member's department and every one above it (a bounded walk: a cycle cannot loop).
	for id, n := m.Department, 0; id != "" && n < 64; n++ {
		out.Departments = append(out.Departments, id)
		var dep org.Department
		if err := sync.GetJSON(tx, org.BucketDepartments, eid+"/"+id, &dep); err != nil {
			break
		}
		id = dep.Parent
	}
	return out, nil
}

func (d orgDirectory) Enterprise(tx sync.Tx, eid string) (entseal.Enterprise, error) {
	e, err := org.GetEnterprise(tx, eid)
	if err != nil {
		return entseal.Enterprise{}, err
	}
	return entseal.Enterprise{ID: e.ID, Name: e.Name, CreditCode: e.CreditCode}, nil
}

func (d orgDirectory) Department(tx sync.Tx, eid, did string) (string, error) {
	var dep org.Department
	if did == "" || strings.Contains(did, "/") {
		return "", sync.Refuse(http.StatusNotFound, "department_not_found", "部门不存在")
	}
	err := sync.GetJSON(tx, org.BucketDepartments, eid+"/"+did, &dep)
	if errors.Is(err, sync.ErrNotFound) {
		return "", sync.Refuse(http.StatusNotFound, "department_not_found", "部门不存在")
	}
	return dep.Name, err
}

func (d orgDirectory) Scope(eid string) string { return org.EnterpriseScope(eid) }

// setupSeals builds the enterprise seal service.
func (s *Server) setupSeals() error {
	dir := s.opts.SealDirectory
	if dir == nil {
		dir = orgDirectory{s.org}
	}
	vault := s.opts.SealVault
	if vault == nil {
		vault = sealkey.NewSoftware(keyringSealer{s.ca.keys})
	}
	secret, err := s.ca.keys.subkey("seal-code-hmac")
	if err != nil {
		return err
	}
	s.seals = &entseal.Service{Store: s.opts.Store, Directory: dir, CA: sealCA{s.ca}, Vault: vault,
		Notifier: s.org.Notifier, Hub: s.hub, Now: s.opts.Now, Secret: secret, Limits: s.opts.SealLimits,
		Decodes: s.org.DecodeGate(),
		// Sealing prepares the document on the server: a few at once, a short queue.
		Stamps: gate.New(&gate.Options{Slots: max(2, runtime.GOMAXPROCS(0)), Queue: 32, Wait: 5 * time.Second})}
	if s.tsa != nil {
		s.seals.Timestamper = s.tsa
	}
	if s.env != nil && s.env.SignerCheck == nil {
		// A company recipient of a contract signs with a seal granted to them: the use this
		// server logged (this person, this seal, this contract) makes the seal's signature theirs.
		s.env.SignerCheck = s.sealContractSigner
	}
	if s.env != nil && s.env.SealOf == nil {
		s.env.SealOf = sealOfContract
	}
	s.registerHandover("seals", "印章授权", s.seals.Handover)
	rate, burst := s.opts.SealSignRate, s.opts.SealSignBurst
	if rate == 0 {
		rate, burst = DefaultSealSignRate, DefaultSealSignBurst
	}
	if rate > 0 {
		s.sealUserRate = newRateLimit(rate, max(burst, 1))
		s.sealSealRate = newRateLimit(max(rate, DefaultSealSignRatePerSeal), max(burst, DefaultSealSignBurstSeal))
	}
	return nil
}

// sealContractSigner accepts, in a contract, the signature of a company recipient made with a
// seal of that company which the server signed for this account on this contract.
func (s *Server) sealContractSigner(tx sync.Tx, env api.Envelope, recipient int, accountID, serial string) (bool, error) {
	if recipient < 0 || recipient >= len(env.Recipients) || env.Recipients[recipient].Kind != api.RecipientCompany {
		return false, nil
	}
	seal, ok, err := entseal.UsedOnContract(tx, env.ID, accountID, serial)
	if err != nil || !ok {
		return false, err
	}
	e, err := org.GetEnterprise(tx, seal.EnterpriseID)
	if err != nil {
		return false, err
	}
	company := strings.TrimSpace(env.Recipients[recipient].Company)
	return company == "" || company == e.Name, nil
}

// sealOfContract names the seal a company recipient's signature on a contract was made with.
func sealOfContract(tx sync.Tx, env api.Envelope, recipient int, accountID, serial string) (string, error) {
	if recipient < 0 || recipient >= len(env.Recipients) || env.Recipients[recipient].Kind != api.RecipientCompany {
		return "", nil
	}
	seal, ok, err := entseal.UsedOnContract(tx, env.ID, accountID, serial)
	if err != nil || !ok {
		return "", err
	}
	return seal.Name, nil
}

// sealRoutes are the enterprise seal routes (issue 16: 企业印章).
func (s *Server) sealRoutes() []route {
	return []route{
		{"GET", "/api/v1/enterprises/{id}/seals", user, s.handleSealList},
		{"POST", "/api/v1/enterprises/{id}/seals", user, s.handleSealCreate},
		{"GET", "/api/v1/enterprises/{id}/seals/{seal}", user, s.handleSealDetail},
		{"GET", "/api/v1/enterprises/{id}/seals/{seal}/image", user, s.handleSealImage},
		{"POST", "/api/v1/enterprises/{id}/seals/{seal}/discard", user, s.handleSealDiscard},
		{"GET", "/api/v1/enterprises/{id}/seals/{seal}/grants", user, s.handleSealGrants},
		{"POST", "/api/v1/enterprises/{id}/seals/{seal}/grants", user, s.handleSealGrant},
		{"PUT", "/api/v1/enterprises/{id}/seal-grants/{grant}", user, s.handleSealGrantChange},
		{"POST", "/api/v1/enterprises/{id}/seal-grants/{grant}/revoke", user, s.handleSealGrantRevoke},
		{"POST", "/api/v1/enterprises/{id}/seals/{seal}/applications", user, s.handleSealApply},
		{"GET", "/api/v1/enterprises/{id}/seal-applications", user, s.handleSealApplications},
		{"POST", "/api/v1/enterprises/{id}/seal-applications/{app}/approve", user, s.handleSealApprove},
		{"POST", "/api/v1/enterprises/{id}/seal-applications/{app}/reject", user, s.handleSealReject},
		{"GET", "/api/v1/enterprises/{id}/seal-uses", user, s.handleSealUses},
		{"POST", "/api/v1/enterprises/{id}/seals/{seal}/codes", user, s.handleSealCode},
		{"POST", "/api/v1/enterprises/{id}/seals/{seal}/sign", user, s.handleSealSign},
	}
}

var errSealsUnavailable = sync.Refuse(http.StatusServiceUnavailable, "seals_unavailable", "此服务器未启用企业印章")

func (s *Server) sealsReady() error {
	if s.seals == nil || s.seals.Directory == nil {
		return errSealsUnavailable
	}
	return nil
}

func (s *Server) handleSealList(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	out, err := s.seals.List(r.Context(), r.PathValue("id"), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleSealCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	var req api.SealCreateRequest
	if err := decodeJSON(r, api.MaxSealImage*4/3+16<<10, &req); err != nil {
		return err
	}
	release, err := s.pkiGate.Enter(r.Context())
	if err != nil {
		return err
	}
	defer release()
	out, err := s.seals.Create(r.Context(), r.PathValue("id"), c.account.ID, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) handleSealDetail(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	out, err := s.seals.Detail(r.Context(), r.PathValue("id"), r.PathValue("seal"), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleSealImage(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	b, err := s.seals.Image(r.Context(), r.PathValue("id"), r.PathValue("seal"), c.account.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(b)
	return nil
}

func (s *Server) handleSealDiscard(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	out, err := s.seals.Discard(r.Context(), r.PathValue("id"), r.PathValue("seal"), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleSealGrants(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	out, err := s.seals.Grants(r.Context(), r.PathValue("id"), r.PathValue("seal"), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleSealGrant(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	var req api.SealGrantRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	out, err := s.seals.Grant(r.Context(), r.PathValue("id"), r.PathValue("seal"), c.account.ID, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) handleSealGrantChange(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	var req api.SealGrantRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	out, err := s.seals.ChangeGrant(r.Context(), r.PathValue("id"), r.PathValue("grant"), c.account.ID, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleSealGrantRevoke(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	out, err := s.seals.RevokeGrant(r.Context(), r.PathValue("id"), r.PathValue("grant"), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleSealApply(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	var req api.SealApplyRequest
	if err := decodeJSON(r, 8<<10, &req); err != nil {
		return err
	}
	out, err := s.seals.Apply(r.Context(), r.PathValue("id"), r.PathValue("seal"), c.account.ID, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) handleSealApplications(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	out, err := s.seals.Applications(r.Context(), r.PathValue("id"), c.account.ID, r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) decideSeal(w http.ResponseWriter, r *http.Request, c *call, approve bool) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	var req api.SealDecisionRequest
	if err := decodeJSON(r, 8<<10, &req); err != nil {
		return err
	}
	out, err := s.seals.Decide(r.Context(), r.PathValue("id"), r.PathValue("app"), c.account.ID, approve, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleSealApprove(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideSeal(w, r, c, true)
}

func (s *Server) handleSealReject(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.decideSeal(w, r, c, false)
}

// handleSealUses answers the usage log as JSON, or as CSV with format=csv. Query: seal, member,
// from, to (RFC 3339), after (the previous page's "after"), limit.
func (s *Server) handleSealUses(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	q := r.URL.Query()
	f := entseal.UseFilter{SealID: q.Get("seal"), MemberID: q.Get("member"), After: q.Get("after")}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return sync.Refuse(http.StatusBadRequest, "bad_time", "时间须为 RFC 3339 格式，例如 2026-12-04T08:00:00+08:00")
			}
			*dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return sync.Refuse(http.StatusBadRequest, "bad_limit", "limit 须为正整数")
		}
		f.Limit = n
	}
	if q.Get("format") == "csv" {
		var b bytes.Buffer
		if err := s.seals.ExportCSV(r.Context(), &b, r.PathValue("id"), c.account.ID, f); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="seal-uses.csv"`)
		w.Write(b.Bytes())
		return nil
	}
	out, err := s.seals.Uses(r.Context(), r.PathValue("id"), c.account.ID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleSealCode(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	var req api.SealCodeRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, 1<<10, &req); err != nil {
			return err
		}
	}
	out, err := s.seals.SendCodeFor(r.Context(), r.PathValue("id"), r.PathValue("seal"), c.account.ID, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func limitSeal(l *rateLimit, key string, w http.ResponseWriter) error {
	if l == nil {
		return nil
	}
	ok, wait := l.take(key)
	if ok {
		return nil
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	return sync.Refuse(http.StatusTooManyRequests, "rate_limited", "用印过于频繁，请稍后再试")
}

func (s *Server) handleSealSign(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.sealsReady(); err != nil {
		return err
	}
	var req api.SealSignRequest
	// A local file (without a contract) travels in the body, base64: room for it and the marks'
	// images.
	if err := decodeJSON(r, maxSealSignBody, &req); err != nil {
		return err
	}
	if len(req.PDF) > api.MaxSealDocument {
		return sync.Refuse(http.StatusRequestEntityTooLarge, "document_too_large", fmt.Sprintf("要盖章的文件不能超过 %d MB", api.MaxSealDocument>>20))
	}
	if err := limitSeal(s.sealUserRate, c.account.ID, w); err != nil {
		return err
	}
	if err := limitSeal(s.sealSealRate, r.PathValue("seal"), w); err != nil {
		return err
	}
	var (
		out      api.SealSignResponse
		replayed bool
		err      error
	)
	if len(req.Marks) == 0 && len(req.Digest) > 0 {
		// A client before the bound protocol: entseal refuses the digest and logs the attempt.
		out, replayed, err = s.seals.Sign(r.Context(), entseal.SignInput{EnterpriseID: r.PathValue("id"), SealID: r.PathValue("seal"),
			Actor: c.account.ID, IdempotencyKey: r.Header.Get("Idempotency-Key"), Address: clientAddr(r), Request: req})
	} else {
		in := entseal.StampInput{EnterpriseID: r.PathValue("id"), SealID: r.PathValue("seal"), Actor: c.account.ID,
			IdempotencyKey: r.Header.Get("Idempotency-Key"), Address: clientAddr(r), Request: req}
		if req.ContractID != "" && s.env != nil {
			// The contract's current document as this party may read it: what the seal goes on.
			body, _, derr := s.env.Document(r.Context(), c.envActor(r), req.ContractID, req.Document, "current")
			var ref *sync.Refusal
			if derr != nil && !errors.As(derr, &ref) {
				return derr
			}
			if derr == nil {
				in.Current = body
			}
		}
		out, replayed, err = s.seals.Stamp(r.Context(), in)
	}
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotency-Replayed", "true")
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// maxSealSignBody bounds a seal request: the file (base64) and the marks' images.
const maxSealSignBody = (api.MaxSealDocument+8*api.MaxSealMarkImage)*4/3 + 64<<10

// Seals returns the enterprise seal service.
func (s *Server) Seals() *entseal.Service { return s.seals }
