package pdftest

import (
	"bytes"
	"strconv"
	"testing"

	"sealdesk/core/pdf"
)

// TestClassicOpens: every offset in the table lands on its object's header, and core/pdf opens
// the file without noting an anomaly.
func TestClassicOpens(t *testing.T) {
	data := OnePage("hello")
	f, err := pdf.OpenBytes(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Revisions() {
		if len(r.Anomalies) > 0 {
			t.Errorf("anomalies: %v", r.Anomalies)
		}
	}
	x := bytes.LastIndex(data, []byte("\nxref\n")) + 1
	table := data[x:]
	for n := 1; n <= 5; n++ {
		line := table[len("xref\n0 6\n")+20*n:][:10]
		off, err := strconv.Atoi(string(line))
		if err != nil {
			t.Fatal(err)
		}
		if want := strconv.Itoa(n) + " 0 obj"; !bytes.HasPrefix(data[off:], []byte(want)) {
			t.Errorf("object %d: offset %d points at %q", n, off, data[off:off+8])
		}
	}
	if got := ClassicRoot(2, "<< >>", "<< /Type /Catalog >>"); !bytes.Contains(got, []byte("/Root 2 0 R")) {
		t.Errorf("ClassicRoot(2) trailer: %s", got)
	}
}
