package billing

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"sealdesk/core/sync"
)

// Buckets of this package.
const (
	BucketAccounts     = "billing.accounts"     // owner → Account
	BucketReservations = "billing.reservations" // envelope id → Reservation
	BucketLedger       = "billing.ledger"       // owner \x00 time \x00 envelope id → Entry (费用明细)
	BucketOrders       = "billing.orders"       // order id → Order
	BucketOrderIndex   = "billing.orderindex"   // owner \x00 created \x00 order id → ""
	BucketInvoices     = "billing.invoices"     // invoice id → Invoice
	BucketInvoiceIndex = "billing.invoiceindex" // owner \x00 created \x00 invoice id → ""
)

// Event types appended to the owner's scope.
const (
	EventReserved = "billing.reserved"
	EventCharged  = "billing.charged"
	EventReleased = "billing.released"
	EventCredited = "billing.credited"
	EventInvoiced = "billing.invoiced"
)

// Refusal codes and messages.
const (
	CodeQuotaExhausted    = "quota_exhausted"
	MessageQuotaExhausted = "余额不足，请先联系企业管理员进行充值"
)

// Sentinel errors.
var (
	// ErrNotReserved is returned by Charge and Release for an envelope nothing was reserved for.
	ErrNotReserved = errors.New("no quota reserved for this envelope")
	// ErrBadOwner is returned for an owner that is neither "ent:<id>" nor "user:<id>".
	ErrBadOwner = errors.New("invalid billing owner")
	// ErrOwnerMismatch is returned by Reserve when the envelope is already reserved for another owner.
	ErrOwnerMismatch = errors.New("envelope already reserved for another owner")
)

// Owner is whose quota a document uses: an enterprise ("ent:<id>", 对公) or a person
// ("user:<id>", 对私). The value is the sync scope of that owner, so billing events go to it.
type Owner string

// Enterprise returns the owner of an enterprise's (对公) quota.
func Enterprise(id string) Owner { return Owner("ent:" + id) }

// Personal returns the owner of a person's (对私) quota.
func Personal(accountID string) Owner { return Owner("user:" + accountID) }

// Kind is 对公 (enterprise) or 对私 (personal).
type Kind string

// Kinds.
const (
	KindEnterprise Kind = "enterprise" // 对公
	KindPersonal   Kind = "personal"   // 对私
)

// String returns the manual's word.
func (k Kind) String() string {
	switch k {
	case KindEnterprise:
		return "对公"
	case KindPersonal:
		return "对私"
	}
	return string(k)
}

// Kind returns the kind of the owner's quota, or "" for an invalid owner.
func (o Owner) Kind() Kind {
	switch {
	case strings.HasPrefix(string(o), "ent:") && len(o) > 4:
		return KindEnterprise
	case strings.HasPrefix(string(o), "user:") && len(o) > 5:
		return KindPersonal
	}
	return ""
}

// ID returns the enterprise or account id.
func (o Owner) ID() string {
	_, id, _ := strings.Cut(string(o), ":")
	return id
}

// Check validates the owner.
func (o Owner) Check() error {
	if o.Kind() == "" || sync.CheckName(string(o)) != nil || strings.ContainsRune(string(o), 0) {
		return ErrBadOwner
	}
	return nil
}

// Channel is how a contract was sent (业务系统): through the portal (the desktop) or the open API.
type Channel string

// Channels.
const (
	ChannelPortal Channel = "portal" // 门户
	ChannelAPI    Channel = "api"    // 接口
)

// String returns the manual's word.
func (c Channel) String() string {
	switch c {
	case ChannelPortal:
		return "门户"
	case ChannelAPI:
		return "接口"
	}
	return string(c)
}

// ParseChannel accepts "portal"/"api" and the Chinese words 门户/接口.
func ParseChannel(s string) (Channel, error) {
	switch s {
	case "portal", "门户":
		return ChannelPortal, nil
	case "api", "接口":
		return ChannelAPI, nil
	}
	return "", fmt.Errorf("unknown channel %q", s)
}

// Lot is one credited package of an owner: its documents are usable until Expires.
type Lot struct {
	Order    string    `json:"order"`
	Count    int       `json:"count"`
	Used     int       `json:"used"`
	Reserved int       `json:"reserved"`
	Credited time.Time `json:"credited"`
	Expires  time.Time `json:"expires"`
}

func (l Lot) free() int { return l.Count - l.Used - l.Reserved }

// Account is an owner's quota: the lots it bought. It is one record, so every change to an
// owner's quota writes the same key and concurrent reservations serialize (sync store contract).
type Account struct {
	Owner Owner `json:"owner"`
	Lots  []Lot `json:"lots"`
}

// Balance is an owner's quota at one time.
type Balance struct {
	Owner     Owner `json:"owner"`
	Kind      Kind  `json:"kind"`
	Available int   `json:"available"` // documents that can be reserved now
	Reserved  int   `json:"reserved"`  // held by contracts in flight
	Used      int   `json:"used"`      // charged (completed contracts)
	Expired   int   `json:"expired"`   // left unused in lots past their validity
	Purchased int   `json:"purchased"` // every credited document
	// NextExpiry is when the soonest lot with documents still available expires (zero if none).
	NextExpiry time.Time `json:"next_expiry,omitzero"`
}

// Balance computes the balance at now.
func (a Account) Balance(now time.Time) Balance {
	b := Balance{Owner: a.Owner, Kind: a.Owner.Kind()}
	for _, l := range a.Lots {
		b.Purchased += l.Count
		b.Used += l.Used
		b.Reserved += l.Reserved
		if !now.Before(l.Expires) {
			b.Expired += l.free()
			continue
		}
		b.Available += l.free()
		if l.free() > 0 && (b.NextExpiry.IsZero() || l.Expires.Before(b.NextExpiry)) {
			b.NextExpiry = l.Expires
		}
	}
	return b
}

// ReservationState is where a reservation stands.
type ReservationState string

// Reservation states: reserved → charged or released, never back.
const (
	StateReserved ReservationState = "reserved"
	StateCharged  ReservationState = "charged"
	StateReleased ReservationState = "released"
)

// Reservation is the quota one envelope holds.
type Reservation struct {
	Envelope   string           `json:"envelope"`
	Owner      Owner            `json:"owner"`
	Count      int              `json:"count"`
	Parts      []Part           `json:"parts"` // the lots that hold it
	Channel    Channel          `json:"channel"`
	Subject    string           `json:"subject"`
	State      ReservationState `json:"state"`
	ReservedAt time.Time        `json:"reserved_at"`
	SettledAt  time.Time        `json:"settled_at,omitzero"`
}

// Part is the documents of a reservation one lot holds.
type Part struct {
	Lot   string `json:"lot"` // the order that credited the lot
	Count int    `json:"count"`
}

// Entry is one line of 费用明细: documents charged for a completed envelope.
type Entry struct {
	Time     time.Time `json:"time"`
	Count    int       `json:"count"`
	Subject  string    `json:"subject"`
	Channel  Channel   `json:"channel"`
	Envelope string    `json:"envelope"`
}

// LoadAccount reads an owner's account (empty if it never bought anything).
func LoadAccount(tx sync.Tx, owner Owner) (Account, error) {
	var a Account
	err := sync.GetJSON(tx, BucketAccounts, string(owner), &a)
	if errors.Is(err, sync.ErrNotFound) {
		return Account{Owner: owner}, nil
	}
	return a, err
}

// GetBalance returns the owner's balance at now.
func GetBalance(tx sync.Tx, owner Owner, now time.Time) (Balance, error) {
	if err := owner.Check(); err != nil {
		return Balance{}, err
	}
	a, err := LoadAccount(tx, owner)
	if err != nil {
		return Balance{}, err
	}
	return a.Balance(now), nil
}

// Reserve holds one document of owner's quota for the envelope; see ReserveDocs.
func Reserve(tx sync.Tx, owner Owner, envelopeID string, channel Channel, subject string, now time.Time) error {
	return ReserveDocs(tx, owner, envelopeID, 1, channel, subject, now)
}

// ReserveDocs holds docs documents of owner's quota for the envelope, inside the caller's
// transaction (the one that sends the contract). It takes them from the valid lots, those that
// expire first first (a reservation may span lots). Without enough available documents it returns a *sync.Refusal 402 quota_exhausted with
// MessageQuotaExhausted. It is idempotent per envelope: when the envelope already has a
// reservation for the same owner (in any state) it does nothing and returns nil.
func ReserveDocs(tx sync.Tx, owner Owner, envelopeID string, docs int, channel Channel, subject string, now time.Time) error {
	if err := owner.Check(); err != nil {
		return err
	}
	if err := sync.CheckKey(envelopeID); err != nil {
		return fmt.Errorf("envelope id: %w", err)
	}
	if docs < 1 {
		return fmt.Errorf("reserve %d documents: at least 1", docs)
	}
	if channel != ChannelPortal && channel != ChannelAPI {
		return fmt.Errorf("unknown channel %q", channel)
	}
	var r Reservation
	switch err := sync.GetJSON(tx, BucketReservations, envelopeID, &r); {
	case err == nil:
		if r.Owner != owner {
			return ErrOwnerMismatch
		}
		return nil
	case !errors.Is(err, sync.ErrNotFound):
		return err
	}
	a, err := LoadAccount(tx, owner)
	if err != nil {
		return err
	}
	// Take from the valid lots, the one that expires first first, so what is available is
	// exactly what can be reserved.
	if a.Balance(now).Available < docs {
		return sync.Refuse(http.StatusPaymentRequired, CodeQuotaExhausted, MessageQuotaExhausted)
	}
	order := make([]int, 0, len(a.Lots))
	for i, l := range a.Lots {
		if now.Before(l.Expires) && l.free() > 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(x, y int) int { return a.Lots[x].Expires.Compare(a.Lots[y].Expires) })
	r = Reservation{Envelope: envelopeID, Owner: owner, Count: docs, Channel: channel,
		Subject: subject, State: StateReserved, ReservedAt: now.UTC()}
	need := docs
	for _, i := range order {
		take := min(need, a.Lots[i].free())
		a.Lots[i].Reserved += take
		r.Parts = append(r.Parts, Part{Lot: a.Lots[i].Order, Count: take})
		if need -= take; need == 0 {
			break
		}
	}
	if err := sync.InsertJSON(tx, BucketReservations, envelopeID, r); err != nil {
		return err
	}
	if err := sync.PutJSON(tx, BucketAccounts, string(owner), a); err != nil {
		return err
	}
	return appendEvent(tx, owner, EventReserved, now, r)
}

// Charge turns the envelope's reservation into a charge (the contract completed) and writes its
// 费用明细 line, inside the caller's transaction. A second call, or a call after Release, does
// nothing. ErrNotReserved if nothing was ever reserved for the envelope.
func Charge(tx sync.Tx, envelopeID string, now time.Time) error {
	return settle(tx, envelopeID, StateCharged, now)
}

// Release gives the envelope's reserved documents back (withdrawn, declined or expired), inside
// the caller's transaction. A second call, or a call after Charge, does nothing.
// ErrNotReserved if nothing was ever reserved for the envelope.
func Release(tx sync.Tx, envelopeID string, now time.Time) error {
	return settle(tx, envelopeID, StateReleased, now)
}

func settle(tx sync.Tx, envelopeID string, to ReservationState, now time.Time) error {
	if err := sync.CheckKey(envelopeID); err != nil {
		return fmt.Errorf("envelope id: %w", err)
	}
	var r Reservation
	if err := sync.GetJSON(tx, BucketReservations, envelopeID, &r); err != nil {
		if errors.Is(err, sync.ErrNotFound) {
			return ErrNotReserved
		}
		return err
	}
	if r.State != StateReserved {
		return nil
	}
	a, err := LoadAccount(tx, r.Owner)
	if err != nil {
		return err
	}
	for _, p := range r.Parts {
		i := slices.IndexFunc(a.Lots, func(l Lot) bool { return l.Order == p.Lot })
		if i < 0 || a.Lots[i].Reserved < p.Count {
			return fmt.Errorf("corrupt billing account %s: lot %s does not hold the reservation of %s", r.Owner, p.Lot, envelopeID)
		}
		a.Lots[i].Reserved -= p.Count
		if to == StateCharged {
			a.Lots[i].Used += p.Count
		}
	}
	r.State, r.SettledAt = to, now.UTC()
	if err := sync.PutJSON(tx, BucketReservations, envelopeID, r); err != nil {
		return err
	}
	if err := sync.PutJSON(tx, BucketAccounts, string(r.Owner), a); err != nil {
		return err
	}
	typ := EventReleased
	if to == StateCharged {
		typ = EventCharged
		e := Entry{Time: now.UTC(), Count: r.Count, Subject: r.Subject, Channel: r.Channel, Envelope: envelopeID}
		if err := sync.InsertJSON(tx, BucketLedger, ledgerKey(r.Owner, e.Time, envelopeID), e); err != nil {
			return fmt.Errorf("failed to write the expense line of %s: %w", envelopeID, err)
		}
	}
	return appendEvent(tx, r.Owner, typ, now, r)
}

// GetReservation returns the envelope's reservation.
func GetReservation(tx sync.Tx, envelopeID string) (Reservation, error) {
	var r Reservation
	err := sync.GetJSON(tx, BucketReservations, envelopeID, &r)
	return r, err
}

// timeKey formats t so that byte order is time order.
func timeKey(t time.Time) string { return t.UTC().Format("20060102T150405.000000000Z") }

func ledgerKey(owner Owner, t time.Time, envelopeID string) string {
	return string(owner) + "\x00" + timeKey(t) + "\x00" + envelopeID
}

// LedgerFilter selects 费用明细 lines.
type LedgerFilter struct {
	From, To time.Time // From inclusive, To exclusive; zero means open
	Channel  Channel   // "" means both
	Limit    int       // 0: MaxLedgerPage
}

// MaxLedgerPage bounds the lines one Ledger call returns.
const MaxLedgerPage = 10000

// Ledger returns the owner's 费用明细 lines in f, newest first.
func Ledger(tx sync.Tx, owner Owner, f LedgerFilter) ([]Entry, error) {
	if err := owner.Check(); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxLedgerPage {
		limit = MaxLedgerPage
	}
	prefix := string(owner) + "\x00"
	after := ""
	if !f.From.IsZero() {
		after = prefix + timeKey(f.From) // keys at From sort after it (they continue with \x00)
		after = after[:len(after)-1] + string(rune(after[len(after)-1]-1))
	}
	var out []Entry
	err := tx.Scan(BucketLedger, prefix, after, 0, func(k string, v []byte) error {
		var e Entry
		if err := jsonUnmarshal(v, &e); err != nil {
			return fmt.Errorf("corrupt expense line %q: %w", k, err)
		}
		if !f.To.IsZero() && !e.Time.Before(f.To) {
			return sync.ErrStopScan
		}
		if !f.From.IsZero() && e.Time.Before(f.From) {
			return nil
		}
		if f.Channel != "" && e.Channel != f.Channel {
			return nil
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func appendEvent(tx sync.Tx, owner Owner, typ string, now time.Time, payload any) error {
	b, err := jsonMarshal(payload)
	if err != nil {
		return err
	}
	_, err = tx.Append(sync.Event{Scope: string(owner), Type: typ, Time: now.UTC(), Payload: b})
	return err
}

// Credit adds a lot of count documents valid for validity from now to owner's account, keyed by
// the order that paid for it; crediting the same order twice does nothing. Only Confirm (a paid
// order) and tests call it.
func Credit(tx sync.Tx, owner Owner, orderID string, count int, validity time.Duration, now time.Time) error {
	if err := owner.Check(); err != nil {
		return err
	}
	if count < 1 || validity <= 0 {
		return fmt.Errorf("credit %d documents for %v: both must be positive", count, validity)
	}
	a, err := LoadAccount(tx, owner)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(a.Lots, func(l Lot) bool { return l.Order == orderID }) {
		return nil
	}
	l := Lot{Order: orderID, Count: count, Credited: now.UTC(), Expires: now.UTC().Add(validity)}
	a.Lots = append(a.Lots, l)
	if err := sync.PutJSON(tx, BucketAccounts, string(owner), a); err != nil {
		return err
	}
	return appendEvent(tx, owner, EventCredited, now, l)
}
