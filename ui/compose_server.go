package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/envelope"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/pdf"
	"sealdesk/core/sign"
	"sealdesk/ui/widgets"
)

// The envelope editor's server half: sending (files uploaded content-addressed, then one
// envelope request under an idempotency key kept in the draft, so a retry after a network failure
// never sends twice), syncing drafts, and the enterprise's members to pick from.

// sendTimeout bounds one send (uploads of up to 5 × 10 MB included).
const sendTimeout = 3 * time.Minute

// client is the signed-in API client, or nil.
func (s *Shell) client() *client.Client {
	if s.Services.Conn == nil {
		return nil
	}
	return s.Services.Conn.Client()
}

// boxFieldKinds map the placement editor's boxes to the API's field kinds.
var boxFieldKinds = map[string]string{boxSign: api.FieldSignature, boxSeal: api.FieldSeal, boxDate: api.FieldDate, boxCross: api.FieldCrossPage}

// envelopeRequest builds the request for d (its files read from dir): recipients with their
// phone or e-mail told apart, boxes in the page's visible coordinates.
func envelopeRequest(d *envelopeDraft, dir, enterprise string) (api.EnvelopeRequest, []client.NamedFile, error) {
	req := api.EnvelopeRequest{Subject: strings.TrimSpace(d.Subject), Remark: strings.TrimSpace(d.Remark),
		Order: api.OrderParallel, EnterpriseID: enterprise}
	if d.Sequential {
		req.Order = api.OrderSequential
	}
	if d.Deadline != "" {
		t, err := time.ParseInLocation(time.DateOnly, d.Deadline, time.Local)
		if err != nil {
			return req, nil, inputErr("compose.err.deadline.bad")
		}
		req.Deadline = t.AddDate(0, 0, 1).Add(-time.Second) // the end of that day
	}
	if d.ValidUntil != "" {
		t, err := time.ParseInLocation(time.DateOnly, d.ValidUntil, time.Local)
		if err != nil {
			return req, nil, inputErr("compose.err.valid.bad")
		}
		req.ValidUntil = t.AddDate(0, 0, 1).Add(-time.Second) // valid through that day
	}
	if err := checkAmount(d.Amount); err != nil {
		return req, nil, err
	}
	req.Amount, _ = envelope.ParseAmount(d.Amount)
	for _, r := range d.Recipients {
		ar := api.Recipient{Kind: r.Kind, AccountID: r.AccountID, Name: strings.TrimSpace(r.Name), Company: strings.TrimSpace(r.Company)}
		if c := strings.TrimSpace(r.Contact); c != "" {
			login, ch, err := org.NormalizeLogin(c)
			if err != nil {
				return req, nil, inputErr("compose.err.contact.bad", map[string]any{"Value": c})
			}
			if ch == notify.Email {
				ar.Email = login
			} else {
				ar.Phone = login
			}
		}
		req.Recipients = append(req.Recipients, ar)
	}
	var files []client.NamedFile
	pages := make([][]pdf.Page, len(d.Files))
	for i, f := range d.Files {
		b, err := os.ReadFile(filepath.Join(dir, f.File))
		if err != nil {
			return req, nil, inputErr("compose.err.files.read", map[string]any{"Name": f.Name, "Reason": errMessage(err)})
		}
		files = append(files, client.NamedFile{Name: f.Name, Data: b})
		pf, err := pdf.Open(strings.NewReader(string(b)), int64(len(b)), nil)
		if err == nil {
			pages[i], err = pf.Pages()
			pf.Close()
		}
		if err != nil {
			return req, nil, inputErr("compose.err.files.read", map[string]any{"Name": f.Name, "Reason": errMessage(err)})
		}
	}
	for _, b := range d.Boxes {
		if b.File < 0 || b.File >= len(pages) || b.Page < 0 || b.Page >= len(pages[b.File]) || b.Recipient < 0 || b.Recipient >= len(d.Recipients) {
			continue // a box whose file or page is gone
		}
		pg := pages[b.File][b.Page]
		vr, err := sign.UserToVisible(pg.CropBox, pg.Rotate, pdf.Rect{LLX: b.Rect.LLX, LLY: b.Rect.LLY, URX: b.Rect.URX, URY: b.Rect.URY})
		if err != nil {
			return req, nil, err
		}
		req.Fields = append(req.Fields, api.FieldPlacement{Recipient: b.Recipient, Document: b.File, Kind: boxFieldKinds[b.Kind],
			Page: b.Page + 1, Rect: [4]float64{vr.X1, vr.Y1, vr.X2, vr.Y2}})
	}
	return req, files, nil
}

// sendToServer uploads the files and sends the envelope in the background. The idempotency key is
// kept in the draft before the first attempt: pressing 发送 again after a failure is the same
// send, never a second contract.
func (v *composeScreen) sendToServer(d *envelopeDraft) {
	c := v.shell.client()
	if c == nil {
		v.say(tr("compose.err.nosession"), true)
		return
	}
	enterprise := ""
	if v.shell.Services.Conn != nil {
		enterprise = v.shell.Services.Conn.Context()
	}
	if d.SendKey == "" {
		d.SendKey = client.NewIdempotencyKey()
	}
	if v.store != nil {
		if err := v.store.Save(d); err != nil {
			v.say(tr("compose.err.save", map[string]any{"Reason": errMessage(err)}), true)
			return
		}
	}
	dir := v.draftDir()
	v.setBusy(true, tr("compose.sending"))
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		env, err := func() (api.Envelope, error) {
			req, files, err := envelopeRequest(d, dir, enterprise)
			if err != nil {
				return api.Envelope{}, err
			}
			ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
			defer cancel()
			refs, err := c.UploadFiles(ctx, files)
			if err != nil {
				return api.Envelope{}, err
			}
			req.Files = refs
			return c.SendEnvelope(ctx, d.SendKey, req)
		}()
		if err == nil && d.ServerID != "" {
			// the synced draft became this envelope
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			c.DeleteDraft(ctx, d.ServerID)
			cancel()
		}
		uiDoWait(func() {
			v.setBusy(false, "")
			if err != nil {
				var refusal *client.Error
				if errors.As(err, &refusal) && refusal.Status < 500 && refusal.Status != 401 && refusal.Status != 408 && refusal.Status != 429 {
					// a final answer: the next 发送 (after a change, a top-up) is a new send
					d.SendKey = ""
					if v.store != nil {
						v.store.Save(d)
					}
				}
				v.say(tr("compose.err.send", map[string]any{"Reason": errMessage(err)}), true)
				return
			}
			if v.draft == d {
				v.sent(d, env.Subject)
			}
			v.shell.contractsChanged()
		})
	}()
}

// syncDraft keeps the draft on the server too (another device of the account sees it in
// 文件 › 草稿); a failure leaves the local draft as it is and says so.
func (v *composeScreen) syncDraft() {
	c := v.shell.client()
	if c == nil || len(v.draft.Files) == 0 {
		return
	}
	d := v.draft
	enterprise := v.shell.Services.Conn.Context()
	dir := v.draftDir()
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		id, err := func() (string, error) {
			req, files, err := envelopeRequest(d, dir, enterprise)
			if err != nil {
				return "", err
			}
			req.Draft = true
			if strings.TrimSpace(req.Subject) == "" {
				req.Subject = d.Files[0].Name
			}
			ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
			defer cancel()
			if req.Files, err = c.UploadFiles(ctx, files); err != nil {
				return "", err
			}
			if d.ServerID != "" {
				e, err := c.UpdateDraft(ctx, d.ServerID, req)
				return e.ID, err
			}
			e, err := c.SendEnvelope(ctx, client.NewIdempotencyKey(), req)
			return e.ID, err
		}()
		uiDoWait(func() {
			if err != nil {
				if v.draft == d {
					v.say(tr("compose.err.sync", map[string]any{"Reason": errMessage(err)}), true)
				}
				return
			}
			d.ServerID = id
			if v.store != nil {
				if v.draft == d {
					// a pending save of this draft was encoded without ServerID: written after
					// this one it would make the saved draft look unsynced (listed twice)
					v.cancelSave()
				}
				v.store.Save(d)
			}
			if v.draft == d {
				v.say(tr("compose.synced"), false)
			}
			v.shell.contractsChanged()
		})
	}()
}

// loadMembers reads the members of the enterprise the user works for (企业内部成员 picks from
// them), in the background.
func (v *composeScreen) loadMembers() {
	c := v.shell.client()
	conn := v.shell.Services.Conn
	if c == nil || conn.Context() == "" {
		return
	}
	ent := conn.Context()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var out []memberChoice
		after := ""
		me, _ := c.Me(ctx)
		for page := 0; page < 50; page++ {
			ms, err := c.Members(ctx, ent, after, 200)
			if err != nil || len(ms) == 0 {
				break
			}
			for _, m := range ms {
				if !m.Disabled && m.AccountID != me.ID {
					out = append(out, memberChoice{AccountID: m.AccountID, Name: m.Name, Phone: m.Phone})
				}
			}
			after = ms[len(ms)-1].AccountID
			if len(ms) < 200 {
				break
			}
		}
		uiDo(func() {
			v.members = out
			for _, c := range v.cards {
				if c.member != nil {
					v.refreshMemberChoice(c)
				}
			}
		})
	}()
}

func (v *composeScreen) refreshMemberChoice(c *recipientCard) {
	var names []string
	sel := -1
	r := v.draft.Recipients[c.index]
	for j, m := range v.members {
		names = append(names, memberText(m))
		if m.AccountID == r.AccountID && r.AccountID != "" {
			sel = j
		}
	}
	c.member.Options = names
	c.member.PlaceHolder = tr("compose.member.choose")
	if len(names) == 0 {
		c.member.PlaceHolder = tr("compose.member.none")
	}
	if sel >= 0 {
		c.member.SetSelectedIndex(sel)
	}
	c.member.Refresh()
}

// errNoSession: the screen needs a signed-in server session.
var errNoSession = errors.New("not signed in")

// syncTemplate puts template t (kept in dir) on the server: its files uploaded content-addressed,
// its recipient roles and boxes in the page's visible coordinates; the server's id is kept in t.
func syncTemplate(ctx context.Context, c *client.Client, store *draftStore, dir string, t *envelopeDraft) error {
	req, files, err := envelopeRequest(t, dir, "")
	if err != nil {
		return err
	}
	refs, err := c.UploadFiles(ctx, files)
	if err != nil {
		return err
	}
	saved, err := c.SaveTemplate(ctx, api.Template{ID: t.ServerID, Name: t.Subject, Subject: t.Subject, Remark: req.Remark, Order: req.Order,
		Files: refs, Roles: req.Recipients, Fields: req.Fields})
	if err != nil {
		return err
	}
	t.ServerID = saved.ID
	return store.Save(t)
}

// pullTemplates keeps here every template of the account's server list that is not here yet
// (saved on another computer): its files fetched by digest, its boxes turned back into each
// page's PDF coordinates. It returns how many it added.
func pullTemplates(ctx context.Context, c *client.Client, store *draftStore) (int, error) {
	remote, err := c.Templates(ctx)
	if err != nil {
		return 0, err
	}
	local, err := store.List(true)
	if err != nil {
		return 0, err
	}
	have := map[string]bool{}
	for _, t := range local {
		have[t.ServerID] = true
	}
	added := 0
	for _, rt := range remote {
		if have[rt.ID] {
			continue
		}
		t := &envelopeDraft{ID: newDraftID(), Template: true, ServerID: rt.ID, Subject: rt.Name, Remark: rt.Remark,
			Sequential: rt.Order != api.OrderParallel}
		dir := store.dir(t)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return added, err
		}
		pages := make([][]pdf.Page, len(rt.Files))
		for i, f := range rt.Files {
			b, err := c.DownloadBlob(ctx, f.SHA256)
			if err != nil {
				return added, err
			}
			pf, err := pdf.Open(strings.NewReader(string(b)), int64(len(b)), nil)
			if err == nil {
				pages[i], err = pf.Pages()
				pf.Close()
			}
			if err != nil {
				return added, err
			}
			df := draftFile{Name: f.Name, Size: int64(len(b)), SHA256: f.SHA256, Pages: len(pages[i]), File: f.SHA256[:16] + ".pdf"}
			if err := writeFileAtomic(filepath.Join(dir, df.File), b); err != nil {
				return added, err
			}
			t.Files = append(t.Files, df)
		}
		for _, r := range rt.Roles {
			contact := r.Phone
			if contact == "" {
				contact = r.Email
			}
			t.Recipients = append(t.Recipients, draftRecipient{Kind: r.Kind, Name: r.Name, Contact: contact, Company: r.Company, AccountID: r.AccountID})
		}
		for _, f := range rt.Fields {
			if f.Document < 0 || f.Document >= len(pages) || f.Page < 1 || f.Page > len(pages[f.Document]) {
				continue
			}
			pg := pages[f.Document][f.Page-1]
			u, err := sign.VisibleToUser(pg.CropBox, pg.Rotate, sign.VisibleRect{X1: f.Rect[0], Y1: f.Rect[1], X2: f.Rect[2], Y2: f.Rect[3]})
			if err != nil {
				continue
			}
			kind := ""
			for k, v := range boxFieldKinds {
				if v == f.Kind {
					kind = k
				}
			}
			t.Boxes = append(t.Boxes, draftBox{File: f.Document, Recipient: f.Recipient, Kind: kind, Page: f.Page - 1,
				Rect: widgets.Rect{LLX: u.LLX, LLY: u.LLY, URX: u.URX, URY: u.URY}})
		}
		if err := store.Save(t); err != nil {
			return added, err
		}
		added++
	}
	return added, nil
}
