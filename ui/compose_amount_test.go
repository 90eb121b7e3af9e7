package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"sealdesk/core/api"
	"sealdesk/core/client"
)

// TestComposeAmountAndValidity: 发起签署's 合同金额 and 合同到期日 against a real server — a
// negative amount, three decimals and an end before the deadline are said in Chinese naming the
// limit and nothing is sent; a good amount and date go with the contract, and the detail in
// 文件 shows them; 即将过期 lists it.
func TestComposeAmountAndValidity(t *testing.T) {
	newContractsApp(t)
	run := billedServer(t)
	pa, pb := newTestParty(t, run, "张三"), newTestParty(t, run, "李四")
	pa.Fund(t, 1)
	sa, _ := newPartyShell(t, pa)
	sa.Show(NavSend)
	v := composeOf(sa)
	fillEnvelope(t, v, "带金额的合同", pb)
	ctx := context.Background()
	today := time.Now()
	tomorrow := time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, time.Local)
	inTwoDays := tomorrow.AddDate(0, 0, 1)
	for _, tc := range []struct {
		amount   string
		deadline time.Time
		valid    time.Time
		says     string
	}{
		{"-5", time.Time{}, time.Time{}, "合同金额不能为负数"},
		{"1.234", time.Time{}, time.Time{}, "最多两位小数"},
		{"1000000000000", time.Time{}, time.Time{}, "最多 999,999,999,999.99 元"},
		{"十万", time.Time{}, time.Time{}, "合同金额“十万”无法识别"},
		{"100", inTwoDays, tomorrow, "合同到期日不能早于截止日期"},
	} {
		v.amount.SetText(tc.amount)
		if tc.deadline.IsZero() {
			v.deadline.SetDate(nil)
		} else {
			v.deadline.SetDate(&tc.deadline)
		}
		if tc.valid.IsZero() {
			v.validUntil.SetDate(nil)
		} else {
			v.validUntil.SetDate(&tc.valid)
		}
		test.Tap(v.sendNow)
		workers.drain(&v.wg)
		if !strings.Contains(v.msg.Text, tc.says) || v.subject.Text != "带金额的合同" || v.amount.Text != tc.amount {
			t.Errorf("amount %q: message %q (subject %q, amount %q kept?)", tc.amount, v.msg.Text, v.subject.Text, v.amount.Text)
		}
	}
	if qc, err := pb.c.QuickCounts(ctx, 0); err != nil || qc.All != 0 {
		t.Fatalf("something was sent: %+v %v", qc, err)
	}
	// A good one: 12,345.6 元, to be signed by tomorrow, valid through the day after.
	v.amount.SetText("12,345.6")
	v.deadline.SetDate(&tomorrow)
	v.validUntil.SetDate(&inTwoDays)
	test.Tap(v.sendNow)
	workers.drain(&v.wg)
	if !strings.Contains(v.msg.Text, "已发送") || v.amount.Text != "" || v.validUntil.Date != nil {
		t.Fatalf("send: %q, amount field %q after", v.msg.Text, v.amount.Text)
	}
	l, err := pb.c.Envelopes(ctx, client.ListOptions{Filter: api.FilterExpiring})
	if err != nil || len(l.Items) != 1 || l.Items[0].Amount != 1234560 || l.Items[0].Subject != "带金额的合同" {
		t.Fatalf("B's 即将过期: %+v %v", l, err)
	}
	if got := l.Items[0].ValidUntil.Local().Format(time.DateOnly); got != inTwoDays.Format(time.DateOnly) {
		t.Errorf("合同到期日 %s, want %s", got, inTwoDays.Format(time.DateOnly))
	}
	// A's detail in 文件 shows the amount.
	sa.Show(NavDocuments)
	pane := documentsOf(sa).Contracts
	pane.showBox(api.BoxWaiting)
	waitFor(t, "A's 待他人签", func() bool { return len(pane.rows) == 1 })
	test.Tap(pane.rows[0].Row)
	waitFor(t, "the detail", func() bool { return pane.detail != nil && pane.detail.Amount != nil })
	lookLocked(func() bool {
		if pane.detail.Amount.Text != "12,345.60 元" {
			t.Errorf("detail amount %q", pane.detail.Amount.Text)
		}
		return true
	})
}
