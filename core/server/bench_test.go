package server_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
	"sealdesk/core/tsa"
)

// BenchmarkTSAOverHTTP measures RFC 3161 tokens per second through POST /tsa on loopback HTTPS
// with keep-alive, from parallel clients (target: ≥ 500 tokens/s on 2 cores).
func BenchmarkTSAOverHTTP(b *testing.B) {
	e := startWith(b, openBolt(b), false, func(o *server.Options) { o.PKIRate = -1 })
	digest := sha256.Sum256([]byte("benchmark"))
	req, err := (&tsa.Request{Hash: crypto.SHA256, Digest: digest[:], CertReq: true}).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	hc := e.run.HTTPClient()
	b.SetParallelism(4)
	b.ResetTimer()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := hc.Post(e.run.URL+"/tsa", "application/timestamp-query", bytes.NewReader(req))
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("tsa: %d", resp.StatusCode)
				return
			}
			if _, err := tsa.ParseResponse(body); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "tokens/s")
}

// BenchmarkPull10000 measures one pull of 10,000 events over HTTP (target: ≤ 1 s).
func BenchmarkPull10000(b *testing.B) {
	for name, open := range map[string]func(testing.TB) sync.Store{
		"bolt":     func(t testing.TB) sync.Store { return openBolt(t) },
		"postgres": func(t testing.TB) sync.Store { return openPG(t) },
	} {
		b.Run(name, func(b *testing.B) {
			e := start(b, open(b), true)
			c := e.register(b, newPhone())
			me, _ := c.Me(ctx)
			scope := org.Scope(me.ID)
			payload := json.RawMessage(`{"key":"k","value":{"text":"合同已签署","n":12345}}`)
			for i := 0; i < 10000; i += 1000 {
				err := e.store.Update(ctx, func(tx sync.Tx) error {
					for j := 0; j < 1000; j++ {
						if _, err := tx.Append(sync.Event{Scope: scope, Type: "settings.changed", Time: time.Now(), Actor: me.ID,
							CommandID: fmt.Sprint("k", i+j), Payload: payload}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p, err := c.Pull(ctx, scope, 0, 10000, 0)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Events) != 10000 && len(p.Events) != 10001 {
					b.Fatalf("pulled %d events", len(p.Events))
				}
			}
		})
	}
}

// BenchmarkCommand measures one idempotent command round trip over HTTP.
func BenchmarkCommand(b *testing.B) {
	e := start(b, openBolt(b), true)
	c := e.register(b, newPhone())
	me, _ := c.Me(ctx)
	cmd := sync.Command{Type: "settings.put", Scope: org.Scope(me.ID), Payload: json.RawMessage(`{"key":"k","value":1}`)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Command(ctx, client.NewIdempotencyKey(), cmd); err != nil {
			b.Fatal(err)
		}
	}
}
