package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func ofdSamples(t *testing.T) string {
	d := filepath.Join("..", "..", "..", "shared", "ofd", "files")
	if _, err := os.Stat(d); err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("../shared/ofd is missing (required under SEALDESK_CI)")
		}
		t.Skip("../shared/ofd not found beside the repository: OFD samples needed")
	}
	return d
}

// `sealctl verify --json x.ofd` gives the report of a PDF: the same keys at every level, the
// same exit statuses (3 intact but untrusted, 1 modified, 4 unsigned), --cert for bare SM2.
func TestVerifyOFD(t *testing.T) {
	d := ofdSamples(t)
	keys := func(m map[string]any) []string {
		var k []string
		for x := range m {
			k = append(k, x)
		}
		sort.Strings(k)
		return k
	}
	shape := func(out string) ([]string, []string) {
		var r map[string]any
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("json: %v\n%s", err, out)
		}
		sigs := r["signatures"].([]any)
		if len(sigs) == 0 {
			return keys(r), nil
		}
		return keys(r), keys(sigs[0].(map[string]any))
	}
	code, pdfOut, _ := runCLI("--json", filepath.Join(d, "pdf-sm2_pkcs7-oids_constructed.pdf"))
	if code != 3 {
		t.Errorf("SM2 PDF exit %d, want 3", code)
	}
	top, sig := shape(pdfOut)
	for _, c := range []struct {
		file string
		code int
		args []string
	}{
		{"ofd-v4-seal_einvoice_gomain_signedFile.ofd", 3, nil},
		{"ofd-v4-seal_einvoice_document-modified.ofd", 1, nil},
		{"ofd-unsigned_einvoice-layout_20240531141733.ofd", 4, nil},
		{"ofd-sign_bare-sm2_ofdrw_DigitalSign.ofd", 3, []string{"--cert", filepath.Join(d, "keys", "USER_cert.pem")}},
		{"ofd-sign_bare-sm2_ofdrw_DigitalSign.ofd", 1, nil},
	} {
		code, out, errOut := runCLI(append(append([]string{"--json"}, c.args...), filepath.Join(d, c.file))...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d (%s)", c.file, code, c.code, errOut)
		}
		ot, os := shape(out)
		if !reflect.DeepEqual(ot, top) || (os != nil && !reflect.DeepEqual(os, sig)) {
			t.Errorf("%s: report keys %v / %v, PDF's %v / %v", c.file, ot, os, top, sig)
		}
	}
	// The text report of a modified invoice names the changed part.
	_, out, _ := runCLI("--lang", "en", filepath.Join(d, "ofd-v4-seal_einvoice_document-modified.ofd"))
	if !strings.Contains(out, "Doc_0/Document.xml changed after signing") {
		t.Errorf("text report:\n%s", out)
	}
}
