package ui

import (
	"bytes"
	"image"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/verify"
)

// dialogTexts returns every visible text drawn by o (a dialog or pop-up): the canvas texts its
// widgets render, Fyne's own (titles, buttons, menus) included.
func dialogTexts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *canvas.Text:
			if s := strings.TrimSpace(x.Text); s != "" {
				out = append(out, s)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// findButton finds the visible button with the given text inside o.
func findButton(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() || found != nil {
			return
		}
		switch x := o.(type) {
		case *widget.Button:
			if x.Text == text {
				found = x
				return
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	if found == nil {
		t.Fatalf("no button %q in %v", text, dialogTexts(o))
	}
	return found
}

// latinWord is a run of Latin letters.
var latinWord = regexp.MustCompile(`[A-Za-z]+`)

// allowedASCII are the Latin words a Chinese interface uses as they are: file formats, units,
// abbreviations the manuals use, and the product's name.
var allowedASCII = map[string]bool{"PDF": true, "OFD": true, "PNG": true, "JPEG": true, "JPG": true, "JSON": true,
	"PIN": true, "ID": true, "CA": true, "TSA": true, "LTV": true, "B": true, "KB": true, "MB": true, "GB": true,
	"UTC": true, "CST": true, "SealDesk": true,
	"ECDSA": true, "RSA": true} // key algorithms are named as they are (SM2 passes with its digit)

// englishWords returns the English words of texts: Latin words that are not part of a file name
// or path (a token, between spaces and punctuation, holding a dot, slash or digit: 合同.pdf,
// *.png, /tmp/文档, SHA-256, SM2) and not in allowedASCII.
func englishWords(texts []string) []string {
	var out []string
	for _, s := range texts {
		tokens := strings.FieldsFunc(s, func(r rune) bool {
			return unicode.IsSpace(r) || strings.ContainsRune("（）()、，,。：:；;“”\"'「」《》【】[]!?！？|", r)
		})
		for _, tok := range tokens {
			if strings.ContainsAny(tok, "./\\0123456789") {
				continue
			}
			for _, w := range latinWord.FindAllString(tok, -1) {
				if len(w) >= 2 && !allowedASCII[w] {
					out = append(out, w+" (in "+s+")")
				}
			}
		}
	}
	return out
}

func TestEnglishWordsCanFail(t *testing.T) {
	got := englishWords([]string{"Overwrite? Are you sure", "打开 合同.pdf（*.pdf）/tmp/文档", "SHA-256 的 PDF", "Home"})
	if len(got) != 5 {
		t.Errorf("englishWords = %v, want Overwrite, Are, you, sure, Home", got)
	}
}

// Every dialog the app opens, walked in Chinese: no English word in any of them (file names
// aside), and none of Fyne's odd Chinese (好 for OK, 不 for No, 打开 文件 with a space).
func TestEveryDialogIsChinese(t *testing.T) {
	_, docs := pickerHome(t)
	lib := &memLibrary{}
	lib.Save(LibraryItem{Kind: ItemDesignedSeal, Name: "公司公章", PNG: tinyPNG(t)})
	s, w := newLocalShell(t, &LocalServices{Prefs: &memPrefs{}, Library: lib})
	s.Services.Renderer = pagesRenderer{}
	s.Rebuild()
	w.Resize(fyne.NewSize(1024, 640))

	check := func(name string, open func()) {
		t.Helper()
		for w.Canvas().Overlays().Top() != nil {
			w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())
		}
		open()
		top := w.Canvas().Overlays().Top()
		if top == nil {
			t.Errorf("%s: no dialog opened", name)
			return
		}
		texts := dialogTexts(top)
		if len(texts) == 0 {
			t.Errorf("%s: the dialog shows no text", name)
		}
		if bad := englishWords(texts); len(bad) > 0 {
			t.Errorf("%s: English words %v", name, bad)
		}
		for _, odd := range []string{"好", "不", "打开 文件", "Home", "Computer"} {
			for _, x := range texts {
				if x == odd {
					t.Errorf("%s: shows %q", name, odd)
				}
			}
		}
		t.Logf("%s: %s", name, strings.Join(texts, " | "))
	}

	// 文件
	s.Show(NavDocuments)
	docsScreen := s.Screen(NavDocuments).(*DocumentsScreen)
	check("文件 › 打开", func() { test.Tap(docsScreen.Open) })

	// 发起签署 › 指定签署位置 / 本机签署
	s.Show(NavSend)
	send := s.Screen(NavSend).(*sendScreen)
	check("指定签署位置 › 打开", func() { test.Tap(send.place.openBtn) })
	check("指定签署位置 › 保存", func() {
		send.place.path = docs + "/合同.pdf"
		send.place.boxes = append(send.place.boxes, &placedBox{})
		send.place.onSaveTapped()
	})
	send.place.boxes = nil
	check("本机签署 › 打开", func() { test.Tap(send.sign.openBtn) })
	check("本机签署 › 创建密钥", func() { send.sign.onCreateKeyTapped() })
	check("本机签署 › 更换密钥（输入当前密码）", func() { send.sign.showKeyDialog(true) })
	check("本机签署 › 签署口令", func() { send.sign.onSignTapped() })
	check("本机签署 › 保存已签文件", func() {
		s.chooseSave(tr("sign.save.title"), docs+"/合同-已签.pdf", docs+"/合同.pdf", nil, func(string) {})
	})
	check("保存 › 更改文件夹", func() {
		s.chooseSave(tr("sign.save.title"), docs+"/合同-已签.pdf", "", nil, func(string) {}).onFolderTapped()
	})
	check("保存 › 替换（加签到同一文件）", func() {
		d := s.chooseSave(tr("sign.save.title"), docs+"/合同.pdf", docs+"/合同.pdf", nil, func(string) {})
		d.onSaveTapped()
	})

	// 文件验签
	s.Show(NavVerify)
	v := s.Screen(NavVerify).(*verifierScreen)
	check("文件验签 › 选择文件", func() { test.Tap(v.chooseBtn) })
	check("文件验签 › 信任设置", func() { test.Tap(v.trustBtn) })
	check("文件验签 › 导入根证书", func() {
		test.Tap(v.trustBtn)
		test.Tap(findButton(t, w.Canvas().Overlays().Top(), "导入根证书…"))
	})
	v.files = []verifiedFile{{Path: docs + "/合同.pdf", Report: &verify.Report{File: docs + "/合同.pdf", Verdict: verify.StatusUnsigned}}}
	check("文件验签 › 导出报告 PDF", func() { v.onExportTapped("pdf") })
	check("文件验签 › 导出报告 JSON", func() { v.onExportTapped("json") })
	check("文件验签 › 查看签名时版本（保存）", func() {
		s.screens[NavDocuments], docsScreen = nil, nil // without 文件, the revision is saved
		delete(s.screens, NavDocuments)
		v.onViewSignedTapped(&sigCard{path: docs + "/合同.pdf", sig: verify.Signature{Index: 1}})
	})
	check("文件验签 › 在页面上查看", func() {
		v.deferUpdatesForTest()
		v.onShowOnPageTapped(&sigCard{path: docs + "/合同.pdf", sig: verify.Signature{Index: 1, Page: 1, Rect: []float64{10, 10, 100, 60}}})
	})
	v.wait()
	check("出错了", func() { showError(w, errMessage(errFileTooBig)) })
	check("信任设置（无本机存储）", func() {
		local := v.local
		v.local = nil
		defer func() { v.local = local }()
		v.onTrustTapped()
	})

	// 签章管理
	s.Show(NavSeals)
	seals := s.Screen(NavSeals).(*sealsScreen)
	check("签章管理 › 删除", func() { seals.onDeleteTapped(LibraryItem{ID: "x", Name: "公司公章"}) })
	check("签章管理 › 导出 PNG", func() { seals.exportPNG("公司公章", []byte{1}) })
	check("签章管理 › 上传照片", func() { seals.onUploadTapped() })
	check("签章管理 › 输入框菜单", func() { test.TapSecondary(seals.name) })

	// 设置
	s.Show(NavSettings)
	set := s.Screen(NavSettings).(*SettingsScreen)
	check("设置 › 数据文件夹", func() { test.Tap(set.DataDirChange) })
	check("设置 › 数据文件夹 › 新建文件夹", func() {
		test.Tap(set.DataDirChange)
		test.Tap(s.picker.newDirBtn)
	})
	check("保存 › 替换文件", func() {
		fp := s.saveFile("合同.pdf", pdfExts, func(string) {})
		test.Tap(fp.okBtn)
	})
	// 许可证 lists components and the font licence by their own (English) names and text, which
	// are not translated: only its frame is checked.
	for w.Canvas().Overlays().Top() != nil {
		w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())
	}
	test.Tap(set.Licences)
	if texts := dialogTexts(w.Canvas().Overlays().Top()); !contains(texts, tr("licences.title")) || !contains(texts, "关闭") {
		t.Errorf("许可证 frame: %v", texts)
	}
}

// tinyPNG is a 4×4 red PNG.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+3] = 0xd0, 0xff
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
