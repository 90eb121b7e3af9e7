package ui

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	stdsync "sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/keystore"
	"sealdesk/core/pki"
	"sealdesk/core/sign"
	"sealdesk/core/tsa"
)

// contractSigner is signing a received contract (manual 004 §7.1): the contract's documents in
// the 本机签署 view, where only the signer's own fields can be chosen; 点击开始签署 goes to the next
// of them, the counter shows signed / needed, 追加印章 adds a box anywhere, 拒签 refuses with a
// reason, and 立即提交 asks for the signing PIN, signs every field with the device key (one
// incremental update each, so every earlier signature stays valid) and uploads each signed
// document. The server checks each upload (core/verify) and refuses anything else. Without a
// network the signed documents wait in the outbox and are uploaded when the server is back.
type contractSigner struct {
	p   *contractsPane
	env api.Envelope
	me  int

	sign       *signScreen
	docSel     *widget.Select
	counter    *widget.Label
	backBtn    *widget.Button
	startBtn   *widget.Button // 点击开始签署
	appendBtn  *widget.Button // 追加印章
	declineBtn *widget.Button
	submitBtn  *widget.Button // 立即提交
	root       fyne.CanvasObject

	docs   []int          // the documents, the signer's own first
	files  map[int]string // the downloaded current version of each document
	added  map[int][]*signTarget
	doc    int // the document shown (-1 before)
	done   int // fields signed in this submission
	needed int
	busy   bool

	sealNote *widget.Label   // a company recipient: which seals, or why none
	pinEntry *widget.Entry   // the PIN dialog's entry shown last (tests)
	codeDlg  *sealCodeDialog // the open code dialog of a company recipient (tests answer it)
	codeSess *entSealSession // what that dialog signs with
}

func newContractSigner(p *contractsPane, env api.Envelope) *contractSigner {
	v := &contractSigner{p: p, env: env, me: env.YourRecipient, files: map[int]string{}, added: map[int][]*signTarget{}, doc: -1}
	v.sign = newSignScreen(p.shell)
	v.sign.openBtn.Hide()
	v.sign.signBtn.Hide()
	v.sign.why.Hide()
	v.sign.checkBtn.Hide()
	prefix := ""
	if v.me >= 0 && v.me < len(env.Recipients) {
		prefix = env.Recipients[v.me].Prefix
	}
	if prefix == "" {
		prefix = fmt.Sprintf("R%d.", v.me+1)
	}
	v.sign.mine = func(field string) bool { return strings.HasPrefix(field, prefix) }
	v.sign.onTargets = v.updateCounter
	v.sign.addItem.Label = tr("csign.append")
	v.sign.addItem.Refresh()
	if co := v.company(); co != "" {
		// A company recipient seals with the company's seals granted to them (server-held keys).
		v.sign.entFor = co
		v.sign.entLoaded = v.onSealsLoaded
		v.sign.keyBox.Hide()
		v.sign.image.PlaceHolder = tr("csign.company.placeholder")
		v.sign.entGen++ // the seals come with the documents (start), not from newSignScreen's load
		v.sign.refreshImages()
	}

	// the signer's own documents first
	for _, d := range env.Documents {
		if len(d.Fields[v.me]) > 0 {
			v.docs = append(v.docs, d.Index)
		}
	}
	for _, d := range env.Documents {
		if len(d.Fields[v.me]) == 0 {
			v.docs = append(v.docs, d.Index)
		}
	}
	var names []string
	for _, i := range v.docs {
		names = append(names, fmt.Sprintf("%d. %s", i+1, env.Documents[i].Name))
	}
	v.docSel = newSelect(names, func(string) { v.onDocSelected() })
	v.counter = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.counter.Importance = widget.HighImportance
	v.backBtn = widget.NewButtonWithIcon(tr("contracts.back"), theme.NavigateBackIcon(), func() { p.showDetail(v.env, "") })
	v.startBtn = widget.NewButtonWithIcon(tr("csign.start"), theme.NavigateNextIcon(), v.onStartTapped)
	v.appendBtn = widget.NewButtonWithIcon(tr("csign.append"), theme.ContentAddIcon(), v.sign.onAddTapped)
	v.declineBtn = widget.NewButtonWithIcon(tr("contracts.decline"), theme.CancelIcon(), v.onDeclineTapped)
	v.submitBtn = widget.NewButtonWithIcon(tr("csign.submit"), theme.ConfirmIcon(), v.onSubmitTapped)
	v.submitBtn.Importance = widget.HighImportance
	title := widget.NewLabelWithStyle(env.Subject, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	bar1 := container.NewBorder(nil, nil, container.NewHBox(v.backBtn, v.docSel), v.counter, title)
	bar2 := container.NewHBox(v.startBtn, v.appendBtn, v.declineBtn, v.submitBtn)
	v.sealNote = widget.NewLabel("")
	v.sealNote.Wrapping = fyne.TextWrapWord
	v.sealNote.Hide()
	v.root = container.NewBorder(container.NewVBox(bar1, bar2, v.sealNote, widget.NewSeparator()), nil, nil, nil, v.sign.Content())
	for _, d := range env.Documents {
		v.needed += len(d.Fields[v.me])
	}
	v.updateCounter()
	return v
}

// start downloads the current version of every document, then shows the first.
func (v *contractSigner) start() {
	c := v.p.shell.client()
	if c == nil {
		return
	}
	dir := v.p.cacheDir(v.env.ID)
	env := v.env
	company := v.company()
	v.setBusy(true, tr("contracts.downloading"))
	v.sign.wg.Add(1)
	go func() {
		defer v.sign.wg.Done()
		var seals []entChoice
		var note string
		var sealErr error
		if company != "" {
			// The company's seals granted to the user, read here so that one worker at a time
			// hands results to the UI.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			seals, note, sealErr = fetchEntSeals(ctx, c, "", company)
			cancel()
		}
		files := map[int]string{}
		err := os.MkdirAll(dir, 0o700)
		for _, d := range env.Documents {
			if err != nil {
				break
			}
			var b []byte
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			b, err = c.EnvelopeDocument(ctx, env.ID, d.Index, client.VersionCurrent)
			cancel()
			if err == nil {
				out := filepath.Join(dir, fmt.Sprintf("%d-current.pdf", d.Index))
				err = writeFileAtomic(out, b)
				files[d.Index] = out
			}
		}
		uiDoWait(func() {
			v.setBusy(false, "")
			if err != nil {
				v.sign.status.SetText(tr("contracts.err.download", map[string]any{"Reason": errMessage(err)}))
				return
			}
			if company != "" {
				v.sign.applyEntSeals(seals, note, sealErr)
			}
			v.files = files
			if len(v.docs) > 0 {
				v.docSel.SetSelectedIndex(0)
			}
		})
	}()
}

func (v *contractSigner) setBusy(on bool, text string) {
	v.busy = on
	for _, b := range []*widget.Button{v.startBtn, v.appendBtn, v.declineBtn, v.submitBtn} {
		if on {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	if on {
		v.sign.status.SetText(text)
		v.sign.progress.Bar.Show()
	} else {
		v.sign.progress.Stop()
	}
}

// keepAdded keeps the new boxes of the document shown.
func (v *contractSigner) keepAdded() {
	if v.doc < 0 {
		return
	}
	var ts []*signTarget
	for _, t := range v.sign.targets {
		if t.isNew {
			ts = append(ts, t)
		}
	}
	v.added[v.doc] = ts
}

func (v *contractSigner) onDocSelected() {
	i := v.docSel.SelectedIndex()
	if i < 0 || i >= len(v.docs) {
		return
	}
	v.showDoc(v.docs[i], nil)
}

// showDoc opens document n (with its added boxes) and then runs then.
func (v *contractSigner) showDoc(n int, then func()) {
	if n == v.doc && v.sign.doc != nil {
		if then != nil {
			then()
		}
		return
	}
	v.keepAdded()
	path, ok := v.files[n]
	if !ok {
		return
	}
	v.doc = n
	for k, d := range v.docs {
		if d == n && v.docSel.SelectedIndex() != k {
			v.docSel.SetSelectedIndex(k)
			return // onDocSelected shows it
		}
	}
	v.sign.refreshImages()
	v.sign.open(path, func() {
		for _, t := range v.added[n] {
			v.sign.addTarget(&signTarget{page: t.page, rect: t.rect, isNew: true})
		}
		v.sign.overlay.Refresh()
		v.updateCounter()
		v.sign.status.SetText(tr("csign.opened", map[string]any{"Name": v.env.Documents[n].Name, "Count": v.remainingIn()}))
		if then != nil {
			then()
		}
	})
}

// remainingIn counts the signer's empty fields and new boxes in the document shown.
func (v *contractSigner) remainingIn() int {
	n := 0
	for _, t := range v.sign.targets {
		if !t.signed && !t.other {
			n++
		}
	}
	return n
}

// updateCounter shows 已签 signed / needed: the signer's fields placed by the sender plus the
// boxes added here.
func (v *contractSigner) updateCounter() {
	added := 0
	v.keepAdded()
	for _, ts := range v.added {
		added += len(ts)
	}
	v.counter.SetText(tr("csign.counter", map[string]any{"Signed": v.done, "Needed": v.needed + added}))
}

// onStartTapped (点击开始签署) selects the next of the signer's empty fields, in this document or
// the next one that has any, and brings it into view.
func (v *contractSigner) onStartTapped() {
	// the next after the selected one in this document
	found := false
	for _, t := range v.sign.targets {
		if t.signed || t.other {
			continue
		}
		if found || v.sign.selected == nil {
			v.reveal(t)
			return
		}
		found = t == v.sign.selected
	}
	// the first of a later document with fields of the signer
	for k, n := range v.docs {
		if n == v.doc || len(v.env.Documents[n].Fields[v.me]) == 0 {
			continue
		}
		if k > indexOf(v.docs, v.doc) || v.doc < 0 {
			v.showDoc(n, func() {})
			return
		}
	}
	// back to the first of this document
	for _, t := range v.sign.targets {
		if !t.signed && !t.other {
			v.reveal(t)
			return
		}
	}
	v.sign.status.SetText(tr("csign.none"))
}

func indexOf(xs []int, x int) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

func (v *contractSigner) reveal(t *signTarget) {
	v.sign.selectTarget(t)
	v.sign.reveal = t
	v.sign.overlay.Refresh()
	v.sign.status.SetText(tr("csign.at", map[string]any{"Name": fieldLabel(t.field)}))
}

func (v *contractSigner) onDeclineTapped() {
	v.p.askReason(tr("contracts.decline.title"), tr("contracts.decline"), func(reason string) {
		c := v.p.shell.client()
		if c == nil {
			return
		}
		key := client.NewIdempotencyKey()
		v.setBusy(true, tr("contracts.working"))
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			env, err := c.Decline(ctx, key, v.env.ID, reason)
			uiDoWait(func() {
				v.setBusy(false, "")
				if err != nil {
					v.sign.status.SetText(errMessage(err))
					return
				}
				v.p.showDetail(env, tr("contracts.declined"))
				v.p.shell.contractsChanged()
			})
		}()
	})
}

// plan lists what 立即提交 signs: per document (in order) the signer's empty fields and the
// boxes added, read from the downloaded files.
func (v *contractSigner) plan() (map[int][]*signTarget, int, error) {
	v.keepAdded()
	out := map[int][]*signTarget{}
	total := 0
	for _, n := range v.docs {
		all, err := documentFields(v.files[n])
		if err != nil {
			return nil, 0, err
		}
		for _, t := range all {
			if !t.signed && v.sign.mine(t.field) {
				out[n] = append(out[n], t)
			}
		}
		out[n] = append(out[n], v.added[n]...)
		total += len(out[n])
	}
	return out, total, nil
}

// onSubmitTapped (立即提交) checks there is something to sign and an image for it, then asks for
// the PIN.
func (v *contractSigner) onSubmitTapped() {
	if v.busy {
		return
	}
	plan, total, err := v.plan()
	if err != nil {
		v.sign.status.SetText(errMessage(err))
		return
	}
	if total == 0 {
		v.sign.status.SetText(tr("csign.nothing"))
		return
	}
	if v.company() != "" {
		v.onSealSubmitTapped(total)
		return
	}
	img := v.sign.selectedImage()
	for _, ts := range plan {
		for _, t := range ts {
			if img == nil && !isDateField(t.field) {
				v.sign.status.SetText(tr("csign.noimage"))
				return
			}
		}
	}
	in, ok := v.sign.keyInfo()
	if !ok || in.Certificate == nil {
		v.sign.status.SetText(tr("sign.why.nokey"))
		return
	}
	pin, item := secretItem(in)
	d := dialog.NewForm(tr("csign.pin.title"), tr("csign.submit"), tr("common.cancel"), []*widget.FormItem{item}, func(ok bool) {
		if ok {
			v.Submit(pin.Text)
		}
	}, v.p.shell.Window)
	d.Resize(fyne.NewSize(420, 200))
	d.Show()
	v.p.shell.Window.Canvas().Focus(pin)
	v.pinEntry = pin
}

// Submit signs every planned mark with the device key opened by pin and uploads the documents,
// in the background (立即提交 after its PIN dialog; tests call it).
func (v *contractSigner) Submit(pin string) {
	in, ok := v.sign.keyInfo()
	if !ok {
		return
	}
	ks := v.sign.local.Keys
	v.signAndUpload(tr("sign.pin.checking"), func(ctx context.Context, c *client.Client) (signerFor, signIdentity, error) {
		signer, err := ks.Unlock(in.ID, pin)
		if err != nil {
			return nil, signIdentity{}, err
		}
		got, err := serverCertificate(ctx, c, ks, in, pin)
		switch {
		case err == nil:
			in = got
		case isOffline(err) && in.Certificate != nil:
			// Offline: sign with the key's certificate as it is; the server checks it when the
			// signed document goes up (a refusal is kept in the outbox and shown).
		default:
			return nil, signIdentity{}, err
		}
		return func(string) (crypto.Signer, error) { return signer, nil }, signIdentity{in: in, name: in.Certificate.Subject.CommonName}, nil
	})
}

// signerFor gives the signer of one mark on the document at path (its current bytes).
type signerFor func(path string) (crypto.Signer, error)

// signIdentity is the certificate (and chain) and /Name of the signatures of a submission.
type signIdentity struct {
	in   keystore.Info
	name string
}

// signAndUpload signs every planned mark with what prepare opens (in the background) and
// uploads each signed document; without a network the signed documents wait in the outbox.
func (v *contractSigner) signAndUpload(busyText string, prepare func(ctx context.Context, c *client.Client) (signerFor, signIdentity, error)) {
	plan, total, err := v.plan()
	if err != nil || total == 0 {
		return
	}
	img := v.sign.selectedImage()
	c := v.p.shell.client()
	if c == nil {
		v.sign.status.SetText(tr("compose.err.nosession"))
		return
	}
	env, docs, files := v.env, append([]int(nil), v.docs...), v.files
	dir := v.p.cacheDir(env.ID)
	outbox := v.p.shell.outbox()
	v.setBusy(true, busyText)
	v.sign.wg.Add(1)
	go func() {
		defer v.sign.wg.Done()
		progress := func(done int) {
			uiDo(func() {
				v.done = done
				v.updateCounter()
				v.sign.status.SetText(tr("csign.signing", map[string]any{"Done": done, "Total": total}))
			})
		}
		var result api.Envelope
		queued, stampsDue := 0, 0
		err := func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			signerOf, id, err := prepare(ctx, c)
			if err != nil {
				return err
			}
			ts := tsa.Timestamper(&tsa.Client{URL: c.TSAURL(), HTTP: c.HTTP})
			done := 0
			for _, n := range docs {
				ts0 := plan[n]
				if len(ts0) == 0 {
					continue
				}
				path := files[n]
				unstamped := false // a mark signed without the TSA (offline): 待加时间戳
				if first, err := signerOf(path); err != nil {
					return err
				} else if ss, isSeal := first.(*serverSeal); isSeal {
					// The company's seal: the server seals its own current version of the
					// document with every mark in one request (the code covers them all).
					var all []*sign.Options
					for _, t := range ts0 {
						opts, err := markOptions(path, t, img, id.in)
						if err != nil {
							return err
						}
						all = append(all, opts)
					}
					out := filepath.Join(dir, fmt.Sprintf("%d-sealed-%d.pdf", n, time.Now().UnixNano()))
					if err := sealWithServer(ctx, ss, path, out, n, all); err != nil {
						return err
					}
					path = out
					done += len(ts0)
					progress(done)
					ts0 = nil
				}
				for k, t := range ts0 {
					opts, err := markOptions(path, t, img, id.in)
					if err != nil {
						return err
					}
					opts.Name = id.name
					signer, err := signerOf(path)
					if err != nil {
						return err
					}
					out := filepath.Join(dir, fmt.Sprintf("%d-signed-%d-%d.pdf", n, time.Now().UnixNano(), k))
					stamped, err := signWithSigner(ctx, signer, path, out, opts, ts)
					if err != nil {
						return err
					}
					unstamped = unstamped || !stamped
					path = out
					done++
					progress(done)
				}
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				item := outboxItem{Envelope: env.ID, Document: n, Path: path, Key: revisionKey(b), NeedsTimestamp: unstamped}
				e, err := c.UploadRevision(ctx, item.Key, env.ID, n, b)
				if err != nil && isOffline(err) && outbox != nil {
					if qerr := outbox.put(item); qerr != nil {
						return qerr
					}
					queued++
					if item.NeedsTimestamp {
						stampsDue++
					}
					continue
				}
				if err != nil {
					return err
				}
				result = e
			}
			return nil
		}()
		uiDoWait(func() {
			v.setBusy(false, "")
			v.sign.refreshKey()
			if err != nil {
				v.done = 0
				v.updateCounter()
				v.sign.status.SetText(tr("csign.failed", map[string]any{"Reason": errMessage(err)}))
				return
			}
			if queued > 0 {
				v.sign.status.SetText(tr("csign.queued", map[string]any{"Count": queued}))
				if stampsDue > 0 {
					v.sign.status.SetText(tr("csign.queued.tsa", map[string]any{"Count": queued}))
				}
				return
			}
			v.p.showDetail(result, tr("csign.done"))
			v.p.shell.contractsChanged()
		})
	}()
}

// ----- a company recipient: the enterprise's seal -----

// company is the company this signer signs for ("" for a person).
func (v *contractSigner) company() string {
	if v.me < 0 || v.me >= len(v.env.Recipients) || v.env.Recipients[v.me].Kind != api.RecipientCompany {
		return ""
	}
	return strings.TrimSpace(v.env.Recipients[v.me].Company)
}

// onSealsLoaded says, above the document, which seals the company recipient may use, or why
// none.
func (v *contractSigner) onSealsLoaded() {
	v.sealNote.Show()
	if v.sign.entNote != "" {
		v.sealNote.Importance = widget.DangerImportance
		v.sealNote.SetText(v.sign.entNote)
		return
	}
	v.sealNote.Importance = widget.MediumImportance
	v.sealNote.SetText(tr("csign.company.seals", map[string]any{"Company": v.company(), "Count": len(v.sign.ent)}))
}

// onSealSubmitTapped (立即提交 of a company recipient) asks the server for one code bound to
// this contract for every mark to sign, then for the code.
func (v *contractSigner) onSealSubmitTapped(total int) {
	ch := v.sign.selectedEnt()
	if ch == nil {
		if v.sign.entNote != "" {
			v.sign.status.SetText(v.sign.entNote)
		} else {
			v.sign.status.SetText(tr("csign.company.choose", map[string]any{"Company": v.company()}))
		}
		return
	}
	if total > api.MaxCodeSignatures {
		v.sign.status.SetText(tr("csign.company.toomany", map[string]any{"Max": api.MaxCodeSignatures, "Count": total}))
		return
	}
	c := v.p.shell.client()
	if c == nil {
		v.sign.status.SetText(tr("compose.err.nosession"))
		return
	}
	choice, envID := *ch, v.env.ID
	sess := &entSealSession{choice: choice}
	v.setBusy(true, tr("sign.ent.codeasking"))
	v.sign.wg.Add(1)
	go func() {
		defer v.sign.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := func() error {
			me, err := c.Me(ctx)
			if err != nil {
				return err
			}
			sess.member = me.Name
			det, err := c.Seal(ctx, choice.eid, choice.seal.ID)
			if err != nil {
				return err
			}
			if sess.cert, sess.chain, err = client.SealCertificates(det); err != nil {
				return err
			}
			sess.ticket, err = c.SealCodeFor(ctx, choice.eid, choice.seal.ID, api.SealCodeRequest{ContractID: envID, Signatures: total})
			return err
		}()
		uiDoWait(func() {
			v.setBusy(false, "")
			if err != nil {
				v.sign.status.SetText(tr("csign.failed", map[string]any{"Reason": errMessage(err)}))
				return
			}
			v.askSealCode(sess)
		})
	}()
}

// askSealCode shows the code dialog of a company recipient's submission.
func (v *contractSigner) askSealCode(sess *entSealSession) {
	code := widget.NewEntry()
	code.Validator = func(s string) error {
		s = strings.TrimSpace(s)
		if len(s) != 6 || strings.Trim(s, "0123456789") != "" {
			return errSealCode
		}
		return nil
	}
	item := widget.NewFormItem(tr("sign.ent.code"), code)
	item.HintText = tr("csign.company.code.sent", map[string]any{"To": sess.ticket.To, "Minutes": max(1, int(time.Until(sess.ticket.Expires).Minutes()+0.5)),
		"Count": sess.ticket.Signatures})
	d := dialog.NewForm(tr("sign.ent.code.title", map[string]any{"Name": sess.choice.seal.Name}), tr("csign.submit"), tr("common.cancel"),
		[]*widget.FormItem{item}, func(ok bool) {
			v.codeDlg = nil
			if ok {
				v.SubmitSeal(sess, code.Text)
			}
		}, v.p.shell.Window)
	d.Resize(fyne.NewSize(460, 220))
	v.codeDlg = &sealCodeDialog{d: d, code: code}
	v.codeSess = sess
	d.Show()
	v.p.shell.Window.Canvas().Focus(code)
}

// SubmitSeal has the server seal every planned mark with the company's seal — on its own copy of
// each document's current version, all the marks of a document in one request, with the one
// code and the member's name in /Name — and uploads the sealed documents (立即提交 after the
// code dialog; tests call it).
func (v *contractSigner) SubmitSeal(sess *entSealSession, code string) {
	code = strings.TrimSpace(code)
	envID := v.env.ID
	v.signAndUpload(tr("sign.ent.signing"), func(ctx context.Context, c *client.Client) (signerFor, signIdentity, error) {
		return func(path string) (crypto.Signer, error) {
				return &serverSeal{Client: c, EnterpriseID: sess.choice.eid, SealID: sess.choice.seal.ID, Cert: sess.cert,
					CodeID: sess.ticket.CodeID, Code: code, ContractID: envID, Device: deviceName()}, nil
			}, signIdentity{in: keystore.Info{Certificate: sess.cert, Chain: sess.chain}, name: sess.member},
			nil
	})
}

// serverCertificate makes sure the device key carries a certificate the connected server issued
// to the signed-in account (the server accepts a contract's signature only from such a key): when
// its certificate is not one of the account's, a new one is requested for the same key (the PIN
// opens it for the request) and kept with the key.
func serverCertificate(ctx context.Context, c *client.Client, ks *keystore.Keystore, in keystore.Info, pin string) (keystore.Info, error) {
	list, err := c.Certificates(ctx)
	if err != nil {
		return in, err
	}
	if in.Certificate != nil {
		serial := strings.ToLower(in.Certificate.SerialNumber.Text(16))
		for _, ci := range list {
			if strings.ToLower(ci.Serial) == serial && !ci.Revoked && time.Now().Before(ci.NotAfter) {
				return in, nil
			}
		}
	}
	name := ""
	if in.Certificate != nil {
		name = in.Certificate.Subject.CommonName
	}
	csr, err := ks.CSR(in.ID, pin, pkix.Name{CommonName: name})
	if err != nil {
		return in, err
	}
	resp, err := c.RequestCertificate(ctx, csr)
	if err != nil {
		return in, err
	}
	chain, err := pki.ParseCertsPEM([]byte(resp.Certificate + "\n" + resp.Chain))
	if err != nil {
		return in, err
	}
	if err := ks.SetCertificate(in.ID, chain); err != nil {
		return in, err
	}
	return ks.Info(in.ID)
}

// revisionKey is the idempotency key of uploading a signed revision: its SHA-256, so the same
// bytes uploaded again (a retry, the outbox after a crash) are the same command.
func revisionKey(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// isOffline reports whether err means the server could not be reached (not a refusal).
func isOffline(err error) bool {
	var e *client.Error
	return err != nil && !errors.As(err, &e)
}

// ----- the outbox of signed revisions -----

// outboxItem is a signed revision waiting to be uploaded.
type outboxItem struct {
	// ID names the item's file in the outbox (the first Key: it stays when a timestamp changes
	// the bytes and so the key).
	ID       string `json:"id,omitempty"`
	Envelope string `json:"envelope"`
	Document int    `json:"document"`
	Path     string `json:"path"`
	Key      string `json:"key"`
	Error    string `json:"error,omitempty"` // the server's refusal, kept to be shown
	// NeedsTimestamp (待加时间戳): a signature was made without the TSA (offline); a document
	// timestamp from the server's TSA is added before the upload, and the mark cleared.
	NeedsTimestamp bool `json:"needs_timestamp,omitempty"`
}

func (it outboxItem) file() string {
	if it.ID != "" {
		return it.ID
	}
	return it.Key
}

// signOutbox keeps signed revisions made offline in the data folder's outbox/ until the server
// takes them.
type signOutbox struct{ dir string }

func (s *Shell) outbox() *signOutbox {
	if d := s.profileDir(); d != "" {
		return &signOutbox{dir: filepath.Join(d, "outbox")}
	}
	return nil
}

func (o *signOutbox) put(it outboxItem) error {
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return err
	}
	if it.ID == "" {
		it.ID = it.Key
	}
	b, _ := json.Marshal(it)
	return writeFileAtomic(filepath.Join(o.dir, it.ID+".json"), b)
}

// outboxMu serializes flushes (the watcher's after a reconnect, a test's): an item is
// timestamped and uploaded once.
var outboxMu stdsync.Mutex

// timestamp adds a document timestamp from the server's TSA to the signed revision of it (a
// signature made offline) in a new file beside it, and clears the mark (待加时间戳) in the outbox.
// A TSA that cannot be reached is an offline error: the item waits for the next flush.
func (o *signOutbox) timestamp(ctx context.Context, c *client.Client, it outboxItem) (outboxItem, error) {
	out := strings.TrimSuffix(it.Path, ".pdf") + "-tsa.pdf"
	ts := tsa.Timestamper(&tsa.Client{URL: c.TSAURL(), HTTP: c.HTTP})
	if _, err := sign.Upgrade(ctx, it.Path, out, &sign.UpgradeOptions{Level: sign.LevelBLTA, Timestamper: ts}); err != nil {
		return it, err
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return it, err
	}
	it.ID = it.file()
	it.Path, it.Key, it.NeedsTimestamp = out, revisionKey(b), false
	return it, o.put(it)
}

// items lists what waits (refused ones included, with their error).
func (o *signOutbox) items() []outboxItem {
	ents, _ := os.ReadDir(o.dir)
	var out []outboxItem
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(o.dir, e.Name()))
		var it outboxItem
		if err == nil && json.Unmarshal(b, &it) == nil {
			out = append(out, it)
		}
	}
	return out
}

// flush uploads what waits; a refusal is kept with its message (shown, never lost), a network
// failure stops the flush until the next one. It reports how many were uploaded.
func (o *signOutbox) flush(ctx context.Context, c *client.Client) int {
	outboxMu.Lock()
	defer outboxMu.Unlock()
	n := 0
	for _, it := range o.items() {
		if it.Error != "" {
			continue
		}
		if it.NeedsTimestamp {
			var err error
			if it, err = o.timestamp(ctx, c, it); err != nil {
				var ne net.Error
				if errors.As(err, &ne) || ctx.Err() != nil {
					return n // the TSA is not reachable yet
				}
				it.Error = errMessage(err)
				o.put(it)
				continue
			}
		}
		b, err := os.ReadFile(it.Path)
		if err != nil {
			it.Error = errMessage(err)
			o.put(it)
			continue
		}
		_, err = c.UploadRevision(ctx, it.Key, it.Envelope, it.Document, b)
		if isOffline(err) {
			return n
		}
		if err != nil {
			it.Error = errMessage(err)
			o.put(it)
			continue
		}
		os.Remove(filepath.Join(o.dir, it.file()+".json"))
		n++
	}
	return n
}
