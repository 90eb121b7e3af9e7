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
	} {
		if got := tableSyntax([]byte(c.table)); (got != "") != c.bad {
			t.Errorf("%s: tableSyntax = %q, want bad=%v", c.name, got, c.bad)
		}
	}
}
