package seal

import (
	"errors"
	"testing"
)

func TestCheckCreditCode(t *testing.T) {
	for _, tc := range []struct {
		code string
		ok   bool
		mis  bool // a check-character mismatch (not a format error)
	}{
		{"91350100M000100Y43", true, false}, // GB 32100 worked example
		{"91310110666007217T", true, false},
		{"91350100M000100Y4Z", false, true},
		{"91350100M000100Y44", false, true},
		{"91350211M0000XUF46", false, true},  // a legal Fujian pilot code that fails the check (R)
		{"91350100I000100Y43", false, false}, // I is outside the alphabet
		{"9135010", false, false},
		{"91350100m000100Y43", false, false},
	} {
		err := CheckCreditCode(tc.code)
		if (err == nil) != tc.ok || errors.Is(err, ErrCreditCheck) != tc.mis {
			t.Errorf("CheckCreditCode(%s) = %v, want ok=%v mismatch=%v", tc.code, err, tc.ok, tc.mis)
		}
	}
	c, err := CreditCheckChar("91350100M000100Y4")
	if err != nil || c != '3' {
		t.Errorf("CreditCheckChar = %c, %v; want 3", c, err)
	}
}
