package server_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/server"
)

// fromAddr returns an HTTPS client of e whose connections come from the loopback address src,
// so the server sees a client other than 127.0.0.1.
func (e *env) fromAddr(t testing.TB, src string) (*http.Client, *tls.Config) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(e.run.Server.RootPEM()) {
		t.Fatal("root pem")
	}
	u, _ := url.Parse(e.run.URL)
	cfg := &tls.Config{RootCAs: pool, ServerName: u.Hostname()}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, TLSClientConfig: cfg}}, cfg
}

// slowBody opens a connection from src that declares a large login body and sends it at one
// byte every 500 ms; it returns when the server answers (or gives up at limit) and says how long
// the server held it and with what status line.
func slowBody(t *testing.T, e *env, src, path string, limit time.Duration) (time.Duration, string) {
	u, _ := url.Parse(e.run.URL)
	_, cfg := e.fromAddr(t, src)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", u.Host, cfg)
	if err != nil {
		return 0, "dial: " + err.Error()
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{", path, u.Host)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tk := time.NewTicker(500 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	conn.SetReadDeadline(start.Add(limit))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return time.Since(start), "no answer: " + err.Error()
	}
	return time.Since(start), strings.TrimSpace(line)
}

// F1 of the server red team: connections trickling a login body at 1 byte/s held every auth
// slot (taken before the body was read, with no body deadline), so every login and code request
// from every other address was answered 503 busy, for as long as the trickle went on. Now the
// body is read under AuthBodyTimeout before any slot is taken, and one address has at most a
// few calls in flight: a slow body costs a connection for a few seconds, never a slot.
func TestSlowBodiesDoNotBlockLogin(t *testing.T) {
	e := start(t, openBolt(t), true)
	phone := newPhone()
	e.register(t, phone)

	n := 4*runtime.GOMAXPROCS(0) + 8
	limit := server.AuthBodyTimeout + 6*time.Second
	type res struct {
		held time.Duration
		line string
	}
	results := make(chan res, 2*n)
	var wg stdsync.WaitGroup
	for i := range 2 * n {
		// Half from one address, half from as many other addresses (a botnet).
		src := "127.0.0.1"
		if i >= n {
			src = fmt.Sprintf("127.0.1.%d", i-n+1)
		}
		path := []string{"/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/codes"}[i%3]
		wg.Go(func() {
			held, line := slowBody(t, e, src, path, limit)
			results <- res{held, line}
		})
	}
	time.Sleep(time.Second)

	hc, _ := e.fromAddr(t, "127.0.0.2")
	for _, p := range []struct{ path, body string }{
		{"/api/v1/auth/login", fmt.Sprintf(`{"login":%q,"password":%q}`, phone, testPassword)},
		{"/api/v1/auth/codes", fmt.Sprintf(`{"login":%q,"purpose":"login"}`, newPhone())},
	} {
		t0 := time.Now()
		resp, err := hc.Post(e.run.URL+p.path, "application/json", strings.NewReader(p.body))
		if err != nil {
			t.Fatalf("%s from another address during the slow bodies: %v", p.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 || time.Since(t0) > 3*time.Second {
			t.Errorf("%s from another address during %d slow bodies: %s after %v, want 2xx within 3 s", p.path, 2*n, resp.Status, time.Since(t0))
		}
	}

	wg.Wait()
	close(results)
	for r := range results {
		t.Logf("%v %s", r.held, r.line)
		if strings.HasPrefix(r.line, "no answer") || r.held > server.AuthBodyTimeout+3*time.Second {
			t.Errorf("a slow body was held %v (%s), want an answer within %v", r.held, r.line, server.AuthBodyTimeout)
			break
		}
	}
}
