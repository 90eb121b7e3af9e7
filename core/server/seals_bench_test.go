package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	stdsync "sync"
	"sync/atomic"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/entseal"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/sealkey"
	"sealdesk/core/sealkey/pkcs11key"
	"sealdesk/core/sealkey/pkcs11key/softhsmtest"
	"sealdesk/core/server"
	"sealdesk/core/sync"
)

// codeBox keeps every message the server sends, in order (the benchmark issues thousands of
// codes; the dev outbox keeps 200).
type codeBox struct {
	mu   stdsync.Mutex
	msgs []notify.Message
}

func (b *codeBox) Send(_ context.Context, m notify.Message) error {
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	b.mu.Unlock()
	return nil
}

// codes returns the codes matching re sent to login, in order.
func (b *codeBox) codes(re *regexp.Regexp, login string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.msgs {
		if s := re.FindStringSubmatch(m.Body); s != nil && m.To == login {
			out = append(out, s[1])
		}
	}
	return out
}

// BenchmarkSealSignHTTPS measures remote seals per second over loopback HTTPS with everything a
// seal costs on the server: session, membership and grant check, the one-page file in the body,
// the server preparing the PAdES signature itself (appearance, ByteRange digest, B-T timestamp
// from its TSA), code check and spend, the signature, the usage log line and the idempotency
// records (SoftHSM2 beside software ECDSA P-256 keys). Before the bound protocol the client sent
// a digest and the target was ≥ 300/s for that part alone. Codes are issued before the timer.
func BenchmarkSealSignHTTPS(b *testing.B) {
	b.Run("software/bolt", func(b *testing.B) { benchSealSign(b, openBolt(b), nil) })
	b.Run("software/postgres", func(b *testing.B) { benchSealSign(b, openPG(b), nil) })
	b.Run("softhsm2/bolt", func(b *testing.B) {
		v, err := pkcs11key.Open(softhsmtest.Token(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { v.Close() })
		benchSealSign(b, openBolt(b), v)
	})
}

func benchSealSign(b *testing.B, st sync.Store, vault sealkey.Vault) {
	box := &codeBox{}
	e := startWith(b, st, true, func(o *server.Options) {
		o.SealVault, o.SealSignRate = vault, -1
		o.SealLimits = entseal.Limits{CodesPerHour: -1, CodeTTL: time.Hour}
		o.Notifier = box
	})
	login := newPhone()
	c := e.client(b)
	if err := c.SendCode(ctx, login, org.PurposeRegister); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: box.codes(codeRE, login)[0], Name: "基准", Password: testPassword}); err != nil {
		b.Fatal(err)
	}
	ent, err := c.CreateEnterprise(ctx, "基准测试有限公司", creditCode(b, fmt.Sprintf("9133010%010d", time.Now().UnixNano()%1e10)))
	if err != nil {
		b.Fatal(err)
	}
	seal, err := c.CreateSeal(ctx, ent.ID, api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: testImage(b, "png")})
	if err != nil {
		b.Fatal(err)
	}
	me, _ := c.Me(ctx)
	if _, err := c.GrantSeal(ctx, ent.ID, seal.ID, api.SealGrantRequest{MemberID: me.ID}); err != nil {
		b.Fatal(err)
	}
	// b.N codes, one after another (so the n-th message carries the n-th code), off the clock.
	ids := make([]string, b.N)
	for i := range ids {
		tk, err := c.SealCode(ctx, ent.ID, seal.ID)
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = tk.CodeID
	}
	codes := box.codes(sealCodeRE, login)
	if len(codes) != b.N {
		b.Fatalf("%d codes for %d tickets", len(codes), b.N)
	}
	pdf := pdfBytes(b, 1, "benchmark")
	sum := sha256.Sum256(pdf)
	doc := hex.EncodeToString(sum[:])
	marks := []api.SealMark{{Page: 1, Rect: [4]float64{300, 80, 420, 200}}}
	var i atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := int(i.Add(1)) - 1
			_, _, err := c.SealSign(ctx, ent.ID, seal.ID, client.NewIdempotencyKey(), api.SealSignRequest{CodeID: ids[n], Code: codes[n], DocumentSHA256: doc, PDF: pdf, Marks: marks})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "sig/s")
}
