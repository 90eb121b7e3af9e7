package verify

import (
	"strings"
	"testing"
)

func TestMarkRecipientAndWords(t *testing.T) {
	for _, tc := range []struct {
		field, reason, mark, name string
		recipient                 int
	}{
		{"r1-seal-1", MarkReason(MarkSeal, "合同专用章"), MarkSeal, "合同专用章", 1},
		{"r2-sign-3", MarkReason(MarkSignature, "张三签名"), MarkSignature, "张三签名", 2},
		{"r1-cross-1", MarkReason(MarkCross, "公章"), MarkCross, "公章", 1},
		{"r1-date-1", MarkReason(MarkDate, ""), MarkDate, "", 1},
		{"r1-seal-1", "", MarkSeal, "", 1},           // an older file: the field name says it
		{"Signature1", "同意", "", "", 0},              // another producer
		{"r1-seal-01", "", "", "", 0},                // not our naming
		{"Signature1", "盖章：财务章", MarkSeal, "财务章", 0}, // a reason in our words
	} {
		s := Signature{Field: tc.field, Reason: tc.reason}
		if m, n := s.Mark(); m != tc.mark || n != tc.name {
			t.Errorf("%s %q: mark %q %q, want %q %q", tc.field, tc.reason, m, n, tc.mark, tc.name)
		}
		if r := s.Recipient(); r != tc.recipient {
			t.Errorf("%s: recipient %d, want %d", tc.field, r, tc.recipient)
		}
	}
	s := Signature{Index: 2, Kind: KindApproval, Field: "r1-seal-1", Reason: MarkReason(MarkSeal, "合同专用章"), Page: 1,
		Rect: []float64{72, 144, 191, 263}, Revision: 3, Revisions: 4, Signer: Signer{Name: "张三"}, Status: StatusUntrusted}
	text := strings.Join((&Report{Signatures: []Signature{s}}).TextLines("zh"), "\n")
	for _, want := range []string{"签章 2 (印章)", "签署方: 签署方 1", "印章名: 合同专用章",
		"签署位置: 第 1 页，距左边 25 毫米、距底边 51 毫米，大小 42 × 42 毫米",
		"签名覆盖的版本: 签名覆盖文件的第 3 个版本；签名后文件又保存过 1 次（共 4 个版本）"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"r1-seal-1", "3/4", "[72"} {
		if strings.Contains(text, bad) {
			t.Errorf("text shows %q:\n%s", bad, text)
		}
	}
	s.Revision = 4
	if got := s.RevisionText("zh"); got != "签名覆盖整个文件（签名后没有再保存过）" {
		t.Errorf("whole file: %q", got)
	}
}
