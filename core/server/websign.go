package server

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"sealdesk/core/api"
	"sealdesk/core/entseal"
	"sealdesk/core/pki"
	"sealdesk/core/sync"
	"sealdesk/core/websign"
)

// Parties without SealDesk (issue 21, area: web): the browser signing page reached from the
// SMS/e-mail link, event certificates for its signatures, and the phone pad (扫码生成). The
// domain is core/websign; this file wires it to the CA, the TSA, the contracts and the seals.

// signCookie is the browser session cookie of a signing link.
const signCookie = "sd_sign"

func (s *Server) setupWebSign() error {
	secret, err := s.ca.keys.subkey("websign-otp")
	if err != nil {
		return err
	}
	s.web = &websign.Service{Store: s.opts.Store, Env: s.env, Notifier: s.org.Notifier, Hub: s.hub, Secret: secret,
		BaseURL: s.opts.BaseURL, CA: eventCA{s.ca}, Timestamper: s.tsa, Now: s.opts.Now, Log: s.log,
		IdentityVerified: s.identityVerified}
	if s.seals != nil {
		s.web.Seals = webSeals{s}
	}
	s.pages = &websign.Pages{}
	s.env.SignLink = s.web.Link
	// Event certificates belong to the recipient who signed through the page.
	s.env.CertOwner = func(tx sync.Tx, serial string) (string, error) {
		owner, err := certOwner(tx, serial)
		if err != nil || owner != "" {
			return owner, err
		}
		return websign.EventOwner(tx, serial)
	}
	return nil
}

// WebSign returns the browser signing service (tests reach its key hook through it).
func (s *Server) WebSign() *websign.Service { return s.web }

// WebPages returns the page renderer of the signing page.
func (s *Server) WebPages() *websign.Pages { return s.pages }

// eventCA issues event certificates from the issuing CA and records them (no account: they are
// nobody's device certificate and count against no issuance limit).
type eventCA struct{ a *authority }

func (e eventCA) IssueEvent(ctx context.Context, pub any, subject pkix.Name, notice string, notBefore, notAfter time.Time) (*x509.Certificate, []*x509.Certificate, error) {
	c, err := pki.Issue(e.a.issuer(), pki.Request{Profile: pki.ProfilePerson, PublicKey: pub, Subject: subject,
		NotBefore: notBefore, NotAfter: notAfter, Policies: []x509.OID{pki.OIDEventCertificate}, PolicyNotice: notice})
	if err != nil {
		return nil, nil, err
	}
	err = e.a.store.Update(ctx, func(tx sync.Tx) error { return recordCert(tx, c, "", pki.ProfilePerson) })
	if err != nil {
		return nil, nil, err
	}
	return c, []*x509.Certificate{e.a.issuing, e.a.root}, nil
}

// webSeals lets a company handler use their enterprise's seals on the page, through
// core/entseal (grants, its one-time code, the usage log).
type webSeals struct{ s *Server }

func (w webSeals) enterprises(ctx context.Context, accountID, company string) ([]string, error) {
	mine, err := w.s.org.MyEnterprises(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, m := range mine {
		if strings.TrimSpace(company) == "" || m.Enterprise.Name == strings.TrimSpace(company) {
			ids = append(ids, m.Enterprise.ID)
		}
	}
	return ids, nil
}

func (w webSeals) Usable(ctx context.Context, accountID, company string) ([]websign.SealOption, error) {
	ids, err := w.enterprises(ctx, accountID, company)
	if err != nil {
		return nil, err
	}
	var out []websign.SealOption
	for _, eid := range ids {
		l, err := w.s.seals.List(ctx, eid, accountID)
		if err != nil {
			var ref *sync.Refusal
			if errors.As(err, &ref) {
				continue // disabled membership and the like: no seal of that enterprise
			}
			return nil, err
		}
		for _, sv := range l.Seals {
			if sv.Usable && sv.Status == api.SealActive {
				out = append(out, websign.SealOption{EnterpriseID: eid, ID: sv.ID, Name: sv.Name})
			}
		}
	}
	return out, nil
}

func (w webSeals) SendCode(ctx context.Context, eid, sid, accountID, contractID string, signatures int) (api.SealCodeTicket, error) {
	return w.s.seals.SendCodeFor(ctx, eid, sid, accountID, api.SealCodeRequest{ContractID: contractID, Signatures: signatures})
}

func (w webSeals) Open(ctx context.Context, eid, sid, accountID, company string) (websign.SealHandle, error) {
	ids, err := w.enterprises(ctx, accountID, company)
	if err != nil {
		return nil, err
	}
	found := false
	for _, id := range ids {
		found = found || id == eid
	}
	if !found {
		return nil, sync.Refuse(http.StatusForbidden, "wrong_enterprise", fmt.Sprintf("只能加盖「%s」的印章", company))
	}
	d, err := w.s.seals.Detail(ctx, eid, sid, accountID)
	if err != nil {
		return nil, err
	}
	cert, chain, err := parseSealCerts(d)
	if err != nil {
		return nil, err
	}
	img, err := w.s.seals.Image(ctx, eid, sid, accountID)
	if err != nil {
		return nil, err
	}
	return &webSeal{s: w.s, eid: eid, sid: sid, actor: accountID, cert: cert, chain: chain, img: img}, nil
}

func parseSealCerts(d api.SealDetail) (*x509.Certificate, []*x509.Certificate, error) {
	leaf, err := pki.ParseCertsPEM([]byte(d.Certificate))
	if err != nil || len(leaf) != 1 {
		return nil, nil, fmt.Errorf("bad seal certificate: %v", err)
	}
	chain, err := pki.ParseCertsPEM([]byte(d.Chain))
	if err != nil {
		return nil, nil, fmt.Errorf("bad seal certificate chain: %w", err)
	}
	return leaf[0], chain, nil
}

type webSeal struct {
	s               *Server
	eid, sid, actor string
	cert            *x509.Certificate
	chain           []*x509.Certificate
	img             []byte
}

func (w *webSeal) Cert() *x509.Certificate    { return w.cert }
func (w *webSeal) Chain() []*x509.Certificate { return w.chain }
func (w *webSeal) Image() []byte              { return w.img }

func (w *webSeal) Signer(ctx context.Context, codeID, code, contractID, documentSHA256 string) (crypto.Signer, error) {
	return &webSealSigner{ctx: ctx, w: w, codeID: codeID, code: code, contract: contractID, doc: documentSHA256}, nil
}

// webSealSigner signs one digest through core/entseal.Sign (grant, code, usage log).
type webSealSigner struct {
	ctx                         context.Context
	w                           *webSeal
	codeID, code, contract, doc string
}

func (g *webSealSigner) Public() crypto.PublicKey { return g.w.cert.PublicKey }

func (g *webSealSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil || opts.HashFunc() != crypto.SHA256 {
		return nil, errors.New("enterprise seals sign SHA-256 digests only")
	}
	var k [12]byte
	rand.Read(k[:])
	resp, _, err := g.w.s.seals.Sign(g.ctx, entseal.SignInput{EnterpriseID: g.w.eid, SealID: g.w.sid, Actor: g.w.actor,
		IdempotencyKey: "web-" + hex.EncodeToString(k[:]), ServerPrepared: true, // core/websign prepared the document
		Request: api.SealSignRequest{Digest: digest, CodeID: g.codeID, Code: g.code, ContractID: g.contract, DocumentSHA256: g.doc, Device: "网页签署"}})
	if err != nil {
		return nil, err
	}
	return resp.Signature, nil
}

// --- routes ----------------------------------------------------------------------------------------

func (s *Server) webSignRoutes() []route {
	return []route{
		{"GET", "/web/{file}", public, s.handleWebAsset},
		// The link's routes share a per-address limit (Options.WebRate); their POSTs refuse
		// cross-site requests (webRoute).
		{"GET", "/s/{token}", public, s.webRoute(true, s.handleSignPage)},
		{"POST", "/s/{token}/code", public, s.webRoute(false, s.handleSignCode)},
		{"POST", "/s/{token}/login", public, s.webRoute(false, s.handleSignLogin)},
		{"GET", "/s/{token}/state", public, s.webRoute(false, s.handleSignState)},
		{"GET", "/s/{token}/documents/{n}/pages/{p}", public, s.webRoute(true, s.handleSignPageImage)},
		{"GET", "/s/{token}/logo", public, s.webRoute(true, s.handleSignLogo)},
		{"POST", "/s/{token}/decline", public, s.webRoute(false, s.handleSignDecline)},
		{"POST", "/s/{token}/seal-code", public, s.webRoute(false, s.handleSignSealCode)},
		{"POST", "/s/{token}/sign", public, s.webRoute(false, s.handleSignSign)},
		{"GET", "/p/{token}", public, s.webRoute(true, s.handlePadPage)},
		{"POST", "/p/{token}", public, s.webRoute(false, s.handlePadSubmit)},
		{"POST", "/api/v1/signature-pads", user, s.handleNewPad},
	}
}

// crossSite reports whether a browser says a request comes from another site: Sec-Fetch-Site
// other than same-origin (or none: typed by the user), or an Origin that is not this server
// (r.Host, or BaseURL's host behind a proxy). A request without either header (not a browser,
// or an old one) is not refused here: the SameSite=Strict cookie, the JSON-only bodies and the
// second one-time code still stand in front of every change (red team F3).
func (s *Server) crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return true
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return true // "null" (a sandboxed frame, a file) and the like
	}
	if strings.EqualFold(u.Host, r.Host) {
		return false
	}
	if b, err := url.Parse(s.opts.BaseURL); err == nil && b.Host != "" && strings.EqualFold(u.Host, b.Host) {
		return false
	}
	return true
}

// webRoute puts the signing pages' guards in front of h: the per-address limit (webLimited),
// then, for a change (POST), the refusal of a cross-site request with 403 before anything is
// read or looked up.
func (s *Server) webRoute(html bool, h func(w http.ResponseWriter, r *http.Request, c *call) error) func(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.webLimited(html, func(w http.ResponseWriter, r *http.Request, c *call) error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && s.crossSite(r) {
			dropBody(w)
			return sync.Refuse(http.StatusForbidden, "cross_site", "跨站请求被拒绝：签署页的操作只能从本站的签署页面发起")
		}
		return h(w, r, c)
	})
}

const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// writePage writes an HTML page (or the Chinese error page of err).
func writePage(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	w.Write(body)
}

// pageError writes the Chinese error page of a refusal; other errors go up.
func pageError(w http.ResponseWriter, err error) error {
	var ref *sync.Refusal
	if errors.As(err, &ref) {
		writePage(w, ref.Status, websign.ErrorPage(ref.Status, ref.Message))
		return nil
	}
	return err
}

func (s *Server) handleWebAsset(w http.ResponseWriter, r *http.Request, _ *call) error {
	b, ct, ok := websign.Asset(r.PathValue("file"))
	if !ok || strings.HasSuffix(r.PathValue("file"), ".html") {
		return sync.Refuse(http.StatusNotFound, "not_found", "文件不存在")
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(b)
	return nil
}

// handleSignPage serves the signing page of a link that may still be opened, with the LOGO of
// the contract's sender enterprise in its header when it has one.
func (s *Server) handleSignPage(w http.ResponseWriter, r *http.Request, _ *call) error {
	tok := r.PathValue("token")
	lg, err := s.web.SenderLogo(r.Context(), tok, false)
	var logo *websign.Logo
	switch {
	case err == nil:
		logo = &lg
	case websign.IsNoLogo(err):
	default:
		return pageError(w, err)
	}
	b, err := websign.SignPage("/s/"+tok, logo)
	if err != nil {
		return err
	}
	writePage(w, http.StatusOK, b)
	return nil
}

// handleSignLogo serves the LOGO of the enterprise that sent the link's contract (the link's
// scope: no other enterprise's LOGO is reachable from it). The PNG is the one core/org
// re-encoded, served as image/png that a browser may not sniff or run as anything else; the
// page's URL carries the LOGO's hash, so a browser keeps it a day (private: the URL holds the
// link's token) and revalidates with its ETag.
func (s *Server) handleSignLogo(w http.ResponseWriter, r *http.Request, _ *call) error {
	lg, err := s.web.SenderLogo(r.Context(), r.PathValue("token"), true)
	if err != nil {
		return pageError(w, err)
	}
	etag := `"` + lg.SHA256 + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Referrer-Policy", "no-referrer")
	if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == etag || strings.Contains(inm, etag)) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "image/png")
	h.Set("Content-Disposition", `inline; filename="logo.png"`)
	h.Set("Content-Length", strconv.Itoa(len(lg.PNG)))
	w.WriteHeader(http.StatusOK)
	w.Write(lg.PNG)
	return nil
}

// readPageJSON reads a JSON body of the pages' calls: application/json only (a cross-site form
// cannot send it), at most websign.MaxBody.
func readPageJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return sync.Refuse(http.StatusUnsupportedMediaType, "bad_content_type", "请求须为 JSON")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, websign.MaxBody+1))
	if err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_request", "读取请求失败")
	}
	if len(body) > websign.MaxBody {
		// Read what a browser still sends (bounded) so that it sees this answer, not a reset.
		n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, 64<<20))
		return sync.Refuse(http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("上传内容过大：签名数据不能超过 %d MB（本次约 %.1f MB），请清除后重新书写", websign.MaxBody>>20, float64(int64(len(body))+n)/(1<<20)))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_json", "请求格式不正确")
	}
	return nil
}

func sessionOf(r *http.Request) string {
	if c, err := r.Cookie(signCookie); err == nil {
		return c.Value
	}
	return ""
}

func (s *Server) handleSignCode(w http.ResponseWriter, r *http.Request, _ *call) error {
	var in struct {
		Purpose string `json:"purpose"`
	}
	if err := readPageJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.web.SendCode(r.Context(), r.PathValue("token"), sessionOf(r), in.Purpose)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) handleSignLogin(w http.ResponseWriter, r *http.Request, _ *call) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := readPageJSON(w, r, &in); err != nil {
		return err
	}
	tok := r.PathValue("token")
	sess, err := s.web.Login(r.Context(), tok, in.Code)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: signCookie, Value: sess, Path: "/s/" + tok, MaxAge: int(websign.SessionTTL.Seconds()),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

func (s *Server) handleSignState(w http.ResponseWriter, r *http.Request, _ *call) error {
	st, err := s.web.State(r.Context(), r.PathValue("token"), sessionOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) handleSignPageImage(w http.ResponseWriter, r *http.Request, _ *call) error {
	n, err1 := strconv.Atoi(r.PathValue("n"))
	p, err2 := strconv.Atoi(r.PathValue("p"))
	if err1 != nil || err2 != nil || n < 0 || p < 0 {
		return pageError(w, sync.Refuse(http.StatusNotFound, "not_found", "页码须为正整数"))
	}
	sha, pages, load, err := s.web.DocumentRef(r.Context(), r.PathValue("token"), sessionOf(r), n)
	if err != nil {
		return pageError(w, err)
	}
	png, err := s.pages.Page(r.Context(), sha, pages, p, load)
	if err != nil {
		return pageError(w, err)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=600")
	w.Write(png)
	return nil
}

func device(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > 160 {
		ua = ua[:160]
	}
	return strings.ToValidUTF8(ua, "")
}

func (s *Server) handleSignDecline(w http.ResponseWriter, r *http.Request, _ *call) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := readPageJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.web.Decline(r.Context(), r.PathValue("token"), sessionOf(r), in.Reason, "网页签署 · "+device(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": e.Status})
	return nil
}

func (s *Server) handleSignSealCode(w http.ResponseWriter, r *http.Request, _ *call) error {
	var in struct {
		EnterpriseID string `json:"enterprise_id"`
		SealID       string `json:"seal_id"`
	}
	if err := readPageJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.web.SealCode(r.Context(), r.PathValue("token"), sessionOf(r), in.EnterpriseID, in.SealID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) handleSignSign(w http.ResponseWriter, r *http.Request, _ *call) error {
	var in websign.SignRequest
	if err := readPageJSON(w, r, &in); err != nil {
		return err
	}
	e, err := s.web.Sign(r.Context(), r.PathValue("token"), sessionOf(r), in, device(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": e.Status})
	return nil
}

func (s *Server) handlePadPage(w http.ResponseWriter, r *http.Request, _ *call) error {
	if err := s.web.CheckPad(r.Context(), r.PathValue("token")); err != nil {
		return pageError(w, err)
	}
	b, _, _ := websign.Asset("pad.html")
	writePage(w, http.StatusOK, b)
	return nil
}

func (s *Server) handlePadSubmit(w http.ResponseWriter, r *http.Request, _ *call) error {
	var in struct {
		Strokes json.RawMessage `json:"strokes"`
	}
	if err := readPageJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.web.SubmitPad(r.Context(), r.PathValue("token"), in.Strokes, device(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

// handleNewPad makes a phone pad for the caller (重新获取二维码 voids the previous one) and
// returns its URL with the QR code as a PNG.
func (s *Server) handleNewPad(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.web.NewPad(r.Context(), c.account.ID)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(t.URL, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.SignaturePad{URL: t.URL, Expires: t.Expires, QRPNG: base64.StdEncoding.EncodeToString(png)})
	return nil
}
