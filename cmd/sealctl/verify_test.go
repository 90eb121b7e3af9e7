package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sealdesk/core/pdf"
	"sealdesk/core/verify"
)

func verifyCorpus(t *testing.T) string {
	t.Helper()
	cands := []string{filepath.Join("..", "..", "..", "shared", "corpus", "files")}
	if out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output(); err == nil {
		cands = append(cands, filepath.Join(strings.TrimSpace(string(out)), "..", "shared", "corpus", "files"))
	}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	if os.Getenv("SEALDESK_CI") != "" {
		t.Fatal("signed-PDF corpus not found")
	}
	t.Skip("signed-PDF corpus not found")
	return ""
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := realMain(append([]string{"verify"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// Exit statuses are SPEC §7's contract.
func TestVerifyExitCodes(t *testing.T) {
	dir := verifyCorpus(t)
	tmp := t.TempDir()
	unsigned := filepath.Join(tmp, "unsigned.pdf")
	if err := verify.WriteReportPDF(unsigned, &verify.Report{File: "x", Verdict: verify.StatusUnsigned}, "en"); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(tmp, "garbage.pdf")
	os.WriteFile(garbage, []byte("not a pdf at all"), 0o644)
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"untrusted", []string{filepath.Join(dir, "01-valid-single-pades-bes-sha512.pdf")}, 3},
		{"invalid", []string{filepath.Join(dir, "16-usf-02-contents-single-zero-byte.pdf")}, 1},
		{"modified", []string{filepath.Join(dir, "31-disallowed-pages-removed.pdf")}, 1},
		{"unsigned", []string{unsigned}, 4},
		{"unreadable", []string{garbage}, 2},
		{"missing", []string{filepath.Join(tmp, "nope.pdf")}, 2},
		{"no file", nil, 2},
		{"bad flag", []string{"--frobnicate", unsigned}, 2},
		{"bad lang", []string{"--lang", "fr", unsigned}, 2},
		{"bad trust", []string{"--trust", garbage, unsigned}, 2},
		{"several: worst wins", []string{unsigned, filepath.Join(dir, "16-usf-02-contents-single-zero-byte.pdf"), filepath.Join(dir, "01-valid-single-pades-bes-sha512.pdf")}, 1},
		{"flags after files", []string{filepath.Join(dir, "01-valid-single-pades-bes-sha512.pdf"), "--json"}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(c.args...)
			if code != c.want {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.want, stderr)
			}
		})
	}
}

func TestVerifyJSONAndExtract(t *testing.T) {
	dir := verifyCorpus(t)
	in := filepath.Join(dir, "07-valid-multi-two-sigs-incremental.pdf")
	code, out, stderr := runCLI("--json", in)
	if code != 3 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Verdict    string `json:"verdict"`
		Signatures []struct {
			Index    int    `json:"index"`
			Status   string `json:"status"`
			Revision int    `json:"revision"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if rep.Verdict != "untrusted" || len(rep.Signatures) != 2 || rep.Signatures[0].Status != "untrusted" {
		t.Errorf("unexpected report %+v", rep)
	}
	// Extract the first signed revision: exactly a prefix of the file, itself verifiable.
	ext := filepath.Join(t.TempDir(), "rev1.pdf")
	code, _, stderr = runCLI("--extract-revision", "1", "--out", ext, in)
	if code != 3 {
		t.Fatalf("extract exit %d: %s", code, stderr)
	}
	orig, _ := os.ReadFile(in)
	got, err := os.ReadFile(ext)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) >= len(orig) || !bytes.Equal(orig[:len(got)], got) {
		t.Fatalf("extracted %d bytes are not a proper prefix of the %d-byte file", len(got), len(orig))
	}
	code, out, _ = runCLI("--json", ext)
	if want := fmt.Sprintf(`"revisions": %d`, rep.Signatures[0].Revision); code != 3 || !strings.Contains(out, want) {
		t.Errorf("extracted revision: exit %d\n%s", code, out)
	}
	// Chinese labels by default.
	_, text, _ := runCLI(in)
	if !strings.Contains(text, "签章结果") || !strings.Contains(text, "签名算法") {
		t.Errorf("text form lacks Chinese labels:\n%s", text)
	}
	_, text, _ = runCLI("--lang", "en", in)
	if !strings.Contains(text, "Result") {
		t.Errorf("english text form:\n%s", text)
	}
	// Report PDF.
	rp := filepath.Join(t.TempDir(), "report.pdf")
	if code, _, stderr := runCLI("--report", rp, in); code != 3 {
		t.Fatalf("report exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(rp); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("report pdf not written: %v", err)
	}
}

// --lang zh names each change after the signature and the common reasons in Chinese, in the
// text form and in the report PDF; --json keeps the verifier's English sentences.
func TestVerifyChineseChanges(t *testing.T) {
	in := filepath.Join(verifyCorpus(t), "32-disallowed-content-changed.pdf")
	code, js, stderr := runCLI("--json", in)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep verify.Report
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Signatures) != 1 || !strings.Contains(strings.Join(rep.Signatures[0].Changes, "\n"), "page 1: /Contents changed") {
		t.Fatalf("JSON changes %q", rep.Signatures[0].Changes)
	}
	if strings.Contains(js, "修改") {
		t.Errorf("JSON carries Chinese:\n%s", js)
	}
	rp := filepath.Join(t.TempDir(), "report.pdf")
	_, text, _ := runCLI("--lang", "zh", "--report", rp, in)
	for _, want := range []string{"    - 修改页面内容（第 1 页）", "    - 签署后新增的内容遮盖了已签署的内容（第 1 页）", "    - 未配置信任根证书"} {
		if !strings.Contains(text, want) {
			t.Errorf("zh text lacks %q:\n%s", want, text)
		}
	}
	for _, c := range append(rep.Signatures[0].Changes, rep.Signatures[0].Reasons...) {
		if strings.Contains(text, c) {
			t.Errorf("zh text still says %q:\n%s", c, text)
		}
	}
	_, en, _ := runCLI("--lang", "en", in)
	if !strings.Contains(en, "- page 1: /Contents changed") {
		t.Errorf("en text:\n%s", en)
	}
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("pdftotext (poppler-utils) missing")
		}
		t.Skip("pdftotext not installed")
	}
	pt, err := exec.Command(tool, rp, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	if !strings.Contains(string(pt), "修改页面内容（第 1 页）") || strings.Contains(string(pt), "/Contents changed") {
		t.Errorf("zh report PDF text:\n%s", pt)
	}
}

// A panic inside the verifier is that file's error (exit 2); the next file is still verified.
// --timeout bounds each file: a verification that outlives it is reported, not waited for.
func TestVerifyPanicAndTimeout(t *testing.T) {
	tmp := t.TempDir()
	unsigned := filepath.Join(tmp, "unsigned.pdf")
	if err := verify.WriteReportPDF(unsigned, &verify.Report{File: "x", Verdict: verify.StatusUnsigned}, "en"); err != nil {
		t.Fatal(err)
	}
	boom := filepath.Join(tmp, "boom.pdf")
	os.WriteFile(boom, []byte("%PDF-1.4\n"), 0o644)
	real := verifyFile
	defer func() { verifyFile = real }()
	verifyFile = func(ctx context.Context, path string, opts *verify.Options) (*verify.Report, error) {
		switch filepath.Base(path) {
		case "boom.pdf":
			panic("injected")
		case "slow.pdf":
			<-ctx.Done() // a verification that only a deadline ends
			return nil, ctx.Err()
		}
		return real(ctx, path, opts)
	}
	code, out, errs := runCLI("--json", boom, unsigned)
	if code != 2 || !strings.Contains(errs, "internal error") || !strings.Contains(out, `"unsigned"`) {
		t.Fatalf("panic: exit %d, stdout %s, stderr %s", code, out, errs)
	}
	slow := filepath.Join(tmp, "slow.pdf")
	os.WriteFile(slow, []byte("%PDF-1.4\n"), 0o644)
	start := time.Now()
	code, _, errs = runCLI("--timeout", "200ms", slow)
	if code != 2 || !strings.Contains(errs, "--timeout 200ms") || time.Since(start) > 5*time.Second {
		t.Fatalf("timeout: exit %d after %v, stderr %s", code, time.Since(start), errs)
	}
	if code, _, errs := runCLI("--timeout", "-1s", unsigned); code != 2 || !strings.Contains(errs, "negative") {
		t.Fatalf("negative timeout: exit %d %s", code, errs)
	}
}

// Red team s4 F6: a file that cannot be verified keeps its entry in --json (verdict
// "unreadable", the reason and the limit met), alone or among others, instead of "[]".
func TestVerifyJSONUnreadableEntry(t *testing.T) {
	tmp := t.TempDir()
	unsigned := filepath.Join(tmp, "unsigned.pdf")
	if err := verify.WriteReportPDF(unsigned, &verify.Report{File: "x", Verdict: verify.StatusUnsigned}, "en"); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(tmp, "deep.pdf")
	os.WriteFile(deep, []byte("%PDF-1.4\n"), 0o644)
	real := verifyFile
	defer func() { verifyFile = real }()
	verifyFile = func(ctx context.Context, path string, opts *verify.Options) (*verify.Report, error) {
		if filepath.Base(path) == "deep.pdf" { // what core/pdf returns for 300 nested arrays
			return nil, fmt.Errorf("%s: %w", path, &pdf.LimitError{Limit: "MaxDepth", Max: 256})
		}
		return real(ctx, path, opts)
	}
	code, out, errs := runCLI("--json", deep)
	var one map[string]any
	if err := json.Unmarshal([]byte(out), &one); err != nil || code != 2 {
		t.Fatalf("exit %d, stdout %q (%v), stderr %s", code, out, err, errs)
	}
	if one["verdict"] != "unreadable" || one["file"] != deep || one["error"] == "" || one["limit"] != "MaxDepth" || len(one["sha256"].(string)) != 64 {
		t.Fatalf("entry %v", one)
	}
	code, out, _ = runCLI("--json", deep, unsigned)
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 2 || len(list) != 2 || list[0]["verdict"] != "unreadable" || list[1]["verdict"] != "unsigned" {
		t.Fatalf("exit %d, list %s (%v)", code, out, err)
	}
}
