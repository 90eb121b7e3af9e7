package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/billing"
	"sealdesk/core/client"
	"sealdesk/core/ids"
)

// BillingScreen is 费用中心 (manual 004 §5): the balance of the 对私 (personal) quota and, in an
// enterprise context, the enterprise's 对公 quota; 套餐购买 (choose a package and a payment
// method, 立即购买 shows the payment QR code, the screen follows the order until it is paid);
// 费用明细 (date, count, subject, channel, filtered by 起止时间 and 业务系统, exported as CSV); and
// 开票 (title and tax number checked as a credit code, amount from the paid orders, the receipt
// PDF saved through the save dialog). Everything goes through the server session (Services.Conn);
// without one the screen asks to sign in.
type BillingScreen struct {
	shell *Shell

	ledgerGen int // the latest 费用明细 query; an older answer arriving later is dropped

	SignIn   *widget.Label // shown without a session
	Owner    *widget.Select
	Personal *widget.Label // 对私 balance
	Company  *widget.Label // 对公 balance (enterprise context only)
	Status   *widget.Label // the last error, in Chinese
	Tabs     *container.AppTabs

	// 套餐购买
	Provider  *widget.Select
	Packages  *fyne.Container
	BuyBtns   map[string]*widget.Button // by package id
	Payment   *fyne.Container           // the QR panel
	QR        *canvas.Image
	QRImage   image.Image // what QR shows (tests decode it)
	PayStatus *widget.Label
	Order     billing.Order // the order shown in the payment panel

	// 费用明细
	From, To  *widget.Entry
	Channel   *widget.Select
	Query     *widget.Button
	Export    *widget.Button
	Ledger    *widget.Table
	LedgerMsg *widget.Label
	Lines     []billing.Entry

	// 开票
	TitleKind   *widget.RadioGroup
	Title       *widget.Entry
	TaxNumber   *widget.Entry
	Phone       *widget.Entry
	Email       *widget.Entry
	Amount      *widget.Label
	InvoiceBtn  *widget.Button
	InvoiceMsg  *widget.Label
	Invoices    *fyne.Container
	ReceiptBtns map[string]*widget.Button // by invoice id
	Uninvoiced  []billing.Order

	// LastSave is the save dialog opened last (CSV or receipt), for tests.
	LastSave *saveAsDialog

	catalog  billing.Catalog
	owners   map[string]billing.Owner // Owner's options → owner
	buyKey   string                   // idempotency key of the order being bought
	invKey   string                   // idempotency key of the invoice being requested
	pollStop context.CancelFunc
	wg       sync.WaitGroup // background reads (tests wait on it)
	content  fyne.CanvasObject
}

// billingPollEvery is how often the payment panel asks whether the order was paid.
var billingPollEvery = time.Second

func newBillingScreen(s *Shell) Screen {
	sc := &BillingScreen{shell: s, BuyBtns: map[string]*widget.Button{}, ReceiptBtns: map[string]*widget.Button{}}
	sc.SignIn = widget.NewLabel(tr("billing.signin"))
	sc.SignIn.Wrapping = fyne.TextWrapWord
	sc.Personal = widget.NewLabel("")
	sc.Company = widget.NewLabel("")
	sc.Status = widget.NewLabel("")
	sc.Status.Wrapping = fyne.TextWrapWord
	sc.Status.Importance = widget.DangerImportance
	sc.Status.Hide()
	sc.Owner = newSelect(nil, func(string) { sc.onOwnerChanged() })

	// 套餐购买
	sc.Provider = newSelect(nil, nil)
	sc.Packages = container.NewGridWrap(fyne.NewSize(230, 190))
	sc.QR = canvas.NewImageFromImage(nil)
	sc.QR.FillMode = canvas.ImageFillContain
	sc.QR.ScaleMode = canvas.ImageScalePixels
	sc.QR.SetMinSize(fyne.NewSize(180, 180))
	sc.PayStatus = widget.NewLabel("")
	sc.PayStatus.Wrapping = fyne.TextWrapWord
	sc.Payment = container.NewBorder(nil, nil, sc.QR, nil, sc.PayStatus)
	sc.Payment.Hide()
	buy := container.NewBorder(
		container.NewVBox(widget.NewForm(widget.NewFormItem(tr("billing.provider"), sc.Provider))),
		sc.Payment, nil, nil, container.NewVScroll(sc.Packages))

	// 费用明细
	sc.From = widget.NewEntry()
	sc.From.SetPlaceHolder(tr("billing.date.placeholder"))
	sc.To = widget.NewEntry()
	sc.To.SetPlaceHolder(tr("billing.date.placeholder"))
	sc.Channel = newSelect([]string{tr("billing.channel.all"), tr("billing.channel.portal"), tr("billing.channel.api")}, nil)
	sc.Channel.SetSelectedIndex(0)
	sc.Query = widget.NewButtonWithIcon(tr("billing.query"), theme.SearchIcon(), sc.onQueryTapped)
	sc.Query.Importance = widget.HighImportance
	sc.Export = widget.NewButtonWithIcon(tr("billing.export"), theme.DownloadIcon(), sc.onExportTapped)
	sc.LedgerMsg = widget.NewLabel("")
	sc.LedgerMsg.Wrapping = fyne.TextWrapWord
	sc.Ledger = widget.NewTable(
		func() (int, int) { return len(sc.Lines) + 1, 4 },
		func() fyne.CanvasObject { return widget.NewLabel("2026-12-04 16:00:00 00") },
		func(id widget.TableCellID, o fyne.CanvasObject) { o.(*widget.Label).SetText(sc.ledgerCell(id)) })
	for i, w := range []float32{170, 100, 260, 100} {
		sc.Ledger.SetColumnWidth(i, w)
	}
	filters := container.NewBorder(nil, nil, nil, container.NewVBox(widget.NewLabel(""), container.NewHBox(sc.Query, sc.Export)),
		container.NewGridWithColumns(3, labeled(tr("billing.from"), sc.From), labeled(tr("billing.to"), sc.To),
			labeled(tr("billing.channel"), sc.Channel)))
	ledger := container.NewBorder(container.NewVBox(filters, sc.LedgerMsg), nil, nil, nil, sc.Ledger)

	// 开票
	sc.Title = widget.NewEntry()
	sc.TaxNumber = widget.NewEntry()
	sc.TaxNumber.SetPlaceHolder(tr("billing.tax.placeholder"))
	sc.TitleKind = widget.NewRadioGroup([]string{tr("billing.title.enterprise"), tr("billing.title.personal")}, func(string) { sc.onTitleKindChanged() })
	sc.TitleKind.Horizontal = true
	sc.TitleKind.SetSelected(tr("billing.title.enterprise"))
	sc.Phone = widget.NewEntry()
	sc.Email = widget.NewEntry()
	sc.Amount = widget.NewLabel("")
	sc.InvoiceBtn = widget.NewButtonWithIcon(tr("billing.invoice.request"), theme.DocumentCreateIcon(), sc.onInvoiceTapped)
	sc.InvoiceBtn.Importance = widget.HighImportance
	sc.InvoiceMsg = widget.NewLabel("")
	sc.InvoiceMsg.Wrapping = fyne.TextWrapWord
	sc.Invoices = container.NewVBox()
	form := widget.NewForm(
		widget.NewFormItem("", sc.TitleKind),
		widget.NewFormItem(tr("billing.title")+" *", sc.Title),
		widget.NewFormItem(tr("billing.tax"), sc.TaxNumber),
		widget.NewFormItem(tr("billing.phone"), sc.Phone),
		widget.NewFormItem(tr("billing.email"), sc.Email),
		widget.NewFormItem(tr("billing.amount"), sc.Amount))
	invoice := container.NewVScroll(container.NewVBox(form, container.NewHBox(sc.InvoiceBtn), sc.InvoiceMsg,
		widget.NewSeparator(), widget.NewLabelWithStyle(tr("billing.invoices"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), sc.Invoices))

	sc.Tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(tr("billing.tab.buy"), theme.ContentAddIcon(), buy),
		container.NewTabItemWithIcon(tr("billing.tab.ledger"), theme.ListIcon(), ledger),
		container.NewTabItemWithIcon(tr("billing.tab.invoice"), theme.DocumentIcon(), invoice))
	heading := widget.NewLabelWithStyle(tr("nav.billing"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	balances := container.NewGridWithColumns(2, card(tr("billing.personal"), sc.Personal), card(tr("billing.company"), sc.Company))
	owner := container.NewGridWrap(fyne.NewSize(200, sc.Owner.MinSize().Height), sc.Owner)
	top := container.NewVBox(container.NewBorder(nil, nil, heading, container.NewHBox(widget.NewLabel(tr("billing.account")), owner)),
		balances, sc.Status)
	main := container.NewBorder(top, nil, nil, nil, sc.Tabs)
	sc.content = container.NewPadded(container.NewStack(main, sc.SignIn))
	sc.onTitleKindChanged()
	return sc
}

func labeled(text string, o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVBox(widget.NewLabel(text), o)
}

func card(title string, body fyne.CanvasObject) fyne.CanvasObject {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = 6
	return container.NewStack(bg, container.NewPadded(container.NewBorder(
		widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, body)))
}

// Content implements Screen: every showing reads the balances and lists again.
func (sc *BillingScreen) Content() fyne.CanvasObject {
	sc.Reload()
	return sc.content
}

// contractsChanged follows sends and completions (they reserve and charge quota).
func (sc *BillingScreen) contractsChanged() { sc.Reload() }

// owner is the account the tabs act on.
func (sc *BillingScreen) owner() billing.Owner { return sc.owners[sc.Owner.Selected] }

// Reload reads the catalog, the balances, 费用明细 and the invoices. Call on the UI goroutine.
func (sc *BillingScreen) Reload() {
	c := sc.shell.client()
	if c == nil {
		sc.SignIn.Show()
		return
	}
	sc.SignIn.Hide()
	ent := sc.shell.Services.Conn.Context()
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		me, err := c.Me(ctx)
		if err != nil {
			uiDo(func() { sc.fail(err) })
			return
		}
		cat, err := c.BillingPackages(ctx)
		if err != nil {
			uiDo(func() { sc.fail(err) })
			return
		}
		personal, perr := c.Balance(ctx, billing.Personal(me.ID))
		var company billing.Balance
		var cerr error
		if ent != "" {
			company, cerr = c.Balance(ctx, billing.Enterprise(ent))
		}
		uiDo(func() {
			sc.Status.Hide()
			sc.catalog = cat
			sc.owners = map[string]billing.Owner{tr("billing.owner.personal"): billing.Personal(me.ID)}
			opts := []string{tr("billing.owner.personal")}
			if ent != "" {
				sc.owners[tr("billing.owner.company")] = billing.Enterprise(ent)
				opts = []string{tr("billing.owner.company"), tr("billing.owner.personal")}
			}
			sel := sc.Owner.Selected
			sc.Owner.SetOptions(opts)
			if _, ok := sc.owners[sel]; !ok {
				sel = opts[0]
			}
			sc.Owner.OnChanged = nil
			sc.Owner.SetSelected(sel)
			sc.Owner.OnChanged = func(string) { sc.onOwnerChanged() }
			sc.showBalance(sc.Personal, personal, perr)
			if ent == "" {
				sc.Company.SetText(tr("billing.company.none"))
			} else {
				sc.showBalance(sc.Company, company, cerr)
			}
			var provs []string
			for _, p := range cat.Providers {
				provs = append(provs, p.Title)
			}
			sc.Provider.SetOptions(provs)
			if sc.Provider.SelectedIndex() < 0 && len(provs) > 0 {
				sc.Provider.SetSelectedIndex(0)
			}
			if len(provs) == 0 {
				// 单机模式 and servers without a payment platform sell nothing.
				sc.Status.SetText(tr("billing.noprovider"))
				sc.Status.Show()
				sc.Provider.Disable()
			} else {
				sc.Provider.Enable()
			}
			sc.onOwnerChanged()
		})
	}()
}

func (sc *BillingScreen) showBalance(l *widget.Label, b billing.Balance, err error) {
	if err != nil {
		l.SetText(errMessage(err))
		return
	}
	text := tr("billing.balance", map[string]any{"Available": b.Available, "Reserved": b.Reserved, "Used": b.Used})
	if !b.NextExpiry.IsZero() {
		text += "\n" + tr("billing.expiry", map[string]any{"Date": b.NextExpiry.In(billing.CST).Format("2006-01-02")})
	}
	l.SetText(text)
}

func (sc *BillingScreen) fail(err error) {
	sc.Status.SetText(errMessage(err))
	sc.Status.Show()
}

// onOwnerChanged shows the packages of the chosen account's kind and reads its lists.
func (sc *BillingScreen) onOwnerChanged() {
	owner := sc.owner()
	sc.Packages.Objects = nil
	sc.BuyBtns = map[string]*widget.Button{}
	for _, p := range sc.catalog.Packages {
		if p.Kind != owner.Kind() {
			continue
		}
		p := p
		b := widget.NewButton(tr("billing.buy"), func() { sc.onBuyTapped(p) })
		b.Importance = widget.HighImportance
		if len(sc.catalog.Providers) == 0 {
			b.Disable() // nothing to pay with: the status line says why
		}
		sc.BuyBtns[p.ID] = b
		price := canvas.NewText(billing.FormatFen(p.PriceFen), theme.Color(theme.ColorNamePrimary))
		price.TextSize = theme.TextHeadingSize()
		price.TextStyle = fyne.TextStyle{Bold: true}
		docs := widget.NewLabel(tr("billing.package.docs", map[string]any{"N": p.Documents, "Days": p.ValidDays, "Kind": billingKindText(p.Kind)}))
		docs.Wrapping = fyne.TextWrapWord
		sc.Packages.Add(card(p.Name, container.NewBorder(price, b, nil, nil, docs)))
	}
	sc.Packages.Refresh()
	sc.onQueryTapped()
	sc.readInvoices()
}

func billingKindText(k billing.Kind) string {
	if k == billing.KindEnterprise {
		return tr("billing.kind.enterprise")
	}
	return tr("billing.kind.personal")
}

// onBuyTapped orders the package and shows its payment QR code; the order is then followed
// until it is paid.
func (sc *BillingScreen) onBuyTapped(p billing.Package) {
	c := sc.shell.client()
	if c == nil || sc.Provider.SelectedIndex() < 0 {
		sc.fail(fmt.Errorf("%s", tr("billing.err.provider")))
		return
	}
	prov := sc.catalog.Providers[sc.Provider.SelectedIndex()].Name
	req := billing.OrderRequest{Owner: sc.owner(), Package: p.ID, Provider: prov}
	sc.buyKey = client.NewIdempotencyKey()
	key := sc.buyKey
	for _, b := range sc.BuyBtns {
		b.Disable()
	}
	sc.PayStatus.SetText(tr("billing.pay.creating"))
	sc.Payment.Show()
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		o, err := c.Buy(ctx, key, req)
		uiDo(func() {
			for _, b := range sc.BuyBtns {
				b.Enable()
			}
			if err != nil {
				sc.Payment.Hide()
				sc.fail(err)
				return
			}
			sc.showOrder(o)
			if o.State != billing.OrderPaid {
				sc.followOrder(c, o.ID)
			}
		})
	}()
}

// showOrder puts the order's QR code and state in the payment panel.
func (sc *BillingScreen) showOrder(o billing.Order) {
	sc.Order = o
	img, err := billing.QRImage(o.QR, 360)
	if err != nil {
		sc.fail(err)
		return
	}
	sc.QRImage = img
	sc.QR.Image = img
	sc.QR.Refresh()
	text := tr("billing.pay.scan", map[string]any{"Provider": sc.Provider.Selected, "Amount": billing.FormatFen(o.AmountFen), "Name": o.Package.Name})
	if o.State == billing.OrderPaid {
		text = tr("billing.pay.paid", map[string]any{"Amount": billing.FormatFen(o.AmountFen), "N": o.Package.Documents, "Name": o.Package.Name})
		sc.PayStatus.Importance = widget.SuccessImportance
		sc.Reload()
	} else {
		sc.PayStatus.Importance = widget.MediumImportance
	}
	sc.PayStatus.SetText(text + "\n" + tr("billing.pay.order", map[string]any{"ID": o.ID}))
	sc.Payment.Show()
}

// followOrder asks the server every second until the order is paid (or another buy starts).
func (sc *BillingScreen) followOrder(c *client.Client, id string) {
	if sc.pollStop != nil {
		sc.pollStop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	sc.pollStop = cancel
	go func() {
		defer cancel()
		for sleepCtx(ctx, billingPollEvery) {
			o, err := c.Order(ctx, id)
			if err == nil && o.State == billing.OrderPaid {
				uiDo(func() { sc.showOrder(o) })
				return
			}
		}
	}()
}

func (sc *BillingScreen) ledgerCell(id widget.TableCellID) string {
	if id.Row == 0 {
		return []string{tr("billing.col.date"), tr("billing.col.count"), tr("billing.col.subject"), tr("billing.col.channel")}[id.Col]
	}
	e := sc.Lines[id.Row-1]
	switch id.Col {
	case 0:
		return e.Time.In(billing.CST).Format("2006-01-02 15:04:05")
	case 1:
		return fmt.Sprint(e.Count)
	case 2:
		return e.Subject
	}
	if e.Channel == billing.ChannelAPI {
		return tr("billing.channel.api")
	}
	return tr("billing.channel.portal")
}

// ledgerQuery reads the filters; a bad date names the field.
func (sc *BillingScreen) ledgerQuery() (client.LedgerQuery, error) {
	q := client.LedgerQuery{Owner: sc.owner()}
	for _, f := range []struct {
		e    *widget.Entry
		to   *time.Time
		name string
		end  bool
	}{{sc.From, &q.From, tr("billing.from"), false}, {sc.To, &q.To, tr("billing.to"), true}} {
		s := strings.TrimSpace(f.e.Text)
		if s == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", s, billing.CST)
		if err != nil {
			return q, &inputError{msg: tr("billing.err.date", map[string]any{"Field": f.name, "Text": s})}
		}
		if f.end {
			t = t.AddDate(0, 0, 1) // 截止 includes that day
		}
		*f.to = t
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, &inputError{msg: tr("billing.err.range")}
	}
	switch sc.Channel.SelectedIndex() {
	case 1:
		q.Channel = billing.ChannelPortal
	case 2:
		q.Channel = billing.ChannelAPI
	}
	return q, nil
}

func (sc *BillingScreen) onQueryTapped() {
	c := sc.shell.client()
	if c == nil || sc.owner() == "" {
		return
	}
	q, err := sc.ledgerQuery()
	if err != nil {
		sc.LedgerMsg.SetText(errMessage(err))
		return
	}
	sc.ledgerGen++
	gen := sc.ledgerGen
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		lines, err := c.Ledger(ctx, q)
		uiDo(func() {
			if gen != sc.ledgerGen {
				return // a later query is on its way
			}
			if err != nil {
				sc.Lines = nil
				sc.LedgerMsg.SetText(errMessage(err))
			} else {
				sc.Lines = lines
				total := 0
				for _, l := range lines {
					total += l.Count
				}
				if len(lines) == 0 {
					sc.LedgerMsg.SetText(tr("billing.ledger.empty"))
				} else {
					sc.LedgerMsg.SetText(tr("billing.ledger.total", map[string]any{"Lines": len(lines), "N": total}))
				}
			}
			sc.Ledger.Refresh()
		})
	}()
}

// onExportTapped saves the filtered 费用明细 as CSV (through a temporary file and a rename).
func (sc *BillingScreen) onExportTapped() {
	c := sc.shell.client()
	if c == nil {
		return
	}
	q, err := sc.ledgerQuery()
	if err != nil {
		sc.LedgerMsg.SetText(errMessage(err))
		return
	}
	name := tr("billing.csv.name", map[string]any{"Date": time.Now().In(billing.CST).Format("20060102")}) + ".csv"
	sc.LastSave = sc.shell.chooseSave(tr("billing.export"), filepath.Join(documentsDir(), name), "", nil, func(path string) {
		sc.wg.Add(1)
		go func() {
			defer sc.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			data, err := c.LedgerCSV(ctx, q)
			if err == nil {
				err = writeFileAtomic(path, data)
			}
			uiDo(func() {
				if err != nil {
					sc.LedgerMsg.SetText(errMessage(err))
					return
				}
				sc.LedgerMsg.SetText(tr("billing.export.done", map[string]any{"Path": path}))
			})
		}()
	})
}

func (sc *BillingScreen) onTitleKindChanged() {
	if sc.TitleKind.Selected == tr("billing.title.personal") {
		sc.TaxNumber.SetPlaceHolder(tr("billing.tax.optional"))
	} else {
		sc.TaxNumber.SetPlaceHolder(tr("billing.tax.placeholder"))
	}
}

// readInvoices reads the orders (for the amount) and the invoices of the chosen account.
func (sc *BillingScreen) readInvoices() {
	c := sc.shell.client()
	owner := sc.owner()
	if c == nil || owner == "" {
		return
	}
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		orders, oerr := c.Orders(ctx, owner)
		invs, ierr := c.Invoices(ctx, owner)
		uiDo(func() {
			if oerr != nil || ierr != nil {
				msg := errMessage(oerr)
				if msg == "" {
					msg = errMessage(ierr)
				}
				sc.Amount.SetText(msg)
				sc.InvoiceBtn.Disable()
				sc.Invoices.Objects = nil
				sc.Invoices.Refresh()
				return
			}
			sc.Uninvoiced = nil
			var sum int64
			for _, o := range orders {
				if o.State == billing.OrderPaid && o.Invoice == "" {
					sc.Uninvoiced = append(sc.Uninvoiced, o)
					sum += o.AmountFen
				}
			}
			sc.Amount.SetText(tr("billing.amount.text", map[string]any{"Amount": billing.FormatFen(sum), "N": len(sc.Uninvoiced)}))
			if len(sc.Uninvoiced) == 0 {
				sc.InvoiceBtn.Disable()
			} else {
				sc.InvoiceBtn.Enable()
			}
			sc.Invoices.Objects = nil
			sc.ReceiptBtns = map[string]*widget.Button{}
			for _, inv := range invs {
				inv := inv
				b := widget.NewButtonWithIcon(tr("billing.receipt"), theme.DownloadIcon(), func() { sc.onReceiptTapped(inv) })
				sc.ReceiptBtns[inv.ID] = b
				state := tr("billing.invoice.requested")
				if inv.State == billing.InvoiceIssued {
					state = tr("billing.invoice.issued", map[string]any{"Number": inv.Number})
				}
				sc.Invoices.Add(container.NewBorder(nil, nil, nil, b, widget.NewLabel(fmt.Sprintf("%s  %s  %s  %s",
					inv.Created.In(billing.CST).Format("2006-01-02"), inv.Title, billing.FormatFen(inv.AmountFen), state))))
			}
			if len(invs) == 0 {
				sc.Invoices.Add(widget.NewLabel(tr("billing.invoices.empty")))
			}
			sc.Invoices.Refresh()
		})
	}()
}

// invoiceRequest checks the form as the server will, so a mistake is named at once.
func (sc *BillingScreen) invoiceRequest() (billing.InvoiceRequest, error) {
	req := billing.InvoiceRequest{Owner: sc.owner(), TitleKind: billing.TitleEnterprise, Title: strings.TrimSpace(sc.Title.Text),
		TaxNumber: strings.ToUpper(strings.TrimSpace(sc.TaxNumber.Text)), Phone: strings.TrimSpace(sc.Phone.Text), Email: strings.TrimSpace(sc.Email.Text)}
	if sc.TitleKind.Selected == tr("billing.title.personal") {
		req.TitleKind = billing.TitlePersonal
	}
	if req.Title == "" {
		return req, &inputError{msg: tr("billing.err.title")}
	}
	if req.TitleKind == billing.TitleEnterprise || req.TaxNumber != "" {
		if _, err := ids.ValidateCreditCode(req.TaxNumber); err != nil {
			return req, &inputError{msg: tr("billing.err.tax", map[string]any{"Text": req.TaxNumber})}
		}
	}
	for _, o := range sc.Uninvoiced {
		req.Orders = append(req.Orders, o.ID)
	}
	return req, nil
}

// onInvoiceTapped asks to confirm 抬头 and 税号 (开票信息已确认无误), then requests the invoice.
func (sc *BillingScreen) onInvoiceTapped() {
	req, err := sc.invoiceRequest()
	if err != nil {
		sc.InvoiceMsg.SetText(errMessage(err))
		return
	}
	if sc.invKey == "" {
		sc.invKey = client.NewIdempotencyKey()
	}
	msg := tr("billing.invoice.confirm", map[string]any{"Title": req.Title, "Tax": req.TaxNumber, "Amount": sc.Amount.Text})
	d := dialog.NewConfirm(tr("billing.invoice.confirm.title"), msg, func(ok bool) {
		if ok {
			sc.sendInvoice(req)
		}
	}, sc.shell.Window)
	d.SetConfirmText(tr("billing.invoice.confirm.ok"))
	d.SetDismissText(tr("common.cancel"))
	d.Show()
}

func (sc *BillingScreen) sendInvoice(req billing.InvoiceRequest) {
	c := sc.shell.client()
	if c == nil {
		return
	}
	key := sc.invKey
	sc.InvoiceBtn.Disable()
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		inv, err := c.RequestInvoice(ctx, key, req)
		uiDo(func() {
			if err != nil {
				sc.InvoiceBtn.Enable()
				sc.InvoiceMsg.SetText(errMessage(err))
				if _, ok := err.(*client.Error); ok {
					sc.invKey = "" // refused: the corrected form is a new request
				}
				return
			}
			sc.invKey = ""
			sc.InvoiceMsg.SetText(tr("billing.invoice.done", map[string]any{"Amount": billing.FormatFen(inv.AmountFen)}))
			sc.readInvoices()
		})
	}()
}

// onReceiptTapped saves the receipt PDF of inv.
func (sc *BillingScreen) onReceiptTapped(inv billing.Invoice) {
	c := sc.shell.client()
	if c == nil {
		return
	}
	name := tr("billing.receipt.name", map[string]any{"Date": inv.Created.In(billing.CST).Format("20060102")}) + ".pdf"
	sc.LastSave = sc.shell.chooseSave(tr("billing.receipt"), filepath.Join(documentsDir(), name), "", nil, func(path string) {
		sc.wg.Add(1)
		go func() {
			defer sc.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			pdf, err := c.Receipt(ctx, inv.ID)
			if err == nil && !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				err = fmt.Errorf("receipt is not a pdf")
			}
			if err == nil {
				err = writeFileAtomic(path, pdf)
			}
			uiDo(func() {
				if err != nil {
					sc.InvoiceMsg.SetText(errMessage(err))
					return
				}
				sc.InvoiceMsg.SetText(tr("billing.receipt.done", map[string]any{"Path": path}))
			})
		}()
	})
}

// readBalance shows the quota left on 首页 (对私, and 对公 in an enterprise context).
func (sc *HomeScreen) readBalance(c *client.Client) {
	ent := ""
	if sc.shell.Services.Conn != nil {
		ent = sc.shell.Services.Conn.Context()
	}
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		me, err := c.Me(ctx)
		if err != nil {
			return
		}
		p, err := c.Balance(ctx, billing.Personal(me.ID))
		if err != nil {
			return
		}
		text := tr("home.balance.personal", map[string]any{"N": p.Available})
		if ent != "" {
			if e, err := c.Balance(ctx, billing.Enterprise(ent)); err == nil {
				text = tr("home.balance.company", map[string]any{"N": e.Available}) + " · " + text
			}
		}
		uiDo(func() {
			sc.Balance.SetText(text)
			sc.Balance.Show()
		})
	}()
}
