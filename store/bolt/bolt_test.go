package bolt

import (
	"path/filepath"
	"testing"

	"sealdesk/core/sync"
	"sealdesk/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sync.Store {
		s, err := Open(filepath.Join(t.TempDir(), "sub", "sealdesk.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
