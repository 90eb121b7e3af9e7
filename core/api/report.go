package api

// MonthCount is one month of the 签发量月度报表 (contracts sent and completed in a calendar month
// of China Standard Time) — GET /api/v1/enterprises/{id}/stats/monthly and /api/v1/me/stats/monthly.
type MonthCount struct {
	Month     string `json:"month"` // "2026-03"
	Sent      int    `json:"sent"`
	Completed int    `json:"completed"`
}
