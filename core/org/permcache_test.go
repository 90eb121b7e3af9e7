package org_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"sealdesk/core/org"
	"sealdesk/core/sync"
	"sealdesk/store/postgres"
	"sealdesk/store/postgres/pgtest"
)

// The permission cache on PostgreSQL: two store handles on one schema play two server processes.

// pgProcess is one "server process": its own pool and its own Service with a running cache.
type pgProcess struct {
	st      *postgres.Store
	s       *org.Service
	appName string // the pool's application_name, to find its listening connection
}

func withParam(dsn, kv string) string {
	if strings.Contains(dsn, "?") {
		return dsn + "&" + kv
	}
	return dsn + "?" + kv
}

func startProcess(t *testing.T, dsn, schema string, ttl time.Duration) *pgProcess {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	p := &pgProcess{appName: "sd_perm_" + hex.EncodeToString(b[:])}
	st, err := postgres.Open(ctx, withParam(dsn, "application_name="+p.appName), &postgres.Options{Schema: schema, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	p.st, p.s = st, newService(st)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.s.RunPermCache(runCtx, st, ttl, nil)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the permission cache did not stop within 10 s")
		}
		st.Close()
	})
	p.waitLive(t, 1)
	return p
}

// waitLive waits (bounded) until the cache listens after at least connects connections.
func (p *pgProcess) waitLive(t *testing.T, connects uint64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, ok := p.s.PermCacheStats()
		if ok && st.Live && st.Connects >= connects {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the permission cache is not listening (connection %d) after 15 s: %+v", connects, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *pgProcess) require(acct string, perm org.Permission, ent string) error {
	return p.st.View(ctx, func(tx sync.Tx) error {
		_, err := p.s.Require(tx, ent, acct, perm)
		return err
	})
}

// warm makes sure the next check of acct/perm is answered from memory: it checks until a check
// was a hit (bounded), and fails if the answer is not want.
func (p *pgProcess) warm(t *testing.T, ent, acct string, perm org.Permission, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		before, _ := p.s.PermCacheStats()
		err := p.require(acct, perm, ent)
		after, _ := p.s.PermCacheStats()
		if refusalCode(err) != want || (want == "") != (err == nil) {
			t.Fatalf("%s %q: %v, want %q", acct, perm, err, want)
		}
		if after.Hits > before.Hits && after.Misses == before.Misses {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %q is still not answered from memory after 10 s: %+v", acct, perm, after)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitRefused checks on p until acct is refused with want (bounded) and returns how long it took.
func (p *pgProcess) waitRefused(t *testing.T, ent, acct string, perm org.Permission, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := p.require(acct, perm, ent)
		if refusalCode(err) == want {
			return time.Since(start)
		}
		if err != nil && refusalCode(err) == "" {
			t.Fatal(err)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s %q still answered %v after %v, want %q", acct, perm, err, limit, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// The cache answers exactly what the store does, first from the store, then from memory.
func TestPermCacheSameAnswers(t *testing.T) {
	dsn, schema := pgtest.NewSchema(t)
	p := startProcess(t, dsn, schema, time.Hour)
	ent := setupRoles(t, p.st, p.s)
	cases := []struct {
		acct string
		p    org.Permission
		want string
	}{
		{"u_a", org.PermBilling, ""},
		{"u_c", org.PermSendContracts, ""},
		{"u_c", org.PermManageSeals, ""},
		{"u_c", org.PermBilling, "permission_denied"},
		{"u_c", "", ""},
		{"u_m", "", ""},
		{"u_m", org.PermSendContracts, "permission_denied"},
		{"u_d", "", "member_disabled"},
		{"u_x", "", "not_member"},
		{"u_x", org.PermSendContracts, "not_member"},
	}
	for _, c := range cases {
		p.warm(t, ent, c.acct, c.p, c.want)
	}
	before, _ := p.s.PermCacheStats()
	for _, c := range cases {
		if err := p.require(c.acct, c.p, ent); refusalCode(err) != c.want || (c.want == "") != (err == nil) {
			t.Errorf("from memory: %s %q: %v, want %q", c.acct, c.p, err, c.want)
		}
	}
	after, _ := p.s.PermCacheStats()
	if after.Misses != before.Misses {
		t.Errorf("warm checks read the store: %+v → %+v", before, after)
	}
	// A member's record is the one stored.
	err := p.st.View(ctx, func(tx sync.Tx) error {
		m, err := p.s.Require(tx, ent, "u_c", org.PermSendContracts)
		if err == nil && (m.Role != "r_send" || m.AccountID != "u_c" || m.EnterpriseID != ent) {
			t.Errorf("cached member %+v", m)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A member disabled through one process is refused at once there, and by the other process
// within the notification latency; a role losing a permission likewise; enabling again is seen.
func TestPermCacheRevokeAcrossProcesses(t *testing.T) {
	dsn, schema := pgtest.NewSchema(t)
	a := startProcess(t, dsn, schema, time.Hour) // no expiry: only notifications can help
	b := startProcess(t, dsn, schema, time.Hour)
	ent := setupRoles(t, a.st, a.s)
	for _, p := range []*pgProcess{a, b} {
		p.warm(t, ent, "u_c", org.PermSendContracts, "")
		p.warm(t, ent, "u_c", org.PermManageSeals, "")
	}

	// The role loses seals.manage (on b this time).
	if _, err := b.s.UpdateRole(ctx, "u_a", ent, "r_send", "销售", []org.Permission{org.PermSendContracts}); err != nil {
		t.Fatal(err)
	}
	if err := b.require("u_c", org.PermManageSeals, ent); refusalCode(err) != "permission_denied" {
		t.Fatalf("the process that changed the role still grants: %v", err)
	}
	lat := a.waitRefused(t, ent, "u_c", org.PermManageSeals, "permission_denied", 5*time.Second)
	t.Logf("role change seen by the other process after %v", lat)
	if err := a.require("u_c", org.PermSendContracts, ent); err != nil {
		t.Fatalf("the permission the role kept: %v", err)
	}

	// u_c is disabled on a.
	for _, p := range []*pgProcess{a, b} {
		p.warm(t, ent, "u_c", org.PermSendContracts, "")
	}
	if _, err := a.s.SetMemberDisabled(ctx, "u_a", ent, "u_c", true); err != nil {
		t.Fatal(err)
	}
	if err := a.require("u_c", org.PermSendContracts, ent); refusalCode(err) != "member_disabled" {
		t.Fatalf("the process that disabled the member still grants: %v", err)
	}
	lat = b.waitRefused(t, ent, "u_c", org.PermSendContracts, "member_disabled", 5*time.Second)
	t.Logf("member disabled: refused by the other process after %v", lat)

	// Enabled again on b, seen on a; removed on b, seen on a.
	b.warm(t, ent, "u_c", "", "member_disabled")
	a.warm(t, ent, "u_c", "", "member_disabled")
	if _, err := b.s.SetMemberDisabled(ctx, "u_a", ent, "u_c", false); err != nil {
		t.Fatal(err)
	}
	a.waitRefused(t, ent, "u_c", org.PermSendContracts, "", 5*time.Second)
	a.warm(t, ent, "u_c", "", "")
	if err := b.s.RemoveMember(ctx, "u_a", ent, "u_c"); err != nil {
		t.Fatal(err)
	}
	a.waitRefused(t, ent, "u_c", "", "not_member", 5*time.Second)
}

// rawDisable disables a member by writing the database directly — no store, so no
// notification: what a process that died between its commit and its NOTIFY leaves behind.
func rawDisable(t *testing.T, dsn, schema, ent, acct string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	m := org.Member{EnterpriseID: ent, AccountID: acct, Role: "r_send", Joined: time.Unix(0, 0)}
	m.Disabled = true
	tag, err := conn.Exec(ctx, `UPDATE `+pgx.Identifier{schema, "kv"}.Sanitize()+` SET value = $1 WHERE bucket = 'members' AND key = $2`,
		org.EncodeMember(m), []byte(ent+"/"+acct))
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("raw update: %v (%d rows)", err, tag.RowsAffected())
	}
}

// A notification that never came (the writer died after its commit): the cache forgets what it
// held when its listening connection comes back, and in any case after the TTL.
func TestPermCacheMissedNotification(t *testing.T) {
	t.Run("reconnect flushes", func(t *testing.T) {
		dsn, schema := pgtest.NewSchema(t)
		b := startProcess(t, dsn, schema, time.Hour)
		ent := setupRoles(t, b.st, b.s)
		b.warm(t, ent, "u_c", org.PermSendContracts, "")
		rawDisable(t, dsn, schema, ent, "u_c")
		// Nothing told b: it still answers from memory (this is the stale grant the rest of the
		// test must end; without it the test would prove nothing).
		if err := b.require("u_c", org.PermSendContracts, ent); err != nil {
			t.Fatalf("expected the stale grant of a missed notification, got %v", err)
		}
		// b's listening connection drops (the database restarted, a network cut).
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1 AND query LIKE 'LISTEN %'`, b.appName).Scan(&n)
		conn.Close(ctx)
		if err != nil || n != 1 {
			t.Fatalf("terminate the listener: %v (%d connections)", err, n)
		}
		b.waitLive(t, 2)
		if err := b.require("u_c", org.PermSendContracts, ent); refusalCode(err) != "member_disabled" {
			t.Fatalf("after the reconnection: %v, want member_disabled", err)
		}
	})
	t.Run("ttl", func(t *testing.T) {
		dsn, schema := pgtest.NewSchema(t)
		const ttl = 300 * time.Millisecond
		b := startProcess(t, dsn, schema, ttl)
		ent := setupRoles(t, b.st, b.s)
		b.warm(t, ent, "u_c", org.PermSendContracts, "")
		rawDisable(t, dsn, schema, ent, "u_c")
		lat := b.waitRefused(t, ent, "u_c", org.PermSendContracts, "member_disabled", 10*time.Second)
		t.Logf("refused %v after the unannounced change (ttl %v)", lat, ttl)
	})
}

// Changes made inside a transaction that fails are not announced, and a failed fill installs
// nothing; a store without a change feed (bbolt) runs without a cache.
func TestPermCacheOnlyCommitted(t *testing.T) {
	dsn, schema := pgtest.NewSchema(t)
	a := startProcess(t, dsn, schema, time.Hour)
	ent := setupRoles(t, a.st, a.s)
	a.warm(t, ent, "u_c", org.PermSendContracts, "")
	before, _ := a.s.PermCacheStats()
	boom := errors.New("roll back")
	err := a.st.Update(ctx, func(tx sync.Tx) error {
		if err := org.PutMember(tx, org.Member{EnterpriseID: ent, AccountID: "u_c", Role: org.RoleMember}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	after, _ := a.s.PermCacheStats()
	if after.Flushes != before.Flushes {
		t.Errorf("a rolled-back change emptied the cache: %+v → %+v", before, after)
	}
	if err := a.require("u_c", org.PermSendContracts, ent); err != nil {
		t.Fatal(err)
	}
	// A committed PutMember (no event of its own) is announced.
	err = a.st.Update(ctx, func(tx sync.Tx) error {
		return org.PutMember(tx, org.Member{EnterpriseID: ent, AccountID: "u_c", Role: org.RoleMember})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.require("u_c", org.PermSendContracts, ent); refusalCode(err) != "permission_denied" {
		t.Fatalf("after PutMember: %v", err)
	}
}

// warmSession authenticates token on p until it is answered from memory (bounded).
func (p *pgProcess) warmSession(t *testing.T, token string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		before, _ := p.s.PermCacheStats()
		if _, _, err := p.s.Authenticate(ctx, token); err != nil {
			t.Fatal(err)
		}
		after, _ := p.s.PermCacheStats()
		if after.Hits > before.Hits && after.Misses == before.Misses {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session is still not answered from memory after 10 s: %+v", after)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Sessions are cached like memberships: signing out on one process ends the session there at
// once and on the other within the notification latency; an account's change is seen too.
func TestSessionCacheAcrossProcesses(t *testing.T) {
	dsn, schema := pgtest.NewSchema(t)
	a := startProcess(t, dsn, schema, time.Hour)
	b := startProcess(t, dsn, schema, time.Hour)
	account(t, a.st, "u_s", "孙", "13900000077")
	var acct org.Account
	var tok org.Token
	err := a.st.Update(ctx, func(tx sync.Tx) error {
		if err := sync.GetJSON(tx, org.BucketAccounts, "u_s", &acct); err != nil {
			return err
		}
		var err error
		tok, err = a.s.NewSession(tx, acct, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a.warmSession(t, tok.Token)
	b.warmSession(t, tok.Token)

	// The account becomes a reviewer on a: b's cached account shows it.
	if _, err := a.s.SetAdmin(ctx, "13900000077", true); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		got, _, err := b.s.Authenticate(ctx, tok.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got.Admin {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other process still has the old account after 5 s")
		}
	}

	// Signing out on a.
	a.warmSession(t, tok.Token)
	b.warmSession(t, tok.Token)
	if err := a.s.Logout(ctx, tok.Token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.s.Authenticate(ctx, tok.Token); !errors.Is(err, org.ErrUnauthenticated) {
		t.Fatalf("the process that signed out still accepts the session: %v", err)
	}
	start := time.Now()
	for {
		_, _, err := b.s.Authenticate(ctx, tok.Token)
		if errors.Is(err, org.ErrUnauthenticated) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the other process still accepts the signed-out session after 5 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Logf("signed out: refused by the other process after %v", time.Since(start))
}
