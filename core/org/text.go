package org

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// invisible reports whether r must not appear in a name or a login: control and format
// characters (U+202E right-to-left override, U+200B zero-width space, U+FEFF, the bidi isolates),
// private-use and unassigned code points, surrogates, line and paragraph separators, and the
// fillers that render as nothing.
func invisible(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0', '\u034f', '\u180e', '\u2800':
		return true // Hangul fillers, combining grapheme joiner, Mongolian vowel separator, braille blank
	}
	if r >= 0xfe00 && r <= 0xfe0f || r >= 0xe0100 && r <= 0xe01ef {
		return true // variation selectors
	}
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) ||
		unicode.Is(unicode.Cs, r) || unicode.In(r, unicode.Zl, unicode.Zp) || !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs)
}

// Invisible reports whether r must not appear in text that other people read: names, subjects,
// file names, notes, descriptions (see invisible: bidi overrides, zero-width and other format
// characters, controls, private-use and unassigned code points). Every domain checks user text
// with it, so that U+202E or U+200B is refused alike everywhere.
func Invisible(r rune) bool { return invisible(r) }

// normalizeText returns s in NFKC with surrounding white space removed and inner runs of white
// space collapsed to one space, or ok=false if s is not UTF-8 or holds an invisible character.
func normalizeText(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	s = norm.NFKC.String(s)
	for _, r := range s {
		if invisible(r) && !unicode.IsSpace(r) {
			return "", false
		}
		if unicode.IsSpace(r) && r != ' ' && r != '\t' {
			return "", false // newlines and other breaks
		}
	}
	return strings.Join(strings.Fields(s), " "), true
}
