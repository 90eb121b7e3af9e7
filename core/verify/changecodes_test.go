package verify

import (
	"reflect"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// checkChangeDetails fails unless every named change of every signature has a known code and
// the detail carries exactly the report's sentence. verifyBytes runs it on every report, so the
// attack, allowed-change and red-team tests all walk through it.
func checkChangeDetails(t testing.TB, rep *Report) {
	t.Helper()
	known := map[string]bool{}
	for _, c := range ChangeCodes {
		known[c] = true
	}
	for _, s := range rep.Signatures {
		if len(s.ChangeDetails) != len(s.Changes) {
			t.Errorf("signature %d: %d changes but %d details", s.Index, len(s.Changes), len(s.ChangeDetails))
			continue
		}
		for i, d := range s.ChangeDetails {
			if d.Code == "" || !known[d.Code] {
				t.Errorf("signature %d: change %q has code %q", s.Index, s.Changes[i], d.Code)
			}
			if d.Sentence != s.Changes[i] {
				t.Errorf("signature %d: detail sentence %q, change %q", s.Index, d.Sentence, s.Changes[i])
			}
			checkTemplateFilled(t, d)
		}
	}
}

// checkTemplateFilled fails when d's templates name a place the verifier did not record for it
// (the sentence would read "field 「」" or "object 0") or when a placeholder stays unfilled.
func checkTemplateFilled(t testing.TB, d ChangeDetail) {
	t.Helper()
	for _, lang := range []string{"zh", "en"} {
		tmpl, ok := ChangeTemplate(d.Code, lang)
		if !ok {
			continue // an unknown code is reported by the caller
		}
		for ph, set := range map[string]bool{"{field}": d.Field != "", "{object}": d.Object != 0, "{key}": d.Key != "", "{value}": d.Value != "", "{page}": d.Page != 0} {
			if strings.Contains(tmpl, ph) && !set {
				t.Errorf("%s %s template %q uses %s, but the change %q does not record it", d.Code, lang, tmpl, ph, d.Sentence)
			}
		}
		d2 := d
		d2.Sentence = ""
		if got := d2.Text(lang); got == "" || strings.ContainsAny(got, "{}") {
			t.Errorf("%s %s text %q", d.Code, lang, got)
		}
	}
}

// Every code has a Chinese and an English template, each placeholder filled from the detail.
func TestEveryChangeCodeWorded(t *testing.T) {
	if len(changeTexts) != len(ChangeCodes) {
		t.Errorf("%d change texts for %d codes", len(changeTexts), len(ChangeCodes))
	}
	for _, c := range ChangeCodes {
		d := ChangeDetail{Code: c, Allowed: true, Object: 17, Page: 3, Field: "甲方签名", Key: "Contents", Value: "100"}
		for _, lang := range []string{"zh", "en"} {
			tmpl, ok := ChangeTemplate(c, lang)
			if !ok {
				t.Errorf("code %s has no %s text", c, lang)
				continue
			}
			got := d.Text(lang)
			if strings.ContainsAny(got, "{}") {
				t.Errorf("%s %s: unfilled placeholder in %q", c, lang, got)
			}
			for ph, v := range map[string]string{"{field}": d.Field, "{object}": "17", "{key}": d.Key} {
				if strings.Contains(tmpl, ph) && !strings.Contains(got, v) {
					t.Errorf("%s %s: %q lacks %s", c, lang, got, v)
				}
			}
			if strings.Contains(tmpl, "{where}") && !strings.Contains(got, "3") {
				t.Errorf("%s %s: %q lacks the page", c, lang, got)
			}
		}
		zh := d.Text("zh")
		if !strings.ContainsFunc(zh, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("%s: Chinese text %q has no Chinese", c, zh)
		}
	}
}

func TestChangeText(t *testing.T) {
	page := ChangeDetail{Code: ChangePageContent, Page: 2, Key: "Resources", Sentence: "page 2: /Resources changed"}
	if got := page.Text("zh"); got != "修改页面内容（第 2 页）" {
		t.Errorf("zh: %q", got)
	}
	if got := page.Text("zh_Hans"); got != "修改页面内容（第 2 页）" {
		t.Errorf("zh_Hans: %q", got)
	}
	if got := page.Text("en"); got != page.Sentence {
		t.Errorf("en shows %q, want the verifier's sentence", got)
	}
	page.Sentence = ""
	if got := page.Text("en"); got != "page content changed (page 2)" {
		t.Errorf("en template: %q", got)
	}
	info := ChangeDetail{Code: ChangeInfo, Allowed: false, Sentence: "document information (Info) updated although the certification allows no changes"}
	if got := info.Text("zh"); got != "更新文档信息(Info)，但文档认证不允许任何修改" {
		t.Errorf("not permitted: %q", got)
	}
	info.Allowed = true
	if got := info.Text("zh"); got != "更新文档信息(Info)" {
		t.Errorf("permitted: %q", got)
	}
	unknown := ChangeDetail{Code: "no-such-code", Sentence: "something new"}
	if unknown.Text("zh") != "something new" || unknown.Text("en") != "something new" {
		t.Errorf("unknown code: %q / %q", unknown.Text("zh"), unknown.Text("en"))
	}
	s := Signature{Changes: []string{"a", "b"}, ChangeDetails: []ChangeDetail{page}}
	if got := s.ChangeTexts("zh"); len(got) != 2 || got[0] != "a" {
		t.Errorf("mismatched details: %q", got)
	}
	res := page
	res.Key, res.Sentence, page.Sentence = "Resources", "page 2: /Resources changed", "page 2: /Contents changed"
	s = Signature{Changes: []string{page.Sentence, res.Sentence}, ChangeDetails: []ChangeDetail{page, res}}
	if got := s.ChangeTexts("zh"); len(got) != 1 || got[0] != "修改页面内容（第 2 页）" {
		t.Errorf("zh sentences alike not merged: %q", got)
	}
	if got := s.ChangeTexts("en"); len(got) != 2 {
		t.Errorf("en: %q", got)
	}
}

func TestReasonText(t *testing.T) {
	cases := []struct{ en, zh string }{
		{"no trust anchors are configured", "未配置信任根证书，无法判断证书是否可信"},
		{ReasonSelfDeclared, "签章人身份为自证身份：未经任何实名核验机构核验"},
		{"SHA1 as the digest of the signed data is not accepted after its sunset date 2009-01-01, and nothing proves it was used before then",
			"签名数据的摘要算法 SHA1 自 2009-01-01 起已到期不再被接受，且没有证据证明它在此之前已被使用"},
		{"the signer's RSA key of 1024 bits is accepted: a proof of existence at 2008-06-01T10:00:00Z precedes its sunset date 2009-01-01",
			"签名人 1024 位的 RSA 密钥仍被接受：存在性证明的时间 2008-06-01T10:00:00Z 早于其到期日 2009-01-01"},
		{"signature timestamp: the time-stamping authority's RSA key of 1536 bits is not accepted after its sunset date 2016-01-01, and nothing proves it was used before then",
			"签名时间戳：时间戳机构 1536 位的 RSA 密钥自 2016-01-01 起已到期不再被接受，且没有证据证明它在此之前已被使用"},
		{"the signed attributes lack the content-type attribute RFC 5652 §5.3 requires", "签名属性缺少 RFC 5652 §5.3 要求的 content-type 属性"},
		{"the signer certificate is revoked", "签名证书已被吊销"},
		{"a certificate in the chain is not valid at 2030-01-02T03:04:05Z", "证书链中有证书在 2030-01-02T03:04:05Z 时不在有效期内（已过期或尚未生效）"},
		{"signature timestamp: no trust anchors are configured", "签名时间戳：未配置信任根证书，无法判断证书是否可信"},
		{"SES time stamp: the time-stamping authority's certificate is not valid now nor at a later proof of existence: a certificate in the chain is not valid at 2030-01-02T03:04:05Z; the signing time is the signer's",
			"SES 时间戳：时间戳机构的证书现在不在有效期内，也没有更晚的存在性证明：证书链中有证书在 2030-01-02T03:04:05Z 时不在有效期内（已过期或尚未生效）；签署时间来自签章人"},
		{"SES time stamp: SHA1 as the timestamp's message imprint is not accepted after its sunset date 2009-01-01, and nothing proves it was used before then; the signing time is the signer's",
			"SES 时间戳：时间戳消息印记的摘要算法 SHA1 自 2009-01-01 起已到期不再被接受，且没有证据证明它在此之前已被使用；签署时间来自签章人"},
		{"signature timestamp: the time-stamping authority's certificate was revoked (2030-01-01T00:00:00Z) before the token's time 2030-01-02T03:04:05Z",
			"签名时间戳：时间戳机构的证书已于 2030-01-01T00:00:00Z 被吊销，早于时间戳的时间 2030-01-02T03:04:05Z"},
		{"signature timestamp: something odd", "签名时间戳：something odd"},
		{"something nobody translated", "something nobody translated"},
	}
	for _, c := range cases {
		if got := ReasonText(c.en, "zh"); got != c.zh {
			t.Errorf("%q: %q, want %q", c.en, got, c.zh)
		}
		if got := ReasonText(c.en, "en"); got != c.en {
			t.Errorf("en %q: %q", c.en, got)
		}
	}
}

// A filled value is named in both languages: decoded, on one line, cut when long; a detail
// without it reads as before.
func TestFieldValueNamed(t *testing.T) {
	v := &pdf.View{}
	long := strings.Repeat("九", 45)
	for _, c := range []struct {
		v    pdf.Object
		want string
	}{
		{pdf.String{Bytes: []byte("100")}, "100"},
		{pdf.EncodeText("金额 ¥9,000\n元"), "金额 ¥9,000 元"},
		{pdf.EncodeText(long), strings.Repeat("九", 40) + "…"},
		{pdf.Name("Yes"), "Yes"},
		{pdf.Array{pdf.String{Bytes: []byte("EUR")}, pdf.String{Bytes: []byte("USD")}}, "EUR, USD"},
		{pdf.String{Bytes: []byte(" \r\n")}, " "},
	} {
		if got := fieldValueText(v, c.v); got != c.want {
			t.Errorf("%v: %q, want %q", c.v, got, c.want)
		}
	}
	d := ChangeDetail{Code: ChangeFieldFilled, Allowed: true, Field: "qty", Value: "100"}
	if got := d.Text("zh"); got != "填写表单域「qty」，填入「100」" {
		t.Errorf("zh: %q", got)
	}
	if got := d.Text("en"); got != `field qty filled in with "100"` {
		t.Errorf("en: %q", got)
	}
	d.Value = ""
	for _, c := range []struct{ code, zh, en string }{
		{ChangeFieldFilled, "填写表单域「qty」", "field qty filled in"},
		{ChangeFieldOption, "表单域「qty」改选了其他选项", "field qty set to another of its options"},
		{ChangeFieldValue, "修改已填写的表单域「qty」", "value of field qty changed after it was filled"},
	} {
		d.Code = c.code
		if got := d.Text("zh"); got != c.zh {
			t.Errorf("%s zh without value: %q", c.code, got)
		}
		if got := d.Text("en"); got != c.en {
			t.Errorf("%s en without value: %q", c.code, got)
		}
	}
}

func TestChangeCodesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range ChangeCodes {
		if c == "" || seen[c] {
			t.Errorf("code %q empty or listed twice", c)
		}
		seen[c] = true
	}
}

// Each kind of change records its code and place beside the unchanged English sentence.
func TestChangeDetails(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	emptyForm, _ := makeDoc(docOpts{emptyText: true, emptySig: true})

	pageEdit := update(t, s.sign(t, plain, sigOpts{}), func(u *pdf.Update, v *pdf.View) {
		p := pageOf(t, v)
		pd := p.Dict.Clone()
		pd["Resources"] = pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}
		setObj(t, u, p.Ref, pd)
	})
	filled := fillText(t, s.sign(t, emptyForm, sigOpts{field: "Sig1"}), "42")

	cases := []struct {
		name string
		data []byte
		want ChangeDetail // Sentence is not compared
	}{
		{"page resources", pageEdit, ChangeDetail{Code: ChangePageContent, Page: 1, Key: "Resources"}},
		{"field filled", filled, ChangeDetail{Code: ChangeFieldFilled, Allowed: true, Field: "amount", Value: "42"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := verifyBytes(t, c.data, s.store())
			if len(rep.Signatures) == 0 {
				t.Fatal("no signatures")
			}
			var got []ChangeDetail
			for _, d := range rep.Signatures[0].ChangeDetails {
				d2 := d
				d2.Sentence, d2.Regions = "", nil
				if reflect.DeepEqual(d2, c.want) {
					return
				}
				got = append(got, d)
			}
			t.Errorf("no change %+v among %+v", c.want, got)
		})
	}
}
