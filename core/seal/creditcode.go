package seal

import (
	"errors"
	"fmt"
	"strings"
)

// creditAlphabet is GB 32100-2015's character set, valued 0–30 (no I, O, S, V, Z).
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditWeights are 3^(i-1) mod 31 for positions 1–17.
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ErrCreditCheck means the 18th character of a credit code is not the GB 32100 check character.
var ErrCreditCheck = errors.New("credit code check character mismatch")

// CreditCheckChar computes the GB 32100 check character of the first 17 characters of code.
func CreditCheckChar(code17 string) (byte, error) {
	if len(code17) != 17 {
		return 0, fmt.Errorf("credit code body has %d characters, want 17", len(code17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditAlphabet, code17[i])
		if v < 0 {
			return 0, fmt.Errorf("credit code character %q at position %d is not in the GB 32100 alphabet", code17[i], i+1)
		}
		sum += v * creditWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return creditAlphabet[c], nil
}

// CheckCreditCode validates an 18-character unified social credit code (GB 32100-2015): the
// alphabet and the check character. A mismatch wraps ErrCreditCheck.
func CheckCreditCode(code string) error {
	if len(code) != 18 {
		return fmt.Errorf("credit code has %d characters, want 18", len(code))
	}
	want, err := CreditCheckChar(code[:17])
	if err != nil {
		return err
	}
	if code[17] != want {
		return fmt.Errorf("credit code %s ends in %c, the check character is %c: %w", code, code[17], want, ErrCreditCheck)
	}
	return nil
}
