package ui

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sealdesk/core/pdf/render"
	"strings"
	"sync/atomic"
	"testing"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/verify"
)

// unplugged is a transport that fails every request while down is set, as when the network is
// gone (connection refused): the desktop's "offline".
type unplugged struct {
	base http.RoundTripper
	down atomic.Bool
}

func (u *unplugged) RoundTrip(r *http.Request) (*http.Response, error) {
	if u.down.Load() {
		return nil, &netDown{}
	}
	return u.base.RoundTrip(r)
}

type netDown struct{}

func (*netDown) Error() string   { return "dial tcp 127.0.0.1: connect: connection refused" }
func (*netDown) Timeout() bool   { return false }
func (*netDown) Temporary() bool { return true }

// TestContractsOfflineSignatureTimestamped: B opens A's contract, the network goes, B signs: the
// signature is made without a timestamp, the document waits in the outbox marked 待加时间戳 and the
// view says so. When the server is back, the outbox (what the watcher runs after a reconnect)
// asks the server's TSA for a token, adds a PAdES document timestamp over B's signature, clears
// the mark and uploads; the server accepts it, the contract completes, and the revision B
// uploaded verifies — B's signature and the document timestamp — in our verifier and pdfsig.
func TestContractsOfflineSignatureTimestamped(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	ctx := context.Background()
	pa, pb := newTestParty(t, run, "张三"), newTestParty(t, run, "李四")
	net := &unplugged{base: pb.c.HTTP.Transport}
	pb.c.HTTP = &http.Client{Transport: net, Timeout: pb.c.HTTP.Timeout}
	sa, _ := newPartyShell(t, pa)
	sb, _ := newPartyShell(t, pb)
	sb.StopWatching() // the test runs the reconnect's flush itself
	sendTo(t, sa, "离线签署合同", pb)

	v := openToSign(t, sb)
	env := v.env
	v.sign.image.SetSelectedIndex(0) // 李四's signature
	net.down.Store(true)
	v.Submit(testPIN)
	workers.drain(&v.sign.wg)
	if !strings.Contains(v.sign.status.Text, "待加时间戳") {
		t.Fatalf("signed offline: %q", v.sign.status.Text)
	}
	o := sb.outbox()
	items := o.items()
	if len(items) != 1 || !items[0].NeedsTimestamp || items[0].Envelope != env.ID {
		t.Fatalf("outbox: %+v", items)
	}
	rep, err := verify.File(ctx, items[0].Path, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(run.Server.Root())})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Signatures {
		if s.Kind == verify.KindDocTimestamp || strings.HasPrefix(s.Field, "R1.") && s.Timestamp.Present {
			t.Fatalf("the offline signature has a timestamp: %+v", s)
		}
	}
	// Still offline: the flush waits, the mark stays.
	if n := o.flush(ctx, pb.c); n != 0 || len(o.items()) != 1 || !o.items()[0].NeedsTimestamp {
		t.Fatalf("flush offline: %d uploaded, %+v", n, o.items())
	}

	net.down.Store(false)
	if n := o.flush(ctx, pb.c); n != 1 {
		t.Fatalf("flush back online: %d uploaded, outbox %+v", n, o.items())
	}
	if left := o.items(); len(left) != 0 {
		t.Fatalf("the outbox still holds %+v", left)
	}
	got, err := pb.c.Envelope(ctx, env.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != api.EnvelopeCompleted || got.Recipients[0].State != api.RecipientSigned {
		t.Fatalf("after the upload: %s, B %s", got.Status, got.Recipients[0].State)
	}
	// B's upload as the server keeps it (before its own completion timestamp): B's signatures,
	// then the document timestamp B's desktop added.
	var uploaded string
	for _, st := range got.Steps {
		if st.Action == "signed" {
			uploaded = st.After
		}
	}
	cur, err := pb.c.EnvelopeDocument(ctx, env.ID, 0, client.VersionCurrent)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "signed-offline.pdf")
	if err := os.WriteFile(path, cur, 0o600); err != nil {
		t.Fatal(err)
	}
	if uploaded == "" || got.Documents[0].Current != uploaded {
		t.Fatalf("current %s, B's step after %s", got.Documents[0].Current, uploaded)
	}
	rep, err = verify.File(ctx, path, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(run.Server.Root())})
	if err != nil {
		t.Fatal(err)
	}
	bSigs, stamps := 0, 0
	for _, s := range rep.Signatures {
		switch {
		case s.Kind == verify.KindDocTimestamp:
			stamps++
			if s.Status != verify.StatusValid {
				t.Errorf("document timestamp: %s %v", s.Status, s.Reasons)
			}
		case strings.HasPrefix(s.Field, "R1."):
			bSigs++
			if s.Integrity != "valid" || s.ChangesAfter == "disallowed" {
				t.Errorf("B's %s: integrity %s, changes after %s", s.Field, s.Integrity, s.ChangesAfter)
			}
		}
	}
	if bSigs != 2 || stamps != 1 {
		t.Fatalf("B's upload: %d signatures of B, %d document timestamps (verdict %s)", bSigs, stamps, rep.Verdict)
	}
	if out := pdfsigCheck(t, path, 3); !strings.Contains(out, "DocTimestamp") {
		t.Errorf("pdfsig lists no document timestamp:\n%s", out)
	}
	var ne interface{ Timeout() bool }
	if !errors.As(error(&netDown{}), &ne) {
		t.Fatal("the test's network failure is not a net.Error")
	}
}
