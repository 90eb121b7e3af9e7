package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	stdsync "sync"
	"time"

	"sealdesk/core/pki"
)

// Root returns the server's root CA certificate (the trust anchor for everything it issues).
func (s *Server) Root() *x509.Certificate { return s.ca.root }

// RootPEM returns the root CA certificate as PEM.
func (s *Server) RootPEM() []byte { return pki.EncodeCertsPEM(s.ca.root) }

// TLSCertificate issues a TLS server certificate for hosts from the server's CA.
func (s *Server) TLSCertificate(ctx context.Context, hosts []string) (tls.Certificate, error) {
	if len(hosts) == 0 {
		return tls.Certificate{}, errors.New("tls certificate needs at least one host")
	}
	cert, key, err := s.ca.tlsCertificate(ctx, hosts)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw, s.ca.issuing.Raw}, PrivateKey: key, Leaf: cert}, nil
}

// ListenOptions say where and how Start serves.
type ListenOptions struct {
	// Addr is the listen address (default 127.0.0.1:0, a free loopback port).
	Addr string
	// TLS serves HTTPS. Without Certificate the server's own CA issues one for the listen host.
	TLS         bool
	Certificate *tls.Certificate
	// PublicURL overrides the URL clients use (default: scheme://listen address).
	PublicURL string
	// PKIAddr, when set, adds a plain-HTTP listener serving only /ca/*, /ocsp and /tsa, and
	// issued certificates point at it (validators fetch OCSP and CRLs over HTTP). Use it with
	// TLS; e.g. "127.0.0.1:0".
	PKIAddr string
}

// Running is a started server.
type Running struct {
	// URL is the base URL clients use, e.g. https://127.0.0.1:43121.
	URL string
	// PKIURL is the plain-HTTP PKI listener's URL ("" without ListenOptions.PKIAddr).
	PKIURL  string
	Server  *Server
	http    *http.Server
	pki     *http.Server
	cancel  context.CancelFunc
	done    chan error
	once    stdsync.Once
	shutErr error
}

// Start listens, builds the server (creating its CA on first start) and serves in the
// background. This is how the desktop embeds its backend:
//
//	st, _ := bolt.Open(path, nil)
//	key, _ := server.LoadOrCreateMasterKey(keyPath)
//	run, _ := server.Start(ctx, server.Options{Store: st, MasterKey: key},
//		server.ListenOptions{TLS: true, PKIAddr: "127.0.0.1:0"})
//	c, _ := client.New(run.URL, run.Server.RootPEM())
//	defer run.Shutdown(ctx)
func Start(ctx context.Context, opts Options, lo ListenOptions) (*Running, error) {
	if lo.Addr == "" {
		lo.Addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", lo.Addr)
	if err != nil {
		return nil, fmt.Errorf("failed to listen on %s: %w", lo.Addr, err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	scheme := "http"
	if lo.TLS {
		scheme = "https"
	}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	url := fmt.Sprintf("%s://%s", scheme, net.JoinHostPort(host, fmt.Sprint(addr.Port)))
	if opts.BaseURL == "" {
		opts.BaseURL = url
	}
	if lo.PublicURL != "" {
		opts.BaseURL = lo.PublicURL
	}
	var pkiLn net.Listener
	if lo.PKIAddr != "" {
		pkiLn, err = net.Listen("tcp", lo.PKIAddr)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("failed to listen on %s: %w", lo.PKIAddr, err)
		}
		pa := pkiLn.Addr().(*net.TCPAddr)
		ph := pa.IP.String()
		if pa.IP.IsUnspecified() {
			ph = host
		}
		if opts.PKIURL == "" {
			opts.PKIURL = "http://" + net.JoinHostPort(ph, fmt.Sprint(pa.Port))
		}
	}
	srv, err := New(ctx, opts)
	if err != nil {
		ln.Close()
		if pkiLn != nil {
			pkiLn.Close()
		}
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			srv.Close()
		}
	}()
	baseCtx, cancel := context.WithCancel(context.Background())
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ErrorLog:          nil,
	}
	if lo.TLS {
		cert := lo.Certificate
		if cert == nil {
			hosts := []string{host, "localhost"}
			if addr.IP.IsUnspecified() {
				if h, err := os.Hostname(); err == nil {
					hosts = append(hosts, h)
				}
			}
			c, err := srv.TLSCertificate(ctx, hosts)
			if err != nil {
				ln.Close()
				if pkiLn != nil {
					pkiLn.Close()
				}
				cancel()
				return nil, fmt.Errorf("failed to issue the tls certificate: %w", err)
			}
			cert = &c
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, hs.TLSConfig)
	}
	started = true
	r := &Running{URL: url, Server: srv, http: hs, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- hs.Serve(ln) }()
	if pkiLn != nil {
		r.PKIURL = opts.PKIURL
		r.pki = &http.Server{Handler: srv.PKIHandler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10}
		go r.pki.Serve(pkiLn)
	}
	return r, nil
}

// Shutdown stops accepting requests, ends long polls and waits (until ctx is done) for running
// requests to finish. Calling it again returns the first result.
func (r *Running) Shutdown(ctx context.Context) error {
	r.once.Do(func() {
		defer r.Server.Close()
		r.cancel()
		if r.pki != nil {
			r.pki.Shutdown(ctx)
		}
		r.shutErr = r.http.Shutdown(ctx)
		if serveErr := <-r.done; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && r.shutErr == nil {
			r.shutErr = serveErr
		}
	})
	return r.shutErr
}

// HTTPClient returns an HTTP client that trusts only the server's root (for its HTTPS).
func (r *Running) HTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(r.Server.Root())
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 256}}
}
