package webhook

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// Buckets used by this package.
const (
	BucketEndpoints  = "webhook_endpoints"  // <enterprise>/<endpoint> → Endpoint
	BucketEvents     = "webhook_events"     // <enterprise>/<event> → Event
	BucketDeliveries = "webhook_deliveries" // <enterprise>/<delivery> → Delivery (newest first)
	BucketQueue      = "webhook_queue"      // <due time>/<enterprise>/<delivery> → "1"
	BucketAttempts   = "webhook_attempts"   // <delivery>/<attempt, 4 digits> → Attempt
)

// Event types sent to integrators.
const (
	EventEnterpriseVerified     = "enterprise.verified"
	EventEnterpriseAdminChanged = "enterprise.admin_changed"
	EventMemberJoined           = "member.joined"
	EventMemberDisabled         = "member.disabled"
	// Every state change of an enterprise's contract (core/envelope.EventOf): the data names the
	// envelope, its status, the step and the recipient.
	EventEnvelopeSent      = "envelope.sent"
	EventEnvelopeSigned    = "envelope.signed"
	EventEnvelopeDeclined  = "envelope.declined"
	EventEnvelopeWithdrawn = "envelope.withdrawn"
	EventEnvelopeExpired   = "envelope.expired"
	EventEnvelopeCompleted = "envelope.completed"
	// EventPing is the test event an admin sends to one endpoint from the 企业 screen.
	EventPing = "webhook.ping"
)

// EventTypes lists the event types an endpoint can subscribe to, in the order the screen shows
// them.
var EventTypes = []string{EventEnterpriseVerified, EventEnterpriseAdminChanged, EventMemberJoined, EventMemberDisabled,
	EventEnvelopeSent, EventEnvelopeSigned, EventEnvelopeDeclined, EventEnvelopeWithdrawn, EventEnvelopeExpired, EventEnvelopeCompleted}

// Limits.
const (
	MaxURLLen            = 2048
	MaxEndpoints         = 10 // per enterprise
	MaxDescriptionLen    = 200
	MaxResponseRead      = 64 << 10 // bytes of an answer read before the connection is dropped
	MaxResponseKept      = 512      // bytes of an answer kept in the attempt log
	DefaultMaxAttempts   = 10
	DefaultBackoff       = 30 * time.Second
	DefaultMaxBackoff    = 2 * time.Hour
	DefaultTimeout       = 10 * time.Second
	DefaultPollInterval  = time.Second
	DefaultWorkers       = 4
	DefaultLeaseOverhead = 50 * time.Second // lease = Timeout + this
)

// Delivery states.
const (
	StatePending   = "pending"   // waiting for its next attempt (or in flight while leased)
	StateSucceeded = "succeeded" // a 2xx answer
	StateFailed    = "failed"    // gave up after MaxAttempts, or the endpoint is gone
)

// Attempt outcomes.
const (
	OutcomeInFlight  = "in_flight"
	OutcomeOK        = "ok"
	OutcomeFailed    = "failed"
	OutcomeAbandoned = "abandoned" // the process sending it died; the receiver may have got it
)

// Endpoint is an integrator's URL that receives an enterprise's events.
type Endpoint struct {
	ID           string    `json:"id"`
	EnterpriseID string    `json:"enterprise_id"`
	URL          string    `json:"url"`
	Description  string    `json:"description,omitempty"`
	Events       []string  `json:"events,omitempty"` // empty: every type
	Disabled     bool      `json:"disabled,omitempty"`
	SecretHint   string    `json:"secret_hint"` // the secret's last 4 characters
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	CreatedBy    string    `json:"created_by,omitempty"`
	// SealedSecret is the secret under AES-256-GCM (nonce first); never sent to clients.
	SealedSecret []byte `json:"sealed_secret,omitempty"`
}

// Public returns the endpoint without its sealed secret.
func (e Endpoint) Public() Endpoint {
	e.SealedSecret = nil
	return e
}

// Subscribed reports whether the endpoint receives events of typ.
func (e Endpoint) Subscribed(typ string) bool {
	return !e.Disabled && (len(e.Events) == 0 || slices.Contains(e.Events, typ) || typ == EventPing)
}

// Event is what happened; its JSON is the body every delivery of it sends.
type Event struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Created      time.Time       `json:"created"`
	EnterpriseID string          `json:"enterprise_id"`
	Data         json.RawMessage `json:"data"`
}

// Delivery is one event on its way to one endpoint.
type Delivery struct {
	ID           string    `json:"id"`
	EnterpriseID string    `json:"enterprise_id"`
	EndpointID   string    `json:"endpoint_id"`
	EndpointURL  string    `json:"endpoint_url"`
	EventID      string    `json:"event_id"`
	EventType    string    `json:"event_type"`
	State        string    `json:"state"`
	Attempts     int       `json:"attempts"`
	NextAt       time.Time `json:"next_at,omitzero"`
	LastStatus   int       `json:"last_status,omitempty"`
	LastError    string    `json:"last_error,omitempty"`
	RedeliveryOf string    `json:"redelivery_of,omitempty"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	// Lease: who is sending attempt Attempts, and until when (empty: nobody).
	LeaseOwner string    `json:"lease_owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	QueueKey   string    `json:"queue_key,omitempty"`
}

// Attempt is one request of a delivery, as the delivery log shows it.
type Attempt struct {
	N          int       `json:"n"`
	Owner      string    `json:"owner"`
	Started    time.Time `json:"started"`
	DurationMS int64     `json:"duration_ms"`
	Outcome    string    `json:"outcome"`
	Status     int       `json:"status,omitempty"` // HTTP status of the answer
	Error      string    `json:"error,omitempty"`
	Response   string    `json:"response,omitempty"` // the answer's first MaxResponseKept bytes
}

// newID makes an id that sorts newest first: prefix + ^nanoseconds + random.
func newID(prefix string, now time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], ^uint64(now.UnixNano()))
	rand.Read(b[8:])
	return prefix + hex.EncodeToString(b[:])
}

func queueKey(due time.Time, enterpriseID, deliveryID string) string {
	return due.UTC().Format("20060102T150405.000000000") + "/" + enterpriseID + "/" + deliveryID
}

func attemptKey(deliveryID string, n int) string { return fmt.Sprintf("%s/%04d", deliveryID, n) }

// refusals.
func refuse(status int, code, msg string) *sync.Refusal { return sync.Refuse(status, code, msg) }

var errNoEndpoint = refuse(http.StatusNotFound, "webhook_not_found", "Webhook 端点不存在")

// Enqueue records an event of enterpriseID inside tx — the transaction of the change it reports —
// and a delivery to every enabled endpoint subscribed to typ. It returns the event id ("" when
// no endpoint wants it: nothing is written then).
func Enqueue(tx sync.Tx, enterpriseID, typ string, data any, now time.Time) (string, error) {
	eps, err := endpoints(tx, enterpriseID)
	if err != nil {
		return "", err
	}
	var want []Endpoint
	for _, ep := range eps {
		if ep.Subscribed(typ) {
			want = append(want, ep)
		}
	}
	if len(want) == 0 {
		return "", nil
	}
	ev, err := putEvent(tx, enterpriseID, typ, data, now)
	if err != nil {
		return "", err
	}
	for _, ep := range want {
		if _, err := addDelivery(tx, ep, ev, "", now); err != nil {
			return "", err
		}
	}
	return ev.ID, nil
}

func putEvent(tx sync.Tx, enterpriseID, typ string, data any, now time.Time) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("failed to marshal webhook data: %w", err)
	}
	ev := Event{ID: newID("evt_", now), Type: typ, Created: now.UTC(), EnterpriseID: enterpriseID, Data: raw}
	return ev, sync.InsertJSON(tx, BucketEvents, enterpriseID+"/"+ev.ID, ev)
}

func addDelivery(tx sync.Tx, ep Endpoint, ev Event, redeliveryOf string, now time.Time) (Delivery, error) {
	d := Delivery{ID: newID("dlv_", now), EnterpriseID: ep.EnterpriseID, EndpointID: ep.ID, EndpointURL: ep.URL,
		EventID: ev.ID, EventType: ev.Type, State: StatePending, NextAt: now.UTC(), RedeliveryOf: redeliveryOf,
		Created: now.UTC(), Updated: now.UTC()}
	d.QueueKey = queueKey(now, d.EnterpriseID, d.ID)
	if err := tx.Put(BucketQueue, d.QueueKey, []byte("1")); err != nil {
		return Delivery{}, err
	}
	return d, sync.InsertJSON(tx, BucketDeliveries, d.EnterpriseID+"/"+d.ID, d)
}

func endpoints(tx sync.Tx, enterpriseID string) ([]Endpoint, error) {
	var out []Endpoint
	err := tx.Scan(BucketEndpoints, enterpriseID+"/", "", 0, func(_ string, v []byte) error {
		var ep Endpoint
		if err := json.Unmarshal(v, &ep); err != nil {
			return fmt.Errorf("corrupt webhook endpoint: %w", err)
		}
		out = append(out, ep)
		return nil
	})
	return out, err
}

// --- endpoint management (the caller checks org.PermManageIntegrations in the same tx) ----------

// EndpointInput is what an admin sets on an endpoint.
type EndpointInput struct {
	URL         string   `json:"url"`
	Description string   `json:"description,omitempty"`
	Events      []string `json:"events,omitempty"`
	Disabled    bool     `json:"disabled,omitempty"`
}

func (s *Service) checkInput(in *EndpointInput) error {
	in.URL = strings.TrimSpace(in.URL)
	if err := CheckURL(in.URL, s.opts.AllowPrivate); err != nil {
		return err
	}
	in.Description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(in.Description) > MaxDescriptionLen || !utf8.ValidString(in.Description) || strings.ContainsFunc(in.Description, org.Invisible) {
		return refuse(http.StatusBadRequest, "bad_description", fmt.Sprintf("备注不能超过 %d 个字符，不能包含控制字符或不可见字符", MaxDescriptionLen))
	}
	seen := map[string]bool{}
	var evs []string
	for _, e := range in.Events {
		if !slices.Contains(EventTypes, e) {
			return refuse(http.StatusBadRequest, "bad_event_type", "未知的事件类型："+clip(e, 64))
		}
		if !seen[e] {
			seen[e] = true
			evs = append(evs, e)
		}
	}
	in.Events = evs
	return nil
}

// CreateEndpoint adds an endpoint to an enterprise and returns it with its secret, which is
// shown this once.
func (s *Service) CreateEndpoint(tx sync.Tx, enterpriseID, actor string, in EndpointInput, now time.Time) (Endpoint, string, error) {
	if err := s.checkInput(&in); err != nil {
		return Endpoint{}, "", err
	}
	if err := sync.Claim(tx, "webhook-endpoints/"+enterpriseID); err != nil {
		return Endpoint{}, "", err
	}
	eps, err := endpoints(tx, enterpriseID)
	if err != nil {
		return Endpoint{}, "", err
	}
	if len(eps) >= MaxEndpoints {
		return Endpoint{}, "", refuse(http.StatusConflict, "too_many_webhooks", fmt.Sprintf("每个企业最多 %d 个 Webhook 端点", MaxEndpoints))
	}
	ep := Endpoint{ID: newID("whk_", now), EnterpriseID: enterpriseID, URL: in.URL, Description: in.Description, Events: in.Events,
		Disabled: in.Disabled, Created: now.UTC(), Updated: now.UTC(), CreatedBy: actor}
	secret, err := s.newSecret(&ep)
	if err != nil {
		return Endpoint{}, "", err
	}
	if err := sync.InsertJSON(tx, BucketEndpoints, enterpriseID+"/"+ep.ID, ep); err != nil {
		return Endpoint{}, "", err
	}
	return ep.Public(), secret, nil
}

// Endpoints lists an enterprise's endpoints (without secrets).
func (s *Service) Endpoints(tx sync.Tx, enterpriseID string) ([]Endpoint, error) {
	eps, err := endpoints(tx, enterpriseID)
	for i := range eps {
		eps[i] = eps[i].Public()
	}
	if eps == nil {
		eps = []Endpoint{}
	}
	return eps, err
}

func getEndpoint(tx sync.Tx, enterpriseID, id string) (Endpoint, error) {
	var ep Endpoint
	err := sync.GetJSON(tx, BucketEndpoints, enterpriseID+"/"+id, &ep)
	if errors.Is(err, sync.ErrNotFound) || errors.Is(err, sync.ErrBadKey) {
		return ep, errNoEndpoint
	}
	return ep, err
}

// UpdateEndpoint changes an endpoint's URL, description, events and enabled state.
func (s *Service) UpdateEndpoint(tx sync.Tx, enterpriseID, id string, in EndpointInput, now time.Time) (Endpoint, error) {
	if err := s.checkInput(&in); err != nil {
		return Endpoint{}, err
	}
	ep, err := getEndpoint(tx, enterpriseID, id)
	if err != nil {
		return Endpoint{}, err
	}
	ep.URL, ep.Description, ep.Events, ep.Disabled, ep.Updated = in.URL, in.Description, in.Events, in.Disabled, now.UTC()
	if err := sync.PutJSON(tx, BucketEndpoints, enterpriseID+"/"+id, ep); err != nil {
		return Endpoint{}, err
	}
	return ep.Public(), nil
}

// RotateSecret gives an endpoint a new secret (shown this once); the old one stops at once.
func (s *Service) RotateSecret(tx sync.Tx, enterpriseID, id string, now time.Time) (Endpoint, string, error) {
	ep, err := getEndpoint(tx, enterpriseID, id)
	if err != nil {
		return Endpoint{}, "", err
	}
	secret, err := s.newSecret(&ep)
	if err != nil {
		return Endpoint{}, "", err
	}
	ep.Updated = now.UTC()
	if err := sync.PutJSON(tx, BucketEndpoints, enterpriseID+"/"+id, ep); err != nil {
		return Endpoint{}, "", err
	}
	return ep.Public(), secret, nil
}

// DeleteEndpoint removes an endpoint; its pending deliveries fail when they come due.
func (s *Service) DeleteEndpoint(tx sync.Tx, enterpriseID, id string) error {
	if _, err := getEndpoint(tx, enterpriseID, id); err != nil {
		return err
	}
	return tx.Delete(BucketEndpoints, enterpriseID+"/"+id)
}

// Ping sends a webhook.ping event to one endpoint (even one not subscribed to anything else).
func (s *Service) Ping(tx sync.Tx, enterpriseID, id, actor string, now time.Time) (Delivery, error) {
	ep, err := getEndpoint(tx, enterpriseID, id)
	if err != nil {
		return Delivery{}, err
	}
	if ep.Disabled {
		return Delivery{}, refuse(http.StatusConflict, "webhook_disabled", "该 Webhook 端点已停用，请先启用")
	}
	ev, err := putEvent(tx, enterpriseID, EventPing, map[string]string{"endpoint_id": ep.ID, "sent_by": actor}, now)
	if err != nil {
		return Delivery{}, err
	}
	return addDelivery(tx, ep, ev, "", now)
}

// Deliveries lists an enterprise's deliveries, newest first, after the delivery id after
// ("" from the newest), at most limit; endpointID filters when not "".
func (s *Service) Deliveries(tx sync.Tx, enterpriseID, endpointID, after string, limit int) ([]Delivery, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	out := []Delivery{}
	a := ""
	if after != "" {
		a = enterpriseID + "/" + after
	}
	err := tx.Scan(BucketDeliveries, enterpriseID+"/", a, 0, func(_ string, v []byte) error {
		var d Delivery
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("corrupt webhook delivery: %w", err)
		}
		if endpointID != "" && d.EndpointID != endpointID {
			return nil
		}
		d.LeaseOwner, d.QueueKey = "", ""
		out = append(out, d)
		if len(out) >= limit {
			return sync.ErrStopScan
		}
		return nil
	})
	return out, err
}

// DeliveryDetail is a delivery with its event and every attempt.
type DeliveryDetail struct {
	Delivery Delivery  `json:"delivery"`
	Event    Event     `json:"event"`
	Attempts []Attempt `json:"attempts"`
}

// Delivery returns one delivery of an enterprise with its event and attempts.
func (s *Service) Delivery(tx sync.Tx, enterpriseID, id string) (DeliveryDetail, error) {
	var dd DeliveryDetail
	if err := getDelivery(tx, enterpriseID, id, &dd.Delivery); err != nil {
		return dd, err
	}
	dd.Delivery.LeaseOwner, dd.Delivery.QueueKey = "", ""
	if err := sync.GetJSON(tx, BucketEvents, enterpriseID+"/"+dd.Delivery.EventID, &dd.Event); err != nil {
		return dd, err
	}
	as, err := attempts(tx, id)
	dd.Attempts = as
	return dd, err
}

func attempts(tx sync.Tx, deliveryID string) ([]Attempt, error) {
	out := []Attempt{}
	err := tx.Scan(BucketAttempts, deliveryID+"/", "", 0, func(_ string, v []byte) error {
		var a Attempt
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("corrupt webhook attempt: %w", err)
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

func getDelivery(tx sync.Tx, enterpriseID, id string, d *Delivery) error {
	err := sync.GetJSON(tx, BucketDeliveries, enterpriseID+"/"+id, d)
	if errors.Is(err, sync.ErrNotFound) || errors.Is(err, sync.ErrBadKey) {
		return refuse(http.StatusNotFound, "delivery_not_found", "投递记录不存在")
	}
	return err
}

// Redeliver sends a delivery's event again to its endpoint, as a new delivery (same event id,
// so the receiver can tell it is the same event).
func (s *Service) Redeliver(tx sync.Tx, enterpriseID, id string, now time.Time) (Delivery, error) {
	var d Delivery
	if err := getDelivery(tx, enterpriseID, id, &d); err != nil {
		return Delivery{}, err
	}
	ep, err := getEndpoint(tx, enterpriseID, d.EndpointID)
	if err != nil {
		return Delivery{}, refuse(http.StatusConflict, "webhook_not_found", "该投递的 Webhook 端点已删除，无法重新投递")
	}
	if ep.Disabled {
		return Delivery{}, refuse(http.StatusConflict, "webhook_disabled", "该 Webhook 端点已停用，请先启用")
	}
	var ev Event
	if err := sync.GetJSON(tx, BucketEvents, enterpriseID+"/"+d.EventID, &ev); err != nil {
		return Delivery{}, err
	}
	return addDelivery(tx, ep, ev, d.ID, now)
}

// --- secrets ----------------------------------------------------------------------------------

// SecretPrefix starts every endpoint secret. The HMAC key is the whole secret string.
const SecretPrefix = "whsec_"

func (s *Service) newSecret(ep *Endpoint) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	secret := SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	sealed, err := s.seal([]byte(secret), ep.EnterpriseID+"/"+ep.ID)
	if err != nil {
		return "", err
	}
	ep.SealedSecret, ep.SecretHint = sealed, secret[len(secret)-4:]
	return secret, nil
}

func (s *Service) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(s.opts.Key)
	if err != nil {
		return nil, fmt.Errorf("webhook secret key: %w", err)
	}
	return cipher.NewGCM(block)
}

func (s *Service) seal(plain []byte, ad string) ([]byte, error) {
	a, err := s.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, a.NonceSize())
	rand.Read(nonce)
	return a.Seal(nonce, nonce, plain, []byte(ad)), nil
}

func (s *Service) open(sealed []byte, ad string) ([]byte, error) {
	a, err := s.aead()
	if err != nil {
		return nil, err
	}
	if len(sealed) < a.NonceSize() {
		return nil, errors.New("sealed webhook secret is too short")
	}
	return a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], []byte(ad))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
