package entseal

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/api"
	"sealdesk/core/sign"
	"sealdesk/core/sync"
	"sealdesk/core/tsa"
)

// StampInput is one sealing request (api.SealSignRequest with marks) with what the HTTP layer
// knows of the caller. Current is the contract's document as the server stores it now (read by
// the caller as the requesting party); nil for a use without a contract, whose document is
// Request.PDF.
type StampInput struct {
	EnterpriseID, SealID, Actor string
	IdempotencyKey              string
	Address                     string
	Request                     api.SealSignRequest
	Current                     []byte
}

var (
	errNoMarks = refuse(http.StatusBadRequest, "bad_marks", fmt.Sprintf("请指定 1–%d 处用印位置", api.MaxCodeSignatures))
	errNoPDF   = refuse(http.StatusBadRequest, "document_required", "不在合同中用印时须附上要盖章的 PDF 文件")
)

func stampRequestHash(eid, sid string, r api.SealSignRequest) string {
	h := sha256.New()
	pdfSum := sha256.Sum256(r.PDF)
	marks, _ := json.Marshal(r.Marks)
	markSum := sha256.Sum256(marks)
	for _, f := range []string{"stamp", eid, sid, r.CodeID, r.Code, r.ContractID, fmt.Sprint(r.Document), r.DocumentSHA256,
		hex.EncodeToString(pdfSum[:]), hex.EncodeToString(markSum[:]), r.Device} {
		fmt.Fprintf(h, "%d:%s\x00", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkMarks refuses marks the signer cannot place, before anything is signed.
func checkMarks(marks []api.SealMark) error {
	if len(marks) == 0 || len(marks) > api.MaxCodeSignatures {
		return errNoMarks
	}
	for i, m := range marks {
		n := i + 1
		if len(m.Field) > 128 || !utf8Clean(m.Field) || !utf8.ValidString(m.Field) {
			return refuse(http.StatusBadRequest, "bad_marks", fmt.Sprintf("第 %d 处用印的签署位置名称无效（不超过 128 个字符，不含控制字符）", n))
		}
		if m.Field == "" && m.Page <= 0 {
			return refuse(http.StatusBadRequest, "bad_marks", fmt.Sprintf("第 %d 处用印须指定签署位置或页码", n))
		}
		if len(m.Image) > api.MaxSealMarkImage {
			return refuse(http.StatusRequestEntityTooLarge, "image_too_large", fmt.Sprintf("第 %d 处用印的图片超过 %d MB", n, api.MaxSealMarkImage>>20))
		}
		if utf8.RuneCountInString(m.Reason) > 100 || !utf8Clean(m.Reason) {
			return refuse(http.StatusBadRequest, "bad_marks", fmt.Sprintf("第 %d 处用印的原因不超过 100 个字，且不能包含控制字符", n))
		}
		if m.CrossPage != nil && (len(m.CrossPage.Pages) > 10000 || m.CrossPage.Width < 0 || m.CrossPage.Width > 1000) {
			return refuse(http.StatusBadRequest, "bad_marks", fmt.Sprintf("第 %d 处骑缝章的页码或宽度无效", n))
		}
	}
	return nil
}

// Stamp seals a document the server holds with a seal: each of the request's marks becomes a
// PAdES signature that the server prepares itself (core/sign) on the contract's current
// document (in.Current) or on the uploaded file, so that the digest it signs is of that very
// document. A declared document that is not the contract's current version is refused and the
// refusal is a line of the usage log. Every signature goes through Sign (grant, approval, code,
// usage log). The answer is stored under the caller's idempotency key: a retry with the same key
// gets the same bytes.
func (s *Service) Stamp(ctx context.Context, in StampInput) (resp api.SealSignResponse, replayed bool, err error) {
	req := in.Request
	req.DocumentSHA256 = strings.ToLower(req.DocumentSHA256)
	hash := stampRequestHash(in.EnterpriseID, in.SealID, req)
	ansKey := in.Actor + "\x00" + in.IdempotencyKey
	var r sealRecord
	var m Member
	var refusal error
	var started time.Time // the clock of the signatures: the first attempt's
	var probeLen int      // the first attempt's timestamp size probe
	retry := false
	// Checks that need no document: who asks first, then the input, a stored answer, the seal,
	// the grant, the approval and the code (not spent here: Sign spends it per mark).
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		refusal, replayed, resp = nil, false, api.SealSignResponse{}
		var err error
		if m, err = s.Directory.Require(tx, in.EnterpriseID, in.Actor, ""); err != nil {
			return err
		}
		if sync.CheckIdempotencyKey(in.IdempotencyKey) != nil {
			return refuse(http.StatusBadRequest, "bad_idempotency_key", "缺少或无效的 Idempotency-Key（须为 1–128 个可打印 ASCII 字符）")
		}
		if d, err := hex.DecodeString(req.DocumentSHA256); err != nil || len(d) != sha256.Size {
			return refuse(http.StatusBadRequest, "bad_document_hash", "文件摘要须为 64 位十六进制的 SHA-256")
		}
		if len(req.ContractID) > 128 || len(req.Device) > 128 || len(req.CodeID) > 64 || len(req.Code) > 16 {
			return refuse(http.StatusBadRequest, "bad_request", "合同编号、设备名不超过 128 个字符")
		}
		if !utf8Clean(req.ContractID) || !utf8Clean(req.Device) || strings.Contains(req.ContractID, "/") {
			return refuse(http.StatusBadRequest, "bad_request", "合同编号和设备名不能包含控制字符")
		}
		if err := checkMarks(req.Marks); err != nil {
			return err
		}
		var prev storedAnswer
		retry = false
		if err := sync.GetJSON(tx, BucketSignAnswers, ansKey, &prev); err == nil {
			if prev.RequestHash != hash {
				return refuse(http.StatusUnprocessableEntity, "idempotency_key_reused", "该 Idempotency-Key 已用于另一次用印")
			}
			if !prev.Pending {
				resp, replayed = prev.Response, true
				return nil
			}
			retry, started, probeLen = true, prev.Started, prev.ProbeLen
		} else if !errors.Is(err, sync.ErrNotFound) {
			return err
		}
		if r, err = s.getSeal(tx, in.EnterpriseID, in.SealID); err != nil {
			return err
		}
		if r.Status != api.SealActive {
			return errDiscarded
		}
		now := s.now()
		if _, ok, err := usableGrant(tx, r.ID, m, now); err != nil {
			return err
		} else if !ok {
			return errNoGrant
		}
		if s.UseGate != nil {
			if err := s.UseGate(tx, in.EnterpriseID, r.ID, in.Actor, req.ContractID); err != nil {
				return err
			}
		}
		// The document: the contract's current version, or the uploaded file. Anything else is
		// the attack this protocol closes, and is logged.
		why := ""
		switch {
		case req.ContractID != "" && len(req.PDF) > 0:
			why = "拒绝：合同用印附带了另一个文件，服务器只对合同的当前版本用印，未用印"
		case req.ContractID != "" && in.Current == nil:
			return refuse(http.StatusNotFound, "not_found", "合同文件不存在")
		case req.ContractID != "" && sum(in.Current) != req.DocumentSHA256:
			why = fmt.Sprintf("拒绝：要盖章的文件（SHA-256 %s…）不是合同的当前版本（%s…），未用印", req.DocumentSHA256[:16], sum(in.Current)[:16])
		case req.ContractID == "" && len(req.PDF) == 0:
			return errNoPDF
		case req.ContractID == "" && sum(req.PDF) != req.DocumentSHA256:
			why = "拒绝：附带的文件与声明的文件摘要不符，未用印"
		}
		if why != "" {
			refusal = refuse(http.StatusConflict, "document_mismatch", strings.TrimSuffix(strings.TrimPrefix(why, "拒绝："), "，未用印")+
				"。请重新打开合同的最新版本后再盖章")
			return refusedUse(tx, SignInput{EnterpriseID: in.EnterpriseID, Actor: in.Actor, Address: in.Address}, r, m, req, why, now)
		}
		if retry {
			// The code may be spent by the marks the first attempt signed; Sign checks it for
			// every mark still to sign.
			return nil
		}
		started = now
		var c storedCode
		if req.CodeID == "" || strings.Contains(req.CodeID, "/") {
			return errCode
		}
		if err := sync.GetJSON(tx, BucketCodes, req.CodeID, &c); errors.Is(err, sync.ErrNotFound) {
			return errCode
		} else if err != nil {
			return err
		}
		if c.AccountID != in.Actor || c.SealID != r.ID || (c.Contract != "" && c.Contract != req.ContractID) || now.After(c.Expires) ||
			c.Attempts >= s.limits().CodeAttempts {
			return errCode
		}
		if !hmac.Equal([]byte(c.MAC), []byte(s.codeMAC(req.CodeID, strings.TrimSpace(req.Code)))) {
			// A wrong guess is counted (and committed) here, before any document work.
			c.Attempts++
			refusal = errCode
			return sync.PutJSON(tx, BucketCodes, req.CodeID, c)
		}
		if left := max(c.Left, 1); left < len(req.Marks) {
			return refuse(http.StatusConflict, "code_exhausted", fmt.Sprintf("该验证码还可用于 %d 处盖章，本次需要 %d 处，请重新获取验证码", left, len(req.Marks)))
		}
		return nil
	})
	if err == nil && refusal != nil {
		err = refusal
	}
	if err != nil || replayed {
		return resp, replayed, err
	}
	if s.Stamps != nil {
		release, err := s.Stamps.Enter(ctx)
		if err != nil {
			return resp, false, err
		}
		defer release()
	}
	if !retry {
		// Record the attempt before anything is signed: its clock and the timestamp size
		// core/sign reserves room for, so that a retry prepares the very same signatures.
		if s.Timestamper != nil {
			tok, err := s.Timestamper.Timestamp(ctx, crypto.SHA256, sizeProbe[:])
			if err != nil {
				return resp, false, fmt.Errorf("timestamp authority unavailable: %w", err)
			}
			probeLen = len(tok)
		}
		if err := s.Store.Update(ctx, func(tx sync.Tx) error {
			return sync.PutJSON(tx, BucketSignAnswers, ansKey, storedAnswer{RequestHash: hash, Pending: true, Started: started, ProbeLen: probeLen})
		}); err != nil {
			return resp, false, err
		}
	}

	doc := in.Current
	if req.ContractID == "" {
		doc = req.PDF
	}
	cert, err := x509.ParseCertificate(r.CertDER)
	if err != nil {
		return resp, false, fmt.Errorf("bad certificate of seal %s: %w", r.ID, err)
	}
	var chain []*x509.Certificate
	if s.CA != nil {
		chain = s.CA.Chain()
	}
	img, err := s.sealImage(ctx, r.ID)
	if err != nil {
		return resp, false, err
	}
	dir, err := os.MkdirTemp(s.TempDir, "stamp-")
	if err != nil {
		return resp, false, err
	}
	defer os.RemoveAll(dir)
	cur := filepath.Join(dir, "0.pdf")
	if err := os.WriteFile(cur, doc, 0o600); err != nil {
		return resp, false, err
	}
	for i, mk := range req.Marks {
		signer := &stampSigner{s: s, ctx: ctx, pub: cert.PublicKey, in: SignInput{EnterpriseID: in.EnterpriseID, SealID: in.SealID, Actor: in.Actor,
			IdempotencyKey: fmt.Sprintf("stamp-%s-%d", hash[:40], i), Address: in.Address, ServerPrepared: true,
			Request: api.SealSignRequest{CodeID: req.CodeID, Code: req.Code, ContractID: req.ContractID, DocumentSHA256: req.DocumentSHA256, Device: req.Device}}}
		opts := &sign.Options{Signer: signer, Cert: cert, Chain: chain, Field: mk.Field, Page: mk.Page, Name: m.Name, Reason: mk.Reason,
			Rect: sign.VisibleRect{X1: mk.Rect[0], Y1: mk.Rect[1], X2: mk.Rect[2], Y2: mk.Rect[3]}, Image: mk.Image,
			Now: func() time.Time { return started }}
		if opts.Image == nil {
			opts.Image = img
		}
		if opts.Reason == "" {
			opts.Reason = "企业印章"
		}
		if mk.CrossPage != nil {
			opts.CrossPage = &sign.CrossPage{Image: opts.Image, Pages: mk.CrossPage.Pages, Width: mk.CrossPage.Width, CenterY: mk.CrossPage.CenterY}
			opts.Image = nil
		}
		if s.Timestamper != nil {
			opts.Level, opts.Timestamper = sign.LevelBT, &fixedProbe{ts: s.Timestamper, n: probeLen}
		}
		next := filepath.Join(dir, fmt.Sprintf("%d.pdf", i+1))
		if _, err := sign.SignFile(ctx, cur, next, opts); err != nil {
			var ref *sync.Refusal
			if errors.As(err, &ref) {
				return resp, false, ref
			}
			if ctx.Err() != nil {
				return resp, false, ctx.Err()
			}
			return resp, false, refuse(http.StatusUnprocessableEntity, "stamp_failed", fmt.Sprintf("第 %d 处盖章失败：%v", i+1, err))
		}
		resp.UseIDs = append(resp.UseIDs, signer.use)
		cur = next
	}
	out, err := os.ReadFile(cur)
	if err != nil {
		return resp, false, err
	}
	if len(out) <= len(doc) || !bytes.Equal(out[:len(doc)], doc) {
		return resp, false, errors.New("the sealed document does not extend the document it sealed")
	}
	resp.Update = out[len(doc):]
	resp.SealedSHA256 = sum(out)
	if len(resp.UseIDs) > 0 {
		resp.UseID = resp.UseIDs[len(resp.UseIDs)-1]
	}
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		return sync.PutJSON(tx, BucketSignAnswers, ansKey, storedAnswer{RequestHash: hash, Response: resp, Started: started, ProbeLen: probeLen})
	})
	return resp, false, err
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// sealImage reads a seal's PNG.
func (s *Service) sealImage(ctx context.Context, sid string) ([]byte, error) {
	var img []byte
	err := s.Store.View(ctx, func(tx sync.Tx) error {
		b, err := tx.Get(BucketSealImages, sid)
		img = append([]byte(nil), b...)
		return err
	})
	return img, err
}

// stampSigner signs the digest core/sign computed on the server through Sign.
type stampSigner struct {
	s   *Service
	ctx context.Context
	pub crypto.PublicKey
	in  SignInput
	use string
}

func (g *stampSigner) Public() crypto.PublicKey { return g.pub }

func (g *stampSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil || opts.HashFunc() != crypto.SHA256 {
		return nil, errors.New("enterprise seals sign SHA-256 digests only")
	}
	in := g.in
	in.Request.Digest = digest
	resp, _, err := g.s.Sign(g.ctx, in)
	if err != nil {
		return nil, err
	}
	g.use = resp.UseID
	return resp.Signature, nil
}

// sizeProbe is the digest core/sign timestamps to learn the size of the authority's tokens (its
// probeTimestamp): only the token's length is used, to reserve room in /Contents.
var sizeProbe = sha256.Sum256([]byte("sealdesk size probe"))

// fixedProbe answers core/sign's size probe with n bytes (the first attempt's token size) and
// passes every real request to ts, so the same request prepares the same bytes after a restart,
// whatever size a fresh token has.
type fixedProbe struct {
	ts tsa.Timestamper
	n  int
}

func (f *fixedProbe) Timestamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	if h == crypto.SHA256 && bytes.Equal(digest, sizeProbe[:]) && f.n > 0 {
		return make([]byte, f.n), nil
	}
	return f.ts.Timestamp(ctx, h, digest)
}
