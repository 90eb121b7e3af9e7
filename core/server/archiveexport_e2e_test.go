package server_test

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/gate"
	"sealdesk/core/server"
)

// Red team s5, F3 (archive exports unbounded in parallel): ZIP exports go through a gate of their
// own, entered only once the caller may see the folder; over it an export answers 503 (busy)
// and leaves nothing, and a stranger is refused as before, not queued. Before: any number of
// exports of a large folder wrote whole ZIPs at once.
func TestArchiveExportsBoundedE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			g := gate.New(&gate.Options{Slots: 1, Queue: 1, Wait: 20 * time.Millisecond})
			e := startWith(t, open(t), true, func(o *server.Options) { o.ArchiveExports = g })
			a, stranger := e.register(t, newPhone()), e.register(t, newPhone())
			a.Retries503 = -1
			ent, err := a.CreateEnterprise(ctx, "杭州档案导出有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			f, err := a.SaveArchiveFolder(ctx, ent.ID, api.ArchiveFolder{Name: "采购合同"})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			dest := filepath.Join(dir, "采购合同.zip")

			release, err := g.Enter(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantCode(t, a.ExportArchiveFolder(ctx, ent.ID, f.ID, dest), "busy")
			wantCode(t, stranger.ExportArchiveFolder(ctx, ent.ID, f.ID, dest), "not_member")
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("a refused export left %v", left)
			}
			release()

			if err := a.ExportArchiveFolder(ctx, ent.ID, f.ID, dest); err != nil {
				t.Fatal(err)
			}
			zr, err := zip.OpenReader(dest)
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			if len(zr.File) != 1 || zr.File[0].Name != "索引.csv" {
				t.Errorf("export of an empty folder: %d entries", len(zr.File))
			}
			if st := g.Stats(); st.Entered != 2 {
				t.Errorf("gate entered %d times, want 2 (the test's and the export's)", st.Entered)
			}
		})
	}
}
