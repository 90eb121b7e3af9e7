// Package webhook sends an enterprise's events to its integrators (the reseller cloud of manual
// 000): endpoints with a secret each, signed deliveries, retries with exponential back-off that
// survive a restart or a kill -9 of the server, a log of every attempt, and redelivery.
//
// # The outbox
//
// A change that an integrator must hear about calls Enqueue inside the transaction that makes
// the change (a sync.Tx of either store). Enqueue writes the event, one delivery per subscribed
// endpoint and a queue entry per delivery; so the change and its deliveries commit together or
// not at all, and nothing lives in memory until the dispatcher claims it.
//
// # Delivery
//
// Service.Run is the dispatcher. It scans the queue for due deliveries and claims each in its own
// transaction: the claim takes the attempt number, writes an in-flight attempt record and a lease
// (owner + expiry) and moves the queue entry to the lease's end. Two dispatchers (in one process
// or in several processes sharing PostgreSQL) that race for a delivery write the same key, so
// the store lets one of them win; the loser sees the lease and moves on. An attempt number is
// therefore sent at most once. If the process dies while an attempt is in flight, the lease
// expires, the next claim marks that attempt "abandoned" (the receiver may or may not have got
// it) and sends the next attempt number with the same event id — receivers deduplicate by
// event id (X-SealDesk-Event-Id), as with every at-least-once webhook.
//
// Each request carries
//
//	X-SealDesk-Event:      the event type, e.g. enterprise.admin_changed
//	X-SealDesk-Event-Id:   the event id (the same on every attempt and redelivery)
//	X-SealDesk-Delivery:   the delivery id
//	X-SealDesk-Attempt:    1, 2, …
//	X-SealDesk-Timestamp:  Unix seconds when the request was signed
//	X-SealDesk-Signature:  v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// A 2xx answer is success; anything else (redirects included: they are not followed), a time-out
// or a refused connection is a failure, retried after Backoff·2^(n-1) (capped) until MaxAttempts.
//
// # What it refuses
//
//   - URLs other than http(s), with user info, or longer than MaxURLLen.
//   - Unless Options.AllowPrivate: targets on loopback, private, link-local, CGNAT, unspecified or
//     multicast addresses — checked on the address actually dialled, so a DNS name that resolves
//     to such an address (DNS rebinding) is refused too. Proxies from the environment are not used.
//   - Reading more than MaxResponseRead bytes of an answer, or waiting longer than Timeout.
//   - Keeping secrets in clear at rest: they are sealed with AES-256-GCM under Options.Key and
//     shown to the caller once, when created or rotated.
package webhook
