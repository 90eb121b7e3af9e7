package ui

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/org"
	"sealdesk/ui/widgets"
)

// ConsolePanel is 企业 › 企业设置 (manual 000 企业控制台 › 企业设置): the enterprise LOGO (JPG, BMP or
// PNG under 1 MB; the server decodes and re-encodes it and shows it on 首页 and the browser signing
// page), 设置管理员 showing the 主管理员, the member count, 企业通知邮箱 (low-quota and approval
// notices) and 二次校验 required of every member. Changes are for 主管理员 and 子管理员; everyone
// else reads, and the server's refusal is shown if they try.
type ConsolePanel struct {
	shell *Shell

	Admin       *widget.Label
	Members     *widget.Label
	Logo        *canvas.Image
	LogoNone    *widget.Label
	Upload      *widget.Button
	RemoveLogo  *widget.Button
	Email       *widget.Entry
	SaveEmail   *widget.Button
	SecondCheck *widget.Check
	Msg         *widget.Label
	// Picker is the file dialog of 上传 LOGO while open (tests).
	Picker *filePicker

	content fyne.CanvasObject
	wg      sync.WaitGroup
	quiet   bool
}

func newConsolePanel(s *Shell) EnterprisePanel {
	p := &ConsolePanel{shell: s}
	p.Admin = widget.NewLabel("")
	p.Members = widget.NewLabel("")
	p.Logo = canvas.NewImageFromResource(nil)
	p.Logo.FillMode = canvas.ImageFillContain
	p.Logo.SetMinSize(fyne.NewSize(240, 80))
	p.Logo.Hide()
	p.LogoNone = widget.NewLabel(tr("console.logo.none"))
	p.Upload = widget.NewButtonWithIcon(tr("console.logo.upload"), theme.UploadIcon(), p.onUploadTapped)
	p.RemoveLogo = widget.NewButtonWithIcon(tr("console.logo.remove"), theme.DeleteIcon(), p.onRemoveLogoTapped)
	p.RemoveLogo.Importance = widget.LowImportance
	p.Email = widget.NewEntry()
	p.Email.SetPlaceHolder(tr("console.email.placeholder"))
	p.SaveEmail = widget.NewButton(tr("console.email.save"), p.onSaveEmailTapped)
	p.SecondCheck = widget.NewCheck(tr("console.second"), p.onSecondCheckChanged)
	p.Msg = widget.NewLabel("")
	p.Msg.Wrapping = fyne.TextWrapWord
	p.Msg.Hide()
	bold := func(key string) *widget.Label {
		return widget.NewLabelWithStyle(tr(key), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	p.content = container.NewVScroll(container.NewVBox(
		p.Msg,
		bold("console.admin"), p.Admin, p.Members,
		widget.NewSeparator(),
		bold("console.logo"), widgets.NewCJKLabel(tr("console.logo.hint")),
		container.NewHBox(container.NewStack(p.LogoNone, p.Logo)), container.NewHBox(p.Upload, p.RemoveLogo),
		widget.NewSeparator(),
		bold("console.email"), widgets.NewCJKLabel(tr("console.email.hint")),
		container.NewBorder(nil, nil, nil, p.SaveEmail, p.Email),
		widget.NewSeparator(),
		p.SecondCheck, widgets.NewCJKLabel(tr("console.second.hint")),
	))
	return p
}

// Content implements EnterprisePanel.
func (p *ConsolePanel) Content() fyne.CanvasObject { return p.content }

// Wait implements EnterprisePanel.
func (p *ConsolePanel) Wait() { workers.drain(&p.wg) }

func (p *ConsolePanel) enterprise() string {
	if p.shell.Services.Conn == nil {
		return ""
	}
	return p.shell.Services.Conn.Context()
}

func (p *ConsolePanel) say(text string, bad bool) {
	p.Msg.SetText(text)
	p.Msg.Importance = widget.SuccessImportance
	if bad {
		p.Msg.Importance = widget.DangerImportance
	}
	p.Msg.Show()
	p.Msg.Refresh()
}

// Reload implements EnterprisePanel: the console and the logo from the server.
func (p *ConsolePanel) Reload() {
	c, ent := p.shell.client(), p.enterprise()
	if c == nil || ent == "" {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		con, err := c.Console(ctx, ent)
		var logo []byte
		if err == nil && con.Settings.Logo != "" {
			logo, _ = c.Logo(ctx, ent)
		}
		uiDo(func() {
			if err != nil {
				p.say(errMessage(err), true)
				return
			}
			p.show(con, logo)
		})
	}()
}

func (p *ConsolePanel) show(con org.Console, logo []byte) {
	admin := con.MainAdmin.Name
	if con.MainAdmin.Phone != "" {
		admin += "（" + con.MainAdmin.Phone + "）"
	}
	p.Admin.SetText(tr("console.admin.main", map[string]any{"Name": admin}))
	p.Members.SetText(tr("home.members", map[string]any{"N": con.Members}))
	p.showLogo(logo)
	p.Email.SetText(con.Settings.NotifyEmail)
	p.quiet = true
	p.SecondCheck.SetChecked(con.Settings.SecondCheck)
	p.quiet = false
}

func (p *ConsolePanel) showLogo(b []byte) {
	if len(b) == 0 {
		p.Logo.Hide()
		p.LogoNone.Show()
		p.RemoveLogo.Disable()
		return
	}
	p.Logo.Resource = fyne.NewStaticResource("logo.png", b)
	p.Logo.Show()
	p.Logo.Refresh()
	p.LogoNone.Hide()
	p.RemoveLogo.Enable()
}

func (p *ConsolePanel) onUploadTapped() {
	p.Picker = p.shell.chooseFile([]string{".png", ".jpg", ".jpeg", ".bmp"}, p.UploadLogoFile)
}

// UploadLogoFile sends the logo at path; a file of 1 MB or more is refused here, naming the limit,
// and nothing is sent.
func (p *ConsolePanel) UploadLogoFile(path string) {
	c, ent := p.shell.client(), p.enterprise()
	if c == nil || ent == "" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		p.say(errMessage(err), true)
		return
	}
	if fi.Size() >= org.MaxLogoBytes {
		p.say(tr("console.logo.toolarge", map[string]any{"Size": fmt.Sprintf("%.1f", float64(fi.Size())/(1<<20))}), true)
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		data, err := os.ReadFile(path)
		var logo []byte
		if err == nil {
			if _, err = c.SetLogo(ctx, ent, data); err == nil {
				logo, err = c.Logo(ctx, ent)
			}
		}
		uiDo(func() {
			if err != nil {
				p.say(errMessage(err), true)
				return
			}
			p.showLogo(logo)
			p.say(tr("console.logo.done"), false)
		})
	}()
}

func (p *ConsolePanel) onRemoveLogoTapped() {
	c, ent := p.shell.client(), p.enterprise()
	if c == nil || ent == "" {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := c.DeleteLogo(ctx, ent)
		uiDo(func() {
			if err != nil {
				p.say(errMessage(err), true)
				return
			}
			p.showLogo(nil)
			p.say(tr("console.logo.removed"), false)
		})
	}()
}

func (p *ConsolePanel) update(u org.SettingsUpdate, done string, undo func()) {
	c, ent := p.shell.client(), p.enterprise()
	if c == nil || ent == "" {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := c.UpdateConsoleSettings(ctx, ent, u)
		uiDo(func() {
			if err != nil {
				p.say(errMessage(err), true)
				if undo != nil {
					undo()
				}
				return
			}
			p.say(tr(done), false)
		})
	}()
}

func (p *ConsolePanel) onSaveEmailTapped() {
	e := p.Email.Text
	p.update(org.SettingsUpdate{NotifyEmail: &e}, "console.email.done", nil)
}

func (p *ConsolePanel) onSecondCheckChanged(on bool) {
	if p.quiet {
		return
	}
	p.update(org.SettingsUpdate{SecondCheck: &on}, "console.second.done", func() {
		p.quiet = true
		p.SecondCheck.SetChecked(!on)
		p.quiet = false
	})
}
