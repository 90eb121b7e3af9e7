package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"image/png"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/seal"
)

// 扫码生成 (manual 004 §4.1): 手写签名 shows a QR code for a one-time page on the server where a
// phone draws the signature; the strokes come back through the account's sync scope (a
// signature.drawn event) and are saved in 我的印章 like a signature drawn here. 重新获取二维码
// asks for a new pad, which voids the previous one on the server.
type phonePad struct {
	v   *sealsScreen
	qr  *canvas.Image
	msg *widget.Label
	btn *widget.Button

	mu     sync.Mutex
	cancel context.CancelFunc
	url    string // the pad shown (tests post to it)
	saved  int    // signatures received (tests wait on it)
}

// phoneWait is how long one long poll for the phone's strokes waits.
const phoneWait = 25 * time.Second

func (v *sealsScreen) buildPhonePad() fyne.CanvasObject {
	p := &phonePad{v: v}
	v.phone = p
	p.qr = canvas.NewImageFromResource(nil)
	p.qr.FillMode = canvas.ImageFillContain
	p.qr.SetMinSize(fyne.NewSize(180, 180))
	p.msg = widget.NewLabel(tr("seals.phone.intro"))
	p.msg.Wrapping = fyne.TextWrapWord
	p.btn = widget.NewButtonWithIcon(tr("seals.phone.get"), theme.ViewRefreshIcon(), p.onQRTapped)
	title := widget.NewLabelWithStyle(tr("seals.phone.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	box := container.NewBorder(container.NewVBox(title, container.NewCenter(p.qr)), p.btn, nil, nil, p.msg)
	return container.NewGridWrap(fyne.NewSize(220, 420), box)
}

// onQRTapped gets a (new) pad and waits for the phone's strokes.
func (p *phonePad) onQRTapped() {
	conn := p.v.shell.Services.Conn
	var c *client.Client
	if conn != nil {
		c = conn.Client()
	}
	if c == nil {
		p.msg.SetText(tr("seals.phone.signin"))
		return
	}
	p.mu.Lock()
	if p.cancel != nil {
		p.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.mu.Unlock()
	p.btn.Disable()
	p.msg.SetText(tr("seals.phone.getting"))
	p.v.work.Add(1)
	go func() {
		defer p.v.work.Done()
		scope, cursor, err := p.cursor(ctx, c)
		if err != nil {
			p.v.toUI(func() { p.btn.Enable(); p.msg.SetText(errMessage(err)) })
			return
		}
		pad, qr, err := c.NewSignaturePad(ctx)
		if err != nil {
			p.v.toUI(func() { p.btn.Enable(); p.msg.SetText(errMessage(err)) })
			return
		}
		p.v.toUI(func() {
			p.mu.Lock()
			p.url = pad.URL
			p.mu.Unlock()
			p.qr.Resource = fyne.NewStaticResource("pad-qr.png", qr)
			p.qr.Refresh()
			p.btn.SetText(tr("seals.phone.again"))
			p.btn.Enable()
			p.msg.SetText(tr("seals.phone.scan", map[string]any{"Minutes": int(time.Until(pad.Expires).Round(time.Minute).Minutes())}))
		})
		go p.watch(ctx, c, scope, cursor, pad.Expires)
	}()
}

// cursor is the end of the account's own scope now: strokes drawn after it are this pad's.
func (p *phonePad) cursor(ctx context.Context, c *client.Client) (string, uint64, error) {
	me, err := c.Me(ctx)
	if err != nil {
		return "", 0, err
	}
	scope := org.Scope(me.ID)
	var cur uint64
	for {
		r, err := c.Pull(ctx, scope, cur, 500, 0)
		if err != nil {
			return "", 0, err
		}
		cur = r.Cursor
		if !r.More {
			return scope, cur, nil
		}
	}
}

// watch long-polls the account's scope until the phone's strokes arrive, the pad expires or a
// new pad replaces it.
func (p *phonePad) watch(ctx context.Context, c *client.Client, scope string, cursor uint64, expires time.Time) {
	for ctx.Err() == nil && time.Now().Before(expires.Add(time.Minute)) {
		r, err := c.Pull(ctx, scope, cursor, 100, phoneWait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			continue
		}
		cursor = r.Cursor
		for _, ev := range r.Events {
			if ev.Type != client.EventSignatureDrawn {
				continue
			}
			var d struct {
				Strokes json.RawMessage `json:"strokes"`
			}
			if json.Unmarshal(ev.Payload, &d) != nil {
				continue
			}
			p.received(d.Strokes)
			return
		}
	}
	if ctx.Err() == nil {
		p.v.toUI(func() { p.msg.SetText(tr("seals.phone.expired")) })
	}
}

// received saves the phone's strokes in 我的印章.
func (p *phonePad) received(strokes []byte) {
	sig, err := seal.ParseSignature(strokes)
	var b bytes.Buffer
	if err == nil {
		var d *seal.Drawing
		if d, err = sig.Drawing(color.NRGBA{0x10, 0x10, 0x10, 0xff}); err == nil {
			d = d.Crop(1)
			img, rerr := d.Rasterize(signatureDPI)
			if err = rerr; err == nil {
				err = png.Encode(&b, img)
			}
		}
	}
	p.v.toUI(func() {
		if err != nil {
			p.msg.SetText(errMessage(err))
			return
		}
		p.v.save(LibraryItem{Kind: ItemSignatureDraw, Name: tr("seals.phone.name"), WidthMM: sig.Width, HeightMM: sig.Height,
			PNG: b.Bytes(), Strokes: strokes}, p.msg)
		p.mu.Lock()
		p.saved++
		p.mu.Unlock()
		p.btn.SetText(tr("seals.phone.get"))
	})
}

// stop ends the wait for the phone (the screen is closing).
func (p *phonePad) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
}
