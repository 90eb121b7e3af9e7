package journey

import (
	"context"
	"path/filepath"
	"sealdesk/ui/internal/servertest"
	"testing"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/ids"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
)

// shotServer starts a --dev server on a fresh bolt file on loopback with o's other options (the
// store, the master key and Dev are filled in) and stops it when the test ends. gated gives it
// a hashing gate of 2 slots that waits a minute, as the desktop's sending tests need.
func shotServer(t *testing.T, o server.Options, gated bool) (*server.Running, *bolt.Store) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Dev = true
	if gated {
		o.Hashes = servertest.Hashes()
	}
	return servertest.Run(t, st, o), st
}

// shotEnterprise has c create the enterprise name with the credit code made of body (17
// characters) and its check character.
func shotEnterprise(t *testing.T, c *client.Client, name, body string) org.Enterprise {
	t.Helper()
	cc, _ := ids.CreditCheck(body)
	e, err := c.CreateEnterprise(context.Background(), name, body+string(cc))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// shotMember writes a member straight into the store (the invitation flow has its own tests).
func shotMember(t *testing.T, st *bolt.Store, ent, accountID, name, login, role string) {
	t.Helper()
	if err := st.Update(context.Background(), func(tx sync.Tx) error {
		return org.PutMember(tx, org.Member{EnterpriseID: ent, AccountID: accountID, Name: name, Phone: login, Role: role, Joined: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
}
