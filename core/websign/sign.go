package websign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/envelope"
	"sealdesk/core/seal"
	"sealdesk/core/sign"
	"sealdesk/core/sync"
)

// FieldView is one of the recipient's boxes as the page draws it.
type FieldView struct {
	Name     string     `json:"name"`
	Kind     string     `json:"kind"` // api.FieldSignature, FieldSeal, FieldDate, FieldCrossPage
	Document int        `json:"document"`
	Page     int        `json:"page"` // 1-based
	Rect     [4]float64 `json:"rect"` // visible points, origin lower-left
}

// DocView is a document of the contract.
type DocView struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Pages int    `json:"pages"`
}

// SealOption is a seal the company handler may use now.
type SealOption struct {
	EnterpriseID string `json:"enterprise_id"`
	ID           string `json:"id"`
	Name         string `json:"name"`
}

// State is what the signing page shows.
type State struct {
	Subject    string       `json:"subject"`
	Sender     string       `json:"sender"`
	Name       string       `json:"name"`              // the recipient
	Company    string       `json:"company,omitempty"` // a company recipient's company
	To         string       `json:"to"`                // masked phone or e-mail
	Status     string       `json:"status"`
	YourTurn   bool         `json:"your_turn"`
	Waiting    string       `json:"waiting,omitempty"` // why not yet
	Documents  []DocView    `json:"documents"`
	Fields     []FieldView  `json:"fields"`
	Needed     int          `json:"needed"` // boxes to sign
	Signed     int          `json:"signed"`
	Seals      []SealOption `json:"seals,omitempty"`
	NeedsSeal  bool         `json:"needs_seal"`
	SealsError string       `json:"seals_error,omitempty"`
	Deadline   time.Time    `json:"deadline,omitzero"`
}

// kindOf returns the kind of a field from its name ("R2.seal1" → seal).
func kindOf(name string) string {
	_, short, _ := strings.Cut(name, ".")
	short = strings.TrimRight(short, "0123456789")
	return map[string]string{"sig": api.FieldSignature, "seal": api.FieldSeal, "date": api.FieldDate, "cross": api.FieldCrossPage}[short]
}

// fieldsOf lists recipient k's boxes of env with their placements.
func fieldsOf(env api.Envelope, k int) []FieldView {
	var out []FieldView
	for _, d := range env.Documents {
		counts := map[string]int{}
		places := map[string]api.FieldPlacement{}
		for _, fp := range env.Fields {
			if fp.Document != d.Index || fp.Recipient != k {
				continue
			}
			counts[fp.Kind]++
			places[fmt.Sprintf("%s%d", fp.Kind, counts[fp.Kind])] = fp
		}
		seen := map[string]int{}
		for _, name := range d.Fields[k] {
			kind := kindOf(name)
			seen[kind]++
			fv := FieldView{Name: name, Kind: kind, Document: d.Index}
			if fp, ok := places[fmt.Sprintf("%s%d", kind, seen[kind])]; ok {
				fv.Page, fv.Rect = fp.Page, fp.Rect
			}
			out = append(out, fv)
		}
	}
	return out
}

// State returns what the page shows to a signed-in recipient.
func (s *Service) State(ctx context.Context, token, sess string) (State, error) {
	o, err := s.auth(ctx, token, sess)
	if err != nil {
		return State{}, err
	}
	env, k := o.env, o.link.Recipient
	rc := env.Recipients[k]
	st := State{Subject: env.Subject, Sender: env.SenderName, Name: rc.Name, To: maskLogin(o.link.Login), Status: env.Status,
		YourTurn: rc.State == api.RecipientToSign, Deadline: env.Deadline, Fields: fieldsOf(env, k)}
	if rc.Kind == api.RecipientCompany {
		st.Company = rc.Company
	}
	if !st.YourTurn {
		st.Waiting = "还未轮到您签署：该合同按顺序签署，请等待前面的签署方完成后再打开此链接"
	}
	for _, d := range env.Documents {
		st.Documents = append(st.Documents, DocView{Index: d.Index, Name: d.Name, Pages: d.Pages})
	}
	st.Needed = len(st.Fields)
	if st.Needed == 0 {
		st.Needed = 1 // "现在发送": one signature the page places
	}
	for _, f := range st.Fields {
		if f.Kind == api.FieldSeal || f.Kind == api.FieldCrossPage {
			st.NeedsSeal = st.NeedsSeal || rc.Kind == api.RecipientCompany
		}
	}
	if st.NeedsSeal {
		if s.Seals == nil {
			st.SealsError = "服务器未开放网页用印"
		} else if seals, err := s.Seals.Usable(ctx, o.actor.Account.ID, rc.Company); err != nil {
			var ref *sync.Refusal
			if !errors.As(err, &ref) {
				return State{}, err
			}
			st.SealsError = ref.Message
		} else {
			st.Seals = seals
			if len(seals) == 0 {
				st.SealsError = fmt.Sprintf("您没有「%s」可用的印章：请联系企业管理员授权后再签署", rc.Company)
			}
		}
	}
	return st, nil
}

// DocumentRef names document n for the page renderer: its current SHA-256, its page count and
// how to read it (only called when a page is not cached).
func (s *Service) DocumentRef(ctx context.Context, token, sess string, n int) (sha string, pages int, load func() ([]byte, error), err error) {
	o, err := s.auth(ctx, token, sess)
	if err != nil {
		return "", 0, nil, err
	}
	if n < 0 || n >= len(o.env.Documents) {
		return "", 0, nil, refuse(http.StatusNotFound, "not_found", fmt.Sprintf("文件不存在：该合同共有 %d 个文件", len(o.env.Documents)))
	}
	d := o.env.Documents[n]
	load = func() ([]byte, error) {
		b, _, err := s.Env.Document(ctx, o.actor, o.link.Envelope, n, "current")
		return b, err
	}
	return d.Current, d.Pages, load, nil
}

// SignRequest is what the page sends to sign.
type SignRequest struct {
	// Strokes is the drawn signature (core/seal.Signature JSON); empty for a company handler
	// whose boxes are all seal boxes.
	Strokes json.RawMessage `json:"strokes,omitempty"`
	// Code is the 确认签署 code of the link.
	Code string `json:"code"`
	// Seal chooses a seal (company handler) and carries its one-time code (SealCode).
	SealEnterprise string `json:"seal_enterprise,omitempty"`
	SealID         string `json:"seal_id,omitempty"`
	SealCodeID     string `json:"seal_code_id,omitempty"`
	SealCode       string `json:"seal_code,omitempty"`
}

// SealCode sends the seal's one-time code to a company handler (entseal's own code).
func (s *Service) SealCode(ctx context.Context, token, sess, eid, sid string) (api.SealCodeTicket, error) {
	o, err := s.auth(ctx, token, sess)
	if err != nil {
		return api.SealCodeTicket{}, err
	}
	if s.Seals == nil || o.env.Recipients[o.link.Recipient].Kind != api.RecipientCompany {
		return api.SealCodeTicket{}, refuse(http.StatusForbidden, "no_seal", "只有企业签署方的经办人可以使用印章")
	}
	// One code for every seal box of this handler on this contract.
	n := sealBoxes(fieldsOf(o.env, o.link.Recipient))
	if n > api.MaxCodeSignatures {
		return api.SealCodeTicket{}, refuse(http.StatusConflict, "too_many_seal_boxes",
			fmt.Sprintf("该合同需加盖 %d 处印章，超过网页一次用印的上限 %d 处，请在 SealDesk 桌面端签署", n, api.MaxCodeSignatures))
	}
	return s.Seals.SendCode(ctx, eid, sid, o.actor.Account.ID, o.env.ID, max(n, 1))
}

// sealBoxes counts the seal and cross-page seal boxes among fields.
func sealBoxes(fields []FieldView) int {
	n := 0
	for _, f := range fields {
		if f.Kind == api.FieldSeal || f.Kind == api.FieldCrossPage {
			n++
		}
	}
	return n
}

// Sign signs every box of the recipient in every document that needs them and hands each
// signed revision to core/envelope (see the package doc).
func (s *Service) Sign(ctx context.Context, token, sess string, req SignRequest, device string) (api.Envelope, error) {
	o, err := s.auth(ctx, token, sess)
	if err != nil {
		return api.Envelope{}, err
	}
	env, k := o.env, o.link.Recipient
	rc := env.Recipients[k]
	if rc.State != api.RecipientToSign {
		return api.Envelope{}, refuse(http.StatusConflict, "not_your_turn", "还未轮到您签署：该合同按顺序签署，请等待前面的签署方完成")
	}
	fields := fieldsOf(env, k)
	needPerson, needSeal := len(fields) == 0, false
	for _, f := range fields {
		if rc.Kind == api.RecipientCompany && (f.Kind == api.FieldSeal || f.Kind == api.FieldCrossPage) {
			needSeal = true
		} else if f.Kind != api.FieldDate {
			needPerson = true
		}
	}
	var sigPNG []byte
	if needPerson || len(req.Strokes) > 0 {
		if len(req.Strokes) == 0 {
			return api.Envelope{}, refuse(http.StatusBadRequest, "signature_required", "请先在签名区手写签名")
		}
		if sigPNG, err = strokesPNG(req.Strokes); err != nil {
			return api.Envelope{}, err
		}
	}
	var sealSigner SealHandle
	if needSeal {
		if s.Seals == nil {
			return api.Envelope{}, refuse(http.StatusForbidden, "no_seal", "服务器未开放网页用印")
		}
		if req.SealID == "" {
			return api.Envelope{}, refuse(http.StatusBadRequest, "seal_required", "请选择要加盖的印章")
		}
		sealSigner, err = s.Seals.Open(ctx, req.SealEnterprise, req.SealID, o.actor.Account.ID, rc.Company)
		if err != nil {
			return api.Envelope{}, err
		}
	}
	if err := s.spendCode(ctx, o, PurposeSign, req.Code); err != nil {
		return api.Envelope{}, err
	}
	a := o.actor
	a.Device = "网页签署 · " + device
	dir, err := os.MkdirTemp(s.TempDir, "websign-")
	if err != nil {
		return api.Envelope{}, err
	}
	defer os.RemoveAll(dir)

	var event *eventIdentity
	defer func() { event.destroy() }()
	if needPerson || len(fields) == 0 || hasKind(fields, api.FieldDate) {
		if event, err = s.newEvent(ctx, o, a); err != nil {
			return api.Envelope{}, err
		}
		// The step (and so the 签署报告) names the event certificate the signature is made with.
		a.Device = fmt.Sprintf("网页签署 · 事件证书 %s · %s", strings.ToUpper(event.cert.SerialNumber.Text(16)), device)
	}
	var out api.Envelope
	docs := map[int]bool{}
	for _, f := range fields {
		docs[f.Document] = true
	}
	if len(fields) == 0 {
		for _, d := range env.Documents {
			docs[d.Index] = true
		}
	}
	for _, d := range env.Documents {
		if !docs[d.Index] {
			continue
		}
		body, _, err := s.Env.Document(ctx, a, env.ID, d.Index, "current")
		if err != nil {
			return api.Envelope{}, err
		}
		cur := filepath.Join(dir, fmt.Sprintf("doc%d-0.pdf", d.Index))
		if err := os.WriteFile(cur, body, 0o600); err != nil {
			return api.Envelope{}, err
		}
		step := 0
		signOne := func(opts *sign.Options) error {
			step++
			next := filepath.Join(dir, fmt.Sprintf("doc%d-%d.pdf", d.Index, step))
			opts.Now = s.Now
			if _, err := sign.SignFile(ctx, cur, next, opts); err != nil {
				return fmt.Errorf("failed to sign %s of document %d: %w", opts.Field, d.Index, err)
			}
			cur = next
			return nil
		}
		var mine []FieldView
		for _, f := range fields {
			if f.Document == d.Index {
				mine = append(mine, f)
			}
		}
		if len(mine) == 0 {
			// "现在发送": the recipient's signature in a box of their own, bottom right of the last page.
			w, _, err := lastPageSize(body)
			if err != nil {
				return api.Envelope{}, err
			}
			opts := event.options(rc.Name, fmt.Sprintf("%ssig1", rc.Prefix), sigPNG)
			opts.Page, opts.Rect = d.Pages, sign.VisibleRect{X1: w - 200, Y1: 40, X2: w - 40, Y2: 100}
			if err := signOne(opts); err != nil {
				return api.Envelope{}, err
			}
		}
		for _, f := range mine {
			var opts *sign.Options
			switch {
			case f.Kind == api.FieldDate:
				img, err := seal.DateImagePNG(s.now().In(cst).Format("2006年1月2日"), f.Rect[2]-f.Rect[0], f.Rect[3]-f.Rect[1])
				if err != nil {
					return api.Envelope{}, err
				}
				opts = event.options(rc.Name, f.Name, img)
			case sealSigner != nil && (f.Kind == api.FieldSeal || f.Kind == api.FieldCrossPage):
				// The one code (SealCode) covers every seal box of the handler on the contract.
				sgn, err := sealSigner.Signer(ctx, req.SealCodeID, req.SealCode, env.ID, d.Current)
				if err != nil {
					return api.Envelope{}, err
				}
				opts = &sign.Options{Signer: sgn, Cert: sealSigner.Cert(), Chain: sealSigner.Chain(), Field: f.Name, Image: sealSigner.Image(),
					Name: rc.Name, Reason: "网页签署（企业印章）"}
				if s.Timestamper != nil {
					opts.Level, opts.Timestamper = sign.LevelBT, s.Timestamper
				}
			default:
				opts = event.options(rc.Name, f.Name, sigPNG)
			}
			if f.Kind == api.FieldCrossPage {
				opts.CrossPage = &sign.CrossPage{Image: opts.Image, CenterY: (f.Rect[1] + f.Rect[3]) / 2}
				opts.Image = nil
			}
			if err := signOne(opts); err != nil {
				return api.Envelope{}, err
			}
		}
		signed, err := os.ReadFile(cur)
		if err != nil {
			return api.Envelope{}, err
		}
		out, err = s.Env.UploadRevision(ctx, a, fmt.Sprintf("web-%s-%d-%s", o.hash[:24], d.Index, d.Current[:16]), env.ID, d.Index, signed)
		if err != nil {
			return api.Envelope{}, err
		}
	}
	return out, nil
}

func hasKind(fs []FieldView, kind string) bool {
	for _, f := range fs {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

// strokesPNG checks the drawn strokes and renders them, cropped to the ink, at 300 dpi.
func strokesPNG(raw []byte) ([]byte, error) {
	sg, err := seal.ParseSignature(raw)
	if err != nil {
		// the parser's English detail stays out of the page (platform red team F4)
		return nil, refuse(http.StatusBadRequest, "bad_strokes", "签名笔迹无效，请清除后重新书写")
	}
	d, err := sg.Drawing(color.NRGBA{0x10, 0x10, 0x10, 0xff})
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "bad_strokes", "签名笔迹无效，请清除后重新书写")
	}
	img, err := d.Crop(1).Rasterize(300)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "bad_strokes", "签名笔迹无效，请清除后重新书写")
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var cst = time.FixedZone("CST", 8*3600)

// eventIdentity is the key and certificate of one event signing.
type eventIdentity struct {
	key        interface{ crypto.Signer }
	destroyKey func()
	cert       *x509.Certificate
	chain      []*x509.Certificate
	ts         bool
	s          *Service
}

func (e *eventIdentity) destroy() {
	if e != nil && e.destroyKey != nil {
		e.destroyKey()
		e.key, e.destroyKey = nil, nil
	}
}

func (e *eventIdentity) options(name, field string, img []byte) *sign.Options {
	o := &sign.Options{Signer: e.key, Cert: e.cert, Chain: e.chain, Field: field, Image: img, Name: name,
		Reason: "网页签署（事件证书）"}
	if e.s.Timestamper != nil {
		o.Level, o.Timestamper = sign.LevelBT, e.s.Timestamper
	}
	return o
}

// newEvent generates the key of one signing and has the CA certify it for the recipient and
// the contract; the certificate (never the key) is recorded.
func (s *Service) newEvent(ctx context.Context, o *opened, a envelope.Actor) (*eventIdentity, error) {
	if s.CA == nil {
		return nil, refuse(http.StatusServiceUnavailable, "no_ca", "服务器未配置事件证书签发")
	}
	key, err := s.newKey()
	if err != nil {
		return nil, err
	}
	e := &eventIdentity{key: key, destroyKey: func() { destroy(key) }, s: s}
	rc := o.env.Recipients[o.link.Recipient]
	subject := pkix.Name{Country: []string{"CN"}, CommonName: rc.Name, OrganizationalUnit: []string{"事件证书"}}
	how := "姓名由发起人填写"
	if rn := a.Account.RealName; rn != nil && rn.Name != "" && s.IdentityVerified != nil && s.IdentityVerified(rn) {
		subject.CommonName, subject.SerialNumber = rn.Name, rn.IDNumber
		how = "姓名与证件号经实名认证"
	}
	if rc.Kind == api.RecipientCompany {
		subject.Organization = []string{rc.Company}
	}
	notice := fmt.Sprintf("SealDesk事件证书：仅用于合同%s第%d签署方的一次签署；%s，%s经一次性验证码核验；私钥由服务器生成，签署后即销毁",
		o.env.ID, o.link.Recipient+1, how, maskLogin(o.link.Login))
	now := s.now()
	cert, chain, err := s.CA.IssueEvent(ctx, key.Public(), subject, notice, now.Add(-time.Minute), now.Add(EventCertValidity))
	if err != nil {
		e.destroy()
		return nil, fmt.Errorf("failed to issue the event certificate: %w", err)
	}
	e.cert, e.chain = cert, chain
	serial := strings.ToLower(cert.SerialNumber.Text(16))
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		if err := sync.InsertJSON(tx, BucketEventCerts, serial, EventCert{Serial: serial, AccountID: a.Account.ID, Envelope: o.env.ID,
			Recipient: o.link.Recipient, Login: maskLogin(o.link.Login), Issued: now, DER: cert.Raw}); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: a.Account.ID, Action: "websign.event_certificate", Target: o.env.ID,
			Detail: fmt.Sprintf("recipient %d, serial %s, %s", o.link.Recipient, serial, maskLogin(o.link.Login))})
	})
	if err != nil {
		e.destroy()
		return nil, err
	}
	return e, nil
}
