package billing

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/sync"
)

// Package is a quota package the server sells (configured by the operator).
type Package struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Kind      Kind   `json:"kind"`       // who may buy it: an enterprise (对公) or a person (对私)
	Documents int    `json:"documents"`  // documents credited
	PriceFen  int64  `json:"price_fen"`  // price in fen (分)
	ValidDays int    `json:"valid_days"` // how long the credited documents stay usable
}

// Limits of the package configuration.
const (
	MaxPackages      = 100
	MaxPackageDocs   = 1_000_000
	MaxPriceFen      = 100_000_000_00 // ¥100,000,000
	MaxValidDays     = 3660
	MaxPackageIDLen  = 32
	MaxPackageName   = 40
	MaxInvoiceTitle  = 100
	MaxInvoiceOrders = 200
)

// Check validates a package.
func (p Package) Check() error {
	switch {
	case p.ID == "" || len(p.ID) > MaxPackageIDLen || strings.ContainsFunc(p.ID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}):
		return fmt.Errorf("package id %q: 1–%d characters of a-z 0-9 - _", p.ID, MaxPackageIDLen)
	case p.Name == "" || utf8.RuneCountInString(p.Name) > MaxPackageName:
		return fmt.Errorf("package %s: name of 1–%d characters", p.ID, MaxPackageName)
	case p.Kind != KindEnterprise && p.Kind != KindPersonal:
		return fmt.Errorf("package %s: kind must be enterprise or personal", p.ID)
	case p.Documents < 1 || p.Documents > MaxPackageDocs:
		return fmt.Errorf("package %s: documents must be 1–%d", p.ID, MaxPackageDocs)
	case p.PriceFen < 1 || p.PriceFen > MaxPriceFen:
		return fmt.Errorf("package %s: price must be 1–%d fen", p.ID, int64(MaxPriceFen))
	case p.ValidDays < 1 || p.ValidDays > MaxValidDays:
		return fmt.Errorf("package %s: validity must be 1–%d days", p.ID, MaxValidDays)
	}
	return nil
}

// DefaultPackages are sold when the operator configures none.
func DefaultPackages() []Package {
	return []Package{
		{ID: "ent-10", Name: "企业体验套餐", Kind: KindEnterprise, Documents: 10, PriceFen: 100_00, ValidDays: 365},
		{ID: "ent-100", Name: "企业标准套餐", Kind: KindEnterprise, Documents: 100, PriceFen: 800_00, ValidDays: 365},
		{ID: "ent-1000", Name: "企业专业套餐", Kind: KindEnterprise, Documents: 1000, PriceFen: 6000_00, ValidDays: 730},
		{ID: "per-10", Name: "个人套餐", Kind: KindPersonal, Documents: 10, PriceFen: 50_00, ValidDays: 365},
	}
}

// ParsePackages reads a package configuration: a JSON array of Package. Every package is
// checked; ids must be unique.
func ParsePackages(r io.Reader) ([]Package, error) {
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	var ps []Package
	if err := dec.Decode(&ps); err != nil {
		return nil, fmt.Errorf("failed to read packages: %w", err)
	}
	if len(ps) == 0 || len(ps) > MaxPackages {
		return nil, fmt.Errorf("packages: 1–%d expected, got %d", MaxPackages, len(ps))
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if err := p.Check(); err != nil {
			return nil, err
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("package id %s appears twice", p.ID)
		}
		seen[p.ID] = true
	}
	return ps, nil
}

// OrderState is where an order stands.
type OrderState string

// Order states: pending → paid.
const (
	OrderPending OrderState = "pending"
	OrderPaid    OrderState = "paid"
)

// Order is one purchase of a package for an owner.
type Order struct {
	ID        string     `json:"id"`
	Owner     Owner      `json:"owner"`
	Buyer     string     `json:"buyer"` // account id
	Package   Package    `json:"package"`
	AmountFen int64      `json:"amount_fen"`
	Provider  string     `json:"provider"`
	State     OrderState `json:"state"`
	QR        string     `json:"qr,omitempty"`      // the payment QR payload
	Ref       string     `json:"ref,omitempty"`     // the provider's order reference
	Txn       string     `json:"txn,omitempty"`     // the provider's transaction id (when paid)
	Invoice   string     `json:"invoice,omitempty"` // the invoice that covers it
	Created   time.Time  `json:"created"`
	Paid      time.Time  `json:"paid,omitzero"`
}

// Payment is what a provider returns for a new order.
type Payment struct {
	QR  string // the payload of the QR code the payer scans
	Ref string // the provider's reference of the order
}

// Notification is a payment notification whose signature the provider checked.
type Notification struct {
	Order     string
	Txn       string
	AmountFen int64
}

// Provider is a payment platform (see the package doc for the contract).
type Provider interface {
	// Name is the provider's name in URLs and orders ("dev", "wechat", …).
	Name() string
	// Title is what the payer sees (微信支付, 支付宝, 开发环境).
	Title() string
	// CreatePayment registers o with the platform and returns the QR payload. It may be called
	// again for the same order after a failure and must then return an equivalent payment.
	CreatePayment(ctx context.Context, o Order) (Payment, error)
	// ParseNotification checks the signature of an asynchronous notification and returns what
	// it confirms. An error means the notification is not trusted and nothing is credited.
	ParseNotification(header http.Header, body []byte) (Notification, error)
}

// Autoconfirmer is a provider that confirms a payment at once (the dev provider): the server
// delivers the returned notification to itself right after creating the order.
type Autoconfirmer interface {
	Notify(o Order) (http.Header, []byte)
}

// DevProvider is the development payment provider: its QR payload names the order and amount,
// and it signs its own notifications with Key (HMAC-SHA256). WARNING: it credits quota without
// any payment; the server offers it only under --dev.
type DevProvider struct {
	Key     []byte
	BaseURL string // the server's address, written into the QR payload
}

var (
	_ Provider      = (*DevProvider)(nil)
	_ Autoconfirmer = (*DevProvider)(nil)
)

// DevSignatureHeader carries the dev provider's HMAC of the notification body (hex).
const DevSignatureHeader = "X-Sealdesk-Dev-Signature"

func (d *DevProvider) Name() string  { return "dev" }
func (d *DevProvider) Title() string { return "开发环境（不收款）" }

// CreatePayment returns "<BaseURL>/dev/pay/<order>?amount_fen=<n>" as the QR payload: it names
// the order, it is not a page the server serves (the dev provider confirms at once; there is
// nothing to pay).
func (d *DevProvider) CreatePayment(ctx context.Context, o Order) (Payment, error) {
	return Payment{QR: DevQR(d.BaseURL, o), Ref: "dev-" + o.ID}, nil
}

// DevQR is the dev provider's QR payload for o.
func DevQR(baseURL string, o Order) string {
	return strings.TrimRight(baseURL, "/") + "/dev/pay/" + url.PathEscape(o.ID) + "?amount_fen=" + strconv.FormatInt(o.AmountFen, 10)
}

type devNote struct {
	Order     string `json:"order"`
	Txn       string `json:"txn"`
	AmountFen int64  `json:"amount_fen"`
}

// Notify returns a signed notification that o was paid in full.
func (d *DevProvider) Notify(o Order) (http.Header, []byte) {
	body, _ := json.Marshal(devNote{Order: o.ID, Txn: "dev-txn-" + o.ID, AmountFen: o.AmountFen})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(DevSignatureHeader, d.sign(body))
	return h, body
}

func (d *DevProvider) sign(body []byte) string {
	m := hmac.New(sha256.New, d.Key)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// ParseNotification checks the HMAC and decodes the body.
func (d *DevProvider) ParseNotification(header http.Header, body []byte) (Notification, error) {
	got, err := hex.DecodeString(header.Get(DevSignatureHeader))
	want, _ := hex.DecodeString(d.sign(body))
	if err != nil || len(d.Key) == 0 || !hmac.Equal(got, want) {
		return Notification{}, ErrBadSignature
	}
	var n devNote
	if err := json.Unmarshal(body, &n); err != nil {
		return Notification{}, fmt.Errorf("bad dev notification: %w", err)
	}
	return Notification{Order: n.Order, Txn: n.Txn, AmountFen: n.AmountFen}, nil
}

// More sentinel errors.
var (
	// ErrBadSignature is returned for a notification whose signature does not verify.
	ErrBadSignature = errors.New("payment notification signature does not verify")
	// ErrAmountMismatch is returned for a notification whose amount differs from the order's.
	ErrAmountMismatch = errors.New("payment notification amount differs from the order")
)

// Service is the 费用中心 over a store: packages, orders, payment confirmation, invoices.
type Service struct {
	Store     sync.Store
	Packages  []Package           // nil: DefaultPackages
	Providers map[string]Provider // by name
	Issuer    InvoiceIssuer       // nil: receipts only, no tax invoices
	Now       func() time.Time
	// Hub, when set, wakes long polls of the scopes billing events were appended to.
	Hub *sync.Hub
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// PackageList returns the packages on sale.
func (s *Service) PackageList() []Package {
	if s.Packages == nil {
		return DefaultPackages()
	}
	return slices.Clone(s.Packages)
}

// Refusals of orders and invoices.
var (
	refuseUnknownPackage  = sync.Refuse(http.StatusBadRequest, "unknown_package", "套餐不存在")
	refuseWrongKind       = sync.Refuse(http.StatusBadRequest, "package_kind", "企业只能购买对公套餐，个人只能购买对私套餐")
	refuseUnknownProvider = sync.Refuse(http.StatusBadRequest, "unknown_provider", "不支持该支付方式")
	refuseBadOwner        = sync.Refuse(http.StatusBadRequest, "bad_owner", "无效的费用账户（应为 ent:<企业> 或 user:<个人>）")
)

// idFor derives an id from who asked and their idempotency key, so a retried request finds the
// record its first attempt made.
func idFor(kind, actor, key string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + actor + "\x00" + key))
	return hex.EncodeToString(h[:12])
}

// CreateOrder creates (or, for a retried key, returns) an order of packageID for owner, paid
// through provider, and asks the provider for its QR payload. The caller has authorized buyer.
// With an Autoconfirmer provider the order is confirmed at once.
func (s *Service) CreateOrder(ctx context.Context, buyer string, owner Owner, packageID, provider, key string) (Order, error) {
	if owner.Check() != nil {
		return Order{}, refuseBadOwner
	}
	if sync.CheckIdempotencyKey(key) != nil {
		return Order{}, sync.Refuse(http.StatusBadRequest, "bad_idempotency_key", "缺少或无效的 Idempotency-Key（须为 1–128 个可打印 ASCII 字符）")
	}
	i := slices.IndexFunc(s.PackageList(), func(p Package) bool { return p.ID == packageID })
	if i < 0 {
		return Order{}, refuseUnknownPackage
	}
	pkg := s.PackageList()[i]
	if pkg.Kind != owner.Kind() {
		return Order{}, refuseWrongKind
	}
	prov, ok := s.Providers[provider]
	if !ok {
		return Order{}, refuseUnknownProvider
	}
	now := s.now()
	o := Order{ID: idFor("order", buyer, key), Owner: owner, Buyer: buyer, Package: pkg, AmountFen: pkg.PriceFen,
		Provider: provider, State: OrderPending, Created: now}
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		var old Order
		switch err := sync.GetJSON(tx, BucketOrders, o.ID, &old); {
		case err == nil:
			if old.Owner != owner || old.Package.ID != packageID || old.Provider != provider {
				return sync.Refuse(http.StatusConflict, "idempotency_key_reused", "该 Idempotency-Key 已用于另一个订单")
			}
			o = old
			return nil
		case !errors.Is(err, sync.ErrNotFound):
			return err
		}
		if err := sync.InsertJSON(tx, BucketOrders, o.ID, o); err != nil {
			return err
		}
		if err := tx.Put(BucketOrderIndex, string(owner)+"\x00"+timeKey(now)+"\x00"+o.ID, nil); err != nil {
			return err
		}
		return sync.Audit(tx, sync.AuditEntry{Time: now, Actor: buyer, Action: "billing.order", Target: string(owner),
			Detail: o.ID + " " + pkg.ID + " " + FormatFen(pkg.PriceFen) + " via " + provider})
	})
	if err != nil || o.QR != "" && o.State == OrderPaid {
		return o, err
	}
	if o.QR == "" {
		pay, err := prov.CreatePayment(ctx, o)
		if err != nil {
			return o, fmt.Errorf("payment provider %s: %w", provider, err)
		}
		err = s.Store.Update(ctx, func(tx sync.Tx) error {
			if err := sync.GetJSON(tx, BucketOrders, o.ID, &o); err != nil {
				return err
			}
			if o.QR == "" {
				o.QR, o.Ref = pay.QR, pay.Ref
				return sync.PutJSON(tx, BucketOrders, o.ID, o)
			}
			return nil
		})
		if err != nil {
			return o, err
		}
	}
	if ac, ok := prov.(Autoconfirmer); ok && o.State == OrderPending {
		h, body := ac.Notify(o)
		paid, _, err := s.Confirm(ctx, provider, h, body)
		if err != nil {
			return o, err
		}
		o = paid
	}
	return o, nil
}

// Confirm handles a payment notification of provider: it checks the signature, then marks the
// order paid and credits its lot in one transaction. A notification for an order already paid
// credits nothing and returns credited == false.
func (s *Service) Confirm(ctx context.Context, provider string, header http.Header, body []byte) (o Order, credited bool, err error) {
	prov, ok := s.Providers[provider]
	if !ok {
		return Order{}, false, refuseUnknownProvider
	}
	n, err := prov.ParseNotification(header, body)
	if err != nil {
		return Order{}, false, err
	}
	now := s.now()
	err = s.Store.Update(ctx, func(tx sync.Tx) error {
		credited = false
		if err := sync.GetJSON(tx, BucketOrders, n.Order, &o); err != nil {
			return err
		}
		if o.Provider != provider {
			return fmt.Errorf("order %s is paid through %s, not %s", o.ID, o.Provider, provider)
		}
		if o.State == OrderPaid {
			return nil
		}
		if n.AmountFen != o.AmountFen {
			return ErrAmountMismatch
		}
		o.State, o.Paid, o.Txn = OrderPaid, now, n.Txn
		if err := sync.PutJSON(tx, BucketOrders, o.ID, o); err != nil {
			return err
		}
		credited = true
		if err := sync.Audit(tx, sync.AuditEntry{Time: now, Actor: "system", Action: "billing.paid", Target: string(o.Owner),
			Detail: o.ID + " txn " + n.Txn + " " + FormatFen(n.AmountFen)}); err != nil {
			return err
		}
		return Credit(tx, o.Owner, o.ID, o.Package.Documents, time.Duration(o.Package.ValidDays)*24*time.Hour, now)
	})
	if err == nil && credited && s.Hub != nil {
		s.Hub.Notify(string(o.Owner))
	}
	return o, credited, err
}

// GetOrder reads an order.
func GetOrder(tx sync.Tx, id string) (Order, error) {
	var o Order
	if sync.CheckKey(id) != nil {
		return o, sync.ErrNotFound
	}
	err := sync.GetJSON(tx, BucketOrders, id, &o)
	return o, err
}

// Orders lists the owner's orders, newest first, at most limit (0: 1000).
func Orders(tx sync.Tx, owner Owner, limit int) ([]Order, error) {
	if limit <= 0 {
		limit = 1000
	}
	var ids []string
	err := tx.Scan(BucketOrderIndex, string(owner)+"\x00", "", 0, func(k string, _ []byte) error {
		ids = append(ids, k[strings.LastIndexByte(k, 0)+1:])
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(ids)
	out := []Order{}
	for _, id := range ids[:min(limit, len(ids))] {
		o, err := GetOrder(tx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Catalog is what the server sells: GET /api/v1/billing/packages.
type Catalog struct {
	Packages  []Package      `json:"packages"`
	Providers []ProviderInfo `json:"providers"`
}

// ProviderInfo names a payment provider for the payer.
type ProviderInfo struct {
	Name  string `json:"name"`
	Title string `json:"title"`
}

// OrderRequest is the body of POST /api/v1/billing/orders.
type OrderRequest struct {
	Owner    Owner  `json:"owner"`
	Package  string `json:"package"`
	Provider string `json:"provider"`
}
