package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"sealdesk/core/billing"
)

// BillingPackages returns the packages on sale and the payment providers.
func (c *Client) BillingPackages(ctx context.Context) (billing.Catalog, error) {
	var v billing.Catalog
	return v, c.json(ctx, "GET", "/api/v1/billing/packages", nil, &v)
}

func ownerQuery(owner billing.Owner) string {
	if owner == "" {
		return ""
	}
	return "owner=" + url.QueryEscape(string(owner))
}

// Balance returns the quota of owner ("" : the caller's personal quota).
func (c *Client) Balance(ctx context.Context, owner billing.Owner) (billing.Balance, error) {
	var v billing.Balance
	return v, c.json(ctx, "GET", "/api/v1/billing/balance?"+ownerQuery(owner), nil, &v)
}

// LedgerQuery filters 费用明细.
type LedgerQuery struct {
	Owner    billing.Owner
	From, To time.Time // zero: open; To is exclusive
	Channel  billing.Channel
}

func (q LedgerQuery) values() url.Values {
	v := url.Values{}
	if q.Owner != "" {
		v.Set("owner", string(q.Owner))
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339))
	}
	if q.Channel != "" {
		v.Set("channel", string(q.Channel))
	}
	return v
}

// Ledger returns the 费用明细 lines of q, newest first.
func (c *Client) Ledger(ctx context.Context, q LedgerQuery) ([]billing.Entry, error) {
	var v []billing.Entry
	return v, c.json(ctx, "GET", "/api/v1/billing/ledger?"+q.values().Encode(), nil, &v)
}

// LedgerCSV returns the 费用明细 lines of q as CSV (UTF-8 with a byte-order mark).
func (c *Client) LedgerCSV(ctx context.Context, q LedgerQuery) ([]byte, error) {
	v := q.values()
	v.Set("format", "csv")
	_, b, err := c.do(ctx, "GET", "/api/v1/billing/ledger?"+v.Encode(), nil, nil, nil)
	return b, err
}

// Buy orders a package for owner, paid through provider. key is the idempotency key: a retry
// with the same key returns the same order.
func (c *Client) Buy(ctx context.Context, key string, req billing.OrderRequest) (billing.Order, error) {
	var o billing.Order
	return o, c.keyed(ctx, key, "/api/v1/billing/orders", req, &o)
}

// Order returns an order (to poll its payment).
func (c *Client) Order(ctx context.Context, id string) (billing.Order, error) {
	var o billing.Order
	return o, c.json(ctx, "GET", "/api/v1/billing/orders/"+url.PathEscape(id), nil, &o)
}

// Orders lists owner's orders, newest first.
func (c *Client) Orders(ctx context.Context, owner billing.Owner) ([]billing.Order, error) {
	var v []billing.Order
	return v, c.json(ctx, "GET", "/api/v1/billing/orders?"+ownerQuery(owner), nil, &v)
}

// RequestInvoice asks for an invoice (a receipt, and an e-invoice when the server has a tax
// platform). key is the idempotency key.
func (c *Client) RequestInvoice(ctx context.Context, key string, req billing.InvoiceRequest) (billing.Invoice, error) {
	var inv billing.Invoice
	return inv, c.keyed(ctx, key, "/api/v1/billing/invoices", req, &inv)
}

// Invoices lists owner's invoices, newest first.
func (c *Client) Invoices(ctx context.Context, owner billing.Owner) ([]billing.Invoice, error) {
	var v []billing.Invoice
	return v, c.json(ctx, "GET", "/api/v1/billing/invoices?"+ownerQuery(owner), nil, &v)
}

// Receipt downloads the receipt PDF of an invoice.
func (c *Client) Receipt(ctx context.Context, invoiceID string) ([]byte, error) {
	_, b, err := c.do(ctx, "GET", "/api/v1/billing/invoices/"+url.PathEscape(invoiceID)+"/receipt", nil, nil, nil)
	return b, err
}

// PaymentNotify posts a payment notification as the provider's platform would (tests and
// provider adapters); the answer says whether it credited the order.
func (c *Client) PaymentNotify(ctx context.Context, provider string, header http.Header, body []byte) (credited bool, err error) {
	var v struct {
		Credited bool `json:"credited"`
	}
	h := header.Clone()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	_, _, err = c.do(ctx, "POST", "/api/v1/billing/notify/"+url.PathEscape(provider), h, body, &v)
	return v.Credited, err
}

func (c *Client) keyed(ctx context.Context, key, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	_, _, err = c.do(ctx, "POST", path, http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {key}}, b, out)
	return err
}
