// Package ids validates the two Chinese identity numbers SealDesk accepts: the 18-character
// resident identity number (GB 11643-1999, ISO 7064 MOD 11-2 check character, plus a real birth
// date) and the 18-character unified social credit code (GB 32100-2015, MOD 31 check character).
//
// It is pure: no I/O, no clock except the one passed in. It checks the structure the standards
// define; it refuses to say whether a number belongs to a real person or company (that is a
// verification provider's job) and it does not validate GB/T 2260 region codes beyond their shape.
//
// A handful of early pilot credit codes (Fujian, 2015) do not satisfy the check character yet are
// legal; ValidateCreditCode reports them with a warning instead of an error.
package ids

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Every validation error wraps exactly one of them, so callers can map them to
// user-facing messages with errors.Is.
var (
	ErrLength     = errors.New("wrong length")
	ErrCharacter  = errors.New("invalid character")
	ErrCheckDigit = errors.New("check character does not match")
	ErrBirthDate  = errors.New("birth date is not a real date")
	ErrFutureDate = errors.New("birth date is in the future")
	ErrRegion     = errors.New("region code is not valid")
)

// ResidentID is a parsed, valid resident identity number.
type ResidentID struct {
	Number string    // normalised: 18 characters, an upper-case X if the check character is 10
	Region string    // the 6-digit address code
	Birth  time.Time // birth date, UTC midnight
	Male   bool      // the 17th digit is odd for men
}

var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const residentChecks = "10X98765432"

// ResidentCheck returns the check character for the first 17 digits of a resident ID.
func ResidentCheck(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("resident id body has %d characters, want 17: %w", len(first17), ErrLength)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("resident id character %d is %q, want a digit: %w", i+1, c, ErrCharacter)
		}
		sum += int(c-'0') * residentWeights[i]
	}
	return residentChecks[sum%11], nil
}

// ParseResidentID validates an 18-character resident ID: digits, check character, a real birth
// date not after now and not before 1850, and a region code whose province part is plausible.
// Surrounding spaces are trimmed and a lower-case x is accepted.
func ParseResidentID(s string, now time.Time) (ResidentID, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 18 {
		return ResidentID{}, fmt.Errorf("resident id has %d characters, want 18: %w", len(s), ErrLength)
	}
	want, err := ResidentCheck(s[:17])
	if err != nil {
		return ResidentID{}, err
	}
	last := s[17]
	if last != 'X' && (last < '0' || last > '9') {
		return ResidentID{}, fmt.Errorf("resident id check character is %q: %w", last, ErrCharacter)
	}
	if last != want {
		return ResidentID{}, fmt.Errorf("resident id check character is %q, want %q: %w", last, want, ErrCheckDigit)
	}
	prov := int(s[0]-'0')*10 + int(s[1]-'0')
	if prov < 11 || prov > 91 || s[:6] == "000000" {
		return ResidentID{}, fmt.Errorf("resident id region %s: %w", s[:6], ErrRegion)
	}
	y := atoi(s[6:10])
	m := atoi(s[10:12])
	d := atoi(s[12:14])
	birth := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || d < 1 || birth.Year() != y || int(birth.Month()) != m || birth.Day() != d || y < 1850 {
		return ResidentID{}, fmt.Errorf("resident id birth date %s: %w", s[6:14], ErrBirthDate)
	}
	if !now.IsZero() && birth.After(now) {
		return ResidentID{}, fmt.Errorf("resident id birth date %s: %w", s[6:14], ErrFutureDate)
	}
	return ResidentID{Number: s, Region: s[:6], Birth: birth, Male: (s[16]-'0')%2 == 1}, nil
}

// MaskResidentID keeps the first 3 and last 4 characters: 110***********002X. Anything that is
// not 18 characters long is masked entirely.
func MaskResidentID(s string) string {
	if len(s) != 18 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", 11) + s[14:]
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// legacyCreditCodes are early pilot codes that are legal although their check character does not
// match (GB 32100 was published after they were issued). Keep this list short and sourced.
func legacyCreditCodes(s string) bool {
	switch s {
	case "91350211M0000XUF46": // Fujian pilot, documented by aarioai/id-rule
		return true
	}
	return false
}

// CreditCheck returns the check character for the first 17 characters of a credit code.
func CreditCheck(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("credit code body has %d characters, want 17: %w", len(first17), ErrLength)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditAlphabet, first17[i])
		if v < 0 {
			return 0, fmt.Errorf("credit code character %d is %q: %w", i+1, first17[i], ErrCharacter)
		}
		sum += v * creditWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return creditAlphabet[c], nil
}

// CreditCode is a validated unified social credit code.
type CreditCode struct {
	Code    string // normalised, upper case
	Warning string // non-empty for a known legacy code whose check character does not match
}

// ValidateCreditCode checks an 18-character unified social credit code. A known legacy pilot code
// whose check character fails is accepted with Warning set; any other mismatch is an error.
func ValidateCreditCode(s string) (CreditCode, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 18 {
		return CreditCode{}, fmt.Errorf("credit code has %d characters, want 18: %w", len(s), ErrLength)
	}
	want, err := CreditCheck(s[:17])
	if err != nil {
		return CreditCode{}, err
	}
	if strings.IndexByte(creditAlphabet, s[17]) < 0 {
		return CreditCode{}, fmt.Errorf("credit code character 18 is %q: %w", s[17], ErrCharacter)
	}
	if s[17] != want {
		if legacyCreditCodes(s) {
			return CreditCode{Code: s, Warning: fmt.Sprintf("legacy pilot code: check character is %q, the standard gives %q", s[17], want)}, nil
		}
		return CreditCode{}, fmt.Errorf("credit code check character is %q, want %q: %w", s[17], want, ErrCheckDigit)
	}
	return CreditCode{Code: s}, nil
}
