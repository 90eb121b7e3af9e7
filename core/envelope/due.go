package envelope

// 首页's 快捷入口 (manual 000): 即将截止签约 lists the caller's contracts still being signed whose
// signing deadline falls within the next days, 即将过期 those being signed or completed whose
// 合同到期日 (ValidUntil) does. Both come from one index kept by save() beside the boxes:
// BucketDue holds "<party key>|<kind>|<unix seconds>|<id>" for every party, kind "d" (deadline,
// boxes 待我签 and 待他人签) and "v" (valid until, those and 已完成), each pointing at the party's
// box line. A list or a count is then one range scan over the window, whatever the number of
// contracts outside it.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/sync"
)

const (
	dueDeadline = "d"
	dueValid    = "v"
)

func dueTime(t time.Time) string { return fmt.Sprintf("%012d", max(0, t.Unix())) }

func duePrefix(key, kind string) string { return key + "|" + kind + "|" }

// dueKeys are the BucketDue keys of the party with key, whose box is box.
func (r *record) dueKeys(key, box string) []string {
	var out []string
	open := box == api.BoxToSign || box == api.BoxWaiting
	if open && !r.Deadline.IsZero() {
		out = append(out, duePrefix(key, dueDeadline)+dueTime(r.Deadline)+"|"+r.ID)
	}
	if (open || box == api.BoxCompleted) && !r.ValidUntil.IsZero() {
		out = append(out, duePrefix(key, dueValid)+dueTime(r.ValidUntil)+"|"+r.ID)
	}
	return out
}

func dueKind(filter string) (string, error) {
	switch filter {
	case api.FilterDueSoon:
		return dueDeadline, nil
	case api.FilterExpiring:
		return dueValid, nil
	}
	return "", bad("bad_filter", "filter 须为 due_soon（即将截止签约）或 expiring（即将过期）")
}

// CheckDays returns the window of a quick list: api.DefaultDueDays for 0, else 1–MaxDueDays.
func CheckDays(days int) (int, error) {
	if days == 0 {
		return api.DefaultDueDays, nil
	}
	if days < 1 || days > api.MaxDueDays {
		return 0, bad("bad_days", fmt.Sprintf("天数须在 1–%d 之间", api.MaxDueDays))
	}
	return days, nil
}

// scanDue calls fn for the entries of key's index of kind dated after now and up to now+days,
// soonest first, after the cursor after (a key without the prefix).
func scanDue(tx sync.Tx, key, kind string, now time.Time, days int, after string, fn func(k, ik string) error) error {
	pfx := duePrefix(key, kind)
	from := pfx + dueTime(now)
	if after != "" && pfx+after > from {
		from = pfx + after
	}
	end := dueTime(now.Add(time.Duration(days) * 24 * time.Hour))
	return tx.Scan(BucketDue, pfx, from, 0, func(k string, v []byte) error {
		ts, _, _ := strings.Cut(strings.TrimPrefix(k, pfx), "|")
		if ts > end {
			return sync.ErrStopScan
		}
		return fn(k, string(v))
	})
}

// Quick returns a page of a quick list (api.FilterDueSoon, api.FilterExpiring) of the caller:
// the contracts dated within the next days (0: api.DefaultDueDays), soonest first, with every
// box's count; query narrows it like a box's search.
func (s *Service) Quick(ctx context.Context, a Actor, filter string, days int, query, after string, limit int) (api.EnvelopeList, error) {
	kind, err := dueKind(filter)
	if err != nil {
		return api.EnvelopeList{}, err
	}
	if days, err = CheckDays(days); err != nil {
		return api.EnvelopeList{}, err
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	if limit > MaxListLimit {
		return api.EnvelopeList{}, bad("bad_limit", fmt.Sprintf("limit 须在 1–%d 之间", MaxListLimit))
	}
	key := accountKey(a.Account)
	pfx := duePrefix(key, kind)
	query = strings.ToLower(strings.TrimSpace(query))
	now := s.now()
	out := api.EnvelopeList{Filter: filter, Days: days, Items: []api.EnvelopeSummary{}}
	err = s.Store.View(ctx, func(tx sync.Tx) error {
		var err error
		if out.Counts, err = counts(tx, key); err != nil {
			return err
		}
		var last string
		return scanDue(tx, key, kind, now, days, after, func(k, ik string) error {
			if len(out.Items) == limit {
				out.Next = strings.TrimPrefix(last, pfx)
				return sync.ErrStopScan
			}
			var l boxLine
			if err := sync.GetJSON(tx, BucketBox, ik, &l); errors.Is(err, sync.ErrNotFound) {
				return nil // not expected: save() writes both in one transaction
			} else if err != nil {
				return err
			}
			if query != "" && !strings.Contains(l.Search, query) {
				return nil
			}
			out.Items = append(out.Items, l.EnvelopeSummary)
			last = k
			return nil
		})
	})
	return out, err
}

// QuickCounts returns 首页's 快捷入口 counters of the caller, 即将截止签约 and 即将过期 over the
// next days (0: api.DefaultDueDays).
func (s *Service) QuickCounts(ctx context.Context, a Actor, days int) (api.QuickCounts, error) {
	days, err := CheckDays(days)
	if err != nil {
		return api.QuickCounts{}, err
	}
	key := accountKey(a.Account)
	now := s.now()
	out := api.QuickCounts{Days: days}
	err = s.Store.View(ctx, func(tx sync.Tx) error {
		m, err := counts(tx, key)
		if err != nil {
			return err
		}
		for b, n := range m {
			if b != api.BoxDraft {
				out.All += n
			}
		}
		out.ToSign, out.Waiting = m[api.BoxToSign], m[api.BoxWaiting]
		if err := scanDue(tx, key, dueDeadline, now, days, "", func(string, string) error { out.DueSoon++; return nil }); err != nil {
			return err
		}
		return scanDue(tx, key, dueValid, now, days, "", func(string, string) error { out.Expiring++; return nil })
	})
	return out, err
}

// FormatAmount writes an amount in fen as yuan with thousands separators: 1234567 → "12,345.67".
func FormatAmount(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	yuan := fmt.Sprint(fen / 100)
	for i := len(yuan) - 3; i > 0; i -= 3 {
		yuan = yuan[:i] + "," + yuan[i:]
	}
	s := fmt.Sprintf("%s.%02d", yuan, fen%100)
	if neg {
		s = "-" + s
	}
	return s
}

// ParseAmount reads 合同金额 as typed, in yuan ("12345.6", "12,345.67", "￥100"), exactly (no
// floating point); "" is 0. Bad input is a *sync.Refusal naming the limit, in Chinese, with the
// code amount_negative, amount_decimals, amount_too_large or bad_amount.
func ParseAmount(s string) (int64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "元"))
	for _, p := range []string{"¥", "￥"} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), "，", "")
	if s == "" {
		return 0, nil
	}
	limit := "合同金额须为 0–" + FormatAmount(api.MaxAmount) + " 元的数字，最多两位小数"
	if strings.HasPrefix(s, "-") {
		return 0, bad("amount_negative", "合同金额不能为负数")
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 {
		if len(frac) > 2 && whole != "" && digits(whole) && digits(frac) {
			return 0, bad("amount_decimals", "合同金额最多两位小数（精确到分）")
		}
		return 0, bad("bad_amount", limit)
	}
	if !digits(whole) || !digits(frac) || len(whole) > 12 {
		if digits(whole) && digits(frac) {
			return 0, bad("amount_too_large", "合同金额最多 "+FormatAmount(api.MaxAmount)+" 元")
		}
		return 0, bad("bad_amount", limit)
	}
	var fen int64
	for _, c := range whole + (frac + "00")[:2] {
		fen = fen*10 + int64(c-'0')
	}
	return fen, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// BackfillDue indexes by date the contracts in progress with a signing deadline that were sent
// before the date index existed (their record has no Due entries); it is idempotent and cheap
// (only open contracts with a deadline are read), and the server runs it at start.
func (s *Service) BackfillDue(ctx context.Context) (int, error) {
	var ids []string
	if err := s.Store.View(ctx, func(tx sync.Tx) error {
		return tx.Scan(BucketOpen, "deadline/", "", 0, func(k string, _ []byte) error {
			ids = append(ids, strings.TrimPrefix(k, "deadline/"))
			return nil
		})
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := s.Store.Update(ctx, func(tx sync.Tx) error {
			var r record
			if err := sync.GetJSON(tx, BucketEnvelopes, id, &r); errors.Is(err, sync.ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			if len(r.Due) > 0 {
				return nil
			}
			for key, ik := range r.Index {
				if strings.HasPrefix(key, "ent:") {
					continue
				}
				for _, dk := range r.dueKeys(key, boxOfIndexKey(ik)) {
					if err := tx.Put(BucketDue, dk, []byte(ik)); err != nil {
						return err
					}
					r.Due = append(r.Due, dk)
				}
			}
			if len(r.Due) == 0 {
				return nil
			}
			n++
			return sync.PutJSON(tx, BucketEnvelopes, r.ID, r)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
