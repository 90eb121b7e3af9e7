package billing_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sealdesk/core/billing"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
	"sealdesk/store/postgres"
	"sealdesk/store/postgres/pgtest"
)

// The crash test's child: it opens the store named by SEALDESK_BILLING_CRASH, then for every
// envelope i delivers the payment notification of order i twice and charges envelope i,
// printing "step i" after each; the parent kills it with SIGKILL at a random step.
func TestMain(m *testing.M) {
	if spec := os.Getenv("SEALDESK_BILLING_CRASH"); spec != "" {
		os.Exit(crashChild(spec))
	}
	os.Exit(m.Run())
}

const crashN = 30

// pendingProvider is the dev provider without its at-once confirmation, so orders stay pending
// until a notification arrives.
type pendingProvider struct{ d *billing.DevProvider }

func (p pendingProvider) Name() string  { return "dev" }
func (p pendingProvider) Title() string { return "dev" }
func (p pendingProvider) CreatePayment(ctx context.Context, o billing.Order) (billing.Payment, error) {
	return p.d.CreatePayment(ctx, o)
}
func (p pendingProvider) ParseNotification(h http.Header, b []byte) (billing.Notification, error) {
	return p.d.ParseNotification(h, b)
}

var crashDev = &billing.DevProvider{Key: []byte("crash-test-key-0123"), BaseURL: "http://127.0.0.1:1"}

func crashService(s sync.Store) *billing.Service {
	return &billing.Service{Store: s, Providers: map[string]billing.Provider{"dev": pendingProvider{crashDev}},
		Packages: []billing.Package{{ID: "big", Name: "大", Kind: billing.KindEnterprise, Documents: 1000, PriceFen: 1, ValidDays: 30},
			{ID: "one", Name: "一", Kind: billing.KindEnterprise, Documents: 1, PriceFen: 100, ValidDays: 30}}}
}

func openSpec(spec string) (sync.Store, error) {
	if path, ok := strings.CutPrefix(spec, "bolt:"); ok {
		return bolt.Open(path, nil)
	}
	dsn, schema, _ := strings.Cut(spec, " schema=")
	return postgres.Open(context.Background(), dsn, &postgres.Options{Schema: schema})
}

func crashChild(spec string) int {
	s, err := openSpec(spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer s.Close()
	svc := crashService(s)
	now := time.Now()
	for i := range crashN {
		var o billing.Order
		if err := s.View(context.Background(), func(tx sync.Tx) (err error) { o, err = billing.GetOrder(tx, orderIDs[i]); return }); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		h, body := crashDev.Notify(o)
		for range 2 {
			if _, _, err := svc.Confirm(context.Background(), "dev", h, body); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 3
			}
		}
		if err := s.Update(context.Background(), func(tx sync.Tx) error { return billing.Charge(tx, fmt.Sprint("env", i), now) }); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		fmt.Printf("step %d\n", i)
	}
	return 0
}

// orderIDs are filled by the parent's preparation and passed to the child in the environment.
var orderIDs = strings.Fields(os.Getenv("SEALDESK_BILLING_CRASH_ORDERS"))

// TestKillDuringChargeAndPayment is a store-level crash test with a real process: a child
// charges 30 envelopes and confirms 30 payments (each notification delivered twice) while the
// parent kills it with SIGKILL at random steps and restarts it, five times; then the child
// runs to the end. Every envelope is charged exactly once and every order credited once.
func TestKillDuringChargeAndPayment(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test with child processes skipped in -short")
	}
	t.Run("bolt", func(t *testing.T) {
		spec := "bolt:" + filepath.Join(t.TempDir(), "crash.db")
		crashRun(t, spec, func() sync.Store {
			s, err := openSpec(spec)
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn, schema := pgtest.NewSchema(t)
		spec := dsn + " schema=" + schema
		crashRun(t, spec, func() sync.Store {
			s, err := openSpec(spec)
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

func crashRun(t *testing.T, spec string, open func() sync.Store) {
	ent := billing.Enterprise("crash")
	now := time.Now()
	s := open()
	svc := crashService(s)
	big, err := svc.CreateOrder(ctx, "u", ent, "big", "dev", "big")
	must(t, err)
	h, body := crashDev.Notify(big)
	_, _, err = svc.Confirm(ctx, "dev", h, body)
	must(t, err)
	var ids []string
	for i := range crashN {
		o, err := svc.CreateOrder(ctx, "u", ent, "one", "dev", fmt.Sprint("k", i))
		must(t, err)
		ids = append(ids, o.ID)
		must(t, s.Update(ctx, func(tx sync.Tx) error {
			return billing.Reserve(tx, ent, fmt.Sprint("env", i), billing.ChannelPortal, fmt.Sprint("合同", i), now)
		}))
	}
	s.Close()

	killedMidway := 0
	for round := 0; ; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "SEALDESK_BILLING_CRASH="+spec, "SEALDESK_BILLING_CRASH_ORDERS="+strings.Join(ids, " "))
		out, err := cmd.StdoutPipe()
		must(t, err)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		must(t, cmd.Start())
		killAt := -1
		if round < 5 {
			killAt = rand.IntN(crashN)
		}
		sc := bufio.NewScanner(out)
		last := -1
		for sc.Scan() {
			last, _ = strconv.Atoi(strings.TrimPrefix(sc.Text(), "step "))
			if last >= killAt && killAt >= 0 {
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		err = cmd.Wait()
		if killAt < 0 {
			if err != nil {
				t.Fatalf("final run: %v %s", err, stderr.String())
			}
			break
		}
		if last < crashN-1 {
			killedMidway++
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); err != nil && !(ok && ws.Signaled()) {
			t.Fatalf("round %d: %v %s", round, err, stderr.String())
		}
	}
	if killedMidway == 0 {
		t.Fatal("no kill landed before the last step")
	}
	s = open()
	defer s.Close()
	b := balance(t, s, ent, now)
	if b.Used != crashN || b.Reserved != 0 || b.Purchased != 1000+crashN || b.Available != 1000 {
		t.Fatalf("after %d kills: %+v, want %d used, %d purchased", killedMidway, b, crashN, 1000+crashN)
	}
	must(t, s.View(ctx, func(tx sync.Tx) error {
		lines, err := billing.Ledger(tx, ent, billing.LedgerFilter{})
		if err != nil {
			return err
		}
		if len(lines) != crashN {
			t.Errorf("%d expense lines, want %d", len(lines), crashN)
		}
		a, err := billing.LoadAccount(tx, ent)
		if err != nil {
			return err
		}
		if len(a.Lots) != 1+crashN {
			t.Errorf("%d lots, want %d", len(a.Lots), 1+crashN)
		}
		evs, err := tx.Events(string(ent), 0, 0)
		if err != nil {
			return err
		}
		count := map[string]int{}
		for _, e := range evs {
			count[e.Type]++
		}
		if count[billing.EventCharged] != crashN || count[billing.EventCredited] != 1+crashN {
			t.Errorf("events %v", count)
		}
		return nil
	}))
	t.Logf("%d of 5 kills landed before the last step", killedMidway)
}
