package billing_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sealdesk/core/billing"
	"sealdesk/core/sync"
)

func newService(s sync.Store, now time.Time) (*billing.Service, *billing.DevProvider) {
	dev := &billing.DevProvider{Key: []byte("test-key-0123456789"), BaseURL: "http://127.0.0.1:1"}
	return &billing.Service{Store: s, Providers: map[string]billing.Provider{"dev": dev}, Now: func() time.Time { return now }}, dev
}

func TestOrdersAndInvoices(t *testing.T) {
	stores(t, func(t *testing.T, s sync.Store) {
		now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
		svc, dev := newService(s, now)
		ent := billing.Enterprise("e1")
		// Wrong kind, unknown package, unknown provider.
		for _, tc := range []struct {
			owner           billing.Owner
			pkg, prov, code string
		}{
			{ent, "per-10", "dev", "package_kind"},
			{ent, "nope", "dev", "unknown_package"},
			{ent, "ent-10", "alipay", "unknown_provider"},
			{"bogus", "ent-10", "dev", "bad_owner"},
		} {
			_, err := svc.CreateOrder(ctx, "u1", tc.owner, tc.pkg, tc.prov, "k-bad")
			var ref *sync.Refusal
			if !errors.As(err, &ref) || ref.Code != tc.code {
				t.Errorf("%+v: %v", tc, err)
			}
		}
		o, err := svc.CreateOrder(ctx, "u1", ent, "ent-10", "dev", "k1")
		if err != nil {
			t.Fatal(err)
		}
		if o.State != billing.OrderPaid || o.AmountFen != 10000 || !strings.HasPrefix(o.QR, "http://127.0.0.1:1/dev/pay/"+o.ID+"?amount_fen=10000") {
			t.Fatalf("order %+v", o)
		}
		// The same key again: the same order, no second credit.
		o2, err := svc.CreateOrder(ctx, "u1", ent, "ent-10", "dev", "k1")
		if err != nil || o2.ID != o.ID {
			t.Fatalf("retry: %+v %v", o2, err)
		}
		// Duplicated notifications: credited once.
		h, body := dev.Notify(o)
		for range 3 {
			if _, credited, err := svc.Confirm(ctx, "dev", h, body); err != nil || credited {
				t.Fatalf("duplicate notification: credited=%v %v", credited, err)
			}
		}
		if b := balance(t, s, ent, now); b.Available != 10 || b.Purchased != 10 {
			t.Fatalf("balance %+v", b)
		}
		// A forged notification is refused.
		bad := h.Clone()
		bad.Set(billing.DevSignatureHeader, strings.Repeat("00", 32))
		if _, _, err := svc.Confirm(ctx, "dev", bad, body); !errors.Is(err, billing.ErrBadSignature) {
			t.Errorf("forged notification: %v", err)
		}
		if _, _, err := svc.Confirm(ctx, "dev", http.Header{}, body); !errors.Is(err, billing.ErrBadSignature) {
			t.Errorf("unsigned notification: %v", err)
		}
		// Invoices: a bad tax number, then a good request for every paid order.
		req := billing.InvoiceRequest{Owner: ent, TitleKind: billing.TitleEnterprise, Title: "上海测试科技有限公司", TaxNumber: "91310000MA1FL0000X"}
		var ref *sync.Refusal
		if _, err := svc.RequestInvoice(ctx, "u1", "i0", req); !errors.As(err, &ref) || ref.Code != "bad_tax_number" {
			t.Fatalf("bad tax number: %v", err)
		}
		req.TaxNumber = "91350100M000100Y43"
		inv, err := svc.RequestInvoice(ctx, "u1", "i1", req)
		if err != nil {
			t.Fatal(err)
		}
		if inv.AmountFen != 10000 || len(inv.Orders) != 1 || inv.Orders[0] != o.ID || inv.State != billing.InvoiceRequested {
			t.Fatalf("invoice %+v", inv)
		}
		if again, err := svc.RequestInvoice(ctx, "u1", "i1", req); err != nil || again.ID != inv.ID {
			t.Fatalf("retried invoice: %+v %v", again, err)
		}
		if _, err := svc.RequestInvoice(ctx, "u1", "i2", req); !errors.As(err, &ref) || ref.Code != "nothing_to_invoice" {
			t.Fatalf("second invoice of the same orders: %v", err)
		}
		req.Orders = []string{o.ID}
		if _, err := svc.RequestInvoice(ctx, "u1", "i3", req); !errors.As(err, &ref) || ref.Code != "order_invoiced" {
			t.Fatalf("invoicing an invoiced order: %v", err)
		}
		var list []billing.Invoice
		must(t, s.View(ctx, func(tx sync.Tx) (err error) { list, err = billing.Invoices(tx, ent); return }))
		if len(list) != 1 || list[0].ID != inv.ID {
			t.Fatalf("invoices %+v", list)
		}
	})
}

// TestReceiptPDF renders a receipt, checks its text with pdftotext and renders it with pdftoppm
// to $SEALDESK_SHOTS (when set) for a person to look at.
func TestReceiptPDF(t *testing.T) {
	paid := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	orders := []billing.Order{
		{ID: "3f2a9c0d1e2b3c4d5e6f7a8b", Package: billing.DefaultPackages()[1], AmountFen: 80000, Paid: paid, State: billing.OrderPaid},
		{ID: "aa11bb22cc33dd44ee55ff66", Package: billing.DefaultPackages()[0], AmountFen: 10000, Paid: paid, State: billing.OrderPaid},
	}
	inv := billing.Invoice{ID: "0123456789abcdef01234567", TitleKind: billing.TitleEnterprise, Title: "上海测试科技有限公司",
		TaxNumber: "91350100M000100Y43", Phone: "13800138000", AmountFen: 90000, Created: paid, State: billing.InvoiceRequested}
	pdf, err := billing.ReceiptPDF(inv, orders, "SealDesk 演示服务器")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) > 200<<10 {
		t.Fatalf("receipt of %d bytes", len(pdf))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "receipt.pdf")
	must(t, os.WriteFile(path, pdf, 0o600))
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) not installed; the receipt text is not checked")
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"收 据", "上海测试科技有限公司", "91350100M000100Y43", "企业标准套餐", "¥800.00", "¥900.00", "不是增值税发票", "2026-12-04 16:00"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt text lacks %q:\n%s", want, text)
		}
	}
	if shots := os.Getenv("SEALDESK_SHOTS"); shots != "" {
		must(t, os.MkdirAll(shots, 0o755))
		if out, err := exec.Command("pdftoppm", "-png", "-r", "80", "-singlefile", path, filepath.Join(shots, "receipt")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
	}
}

func TestFormatFenAndPackages(t *testing.T) {
	for fen, want := range map[int64]string{0: "¥0.00", 5: "¥0.05", 10000: "¥100.00", 123456789: "¥1,234,567.89", -150: "-¥1.50"} {
		if got := billing.FormatFen(fen); got != want {
			t.Errorf("%d: %s, want %s", fen, got, want)
		}
	}
	for _, tc := range []struct{ in, err string }{
		{`[{"id":"a","name":"A","kind":"enterprise","documents":5,"price_fen":100,"valid_days":30}]`, ""},
		{`[]`, "1–100"},
		{`[{"id":"A!","name":"A","kind":"enterprise","documents":5,"price_fen":100,"valid_days":30}]`, "package id"},
		{`[{"id":"a","name":"A","kind":"both","documents":5,"price_fen":100,"valid_days":30}]`, "kind"},
		{`[{"id":"a","name":"A","kind":"personal","documents":0,"price_fen":100,"valid_days":30}]`, "documents"},
		{`[{"id":"a","name":"A","kind":"personal","documents":1,"price_fen":0,"valid_days":30}]`, "price"},
		{`[{"id":"a","name":"A","kind":"personal","documents":1,"price_fen":1,"valid_days":0}]`, "validity"},
		{`[{"id":"a","name":"A","kind":"personal","documents":1,"price_fen":1,"valid_days":1},{"id":"a","name":"B","kind":"personal","documents":1,"price_fen":1,"valid_days":1}]`, "twice"},
		{`[{"id":"a","name":"A","kind":"personal","documents":1,"price_fen":1,"valid_days":1,"extra":1}]`, "unknown field"},
	} {
		_, err := billing.ParsePackages(strings.NewReader(tc.in))
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.err)
		}
	}
}
