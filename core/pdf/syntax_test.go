package pdf

import (
	"bytes"
	stdlzw "compress/lzw"
	"compress/zlib"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPageGeometry(t *testing.T) {
	b := genPDF(genOpts{
		rootAttrs: " /MediaBox [0 0 612 792] /Rotate 90",
		fanout:    2,
		pages: []genPage{
			{},                                    // everything inherited
			{media: "[0 0 595 842]", rotate: "0"}, // own box, rotation reset
			{crop: "[10 20 300 400]", rotate: "-90"},
			{media: "[100 100 0 0]", crop: "[-50 -50 50 50]", rotate: "450"}, // unnormalised box, crop clipped
			{crop: "[700 900 800 1000]", rotate: "45"},                       // crop outside media: ignored; bad rotation
		},
	})
	f := openBytes(t, b)
	pages, err := f.Pages()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		media, crop Rect
		rotate      int
		w, h        float64
	}{
		{Rect{0, 0, 612, 792}, Rect{0, 0, 612, 792}, 90, 792, 612},
		{Rect{0, 0, 595, 842}, Rect{0, 0, 595, 842}, 0, 595, 842},
		{Rect{0, 0, 612, 792}, Rect{10, 20, 300, 400}, 270, 380, 290},
		{Rect{0, 0, 100, 100}, Rect{0, 0, 50, 50}, 90, 50, 50},
		{Rect{0, 0, 612, 792}, Rect{0, 0, 612, 792}, 0, 612, 792},
	}
	if len(pages) != len(want) {
		t.Fatalf("%d pages", len(pages))
	}
	for i, p := range pages {
		w := want[i]
		if p.Number != i+1 || p.MediaBox != w.media || p.CropBox != w.crop || p.Rotate != w.rotate {
			t.Errorf("page %d: media %v crop %v rotate %d; want %v %v %d", i+1, p.MediaBox, p.CropBox, p.Rotate, w.media, w.crop, w.rotate)
		}
		if gw, gh := p.VisibleSize(); gw != w.w || gh != w.h {
			t.Errorf("page %d visible %vx%v, want %vx%v", i+1, gw, gh, w.w, w.h)
		}
		if p.Resources == nil {
			t.Errorf("page %d has no resources", i+1)
		}
		// Page(n) descends by /Count and must agree with the walk.
		q, err := f.Page(i + 1)
		if err != nil || q.Ref != p.Ref || q.CropBox != p.CropBox || q.Rotate != p.Rotate {
			t.Errorf("Page(%d) = %+v, %v; walk gave %+v", i+1, q, err, p)
		}
	}
	if _, err := f.Page(6); !errors.Is(err, ErrNotFound) {
		t.Errorf("page 6: %v", err)
	}
}

func TestPageTreeCycle(t *testing.T) {
	// Object 3 (the only page node) lists its parent as a kid.
	b := genPDF(genOpts{nPages: 1})
	b = bytes.Replace(b, []byte("/Kids [4 0 R] /Count 1"), []byte("/Kids [2 0 R] /Count 1"), 1)
	f := openBytes(t, b)
	if _, err := f.Pages(); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
	if _, err := f.Page(1); err == nil {
		t.Error("Page(1) of a cyclic tree succeeded")
	}
}

func TestManyPages(t *testing.T) {
	b := genPDF(genOpts{nPages: 230, fanout: 7})
	for name, data := range map[string][]byte{"table": b, "objstm": qpdfConvert(t, b, "--object-streams=generate")} {
		f := openBytes(t, data)
		pages, err := f.Pages()
		if err != nil || len(pages) != 230 {
			t.Fatalf("%s: %d pages, %v", name, len(pages), err)
		}
		p, err := f.Page(177)
		if err != nil || p.Ref != pages[176].Ref {
			t.Errorf("%s: Page(177) = %v, %v", name, p.Ref, err)
		}
		if n, _ := f.Latest().NumPages(); n != 230 {
			t.Errorf("%s: NumPages %d", name, n)
		}
	}
}

// TestPagesUpTo checks that PagesUpTo(n) gives the first n pages of the walk, also where the
// tree's /Count is wrong, and does not read the tree beyond them (a cycle after page 1 is
// Pages' error, not PagesUpTo(1)'s).
func TestPagesUpTo(t *testing.T) {
	f := openBytes(t, genPDF(genOpts{nPages: 230, fanout: 7}))
	all, err := f.Pages()
	if err != nil || len(all) != 230 {
		t.Fatalf("%d pages, %v", len(all), err)
	}
	for _, n := range []int{1, 2, 7, 8, 50, 229, 230, 231, 0, -1} {
		got, err := f.Latest().PagesUpTo(n)
		want := all
		if n >= 1 && n < len(all) {
			want = all[:n]
		}
		if err != nil || len(got) != len(want) {
			t.Fatalf("PagesUpTo(%d): %d pages, %v; want %d", n, len(got), err, len(want))
		}
		for i := range want {
			if got[i].Ref != want[i].Ref || got[i].Number != want[i].Number || got[i].MediaBox != want[i].MediaBox {
				t.Errorf("PagesUpTo(%d)[%d] = %+v, want %+v", n, i, got[i], want[i])
			}
		}
	}
	b := genPDF(genOpts{nPages: 3})
	if !bytes.Contains(b, []byte("/Kids [4 0 R 6 0 R 8 0 R] /Count 3")) {
		t.Fatal("unexpected page tree layout")
	}
	for name, tree := range map[string]string{
		"cycle after page 1": "/Kids [4 0 R 2 0 R] /Count 3",
		"/Count 0":           "/Kids [4 0 R 6 0 R 8 0 R] /Count 0",
	} {
		f := openBytes(t, bytes.Replace(b, []byte("/Kids [4 0 R 6 0 R 8 0 R] /Count 3"), []byte(tree), 1))
		pages, err := f.Latest().PagesUpTo(1)
		if err != nil || len(pages) != 1 || pages[0].Ref != (Ref{Num: 4}) {
			t.Errorf("%s: PagesUpTo(1) = %+v, %v", name, pages, err)
		}
		if _, err := f.Pages(); (err != nil) != (name == "cycle after page 1") {
			t.Errorf("%s: Pages: %v", name, err)
		}
	}
}

func TestFields(t *testing.T) {
	f := openBytes(t, genPDF(genOpts{nPages: 2, form: true}))
	fs, err := f.Fields()
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].Name != "name" || fs[1].Name != "sig1" || !fs[1].IsSignature() || fs[0].Type != "Tx" {
		t.Fatalf("fields %+v", fs)
	}
	if v, _ := fs[0].Value.(String); v.Text() != "Zhang San" {
		t.Errorf("value %v", fs[0].Value)
	}
	w := fs[1].Widgets
	if len(w) != 1 || w[0].Page != 1 || !w[0].OnPageAnnots || w[0].Rect != (Rect{300, 100, 500, 160}) || w[0].PageRef.IsZero() {
		t.Errorf("widget %+v", w)
	}
	if fs[1].Value != nil {
		t.Error("empty signature field has a value")
	}
	if _, err := f.Latest().Field("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing field: %v", err)
	}
	// Hierarchical names and inherited /FT from the corpus (29 has 966 fields).
	g, err := OpenFile(corpusDir+"/files/29-allowed-form-filled-after-signing.pdf", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	gf, err := g.Fields()
	if err != nil {
		t.Fatal(err)
	}
	dotted, sigs := 0, 0
	for _, x := range gf {
		if strings.Contains(x.Name, ".") {
			dotted++
		}
		if x.IsSignature() {
			sigs++
		}
		if x.Type == "" {
			t.Errorf("field %q has no type", x.Name)
			break
		}
	}
	if dotted == 0 || sigs < 2 {
		t.Errorf("corpus 29: %d fields, %d qualified, %d signature fields", len(gf), dotted, sigs)
	}
}

func TestLexerTokens(t *testing.T) {
	src := "  12 -3.5 .5 +4 /Na#20me (lit \\(x\\) \\101\\\n end) <48 65 6C6C6F7> [ ] << >> true null % comment\n R 1.0.0 { }"
	lx := NewLexer(strings.NewReader(src), int64(len(src)), 0, 0)
	type tok struct {
		kind TokenKind
		raw  string
	}
	var got []Token
	for {
		tk, err := lx.Next()
		if err != nil {
			t.Fatal(err)
		}
		if tk.Kind == TokEOF {
			break
		}
		got = append(got, tk)
	}
	kinds := []TokenKind{TokInt, TokReal, TokReal, TokInt, TokName, TokString, TokHexString, TokArrayOpen, TokArrayClose, TokDictOpen, TokDictClose, TokKeyword, TokKeyword, TokKeyword, TokKeyword, TokBraceOpen, TokBraceClose}
	if len(got) != len(kinds) {
		t.Fatalf("%d tokens: %+v", len(got), got)
	}
	for i, k := range kinds {
		if got[i].Kind != k {
			t.Errorf("token %d: kind %d, want %d (%q)", i, got[i].Kind, k, src[got[i].Start:got[i].End])
		}
	}
	if got[1].Real != -3.5 || got[2].Real != 0.5 || got[3].Int != 4 {
		t.Errorf("numbers %v %v %v", got[1].Real, got[2].Real, got[3].Int)
	}
	if string(got[4].Value) != "Na me" {
		t.Errorf("name %q", got[4].Value)
	}
	if string(got[5].Value) != "lit (x) A end" {
		t.Errorf("literal %q", got[5].Value)
	}
	if string(got[6].Value) != "Hello\x70" {
		t.Errorf("hex %q", got[6].Value)
	}
	// Spans are exact.
	for _, tk := range got {
		if s := src[tk.Start:tk.End]; strings.TrimSpace(s) != s || s == "" {
			t.Errorf("token span %q", s)
		}
	}
	if src[got[6].Start:got[6].End] != "<48 65 6C6C6F7>" {
		t.Errorf("hex span %q", src[got[6].Start:got[6].End])
	}
}

func TestParseObjectsAndSpans(t *testing.T) {
	src := "7 0 obj\n<< /Type /Sig /Contents <00FF> /ByteRange [0 10 20 30] /Contents (dup) /Nested << /A [1 2 0 R] >> /R 612.0 >>\nendobj\n"
	lx := NewLexer(strings.NewReader(src), int64(len(src)), 0, 0)
	p := NewParser(lx, nil)
	obj, err := p.ParseIndirect()
	if err != nil {
		t.Fatal(err)
	}
	if obj.Ref != (Ref{7, 0}) || obj.Span.Start != 0 || src[obj.Span.End-6:obj.Span.End] != "endobj" {
		t.Errorf("ref %v span %v", obj.Ref, obj.Span)
	}
	d := obj.Value.(Dict)
	if c := d.Get("Contents").(String); string(c.Bytes) != "dup" || c.Hex {
		t.Errorf("last duplicate wins: %v", c)
	}
	if len(obj.DuplicateKeys) != 1 || obj.DuplicateKeys[0] != "Contents" {
		t.Errorf("duplicates %v", obj.DuplicateKeys)
	}
	if sp := obj.ValueSpans["ByteRange"]; src[sp.Start:sp.End] != "[0 10 20 30]" {
		t.Errorf("ByteRange span %q", src[sp.Start:sp.End])
	}
	a := d.Get("Nested").(Dict).Get("A").(Array)
	if a[1] != (Ref{2, 0}) || len(a) != 2 {
		t.Errorf("array with reference %v", a)
	}
	r := d.Get("R").(Real)
	if r.Text != "612.0" || !Equal(r, Int(612)) {
		t.Errorf("real %+v", r)
	}
	// Serialising and re-parsing gives an equal object.
	out, err := AppendObject(nil, d)
	if err != nil {
		t.Fatal(err)
	}
	back, err := NewParser(NewLexer(bytes.NewReader(out), int64(len(out)), 0, 0), nil).ParseObject()
	if err != nil || !Equal(back, d) {
		t.Errorf("round trip %s: %v", out, err)
	}
}

func TestParseStreams(t *testing.T) {
	data := "BT /F1 12 Tf ET"
	cases := map[string]string{
		"direct length": fmt.Sprintf("1 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj", len(data), data),
		"wrong length":  fmt.Sprintf("1 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj", len(data)+40, data),
		"no length":     fmt.Sprintf("1 0 obj\n<< >>\nstream\r\n%s\r\nendstream\nendobj", data),
	}
	for name, src := range cases {
		p := NewParser(NewLexer(strings.NewReader(src), int64(len(src)), 0, 0), nil)
		obj, err := p.ParseIndirect()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := obj.Value.(*Stream)
		if got := src[s.Offset : s.Offset+s.Length]; got != data {
			t.Errorf("%s: data %q", name, got)
		}
		if !strings.HasSuffix(src[:obj.Span.End], "endobj") {
			t.Errorf("%s: span end %d", name, obj.Span.End)
		}
	}
}

func deflate(b []byte) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

func TestFilters(t *testing.T) {
	plain := []byte("Hello, filters! Hello, filters! Hello, filters!")
	// PNG Up predictor over 4-byte rows.
	rows := [][]byte{{1, 2, 3, 4}, {2, 3, 4, 5}, {3, 4, 5, 6}}
	var png []byte
	var prev [4]byte
	for _, r := range rows {
		png = append(png, 2)
		for i := range r {
			png = append(png, r[i]-prev[i])
		}
		copy(prev[:], r)
	}
	cases := []struct {
		name   string
		raw    []byte
		filter Object
		parms  Object
		want   []byte
	}{
		{"flate", deflate(plain), Name("FlateDecode"), nil, plain},
		{"flate+png", deflate(png), Name("FlateDecode"), Dict{"Predictor": Int(12), "Columns": Int(4)}, bytes.Join(rows, nil)},
		{"ascii-hex", []byte("48656c6c6f>"), Name("ASCIIHexDecode"), nil, []byte("Hello")},
		{"ascii85", []byte("87cURD]i,\"Ebo80~>"), Name("ASCII85Decode"), nil, []byte("Hello World!")},
		{"chain", []byte(fmt.Sprintf("%X>", deflate(plain))), Array{Name("AHx"), Name("Fl")}, nil, plain},
		{"runlength", []byte{2, 'a', 'b', 'c', 254, 'z', 128}, Name("RunLengthDecode"), nil, []byte("abczzz")},
		{"lzw", []byte{0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01}, Name("LZWDecode"), nil, []byte{45, 45, 45, 45, 45, 65, 45, 45, 45, 66}},
	}
	for _, c := range cases {
		got, rest, err := DecodeFilters(c.raw, c.filter, c.parms, 1<<20)
		if err != nil || !bytes.Equal(got, c.want) || rest != nil {
			t.Errorf("%s: %q %v %v, want %q", c.name, got, rest, err, c.want)
		}
	}
	// LZW without early change round-trips through the standard library's encoder.
	var lz bytes.Buffer
	lw := stdlzw.NewWriter(&lz, stdlzw.MSB, 8)
	lw.Write(plain)
	lw.Close()
	if got, _, err := DecodeFilters(lz.Bytes(), Name("LZWDecode"), Dict{"EarlyChange": Int(0)}, 1<<20); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("LZW EarlyChange 0: %q %v", got, err)
	}
	// Image codecs pass through.
	got, rest, err := DecodeFilters(deflate([]byte("jpegdata")), Array{Name("FlateDecode"), Name("DCTDecode")}, nil, 1<<20)
	if err != nil || string(got) != "jpegdata" || len(rest) != 1 || rest[0] != "DCTDecode" {
		t.Errorf("pass-through: %q %v %v", got, rest, err)
	}
	// A decompression bomb stops at the limit and names it.
	bomb := deflate(make([]byte, 10<<20))
	_, _, err = DecodeFilters(bomb, Name("FlateDecode"), nil, 1<<20)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxStreamSize" || !errors.Is(err, ErrLimit) {
		t.Errorf("bomb: %v", err)
	}
}

func TestText(t *testing.T) {
	for _, s := range []string{"plain", "签名域一", "Ünïcödé"} {
		if got := EncodeText(s).Text(); got != s {
			t.Errorf("%q → %q", s, got)
		}
	}
	if got := DecodeText([]byte{0x80, 0x41, 0xA0}); got != "•A€" {
		t.Errorf("PDFDocEncoding %q", got)
	}
}
