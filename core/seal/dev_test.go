package seal

import (
	"image/png"
	"os"
	"strings"
	"testing"
)

func TestDevGallery(t *testing.T) {
	if os.Getenv("DEVOUT") == "" {
		t.Skip()
	}
	specs := []Spec{
		{Style: Official, Size: Round38, Name: strings.Repeat("国", 14)[:0] + "北京云印数字科技发展有限公司", Code: "91350100M000100Y43"},
		{Style: Special, Size: Round42, Name: "北京云印科技有限公司", Title: "电子商务合同专用章"},
		{Style: Foreign, Size: Oval40, Name: "苏州博世（中国）投资有限公司", Code: "91350100M000100Y43", Title: "合同专用章"},
		{Style: Finance, Size: Square22, Name: "云印公司"},
		{Style: Finance, Size: Round45, Name: "广州南方物流股份有限公司", Code: "91350100M000100Y43"},
		{Style: Invoice, Name: "云印科技", Code: "110108123456789"},
	}
	for i, s := range specs {
		img, w, err := Render(s, 300)
		if err != nil {
			t.Fatal(i, err)
		}
		t.Log(i, w)
		f, _ := os.Create(os.Getenv("DEVOUT") + "/gal" + string(rune('0'+i)) + ".png")
		png.Encode(f, img)
		f.Close()
	}
}
