package pdf

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writerInputs are files of every kind the writer must append to.
func writerInputs(t *testing.T) map[string][]byte {
	t.Helper()
	table := genPDF(genOpts{nPages: 3, form: true})
	in := map[string][]byte{
		"table":         table,
		"table-no-eol":  genPDF(genOpts{nPages: 2, noFinalEOL: true}),
		"pdf13":         genPDF(genOpts{version: "1.3", nPages: 1}),
		"xref-stream":   qpdfConvert(t, table, "--object-streams=generate"),
		"linearized":    qpdfConvert(t, table, "--linearize"),
		"linearized-os": qpdfConvert(t, table, "--linearize", "--object-streams=generate"),
		"pdf20":         qpdfConvert(t, table, "--object-streams=generate", "--force-version=2.0"),
		"pages-250":     genPDF(genOpts{nPages: 250}),
	}
	for _, name := range []string{"30-allowed-second-sig-structtree-update.pdf", "29-allowed-form-filled-after-signing.pdf", "14-valid-certified-p2-fieldmdp-legacy-sigref.pdf"} {
		b, err := os.ReadFile(filepath.Join(corpusDir, "files", name))
		if err != nil {
			t.Fatal(err)
		}
		in["corpus-"+name[:2]] = b
	}
	return in
}

func TestWriterRoundTrip(t *testing.T) {
	for name, orig := range writerInputs(t) {
		t.Run(name, func(t *testing.T) {
			f := openBytes(t, orig)
			before := f.Revisions()
			wantStream := before[len(before)-1].XRefStream
			style := map[string]bool{"table": false, "xref-stream": true, "pdf20": true, "linearized-os": true, "linearized": false, "corpus-29": true, "corpus-30": false}
			if want, listed := style[name]; listed && want != wantStream {
				t.Fatalf("input %s read as xref stream=%v", name, wantStream)
			}
			if name == "pdf20" && f.Latest().Version() != "2.0" {
				t.Errorf("version %q", f.Latest().Version())
			}
			if strings.HasPrefix(name, "linearized") && (!f.Linearized() || !before[0].Linearized || len(before) != 1) {
				t.Errorf("linearized input: %v, %d revisions", f.Linearized(), len(before))
			}
			cat, err := f.Catalog()
			if err != nil {
				t.Fatal(err)
			}
			catRef, _ := f.Latest().Trailer().Get("Root").(Ref)
			u := f.NewUpdate()
			sig := u.Add(Dict{
				"Type":      Name("Sig"),
				"Filter":    Name("Adobe.PPKLite"),
				"SubFilter": Name("ETSI.CAdES.detached"),
				"Contents":  HexPlaceholder("contents", 64),
				"ByteRange": ByteRangePlaceholder("byterange"),
				"M":         String{Bytes: []byte("D:20260101120000Z")},
			})
			ap := u.Add(&Stream{Dict: Dict{"Type": Name("XObject"), "Subtype": Name("Form"), "BBox": Rect{0, 0, 100, 50}.Array()}, Data: []byte("q 1 0 0 RG 0 0 100 50 re S Q")})
			newCat := cat.Clone()
			newCat["SealDeskTest"] = Array{sig, ap}
			if err := u.Set(catRef, newCat); err != nil {
				t.Fatal(err)
			}
			section, l, err := u.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			// AppendTo writes the same bytes, into the given memory when it is large enough
			// (whatever it held before) and into new memory otherwise.
			for _, n := range []int{0, 16, len(section) + 8<<10} {
				buf := bytes.Repeat([]byte{'x'}, n)
				got, _, err := u.AppendTo(buf)
				if err != nil || !bytes.Equal(got, section) {
					t.Fatalf("AppendTo with %d bytes: %v, bytes differ from Bytes", n, err)
				}
				if inPlace := n > 0 && &got[0] == &buf[0]; inPlace != (n > len(section)) {
					t.Errorf("AppendTo with %d bytes for %d: written in place %v", n, len(section), inPlace)
				}
			}
			if noEOL := orig[len(orig)-1] != '\n' && orig[len(orig)-1] != '\r'; noEOL != (section[0] == '\n') || (!noEOL && (section[0] < '1' || section[0] > '9')) {
				t.Errorf("original ends with %q, section starts with %q", orig[len(orig)-1], section[0])
			}
			if l.Start != int64(len(orig)) || l.End != l.Start+int64(len(section)) {
				t.Fatalf("layout start %d end %d, original %d, section %d", l.Start, l.End, len(orig), len(section))
			}
			// Patch the placeholders as a signer would.
			cs := l.Placeholders["contents"]
			end := l.End
			br, err := FormatByteRange([4]int64{0, cs.Start, cs.End, end - cs.End}, ByteRangeWidth)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Patch(section, "byterange", br); err != nil {
				t.Fatal(err)
			}
			sigHex := bytes.Repeat([]byte("AB"), 64)
			if err := l.Patch(section, "contents", append(append([]byte("<"), sigHex...), '>')); err != nil {
				t.Fatal(err)
			}
			out := append(append([]byte{}, orig...), section...)
			if !bytes.Equal(out[:len(orig)], orig) {
				t.Fatal("original bytes changed")
			}
			// Re-open and see the new revision.
			g := openBytes(t, out)
			revs := g.Revisions()
			if len(revs) != len(before)+1 {
				t.Fatalf("%d revisions after update, want %d", len(revs), len(before)+1)
			}
			nr := revs[len(revs)-1]
			if nr.XRefStream != wantStream {
				t.Errorf("new section stream=%v, want the file's own style %v", nr.XRefStream, wantStream)
			}
			if nr.End != int64(len(out)) || len(nr.Anomalies) > 0 {
				t.Errorf("new revision end %d (file %d), anomalies %v", nr.End, len(out), nr.Anomalies)
			}
			if !containsInt(nr.Defined, sig.Num) || !containsInt(nr.Defined, ap.Num) || !containsInt(nr.Changed, catRef.Num) {
				t.Errorf("defined %v changed %v", nr.Defined, nr.Changed)
			}
			sd := g.Latest().Dict(sig)
			if !IsSigDict(sd) {
				t.Fatalf("signature dictionary not readable: %v", sd)
			}
			ind, _, err := g.Latest().Indirect(sig)
			if err != nil {
				t.Fatal(err)
			}
			if ind.ValueSpans["Contents"] != cs {
				t.Errorf("/Contents at %v, layout says %v", ind.ValueSpans["Contents"], cs)
			}
			brv, _ := sd.Get("ByteRange").(Array)
			if len(brv) != 4 {
				t.Fatalf("ByteRange %v", brv)
			}
			if c, _ := sd.Get("Contents").(String); !bytes.Equal(c.Bytes, bytes.Repeat([]byte{0xAB}, 64)) {
				t.Errorf("contents %x", c.Bytes)
			}
			if s, ok := g.Latest().resolved(ap).(*Stream); !ok {
				t.Error("appearance stream missing")
			} else if d, err := g.StreamData(s); err != nil || string(d) != "q 1 0 0 RG 0 0 100 50 re S Q" {
				t.Errorf("appearance data %q %v", d, err)
			}
			// The old view still shows the old catalog.
			if old := g.View(len(revs) - 2).Dict(catRef); old == nil || old.Get("SealDeskTest") != nil {
				t.Error("previous revision's catalog changed")
			}
			n0, _ := f.Latest().NumPages()
			if n1, err := g.Latest().NumPages(); err != nil || n1 != n0 {
				t.Errorf("pages %d → %d (%v)", n0, n1, err)
			}
			checkWithTools(t, out)
		})
	}
}

// checkWithTools runs qpdf --check and pdfinfo on b.
func checkWithTools(t *testing.T, b []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "out.pdf")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	q := needTool(t, "qpdf")
	out, err := exec.Command(q, "--check", p).CombinedOutput()
	if err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, out)
	} else if strings.Contains(string(out), "WARNING") {
		t.Errorf("qpdf --check warnings:\n%s", out)
	}
	pi := needTool(t, "pdfinfo")
	if out, err := exec.Command(pi, p).CombinedOutput(); err != nil {
		t.Errorf("pdfinfo: %v\n%s", err, out)
	}
}

func TestWriterSecondUpdate(t *testing.T) {
	orig := genPDF(genOpts{nPages: 1})
	f := openBytes(t, orig)
	u := f.NewUpdate()
	a := u.Add(Dict{"K": Int(1)})
	s1, _, err := u.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b1 := append(append([]byte{}, orig...), s1...)
	g := openBytes(t, b1)
	u2 := g.NewUpdate()
	b := u2.Add(Dict{"K": Int(2)})
	if b.Num != a.Num+1 {
		t.Errorf("second update allocated %d after %d", b.Num, a.Num)
	}
	if err := u2.Set(a, Dict{"K": Int(3)}); err != nil {
		t.Fatal(err)
	}
	s2, _, err := u2.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b2 := append(append([]byte{}, b1...), s2...)
	h := openBytes(t, b2)
	if len(h.Revisions()) != 3 {
		t.Fatalf("%d revisions", len(h.Revisions()))
	}
	if v := h.View(1).Dict(a).Get("K"); !Equal(v, Int(1)) {
		t.Errorf("revision 1 sees K=%v", v)
	}
	if v := h.Latest().Dict(a).Get("K"); !Equal(v, Int(3)) {
		t.Errorf("latest sees K=%v", v)
	}
	// /ID keeps its first element and changes the second.
	id0 := f.Latest().Trailer().Get("ID").(Array)
	id2 := h.Latest().Trailer().Get("ID").(Array)
	if !Equal(id0[0], id2[0]) || Equal(id0[1], id2[1]) {
		t.Errorf("ID %v → %v", id0, id2)
	}
	checkWithTools(t, b2)
}

func TestWriterRefusals(t *testing.T) {
	orig := genPDF(genOpts{nPages: 1})
	f := openBytes(t, orig)
	if err := f.NewUpdate().Set(Ref{Num: 999}, Null{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("set of a missing object: %v", err)
	}
	if err := f.NewUpdate().Set(Ref{Num: 1, Gen: 3}, Null{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("set with a wrong generation: %v", err)
	}
	u := f.NewUpdate()
	u.Reserve()
	if _, _, err := u.Bytes(); err == nil {
		t.Error("an unset reserved object must be an error")
	}
	if _, _, err := f.NewUpdate().Bytes(); err == nil {
		t.Error("an empty update must be an error")
	}
	// Junk after %%EOF: appending would hide it inside our revision.
	junk := append(append([]byte{}, orig...), "1 0 obj << /Evil true >> endobj\n"...)
	g := openBytes(t, junk)
	u = g.NewUpdate()
	u.Add(Int(1))
	if _, _, err := u.Bytes(); !errors.Is(err, ErrUnsafeAppend) {
		t.Errorf("junk tail: %v", err)
	}
	// A broken chain that had to be reconstructed.
	b, err := os.ReadFile(filepath.Join(corpusDir, "files", "20-isa-B-empty-xref-keyword.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	g = openBytes(t, b)
	u = g.NewUpdate()
	u.Add(Int(1))
	if _, _, err := u.Bytes(); !errors.Is(err, ErrUnsafeAppend) {
		t.Errorf("reconstructed file: %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "doc.pdf")
	orig := genPDF(genOpts{nPages: 1})
	if err := os.WriteFile(p, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := f.NewUpdate()
	u.Add(Dict{"A": Bool(true)})
	sec, _, err := u.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "signed.pdf")
	if err := WriteFileAtomic(out, f, sec); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, append(append([]byte{}, orig...), sec...)) {
		t.Error("output is not original + section")
	}
	if again, _ := os.ReadFile(p); !bytes.Equal(again, orig) {
		t.Error("input changed")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("temp files left: %v", ents)
	}
	// A failing destination leaves nothing behind.
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x.pdf"), f, sec); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}
