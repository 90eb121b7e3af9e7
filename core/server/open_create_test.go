package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	stdsync "sync"
	"testing"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/sync"
)

// writeLog is a store that records, for each committed read-write transaction, the buckets it
// wrote (Put/Insert; background deletes are not counted).
type writeLog struct {
	sync.Store
	mu  stdsync.Mutex
	txs [][]string
}

type writeLogTx struct {
	sync.Tx
	wrote *[]string
}

func (t writeLogTx) Put(b, k string, v []byte) error {
	*t.wrote = append(*t.wrote, b)
	return t.Tx.Put(b, k, v)
}

func (t writeLogTx) Insert(b, k string, v []byte) error {
	*t.wrote = append(*t.wrote, b)
	return t.Tx.Insert(b, k, v)
}

func (s *writeLog) Update(ctx context.Context, fn func(sync.Tx) error) error {
	var wrote []string
	err := s.Store.Update(ctx, func(tx sync.Tx) error {
		wrote = nil // a retried transaction starts over
		return fn(writeLogTx{tx, &wrote})
	})
	if err == nil && len(wrote) > 0 {
		s.mu.Lock()
		s.txs = append(s.txs, wrote)
		s.mu.Unlock()
	}
	return err
}

// since returns the committed transactions after the first n that wrote any of buckets.
func (s *writeLog) since(n int, buckets ...string) [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]string
	for _, w := range s.txs[n:] {
		if slices.ContainsFunc(w, func(b string) bool { return slices.Contains(buckets, b) }) {
			out = append(out, w)
		}
	}
	return out
}

func (s *writeLog) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.txs)
}

// An open-API create of a draft is one read-write transaction: the request's nonce, the file,
// its owner, the envelope and its idempotency record commit together (issue 21's load target:
// each commit is a disk flush on PostgreSQL). The nonce stays single-use: a replayed create —
// in sequence, or several copies at once — is refused as nonce_replayed with one envelope made;
// a refused create's nonce is spent too; an idempotent retry with a new nonce answers the first
// envelope and spends its own nonce. Both stores.
func TestOpenCreateOneTransaction(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			wl := &writeLog{Store: open(t)}
			oe := newOpenEnv(t, wl)
			in := oe.full
			doc := base64.StdEncoding.EncodeToString(pdfBytes(t, 1, "one tx"))
			body := func(subject string) []byte {
				b, _ := json.Marshal(map[string]any{"subject": subject, "recipients": []api.Recipient{person(oe.signer)},
					"files": []map[string]string{{"name": "合同.pdf", "content_base64": doc}}})
				return b
			}
			created := []string{"apikey_nonces", "doc_blobs", "envelope_blob_owner", "envelopes", "envelope_idem"}

			n := wl.len()
			key := newIdem()
			first := in.sign("POST", "/api/v1/open/envelopes", "application/json", key, body("一次事务"))
			b, _, err := in.send(first)
			if err != nil {
				t.Fatal(err)
			}
			var e1 api.OpenEnvelope
			if err := json.Unmarshal(b, &e1); err != nil || e1.Status != api.EnvelopeDraft {
				t.Fatalf("create: %s %v", b, err)
			}
			txs := wl.since(n, created...)
			if len(txs) != 1 {
				t.Fatalf("a create committed %d read-write transactions touching %v, want 1: %v", len(txs), created, txs)
			}
			for _, b := range created {
				if !slices.Contains(txs[0], b) {
					t.Errorf("the create's transaction did not write %s: %v", b, txs[0])
				}
			}

			// The same signed request again: refused, nothing written but nothing.
			n = wl.len()
			_, _, err = in.send(first)
			wantAPICode(t, "replayed create", err, 401, "nonce_replayed")
			if txs := wl.since(n, "envelopes", "envelope_idem"); len(txs) != 0 {
				t.Errorf("a replayed create wrote %v", txs)
			}
			// An idempotent retry (same key and body, new nonce): the first envelope, and its
			// nonce is spent.
			retry := in.sign("POST", "/api/v1/open/envelopes", "application/json", key, body("一次事务"))
			b, _, err = in.send(retry)
			var e2 api.OpenEnvelope
			if err != nil || json.Unmarshal(b, &e2) != nil || e2.ID != e1.ID {
				t.Fatalf("idempotent retry: %s %v, want %s", b, err, e1.ID)
			}
			_, _, err = in.send(retry)
			wantAPICode(t, "replayed retry", err, 401, "nonce_replayed")
			// The same key for another body.
			err = in.call("POST", "/api/v1/open/envelopes", key, json.RawMessage(body("另一份")), nil)
			wantAPICode(t, "key reused", err, 422, "idempotency_key_reused")
			// A refused create spends its nonce as well.
			bad := in.sign("POST", "/api/v1/open/envelopes", "application/json", newIdem(), []byte(`{"subject":"没有文件"}`))
			_, _, err = in.send(bad)
			wantAPICode(t, "no files", err, 400, "no_files")
			_, _, err = in.send(bad)
			wantAPICode(t, "replayed refusal", err, 401, "nonce_replayed")

			// Six copies of one signed create at once: one envelope, five nonce_replayed.
			twin := in.sign("POST", "/api/v1/open/envelopes", "application/json", newIdem(), body("并发重放"))
			var wg stdsync.WaitGroup
			errs := make([]error, 6)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, errs[i] = in.send(twin)
				}()
			}
			wg.Wait()
			ok, replays := 0, 0
			for _, err := range errs {
				var ae *apiError
				switch {
				case err == nil:
					ok++
				case errors.As(err, &ae) && ae.Code == "nonce_replayed":
					replays++
				default:
					t.Errorf("concurrent copy: %v", err)
				}
			}
			if ok != 1 || replays != 5 {
				t.Errorf("six copies at once: %d answered, %d nonce_replayed; want 1 and 5", ok, replays)
			}
			l, err := oe.admin.c.Envelopes(ctx, client.ListOptions{Box: api.BoxDraft})
			if err != nil || len(l.Items) != 2 {
				t.Errorf("drafts: %d %v, want 2 (一次事务, 并发重放)", len(l.Items), err)
			}
		})
	}
}
