package envelope

// 签发量月度报表 (manual 000's home screen): per owner (an enterprise, or a person's 个人版) and
// calendar month (UTC+8, the users' calendar), how many contracts were sent and how many were
// completed. The counters are kept inside the transactions that send and complete contracts (the
// server calls CountSent and CountCompleted where quota is reserved and charged), so a report is
// a few reads, never a scan of the contracts. A marker per contract makes both counts idempotent.

import (
	"errors"
	"fmt"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/sync"
)

// Buckets of the monthly report.
const (
	BucketMonthly      = "contract_monthly"       // owner/YYYY-MM → MonthCount
	BucketMonthlyMarks = "contract_monthly_marks" // envelopeID → owner (sent, not completed yet)
)

// MaxReportMonths bounds a report.
const MaxReportMonths = 36

// reportZone is the calendar the months follow (China Standard Time, no daylight saving).
var reportZone = time.FixedZone("CST", 8*3600)

// MonthCount is one month of the report (the wire type).
type MonthCount = api.MonthCount

// StatsOwner names whose report a contract counts in: the enterprise it was sent for, or
// "u:<sender>" for a personal send.
func StatsOwner(enterpriseID, senderID string) string {
	if enterpriseID != "" {
		return enterpriseID
	}
	return "u:" + senderID
}

func monthOf(t time.Time) string { return t.In(reportZone).Format("2006-01") }

func bumpMonth(tx sync.Tx, owner string, t time.Time, sent, completed int) error {
	key := owner + "/" + monthOf(t)
	var c MonthCount
	if err := sync.GetJSON(tx, BucketMonthly, key, &c); err != nil && !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	c.Month = monthOf(t)
	c.Sent += sent
	c.Completed += completed
	return sync.PutJSON(tx, BucketMonthly, key, c)
}

// CountSent counts envelopeID as sent by owner in the month of now (once).
func CountSent(tx sync.Tx, owner, envelopeID string, now time.Time) error {
	if _, err := tx.Get(BucketMonthlyMarks, envelopeID); err == nil {
		return nil
	} else if !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	if err := tx.Put(BucketMonthlyMarks, envelopeID, []byte(owner)); err != nil {
		return err
	}
	return bumpMonth(tx, owner, now, 1, 0)
}

// CountCompleted counts envelopeID as completed in the month of now (once; nothing for an
// envelope that was never counted as sent).
func CountCompleted(tx sync.Tx, envelopeID string, now time.Time) error {
	owner, err := tx.Get(BucketMonthlyMarks, envelopeID)
	if errors.Is(err, sync.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := tx.Delete(BucketMonthlyMarks, envelopeID); err != nil {
		return err
	}
	return bumpMonth(tx, string(owner), now, 0, 1)
}

// CountEnded forgets the marker of an envelope that was withdrawn, declined or expired (it stays
// counted as sent).
func CountEnded(tx sync.Tx, envelopeID string) error {
	return tx.Delete(BucketMonthlyMarks, envelopeID)
}

// Monthly returns the last months of owner's report, oldest first, ending with the month of now;
// months without contracts are there with zeros.
func Monthly(tx sync.Tx, owner string, months int, now time.Time) ([]MonthCount, error) {
	if months < 1 || months > MaxReportMonths {
		return nil, sync.Refuse(400, "bad_months", fmt.Sprintf("月度报表的月数须在 1–%d 之间", MaxReportMonths))
	}
	local := now.In(reportZone)
	first := time.Date(local.Year(), local.Month()-time.Month(months-1), 1, 12, 0, 0, 0, reportZone)
	out := make([]MonthCount, 0, months)
	for i := 0; i < months; i++ {
		m := first.AddDate(0, i, 0)
		c := MonthCount{Month: monthOf(m)}
		if err := sync.GetJSON(tx, BucketMonthly, owner+"/"+c.Month, &c); err != nil && !errors.Is(err, sync.ErrNotFound) {
			return nil, err
		}
		c.Month = monthOf(m)
		out = append(out, c)
	}
	return out, nil
}
