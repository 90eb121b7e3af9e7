package ui

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/sign"
)

// 本机签署 with an enterprise seal: the seal box offers, after the seals of 我的印章, the seals of
// the enterprise the user works in that they may use now (the server says which). Choosing one
// needs no personal key: 签署并保存 asks the server for a one-time code, asks the user to type
// it, then has the server seal the file (serverSeal: the file goes to the server, which prepares
// and signs the seal signature itself and keeps only the file's hash; it signs no digest from a
// desktop) with the member's name in /Name so that 文件验签 shows the enterprise and who used
// its seal.

// entChoice is an enterprise seal offered in the seal box.
type entChoice struct {
	eid  string
	seal api.SealView
	item LibraryItem // the seal's image as the box shows it
}

// entSealSession is what an enterprise seal signature needs, gathered before the code dialog.
type entSealSession struct {
	choice entChoice
	cert   *x509.Certificate
	chain  []*x509.Certificate
	member string // the signer's name, written to /Name
	ticket api.SealCodeTicket
	docSum string
}

// loadEntSeals reads the usable seals of the current enterprise in the background and offers
// them in the seal box. When the screen signs for a company (entFor: a company recipient of a
// contract, contractsign.go) it reads the seals of the enterprise of that name the user belongs
// to instead, and says in entNote why none can be offered (not a member, disabled, no grant).
func (v *signScreen) loadEntSeals() {
	v.entGen++
	gen := v.entGen
	conn := v.shell.Services.Conn
	company := v.entFor
	if conn == nil || conn.Client() == nil || (conn.Context() == "" && company == "") {
		if len(v.ent) > 0 {
			v.ent = nil
			v.refreshImages()
			v.updateSignable()
		}
		return
	}
	c, eid := conn.Client(), conn.Context()
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, note, err := fetchEntSeals(ctx, c, eid, company)
		uiDoWait(func() {
			if gen == v.entGen {
				v.applyEntSeals(out, note, err)
			} // else a later load (another enterprise, another company) decides
		})
	}()
}

// fetchEntSeals reads the seals of enterprise eid — or, when company is set, of the enterprise
// of that name the user belongs to — that the user may use now, with their images. note says
// why a company has none to offer.
func fetchEntSeals(ctx context.Context, c *client.Client, eid, company string) (out []entChoice, note string, err error) {
	if company != "" {
		mine, err := c.MyEnterprises(ctx)
		if err != nil {
			return nil, "", err
		}
		eid = ""
		for _, m := range mine {
			if strings.TrimSpace(m.Enterprise.Name) == strings.TrimSpace(company) {
				eid = m.Enterprise.ID
				if m.Member.Disabled {
					return nil, tr("csign.company.disabled", map[string]any{"Company": company}), nil
				}
			}
		}
		if eid == "" {
			return nil, tr("csign.company.notmember", map[string]any{"Company": company}), nil
		}
	}
	list, err := c.Seals(ctx, eid)
	if err != nil {
		return nil, "", err
	}
	for _, s := range list.Seals {
		if !s.Usable || s.Status != api.SealActive {
			continue
		}
		png, err := c.SealImage(ctx, eid, s.ID)
		if err != nil {
			continue
		}
		out = append(out, entChoice{eid: eid, seal: s, item: LibraryItem{ID: "ent:" + s.ID, Kind: ItemUploadedSeal, Name: s.Name,
			WidthMM: s.WidthMM, HeightMM: s.HeightMM, PNG: png, Created: s.Created}})
	}
	if company != "" && len(out) == 0 {
		note = tr("csign.company.nogrant", map[string]any{"Company": company})
	}
	return out, note, nil
}

// applyEntSeals offers what fetchEntSeals found (on the UI goroutine). An error keeps what the
// box had (offline or refused), except for a company, where it is said.
func (v *signScreen) applyEntSeals(out []entChoice, note string, err error) {
	if err != nil {
		if v.entFor != "" {
			v.entNote = tr("csign.company.failed", map[string]any{"Reason": errMessage(err)})
			v.onEntLoaded()
		}
		return
	}
	v.ent, v.entNote = out, note
	v.refreshImages()
	if v.entFor != "" && len(out) > 0 && v.image.SelectedIndex() < 0 {
		v.image.SetSelectedIndex(0)
	}
	v.updateSignable()
	v.onEntLoaded()
}

// onEntLoaded runs the entLoaded hook, if any.
func (v *signScreen) onEntLoaded() {
	if v.entLoaded != nil {
		v.entLoaded()
	}
}

// selectedEnt returns the enterprise seal chosen in the seal box, if one is.
func (v *signScreen) selectedEnt() *entChoice {
	i := v.image.SelectedIndex() - v.libraryCount
	if v.image.SelectedIndex() < 0 || i < 0 || i >= len(v.ent) {
		return nil
	}
	return &v.ent[i]
}

// entOptionName is how an enterprise seal is named in the seal box.
func entOptionName(ch entChoice) string {
	return tr("sign.ent.option", map[string]any{"Name": ch.seal.Name})
}

// onEntSignTapped asks the server for a code for the chosen seal, then for the code.
func (v *signScreen) onEntSignTapped(ch entChoice) {
	conn := v.shell.Services.Conn
	if conn == nil || conn.Client() == nil {
		v.status.SetText(tr("entseal.signin"))
		return
	}
	c, path := conn.Client(), v.path
	sess := &entSealSession{choice: ch}
	v.busy(true, tr("sign.ent.codeasking"))
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		err := func() error {
			doc, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(doc)
			sess.docSum = hex.EncodeToString(sum[:])
			me, err := c.Me(ctx)
			if err != nil {
				return err
			}
			sess.member = me.Name
			det, err := c.Seal(ctx, ch.eid, ch.seal.ID)
			if err != nil {
				return err
			}
			if sess.cert, sess.chain, err = client.SealCertificates(det); err != nil {
				return err
			}
			sess.ticket, err = c.SealCode(ctx, ch.eid, ch.seal.ID)
			return err
		}()
		uiDoWait(func() {
			v.busy(false, "")
			if err != nil {
				v.status.SetText(tr("sign.failed", map[string]any{"Reason": errMessage(err)}))
				return
			}
			v.askSealCode(c, sess)
		})
	}()
}

// askSealCode shows the code dialog; a six-digit code leads to the question where to save.
func (v *signScreen) askSealCode(c *client.Client, sess *entSealSession) {
	code := widget.NewEntry()
	code.Validator = func(s string) error {
		s = strings.TrimSpace(s)
		if len(s) != 6 || strings.Trim(s, "0123456789") != "" {
			return errSealCode
		}
		return nil
	}
	item := widget.NewFormItem(tr("sign.ent.code"), code)
	item.HintText = tr("sign.ent.code.sent", map[string]any{"To": sess.ticket.To, "Minutes": max(1, int(time.Until(sess.ticket.Expires).Minutes()+0.5))})
	d := dialog.NewForm(tr("sign.ent.code.title", map[string]any{"Name": sess.choice.seal.Name}), tr("sign.sign"), tr("common.cancel"),
		[]*widget.FormItem{item}, func(ok bool) {
			v.codeDlg = nil
			if !ok {
				return
			}
			v.entSess = sess
			v.askOutput(&serverSeal{Client: c, EnterpriseID: sess.choice.eid, SealID: sess.choice.seal.ID, Cert: sess.cert,
				CodeID: sess.ticket.CodeID, Code: strings.TrimSpace(code.Text), Device: deviceName()})
		}, v.shell.Window)
	d.Resize(fyne.NewSize(440, 220))
	v.codeDlg = &sealCodeDialog{d: d, code: code}
	d.Show()
	v.shell.Window.Canvas().Focus(code)
}

// sealCodeDialog is the open code dialog (tests type into it and submit).
type sealCodeDialog struct {
	d    *dialog.FormDialog
	code *widget.Entry
}

var errSealCode = sealCodeError{}

type sealCodeError struct{}

func (sealCodeError) Error() string { return tr("sign.ent.code.rule") }

// signIdentity is the certificate, chain and /Name of a signature by signer: an enterprise seal's
// (the seal certificate, the member's name) or the personal key's.
func (v *signScreen) signIdentity(signer crypto.Signer) (cert *x509.Certificate, chain []*x509.Certificate, name string, ok bool) {
	if ss, isSeal := signer.(*serverSeal); isSeal && v.entSess != nil && v.entSess.choice.seal.ID == ss.SealID {
		return v.entSess.cert, v.entSess.chain, v.entSess.member, true
	}
	in, ok := v.keyInfo()
	if !ok || in.Certificate == nil {
		return nil, nil, "", false
	}
	return in.Certificate, in.Chain, in.Certificate.Subject.CommonName, true
}

// deviceName names this computer in the usage log.
func deviceName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "SealDesk"
	}
	return "SealDesk@" + h
}

// serverSeal is an enterprise seal in the server's custody. It is a crypto.Signer only so that
// the signing screens pass it where a key goes: the server seals the document itself
// (sealWithServer) — it signs only what it prepared from the contract's current document, or
// from the file sent to it — and never signs a digest from the desktop.
type serverSeal struct {
	Client       *client.Client
	EnterpriseID string
	SealID       string
	Cert         *x509.Certificate
	// CodeID and Code are the one-time code (SealCode, then what the user typed).
	CodeID, Code string
	ContractID   string
	Device       string
}

func (s *serverSeal) Public() crypto.PublicKey { return s.Cert.PublicKey }

func (s *serverSeal) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("an enterprise seal is applied by the server (sealWithServer), not through a digest")
}

// sealMark describes the signature opts would make as the server's SealMark.
func sealMark(opts *sign.Options) api.SealMark {
	m := api.SealMark{Field: opts.Field, Page: opts.Page, Rect: [4]float64{opts.Rect.X1, opts.Rect.Y1, opts.Rect.X2, opts.Rect.Y2},
		Image: opts.Image, Reason: opts.Reason}
	if cp := opts.CrossPage; cp != nil {
		m.Image = cp.Image
		m.CrossPage = &api.SealCrossPage{Pages: cp.Pages, Width: cp.Width, CenterY: cp.CenterY}
	}
	return m
}

// sealWithServer has the server seal in (document doc of s.ContractID, or a local file) with one
// signature per opts and writes the result to out through a temporary file beside it.
func sealWithServer(ctx context.Context, s *serverSeal, in, out string, doc int, opts []*sign.Options) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	req := api.SealSignRequest{CodeID: s.CodeID, Code: s.Code, ContractID: s.ContractID, Document: doc, Device: s.Device}
	for _, o := range opts {
		req.Marks = append(req.Marks, sealMark(o))
	}
	sealed, _, err := s.Client.SealDocument(ctx, s.EnterpriseID, s.SealID, b, req, 0)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".sealdesk-seal-*.pdf")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(sealed)
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
