package ids

import (
	"errors"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func TestParseResidentID(t *testing.T) {
	tests := []struct {
		in   string
		want error
		male bool
	}{
		{"11010519491231002X", nil, false},
		{"11010519491231002x", nil, false},
		{"440524188001010014", nil, true},
		{"110105194912310021", ErrCheckDigit, false},
		{"11010519491231002", ErrLength, false},
		{"1101051949123100A2", ErrCharacter, false},
		{"110105194902300025", ErrBirthDate, false}, // 30 February; check digit made valid below
		{"110105203001010000", ErrFutureDate, false},
		{"000000194912310000", ErrRegion, false},
		{"11010519491231002Y", ErrCharacter, false},
	}
	for _, tc := range tests {
		in := tc.in
		// Give the date, future and region rows a correct check character so they reach those checks.
		if tc.want == ErrBirthDate || tc.want == ErrFutureDate || tc.want == ErrRegion {
			c, err := ResidentCheck(in[:17])
			if err != nil {
				t.Fatal(err)
			}
			in = in[:17] + string(c)
		}
		id, err := ParseResidentID(in, now)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", in, err)
				continue
			}
			if id.Male != tc.male || id.Number[17] != in[17]&^0x20 && id.Number[17] != in[17] {
				t.Errorf("%s: got %+v", in, id)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", in, err, tc.want)
		}
	}
	id, err := ParseResidentID("11010519491231002X", now)
	if err != nil || id.Birth != time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC) || id.Region != "110105" {
		t.Fatalf("got %+v %v", id, err)
	}
}

func TestMask(t *testing.T) {
	if got := MaskResidentID("11010519491231002X"); got != "110***********002X" {
		t.Fatal(got)
	}
	if got := MaskResidentID("123"); got != "***" {
		t.Fatal(got)
	}
}

func TestValidateCreditCode(t *testing.T) {
	tests := []struct {
		in      string
		want    error
		warning bool
	}{
		{"91350100M000100Y43", nil, false},
		{"91310110666007217T", nil, false},
		{"91310110666007217t", nil, false},
		{"91350100M000100Y4Z", ErrCharacter, false},
		{"91350100M000100Y44", ErrCheckDigit, false},
		{"91350211M0000XUF46", nil, true},
		{"91350100M000100Y4", ErrLength, false},
		{"91350100I000100Y43", ErrCharacter, false},
	}
	for _, tc := range tests {
		cc, err := ValidateCreditCode(tc.in)
		if !errors.Is(err, tc.want) || (err == nil && (cc.Warning != "") != tc.warning) {
			t.Errorf("%s: %+v %v, want err %v warning %v", tc.in, cc, err, tc.want, tc.warning)
		}
	}
	if c, _ := CreditCheck("91350211M0000XUF4"); c != 'R' {
		t.Errorf("legacy code check character: got %q, want R (research note)", c)
	}
}

func FuzzParseResidentID(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "440524188001010014", "", "x", "\xff\xfe", "11010519490230002X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseResidentID(s, now)
		if err == nil {
			if len(id.Number) != 18 || id.Birth.After(now) {
				t.Fatalf("accepted %q as %+v", s, id)
			}
			c, _ := ResidentCheck(id.Number[:17])
			if c != id.Number[17] {
				t.Fatalf("accepted bad check %q", s)
			}
		}
		cc, err := ValidateCreditCode(s)
		if err == nil && cc.Warning == "" {
			c, _ := CreditCheck(cc.Code[:17])
			if c != cc.Code[17] {
				t.Fatalf("accepted bad credit code %q", s)
			}
		}
	})
}
