package billing

import (
	"encoding/csv"
	"fmt"
	"io"
	"sealdesk/core/csvcell"
	"time"
)

// CST is the product's time zone (China Standard Time): dates of 费用明细, receipts and date
// filters are days in it.
var CST = time.FixedZone("CST", 8*3600)

// CSVHeader is the header row of the 费用明细 export, in the manual's words.
var CSVHeader = []string{"消费日期", "消费份数", "消费信封", "业务系统", "信封编号"}

// WriteCSV writes entries as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the
// Chinese text). Cells that a spreadsheet would take for a formula (=, +, -, @ first) are prefixed
// with an apostrophe.
func WriteCSV(w io.Writer, entries []Entry) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, e := range entries {
		row := []string{e.Time.In(CST).Format("2006-01-02 15:04:05"), fmt.Sprint(e.Count), csvcell.Safe(e.Subject), e.Channel.String() + "调用", csvcell.Safe(e.Envelope)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ParseDay parses a filter bound: an RFC 3339 time, or a day "2006-01-02" meaning its start in
// CST. "" is the zero time (open).
func ParseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, CST); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want 2006-01-02 or RFC 3339", s)
	}
	return t, nil
}
