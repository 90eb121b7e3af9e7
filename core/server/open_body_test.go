package server_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/server"
)

// Red team F6: a key holder could make the server read and parse a 60 MB body on any signed
// route. Now every route but create takes at most 64 KB, a body declared over its route's limit
// is refused before it is read, and the bodies held at once have a budget; each refusal names
// its limit. Both stores, real server on 127.0.0.1.
func TestOpenAPIBodyLimits(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			oe := newOpenEnvWith(t, open(t), func(o *server.Options) { o.OpenBodyBudget = 1 << 20 })
			in := oe.full

			// A withdraw with a 100 KB body (signed by the key holder): 413 naming 64 KB.
			big, _ := json.Marshal(api.ReasonRequest{Reason: strings.Repeat("长", 100<<10/3)})
			_, _, err := in.send(in.sign("POST", "/api/v1/open/envelopes/env_x/withdraw", "application/json", newIdem(), big))
			wantAPICode(t, "100 KB withdraw", err, 413, "body_too_large")
			if err == nil || !strings.Contains(err.Error(), "64 KB") {
				t.Errorf("the refusal does not name 64 KB: %v", err)
			}

			// A create declaring more than its limit is answered before any of it is sent.
			u, _ := url.Parse(oe.e.run.URL)
			_, cfg := oe.e.fromAddr(t, "127.0.0.1")
			rawCreate := func(length int64, send []byte) (*tls.Conn, error) {
				c, err := tls.Dial("tcp", u.Host, cfg)
				if err != nil {
					return nil, err
				}
				sr := in.sign("POST", "/api/v1/open/envelopes", "application/json", newIdem(), nil)
				var b bytes.Buffer
				fmt.Fprintf(&b, "POST /api/v1/open/envelopes HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", u.Host, length)
				sr.header.Write(&b)
				b.WriteString("\r\n")
				b.Write(send)
				_, err = c.Write(b.Bytes())
				return c, err
			}
			c, err := rawCreate(80<<20, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("80 MB declared: no answer before the body: %v", err)
			}
			var eb api.ErrorBody
			json.NewDecoder(resp.Body).Decode(&eb)
			c.Close()
			if resp.StatusCode != 413 || eb.Error.Code != "body_too_large" || !strings.Contains(eb.Error.Message, fmt.Sprintf("%d MB", server.MaxOpenBody>>20)) {
				t.Errorf("80 MB declared: %s %+v", resp.Status, eb.Error)
			}

			// The budget (1 MB here): while one create of 900 KB is being received, another of
			// 200 KB is turned away with 503 naming the budget; once the first is gone, it goes.
			holdUp := func() *tls.Conn {
				c, err := rawCreate(900<<10, []byte("{"))
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			hold := holdUp()
			doc := base64.StdEncoding.EncodeToString(pdfBytes(t, 1, "budget"))
			body := map[string]any{"subject": "预算", "recipients": []api.Recipient{person(oe.signer)},
				"files": []map[string]string{{"name": "a.pdf", "content_base64": doc}}}
			raw, _ := json.Marshal(body)
			raw = append(raw, bytes.Repeat([]byte(" "), 200<<10)...) // 200 KB in all
			create := func() error {
				_, _, err := in.send(in.sign("POST", "/api/v1/open/envelopes", "application/json", newIdem(), raw))
				return err
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				err := create()
				var ae *apiError
				if errors.As(err, &ae) && ae.Status == 503 && ae.Code == "body_budget" {
					if !strings.Contains(ae.Message, "1 MB") {
						t.Errorf("the budget refusal does not name 1 MB: %q", ae.Message)
					}
					break
				}
				// The held request may have reached the server after this create and been
				// turned away itself (the budget was taken): then hold again.
				hold.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				if _, rerr := hold.Read(make([]byte, 1)); !errors.Is(rerr, os.ErrDeadlineExceeded) {
					hold.Close()
					hold = holdUp()
				}
				if time.Now().After(deadline) {
					t.Fatalf("a create while 900 KB of 1 MB are held: %v, want 503 body_budget", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			hold.Close()
			for {
				err := create()
				if err == nil {
					break
				}
				var ae *apiError
				if !errors.As(err, &ae) || ae.Code != "body_budget" || time.Now().After(deadline) {
					t.Fatalf("a create once the held body is gone: %v", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
