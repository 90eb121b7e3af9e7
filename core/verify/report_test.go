package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sealdesk/core/pdf"
)

// The JSON keys are SPEC §7's contract: exactly these, no more, no fewer.
func TestJSONContract(t *testing.T) {
	rep := &Report{File: "a.pdf", SHA256: "00", Verdict: StatusValid, Signatures: []Signature{{
		Index: 1, Rect: []float64{0, 0, 0, 0}, Changes: []string{}, Reasons: []string{}, SignedRange: 99, Coverage: "x",
	}}}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(top), []string{"file", "sha256", "signatures", "verdict"}; !reflect.DeepEqual(got, want) {
		t.Errorf("top-level keys %v, want %v", got, want)
	}
	var sigs []map[string]json.RawMessage
	json.Unmarshal(top["signatures"], &sigs)
	want := []string{"algorithm", "changes", "changes_after", "field", "index", "integrity", "kind", "ltv", "page", "reasons",
		"rect", "revision", "revisions", "revocation", "signer", "signing_time", "status", "time_source", "timestamp", "trust"}
	if got := keys(sigs[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("signature keys %v, want %v", got, want)
	}
	var signer, ts map[string]json.RawMessage
	json.Unmarshal(sigs[0]["signer"], &signer)
	json.Unmarshal(sigs[0]["timestamp"], &ts)
	if got := keys(signer); !reflect.DeepEqual(got, []string{"id", "issuer", "name", "organization", "serial"}) {
		t.Errorf("signer keys %v", got)
	}
	if got := keys(ts); !reflect.DeepEqual(got, []string{"authority", "present", "valid"}) {
		t.Errorf("timestamp keys %v", got)
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Verdict says itself in Chinese, and its JSON stays the SPEC's word.
func TestVerdictStringAndJSON(t *testing.T) {
	for v, zh := range map[Verdict]string{StatusValid: "有效且可信", StatusUntrusted: "有效但证书不受信任",
		StatusModified: "签名后文档被修改", StatusInvalid: "无效", StatusUnsigned: "未签名"} {
		if v.String() != zh || fmt.Sprint(v) != zh {
			t.Errorf("%q.String() = %q, want %q", string(v), v.String(), zh)
		}
		b, _ := json.Marshal(Report{Verdict: v, Signatures: []Signature{{Status: v}}})
		if !bytes.Contains(b, []byte(`"verdict":"`+string(v)+`"`)) || !bytes.Contains(b, []byte(`"status":"`+string(v)+`"`)) {
			t.Errorf("JSON of %s: %s", string(v), b)
		}
	}
}

func TestExitCodes(t *testing.T) {
	for v, want := range map[Verdict]int{StatusValid: 0, StatusInvalid: 1, StatusModified: 1, StatusUntrusted: 3, StatusUnsigned: 4} {
		if got := ExitCode(v); got != want {
			t.Errorf("ExitCode(%s) = %d, want %d", v, got, want)
		}
	}
}

// The Chinese text form uses the manual's labels.
func TestTextLabelsZH(t *testing.T) {
	rep := &Report{File: "a.pdf", Verdict: StatusUntrusted, Signatures: []Signature{{Index: 1, Kind: KindApproval,
		Status: StatusUntrusted, Integrity: "valid", Rect: []float64{0, 0, 0, 0}, Signer: Signer{Name: "张三"},
		SigningTime: "2026-01-02T03:04:05Z", TimeSource: "timestamp", Timestamp: Timestamp{Present: true}, Algorithm: "ECDSA-P256-SHA256"}}}
	text := strings.Join(rep.TextLines("zh"), "\n")
	for _, l := range []string{"签章结果: 有效但证书不受信任", "签章人: 张三", "签名时间: 2026-01-02T03:04:05Z (权威时间戳)", "是否使用时间戳: 是", "签名算法: ECDSA-P256-SHA256", "签名状态: 签名完整"} {
		if !strings.Contains(text, l) {
			t.Errorf("zh text lacks %q:\n%s", l, text)
		}
	}
}

// The Chinese text form names each change after a signature, and the common reasons, in
// Chinese; the English form and the JSON keep the verifier's English sentences.
func TestTextChangesZH(t *testing.T) {
	s := newSigner(t, "")
	doc, _ := makeDoc(docOpts{})
	edited := update(t, s.sign(t, doc, sigOpts{}), func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		pd := p.Dict.Clone()
		pd["Resources"] = pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}
		setObj(t, u, p.Ref, pd)
	})
	rep := verifyBytes(t, edited, nil)
	if len(rep.Signatures) != 1 || len(rep.Signatures[0].Changes) == 0 {
		t.Fatalf("report: %s", dump(rep))
	}
	sig := rep.Signatures[0]
	var zh, en strings.Builder
	if err := rep.WriteText(&zh, "zh"); err != nil {
		t.Fatal(err)
	}
	rep.WriteText(&en, "en")
	if !strings.Contains(zh.String(), "- 修改页面内容（第 1 页）") {
		t.Errorf("zh text lacks the Chinese change:\n%s", zh.String())
	}
	for _, c := range sig.Changes {
		if strings.Contains(zh.String(), c) {
			t.Errorf("zh text still has the English change %q:\n%s", c, zh.String())
		}
		if !strings.Contains(en.String(), "- "+c) {
			t.Errorf("en text lacks %q:\n%s", c, en.String())
		}
	}
	if !strings.Contains(zh.String(), "- 未配置信任根证书") || strings.Contains(zh.String(), "no trust anchors") {
		t.Errorf("zh text: reason not in Chinese:\n%s", zh.String())
	}
	var js bytes.Buffer
	rep.WriteJSON(&js)
	if !strings.Contains(js.String(), sig.Changes[0]) || strings.Contains(js.String(), "修改页面内容") {
		t.Errorf("JSON changed:\n%s", js.String())
	}
}

// The report PDF carries the Chinese text with a real font: pdftotext gets it back.
func TestReportPDF(t *testing.T) {
	rep := &Report{File: "合同.pdf", SHA256: "ab", Verdict: StatusModified, Signatures: []Signature{{Index: 1, Kind: KindCertification,
		Status: StatusModified, Integrity: "valid", ChangesAfter: "disallowed", Changes: []string{"page 1: /Contents changed"},
		ChangeDetails: []ChangeDetail{{Code: ChangePageContent, Page: 1, Key: "Contents", Sentence: "page 1: /Contents changed"}},
		Reasons:       []string{"no trust anchors are configured"},
		Rect:          []float64{1, 2, 3, 4}, Page: 1, Signer: Signer{Name: "某某有限公司", ID: "110***********002X"}}}}
	dir := t.TempDir()
	out := filepath.Join(dir, "r.pdf")
	if err := WriteReportPDF(out, rep, "zh"); err != nil {
		t.Fatal(err)
	}
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("pdftotext (poppler-utils) missing")
		}
		t.Skip("pdftotext not installed")
	}
	text, err := exec.Command(tool, out, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, want := range []string{"签章验证报告", "合同.pdf", "签名后文档被修改", "某某有限公司", "认证签名", "修改页面内容（第 1 页）", "未配置信任根证书"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("report PDF text lacks %q:\n%s", want, text)
		}
	}
	for _, english := range []string{"/Contents changed", "trust anchors"} {
		if strings.Contains(string(text), english) {
			t.Errorf("Chinese report PDF still says %q:\n%s", english, text)
		}
	}
	// The font is a subset: the file is small, pdffonts lists it embedded with a subset name,
	// and the glyphs still draw (pdftoppm's render has as much ink as the whole font's).
	st, _ := os.Stat(out)
	if st.Size() > 120<<10 {
		t.Errorf("report PDF is %d bytes; the font is not subset", st.Size())
	}
	t.Logf("report PDF: %d bytes", st.Size())
	if pf, err := exec.LookPath("pdffonts"); err == nil {
		b, _ := exec.Command(pf, out).Output()
		if !regexp.MustCompile(`[A-Z]{6}\+NotoSansSC-Regular\s+CID Type 0C\s+Identity-H\s+yes\s+yes\s+yes`).Match(b) {
			t.Errorf("pdffonts:\n%s", b)
		}
	}
	if tp, err := exec.LookPath("pdftoppm"); err == nil {
		ink := func(data []byte) int {
			p := filepath.Join(t.TempDir(), "r.pdf")
			os.WriteFile(p, data, 0o644)
			b, err := exec.Command(tp, "-r", "40", "-gray", "-f", "1", "-l", "1", p).Output()
			if err != nil {
				t.Fatalf("pdftoppm: %v", err)
			}
			n := 0
			for _, c := range b[len(b)-int(595*40/72)*int(842*40/72):] {
				if c < 128 {
					n++
				}
			}
			return n
		}
		sub, _ := os.ReadFile(out)
		got := ink(sub)
		whole, err := reportPDF(rep, "zh", false)
		if err != nil {
			t.Fatal(err)
		}
		want := ink(whole)
		if want < 500 || got < want*95/100 || got > want*105/100 {
			t.Errorf("subset font draws %d dark pixels, the whole font %d", got, want)
		}
	}
	// And the report verifies as unsigned (a plain PDF core/pdf reads).
	r, err := File(context.Background(), out, nil)
	if err != nil || r.Verdict != StatusUnsigned {
		t.Errorf("report PDF: %v %v", r, err)
	}
}

func TestCancel(t *testing.T) {
	s := newSigner(t, "")
	doc, _ := makeDoc(docOpts{})
	signed := s.sign(t, doc, sigOpts{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Verify(ctx, bytesReader(signed), int64(len(signed)), "x.pdf", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled verification: %v", err)
	}
}
