package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/org"
)

// AuditPanel is 审计日志 on the 企业 screen: every change in the enterprise (who, what, when),
// newest first, and 导出 CSV through the save dialog. The server shows it to 主管理员 and 子管理员
// only; others see its refusal.
type AuditPanel struct {
	shell *Shell

	Status   *widget.Label
	Lines    *widget.Label
	Export   *widget.Button
	Records  []org.AuditRecord
	LastSave *saveAsDialog

	content fyne.CanvasObject
	wg      sync.WaitGroup
	gen     int // the latest Reload; an older one's answer arriving later is dropped
}

// auditShown is how many of the newest lines the panel shows.
const auditShown = 200

// auditPage is how many lines one request reads (the server allows up to org.MaxPage).
const auditPage = org.MaxPage

func newAuditPanel(s *Shell) *AuditPanel {
	p := &AuditPanel{shell: s}
	p.Status = widget.NewLabel("")
	p.Status.Wrapping = fyne.TextWrapWord
	p.Status.Hide()
	p.Lines = widget.NewLabel("")
	p.Lines.Wrapping = fyne.TextWrapWord
	p.Export = widget.NewButton(tr("audit.export"), p.onExportTapped)
	p.content = container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel(tr("audit.intro")), p.Export), p.Status),
		nil, nil, nil, container.NewVScroll(p.Lines))
	return p
}

// Content implements EnterprisePanel.
func (p *AuditPanel) Content() fyne.CanvasObject { return p.content }

// Wait waits for the server calls in flight (tests).
func (p *AuditPanel) Wait() { workers.drain(&p.wg) }

func (p *AuditPanel) session() (string, bool) {
	c := p.shell.client()
	if c == nil || p.shell.Services.Conn == nil || p.shell.Services.Conn.Context() == "" {
		p.Status.SetText(tr("admin.need.enterprise"))
		p.Status.Show()
		return "", false
	}
	return p.shell.Services.Conn.Context(), true
}

// Reload reads the log (oldest first from the server, in pages) and shows the newest lines.
func (p *AuditPanel) Reload() {
	ent, ok := p.session()
	if !ok {
		return
	}
	c := p.shell.client()
	p.gen++
	gen := p.gen
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var all []org.AuditRecord
		after := ""
		var err error
		for {
			var page []org.AuditRecord
			page, err = c.EnterpriseAudit(ctx, ent, after, auditPage)
			if err != nil || len(page) == 0 {
				break
			}
			all = append(all, page...)
			if len(all) > auditShown {
				all = all[len(all)-auditShown:]
			}
			after = page[len(page)-1].Key
			if len(page) < auditPage {
				break
			}
		}
		uiDo(func() {
			if gen != p.gen {
				return // a later Reload answers instead (this one would show an older log)
			}
			if err != nil {
				p.Status.SetText(errMessage(err))
				p.Status.Show()
				return
			}
			p.Status.Hide()
			p.Records = all
			var lines []string
			for i := len(all) - 1; i >= 0; i-- {
				r := all[i]
				lines = append(lines, fmt.Sprintf("%s  %s  %s  %s", r.Time.Local().Format("2006-01-02 15:04:05"), r.Actor, r.Action, r.Detail))
			}
			if len(lines) == 0 {
				lines = []string{tr("audit.none")}
			}
			p.Lines.SetText(strings.Join(lines, "\n"))
		})
	}()
}

func (p *AuditPanel) onExportTapped() {
	ent, ok := p.session()
	if !ok {
		return
	}
	c := p.shell.client()
	name := tr("audit.csv.name", map[string]any{"Date": time.Now().Format("20060102")}) + ".csv"
	p.LastSave = p.shell.chooseSave(tr("audit.export"), filepath.Join(documentsDir(), name), "", nil, func(path string) {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			data, err := c.EnterpriseAuditCSV(ctx, ent)
			if err == nil {
				err = writeFileAtomic(path, data)
			}
			uiDo(func() {
				if err != nil {
					p.Status.SetText(errMessage(err))
				} else {
					p.Status.SetText(tr("audit.export.done", map[string]any{"Path": path}))
				}
				p.Status.Show()
			})
		}()
	})
}
