package billing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/assets"
	"sealdesk/core/ids"
	"sealdesk/core/pdf/textpdf"
	"sealdesk/core/sync"
)

// TitleKind is whom an invoice is made out to.
type TitleKind string

// Title kinds of the manual's 开票 page.
const (
	TitleEnterprise TitleKind = "enterprise" // 企业: the tax number (统一社会信用代码) is required and checked
	TitlePersonal   TitleKind = "personal"   // 个人/其他: no tax number
)

// InvoiceState is where an invoice stands.
type InvoiceState string

// Invoice states: requested (a receipt exists) → issued (a tax platform issued the e-invoice).
const (
	InvoiceRequested InvoiceState = "requested"
	InvoiceIssued    InvoiceState = "issued"
)

// InvoiceRequest is what the payer fills in on the 开票 page.
type InvoiceRequest struct {
	Owner     Owner     `json:"owner"`
	Orders    []string  `json:"orders,omitempty"` // empty: every paid order not yet invoiced
	TitleKind TitleKind `json:"title_kind"`
	Title     string    `json:"title"`
	TaxNumber string    `json:"tax_number,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Email     string    `json:"email,omitempty"`
}

// Invoice is a requested invoice: the receipt's data.
type Invoice struct {
	ID          string       `json:"id"`
	Owner       Owner        `json:"owner"`
	RequestedBy string       `json:"requested_by"`
	Orders      []string     `json:"orders"`
	TitleKind   TitleKind    `json:"title_kind"`
	Title       string       `json:"title"`
	TaxNumber   string       `json:"tax_number,omitempty"`
	Phone       string       `json:"phone,omitempty"`
	Email       string       `json:"email,omitempty"`
	AmountFen   int64        `json:"amount_fen"`
	State       InvoiceState `json:"state"`
	Number      string       `json:"number,omitempty"` // the tax platform's invoice number
	Created     time.Time    `json:"created"`
}

// InvoiceIssuer is a tax platform (税务平台 / 电子发票服务商) that issues real electronic invoices
// (全电发票). SealDesk ships none: a deployment plugs one in. Without it the server only makes
// receipts (收据), which are not tax invoices.
type InvoiceIssuer interface {
	// Issue asks the platform for the e-invoice of inv and returns its number. It is called after
	// the request is stored and may be called again for the same invoice; it must then return the
	// same number.
	Issue(ctx context.Context, inv Invoice, orders []Order) (number string, err error)
}

// FormatFen formats an amount in fen as yuan: "¥1,234.50".
func FormatFen(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	yuan := fmt.Sprint(fen / 100)
	for i := len(yuan) - 3; i > 0; i -= 3 {
		yuan = yuan[:i] + "," + yuan[i:]
	}
	s := fmt.Sprintf("¥%s.%02d", yuan, fen%100)
	if neg {
		s = "-" + s
	}
	return s
}

func refuseInvoice(code, msg string) *sync.Refusal {
	return sync.Refuse(http.StatusBadRequest, code, msg)
}

// Check validates the request's own fields (not the orders).
func (r *InvoiceRequest) Check() error {
	r.Title, r.TaxNumber = strings.TrimSpace(r.Title), strings.ToUpper(strings.TrimSpace(r.TaxNumber))
	r.Phone, r.Email = strings.TrimSpace(r.Phone), strings.TrimSpace(r.Email)
	if r.Owner.Check() != nil {
		return refuseBadOwner
	}
	if r.TitleKind != TitleEnterprise && r.TitleKind != TitlePersonal {
		return refuseInvoice("bad_title_kind", "请选择抬头类型：企业 或 个人/其他")
	}
	if r.Title == "" || utf8.RuneCountInString(r.Title) > MaxInvoiceTitle || strings.ContainsFunc(r.Title, func(c rune) bool { return c < 0x20 }) {
		return refuseInvoice("bad_title", fmt.Sprintf("发票抬头必填，不超过 %d 个字符", MaxInvoiceTitle))
	}
	if r.TitleKind == TitleEnterprise {
		if _, err := ids.ValidateCreditCode(r.TaxNumber); err != nil {
			return refuseInvoice("bad_tax_number", "税号不是有效的统一社会信用代码（18 位，校验位须正确）")
		}
	} else if r.TaxNumber != "" {
		if _, err := ids.ValidateCreditCode(r.TaxNumber); err != nil {
			return refuseInvoice("bad_tax_number", "税号不是有效的统一社会信用代码（18 位，校验位须正确）；个人抬头可不填")
		}
	}
	if r.Phone != "" && (len(r.Phone) != 11 || r.Phone[0] != '1' || strings.ContainsFunc(r.Phone, func(c rune) bool { return c < '0' || c > '9' })) {
		return refuseInvoice("bad_phone", "手机号应为 11 位数字")
	}
	if r.Email != "" {
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email || len(r.Email) > 254 {
			return refuseInvoice("bad_email", "邮箱地址格式不正确")
		}
	}
	if len(r.Orders) > MaxInvoiceOrders {
		return refuseInvoice("too_many_orders", fmt.Sprintf("一次最多为 %d 个订单开票", MaxInvoiceOrders))
	}
	return nil
}

// RequestInvoice stores an invoice for the request's paid, not yet invoiced orders (all of them
// when none are named) and marks those orders invoiced, in one transaction; a retry with the same
// key returns the same invoice. The caller has authorized actor. With an Issuer, it then asks the
// tax platform for the e-invoice.
func (s *Service) RequestInvoice(ctx context.Context, actor, key string, req InvoiceRequest) (Invoice, error) {
	if err := req.Check(); err != nil {
		return Invoice{}, err
	}
	if sync.CheckIdempotencyKey(key) != nil {
		return Invoice{}, sync.Refuse(http.StatusBadRequest, "bad_idempotency_key", "缺少或无效的 Idempotency-Key（须为 1–128 个可打印 ASCII 字符）")
	}
	now := s.now()
	inv := Invoice{ID: idFor("invoice", actor, key), Owner: req.Owner, RequestedBy: actor, TitleKind: req.TitleKind,
		Title: req.Title, TaxNumber: req.TaxNumber, Phone: req.Phone, Email: req.Email, State: InvoiceRequested, Created: now}
	var orders []Order
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		orders = nil
		var old Invoice
		switch err := sync.GetJSON(tx, BucketInvoices, inv.ID, &old); {
		case err == nil:
			inv = old
			return nil
		case !errors.Is(err, sync.ErrNotFound):
			return err
		}
		names := req.Orders
		if len(names) == 0 {
			all, err := Orders(tx, req.Owner, 0)
			if err != nil {
				return err
			}
			for _, o := range all {
				if o.State == OrderPaid && o.Invoice == "" {
					names = append(names, o.ID)
				}
			}
			if len(names) == 0 {
				return refuseInvoice("nothing_to_invoice", "没有可开票的已支付订单")
			}
		}
		inv.Orders, inv.AmountFen = nil, 0
		for _, id := range names {
			o, err := GetOrder(tx, id)
			if errors.Is(err, sync.ErrNotFound) || err == nil && o.Owner != req.Owner {
				return refuseInvoice("unknown_order", "订单不存在："+id)
			}
			if err != nil {
				return err
			}
			if o.State != OrderPaid {
				return refuseInvoice("order_not_paid", "订单尚未支付，不能开票："+id)
			}
			if o.Invoice != "" {
				return refuseInvoice("order_invoiced", "订单已开过票："+id)
			}
			if slices.Contains(inv.Orders, id) {
				continue
			}
			o.Invoice = inv.ID
			if err := sync.PutJSON(tx, BucketOrders, id, o); err != nil {
				return err
			}
			inv.Orders = append(inv.Orders, id)
			inv.AmountFen += o.AmountFen
			orders = append(orders, o)
		}
		if err := sync.InsertJSON(tx, BucketInvoices, inv.ID, inv); err != nil {
			return err
		}
		if err := tx.Put(BucketInvoiceIndex, string(req.Owner)+"\x00"+timeKey(now)+"\x00"+inv.ID, nil); err != nil {
			return err
		}
		if err := sync.Audit(tx, sync.AuditEntry{Time: now, Actor: actor, Action: "billing.invoice", Target: string(req.Owner),
			Detail: inv.ID + " " + FormatFen(inv.AmountFen)}); err != nil {
			return err
		}
		return appendEvent(tx, req.Owner, EventInvoiced, now, inv)
	})
	if err != nil || s.Issuer == nil || inv.State == InvoiceIssued {
		return inv, err
	}
	if orders == nil {
		if err := s.Store.View(ctx, func(tx sync.Tx) error {
			for _, id := range inv.Orders {
				o, err := GetOrder(tx, id)
				if err != nil {
					return err
				}
				orders = append(orders, o)
			}
			return nil
		}); err != nil {
			return inv, err
		}
	}
	number, err := s.Issuer.Issue(ctx, inv, orders)
	if err != nil {
		// The request stands (a receipt exists); issuing is retried by requesting again.
		return inv, fmt.Errorf("tax platform: %w", err)
	}
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		if err := sync.GetJSON(tx, BucketInvoices, inv.ID, &inv); err != nil {
			return err
		}
		inv.State, inv.Number = InvoiceIssued, number
		return sync.PutJSON(tx, BucketInvoices, inv.ID, inv)
	})
	return inv, err
}

// GetInvoice reads an invoice.
func GetInvoice(tx sync.Tx, id string) (Invoice, error) {
	var inv Invoice
	if sync.CheckKey(id) != nil {
		return inv, sync.ErrNotFound
	}
	err := sync.GetJSON(tx, BucketInvoices, id, &inv)
	return inv, err
}

// Invoices lists the owner's invoices, newest first.
func Invoices(tx sync.Tx, owner Owner) ([]Invoice, error) {
	var ids []string
	err := tx.Scan(BucketInvoiceIndex, string(owner)+"\x00", "", 0, func(k string, _ []byte) error {
		ids = append(ids, k[strings.LastIndexByte(k, 0)+1:])
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(ids)
	out := []Invoice{}
	for _, id := range ids {
		inv, err := GetInvoice(tx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, nil
}

// ReceiptPDF renders the receipt (收据) of inv and its orders: an A4 page in Chinese with Noto
// Sans CJK SC embedded. It says plainly that it is not a tax invoice unless inv was issued.
func ReceiptPDF(inv Invoice, orders []Order, issuer string) ([]byte, error) {
	w, err := textpdf.New(assets.SansRegular, "NotoSansSC-Regular")
	if err != nil {
		return nil, err
	}
	cst := time.FixedZone("CST", 8*3600)
	w.Line("收  据", 20)
	w.Line("SealDesk 电子签约 · 费用中心", 9)
	w.Rule()
	w.Line("", 6)
	kind := "企业"
	if inv.TitleKind == TitlePersonal {
		kind = "个人/其他"
	}
	rows := [][2]string{
		{"收据编号", inv.ID},
		{"开具日期", inv.Created.In(cst).Format("2006-01-02 15:04")},
		{"抬头类型", kind},
		{"抬    头", inv.Title},
	}
	if inv.TaxNumber != "" {
		rows = append(rows, [2]string{"税    号", inv.TaxNumber})
	}
	if inv.Phone != "" {
		rows = append(rows, [2]string{"手 机 号", inv.Phone})
	}
	if inv.Email != "" {
		rows = append(rows, [2]string{"邮    箱", inv.Email})
	}
	rows = append(rows, [2]string{"收 款 方", issuer})
	for _, r := range rows {
		w.Row(11, textpdf.Cell{X: 0, Text: r[0]}, textpdf.Cell{X: 70, Text: r[1]})
	}
	w.Line("", 8)
	w.Row(10, textpdf.Cell{X: 0, Text: "订单号"}, textpdf.Cell{X: 160, Text: "套餐"}, textpdf.Cell{X: 290, Text: "份数"},
		textpdf.Cell{X: 330, Text: "支付日期"}, textpdf.Cell{X: 420, Text: "金额"})
	w.Rule()
	var total int64
	for _, o := range orders {
		w.Row(10, textpdf.Cell{X: 0, Text: o.ID}, textpdf.Cell{X: 160, Text: o.Package.Name},
			textpdf.Cell{X: 290, Text: fmt.Sprint(o.Package.Documents)},
			textpdf.Cell{X: 330, Text: o.Paid.In(cst).Format("2006-01-02")}, textpdf.Cell{X: 420, Text: FormatFen(o.AmountFen)})
		total += o.AmountFen
	}
	w.Rule()
	w.Row(12, textpdf.Cell{X: 0, Text: "合计金额"}, textpdf.Cell{X: 420, Text: FormatFen(total)})
	w.Line("", 10)
	if inv.State == InvoiceIssued {
		w.Wrapped("电子发票已由税务平台开具，发票号码："+inv.Number+"。本收据仅作付款凭证。", 9.5)
	} else {
		w.Wrapped("本收据是付款凭证，不是增值税发票。电子发票须由税务平台开具；本服务器未接入税务平台时，请凭本收据向运营方申领发票。", 9.5)
	}
	return w.Bytes(true)
}
