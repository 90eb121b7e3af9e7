package org_test

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// TestMemberListFirstPage10k: an enterprise of 10,000 members lists its first page (100) in
// ≤ 50 ms p99 — one key range, whatever the size (SEALDESK_LONG=1; PostgreSQL needs
// SEALDESK_TEST_POSTGRES).
func TestMemberListFirstPage10k(t *testing.T) {
	if os.Getenv("SEALDESK_LONG") == "" {
		t.Skip("SEALDESK_LONG not set: the 10,000-member listing benchmark is a long run")
	}
	for _, name := range []string{"bolt", "postgres"} {
		t.Run(name, func(t *testing.T) {
			st := stores()[name](t)
			s := newService(st)
			account(t, st, "u_a", "甲", "13900000001")
			e, err := s.CreateEnterprise(ctx, "u_a", "万人企业有限公司", validCode(t, "91110000MA01ABCDE"))
			if err != nil {
				t.Fatal(err)
			}
			// A second enterprise of the same size around it, so a scan that strayed would show.
			account(t, st, "u_b", "乙", "13900000002")
			other, err := s.CreateEnterprise(ctx, "u_b", "邻居企业有限公司", validCode(t, "91110000MA01ABCDF"))
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			for _, ent := range []string{e.ID, other.ID} {
				for batch := 0; batch < 10; batch++ {
					err := st.Update(ctx, func(tx sync.Tx) error {
						for i := 0; i < 1000; i++ {
							n := batch*1000 + i
							m := org.Member{EnterpriseID: ent, AccountID: fmt.Sprintf("u_%08d", n), Name: fmt.Sprintf("成员%d", n),
								Phone: fmt.Sprintf("139%08d", n), Role: org.RoleMember, Joined: now}
							if err := org.PutMember(tx, m); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			var took []time.Duration
			var last string
			for i := 0; i < 200; i++ {
				start := time.Now()
				page, err := s.Members(ctx, "u_a", e.ID, "", 100)
				took = append(took, time.Since(start))
				if err != nil || len(page) != 100 {
					t.Fatalf("page: %d %v", len(page), err)
				}
				last = page[len(page)-1].AccountID
			}
			// The next page follows on.
			next, err := s.Members(ctx, "u_a", e.ID, last, 100)
			if err != nil || len(next) != 100 || next[0].AccountID <= last {
				t.Fatalf("next page: %d %v", len(next), err)
			}
			slices.Sort(took)
			p50, p99 := took[len(took)/2], took[len(took)*99/100]
			t.Logf("%s: first page of 100 of 10,000 members: p50 %v, p99 %v (target p99 ≤ 50 ms)", name, p50, p99)
			if p99 > 50*time.Millisecond {
				t.Errorf("p99 %v over 50 ms", p99)
			}
		})
	}
}
