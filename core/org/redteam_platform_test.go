package org_test

import (
	"strings"
	"testing"

	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// Findings of the platform red team, each with the harmless twin beside it.
func TestPlatformRedTeamMembers(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			s := newService(st)
			ent := setupRoles(t, st, s)
			if err := st.Update(ctx, func(tx sync.Tx) error {
				if err := org.PutRole(tx, ent, org.Role{ID: "r_hr", Name: "人事", Permissions: []org.Permission{org.PermManageMembers}}); err != nil {
					return err
				}
				return org.PutMember(tx, org.Member{EnterpriseID: ent, AccountID: "u_h", Role: "r_hr", Name: "人事"})
			}); err != nil {
				t.Fatal(err)
			}
			// #6: a members.manage role renames a plain member but not the 主管理员.
			nn := "改名"
			if _, err := s.UpdateMember(ctx, "u_h", ent, "u_m", org.MemberUpdate{Name: &nn}); err != nil {
				t.Fatalf("renaming a member: %v", err)
			}
			if _, err := s.UpdateMember(ctx, "u_h", ent, "u_a", org.MemberUpdate{Name: &nn}); refusalCode(err) != "permission_denied" {
				t.Fatalf("renaming the 主管理员 with members.manage: %v", err)
			}
			// #5: the 主管理员's phone number is masked in the events every member can pull.
			var events []sync.Event
			if err := st.View(ctx, func(tx sync.Tx) error {
				var err error
				events, err = tx.Events(org.EnterpriseScope(ent), 0, 100)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, e := range events {
				if strings.Contains(string(e.Payload), "13900000001") {
					t.Errorf("event %s carries the full phone number: %s", e.Type, e.Payload)
				}
			}
			// #8: a taken credit code does not name the enterprise that holds it.
			account(t, st, "u_x", "外人", "13900000009")
			_, err := s.CreateEnterprise(ctx, "u_x", "另一家公司", validCode(t, "91110000MA01ABCDE"))
			if refusalCode(err) != "enterprise_exists" || strings.Contains(err.(*sync.Refusal).Message, "示例科技") {
				t.Fatalf("duplicate code: %v", err)
			}
			// #7: a personal invitation is used up by the approval; removed, the member cannot
			// come back with it (a fresh invitation works).
			account(t, st, "u_p", "新人", "13900000007")
			inv, err := s.AddMember(ctx, "u_a", ent, "新人", "13900000007")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Join(ctx, "u_p", inv.Token); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DecideJoin(ctx, "u_a", ent, "u_p", true); err != nil {
				t.Fatal(err)
			}
			if err := s.RemoveMember(ctx, "u_a", ent, "u_p"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Join(ctx, "u_p", inv.Token); err == nil {
				t.Fatal("a used personal invitation let a removed member ask to join again")
			}
			inv2, err := s.AddMember(ctx, "u_a", ent, "新人", "13900000007")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Join(ctx, "u_p", inv2.Token); err != nil {
				t.Fatalf("a fresh invitation: %v", err)
			}
		})
	}
}
