package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"sealdesk/core/billing"
	"sealdesk/core/envelope"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// MaxNotificationBody bounds a payment notification's body.
const MaxNotificationBody = 64 << 10

// setupBilling builds the 费用中心 service: the configured packages, the payment providers (the
// dev one only under Dev) and the permission check of enterprise billing.
func (s *Server) setupBilling() error {
	providers := map[string]billing.Provider{}
	if s.opts.Dev {
		key, err := s.ca.keys.subkey("billing-dev-provider")
		if err != nil {
			return err
		}
		providers["dev"] = &billing.DevProvider{Key: key, BaseURL: s.opts.BaseURL}
	}
	for _, p := range s.opts.PaymentProviders {
		if _, dup := providers[p.Name()]; dup {
			return fmt.Errorf("payment provider %q is registered twice", p.Name())
		}
		providers[p.Name()] = p
	}
	for _, p := range s.opts.BillingPackages {
		if err := p.Check(); err != nil {
			return err
		}
	}
	s.billing = &billing.Service{Store: s.opts.Store, Packages: s.opts.BillingPackages, Providers: providers,
		Issuer: s.opts.InvoiceIssuer, Now: s.opts.Now, Hub: s.hub}
	return nil
}

// Billing returns the 费用中心 service (tests, and the contract domain's wiring).
func (s *Server) Billing() *billing.Service { return s.billing }

var refuseBillingOwner = sync.Refuse(http.StatusForbidden, "forbidden_owner", "无权查看或操作该费用账户")

// billingAccess lets c act on owner's billing: a person on their own quota; for an enterprise,
// an enabled member holding p (p == "": any enabled member; org.Service.Require).
func (s *Server) billingAccess(tx sync.Tx, c *call, owner billing.Owner, p org.Permission) error {
	switch owner.Kind() {
	case billing.KindPersonal:
		if owner.ID() == c.account.ID {
			return nil
		}
		return refuseBillingOwner
	case billing.KindEnterprise:
		_, err := s.org.Require(tx, owner.ID(), c.account.ID, p)
		return err
	}
	return sync.Refuse(http.StatusBadRequest, "bad_owner", "无效的费用账户（应为 ent:<企业> 或 user:<个人>）")
}

// ownerParam reads ?owner=, defaulting to the caller's personal quota.
func ownerParam(r *http.Request, c *call) billing.Owner {
	if o := r.URL.Query().Get("owner"); o != "" {
		return billing.Owner(o)
	}
	return billing.Personal(c.account.ID)
}

func (s *Server) handleBillingPackages(w http.ResponseWriter, r *http.Request, c *call) error {
	out := billing.Catalog{Packages: s.billing.PackageList(), Providers: []billing.ProviderInfo{}}
	for _, n := range sortedKeys(s.billing.Providers) {
		out.Providers = append(out.Providers, billing.ProviderInfo{Name: n, Title: s.billing.Providers[n].Title()})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleBillingBalance(w http.ResponseWriter, r *http.Request, c *call) error {
	owner := ownerParam(r, c)
	var b billing.Balance
	err := s.opts.Store.View(r.Context(), func(tx sync.Tx) (err error) {
		if err := s.billingAccess(tx, c, owner, ""); err != nil {
			return err
		}
		b, err = billing.GetBalance(tx, owner, s.opts.Now())
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) handleBillingLedger(w http.ResponseWriter, r *http.Request, c *call) error {
	owner := ownerParam(r, c)
	q := r.URL.Query()
	var f billing.LedgerFilter
	var err error
	if f.From, err = billing.ParseDay(q.Get("from")); err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_date", "起始日期格式应为 2006-01-02")
	}
	if f.To, err = billing.ParseDay(q.Get("to")); err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_date", "截止日期格式应为 2006-01-02")
	}
	if ch := q.Get("channel"); ch != "" {
		if f.Channel, err = billing.ParseChannel(ch); err != nil {
			return sync.Refuse(http.StatusBadRequest, "bad_channel", "业务系统应为 门户 或 接口")
		}
	}
	if l := q.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 || f.Limit > billing.MaxLedgerPage {
			return sync.Refuse(http.StatusBadRequest, "bad_limit", fmt.Sprintf("limit 应为 1–%d", billing.MaxLedgerPage))
		}
	}
	var lines []billing.Entry
	err = s.opts.Store.View(r.Context(), func(tx sync.Tx) (err error) {
		if err := s.billingAccess(tx, c, owner, org.PermBilling); err != nil {
			return err
		}
		lines, err = billing.Ledger(tx, owner, f)
		return err
	})
	if err != nil {
		return err
	}
	if lines == nil {
		lines = []billing.Entry{}
	}
	if q.Get("format") == "csv" {
		var b bytes.Buffer
		if err := billing.WriteCSV(&b, lines); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="billing-ledger.csv"`)
		w.Write(b.Bytes())
		return nil
	}
	writeJSON(w, http.StatusOK, lines)
	return nil
}

func (s *Server) handleBillingOrder(w http.ResponseWriter, r *http.Request, c *call) error {
	var req billing.OrderRequest
	if err := decodeJSON(r, 4<<10, &req); err != nil {
		return err
	}
	if err := s.opts.Store.View(r.Context(), func(tx sync.Tx) error {
		return s.billingAccess(tx, c, req.Owner, org.PermBilling)
	}); err != nil {
		return err
	}
	o, err := s.billing.CreateOrder(r.Context(), c.account.ID, req.Owner, req.Package, req.Provider, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (s *Server) handleBillingOrders(w http.ResponseWriter, r *http.Request, c *call) error {
	owner := ownerParam(r, c)
	var out []billing.Order
	err := s.opts.Store.View(r.Context(), func(tx sync.Tx) (err error) {
		if err := s.billingAccess(tx, c, owner, org.PermBilling); err != nil {
			return err
		}
		out, err = billing.Orders(tx, owner, 0)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleBillingOrderGet(w http.ResponseWriter, r *http.Request, c *call) error {
	var o billing.Order
	err := s.opts.Store.View(r.Context(), func(tx sync.Tx) (err error) {
		if o, err = billing.GetOrder(tx, r.PathValue("id")); err != nil {
			return err
		}
		if err := s.billingAccess(tx, c, o.Owner, org.PermBilling); err != nil {
			return sync.ErrNotFound // do not tell others which orders exist
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) handleBillingNotify(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxNotificationBody+1))
	if err != nil {
		return sync.Refuse(http.StatusBadRequest, "bad_request", "读取请求体失败")
	}
	if len(body) > MaxNotificationBody {
		return sync.Refuse(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("请求体不能超过 %d 字节", MaxNotificationBody))
	}
	o, credited, err := s.billing.Confirm(r.Context(), r.PathValue("provider"), r.Header, body)
	switch {
	case errors.Is(err, billing.ErrBadSignature):
		s.log.Warn("payment notification with a bad signature", "provider", r.PathValue("provider"), "from", clientAddr(r))
		return sync.Refuse(http.StatusBadRequest, "bad_signature", "支付通知签名无效")
	case errors.Is(err, billing.ErrAmountMismatch):
		s.log.Error("payment notification amount differs from the order", "provider", r.PathValue("provider"))
		return sync.Refuse(http.StatusConflict, "amount_mismatch", "支付金额与订单金额不符")
	case errors.Is(err, sync.ErrNotFound):
		return sync.Refuse(http.StatusNotFound, "unknown_order", "订单不存在")
	case err != nil:
		return err
	}
	if credited {
		s.log.Info("order paid", "order", o.ID, "owner", o.Owner, "documents", o.Package.Documents)
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": o.ID, "state": o.State, "credited": credited})
	return nil
}

func (s *Server) handleBillingInvoice(w http.ResponseWriter, r *http.Request, c *call) error {
	var req billing.InvoiceRequest
	if err := decodeJSON(r, 32<<10, &req); err != nil {
		return err
	}
	if err := s.opts.Store.View(r.Context(), func(tx sync.Tx) error {
		return s.billingAccess(tx, c, req.Owner, org.PermBilling)
	}); err != nil {
		return err
	}
	inv, err := s.billing.RequestInvoice(r.Context(), c.account.ID, r.Header.Get("Idempotency-Key"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, inv)
	return nil
}

func (s *Server) handleBillingInvoices(w http.ResponseWriter, r *http.Request, c *call) error {
	owner := ownerParam(r, c)
	var out []billing.Invoice
	err := s.opts.Store.View(r.Context(), func(tx sync.Tx) (err error) {
		if err := s.billingAccess(tx, c, owner, org.PermBilling); err != nil {
			return err
		}
		out, err = billing.Invoices(tx, owner)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleBillingReceipt(w http.ResponseWriter, r *http.Request, c *call) error {
	var inv billing.Invoice
	var orders []billing.Order
	err := s.opts.Store.View(r.Context(), func(tx sync.Tx) (err error) {
		if inv, err = billing.GetInvoice(tx, r.PathValue("id")); err != nil {
			return err
		}
		if err := s.billingAccess(tx, c, inv.Owner, org.PermBilling); err != nil {
			return sync.ErrNotFound
		}
		orders = nil
		for _, id := range inv.Orders {
			o, err := billing.GetOrder(tx, id)
			if err != nil {
				return err
			}
			orders = append(orders, o)
		}
		return nil
	})
	if err != nil {
		return err
	}
	payee := s.opts.Organization
	if payee == "" {
		payee = "SealDesk"
	}
	pdf, err := billing.ReceiptPDF(inv, orders, payee)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="receipt-`+inv.ID+`.pdf"`)
	w.Write(pdf)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// BillingQuota is the envelope.Quota that bills contracts against core/billing: a send on behalf
// of an enterprise reserves the enterprise's (对公) quota, a personal send the sender's (对私)
// one, one document per file; completion charges it, withdrawal, decline and expiry release it.
// Sends through the desktop's routes are the 门户 channel, through the open API (/api/v1/open) the
// 接口 channel. cmd/sealdesk-server wires it unless
// --free-contracts.
func BillingQuota() envelope.Quota {
	return envelope.Quota{
		Reserve: func(tx sync.Tx, enterpriseID, senderID, envelopeID string, docs int, subject, channel string, now time.Time) error {
			owner := billing.Personal(senderID)
			if enterpriseID != "" {
				owner = billing.Enterprise(enterpriseID)
			}
			ch := billing.ChannelPortal
			if channel == envelope.ChannelAPI {
				ch = billing.ChannelAPI
			}
			return billing.ReserveDocs(tx, owner, envelopeID, max(docs, 1), ch, subject, now)
		},
		Charge: func(tx sync.Tx, envelopeID string, now time.Time) error {
			return ignoreUnreserved(billing.Charge(tx, envelopeID, now))
		},
		Release: func(tx sync.Tx, envelopeID string, now time.Time) error {
			return ignoreUnreserved(billing.Release(tx, envelopeID, now))
		},
	}
}

// ignoreUnreserved lets envelopes sent before billing was switched on complete and end.
func ignoreUnreserved(err error) error {
	if errors.Is(err, billing.ErrNotReserved) {
		return nil
	}
	return err
}
