package entseal

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/api"
	"sealdesk/core/gate"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/sealkey"
	"sealdesk/core/sync"
	"sealdesk/core/tsa"
)

// Buckets used by this package.
const (
	BucketSeals       = "seals"            // "<enterprise>/<seal>" → sealRecord
	BucketSealImages  = "seal_images"      // "<seal>" → PNG
	BucketGrants      = "seal_grants"      // "<seal>/<grant>" → api.SealGrant
	BucketGrantIndex  = "seal_grant_index" // "<enterprise>/<grant>" → seal id
	BucketApps        = "seal_applications"
	BucketUses        = "seal_uses"      // "<enterprise>/<time>-<id>" → api.SealUse
	BucketCodes       = "seal_codes"     // "<code id>" → storedCode
	BucketSignAnswers = "seal_sign_idem" // "<account>\x00<idempotency key>" → storedAnswer
	BucketCodeLimits  = "seal_code_limits"
	// BucketUsesByContract indexes uses on contracts: "<contract>/<account>/<serial>" → use id.
	BucketUsesByContract = "seal_uses_by_contract"
	// BucketSealSerials finds a seal by its certificate's serial: "<serial>" → "<enterprise>/<seal>".
	BucketSealSerials = "seal_serials"
)

// Limits and periods.
const (
	SealCertValidity = 5 * 365 * 24 * time.Hour
	MaxApplyPeriod   = 366 * 24 * time.Hour
	MaxReason        = 500
	MaxNameRunes     = 40
	MaxUsePage       = 1000
	MaxExport        = 100_000
)

// OIDOrganizationIdentifier is X.520 organizationIdentifier (2.5.4.97).
var OIDOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}

// Member is an enabled member of an enterprise as the enterprise domain reports it.
type Member struct {
	AccountID string
	Name      string
	// Departments are the member's departments and every department above them: a grant to any
	// of them covers the member.
	Departments []string
}

// Enterprise names an enterprise for the seal certificate.
type Enterprise struct {
	ID, Name, CreditCode string
}

// Directory is what this package needs from the enterprise domain (core/org).
type Directory interface {
	// Require returns the member if accountID is an enabled member of the enterprise holding p
	// ("" means any enabled member), else a *sync.Refusal (403; 404 for an unknown enterprise).
	Require(tx sync.Tx, enterpriseID, accountID string, p org.Permission) (Member, error)
	// Enterprise returns the enterprise's name and credit code.
	Enterprise(tx sync.Tx, enterpriseID string) (Enterprise, error)
	// Department returns a department's name (a *sync.Refusal 404 if there is none).
	Department(tx sync.Tx, enterpriseID, departmentID string) (string, error)
	// Scope is the enterprise's sync scope.
	Scope(enterpriseID string) string
}

// CA issues seal certificates (the server's issuing CA).
type CA interface {
	Issue(tx sync.Tx, req pki.Request) (*x509.Certificate, error)
	Chain() []*x509.Certificate // issuing CA, root
}

// Limits of one-time signing codes. Zero fields take the defaults.
type Limits struct {
	CodeTTL       time.Duration // default 5 min
	CodeAttempts  int           // wrong guesses before a code is burnt (default 5)
	CodesPerHour  int           // codes per member per hour (default 120; negative: no limit)
	CodeLength    int           // digits (default 6)
	notifyTimeout time.Duration
}

// Service is the enterprise seal domain over a store.
type Service struct {
	Store     sync.Store
	Directory Directory
	CA        CA
	Vault     sealkey.Vault
	Notifier  notify.Notifier // codes and decisions; nil: codes cannot be sent
	Hub       *sync.Hub       // may be nil
	Now       func() time.Time
	// Secret keys the hashes of codes (derive it from the master key).
	Secret []byte
	Limits Limits
	// UseGate, when set, is asked before a seal is used (after the grant, before the code is
	// spent): 审批管理 may make the use of a seal on a contract wait for an approval. A
	// *sync.Refusal refuses the use; the code stays unspent.
	UseGate func(tx sync.Tx, enterpriseID, sealID, accountID, contractID string) error
	// Timestamper, when set, timestamps the signatures Stamp makes (PAdES B-T); nil: B-B.
	Timestamper tsa.Timestamper
	// TempDir holds Stamp's working files ("": the system's).
	TempDir string
	// Stamps, when set, bounds the seal requests whose documents are prepared at once (each
	// holds its document in memory and rasterizes the seal's appearance); over it Stamp
	// answers gate.ErrBusy.
	Stamps *gate.Gate
	// Decodes, when set, bounds the seal images decoded at once (the server passes core/org's
	// decode gate); over it Create answers gate.ErrBusy.
	Decodes *gate.Gate
}

type sealRecord struct {
	api.Seal
	KeyHandle []byte `json:"key_handle"`
	CertDER   []byte `json:"cert_der"`
}

type storedCode struct {
	AccountID string    `json:"account_id"`
	SealID    string    `json:"seal_id"`
	MAC       string    `json:"mac"`
	Expires   time.Time `json:"expires"`
	Attempts  int       `json:"attempts"`
	// Contract and Left: a code asked for a contract signs only that contract's digests, Left
	// more times (0 on codes made before: one).
	Contract string `json:"contract,omitempty"`
	Left     int    `json:"left,omitempty"`
}

type storedAnswer struct {
	RequestHash string               `json:"request_hash"`
	Response    api.SealSignResponse `json:"response"`
	// Pending marks a Stamp request that started at Started and has not answered yet: a retry
	// (after a lost answer, a killed server) prepares the same signatures with the same clock, so
	// the marks already signed get their stored signatures back and nothing is logged twice.
	Pending bool      `json:"pending,omitempty"`
	Started time.Time `json:"started,omitzero"`
	// ProbeLen is the size of the timestamp token core/sign's size probe got on the first
	// attempt: it sizes the signature's /Contents, so a retry reserves the same room.
	ProbeLen int `json:"probe_len,omitempty"`
}

type codeCounter struct {
	WindowStart time.Time `json:"window_start"`
	Count       int       `json:"count"`
}

func (s *Service) now() time.Time { return s.Now().UTC() }

func (s *Service) limits() Limits {
	l := s.Limits
	if l.CodeTTL <= 0 {
		l.CodeTTL = 5 * time.Minute
	}
	if l.CodeAttempts <= 0 {
		l.CodeAttempts = 5
	}
	if l.CodesPerHour == 0 {
		l.CodesPerHour = 120
	}
	if l.CodeLength <= 0 {
		l.CodeLength = 6
	}
	return l
}

func refuse(status int, code, msg string) *sync.Refusal { return sync.Refuse(status, code, msg) }

var (
	errSealNotFound = refuse(http.StatusNotFound, "seal_not_found", "印章不存在")
	errDiscarded    = refuse(http.StatusConflict, "seal_discarded", "该印章已废弃，不能再使用")
	errNoGrant      = refuse(http.StatusForbidden, "seal_not_granted", "您没有该印章当前有效的用印授权，请先申请")
	errCode         = refuse(http.StatusBadRequest, "code_invalid", "验证码错误或已失效，请重新获取")
	errGrant404     = refuse(http.StatusNotFound, "grant_not_found", "授权不存在")
	errApp404       = refuse(http.StatusNotFound, "application_not_found", "用印申请不存在")
)

func newID(prefix string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

func (s *Service) notifyScopes(scopes ...string) {
	if s.Hub != nil && len(scopes) > 0 {
		s.Hub.Notify(scopes...)
	}
}

func event(tx sync.Tx, scope, typ, actor string, payload any, now time.Time) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = tx.Append(sync.Event{Scope: scope, Type: typ, Time: now, Actor: actor, Payload: b})
	return err
}

func (s *Service) getSeal(tx sync.Tx, eid, sid string) (sealRecord, error) {
	var r sealRecord
	if eid == "" || sid == "" || strings.Contains(eid, "/") || strings.Contains(sid, "/") {
		return r, errSealNotFound
	}
	err := sync.GetJSON(tx, BucketSeals, eid+"/"+sid, &r)
	if errors.Is(err, sync.ErrNotFound) {
		return r, errSealNotFound
	}
	return r, err
}

// GetSeal reads a seal of an enterprise for other domains of the server (404 *sync.Refusal when
// there is none).
func GetSeal(tx sync.Tx, eid, sid string) (api.Seal, error) {
	r, err := (*Service)(nil).getSeal(tx, eid, sid)
	return r.Seal, err
}

// --- seals --------------------------------------------------------------------------------------

func checkText(s string, maxRunes int, what string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > maxRunes || !utf8.ValidString(s) {
		return "", refuse(http.StatusBadRequest, "bad_"+what, fmt.Sprintf("%s须为 1–%d 个字符", map[string]string{"name": "印章名称", "reason": "申请理由", "comment": "审批意见"}[what], maxRunes))
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x200b && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return "", refuse(http.StatusBadRequest, "bad_"+what, "不能包含控制字符或不可见字符")
		}
	}
	return s, nil
}

// Create makes a seal: its key in the vault, its certificate from the CA, its record, and an
// event in the enterprise's scope. The key is generated before the transaction; if the
// transaction fails, it is destroyed.
func (s *Service) Create(ctx context.Context, eid, actor string, req api.SealCreateRequest) (api.Seal, error) {
	// Permission first: strangers learn nothing and cannot make keys.
	if err := s.Store.View(ctx, func(tx sync.Tx) error {
		_, err := s.Directory.Require(tx, eid, actor, org.PermManageSeals)
		return err
	}); err != nil {
		return api.Seal{}, err
	}
	name, err := checkText(req.Name, MaxNameRunes, "name")
	if err != nil {
		return api.Seal{}, err
	}
	if !slices.Contains(api.SealKinds, req.Kind) {
		return api.Seal{}, refuse(http.StatusBadRequest, "bad_kind", "印章类型须为："+strings.Join(api.SealKinds, "、"))
	}
	if !(req.WidthMM >= 10 && req.WidthMM <= 100 && req.HeightMM >= 10 && req.HeightMM <= 100) {
		return api.Seal{}, refuse(http.StatusBadRequest, "bad_size", "印章尺寸须在 10–100 毫米之间")
	}
	if len(req.Image) == 0 || len(req.Image) > api.MaxSealImage {
		return api.Seal{}, refuse(http.StatusBadRequest, "bad_image", fmt.Sprintf("印章图片须为 PNG，不超过 %d MB", api.MaxSealImage>>20))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(req.Image))
	if err != nil || cfg.Width < 8 || cfg.Height < 8 || cfg.Width > 8000 || cfg.Height > 8000 {
		return api.Seal{}, refuse(http.StatusBadRequest, "bad_image", "印章图片须为 PNG（8–8000 像素见方）")
	}
	if err := org.CheckDecodedSize(cfg, req.Image); err != nil {
		return api.Seal{}, err
	}
	if s.Decodes != nil {
		release, err := s.Decodes.Enter(ctx)
		if err != nil {
			return api.Seal{}, fmt.Errorf("seal image: %w", err)
		}
		_, err = png.Decode(bytes.NewReader(req.Image))
		release()
		if err != nil {
			return api.Seal{}, refuse(http.StatusBadRequest, "bad_image", "印章图片无法解码，请重新导出 PNG")
		}
	} else if _, err := png.Decode(bytes.NewReader(req.Image)); err != nil {
		return api.Seal{}, refuse(http.StatusBadRequest, "bad_image", "印章图片无法解码，请重新导出 PNG")
	}
	sid := newID("seal_")
	handle, pub, err := s.Vault.Generate(ctx, sid)
	if err != nil {
		return api.Seal{}, fmt.Errorf("failed to generate the seal key: %w", err)
	}
	sum := sha256.Sum256(req.Image)
	var out api.Seal
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, org.PermManageSeals); err != nil {
			return err
		}
		ent, err := s.Directory.Enterprise(tx, eid)
		if err != nil {
			return err
		}
		now := s.now()
		cert, err := s.CA.Issue(tx, pki.Request{Profile: pki.ProfileEnterpriseSeal, PublicKey: pub, Subject: Subject(ent, name),
			NotBefore: now.Add(-5 * time.Minute), NotAfter: now.Add(SealCertValidity)})
		if err != nil {
			return fmt.Errorf("failed to issue the seal certificate: %w", err)
		}
		rec := sealRecord{Seal: api.Seal{ID: sid, EnterpriseID: eid, Name: name, Kind: req.Kind, WidthMM: req.WidthMM, HeightMM: req.HeightMM,
			ImageSHA256: hex.EncodeToString(sum[:]), Status: api.SealActive, Created: now, CreatedBy: actor,
			Serial: strings.ToLower(cert.SerialNumber.Text(16)), KeyStore: s.Vault.Backend()}, KeyHandle: handle, CertDER: cert.Raw}
		if err := sync.InsertJSON(tx, BucketSeals, eid+"/"+sid, rec); err != nil {
			return err
		}
		if err := tx.Put(BucketSealImages, sid, req.Image); err != nil {
			return err
		}
		if err := tx.Put(BucketSealSerials, rec.Serial, []byte(eid+"/"+sid)); err != nil {
			return err
		}
		if err := event(tx, s.Directory.Scope(eid), "seal.created", actor, rec.Seal, now); err != nil {
			return err
		}
		out = rec.Seal
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: actor, Action: "seal.create", Target: eid + "/" + sid, Detail: name})
	})
	if err != nil {
		if derr := s.Vault.Destroy(sid, handle); derr != nil {
			err = errors.Join(err, fmt.Errorf("failed to destroy the unused seal key: %w", derr))
		}
		return api.Seal{}, err
	}
	s.notifyScopes(s.Directory.Scope(eid))
	return out, nil
}

// Subject is the seal certificate's subject (see the package doc).
func Subject(e Enterprise, sealName string) pkix.Name {
	return pkix.Name{Country: []string{"CN"}, Organization: []string{e.Name}, OrganizationalUnit: []string{sealName}, CommonName: e.Name,
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: OIDOrganizationIdentifier, Value: "NTRCN-" + e.CreditCode}}}
}

// CreditCode returns the unified social credit code in a seal certificate's subject ("" if none).
func CreditCode(c *x509.Certificate) string {
	for _, n := range c.Subject.Names {
		if n.Type.Equal(OIDOrganizationIdentifier) {
			if v, ok := n.Value.(string); ok {
				return strings.TrimPrefix(v, "NTRCN-")
			}
		}
	}
	return ""
}

// grantState fills the computed fields of g at now.
func grantState(g api.SealGrant, now time.Time) api.SealGrant {
	g.ValidNow = !g.Revoked && !now.Before(g.NotBefore) && (g.NotAfter.IsZero() || now.Before(g.NotAfter))
	g.Ended = g.Revoked || (!g.NotAfter.IsZero() && !now.Before(g.NotAfter))
	return g
}

// usableGrant finds a grant of seal valid now for m.
func usableGrant(tx sync.Tx, sid string, m Member, now time.Time) (api.SealGrant, bool, error) {
	var found api.SealGrant
	ok := false
	err := tx.Scan(BucketGrants, sid+"/", "", 0, func(_ string, v []byte) error {
		var g api.SealGrant
		if err := json.Unmarshal(v, &g); err != nil {
			return err
		}
		if (g.MemberID != "" && g.MemberID == m.AccountID) || (g.DepartmentID != "" && slices.Contains(m.Departments, g.DepartmentID)) {
			if g = grantState(g, now); g.ValidNow {
				// Prefer the grant that lasts longest (without end first).
				if !ok || g.NotAfter.IsZero() || (!found.NotAfter.IsZero() && g.NotAfter.After(found.NotAfter)) {
					found, ok = g, true
				}
			}
		}
		return nil
	})
	return found, ok, err
}

// List returns the enterprise's seals as the caller sees them.
func (s *Service) List(ctx context.Context, eid, actor string) (api.SealList, error) {
	out := api.SealList{Seals: []api.SealView{}}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out.Seals = out.Seals[:0]
		m, err := s.Directory.Require(tx, eid, actor, "")
		if err != nil {
			return err
		}
		for p, dst := range map[org.Permission]*bool{org.PermManageSeals: &out.CanManage, org.PermGrantSeals: &out.CanGrant, org.PermApproveSealUse: &out.CanApprove} {
			_, err := s.Directory.Require(tx, eid, actor, p)
			*dst = err == nil
		}
		now := s.now()
		var recs []sealRecord
		if err := tx.Scan(BucketSeals, eid+"/", "", 0, func(_ string, v []byte) error {
			var r sealRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			recs = append(recs, r)
			return nil
		}); err != nil {
			return err
		}
		for _, r := range recs {
			v := api.SealView{Seal: r.Seal}
			if r.Status == api.SealActive {
				g, ok, err := usableGrant(tx, r.ID, m, now)
				if err != nil {
					return err
				}
				v.Usable, v.UsableUntil = ok, g.NotAfter
			}
			out.Seals = append(out.Seals, v)
		}
		return nil
	})
	slices.SortStableFunc(out.Seals, func(a, b api.SealView) int { return a.Created.Compare(b.Created) })
	return out, err
}

// Detail returns a seal with its certificate chain (any enabled member).
func (s *Service) Detail(ctx context.Context, eid, sid, actor string) (api.SealDetail, error) {
	var out api.SealDetail
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, ""); err != nil {
			return err
		}
		r, err := s.getSeal(tx, eid, sid)
		if err != nil {
			return err
		}
		cert, err := x509.ParseCertificate(r.CertDER)
		if err != nil {
			return err
		}
		out = api.SealDetail{Seal: r.Seal, Certificate: string(pki.EncodeCertsPEM(cert)), Chain: string(pki.EncodeCertsPEM(s.CA.Chain()...))}
		return nil
	})
	return out, err
}

// Image returns a seal's PNG (any enabled member).
func (s *Service) Image(ctx context.Context, eid, sid, actor string) ([]byte, error) {
	var out []byte
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, ""); err != nil {
			return err
		}
		if _, err := s.getSeal(tx, eid, sid); err != nil {
			return err
		}
		b, err := tx.Get(BucketSealImages, sid)
		out = bytes.Clone(b)
		return err
	})
	return out, err
}

// Discard makes a seal unusable for good (seals.manage); its grants and log stay.
func (s *Service) Discard(ctx context.Context, eid, sid, actor string) (api.Seal, error) {
	var out api.Seal
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, org.PermManageSeals); err != nil {
			return err
		}
		r, err := s.getSeal(tx, eid, sid)
		if err != nil {
			return err
		}
		if r.Status == api.SealDiscarded {
			out = r.Seal
			return nil
		}
		now := s.now()
		r.Status, r.DiscardedAt, r.DiscardedBy = api.SealDiscarded, now, actor
		if err := sync.PutJSON(tx, BucketSeals, eid+"/"+sid, r); err != nil {
			return err
		}
		out = r.Seal
		if err := event(tx, s.Directory.Scope(eid), "seal.discarded", actor, r.Seal, now); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: actor, Action: "seal.discard", Target: eid + "/" + sid})
	})
	if err == nil {
		s.notifyScopes(s.Directory.Scope(eid))
	}
	return out, err
}

// --- grants -------------------------------------------------------------------------------------

func checkPeriod(nb, na time.Time, now time.Time) (time.Time, time.Time, error) {
	if nb.IsZero() {
		nb = now
	}
	nb, na = nb.UTC(), na.UTC()
	if !na.IsZero() && !na.After(nb) {
		return nb, na, refuse(http.StatusBadRequest, "bad_period", "授权结束时间须晚于开始时间")
	}
	if !na.IsZero() && !na.After(now) {
		return nb, na, refuse(http.StatusBadRequest, "bad_period", "授权结束时间须晚于当前时间")
	}
	return nb, na, nil
}

// Grant lets a member or a department use a seal (seals.grant).
func (s *Service) Grant(ctx context.Context, eid, sid, actor string, req api.SealGrantRequest) (api.SealGrant, error) {
	var out api.SealGrant
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, org.PermGrantSeals); err != nil {
			return err
		}
		if (req.MemberID == "") == (req.DepartmentID == "") {
			return refuse(http.StatusBadRequest, "bad_grantee", "请选择一名成员或一个部门（只选其一）")
		}
		r, err := s.getSeal(tx, eid, sid)
		if err != nil {
			return err
		}
		if r.Status != api.SealActive {
			return errDiscarded
		}
		now := s.now()
		nb, na, err := checkPeriod(req.NotBefore, req.NotAfter, now)
		if err != nil {
			return err
		}
		g := api.SealGrant{ID: newID("grant_"), SealID: sid, EnterpriseID: eid, NotBefore: nb, NotAfter: na, Created: now, CreatedBy: actor}
		if req.MemberID != "" {
			m, err := s.Directory.Require(tx, eid, req.MemberID, "")
			if err != nil {
				return refuse(http.StatusBadRequest, "bad_grantee", "被授权人不是本企业的在职成员")
			}
			g.MemberID, g.GranteeName = m.AccountID, m.Name
		} else {
			name, err := s.Directory.Department(tx, eid, req.DepartmentID)
			if err != nil {
				return refuse(http.StatusBadRequest, "bad_grantee", "部门不存在")
			}
			g.DepartmentID, g.GranteeName = req.DepartmentID, name
		}
		out, err = s.putNewGrant(tx, r, g, actor, now)
		return err
	})
	if err == nil {
		s.notifyScopes(s.Directory.Scope(eid))
	}
	return out, err
}

func (s *Service) putNewGrant(tx sync.Tx, r sealRecord, g api.SealGrant, actor string, now time.Time) (api.SealGrant, error) {
	if err := sync.InsertJSON(tx, BucketGrants, r.ID+"/"+g.ID, g); err != nil {
		return g, err
	}
	if err := tx.Put(BucketGrantIndex, r.EnterpriseID+"/"+g.ID, []byte(r.ID)); err != nil {
		return g, err
	}
	g = grantState(g, now)
	if err := event(tx, s.Directory.Scope(r.EnterpriseID), "seal.granted", actor, g, now); err != nil {
		return g, err
	}
	return g, sync.Audit(tx, sync.AuditEntry{Time: now, Actor: actor, Action: "seal.grant", Target: r.EnterpriseID + "/" + g.ID,
		Detail: r.ID + " → " + g.MemberID + g.DepartmentID})
}

func getGrant(tx sync.Tx, eid, gid string) (api.SealGrant, error) {
	var g api.SealGrant
	if gid == "" || strings.Contains(gid, "/") {
		return g, errGrant404
	}
	sid, err := tx.Get(BucketGrantIndex, eid+"/"+gid)
	if errors.Is(err, sync.ErrNotFound) {
		return g, errGrant404
	}
	if err != nil {
		return g, err
	}
	err = sync.GetJSON(tx, BucketGrants, string(sid)+"/"+gid, &g)
	return g, err
}

// Grants lists a seal's grants, ended ones included (seals.grant).
func (s *Service) Grants(ctx context.Context, eid, sid, actor string) ([]api.SealGrant, error) {
	out := []api.SealGrant{}
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		out = out[:0]
		if _, err := s.Directory.Require(tx, eid, actor, org.PermGrantSeals); err != nil {
			return err
		}
		if _, err := s.getSeal(tx, eid, sid); err != nil {
			return err
		}
		now := s.now()
		return tx.Scan(BucketGrants, sid+"/", "", 0, func(_ string, v []byte) error {
			var g api.SealGrant
			if err := json.Unmarshal(v, &g); err != nil {
				return err
			}
			out = append(out, grantState(g, now))
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b api.SealGrant) int { return a.Created.Compare(b.Created) })
	return out, err
}

// ChangeGrant changes a grant's period (seals.grant); the change holds at once.
func (s *Service) ChangeGrant(ctx context.Context, eid, gid, actor string, req api.SealGrantRequest) (api.SealGrant, error) {
	return s.editGrant(ctx, eid, gid, actor, "seal.grant_changed", func(g *api.SealGrant, now time.Time) error {
		if req.MemberID != "" || req.DepartmentID != "" {
			return refuse(http.StatusBadRequest, "bad_grantee", "修改授权只能改期限；换人请撤销后重新授权")
		}
		nb, na, err := checkPeriod(req.NotBefore, req.NotAfter, now)
		if err != nil {
			return err
		}
		if req.NotBefore.IsZero() {
			nb = g.NotBefore
		}
		g.NotBefore, g.NotAfter = nb, na
		return nil
	})
}

// RevokeGrant ends a grant at once (seals.grant).
func (s *Service) RevokeGrant(ctx context.Context, eid, gid, actor string) (api.SealGrant, error) {
	return s.editGrant(ctx, eid, gid, actor, "seal.grant_revoked", func(g *api.SealGrant, now time.Time) error {
		g.Revoked, g.RevokedAt, g.RevokedBy = true, now, actor
		return nil
	})
}

func (s *Service) editGrant(ctx context.Context, eid, gid, actor, typ string, edit func(*api.SealGrant, time.Time) error) (api.SealGrant, error) {
	var out api.SealGrant
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		if _, err := s.Directory.Require(tx, eid, actor, org.PermGrantSeals); err != nil {
			return err
		}
		g, err := getGrant(tx, eid, gid)
		if err != nil {
			return err
		}
		if g.Revoked {
			return refuse(http.StatusConflict, "grant_revoked", "该授权已撤销，不能再修改")
		}
		now := s.now()
		if err := edit(&g, now); err != nil {
			return err
		}
		if typ == "seal.grant_changed" {
			g.LastChangedAt, g.LastChangedBy = now, actor
		}
		g.ValidNow, g.Ended = false, false
		if err := sync.PutJSON(tx, BucketGrants, g.SealID+"/"+g.ID, g); err != nil {
			return err
		}
		out = grantState(g, now)
		if err := event(tx, s.Directory.Scope(eid), typ, actor, out, now); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: actor, Action: strings.Replace(typ, "seal.grant_", "seal.grant.", 1), Target: eid + "/" + gid})
	})
	if err == nil {
		s.notifyScopes(s.Directory.Scope(eid))
	}
	return out, err
}
