package ui

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/client"
	"sealdesk/core/ids"
	"sealdesk/core/org"
	"sealdesk/core/session"
	"sealdesk/ui/widgets"
)

// realNamePanel is 实名认证 on a remote server: name + resident ID number (the GB 11643 check
// character and the birth date are checked here first), then manual review — the ID card's
// front and back photos uploaded (PNG or JPEG, at most 5 MB each) — and its state: 未认证, 待上传
// 照片, 审核中, 已通过, 已驳回 with the reviewer's reason. On 本机 the identity is self-declared when
// the personal key is made (签署 › 我的证书), so the panel only says so.
type realNamePanel struct {
	shell *Shell

	State     *widgets.CJKLabel
	Name      *widget.Entry
	IDNumber  *widget.Entry
	Submit    *widget.Button
	Front     *widget.Button
	Back      *widget.Button
	Refresh   *widget.Button
	Message   *widgets.CJKLabel
	form      *fyne.Container
	photos    *fyne.Container
	content   *fyne.Container
	current   org.Verification
	hasCurent bool
	loading   bool
}

// Sides of the ID card photos.
const (
	sideFront = "front"
	sideBack  = "back"
)

func newRealNamePanel(s *Shell) *realNamePanel {
	p := &realNamePanel{shell: s}
	p.State = widgets.NewCJKLabel("")
	p.Name = widget.NewEntry()
	p.Name.SetPlaceHolder(tr("realname.name"))
	p.IDNumber = widget.NewEntry()
	p.IDNumber.SetPlaceHolder(tr("realname.id"))
	p.Submit = widget.NewButton(tr("realname.submit"), p.onSubmitTapped)
	p.Submit.Importance = widget.HighImportance
	p.Front = widget.NewButton(tr("realname.photo.front"), func() { p.onPhotoTapped(sideFront) })
	p.Back = widget.NewButton(tr("realname.photo.back"), func() { p.onPhotoTapped(sideBack) })
	p.Refresh = widget.NewButton(tr("realname.refresh"), p.load)
	p.Message = widgets.NewCJKLabel("")
	p.form = container.NewVBox(p.Name, p.IDNumber, container.NewHBox(p.Submit))
	p.photos = container.NewVBox(widgets.NewCJKLabel(tr("realname.photo.hint")), container.NewHBox(p.Front, p.Back))
	p.content = container.NewVBox(widget.NewLabelWithStyle(tr("realname.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.State, p.form, p.photos, container.NewHBox(p.Refresh), p.Message)
	return p
}

// refresh shows the panel for the session and reloads the verification when signed in remotely.
func (p *realNamePanel) refresh() {
	ss := p.shell.session()
	if ss == nil || ss.Client() == nil {
		p.content.Hide()
		return
	}
	p.content.Show()
	if ss.Server().Mode != session.ModeRemote {
		p.State.SetText(tr("realname.local"))
		p.form.Hide()
		p.photos.Hide()
		p.Refresh.Hide()
		return
	}
	p.Refresh.Show()
	p.load()
}

// load fetches the current verification in the background.
func (p *realNamePanel) load() {
	ss := p.shell.session()
	if ss == nil || p.loading {
		return
	}
	c := ss.Client()
	if c == nil {
		return
	}
	p.loading = true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		v, err := c.RealName(ctx)
		uiDo(func() {
			p.loading = false
			if err != nil && !client.IsCode(err, "not_found") {
				p.Message.SetText(errMessage(err))
				p.show(org.Verification{}, false)
				return
			}
			p.show(v, err == nil)
		})
	}()
}

// show lays out the panel for verification v (ok false: none yet).
func (p *realNamePanel) show(v org.Verification, ok bool) {
	p.current, p.hasCurent = v, ok
	status := ""
	if ok {
		status = v.Status
	}
	switch status {
	case org.StatusApproved:
		p.State.SetText(tr("realname.state.approved", map[string]any{"Name": v.Name, "ID": v.IDNumber}))
		p.form.Hide()
		p.photos.Hide()
	case org.StatusPending:
		p.State.SetText(tr("realname.state.pending", map[string]any{"Name": v.Name}))
		p.form.Hide()
		p.photos.Hide()
	case org.StatusAwaitingPhotos:
		p.State.SetText(tr("realname.state.photos", map[string]any{"Name": v.Name, "Done": photoState(v)}))
		p.form.Hide()
		p.photos.Show()
	case org.StatusRejected:
		reason := v.Reason
		if reason == "" {
			reason = "—"
		}
		p.State.SetText(tr("realname.state.rejected", map[string]any{"Reason": reason}))
		p.form.Show()
		p.photos.Hide()
	default:
		p.State.SetText(tr("realname.state.none"))
		p.form.Show()
		p.photos.Hide()
	}
}

// photoState lists the uploaded sides ("正面 ✓ 反面 —").
func photoState(v org.Verification) string {
	mark := func(side, key string) string {
		if _, ok := v.Photos[side]; ok {
			return tr(key) + " ✓"
		}
		return tr(key) + " —"
	}
	return mark(sideFront, "realname.side.front") + "  " + mark(sideBack, "realname.side.back")
}

func (p *realNamePanel) onSubmitTapped() {
	name, err := org.CheckName(p.Name.Text)
	if err != nil {
		p.Message.SetText(errMessage(err))
		return
	}
	id := strings.ToUpper(strings.TrimSpace(p.IDNumber.Text))
	if _, err := ids.ParseResidentID(id, time.Now()); err != nil {
		p.Message.SetText(tr("sign.key.err.id"))
		return
	}
	p.do(func(ctx context.Context, c *client.Client) (org.Verification, error) {
		return c.SubmitRealName(ctx, name, id, org.Manual{}.Name())
	})
}

func (p *realNamePanel) onPhotoTapped(side string) {
	p.shell.chooseFile([]string{".png", ".jpg", ".jpeg"}, func(path string) {
		data, err := readLimited(path, maxPhotoBytes)
		if err != nil {
			p.Message.SetText(errMessage(err))
			return
		}
		p.UploadPhoto(side, data)
	})
}

// UploadPhoto sends one side's photo (the server checks the type and size, decodes and
// re-encodes it).
func (p *realNamePanel) UploadPhoto(side string, data []byte) {
	id := p.current.ID
	p.do(func(ctx context.Context, c *client.Client) (org.Verification, error) {
		return c.UploadIDPhoto(ctx, id, side, data)
	})
}

// do runs a call off the UI goroutine and shows the verification it returns.
func (p *realNamePanel) do(f func(ctx context.Context, c *client.Client) (org.Verification, error)) {
	ss := p.shell.session()
	if ss == nil || ss.Client() == nil {
		p.Message.SetText(tr("account.err.signedout"))
		return
	}
	c := ss.Client()
	p.Message.SetText(tr("account.working"))
	p.Submit.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		v, err := f(ctx, c)
		uiDo(func() {
			p.Submit.Enable()
			if err != nil {
				p.Message.SetText(errMessage(err))
				return
			}
			p.Message.SetText("")
			p.show(v, true)
		})
	}()
}

// readLimited reads a file of at most max bytes (a bigger one is refused by the server anyway;
// this keeps a huge file from being read into memory).
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, errPhotoTooLarge
	}
	data := make([]byte, st.Size())
	_, err = io.ReadFull(f, data)
	return data, err
}

// maxPhotoBytes is the server's limit for an uploaded photo (5 MB).
const maxPhotoBytes = 5 << 20

var errPhotoTooLarge = errors.New("photo larger than 5 mb")
