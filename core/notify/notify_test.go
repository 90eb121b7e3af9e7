package notify

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"mime"
	"net"
	"strings"
	"testing"
	"time"
)

// smtpServer is a minimal SMTP relay on 127.0.0.1 for the tests: EHLO, optional STARTTLS, AUTH
// PLAIN, MAIL, RCPT, DATA, QUIT. It records what it received.
type smtpServer struct {
	ln       net.Listener
	tls      *tls.Config // nil: no STARTTLS offered
	got      chan received
	authSeen chan string
}

type received struct {
	from, to, data string
	tls            bool
}

func newSMTPServer(t *testing.T, tlsCfg *tls.Config) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, tls: tlsCfg, got: make(chan received, 4), authSeen: make(chan string, 4)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(l string) { w.WriteString(l + "\r\n"); w.Flush() }
	say("220 test ESMTP")
	var rec received
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch cmd {
		case "EHLO", "HELO":
			if s.tls != nil && !rec.tls {
				say("250-test")
				say("250-STARTTLS")
				say("250 AUTH PLAIN")
			} else {
				say("250-test")
				say("250 AUTH PLAIN")
			}
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c = tc
			r, w = bufio.NewReader(tc), bufio.NewWriter(tc)
			rec.tls = true
		case "AUTH":
			s.authSeen <- line
			say("235 ok")
		case "MAIL":
			rec.from = line
			say("250 ok")
		case "RCPT":
			rec.to = line
			say("250 ok")
		case "DATA":
			say("354 go")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			rec.data = b.String()
			s.got <- rec
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

func testTLS(t *testing.T) (*tls.Config, *x509.CertPool) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func TestSMTPStartTLS(t *testing.T) {
	srvTLS, pool := testTLS(t)
	srv := newSMTPServer(t, srvTLS)
	s := &SMTP{Addr: srv.ln.Addr().String(), From: "noreply@example.com", Username: "u", Password: "p",
		TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}
	err := s.Send(context.Background(), Message{Channel: Email, To: "zhang@example.com", Subject: "验证码", Body: "您的验证码是 123456\n5 分钟内有效"})
	if err != nil {
		t.Fatal(err)
	}
	rec := <-srv.got
	if !rec.tls {
		t.Error("message was sent without STARTTLS")
	}
	if !strings.Contains(rec.to, "<zhang@example.com>") || !strings.Contains(rec.from, "<noreply@example.com>") {
		t.Errorf("envelope: %q %q", rec.from, rec.to)
	}
	if !strings.Contains(rec.data, "您的验证码是 123456\r\n5 分钟内有效") {
		t.Errorf("body: %q", rec.data)
	}
	dec := new(mime.WordDecoder)
	for _, l := range strings.Split(rec.data, "\r\n") {
		if subj, ok := strings.CutPrefix(l, "Subject: "); ok {
			if got, _ := dec.DecodeHeader(subj); got != "验证码" {
				t.Errorf("subject %q decodes to %q", subj, got)
			}
		}
	}
	auth := <-srv.authSeen
	if raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(auth, "AUTH PLAIN ")); string(raw) != "\x00u\x00p" {
		t.Errorf("auth: %q", auth)
	}
}

func TestSMTPRefusesPlainAndBadCert(t *testing.T) {
	plain := newSMTPServer(t, nil)
	s := &SMTP{Addr: plain.ln.Addr().String(), From: "a@example.com"}
	if err := s.Send(context.Background(), Message{Channel: Email, To: "b@example.com", Body: "x"}); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("relay without STARTTLS: %v", err)
	}
	s.AllowPlain = true // loopback relay: allowed when asked for
	if err := s.Send(context.Background(), Message{Channel: Email, To: "b@example.com", Body: "x"}); err != nil {
		t.Errorf("plain loopback relay with AllowPlain: %v", err)
	}
	srvTLS, _ := testTLS(t)
	tlsSrv := newSMTPServer(t, srvTLS)
	s = &SMTP{Addr: tlsSrv.ln.Addr().String(), From: "a@example.com"} // system roots: the test cert is untrusted
	if err := s.Send(context.Background(), Message{Channel: Email, To: "b@example.com", Body: "x"}); err == nil {
		t.Error("untrusted relay certificate was accepted")
	}
	if err := s.Send(context.Background(), Message{Channel: Email, To: "b@example.com\r\nBcc: x@y", Body: "x"}); err == nil {
		t.Error("header injection in the recipient was accepted")
	}
}

type recordingSMS struct{ phone, text string }

func (r *recordingSMS) SendSMS(_ context.Context, phone, text string) error {
	r.phone, r.text = phone, text
	return nil
}

func TestRouterAndOutbox(t *testing.T) {
	r := &Router{}
	if err := r.Send(context.Background(), Message{Channel: SMS, To: "13800000000"}); !errors.Is(err, ErrNoTransport) {
		t.Errorf("sms without a gateway: %v", err)
	}
	if err := r.Send(context.Background(), Message{Channel: Email, To: "a@b"}); !errors.Is(err, ErrNoTransport) {
		t.Errorf("email without a relay: %v", err)
	}
	sms := &recordingSMS{}
	r.SMS = sms
	if err := r.Send(context.Background(), Message{Channel: SMS, To: "13800000000", Body: "code 1"}); err != nil || sms.phone != "13800000000" || sms.text != "code 1" {
		t.Errorf("sms: %v %+v", err, sms)
	}
	o := NewOutbox(2)
	for _, to := range []string{"a", "b", "c"} {
		o.Send(context.Background(), Message{To: to})
	}
	if m := o.Messages(); len(m) != 2 || m[0].To != "b" || m[1].To != "c" {
		t.Errorf("outbox: %+v", m)
	}
}
