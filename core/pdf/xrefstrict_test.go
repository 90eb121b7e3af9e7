package pdf

import "testing"

// TestTableSyntax: the table syntax poppler and MuPDF reject is noted (red team s6 F5); what
// real producers write (CR LF, " \n" or " \r" entry ends, one blank after a subsection header,
// several subsections) is not.
func TestTableSyntax(t *testing.T) {
	for _, c := range []struct {
		name, table string
		bad         bool
	}{
		{"strict", "xref\n0 2\n0000000000 65535 f \n0000000015 00000 n \n", false},
		{"crlf entries", "xref\r\n0 2\r\n0000000000 65535 f\r\n0000000015 00000 n\r\n", false},
		{"cr-only entries", "xref\r0 1\r0000000000 65535 f \r", false},
		{"one blank after the header", "xref\n23 1 \n0000000015 00000 n \n7 1\n0000000099 00000 n \n", false},
		{"comment after xref", "xref % c\n23 1\n0000000015 00000 n \n", true},
		{"comment line between entries", "xref\n23 2\n0000000015 00000 n \n% c\n0000000099 00000 n \n", true},
		{"two trailing blanks on the header", "xref\n23 1  \n0000000015 00000 n \n", true},
		{"plus sign in the header", "xref\n+23 1\n0000000015 00000 n \n", true},
		{"plus sign in an offset", "xref\n23 1\n+000000015 00000 n \n", true},
		{"leading blank before the header", "xref\n 23 1\n0000000015 00000 n \n", true},
		{"junk in an entry", "xref\n23 1\n0000000015 00000 x \n", true},
		{"the header on the xref line", "xref 23 1\n0000000015 00000 n \n", false},
		// MuPDF reads entries 20 bytes at a time (red team s8b, g05_tail_update_badentry)
		{"19-byte entries", "xref\n0 2\n0000000000 65535 f\n0000000015 00000 n\n", false},
		{"blank lines before trailer", "xref\n0 2\n0000000000 65535 f \n0000000015 00000 n \n\n\n", false},
		{"an entry of nine digits", "xref\n0 1\n000000000 65535 f\n", true},
		{"a generation of four digits", "xref\n0 2\n0000000000 65535 f \n0000000015 0000 n \n", true},
		{"a 21-byte entry", "xref\n0 2\n0000000000 65535 f \r\n0000000015 00000 n \n", true},
		{"a blank line inside a subsection", "xref\n0 2\n0000000000 65535 f \n\n0000000015 00000 n \n", true},
		{"fewer entries than the header says", "xref\n0 3\n0000000000 65535 f \n0000000015 00000 n \n", true},
		{"more entries than the header says", "xref\n0 1\n0000000000 65535 f \n0000000015 00000 n \n", true},
		{"a short first subsection", "xref\n0 2\n0000000000 65535 f \n7 1\n0000000099 00000 n \n", true},
		{"a table without line ends", "xref\n0 2\n0000000000 65535 f 0000000015 00000 n \n", false},
		{"a table without line ends, two blanks", "xref\n0 2\n0000000000 65535 f  0000000015 00000 n \n", true},
	} {
		if got := tableSyntax([]byte(c.table)); (got != "") != c.bad {
			t.Errorf("%s: tableSyntax = %q, want bad=%v", c.name, got, c.bad)
		}
	}
}
