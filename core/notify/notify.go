// Package notify delivers one-time codes and notices to people: e-mail over SMTP (net/smtp,
// STARTTLS required unless the relay is on loopback), text messages through an SMSGateway that a
// deployment plugs in, and a development Outbox that keeps messages in memory so they can be
// read at /dev/outbox.
//
// It refuses to pretend: there is no built-in SMS provider, and the Outbox must only be wired
// when the server runs with --dev (the server enforces that). Sending to a channel with no
// transport fails with ErrNoTransport.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strings"
	stdsync "sync"
	"time"
)

// Channel is how a message travels.
type Channel string

// The channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Message is one notice to one person.
type Message struct {
	Channel Channel   `json:"channel"`
	To      string    `json:"to"` // e-mail address or mobile number
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Time    time.Time `json:"time"`
}

// Notifier sends messages.
type Notifier interface {
	Send(ctx context.Context, m Message) error
}

// ErrNoTransport means no transport is configured for the message's channel.
var ErrNoTransport = errors.New("no transport configured for this channel")

// SMSGateway is what an SMS provider implements (a carrier's or an aggregator's HTTP API). None
// ships with SealDesk.
type SMSGateway interface {
	SendSMS(ctx context.Context, phone, text string) error
}

// Router sends each message through the transport of its channel.
type Router struct {
	Email Notifier   // nil: e-mail is not available
	SMS   SMSGateway // nil: SMS is not available
}

var _ Notifier = (*Router)(nil)

// Send implements Notifier.
func (r *Router) Send(ctx context.Context, m Message) error {
	switch m.Channel {
	case Email:
		if r.Email != nil {
			return r.Email.Send(ctx, m)
		}
	case SMS:
		if r.SMS != nil {
			return r.SMS.SendSMS(ctx, m.To, m.Body)
		}
	}
	return fmt.Errorf("%s: %w", m.Channel, ErrNoTransport)
}

// Outbox keeps the last messages in memory. WARNING: for --dev only; it delivers nothing.
type Outbox struct {
	mu   stdsync.Mutex
	max  int
	msgs []Message
}

// NewOutbox keeps up to max messages (oldest dropped first).
func NewOutbox(max int) *Outbox { return &Outbox{max: max} }

// Send implements Notifier.
func (o *Outbox) Send(_ context.Context, m Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	if len(o.msgs) > o.max {
		o.msgs = o.msgs[len(o.msgs)-o.max:]
	}
	return nil
}

// SendSMS implements SMSGateway so the outbox can stand in for SMS under --dev.
func (o *Outbox) SendSMS(ctx context.Context, phone, text string) error {
	return o.Send(ctx, Message{Channel: SMS, To: phone, Body: text, Time: time.Now()})
}

// Messages returns a copy of the kept messages, oldest first.
func (o *Outbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Message(nil), o.msgs...)
}

// SMTP sends e-mail through a relay.
type SMTP struct {
	Addr     string // host:port of the relay
	From     string // envelope and header sender
	Username string // empty: no AUTH
	Password string
	// TLSConfig for STARTTLS; nil means verify against the system roots with the relay's host.
	TLSConfig *tls.Config
	// AllowPlain permits a relay without STARTTLS. WARNING: the code then crosses the network
	// in clear; it is refused unless the relay is on loopback.
	AllowPlain bool
	Timeout    time.Duration // default 20 s
}

var _ Notifier = (*SMTP)(nil)

// Send delivers m as a UTF-8 plain-text e-mail.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if strings.ContainsAny(m.To, "\r\n<>") || strings.ContainsAny(s.From, "\r\n<>") {
		return errors.New("invalid e-mail address")
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("invalid smtp address %q: %w", s.Addr, err)
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("failed to connect to smtp relay: %w", err)
	}
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("smtp hello: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := s.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	} else if !s.AllowPlain || !isLoopback(host) {
		return errors.New("smtp relay does not offer STARTTLS")
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("smtp mail from: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("smtp rcpt to: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	date := m.Time
	if date.IsZero() {
		date = time.Now()
	}
	msg := "From: " + s.From + "\r\nTo: " + m.To + "\r\nSubject: " + mime.BEncoding.Encode("UTF-8", m.Subject) +
		"\r\nDate: " + date.Format(time.RFC1123Z) + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8" +
		"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n") + "\r\n"
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp end of data: %w", err)
	}
	return c.Quit()
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
