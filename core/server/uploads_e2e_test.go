package server_test

import (
	"testing"
	"time"

	"sealdesk/core/envelope"
	"sealdesk/core/server"
)

// Red team s5, F5 (storage exhaustion): the files an account uploads (PUT /api/v1/blobs) count
// against a daily budget of files and bytes; over it 429 upload_quota naming the limit, before
// anything is stored. A file the account already has costs nothing, other accounts keep their
// own budget, and the next day (Beijing time) starts afresh. Before: a new account stored 40 MB
// in 1.5 s, without end, and nothing deletes files that are never sent.
func TestUploadBudgetE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startWith(t, open(t), true, func(o *server.Options) {
				o.Uploads = envelope.UploadBudget{Files: 3, Bytes: 64 << 10}
			})
			a, b := e.register(t, newPhone()), e.register(t, newPhone())
			first := pdfBytes(t, 1, "first")
			for _, text := range []string{"first", "second", "third"} {
				if _, err := a.UploadBlob(ctx, pdfBytes(t, 1, text)); err != nil {
					t.Fatalf("upload %s: %v", text, err)
				}
			}
			_, err := a.UploadBlob(ctx, pdfBytes(t, 1, "fourth"))
			wantCode(t, err, "upload_quota")
			if _, err := a.UploadBlob(ctx, first); err != nil {
				t.Errorf("a file the account already has: %v", err)
			}
			// The refused file is not the account's: it cannot fetch it (another account may upload it).
			info, err := b.UploadBlob(ctx, pdfBytes(t, 1, "fourth"))
			if err != nil {
				t.Fatalf("another account's budget: %v", err)
			}
			if _, err := a.DownloadBlob(ctx, info.SHA256); err == nil {
				t.Error("a refused upload became the account's")
			}
			// Bytes: b's second file would pass 64 KB.
			_, err = b.UploadBlob(ctx, bigPDF(t, 70<<10))
			wantCode(t, err, "upload_quota")

			e.clock.Advance(24 * time.Hour)
			if _, err := a.UploadBlob(ctx, pdfBytes(t, 1, "next day")); err != nil {
				t.Errorf("the next day: %v", err)
			}
		})
	}
}
