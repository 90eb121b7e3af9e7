package org_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"

	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

var adminCodeRE = regexp.MustCompile(`验证码是 ([0-9]{6})`)

// lastAdminCode reads the newest code sent to phone from the service's outbox.
func lastAdminCode(t *testing.T, s *org.Service, phone string) string {
	msgs := s.Notifier.(*notify.Outbox).Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == phone {
			if m := adminCodeRE.FindStringSubmatch(msgs[i].Body); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no code for %s", phone)
	return ""
}

type adminFixture struct {
	st      sync.Store
	s       *org.Service
	ac      *org.AdminChanges
	ent     org.Enterprise
	clock   *time.Time
	deposit int
}

// newAdminFixture: enterprise of u_a (主管理员) with members u_b (enabled) and u_d (disabled);
// u_c is a stranger. One handover kind, "contracts", moves keys of a test bucket.
func newAdminFixture(t *testing.T, st sync.Store) *adminFixture {
	f := &adminFixture{st: st, s: newService(st)}
	now := time.Now()
	f.clock = &now
	f.s.Now = func() time.Time { return *f.clock }
	for _, p := range [][3]string{{"u_a", "甲", "13800000001"}, {"u_b", "乙", "13800000002"}, {"u_c", "丙", "13800000003"}, {"u_d", "丁", "13800000004"}} {
		account(t, st, p[0], p[1], p[2])
	}
	var err error
	f.ent, err = f.s.CreateEnterprise(ctx, "u_a", "杭州变更测试有限公司", validCode(t, "91330106MA2AAAAA1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx sync.Tx) error {
		if err := org.PutMember(tx, org.Member{EnterpriseID: f.ent.ID, AccountID: "u_b", Name: "乙", Role: org.RoleMember, Joined: now}); err != nil {
			return err
		}
		if err := org.PutMember(tx, org.Member{EnterpriseID: f.ent.ID, AccountID: "u_d", Name: "丁", Role: org.RoleMember, Disabled: true, Joined: now}); err != nil {
			return err
		}
		return tx.Put("test_items", f.ent.ID+"/u_a/1", []byte("x"))
	}); err != nil {
		t.Fatal(err)
	}
	f.ac = &org.AdminChanges{Org: f.s, LegalRep: org.DevLegalRep{},
		Deposit: org.DevDeposit{Sent: func(_ string, fen int) { f.deposit = fen }},
		CertificatePEM: func(tx sync.Tx, acct string) (string, error) {
			return "-----BEGIN CERTIFICATE-----\n" + acct + "\n-----END CERTIFICATE-----\n", nil
		}}
	f.ac.RegisterHandover("contracts", "合同", func(tx sync.Tx, ent, from, to string, _ time.Time) (int, error) {
		var keys []string
		if err := tx.Scan("test_items", ent+"/"+from+"/", "", 0, func(k string, _ []byte) error { keys = append(keys, k); return nil }); err != nil {
			return 0, err
		}
		for _, k := range keys {
			tx.Delete("test_items", k)
			tx.Put("test_items", ent+"/"+to+"/"+k[strings.LastIndexByte(k, '/')+1:], []byte("x"))
		}
		return len(keys), nil
	})
	return f
}

func (f *adminFixture) owner(t *testing.T) string {
	var e org.Enterprise
	f.st.View(ctx, func(tx sync.Tx) error { var err error; e, err = org.GetEnterprise(tx, f.ent.ID); return err })
	return e.Owner
}

func (f *adminFixture) member(t *testing.T, acct string) org.Member {
	var m org.Member
	f.st.View(ctx, func(tx sync.Tx) error { var err error; m, err = org.GetMember(tx, f.ent.ID, acct); return err })
	return m
}

func wantRefusal(t *testing.T, err error, code string) {
	t.Helper()
	var r *sync.Refusal
	if !errors.As(err, &r) || r.Code != code {
		t.Fatalf("error %v, want refusal %s", err, code)
	}
	if !strings.ContainsFunc(r.Message, func(c rune) bool { return c >= 0x4e00 && c <= 0x9fff }) {
		t.Errorf("message of %s is not Chinese: %q", code, r.Message)
	}
}

func TestAdminTransfer(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			f := newAdminFixture(t, open(t))
			ent := f.ent.ID
			// Only the 主管理员 may ask for the code.
			_, err := f.ac.StartTransfer(ctx, "u_b", ent)
			wantRefusal(t, err, "owner_only")
			_, err = f.ac.ConfirmTransfer(ctx, "u_a", ent, org.TransferRequest{Code: "123456", To: "u_b"})
			wantRefusal(t, err, "code_required")
			ch, err := f.ac.StartTransfer(ctx, "u_a", ent)
			if err != nil || ch.SentTo != "138****0001" {
				t.Fatalf("%+v %v", ch, err)
			}
			_, err = f.ac.StartTransfer(ctx, "u_a", ent)
			wantRefusal(t, err, "code_too_soon")
			code := lastAdminCode(t, f.s, "13800000001")
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			_, err = f.ac.ConfirmTransfer(ctx, "u_a", ent, org.TransferRequest{Code: wrong, To: "u_b"})
			wantRefusal(t, err, "bad_code")
			// Bad targets: each refused, nothing changes.
			for _, c := range []struct{ to, code string }{{"u_d", "member_disabled"}, {"u_c", "member_not_found"}, {"u_a", "transfer_to_self"}} {
				_, err = f.ac.ConfirmTransfer(ctx, "u_a", ent, org.TransferRequest{Code: code, To: c.to})
				wantRefusal(t, err, c.code)
			}
			_, err = f.ac.ConfirmTransfer(ctx, "u_a", ent, org.TransferRequest{Code: code, To: "u_b", Handover: []string{"seals"}})
			wantRefusal(t, err, "bad_handover_kind")
			if f.owner(t) != "u_a" {
				t.Fatal("a refused transfer changed the owner")
			}
			res, err := f.ac.ConfirmTransfer(ctx, "u_a", ent, org.TransferRequest{Code: code, To: "u_b", Handover: []string{"contracts"}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Enterprise.Owner != "u_b" || f.member(t, "u_b").Role != org.RoleOwner || f.member(t, "u_a").Role != org.RoleAdmin || res.Moved["contracts"] != 1 {
				t.Fatalf("after transfer: %+v, b %+v, a %+v", res, f.member(t, "u_b"), f.member(t, "u_a"))
			}
			// The code is single-use: replaying it (now as b, the new owner, or as a) is refused.
			_, err = f.ac.ConfirmTransfer(ctx, "u_a", ent, org.TransferRequest{Code: code, To: "u_b"})
			wantRefusal(t, err, "owner_only")
			_, err = f.ac.ConfirmTransfer(ctx, "u_b", ent, org.TransferRequest{Code: code, To: "u_a"})
			wantRefusal(t, err, "code_required")
			// One admin_changed event with the credit code and the new admin's certificate.
			var got []org.AdminChanged
			for _, ev := range events(t, f.st, org.EnterpriseScope(ent)) {
				if ev.Type == "enterprise.admin_changed" {
					var p org.AdminChanged
					jsonUnmarshal(t, ev.Payload, &p)
					got = append(got, p)
				}
			}
			if len(got) != 1 || got[0].CreditCode != f.ent.CreditCode || got[0].NewAdmin.AccountID != "u_b" || got[0].OldAdmin.AccountID != "u_a" ||
				!strings.Contains(got[0].CertificatePEM, "u_b") || got[0].Method != "transfer" {
				t.Fatalf("admin_changed events %+v", got)
			}
		})
	}
}

func TestAdminTransferCodeBurnsAndExpires(t *testing.T) {
	f := newAdminFixture(t, stores()["bolt"](t))
	ent := f.ent.ID
	f.ac.StartTransfer(ctx, "u_a", ent)
	code := lastAdminCode(t, f.s, "13800000001")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := 0; i < org.TransferCodeAttempts-1; i++ {
		_, err := f.ac.ConfirmTransfer(ctx, "u_a", ent, org.TransferRequest{Code: wrong, To: "u_b"})
		wantRefusal(t, err, "bad_code")
	}
	_, err := f.ac.ConfirmTransfer(ctx, "u_a", ent, org.TransferRequest{Code: wrong, To: "u_b"})
	wantRefusal(t, err, "code_burnt")
	_, err = f.ac.ConfirmTransfer(ctx, "u_a", ent, org.TransferRequest{Code: code, To: "u_b"})
	wantRefusal(t, err, "code_burnt")
	*f.clock = f.clock.Add(org.TransferCodeInterval + time.Second)
	f.ac.StartTransfer(ctx, "u_a", ent)
	code = lastAdminCode(t, f.s, "13800000001")
	*f.clock = f.clock.Add(org.TransferCodeTTL + time.Second)
	_, err = f.ac.ConfirmTransfer(ctx, "u_a", ent, org.TransferRequest{Code: code, To: "u_b"})
	wantRefusal(t, err, "code_expired")
	if f.owner(t) != "u_a" {
		t.Fatal("owner changed")
	}
}

func letterPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for x := 100; x < 300; x++ {
		img.Set(x, 150, color.RGBA{200, 0, 0, 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func TestAppeals(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			f := newAdminFixture(t, open(t))
			// Letter: u_c (a stranger to the enterprise) appeals from a contract; a reviewer approves.
			_, err := f.ac.StartAppeal(ctx, "u_c", org.AppealRequest{Enterprise: "不存在的公司", Method: org.AppealLetter, PersonName: "丙", PersonIDNumber: "11010519491231002X"})
			wantRefusal(t, err, "enterprise_not_found")
			_, err = f.ac.StartAppeal(ctx, "u_c", org.AppealRequest{Enterprise: f.ent.Name, Method: org.AppealLetter, PersonName: "丙", PersonIDNumber: "110105194912310021"})
			wantRefusal(t, err, "bad_id_number")
			_, err = f.ac.StartAppeal(ctx, "u_c", org.AppealRequest{Enterprise: f.ent.Name, Method: "face"})
			wantRefusal(t, err, "bad_method")
			_, err = f.ac.StartAppeal(ctx, "u_d", org.AppealRequest{Enterprise: f.ent.CreditCode, Method: org.AppealLetter, PersonName: "丁", PersonIDNumber: "11010519491231002X"})
			wantRefusal(t, err, "member_disabled")
			ap, err := f.ac.StartAppeal(ctx, "u_c", org.AppealRequest{Enterprise: f.ent.Name, Method: org.AppealLetter, ContractID: "env_123",
				PersonName: "丙", PersonIDNumber: "11010519491231002X"})
			if err != nil || ap.State != org.AppealProving || ap.EnterpriseID != f.ent.ID || ap.PersonIDMasked == "" || strings.Contains(ap.PersonIDMasked, "19491231") {
				t.Fatalf("%+v %v", ap, err)
			}
			_, err = f.ac.DecideAppeal(ctx, "reviewer", ap.ID, true, "")
			wantRefusal(t, err, "appeal_state")
			_, err = f.ac.UploadAppealLetter(ctx, "u_b", ap.ID, letterPNG(t)) // not b's appeal
			wantRefusal(t, err, "appeal_not_found")
			_, err = f.ac.UploadAppealLetter(ctx, "u_c", ap.ID, []byte("%PDF-1.7 not an image"))
			wantRefusal(t, err, "photo_type")
			_, err = f.ac.UploadAppealLetter(ctx, "u_c", ap.ID, make([]byte, 6<<20))
			wantRefusal(t, err, "photo_too_large")
			ap, err = f.ac.UploadAppealLetter(ctx, "u_c", ap.ID, letterPNG(t))
			if err != nil || ap.State != org.AppealInReview {
				t.Fatalf("%+v %v", ap, err)
			}
			queue, _ := f.ac.AppealReviews(ctx)
			if len(queue) != 1 || queue[0].ID != ap.ID {
				t.Fatalf("review queue %+v", queue)
			}
			_, letter, err := f.ac.ReviewAppeal(ctx, ap.ID)
			if _, err2 := png.Decode(bytes.NewReader(letter)); err != nil || err2 != nil {
				t.Fatalf("letter: %v %v", err, err2)
			}
			_, err = f.ac.DecideAppeal(ctx, "reviewer", ap.ID, false, "")
			wantRefusal(t, err, "reason_required")
			ap, err = f.ac.DecideAppeal(ctx, "reviewer", ap.ID, true, "")
			if err != nil || ap.State != org.AppealApproved {
				t.Fatalf("%+v %v", ap, err)
			}
			if f.owner(t) != "u_c" || f.member(t, "u_c").Role != org.RoleOwner || f.member(t, "u_a").Role != org.RoleMember {
				t.Fatalf("after approval owner %s, c %+v, a %+v", f.owner(t), f.member(t, "u_c"), f.member(t, "u_a"))
			}
			_, err = f.ac.DecideAppeal(ctx, "reviewer", ap.ID, true, "")
			wantRefusal(t, err, "appeal_decided")
			if q, _ := f.ac.AppealReviews(ctx); len(q) != 0 {
				t.Fatalf("queue after decision %+v", q)
			}
			// 一键转交 by the new admin: a's items to b, then a is disabled.
			_, err = f.ac.HandOver(ctx, "u_c", f.ent.ID, "u_a", org.HandoverRequest{Kinds: []string{"contracts"}, To: "u_d", Then: "disable"})
			wantRefusal(t, err, "member_disabled")
			_, err = f.ac.HandOver(ctx, "u_b", f.ent.ID, "u_a", org.HandoverRequest{Kinds: []string{"contracts"}, To: "u_b"})
			wantRefusal(t, err, "permission_denied")
			_, err = f.ac.HandOver(ctx, "u_c", f.ent.ID, "u_c", org.HandoverRequest{Kinds: []string{"contracts"}, To: "u_b"})
			wantRefusal(t, err, "owner")
			res, err := f.ac.HandOver(ctx, "u_c", f.ent.ID, "u_a", org.HandoverRequest{Kinds: []string{"contracts"}, To: "u_b", Then: "disable"})
			if err != nil || res.Moved["contracts"] != 1 || !f.member(t, "u_a").Disabled {
				t.Fatalf("handover %+v %v (a %+v)", res, err, f.member(t, "u_a"))
			}
			f.st.View(ctx, func(tx sync.Tx) error {
				if _, err := tx.Get("test_items", f.ent.ID+"/u_b/1"); err != nil {
					t.Errorf("item not moved to b: %v", err)
				}
				return nil
			})
			// Deposit: three wrong amounts end the appeal; a right one makes b the owner.
			dp, err := f.ac.StartAppeal(ctx, "u_b", org.AppealRequest{Enterprise: f.ent.CreditCode, Method: org.AppealDeposit})
			if err != nil || dp.TriesLeft != 3 || f.deposit < 1 || f.deposit > 99 {
				t.Fatalf("%+v %v deposit %d", dp, err, f.deposit)
			}
			wrong := "0.99"
			if f.deposit == 99 {
				wrong = "0.98"
			}
			_, err = f.ac.ConfirmDeposit(ctx, "u_b", dp.ID, "1.50")
			wantRefusal(t, err, "bad_amount")
			_, err = f.ac.ConfirmDeposit(ctx, "u_b", dp.ID, wrong)
			wantRefusal(t, err, "deposit_wrong")
			_, err = f.ac.ConfirmDeposit(ctx, "u_b", dp.ID, wrong)
			wantRefusal(t, err, "deposit_wrong")
			_, err = f.ac.ConfirmDeposit(ctx, "u_b", dp.ID, wrong)
			wantRefusal(t, err, "deposit_tries_exhausted")
			_, err = f.ac.ConfirmDeposit(ctx, "u_b", dp.ID, fenText(f.deposit))
			wantRefusal(t, err, "appeal_state")
			dp, _ = f.ac.StartAppeal(ctx, "u_b", org.AppealRequest{Enterprise: f.ent.CreditCode, Method: org.AppealDeposit})
			if dp, err = f.ac.ConfirmDeposit(ctx, "u_b", dp.ID, fenText(f.deposit)); err != nil || dp.State != org.AppealApproved || f.owner(t) != "u_b" {
				t.Fatalf("%+v %v owner %s", dp, err, f.owner(t))
			}
			// Legal representative: decided at once — only for the legal representative in person
			// (red team: anyone naming the legal representative became 主管理员).
			*f.clock = f.clock.Add(time.Second)
			_, err = f.ac.StartAppeal(ctx, "u_c", org.AppealRequest{Enterprise: f.ent.Name, Method: org.AppealLegalRep, PersonName: "丙", PersonIDNumber: "11010519491231002X"})
			wantRefusal(t, err, "not_legal_rep") // no real-name verification
			setRealName(t, f.st, "u_c", "丙", "11010519491231002X")
			_, err = f.ac.StartAppeal(ctx, "u_c", org.AppealRequest{Enterprise: f.ent.Name, Method: org.AppealLegalRep, PersonName: "戊", PersonIDNumber: "110105198001010016"})
			wantRefusal(t, err, "not_legal_rep") // verified as somebody else
			if f.owner(t) != "u_b" {
				t.Fatalf("refused appeals changed the owner to %s", f.owner(t))
			}
			lr, err := f.ac.StartAppeal(ctx, "u_c", org.AppealRequest{Enterprise: f.ent.Name, Method: org.AppealLegalRep, PersonName: "丙", PersonIDNumber: "11010519491231002X"})
			if err != nil || lr.State != org.AppealApproved || f.owner(t) != "u_c" {
				t.Fatalf("%+v %v owner %s", lr, err, f.owner(t))
			}
			mine, _ := f.ac.MyAppeals(ctx, "u_c")
			if len(mine) != 2 || mine[0].ContractID != "env_123" {
				t.Fatalf("my appeals %+v", mine)
			}
		})
	}
}

func fenText(fen int) string {
	return "0." + string(rune('0'+fen/10)) + string(rune('0'+fen%10))
}

func jsonUnmarshal(t *testing.T, b []byte, v any) {
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// setRealName records a verified real name (dev provider) on an account.
func setRealName(t *testing.T, st sync.Store, id, name, idNumber string) {
	t.Helper()
	if err := st.Update(ctx, func(tx sync.Tx) error {
		var a org.Account
		if err := sync.GetJSON(tx, org.BucketAccounts, id, &a); err != nil {
			return err
		}
		a.RealName = &org.RealName{Name: name, IDNumber: idNumber, Provider: "dev", VerifiedAt: time.Now()}
		return sync.PutJSON(tx, org.BucketAccounts, id, a)
	}); err != nil {
		t.Fatal(err)
	}
}
