package envelope_test

import (
	"errors"
	"strings"
	"testing"

	"sealdesk/core/api"
	"sealdesk/core/envelope"
	"sealdesk/core/sync"
)

// 合同金额 as typed: yuan with at most two decimals, exactly (no floating point), separators and
// a currency sign allowed; anything else is refused in Chinese naming the limit.
func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fen  int64
		says string // "" : accepted
	}{
		{"", 0, ""},
		{"0", 0, ""},
		{"12345.67", 1234567, ""},
		{"12,345.6", 1234560, ""},
		{"￥100", 10000, ""},
		{"¥ 0.01", 1, ""},
		{"100元", 10000, ""},
		{"0.29", 29, ""}, // 0.29*100 is 28.999… in floating point
		{"999999999999.99", api.MaxAmount, ""},
		{"1000000000000", 0, "最多 999,999,999,999.99 元"},
		{"-1", 0, "不能为负数"},
		{"1.234", 0, "最多两位小数"},
		{"abc", 0, "0–999,999,999,999.99 元"},
		{"1.", 100, ""},
		{".5", 0, "0–999,999,999,999.99 元"},
		{"1e5", 0, "0–999,999,999,999.99 元"},
	} {
		fen, err := envelope.ParseAmount(tc.in)
		var ref *sync.Refusal
		msg := ""
		if errors.As(err, &ref) {
			msg = ref.Message
		}
		switch {
		case tc.says == "" && (err != nil || fen != tc.fen):
			t.Errorf("%q: %d %v, want %d", tc.in, fen, err, tc.fen)
		case tc.says != "" && (msg == "" || !strings.Contains(msg, tc.says)):
			t.Errorf("%q: %d %v, want a refusal saying %q", tc.in, fen, err, tc.says)
		}
	}
	if s := envelope.FormatAmount(1234567); s != "12,345.67" {
		t.Errorf("FormatAmount: %q", s)
	}
}
