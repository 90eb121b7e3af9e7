package verify

import (
	"strings"
	"time"

	"sealdesk/assets"
	"sealdesk/core/pdf/textpdf"
)

// ReportPDF renders the report as an A4 PDF in lang, with Noto Sans CJK SC (assets.SansRegular)
// embedded as a CID-keyed OpenType font so Chinese text displays and copies in any viewer.
func ReportPDF(rep *Report, lang string) ([]byte, error) { return reportPDF(rep, lang, true) }

// reportPDF is ReportPDF, with the font subset to the glyphs drawn or (tests) whole.
func reportPDF(rep *Report, lang string, subset bool) ([]byte, error) {
	w, err := textpdf.New(assets.SansRegular, "NotoSansSC-Regular")
	if err != nil {
		return nil, err
	}
	title := "Signature verification report"
	footer := "SealDesk · " + time.Now().UTC().Format("2006-01-02 15:04 UTC")
	if strings.HasPrefix(lang, "zh") {
		title = "签章验证报告"
		footer = "SealDesk 电子签约 · 生成于 " + time.Now().UTC().Format("2006-01-02 15:04 UTC")
	}
	w.Line(title, 16)
	w.Line("", 8)
	for _, l := range rep.TextLines(lang) {
		w.Wrapped(l, 9.5)
	}
	w.Line("", 8)
	w.Line(footer, 8)
	return w.Bytes(subset)
}
