package ui

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	gotext "github.com/go-text/typesetting/font"
	"golang.org/x/image/font/sfnt"

	"sealdesk/assets"
)

// uiStrings returns every user-facing string: both translation files, and every string literal
// with a non-ASCII rune in the ui packages and the desktop main package (labels such as 简体中文).
// It also returns the translation keys used literally in tr("…") calls.
func uiStrings(t *testing.T) (texts []string, usedKeys map[string]string) {
	t.Helper()
	for _, m := range loadTranslations(t) {
		for _, v := range m {
			texts = append(texts, v)
		}
	}
	usedKeys = map[string]string{}
	fset := token.NewFileSet()
	var files []string
	_ = filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return nil
	})
	files = append(files, "../main.go", "../app.go")
	for _, p := range files {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, p, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "tr" && len(n.Args) > 0 {
					if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						k, _ := strconv.Unquote(lit.Value)
						usedKeys[k] = fset.Position(lit.Pos()).String()
					}
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					s, err := strconv.Unquote(n.Value)
					// (invalid UTF-8 is binary data, such as a PDF header, not text)
					if err == nil && utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return r > unicode.MaxASCII }) >= 0 {
						texts = append(texts, s)
					}
				}
			}
			return true
		})
	}
	return texts, usedKeys
}

func TestEveryKeyTranslatedInBothLanguages(t *testing.T) {
	tr := loadTranslations(t)
	zh, en := tr[LangChinese], tr[LangEnglish]
	for k := range zh {
		if en[k] == "" {
			t.Errorf("%s has no English text", k)
		}
	}
	for k := range en {
		if zh[k] == "" {
			t.Errorf("%s has no Chinese text", k)
		}
	}
	_, used := uiStrings(t)
	for k, where := range used {
		if zh[k] == "" {
			t.Errorf("%s: tr(%q) has no translation", where, k)
		}
	}
	tmpl := regexp.MustCompile(`{{\.[A-Za-z]+}}`)
	for k := range zh {
		a, b := tmpl.FindAllString(zh[k], -1), tmpl.FindAllString(en[k], -1)
		sort.Strings(a)
		sort.Strings(b)
		if strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("%s: placeholders differ: zh %v, en %v", k, a, b)
		}
	}
}

// Every rune of every UI string has a glyph in both UI faces, as read by Fyne's font parser
// (go-text) and by golang.org/x/image's.
func TestEveryUIStringHasGlyphs(t *testing.T) {
	texts, _ := uiStrings(t)
	runes := map[rune]string{}
	for _, s := range texts {
		for _, r := range s {
			if !unicode.IsSpace(r) && !unicode.IsControl(r) {
				runes[r] = s
			}
		}
	}
	if len(runes) < 200 {
		t.Fatalf("found only %d distinct runes; the string scan is broken", len(runes))
	}
	for _, face := range []struct {
		name string
		data []byte
	}{{"SansRegular", assets.SansRegular}, {"SansBold", assets.SansBold}} {
		gt, err := gotext.ParseTTF(bytes.NewReader(face.data))
		if err != nil {
			t.Fatalf("%s: go-text: %v", face.name, err)
		}
		sf, err := sfnt.Parse(face.data)
		if err != nil {
			t.Fatalf("%s: sfnt: %v", face.name, err)
		}
		var buf sfnt.Buffer
		for r, s := range runes {
			if _, ok := gt.NominalGlyph(r); !ok {
				t.Errorf("%s (go-text) has no glyph for %q in %q", face.name, r, s)
			}
			if gi, err := sf.GlyphIndex(&buf, r); err != nil || gi == 0 {
				t.Errorf("%s (sfnt) has no glyph for %q in %q", face.name, r, s)
			}
		}
	}
	// Fyne's parser reads every embedded face (the seal faces too)
	for name, data := range map[string][]byte{"SerifBold": assets.SerifBold, "FangSong": assets.FangSong} {
		f, err := gotext.ParseTTF(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: go-text: %v", name, err)
		}
		if _, ok := f.NominalGlyph('章'); !ok {
			t.Errorf("%s has no 章", name)
		}
	}
	// the check itself can fail: a rune outside GB2312 has no glyph
	gt, _ := gotext.ParseTTF(bytes.NewReader(assets.SansRegular))
	if _, ok := gt.NominalGlyph('𠀀'); ok {
		t.Error("glyph check cannot fail: U+20000 found in a GB2312 subset")
	}
}
