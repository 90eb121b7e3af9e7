package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"image/color"
	"image/png"
	"path/filepath"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/session"
	"sealdesk/ui/widgets"
)

// 首页 with a server session (manual 000's home): 发起签署 as the one primary button, the quota
// (可发 对公/对私 份, 立即充值), 快捷入口 counters that open the matching box in 文件, 最新签署文件, the
// enterprise's member count and LOGO, and 签发量月度报表 — a bar chart of contracts sent and
// completed per month, drawn with Fyne canvas objects and exported as PNG (the same drawing) and
// CSV. Every server read runs off the UI goroutine and comes back through uiDo.

// ContractCounter gives 首页's 快捷入口 counters; core/session.Manager reads them from the local
// projection (works offline, ≤ 20 ms for 10,000 contracts). Without one (or when it fails), 首页
// asks the server (client.QuickCounts), which counts 即将截止签约 and 即将过期 the same way.
type ContractCounter interface {
	ContractCounts(ctx context.Context) (session.ContractCounts, error)
}

// PendingApprovals is the 需要我审批 counter's source: the approvals waiting for the signed-in
// person's decision (审批管理, client.PendingApprovalCount).
var PendingApprovals = func(ctx context.Context, c *client.Client, enterpriseID string) (int, error) {
	return c.PendingApprovalCount(ctx)
}

// OpenApprovals shows where 需要我审批 leads: 审批管理 › 需要我审批.
var OpenApprovals = func(s *Shell) {
	if s.Show(NavApprovals) {
		if sc, ok := s.Screen(NavApprovals).(*ApprovalsScreen); ok && sc.Tabs.SelectedIndex() != 0 {
			sc.Tabs.SelectIndex(0)
		}
	}
}

// Quick-entry keys (快捷入口) in the order shown.
const (
	QuickAll       = "all"
	QuickToSign    = "to_sign"
	QuickDueSoon   = "due_soon"
	QuickWaiting   = "waiting"
	QuickExpiring  = "expiring"
	QuickApprovals = "approvals"
)

var quickKeys = []string{QuickAll, QuickToSign, QuickDueSoon, QuickWaiting, QuickExpiring, QuickApprovals}

// quickBox is the 文件 box a quick entry opens; quickFilter the server's quick list it opens
// instead (即将截止签约, 即将过期: every box, soonest first).
var (
	quickBox    = map[string]string{QuickAll: api.BoxToSign, QuickToSign: api.BoxToSign, QuickWaiting: api.BoxWaiting}
	quickFilter = map[string]string{QuickDueSoon: api.FilterDueSoon, QuickExpiring: api.FilterExpiring}
)

// reportMonths is how many months 签发量月度报表 shows.
const reportMonths = 6

// homeDash is the signed-in part of 首页.
type homeDash struct {
	sc *HomeScreen

	Box       *fyne.Container // everything below; hidden without a session
	Send      *widget.Button  // 发起签署
	Recharge  *widget.Button  // 立即充值 → 费用中心
	Quick     map[string]*widget.Button
	Latest    *fyne.Container // 最新签署文件
	LatestMsg *widget.Label
	Members   *widget.Label // 企业成员人数 (enterprise context)
	Logo      *canvas.Image // the enterprise LOGO (enterprise context, when set)
	Chart     *widgets.BarChart
	ChartMsg  *widget.Label
	ExportPNG *widget.Button
	ExportCSV *widget.Button
	Msg       *widget.Label
	// EmptyInvite and EmptyNext are what an account without any contract sees instead of the
	// chart and the lists: one sentence and one primary button.
	EmptyInvite *widget.Label
	EmptyNext   *widget.Button
	LastSave    *saveAsDialog

	months []api.MonthCount
	counts session.ContractCounts
	filled *fyne.Container // the cards shown once there is something to show
	empty  *fyne.Container // EmptyInvite and EmptyNext
}

func newHomeDash(sc *HomeScreen) *homeDash {
	d := &homeDash{sc: sc, Quick: map[string]*widget.Button{}}
	s := sc.shell
	d.Send = widget.NewButtonWithIcon(tr("home.dash.send"), theme.MailSendIcon(), d.onSendTapped)
	d.Send.Importance = widget.HighImportance
	d.Recharge = widget.NewButton(tr("home.dash.recharge"), func() { s.Show(NavBilling) })
	d.Recharge.Importance = widget.LowImportance
	var quick []fyne.CanvasObject
	for _, k := range quickKeys {
		b := widget.NewButton(tr("home.quick."+k), func() { d.onQuickTapped(k) })
		b.Alignment = widget.ButtonAlignLeading
		d.Quick[k] = b
		quick = append(quick, b)
	}
	d.Latest = container.NewVBox()
	d.LatestMsg = widget.NewLabel(tr("home.latest.none"))
	d.Members = widget.NewLabel("")
	d.Members.Hide()
	d.Logo = canvas.NewImageFromResource(nil)
	d.Logo.FillMode = canvas.ImageFillContain
	d.Logo.SetMinSize(fyne.NewSize(120, 40))
	d.Logo.Hide()
	d.Chart = widgets.NewBarChart([]string{tr("home.report.sent"), tr("home.report.completed")},
		[]color.Color{color.NRGBA{0x1f, 0x6f, 0xd1, 0xff}, color.NRGBA{0xd1, 0x3b, 0x2f, 0xff}})
	d.ChartMsg = widget.NewLabel("")
	d.ChartMsg.Wrapping = fyne.TextWrapWord
	d.ChartMsg.Hide()
	d.ExportPNG = widget.NewButtonWithIcon(tr("home.report.png"), theme.DownloadIcon(), d.onExportPNGTapped)
	d.ExportCSV = widget.NewButtonWithIcon(tr("home.report.csv"), theme.DownloadIcon(), d.onExportCSVTapped)
	d.Msg = widget.NewLabel("")
	d.Msg.Wrapping = fyne.TextWrapWord
	d.Msg.Hide()
	d.EmptyInvite = widget.NewLabel(tr("home.empty.invite"))
	d.EmptyInvite.Wrapping = fyne.TextWrapWord
	d.EmptyNext = widget.NewButtonWithIcon(tr("home.dash.send"), theme.MailSendIcon(), d.onSendTapped)
	d.EmptyNext.Importance = widget.HighImportance
	empty := container.NewVBox(d.EmptyInvite, container.NewHBox(d.EmptyNext))

	sc.Balance.Importance = widget.LowImportance
	quota := container.NewHBox(sc.Balance, d.Recharge)
	head := container.NewBorder(nil, nil, nil, d.Logo, container.NewVBox(container.NewHBox(d.Send, d.Members), quota))
	quickCard := widget.NewCard(tr("home.quick"), "", container.NewGridWithColumns(3, quick...))
	report := widget.NewCard(tr("home.report"), "", container.NewBorder(nil,
		container.NewVBox(d.ChartMsg, container.NewHBox(d.ExportPNG, d.ExportCSV)), nil, nil, d.Chart))
	latest := widget.NewCard(tr("home.latest"), "", container.NewVBox(d.LatestMsg, d.Latest))
	d.filled = container.NewVBox(quickCard, container.NewGridWithColumns(2, container.NewVBox(sc.Counts, latest), report))
	d.empty = empty
	d.Box = container.NewVBox(head, d.Msg, d.filled, d.empty)
	d.empty.Hide()
	d.Box.Hide()
	return d
}

// onSendTapped opens 发起签署.
func (d *homeDash) onSendTapped() { d.sc.shell.Show(NavSend) }

// onQuickTapped opens the box of a quick entry in 文件 (需要我审批: OpenApprovals).
func (d *homeDash) onQuickTapped(k string) {
	if k == QuickApprovals {
		OpenApprovals(d.sc.shell)
		return
	}
	if f, ok := quickFilter[k]; ok {
		s := d.sc.shell
		if !s.Show(NavDocuments) {
			return
		}
		if docs, ok := s.Screen(NavDocuments).(*DocumentsScreen); ok && docs.signedIn {
			docs.Contracts.showQuick(f)
		}
		return
	}
	d.sc.onCountTapped(quickBox[k])
}

// refresh reads everything 首页 shows of the session; without one the dashboard hides.
func (d *homeDash) refresh() {
	sc := d.sc
	c := sc.shell.client()
	if len(sc.Actions) > 0 {
		// one primary button: 发起签署 (or the empty home's invitation) when signed in
		sc.Actions[0].Importance = widget.HighImportance
		if c != nil {
			sc.Actions[0].Importance = widget.MediumImportance
		}
		sc.Actions[0].Refresh()
	}
	if c == nil {
		d.Box.Hide()
		return
	}
	d.Box.Show()
	ent := ""
	if conn := sc.shell.Services.Conn; conn != nil {
		ent = conn.Context()
	}
	var counter ContractCounter
	if cc, ok := sc.shell.Services.Session.(ContractCounter); ok {
		counter = cc
	} else if cc, ok := sc.shell.Services.Conn.(ContractCounter); ok {
		counter = cc
	}
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var counts session.ContractCounts
		var cerr error
		local := counter != nil
		if local {
			counts, cerr = counter.ContractCounts(ctx)
		}
		if !local || cerr != nil {
			var qc api.QuickCounts
			if qc, cerr = c.QuickCounts(ctx, 0); cerr == nil {
				counts = session.ContractCounts{All: qc.All, ToSign: qc.ToSign, DueSoon: qc.DueSoon, Waiting: qc.Waiting, Expiring: qc.Expiring}
			}
		}
		approvals, aerr := PendingApprovals(ctx, c, ent)
		latest, lerr := c.Envelopes(ctx, client.ListOptions{Box: api.BoxCompleted, Limit: 5})
		var months []api.MonthCount
		var merr error
		if ent != "" {
			months, merr = c.EnterpriseMonthly(ctx, ent, reportMonths)
		} else {
			months, merr = c.MyMonthly(ctx, reportMonths)
		}
		var members = -1
		var logo []byte
		if ent != "" {
			if con, err := c.Console(ctx, ent); err == nil {
				members = con.Members
				if con.Settings.Logo != "" {
					logo, _ = c.Logo(ctx, ent)
				}
			}
		}
		uiDo(func() {
			if cerr != nil {
				d.showMsg(errMessage(cerr))
			} else {
				d.Msg.Hide()
			}
			d.counts = counts
			d.setQuick(QuickAll, counts.All, cerr == nil)
			d.setQuick(QuickToSign, counts.ToSign, cerr == nil)
			d.setQuick(QuickDueSoon, counts.DueSoon, cerr == nil)
			d.setQuick(QuickWaiting, counts.Waiting, cerr == nil)
			d.setQuick(QuickExpiring, counts.Expiring, cerr == nil)
			d.setQuick(QuickApprovals, approvals, aerr == nil)
			d.showLatest(latest.Items, lerr)
			d.showReport(months, merr)
			if members >= 0 {
				d.Members.SetText(tr("home.members", map[string]any{"N": members}))
				d.Members.Show()
			} else {
				d.Members.Hide()
			}
			d.showLogo(logo)
			empty := cerr == nil && counts.All == 0 && lerr == nil && len(latest.Items) == 0
			if empty {
				d.filled.Hide()
				d.empty.Show()
				d.Send.Hide() // the invitation's button is the one primary button
			} else {
				d.empty.Hide()
				d.filled.Show()
				d.Send.Show()
			}
		})
	}()
}

func (d *homeDash) showMsg(text string) {
	d.Msg.SetText(text)
	d.Msg.Importance = widget.DangerImportance
	d.Msg.Show()
	d.Msg.Refresh()
}

// setQuick shows a counter ("—" when it is not known).
func (d *homeDash) setQuick(k string, n int, known bool) {
	v := "—"
	if known {
		v = strconv.Itoa(n)
	}
	d.Quick[k].SetText(tr("home.quick."+k) + "  " + v)
}

// QuickCount is the number a quick entry shows (-1: not known); for tests.
func (d *homeDash) QuickCount(k string) int {
	t := d.Quick[k].Text
	i := len(t) - 1
	for i >= 0 && t[i] >= '0' && t[i] <= '9' {
		i--
	}
	n, err := strconv.Atoi(t[i+1:])
	if err != nil {
		return -1
	}
	return n
}

func (d *homeDash) showLatest(items []api.EnvelopeSummary, err error) {
	d.Latest.Objects = nil
	defer d.Latest.Refresh()
	switch {
	case err != nil:
		d.LatestMsg.SetText(errMessage(err))
		d.LatestMsg.Show()
		return
	case len(items) == 0:
		d.LatestMsg.SetText(tr("home.latest.none"))
		d.LatestMsg.Show()
		return
	}
	d.LatestMsg.Hide()
	for _, it := range items {
		b := widget.NewButtonWithIcon(it.Subject, theme.FileIcon(), func() { d.sc.onCountTapped(api.BoxCompleted) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		when := widget.NewLabel(it.SenderName + " · " + it.Updated.Local().Format("2006-01-02 15:04"))
		when.Truncation = fyne.TextTruncateEllipsis
		d.Latest.Add(container.NewBorder(nil, nil, nil, when, b))
	}
}

func (d *homeDash) showReport(months []api.MonthCount, err error) {
	d.months = months
	if err != nil {
		d.ChartMsg.SetText(errMessage(err))
		d.ChartMsg.Show()
		d.ExportPNG.Disable()
		d.ExportCSV.Disable()
		d.Chart.SetGroups(nil)
		return
	}
	groups := make([]widgets.BarGroup, len(months))
	for i, m := range months {
		label := m.Month
		if len(label) == 7 {
			label = label[2:4] + "/" + label[5:]
		}
		groups[i] = widgets.BarGroup{Label: label, Values: []int{m.Sent, m.Completed}}
	}
	d.Chart.SetGroups(groups)
	if d.Chart.Max() == 0 {
		d.ChartMsg.SetText(tr("home.report.none"))
		d.ChartMsg.Show()
	} else {
		d.ChartMsg.Hide()
	}
	d.ExportPNG.Enable()
	d.ExportCSV.Enable()
}

func (d *homeDash) showLogo(b []byte) {
	if len(b) == 0 {
		d.Logo.Hide()
		return
	}
	d.Logo.Resource = fyne.NewStaticResource("logo.png", b)
	d.Logo.Show()
	d.Logo.Refresh()
}

// ReportCSV is the report as CSV (月份, 发送量, 完成量), with a BOM so spreadsheet programs read
// the Chinese header.
func (d *homeDash) ReportCSV() []byte {
	var b bytes.Buffer
	b.Write([]byte{0xEF, 0xBB, 0xBF}) // the UTF-8 BOM
	w := csv.NewWriter(&b)
	w.Write([]string{tr("home.report.month"), tr("home.report.sent"), tr("home.report.completed")})
	for _, m := range d.months {
		w.Write([]string{m.Month, strconv.Itoa(m.Sent), strconv.Itoa(m.Completed)})
	}
	w.Flush()
	return b.Bytes()
}

// ReportPNG draws the chart as it is on screen (its size, at least 640×360) into a PNG.
func (d *homeDash) ReportPNG() ([]byte, error) {
	size := d.Chart.Size()
	if size.Width < 640 || size.Height < 360 {
		size = fyne.NewSize(max(640, size.Width), max(360, size.Height))
	}
	c := widgets.NewBarChart(d.Chart.Series, d.Chart.Colors)
	c.Groups = d.Chart.Groups
	cv := software.NewCanvas() // not software.Render, which sets the app's theme
	cv.SetPadded(false)
	cv.SetContent(c)
	cv.Resize(size)
	img := cv.Capture()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (d *homeDash) reportName(ext string) string {
	return filepath.Join(documentsDir(), tr("home.report.file", map[string]any{"Date": time.Now().Format("20060102")})+ext)
}

func (d *homeDash) onExportPNGTapped() {
	data, err := d.ReportPNG()
	if err != nil {
		d.showMsg(errMessage(err))
		return
	}
	d.LastSave = d.sc.shell.chooseSave(tr("home.report.png"), d.reportName(".png"), "", nil, func(path string) { d.save(path, data) })
}

func (d *homeDash) onExportCSVTapped() {
	data := d.ReportCSV()
	d.LastSave = d.sc.shell.chooseSave(tr("home.report.csv"), d.reportName(".csv"), "", nil, func(path string) { d.save(path, data) })
}

// save writes an export through a temporary file and a rename.
func (d *homeDash) save(path string, data []byte) {
	sc := d.sc
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		err := writeFileAtomic(path, data)
		uiDo(func() {
			if err != nil {
				d.showMsg(errMessage(err))
				return
			}
			d.Msg.SetText(tr("home.report.saved", map[string]any{"Path": path}))
			d.Msg.Importance = widget.SuccessImportance
			d.Msg.Show()
			d.Msg.Refresh()
		})
	}()
}
