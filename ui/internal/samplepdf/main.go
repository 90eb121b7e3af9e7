// Command samplepdf writes a sample Chinese contract PDF for screenshots and timing runs
// (`make screenshot`). Its Chinese text uses the Adobe font STSong-Light without embedding it,
// as many office PDFs do, so the viewer must supply the glyphs. It writes only the file named.
//
// Usage: go run ./ui/internal/samplepdf [-pages N] OUT.pdf
package main

import (
	"flag"
	"fmt"
	"os"
	"sealdesk/core/pdf/pdftest"
	"strings"
)

func main() {
	pages := flag.Int("pages", 3, "number of pages")
	flag.Parse()
	if flag.NArg() != 1 || *pages < 1 || *pages > 10000 {
		fmt.Fprintln(os.Stderr, "usage: samplepdf [-pages N] OUT.pdf")
		os.Exit(2)
	}
	if err := os.WriteFile(flag.Arg(0), contract(*pages), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "samplepdf:", err)
		os.Exit(1)
	}
}

func hex(s string) string {
	var b strings.Builder
	b.WriteByte('<')
	for _, r := range s {
		fmt.Fprintf(&b, "%04X", r)
	}
	b.WriteByte('>')
	return b.String()
}

var clauses = []string{
	"第一条　合同标的：乙方向甲方提供办公设备及相关安装、调试服务。",
	"第二条　合同金额：人民币壹拾贰万元整（￥120,000.00），含税。",
	"第三条　交付期限：本合同签订后三十日内完成交付并通过验收。",
	"第四条　付款方式：验收合格后十五个工作日内一次性支付全部款项。",
	"第五条　质量保证：乙方保证设备为全新正品，质保期为二十四个月。",
	"第六条　违约责任：任何一方违约，应向守约方支付合同金额百分之五的违约金。",
	"第七条　争议解决：双方协商解决；协商不成的，提交甲方所在地人民法院诉讼解决。",
	"第八条　本合同一式两份，甲乙双方各执一份，自双方签字盖章之日起生效。",
}

func contract(n int) []byte {
	var objs []string
	add := func(s string) int { objs = append(objs, s); return len(objs) }
	catalog, pagesObj := add(""), add("")
	fd := add("<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] " +
		"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
	cid := add(fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo "+
		"<< /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor %d 0 R /DW 1000 >>", fd))
	font := add(fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [%d 0 R] >>", cid))
	var kids []string
	for p := 1; p <= n; p++ {
		var c strings.Builder
		fmt.Fprintf(&c, "BT /F1 22 Tf 200 770 Td %s Tj ET\n", hex("办公设备采购合同"))
		fmt.Fprintf(&c, "BT /F1 10 Tf 460 800 Td %s Tj ET\n", hex(fmt.Sprintf("第 %d 页 / 共 %d 页", p, n)))
		fmt.Fprintf(&c, "BT /F1 12 Tf 72 720 Td %s Tj ET\n", hex("甲方（采购方）：北京示例科技有限公司"))
		fmt.Fprintf(&c, "BT /F1 12 Tf 72 700 Td %s Tj ET\n", hex("乙方（供应方）：上海样例贸易有限公司"))
		for i, cl := range clauses {
			fmt.Fprintf(&c, "BT /F1 11 Tf 72 %d Td %s Tj ET\n", 660-i*28, hex(cl))
		}
		fmt.Fprintf(&c, "BT /F1 12 Tf 72 160 Td %s Tj ET\n", hex("甲方（盖章）："))
		fmt.Fprintf(&c, "BT /F1 12 Tf 330 160 Td %s Tj ET\n", hex("乙方（盖章）："))
		fmt.Fprintf(&c, "BT /F1 12 Tf 72 110 Td %s Tj ET\n", hex("日期：　　年　　月　　日"))
		fmt.Fprintf(&c, "BT /F1 12 Tf 330 110 Td %s Tj ET\n", hex("日期：　　年　　月　　日"))
		content := add(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", c.Len(), c.String()))
		kids = append(kids, fmt.Sprintf("%d 0 R", add(fmt.Sprintf(
			"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595.28 841.89] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>",
			pagesObj, font, content))))
	}
	objs[catalog-1] = fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pagesObj)
	objs[pagesObj-1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n)
	return pdftest.ClassicRoot(catalog, objs...)
}
