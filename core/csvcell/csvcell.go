// Package csvcell makes text safe to put in a CSV cell that people open in a spreadsheet: every
// CSV SealDesk writes (费用明细, 用印记录, 成员导出, the archive's 索引.csv) puts its user-supplied
// cells through Safe.
package csvcell

import "strings"

// Safe keeps a spreadsheet from running a cell as a formula (CSV injection): a value starting
// with = + - @, a tab or a carriage return gets a leading apostrophe, which spreadsheets show as
// text and do not display.
func Safe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
