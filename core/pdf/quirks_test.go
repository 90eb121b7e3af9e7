package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestEncryptedRefused(t *testing.T) {
	plain := genPDF(genOpts{nPages: 1})
	cases := map[string][]string{
		"rc4-128": {"--allow-weak-crypto", "--encrypt", "user", "owner", "128", "--use-aes=n", "--"},
		"aes-128": {"--encrypt", "user", "owner", "128", "--use-aes=y", "--"},
		"aes-256": {"--encrypt", "", "owner", "256", "--"},
	}
	for name, args := range cases {
		b := qpdfConvert(t, plain, args...)
		_, err := Open(bytes.NewReader(b), int64(len(b)), nil)
		if !errors.Is(err, ErrEncrypted) {
			t.Errorf("%s: %v, want ErrEncrypted", name, err)
		}
	}
}

func TestQuirks(t *testing.T) {
	base := genPDF(genOpts{nPages: 2, form: true})
	xref := bytes.LastIndex(base, []byte("\nxref\n")) + 1
	sx := fmt.Sprintf("startxref\n%d\n", xref)
	cases := map[string]func([]byte) []byte{
		// startxref off by a few bytes.
		"startxref-off": func(b []byte) []byte {
			return bytes.Replace(b, []byte(sx), []byte(fmt.Sprintf("startxref\n%d\n", xref-3)), 1)
		},
		// An object's xref offset off by a few bytes.
		"object-offset-off": func(b []byte) []byte {
			i := bytes.Index(b[xref:], []byte(" 00000 n")) + xref // entry for object 1
			e := string(b[i-10 : i])
			var off int
			fmt.Sscanf(e, "%d", &off)
			return bytes.Replace(b, []byte(e+" 00000 n"), []byte(fmt.Sprintf("%010d 00000 n", off+2)), 1)
		},
		// No end-of-line after %%EOF.
		"no-final-eol": func(b []byte) []byte { return bytes.TrimRight(b, "\n") },
		// CRLF line ends in the table and trailer.
		"crlf": func(b []byte) []byte {
			head, tail := b[:xref], b[xref:]
			return append(append([]byte{}, head...), bytes.ReplaceAll(tail, []byte(" \n"), []byte("\r\n"))...)
		},
		// A subsection header "1 N" for a table that starts with entry 0.
		"subsection-from-1": func(b []byte) []byte {
			return bytes.Replace(b, []byte("xref\n0 "), []byte("xref\n1 "), 1)
		},
		// Trailing white space after %%EOF.
		"trailing-space": func(b []byte) []byte { return append(append([]byte{}, b...), "\n\n  \n"...) },
		// Missing startxref number leads to reconstruction.
		"no-xref-at-all": func(b []byte) []byte {
			return bytes.Replace(b, []byte(sx), []byte("startxref\n999999\n"), 1)
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			b := mutate(append([]byte{}, base...))
			if bytes.Equal(b, base) {
				t.Fatal("mutation did nothing")
			}
			f := openBytes(t, b)
			pages, err := f.Pages()
			if err != nil || len(pages) != 2 {
				t.Fatalf("pages %d %v", len(pages), err)
			}
			fs, err := f.Fields()
			if err != nil || len(fs) != 2 {
				t.Fatalf("fields %d %v", len(fs), err)
			}
			r := f.Revisions()[0]
			switch name {
			case "no-final-eol":
				if r.End != int64(len(b)) || r.EOF != int64(len(b)-5) {
					t.Errorf("end %d eof %d size %d", r.End, r.EOF, len(b))
				}
			case "trailing-space":
				if sp, junk := f.Tail(); junk || sp.Len() != 5 {
					t.Errorf("tail %v junk %v", sp, junk)
				}
			case "startxref-off", "subsection-from-1":
				if len(r.Anomalies) == 0 {
					t.Error("anomaly not reported")
				}
			case "no-xref-at-all":
				if !f.Reconstructed() {
					t.Error("not reconstructed")
				}
			}
		})
	}
}

// A hybrid file: a classic table for old readers plus /XRefStm naming objects that live in an
// object stream.
func TestHybrid(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n")
	off := map[int]int{}
	obj := func(n int, body string) {
		off[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	// Object 3 (the page) and 4 (its resources) live in object stream 5.
	members := "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 300] /Resources 4 0 R >> << /ProcSet [/PDF] >>"
	hdr := fmt.Sprintf("3 0 4 %d ", strings.Index(members, " << /ProcSet")+1)
	stm := hdr + members
	obj(5, fmt.Sprintf("<< /Type /ObjStm /N 2 /First %d /Length %d >>\nstream\n%s\nendstream", len(hdr), len(stm), stm))
	// The xref stream lists 3 and 4 as compressed.
	rows := []byte{2, 0, 0, 5, 0, 2, 0, 0, 5, 1}
	xs := b.Len()
	obj(6, fmt.Sprintf("<< /Type /XRef /Size 7 /W [1 3 1] /Index [3 2] /Length %d >>\nstream\n%s\nendstream", len(rows), rows))
	xref := b.Len()
	b.WriteString("xref\n0 3\n0000000000 65535 f \n")
	fmt.Fprintf(&b, "%010d 00000 n \n%010d 00000 n \n", off[1], off[2])
	fmt.Fprintf(&b, "5 2\n%010d 00000 n \n%010d 00000 n \n", off[5], off[6])
	fmt.Fprintf(&b, "trailer\n<< /Size 7 /Root 1 0 R /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n", xs, xref)
	f := openBytes(t, b.Bytes())
	r := f.Revisions()[0]
	if !r.Hybrid || r.XRefStream {
		t.Errorf("hybrid %v stream %v", r.Hybrid, r.XRefStream)
	}
	p, err := f.Page(1)
	if err != nil || p.MediaBox != (Rect{0, 0, 200, 300}) {
		t.Fatalf("page %+v %v", p, err)
	}
	if res := f.Latest().Dict(p.Resources); res == nil || res.Get("ProcSet") == nil {
		t.Errorf("resources %v", res)
	}
	// The writer answers with a table (old readers must still see it).
	u := f.NewUpdate()
	u.Add(Dict{"X": Int(1)})
	sec, _, err := u.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	g := openBytes(t, append(b.Bytes(), sec...))
	if nr := g.Revisions()[1]; nr.XRefStream {
		t.Error("update of a hybrid file wrote an xref stream")
	}
	if _, err := g.Page(1); err != nil {
		t.Error(err)
	}
	checkWithTools(t, append(b.Bytes(), sec...))
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("[", 300) + strings.Repeat("]", 300)
	p := NewParser(NewLexer(strings.NewReader(deep), int64(len(deep)), 0, 0), nil)
	_, err := p.ParseObject()
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxDepth" {
		t.Errorf("deep nesting: %v", err)
	}
	// A string longer than MaxObjectSize.
	long := "(" + strings.Repeat("a", 5000) + ")"
	p = NewParser(NewLexer(strings.NewReader(long), int64(len(long)), 0, 1000), nil)
	if _, err := p.ParseObject(); !errors.As(err, &le) || le.Limit != "MaxObjectSize" {
		t.Errorf("long string: %v", err)
	}
	// Too many revisions.
	b := genPDF(genOpts{nPages: 1})
	for i := 0; i < 5; i++ {
		f := openBytes(t, b)
		u := f.NewUpdate()
		u.Add(Int(i))
		sec, _, err := u.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, sec...)
	}
	if _, err := Open(bytes.NewReader(b), int64(len(b)), &Options{Limits: Limits{MaxRevisions: 3}}); !errors.As(err, &le) || le.Limit != "MaxRevisions" {
		t.Errorf("revisions: %v", err)
	}
	if f, err := Open(bytes.NewReader(b), int64(len(b)), nil); err != nil || len(f.Revisions()) != 6 {
		t.Errorf("6 revisions: %v", err)
	}
	// A huge /Size or subsection count.
	huge := bytes.Replace(genPDF(genOpts{nPages: 1}), []byte("xref\n0 "), []byte("xref\n0 99999999"), 1)
	if _, err := Open(bytes.NewReader(huge), int64(len(huge)), nil); err == nil {
		t.Error("absurd xref subsection accepted")
	}
	// Decoded stream size.
	bomb := deflate(make([]byte, 4<<20))
	src := fmt.Sprintf("%%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Bomb 3 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n3 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", len(bomb))
	var body bytes.Buffer
	body.WriteString(src)
	body.Write(bomb)
	body.WriteString("\nendstream\nendobj\n")
	x := body.Len()
	fmt.Fprintf(&body, "xref\n0 4\n0000000000 65535 f \n%010d 00000 n \n%010d 00000 n \n%010d 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n",
		9, strings.Index(src, "2 0 obj"), strings.Index(src, "3 0 obj"), x)
	f, err := Open(bytes.NewReader(body.Bytes()), int64(body.Len()), &Options{Limits: Limits{MaxStreamSize: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.Object(Ref{Num: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.StreamData(o.(*Stream)); !errors.As(err, &le) || le.Limit != "MaxStreamSize" {
		t.Errorf("bomb: %v", err)
	}
}

func TestUnlistedObjects(t *testing.T) {
	orig := genPDF(genOpts{nPages: 1})
	f := openBytes(t, orig)
	u := f.NewUpdate()
	u.Add(Dict{"Listed": Bool(true)})
	sec, _, err := u.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// Smuggle an object into the update before its xref section; its offset is listed nowhere.
	i := bytes.Index(sec, []byte("xref\n"))
	evil := []byte("4 0 obj\n<< /Type /Page /Evil true >>\nendobj\n")
	b := append(append([]byte{}, orig...), sec[:i]...)
	b = append(b, evil...)
	// The section's own offsets stay right because the smuggled object comes after them; only
	// startxref has to move.
	rest := bytes.Replace(sec[i:], []byte(fmt.Sprintf("startxref\n%d\n", int64(len(orig))+int64(i))), []byte(fmt.Sprintf("startxref\n%d\n", int64(len(orig))+int64(i)+int64(len(evil)))), 1)
	b = append(b, rest...)
	g := openBytes(t, b)
	for k := range g.Revisions() {
		un, err := g.UnlistedObjects(k)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 && len(un) != 0 {
			t.Errorf("revision 0: %v", un)
		}
		if k == 1 && (len(un) != 1 || un[0].Ref.Num != 4) {
			t.Errorf("revision 1: %v", un)
		}
	}
	// Stream data that looks like an object header is not reported.
	c, err := OpenFile(filepath.Join(corpusDir, "files", "29-allowed-form-filled-after-signing.pdf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for k := range c.Revisions() {
		if un, _ := c.UnlistedObjects(k); len(un) != 0 {
			t.Errorf("corpus 29 revision %d: %v", k, un)
		}
	}
}

// objStmBuilder writes the small object-stream documents of the tests below: a catalog (1),
// an empty page tree (2) and object 3 inside object stream 5, listed by an xref stream.
type objStmBuilder struct {
	b   bytes.Buffer
	off map[int]int
}

func (o *objStmBuilder) obj(n int, body string) {
	o.off[n] = o.b.Len()
	fmt.Fprintf(&o.b, "%d 0 obj\n%s\nendobj\n", n, body)
}

// objstm is object stream 5's body holding object 3 as << /V (v) >>.
func objstm(v string) string {
	m := fmt.Sprintf("<< /V (%s) >>", v)
	return fmt.Sprintf("<< /Type /ObjStm /N 1 /First 4 /Length %d >>\nstream\n3 0 %s\nendstream", 4+len(m), m)
}

func xrefRow(typ byte, a, c int) []byte {
	return []byte{typ, byte(a >> 16), byte(a >> 8), byte(a), byte(c)}
}

func (o *objStmBuilder) xrefstm(n int, index string, rows []byte, extra string) {
	o.obj(n, fmt.Sprintf("<< /Type /XRef /Size 8 /W [1 3 1] /Index [%s] /Root 1 0 R /Length %d%s >>\nstream\n%s\nendstream", index, len(rows), extra, rows))
}

// first writes revision 1 (object 3 = << /V (A) >> in stream 5) and returns its xref offset.
func (o *objStmBuilder) first() int {
	o.off = map[int]int{}
	o.b.WriteString("%PDF-1.5\n")
	o.obj(1, "<< /Type /Catalog /Pages 2 0 R /Probe 3 0 R >>")
	o.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	o.obj(5, objstm("A"))
	x1 := o.b.Len()
	var rows []byte
	rows = append(rows, xrefRow(1, o.off[1], 0)...)
	rows = append(rows, xrefRow(1, o.off[2], 0)...)
	rows = append(rows, xrefRow(2, 5, 0)...)
	rows = append(rows, xrefRow(1, o.off[5], 0)...)
	rows = append(rows, xrefRow(1, x1, 0)...)
	o.xrefstm(6, "1 3 5 2", rows, "")
	fmt.Fprintf(&o.b, "startxref\n%d\n%%%%EOF\n", x1)
	return x1
}

// A later revision may redefine an object stream under the same number; each view must see
// its own version of the objects inside (the shadow-attack shape with object streams).
func TestObjStmRedefined(t *testing.T) {
	var o objStmBuilder
	x1 := o.first()
	o.obj(5, objstm("B"))
	x2 := o.b.Len()
	var rows []byte
	rows = append(rows, xrefRow(2, 5, 0)...)
	rows = append(rows, xrefRow(1, o.off[5], 0)...)
	rows = append(rows, xrefRow(1, x2, 0)...)
	o.xrefstm(7, "3 1 5 1 7 1", rows, fmt.Sprintf(" /Prev %d", x1))
	fmt.Fprintf(&o.b, "startxref\n%d\n%%%%EOF\n", x2)
	f := openBytes(t, o.b.Bytes())
	if len(f.Revisions()) != 2 {
		t.Fatalf("%d revisions", len(f.Revisions()))
	}
	for _, order := range [][]int{{1, 0}, {0, 1}} {
		for _, k := range order {
			d := f.View(k).Dict(Ref{Num: 3})
			want := []string{"A", "B"}[k]
			if v, _ := d.Get("V").(String); string(v.Bytes) != want {
				t.Errorf("revision %d sees /V %q, want %q", k, v.Bytes, want)
			}
		}
	}
	if !containsInt(f.Revisions()[1].Changed, 3) || !containsInt(f.Revisions()[1].Changed, 5) {
		t.Errorf("changed %v", f.Revisions()[1].Changed)
	}
}

// A revision that redefines only an object stream (its xref lists the stream, not the objects
// inside) still changes those objects: they are in its Changed list, so the change analysis
// judges them (the red team replaced the page tree and a font this way, judged "no changes").
func TestObjStmReplacedAlone(t *testing.T) {
	var o objStmBuilder
	x1 := o.first()
	// The update: a new object stream 5 and a classic table that lists only object 5.
	o.obj(5, objstm("B"))
	x2 := o.b.Len()
	fmt.Fprintf(&o.b, "xref\n5 1\n%010d 00000 n \ntrailer\n<< /Size 8 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", o.off[5], x1, x2)
	f := openBytes(t, o.b.Bytes())
	if len(f.Revisions()) != 2 {
		t.Fatalf("%d revisions", len(f.Revisions()))
	}
	if d := f.View(1).Dict(Ref{Num: 3}); d == nil {
		t.Fatal("object 3 unreadable in revision 2")
	} else if v, _ := d.Get("V").(String); string(v.Bytes) != "B" {
		t.Fatalf("revision 2 sees /V %q", v.Bytes)
	}
	if ch := f.Revisions()[1].Changed; !containsInt(ch, 3) || !containsInt(ch, 5) {
		t.Errorf("changed %v: object 3 changed with its stream", ch)
	}
}
