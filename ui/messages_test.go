package ui

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2/test"
	gotext "github.com/go-text/typesetting/font"
	"golang.org/x/image/font/sfnt"

	"sealdesk/assets"

	"sealdesk/core/client"
	"sealdesk/core/keystore"
	"sealdesk/core/pdf"
	"sealdesk/core/seal"
	"sealdesk/core/sign"
	"sealdesk/core/tsa"
	"sealdesk/core/verify"
)

// Every typed error the screens meet becomes its own Chinese sentence (not the generic one, not
// a raw translation key), also when wrapped.
func TestErrMessages(t *testing.T) {
	test.NewTempApp(t)
	if err := SetLanguage(LangChinese); err != nil {
		t.Fatal(err)
	}
	wrap := func(err error) error { return fmt.Errorf("failed to do it: %w", err) }
	cases := []struct {
		err  error
		want string
	}{
		{&keystore.WrongPINError{Remaining: 3}, "签约密码错误，还可以再试 3 次。"},
		{&keystore.WrongPINError{Remaining: 0}, "签约密码连续输错，密钥已暂时锁定，请稍后再试。"},
		{&keystore.LockedError{Until: time.Date(2030, 1, 2, 3, 4, 5, 0, time.Local)}, "密钥已锁定，请在 2030-01-02 03:04:05 之后再试。"},
		{&keystore.PINError{Reason: keystore.PINSequential}, "签约密码不能是连续的数字（如 123456）。"},
		{&keystore.PINError{Reason: keystore.PINLength}, "签约密码必须是 6 位数字。"},
		{keystore.ErrNotFound, "本机还没有个人签名密钥。"},
		{&seal.TooLongError{Field: "name", Size: seal.Round40, Len: 30, Max: 24}, "单位名称太长：Ø40 mm 的印章最多 24 个字，现在是 30 个。"},
		{&seal.MissingGlyphsError{Field: "title", Runes: []rune("𠀀")}, "横排文字中的字“𠀀”字体里没有，请换用常用字。"},
		{pdf.ErrEncrypted, "这个 PDF 已加密（有打开密码或权限限制），无法处理。请先去除加密。"},
		{verify.ErrTooLarge, "文件太大或结构过于复杂，超出了处理上限。"},
		{sign.ErrFieldNotEmpty, "这个签署位置已经签过了。"},
		{&sign.ReplaceRefusedError{Path: "/d/合同.pdf", Kept: "/d/合同-已签.pdf", Err: errors.New("sharing violation")},
			"无法覆盖「合同.pdf」：它正被其他程序打开（例如 PDF 阅读器），系统不允许替换。已签署的文件已另存为「合同-已签.pdf」（在同一文件夹：/d），原文件保持不变。如需覆盖原文件，请关闭打开它的程序后重新签署。"},
		{sign.ErrCertifiedNoChanges, "文档已被认证签名锁定，不允许再做任何修改。"},
		{fs.ErrNotExist, "文件不存在或已被移走。"},
		{errFileTooBig, "文件超过 10 MB，无法作为签署文件。"},
		{fmt.Errorf("timestamp authority unavailable: %w", fmt.Errorf("%w (http 503, 5 tries)", tsa.ErrBusy)), "时间戳服务繁忙，多次重试后仍未应答；文件未改动，请稍后再签。"},
		{&client.Error{Status: 400, Code: "bad_id_number", Message: "身份证号码校验位不正确，请核对后重新输入"}, "身份证号码校验位不正确，请核对后重新输入"},
	}
	for _, tc := range cases {
		for _, err := range []error{tc.err, wrap(tc.err)} {
			if got := errMessage(err); got != tc.want {
				t.Errorf("%v: %q, want %q", err, got, tc.want)
			}
		}
	}
	if got := errMessage(errors.New("something odd")); !strings.HasPrefix(got, "操作失败：") {
		t.Errorf("generic: %q", got)
	}
}

// Every change code has Chinese and English words in core/verify's table (the one sealctl and
// the report PDF use too), each placeholder filled, and every rune of the Chinese is in the
// desktop's GB2312 subset faces.
func TestEveryChangeCodeWorded(t *testing.T) {
	faces := map[string]*sfnt.Font{}
	for name, data := range map[string][]byte{"SansRegular": assets.SansRegular, "SansBold": assets.SansBold} {
		f, err := sfnt.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		faces[name] = f
	}
	gt, err := gotext.ParseTTF(bytes.NewReader(assets.SansRegular))
	if err != nil {
		t.Fatal(err)
	}
	var buf sfnt.Buffer
	for _, c := range verify.ChangeCodes {
		d := verify.ChangeDetail{Code: c, Object: 7, Page: 2, Field: "甲方", Key: "Contents"}
		for _, l := range []string{LangChinese, LangEnglish} {
			if _, ok := verify.ChangeTemplate(c, l); !ok {
				t.Errorf("change code %s has no %s text", c, l)
			}
			if s := d.Text(l); s == "" || strings.ContainsAny(s, "{}") {
				t.Errorf("change code %s: %s text %q", c, l, s)
			}
		}
		zh := d.Text(LangChinese)
		for _, r := range zh {
			if r <= unicode.MaxASCII || unicode.IsSpace(r) {
				continue
			}
			if _, ok := gt.NominalGlyph(r); !ok {
				t.Errorf("SansRegular (go-text) has no glyph for %q in %q", r, zh)
			}
			for name, f := range faces {
				if gi, err := f.GlyphIndex(&buf, r); err != nil || gi == 0 {
					t.Errorf("%s has no glyph for %q in %q", name, r, zh)
				}
			}
		}
	}
}

// The desktop words changes with core/verify's table: Chinese by code, the verifier's English
// sentence in the English interface and for a code this build does not know.
func TestChangeSentencesFollowLanguage(t *testing.T) {
	test.NewTempApp(t)
	if err := SetLanguage(LangChinese); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = SetLanguage(LangChinese) })
	sig := verify.Signature{
		Changes: []string{"page 3: /Contents changed", "field amount filled in", "brand new thing"},
		ChangeDetails: []verify.ChangeDetail{
			{Code: verify.ChangePageContent, Page: 3, Key: "Contents", Sentence: "page 3: /Contents changed"},
			{Code: verify.ChangeFieldFilled, Allowed: true, Field: "amount", Sentence: "field amount filled in"},
			{Code: "no-such-code", Sentence: "brand new thing"},
		},
	}
	want := []string{"修改页面内容（第 3 页）", "填写表单域「amount」", "brand new thing"}
	if got := changeSentences(sig); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Chinese: %q, want %q", got, want)
	}
	if err := SetLanguage(LangEnglish); err != nil {
		t.Fatal(err)
	}
	if got := changeSentences(sig); strings.Join(got, "|") != strings.Join(sig.Changes, "|") {
		t.Errorf("English: %q, want %q", got, sig.Changes)
	}
}

// A file beyond a budget gets a sentence naming the limit, in Chinese.
func TestLimitMessageNamesTheLimit(t *testing.T) {
	test.NewTempApp(t)
	if err := SetLanguage(LangChinese); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		err  error
		want []string
	}{
		{fmt.Errorf("x.pdf: %w", &pdf.LimitError{Limit: "MaxSignatures", Max: 500, Got: 900}), []string{"签名数量", "500"}},
		{fmt.Errorf("x.pdf: %w: %w", verify.ErrTooLarge, &pdf.LimitError{Limit: "MaxFileSize", Max: 256 << 20}), []string{"文件大小", "256 MB"}},
		{&pdf.LimitError{Limit: "MaxXRefEntries", Max: 1 << 20}, []string{"交叉引用条目总数", "1048576"}},
		{fmt.Errorf("x.pdf: %w", &pdf.LimitError{Limit: "MaxUpdateObjects", Max: 50000, Got: 400000}), []string{"签署后各次更新写入的对象总数", "50000"}},
		{fmt.Errorf("x.pdf: %w", &pdf.LimitError{Limit: "MaxJudgedAnnotations", Max: 1000, Got: 1001}), []string{"签署后新增或修改的批注数", "1000"}},
		{fmt.Errorf("x.pdf: %w", &pdf.LimitError{Limit: "MaxObjectMemory", Max: 16 << 20}), []string{"单个对象解析后占用的内存", "16 MB"}},
	} {
		got := errMessage(c.err)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%v: %q lacks %q", c.err, got, w)
			}
		}
	}
}
