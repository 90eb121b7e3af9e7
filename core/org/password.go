package org

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (RFC 9106 / OWASP second recommendation: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// CheckPassword applies the product's rule: 8–18 printable ASCII characters with at least one
// digit, one upper-case and one lower-case letter. It returns a *sync.Refusal naming the rule.
func CheckPassword(p string) error {
	if len(p) < 8 || len(p) > 18 {
		return refuse(400, "weak_password", "密码须为 8–18 位，且同时包含数字、大写字母和小写字母")
	}
	var digit, upper, lower bool
	for _, c := range p {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c < 0x21 || c > 0x7e:
			return refuse(400, "weak_password", "密码只能包含数字、英文字母和常用符号")
		}
	}
	if !digit || !upper || !lower {
		return refuse(400, "weak_password", "密码须为 8–18 位，且同时包含数字、大写字母和小写字母")
	}
	return nil
}

// HashPassword returns the PHC-format Argon2id hash of p.
func HashPassword(p string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(p), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword checks p against a PHC-format Argon2id hash (with the parameters it records).
func VerifyPassword(hash, p string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var th uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &th); err != nil || m > 1<<20 || t > 16 || th == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(p), salt, t, m, th, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
