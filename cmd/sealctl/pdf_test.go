package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pdfCorpus is the signed-PDF corpus kept with core/pdf.
var pdfCorpus = filepath.Join("..", "..", "core", "pdf", "testdata", "corpus", "files")

func runPDFCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := realMain(append([]string{"pdf"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestPDFInfoJSON(t *testing.T) {
	code, out, errs := runPDFCLI("info", "--json", filepath.Join(pdfCorpus, "06-valid-multi-adobe-reader-two-fields.pdf"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var info pdfInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if len(info.Revisions) != 2 || !info.Linearized || len(info.Pages) != 1 || len(info.Fields) != 2 || len(info.Signatures) != 2 {
		t.Fatalf("info %+v", info)
	}
	for _, f := range info.Fields {
		if f.Type != "Sig" || !f.Signed || len(f.Widgets) != 1 || f.Widgets[0].Page != 1 {
			t.Errorf("field %+v", f)
		}
	}
	for _, s := range info.Signatures {
		if len(s.ByteRange) != 4 || s.Contents == 0 || len(s.Fields) != 1 {
			t.Errorf("signature %+v", s)
		}
	}
	if p := info.Pages[0]; p.Width <= 0 || p.Height <= 0 || p.MediaBox[2] == 0 {
		t.Errorf("page %+v", p)
	}
}

func TestPDFInfoText(t *testing.T) {
	// The incremental-saving attack shows its anomalies.
	code, out, errs := runPDFCLI("info", filepath.Join(pdfCorpus, "20-isa-B-empty-xref-keyword.pdf"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"revisions:  3", "no %%EOF", "pages:      1", "signatures: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPDFInfoErrors(t *testing.T) {
	if code, _, _ := runPDFCLI(); code != 2 {
		t.Errorf("no args: exit %d", code)
	}
	if code, _, _ := runPDFCLI("info"); code != 2 {
		t.Errorf("no file: exit %d", code)
	}
	if code, _, _ := runPDFCLI("info", filepath.Join(t.TempDir(), "missing.pdf")); code != 1 {
		t.Errorf("missing file: exit %d", code)
	}
	notPDF := filepath.Join(t.TempDir(), "x.pdf")
	os.WriteFile(notPDF, []byte("hello, not a pdf at all"), 0o600)
	if code, _, _ := runPDFCLI("info", notPDF); code != 1 {
		t.Errorf("not a pdf: exit %d", code)
	}
	q, err := exec.LookPath("qpdf")
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("qpdf is required in CI")
		}
		t.Skip("qpdf not installed")
	}
	enc := filepath.Join(t.TempDir(), "enc.pdf")
	cmd := exec.Command(q, "--encrypt", "u", "o", "256", "--", filepath.Join(pdfCorpus, "03-valid-single-signer-id-by-ski.pdf"), enc)
	if out, err := cmd.CombinedOutput(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			t.Fatalf("qpdf: %v %s", err, out)
		}
	}
	code, _, errs := runPDFCLI("info", enc)
	if code != 1 || !strings.Contains(errs, "加密文档无法签署") {
		t.Errorf("encrypted: exit %d, %q", code, errs)
	}
}
