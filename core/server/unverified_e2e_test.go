package server_test

import (
	"fmt"
	"testing"

	"sealdesk/core/org"
	"sealdesk/core/server"
)

// Red team s5, F7 (credit-code squatting in bulk): an account may have created at most
// Limits.UnverifiedEnterprises enterprises not yet verified; one more is refused (429
// too_many_enterprises, naming the limit) and claims no credit code; other accounts are not
// affected, and a verified enterprise frees its place. Before: one account claimed 60 companies'
// 统一社会信用代码 in 0.5 s (each then needs an appeal to win back).
func TestUnverifiedEnterprisesBoundedE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startWith(t, open(t), true, func(o *server.Options) { o.Limits.UnverifiedEnterprises = 2 })
			a, b := e.register(t, newPhone()), e.register(t, newPhone())
			code := func(i int) string { return creditCode(t, fmt.Sprintf("91330106MA2U%05d", i)) }
			first, err := a.CreateEnterprise(ctx, "杭州一号有限公司", code(1))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.CreateEnterprise(ctx, "杭州二号有限公司", code(2)); err != nil {
				t.Fatal(err)
			}
			_, err = a.CreateEnterprise(ctx, "杭州三号有限公司", code(3))
			wantCode(t, err, "too_many_enterprises")
			// The refused creation claimed nothing: another account takes the code.
			if _, err := b.CreateEnterprise(ctx, "杭州三号有限公司", code(3)); err != nil {
				t.Fatalf("the code of a refused creation: %v", err)
			}
			// Verified (the dev legal-representative check), the first no longer counts.
			if _, err := a.SubmitRealName(ctx, "钱七", "11010519491231002X", "dev"); err != nil {
				t.Fatal(err)
			}
			v, err := a.StartVerification(ctx, first.ID, org.VerificationRequest{Method: org.MethodLegalRep, LegalRep: "钱七", LegalRepID: "11010519491231002X"})
			if err != nil || v.Status != org.EVApproved {
				t.Fatalf("verification: %+v %v", v, err)
			}
			if _, err := a.CreateEnterprise(ctx, "杭州四号有限公司", code(4)); err != nil {
				t.Errorf("after one was verified: %v", err)
			}
		})
	}
}

// The bound holds when the creations come at once (PostgreSQL runs snapshot isolation: two
// transactions that only read the count and insert different keys would both pass; before the
// fix 15 of 30 parallel creations passed a bound of 10).
func TestUnverifiedEnterprisesBoundedInParallelE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startWith(t, open(t), true, func(o *server.Options) { o.Limits.UnverifiedEnterprises = 3 })
			a := e.register(t, newPhone())
			const n = 12
			errs := make(chan error, n)
			for i := 0; i < n; i++ {
				go func() {
					_, err := a.CreateEnterprise(ctx, fmt.Sprintf("杭州并发%02d有限公司", i), creditCode(t, fmt.Sprintf("91330106MA2P%05d", i)))
					errs <- err
				}()
			}
			created := 0
			for i := 0; i < n; i++ {
				if err := <-errs; err == nil {
					created++
				} else {
					wantCode(t, err, "too_many_enterprises")
				}
			}
			mine, err := a.MyEnterprises(ctx)
			if created != 3 || err != nil || len(mine) != 3 {
				t.Errorf("created %d (%d listed, %v), want 3", created, len(mine), err)
			}
		})
	}
}
