package update

import (
	"strings"
	"testing"
)

func TestValidFile(t *testing.T) {
	for name, want := range map[string]bool{
		"SealDesk-1.2.0-x64.msi": true,
		"a":                      true,
		"a+b_c-1.tar.gz":         true,
		strings.Repeat("a", 128): true,
		strings.Repeat("a", 129): false,
		"":                       false,
		".hidden":                false,
		"-x":                     false,
		"a/b":                    false,
		"a..b":                   false,
		"manifest.json":          false,
		"名字.msi":                 false,
		"a b":                    false,
		"ok\n":                   false,
	} {
		if got := ValidFile(name); got != want {
			t.Errorf("ValidFile(%q) = %v, want %v", name, got, want)
		}
	}
}
