package widgets

import (
	"strings"
	"testing"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestWrapCJK(t *testing.T) {
	perRune := func(s string) float32 { return float32(utf8.RuneCountInString(s)) }
	for _, tc := range []struct {
		text  string
		avail float32
		want  string
	}{
		// the naive break would start line 2 with "。"
		{"本机还没有个人签名密钥。密钥在本机生成。", 11, "本机还没有个人签名密\n钥。密钥在本机生成。"},
		// an opening quote stays with what it opens
		{"可以在“印章设计”里制作", 3, "可以在\n“印章\n设计”\n里制作"},
		// Latin words move whole to the next line
		{"签名算法 ECDSA-P256-SHA256 有效", 12, "签名算法\nECDSA-P256-S\nHA256 有效"},
		{"open the file now", 10, "open the\nfile now"},
		{"第一行\n第二行", 10, "第一行\n第二行"},
	} {
		if got := WrapCJK(tc.text, perRune, tc.avail); got != tc.want {
			t.Errorf("WrapCJK(%q, %v) =\n%s\nwant\n%s", tc.text, tc.avail, got, tc.want)
		}
	}
}

// A CJKLabel never starts a line with closing punctuation, at any width.
func TestCJKLabelKeepsPunctuationOffLineStarts(t *testing.T) {
	test.NewTempApp(t)
	l := NewCJKLabel("本机还没有个人签名密钥。密钥在本机生成，用签约密码加密保存，私钥不会离开本机。")
	w := test.NewTempWindow(t, l)
	for width := float32(80); width <= 400; width += 7 {
		w.Resize(fyne.NewSize(width, 400))
		l.Resize(fyne.NewSize(width, 400))
		lines := strings.Split(l.Text, "\n")
		if strings.Join(lines, "") != l.Source() {
			t.Fatalf("width %v: text changed: %q", width, l.Text)
		}
		for _, line := range lines[1:] {
			if r, _ := utf8.DecodeRuneInString(line); strings.ContainsRune(noLineStart, r) {
				t.Errorf("width %v: a line starts with %q: %q", width, r, l.Text)
			}
		}
		if width < 200 && len(lines) < 2 {
			t.Errorf("width %v: not wrapped: %q", width, l.Text)
		}
	}
}
