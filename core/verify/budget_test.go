package verify

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// The budget test: for every limit of pdf.Limits (and verify's MaxFileSize) a generator builds a
// hostile file just over it and a harmless twin just under it. The hostile file must end in a
// *pdf.LimitError naming that limit, the twin in a report; each within 2 s of CPU and within the file
// size + 64 MB of heap (the peak of HeapInuse above the baseline, sampled every 2 ms while it
// runs under a Go memory limit of that much, as GOMEMLIMIT would set it).
//
// The limits are verify's defaults except where a default would need a file of hundreds of
// megabytes to cross (MaxObjectSize 64 MiB, MaxFileSize 1 GiB): those rows lower the one limit
// they test, which exercises the same code path.

const (
	budgetTime = 2 * time.Second
	budgetHeap = 64 << 20
)

// rawDoc writes a PDF by hand: numbered objects, then one classic xref table per call to
// section.
type rawDoc struct {
	b    bytes.Buffer
	offs map[int]int
	prev int // offset of the last xref section, -1 before the first
	size int
}

func newRawDoc() *rawDoc {
	d := &rawDoc{offs: map[int]int{}, prev: -1}
	d.b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return d
}

func (d *rawDoc) obj(n int, body string) {
	d.offs[n] = d.b.Len()
	fmt.Fprintf(&d.b, "%d 0 obj\n%s\nendobj\n", n, body)
	d.size = max(d.size, n+1)
}

func (d *rawDoc) stream(n int, dict string, data []byte) {
	d.offs[n] = d.b.Len()
	fmt.Fprintf(&d.b, "%d 0 obj\n<<%s/Length %d>>stream\n", n, dict, len(data))
	d.b.Write(data)
	d.b.WriteString("\nendstream\nendobj\n")
	d.size = max(d.size, n+1)
}

// section writes an xref table for the objects written since the last one, and a trailer.
func (d *rawDoc) section(extraTrailer string) {
	x := d.b.Len()
	d.b.WriteString("xref\n")
	if d.prev < 0 {
		d.b.WriteString("0 1\n0000000000 65535 f \n")
	}
	for n := 1; n < d.size; n++ {
		if off, ok := d.offs[n]; ok {
			fmt.Fprintf(&d.b, "%d 1\n%010d 00000 n \n", n, off)
		}
	}
	fmt.Fprintf(&d.b, "trailer\n<</Size %d/Root 1 0 R%s", d.size, extraTrailer)
	if d.prev >= 0 {
		fmt.Fprintf(&d.b, "/Prev %d", d.prev)
	}
	fmt.Fprintf(&d.b, ">>\nstartxref\n%d\n%%%%EOF\n", x)
	d.prev = x
	clear(d.offs)
}

func (d *rawDoc) bytes() []byte { return d.b.Bytes() }

// lastStartXRef returns the number after the last "startxref" of b.
func lastStartXRef(b []byte) int {
	i := bytes.LastIndex(b, []byte("startxref"))
	n, _ := strconv.Atoi(strings.Fields(string(b[i+len("startxref"):]))[0])
	return n
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	w, _ := zlib.NewWriterLevel(&out, zlib.BestCompression)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// minimal writes catalog 1, pages 2, page 3 with an empty content stream 4.
func (d *rawDoc) minimal(acroForm string) {
	d.obj(1, "<</Type/Catalog/Pages 2 0 R"+acroForm+">>")
	d.obj(2, "<</Type/Pages/Kids[3 0 R]/Count 1>>")
	d.obj(3, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R>>")
	d.stream(4, "", []byte("0 0 m"))
}

// xrefStreams appends n xref-stream sections, each listing count free entries (one byte per
// row, compressed) for object numbers from 1000 on.
func xrefStreams(base []byte, n, count int) []byte {
	var b bytes.Buffer
	b.Write(base)
	prevOff := lastStartXRef(base)
	rows := deflate(make([]byte, count))
	for i := 0; i < n; i++ {
		x := b.Len()
		num := 900 + i
		fmt.Fprintf(&b, "%d 0 obj\n<</Type/XRef/Size %d/W[1 0 0]/Index[1000 %d]/Root 1 0 R/Prev %d/Filter/FlateDecode/Length %d>>stream\n",
			num, 1000+count, count, prevOff, len(rows))
		b.Write(rows)
		fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", x)
		prevOff = x
	}
	return b.Bytes()
}

// predictorXRef appends one object and an xref stream whose n rows all name it, PNG-Up
// predicted so that the rows compress to almost nothing: a few kilobytes list n entries
// (red team s9 F11, gen/manyxref.py).
func predictorXRef(base []byte, n int) []byte {
	var b bytes.Buffer
	b.Write(base)
	prevOff := lastStartXRef(base)
	size := 1000
	if m := regexp.MustCompile(`/Size (\d+)`).FindAllSubmatch(base, -1); len(m) > 0 {
		size, _ = strconv.Atoi(string(m[len(m)-1][1]))
	}
	off := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n[0]\nendobj\n", size)
	x := b.Len()
	raw := make([]byte, 0, 7*(n+1))
	prev := make([]byte, 6)
	for i := 0; i <= n; i++ {
		row := []byte{1, byte(off >> 24), byte(off >> 16), byte(off >> 8), byte(off), 0}
		if i == n {
			row = []byte{1, byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x), 0}
		}
		raw = append(raw, 2)
		for j := range row {
			raw = append(raw, row[j]-prev[j])
		}
		prev = row
	}
	rows := deflate(raw)
	fmt.Fprintf(&b, "%d 0 obj\n<</Type/XRef/Size %d/Root 1 0 R/Prev %d/W[1 4 1]/Index[%d %d]/DecodeParms<</Predictor 12/Columns 6>>/Filter/FlateDecode/Length %d>>stream\n",
		size+n, size+n+1, prevOff, size, n+1, len(rows))
	b.Write(rows)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", x)
	return b.Bytes()
}

// emptySections appends n incremental updates with an empty xref table each.
func emptySections(base []byte, n int) []byte {
	var b bytes.Buffer
	b.Write(base)
	prevOff := lastStartXRef(base)
	for i := 0; i < n; i++ {
		x := b.Len()
		fmt.Fprintf(&b, "xref\n0 0\ntrailer\n<</Size 5/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", prevOff, x)
		prevOff = x
	}
	return b.Bytes()
}

// objStmDoc puts the AcroForm's fields 10, 11, … into object streams: streams object streams
// each declaring n objects (the field first, then nulls) and decoding to pad bytes at least.
func objStmDoc(streams, n, pad int) []byte {
	d := newRawDoc()
	var fields []string
	for s := 0; s < streams; s++ {
		fields = append(fields, fmt.Sprintf("%d 0 R", 10+s))
	}
	d.minimal("/AcroForm<</Fields[" + strings.Join(fields, " ") + "]>>")
	type cEntry struct{ stm, idx int }
	comp := map[int]cEntry{}
	nextNum := 10 + streams
	for s := 0; s < streams; s++ {
		var hdr, body bytes.Buffer
		nums := []int{10 + s}
		for i := 1; i < n; i++ {
			nums = append(nums, nextNum)
			nextNum++
		}
		for i, num := range nums {
			fmt.Fprintf(&hdr, "%d %d ", num, body.Len())
			if i == 0 {
				fmt.Fprintf(&body, "<</FT/Tx/T(f%d)/V(x)>> ", s)
			} else {
				body.WriteString("null ")
			}
			comp[num] = cEntry{1000 + s, i}
		}
		if body.Len() < pad {
			body.Write(bytes.Repeat([]byte{' '}, pad-body.Len()))
		}
		data := append(hdr.Bytes(), body.Bytes()...)
		d.stream(1000+s, fmt.Sprintf("/Type/ObjStm/N %d/First %d/Filter/FlateDecode", len(nums), hdr.Len()), deflate(data))
	}
	// An xref stream lists the uncompressed and the compressed objects.
	size := max(nextNum, 1000+streams) + 1
	rows := make([]byte, 0, size*7)
	row := func(t byte, f2 uint32, f3 uint16) {
		rows = append(rows, t, byte(f2>>24), byte(f2>>16), byte(f2>>8), byte(f2), byte(f3>>8), byte(f3))
	}
	x := d.b.Len()
	for num := 0; num < size; num++ {
		switch {
		case num == 0:
			row(0, 0, 65535)
		case d.offs[num] > 0:
			row(1, uint32(d.offs[num]), 0)
		case comp[num].stm > 0:
			row(2, uint32(comp[num].stm), uint16(comp[num].idx))
		case num == size-1:
			row(1, uint32(x), 0)
		default:
			row(0, 0, 0)
		}
	}
	z := deflate(rows)
	fmt.Fprintf(&d.b, "%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Root 1 0 R/Filter/FlateDecode/Length %d>>stream\n", size-1, size, len(z))
	d.b.Write(z)
	fmt.Fprintf(&d.b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", x)
	return d.bytes()
}

// manySignatures appends to a signed document n signature fields whose dictionaries repeat
// the real signature's /ByteRange and /Contents in their own bytes (so every gap overlaps).
func manySignatures(t testing.TB, signed []byte, n int) []byte {
	t.Helper()
	f, err := pdf.Open(bytes.NewReader(signed), int64(len(signed)), nil)
	if err != nil {
		t.Fatal(err)
	}
	sigs, _, err := f.FindSigDicts()
	if err != nil || len(sigs) == 0 {
		t.Fatalf("no signature in the base: %v", err)
	}
	br := sigs[0].Dict.Get("ByteRange")
	contents := sigs[0].Dict.Get("Contents").(pdf.String)
	_ = contents
	return update(t, signed, func(u *pdf.Update, v *pdf.View) {
		cat := v.Dict(rootOf(v)).Clone()
		form := v.Dict(cat.Get("AcroForm")).Clone()
		old, _ := v.Resolve(form.Get("Fields"))
		fields := append(pdf.Array{}, old.(pdf.Array)...)
		for i := 0; i < n; i++ {
			sd := u.Add(pdf.Dict{"Type": pdf.Name("Sig"), "Filter": pdf.Name("Adobe.PPKLite"), "SubFilter": pdf.Name("ETSI.CAdES.detached"),
				"ByteRange": br, "Contents": pdf.String{Bytes: []byte(fmt.Sprintf("copy %d", i)), Hex: true}})
			fields = append(fields, u.Add(pdf.Dict{"FT": pdf.Name("Sig"), "T": pdf.String{Bytes: []byte(fmt.Sprintf("X%d", i))}, "V": sd}))
		}
		form["Fields"] = fields
		cat["AcroForm"] = form
		u.Set(rootOf(v), cat)
	})
}

type budgetCase struct {
	name    string
	limit   string // the LimitError's Limit, "" for the twin that must verify
	data    func(t testing.TB) []byte
	opts    *Options
	check   func(t testing.TB, rep *Report)
	maxTime time.Duration
}

// peakHeap runs fn while sampling HeapInuse and returns the peak above the level before it.
// The Go memory limit is set to that level + allow during fn (as GOMEMLIMIT would be), so the
// collector runs before garbage piles up: the peak is what fn needs, and a need above allow
// still shows (the limit is soft).
func peakHeap(allow int64, fn func()) uint64 {
	debug.FreeOSMemory() // a GC, and idle memory returned: the limit below counts what is in use
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	old := debug.SetMemoryLimit(int64(ms.Sys-ms.HeapReleased) + allow)
	defer debug.SetMemoryLimit(old)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
				peak.Store(m.HeapInuse - base)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// cpuTime is the process's user + system CPU time: the time budget is checked on it, so that a
// machine shared with other work does not fail the test (the wall time is logged beside it).
// It counts the sampler of peakHeap too, which only makes the check stricter.

func TestBudgets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds files of up to 25 MB")
	}
	s := newSigner(t, pki.ECDSAP256)
	signedDoc := func() []byte {
		doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
		return s.sign(t, doc, sigOpts{field: "Sig1"})
	}
	unsigned := func() []byte {
		d := newRawDoc()
		d.minimal("")
		d.section("")
		return d.bytes()
	}
	nested := func(depth int) []byte {
		d := newRawDoc()
		d.obj(1, "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[5 0 R]>>>>")
		d.obj(2, "<</Type/Pages/Kids[3 0 R]/Count 1>>")
		d.obj(3, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>")
		d.obj(5, "<</FT/Tx/T(deep)/V "+strings.Repeat("[", depth)+strings.Repeat("]", depth)+">>")
		d.section("")
		return d.bytes()
	}
	// A signature dictionary whose /ByteRange holds n integers (the red team's c7: 2.38 million
	// in 4.7 MB cost 380 MB).
	byteRange := func(n int) []byte {
		d := newRawDoc()
		d.obj(1, "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[5 0 R]/SigFlags 3>>>>")
		d.obj(2, "<</Type/Pages/Kids[3 0 R]/Count 1>>")
		d.obj(3, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>")
		d.obj(5, "<</FT/Sig/T(wide)/V 6 0 R>>")
		d.obj(6, "<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/Contents<3000>/ByteRange["+strings.Repeat("7 ", n)+"]>>")
		d.section("")
		return d.bytes()
	}
	// A signed document and an update whose DSS (object 21) sits in an object stream with a
	// /VRI of n keys, each a 40-digit hex name with an empty dictionary (red team s10 DoS 2:
	// 250,000 in a 0.69 MB file cost 1.4 s and 144 MB). Only the signatures' SHA-1 keys matter.
	vriPlain, _ := makeDoc(docOpts{})
	vriSigned := s.sign(t, vriPlain, sigOpts{})
	vri := func(t testing.TB, n int) []byte {
		var dss strings.Builder
		dss.WriteString("<</Type/DSS/VRI<<")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&dss, "/%040X<<>>", i)
		}
		dss.WriteString(">>>>")
		return dssObjStmUpdate(t, vriSigned, dss.String())
	}
	bigString := func(n int) []byte {
		d := newRawDoc()
		d.obj(1, "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[5 0 R]>>>>")
		d.obj(2, "<</Type/Pages/Kids[3 0 R]/Count 1>>")
		d.obj(3, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>")
		d.obj(5, "<</FT/Tx/T(big)/V("+strings.Repeat("a", n)+")>>")
		d.section("")
		return d.bytes()
	}
	bigTable := func(count int) []byte {
		d := newRawDoc()
		d.minimal("")
		x := d.b.Len()
		fmt.Fprintf(&d.b, "xref\n0 %d\n", count)
		d.b.WriteString("0000000000 65535 f \n")
		for n := 1; n < count; n++ {
			if off, ok := d.offs[n]; ok {
				fmt.Fprintf(&d.b, "%010d 00000 n \n", off)
			} else {
				d.b.WriteString("0000000000 00000 f \n")
			}
		}
		fmt.Fprintf(&d.b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", count, x)
		return d.bytes()
	}
	// An update after the signature that writes n unused objects (red team s6 F6: 400,000 of
	// them took 4.6 s of CPU and 287 MB).
	manyObjects := func(t testing.TB, n int) []byte {
		d := signedDoc()
		f, err := pdf.Open(bytes.NewReader(d), int64(len(d)), nil)
		if err != nil {
			t.Fatal(err)
		}
		size, _ := pdf.IntOf(f.Revisions()[len(f.Revisions())-1].Trailer.Get("Size"))
		objs := make([]rawObject, n)
		for i := range objs {
			objs[i] = rawObject{num: int(size) + i, body: fmt.Sprintf("<</A %d>>", i)}
		}
		return rawAppend(t, d, objs)
	}
	// An update after the signature whose one stream hides n "N 0 obj" lines (numbers from
	// first on, or all the same when same): the header scan once kept every header, 184 MB for
	// 1.8 million.
	// hiddenHeadersAt is hiddenHeaders with the update's startxref moved by shift bytes (a
	// section a few bytes from where startxref says: viewers rebuild, so every hidden header
	// counts).
	hiddenHeadersAt := func(t testing.TB, n, first int, same bool, shift int) []byte {
		var data bytes.Buffer
		for i := 0; i < n; i++ {
			num := first + i
			if same {
				num = first
			}
			fmt.Fprintf(&data, "%d 0 obj\n", num)
		}
		d := signedDoc()
		out := rawAppend(t, d, []rawObject{{num: 90, body: fmt.Sprintf("<</Length %d>>stream\n%s\nendstream", data.Len(), data.Bytes())}})
		if shift != 0 {
			at := bytes.LastIndex(out, []byte("startxref\n")) + len("startxref\n")
			x := lastStartXRef(out)
			out = append(append(append([]byte{}, out[:at]...), strconv.Itoa(x+shift)...), "\n%%EOF\n"...)
		}
		return out
	}
	hiddenHeaders := func(t testing.TB, n, first int, same bool) []byte {
		return hiddenHeadersAt(t, n, first, same, 0)
	}
	modified := func(t testing.TB, rep *Report) {
		if rep.Verdict != StatusModified {
			t.Errorf("verdict %s, want modified\n%s", rep.Verdict, dump(rep))
		}
	}
	// Updates that add n one-point squares in the page's blank lower-left corner, all drawing one
	// shared appearance (red team s7 G3: 45,000 of them cost 15 s of CPU and 1.25 GB; three
	// updates of 40,000 ended the process in the renderer's WebAssembly memory).
	manyAnnots := func(t testing.TB, in []byte, n int) []byte {
		return update(t, in, func(u *pdf.Update, v *pdf.View) {
			p := pageOf(t, v)
			ap := u.Add(formXObject("0 g 0 0 1 1 re f"))
			pd := p.Dict.Clone()
			ao, _ := v.Resolve(pd.Get("Annots"))
			arr, _ := ao.(pdf.Array)
			arr = append(pdf.Array{}, arr...)
			for i := range n {
				x, y := 10+float64(i%200)*1.2, 10+float64(i/200)*1.2
				arr = append(arr, u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "F": pdf.Int(4),
					"Rect": pdf.Array{pdf.Real{Value: x}, pdf.Real{Value: y}, pdf.Real{Value: x + 1}, pdf.Real{Value: y + 1}}, "AP": pdf.Dict{"N": ap}}))
			}
			pd["Annots"] = arr
			setObj(t, u, p.Ref, pd)
		})
	}
	valid := func(t testing.TB, rep *Report) {
		if rep.Verdict != StatusValid {
			t.Errorf("verdict %s, want valid\n%s", rep.Verdict, dump(rep))
		}
	}
	// Red team s8b F9: signatures over one heavy page each judge it (heavyPageTimestamps). Its
	// content is priced once for every revision (CoverPriced), the current revision drawn once
	// for all signatures; over MaxRasterWorkPerFile nothing is drawn at all.
	heavyDraws := &drawCounter{inner: defaultRenderer}
	heavyOver := func(t testing.TB, rep *Report) {
		for _, sg := range rep.Signatures[:len(rep.Signatures)-1] {
			if !slices.ContainsFunc(sg.ChangeDetails, func(d ChangeDetail) bool { return d.Code == ChangeTooComplex && d.Key == "MaxRasterWorkPerFile" }) {
				t.Errorf("signature %d: no change too complex naming MaxRasterWorkPerFile\n%s", sg.Index, dump(rep))
			}
		}
		if rep.Verdict != StatusModified || heavyDraws.docs.Load() != 0 || rep.CoverPriced != 1 {
			t.Errorf("verdict %s, %d documents drawn, %d page contents priced; want modified, none, one", rep.Verdict, heavyDraws.docs.Load(), rep.CoverPriced)
		}
		heavyDraws.docs.Store(0)
	}
	lim := pdf.DefaultLimits
	lim.MaxXRefEntries = maxXRefEntries // verify's own
	cases := []budgetCase{
		{name: "document timestamps over one heavy page over", data: func(t testing.TB) []byte { return heavyPageTimestamps(t, s, 20, 50_000) },
			opts: &Options{Renderer: heavyDraws}, check: heavyOver},
		{name: "one document timestamp over one heavy page over", data: func(t testing.TB) []byte { return heavyPageTimestamps(t, s, 1, 300_000) },
			opts: &Options{Renderer: heavyDraws}, check: heavyOver},
		{name: "document timestamps over one heavy page under", data: func(t testing.TB) []byte { return heavyPageTimestamps(t, s, 3, 20_000) },
			opts: &Options{Renderer: heavyDraws}, check: func(t testing.TB, rep *Report) {
				// Three signatures judge the page: three signed revisions drawn, the current one
				// once.
				if rep.Verdict != StatusValid || rep.CoverRendered != 3 || heavyDraws.docs.Load() != 4 || rep.CoverPriced != 1 {
					t.Errorf("verdict %s, %d pages rendered, %d documents drawn, %d page contents priced; want valid, 3, 4, 1\n%s", rep.Verdict, rep.CoverRendered, heavyDraws.docs.Load(), rep.CoverPriced, dump(rep))
				}
				heavyDraws.docs.Store(0)
			}},
		{name: "annotations judged after signing over", limit: "MaxJudgedAnnotations", data: func(t testing.TB) []byte { return manyAnnots(t, signedDoc(), maxJudgedAnnotations+1) }},
		{name: "annotations judged after signing over, over three updates", limit: "MaxJudgedAnnotations", data: func(t testing.TB) []byte {
			d := signedDoc()
			for range 3 {
				d = manyAnnots(t, d, maxJudgedAnnotations/3+1)
			}
			return d
		}},
		{name: "annotations judged after signing under", data: func(t testing.TB) []byte { return manyAnnots(t, signedDoc(), maxJudgedAnnotations) }, check: valid},
		{name: "annotations on a rendered page over", data: func(t testing.TB) []byte {
			doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
			doc = manyAnnots(t, doc, maxRenderedAnnotations-2)
			return addAnnot(t, s.sign(t, doc, sigOpts{field: "Sig1"}), "Square", "1 0 0 RG 0 0 10 10 re S")
		}, check: func(t testing.TB, rep *Report) {
			if rep.Verdict != StatusModified || !hasChangeKey(rep, ChangeTooComplex, "MaxRenderedAnnotations") {
				t.Errorf("want modified with a too-complex change naming MaxRenderedAnnotations\n%s", dump(rep))
			}
		}},
		{name: "annotations on a rendered page under", data: func(t testing.TB) []byte {
			doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
			// With the two widgets and the square added after signing: the page holds the limit.
			doc = manyAnnots(t, doc, maxRenderedAnnotations-3)
			return addAnnotAt(t, s.sign(t, doc, sigOpts{field: "Sig1"}), "Square", "1 0 0 RG 0 0 10 10 re S", pdf.Array{pdf.Int(400), pdf.Int(400), pdf.Int(410), pdf.Int(410)})
		}, check: valid},
		{name: "objects after signing over, over three updates", limit: "MaxUpdateObjects", data: func(t testing.TB) []byte {
			d := signedDoc()
			for range 3 {
				f, err := pdf.Open(bytes.NewReader(d), int64(len(d)), nil)
				if err != nil {
					t.Fatal(err)
				}
				size, _ := pdf.IntOf(f.Revisions()[len(f.Revisions())-1].Trailer.Get("Size"))
				objs := make([]rawObject, maxUpdateObjects/3+1)
				for i := range objs {
					objs[i] = rawObject{num: int(size) + i, body: fmt.Sprintf("<</A %d>>", i)}
				}
				d = rawAppend(t, d, objs)
			}
			return d
		}},
		{name: "hidden headers after signing, fresh numbers", data: func(t testing.TB) []byte { return hiddenHeaders(t, 1800000, 1000, false) },
			check: func(t testing.TB, rep *Report) {
				if rep.Verdict != StatusValid {
					t.Errorf("verdict %s, want valid (nothing refers to the hidden numbers)\n%s", rep.Verdict, dump(rep))
				}
			}},
		{name: "hidden headers after signing, relocated section", data: func(t testing.TB) []byte { return hiddenHeadersAt(t, 1800000, 1000, false, -1) }, check: modified},
		{name: "hidden headers after signing, the signed content's number", data: func(t testing.TB) []byte { return hiddenHeaders(t, 1800000, 4, true) }, check: modified},
		{name: "objects per update after signing over", limit: "MaxUpdateObjects", data: func(t testing.TB) []byte { return manyObjects(t, maxUpdateObjects+1) }},
		{name: "objects per update before signing not limited", data: func(t testing.TB) []byte {
			doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
			objs := make([]rawObject, maxUpdateObjects+1)
			for i := range objs {
				objs[i] = rawObject{num: 100 + i, body: fmt.Sprintf("<</A %d>>", i)}
			}
			return s.sign(t, rawAppend(t, doc, objs), sigOpts{field: "Sig1"})
		}, check: func(t testing.TB, rep *Report) {
			if rep.Verdict != StatusValid {
				t.Errorf("verdict %s, want valid\n%s", rep.Verdict, dump(rep))
			}
		}},
		{name: "objects per update after signing under", data: func(t testing.TB) []byte { return manyObjects(t, maxUpdateObjects) },
			check: func(t testing.TB, rep *Report) {
				if rep.Verdict != StatusValid {
					t.Errorf("verdict %s, want valid\n%s", rep.Verdict, dump(rep))
				}
			}},
		{name: "xref entries over", limit: "MaxXRefEntries", data: func(t testing.TB) []byte { return xrefStreams(unsigned(), 3, lim.MaxXRefEntries/3+10) }},
		{name: "xref entries under", data: func(t testing.TB) []byte { return xrefStreams(unsigned(), 2, lim.MaxXRefEntries/2-10) }},
		{name: "many sections claiming many entries", limit: "MaxXRefEntries", data: func(t testing.TB) []byte { return xrefStreams(unsigned(), 1000, lim.MaxXRefEntries/4) }},
		// A few kilobytes of predictor-compressed rows listing entries: refused before the
		// table is built, after signing and before (red team s9 F11: 122 MB for 11 KB).
		{name: "predictor xref rows after signing over", limit: "MaxXRefEntries", data: func(t testing.TB) []byte { return predictorXRef(signedDoc(), 524000) }},
		{name: "predictor xref rows after signing under", data: func(t testing.TB) []byte { return predictorXRef(signedDoc(), maxUpdateObjects-1) }, check: valid},
		{name: "predictor xref rows before signing over", limit: "MaxXRefEntries", data: func(t testing.TB) []byte {
			doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
			return s.sign(t, predictorXRef(doc, maxXRefEntries), sigOpts{field: "Sig1"})
		}},
		{name: "predictor xref rows before signing under", data: func(t testing.TB) []byte {
			doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
			return s.sign(t, predictorXRef(doc, maxXRefEntries-100), sigOpts{field: "Sig1"})
		}, check: valid},
		{name: "sections over", limit: "MaxRevisions", data: func(t testing.TB) []byte { return emptySections(signedDoc(), lim.MaxRevisions) }},
		{name: "sections under", data: func(t testing.TB) []byte { return emptySections(signedDoc(), lim.MaxRevisions-3) }},
		{name: "objects per object stream over", limit: "MaxObjStmObjects", data: func(t testing.TB) []byte { return objStmDoc(1, lim.MaxObjStmObjects+1, 0) }},
		{name: "objects per object stream under", data: func(t testing.TB) []byte { return objStmDoc(1, lim.MaxObjStmObjects, 0) }},
		{name: "decoded bytes over", limit: "MaxDecodedBytes", data: func(t testing.TB) []byte { return objStmDoc(maxDecodedTotal/(15<<20)+1, 1, 15<<20) }},
		{name: "decoded bytes under", data: func(t testing.TB) []byte { return objStmDoc(maxDecodedTotal/(15<<20)-1, 1, 15<<20) }},
		{name: "stream size over", limit: "MaxStreamSize", data: func(t testing.TB) []byte { return objStmDoc(1, 1, maxDecodedStream+1) }},
		{name: "stream size under", data: func(t testing.TB) []byte { return objStmDoc(1, 1, maxDecodedStream-64) }},
		{name: "signatures over", limit: "MaxSignatures", data: func(t testing.TB) []byte { return manySignatures(t, signedDoc(), lim.MaxSignatures) }},
		{name: "signatures under", data: func(t testing.TB) []byte { return manySignatures(t, signedDoc(), lim.MaxSignatures-2) },
			check: func(t testing.TB, rep *Report) {
				if len(rep.Signatures) != lim.MaxSignatures-1 {
					t.Errorf("%d signatures reported", len(rep.Signatures))
				}
				for _, sg := range rep.Signatures[1:] {
					n := 0
					for _, r := range sg.Reasons {
						if strings.Contains(r, "overlaps that of signature") {
							n++
						}
					}
					if n != 1 || sg.Status != StatusInvalid {
						t.Fatalf("signature %d: %d overlap sentences (want 1), status %s", sg.Index, n, sg.Status)
					}
				}
			}},
		// 524,288 integers are estimated at 24 MiB, over verify's MaxObjectMemory: these two
		// rows raise it to core/pdf's default to reach the element count.
		{name: "object elements over (a /ByteRange)", limit: "MaxObjectElements", data: func(t testing.TB) []byte { return byteRange(lim.MaxObjectElements + 1) },
			opts: &Options{Limits: pdf.Limits{MaxObjectMemory: pdf.DefaultLimits.MaxObjectMemory}}},
		{name: "object elements under (a /ByteRange)", data: func(t testing.TB) []byte { return byteRange(lim.MaxObjectElements - 16) },
			opts: &Options{Limits: pdf.Limits{MaxObjectMemory: pdf.DefaultLimits.MaxObjectMemory}}},
		{name: "object memory over (a /ByteRange)", limit: "MaxObjectMemory", data: func(t testing.TB) []byte { return byteRange(maxObjectMemory/48 + 1) }},
		{name: "object memory under (a /ByteRange)", data: func(t testing.TB) []byte { return byteRange(maxObjectMemory/48 - 64) }},
		{name: "object memory over (a DSS /VRI of 100,000 keys in an object stream)", limit: "MaxObjectMemory", data: func(t testing.TB) []byte { return vri(t, 100_000) }},
		{name: "object memory under (a DSS /VRI of 70,000 keys in an object stream)", data: func(t testing.TB) []byte { return vri(t, 70_000) },
			check: func(t testing.TB, rep *Report) {
				if rep.Verdict != StatusValid {
					t.Errorf("verdict %s, want valid\n%s", rep.Verdict, dump(rep))
				}
			}},
		{name: "depth over", limit: "MaxDepth", data: func(t testing.TB) []byte { return nested(lim.MaxDepth + 1) }},
		{name: "depth under", data: func(t testing.TB) []byte { return nested(lim.MaxDepth - 2) }},
		{name: "objects per section over (limit 100,000)", limit: "MaxObjects", data: func(t testing.TB) []byte { return bigTable(100001) },
			opts: &Options{Limits: pdf.Limits{MaxObjects: 100000}}},
		{name: "objects per section under (limit 100,000)", data: func(t testing.TB) []byte { return bigTable(100000) },
			opts: &Options{Limits: pdf.Limits{MaxObjects: 100000}}},
		{name: "object size over (limit 1 MiB)", limit: "MaxObjectSize", data: func(t testing.TB) []byte { return bigString(1<<20 + 1) },
			opts: &Options{Limits: pdf.Limits{MaxObjectSize: 1 << 20}}},
		{name: "object size under (limit 1 MiB)", data: func(t testing.TB) []byte { return bigString(1<<20 - 64) },
			opts: &Options{Limits: pdf.Limits{MaxObjectSize: 1 << 20}}},
		{name: "file size over (limit 1 MiB)", limit: "MaxFileSize", data: func(t testing.TB) []byte { return bigString(1 << 20) },
			opts: &Options{MaxFileSize: 1 << 20}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.data(t)
			opts := c.opts
			if opts == nil {
				opts = &Options{}
			}
			opts.Trust = s.store()
			var rep *Report
			var err error
			var took, wall time.Duration
			// The collector aims 16 MB below the bound: a peak above the bound is then a need,
			// not garbage the collector was allowed to keep.
			heap := peakHeap(int64(len(data))+budgetHeap-16<<20, func() {
				start, cpu0 := time.Now(), cpuTime()
				rep, err = Verify(context.Background(), bytes.NewReader(data), int64(len(data)), "budget.pdf", opts)
				took, wall = cpuTime()-cpu0, time.Since(start)
			})
			t.Logf("%d bytes: CPU %v (wall %v), heap peak +%.1f MB: err %v", len(data), took.Round(time.Millisecond), wall.Round(time.Millisecond), float64(heap)/(1<<20), err)
			if c.limit != "" {
				var le *pdf.LimitError
				if !errors.As(err, &le) || le.Limit != c.limit {
					t.Fatalf("want a LimitError naming %s, got %v (report %v)", c.limit, err, rep != nil)
				}
			} else {
				if err != nil {
					t.Fatalf("the twin under the limit: %v", err)
				}
				if c.check != nil {
					c.check(t, rep)
				}
			}
			if took > budgetTime {
				t.Errorf("took %v of CPU, budget %v", took, budgetTime)
			}
			if heap > uint64(len(data))+budgetHeap {
				t.Errorf("heap peak %d bytes, budget file size %d + %d", heap, len(data), budgetHeap)
			}
		})
	}
}

// TestProblemsCapped: a signature with more problem sentences than MaxProblems keeps the first
// ones and a last sentence naming the limit.
func TestProblemsCapped(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{textField: "100", emptySig: true})
	marker := "/Name /" + strings.Repeat("X", 233)
	signed := s.sign(t, doc, sigOpts{field: "Sig1", sigEdit: func(d pdf.Dict) { d["Name"] = pdf.Name(marker[7:]) }})
	i := bytes.Index(signed, []byte(marker))
	if i < 0 {
		t.Fatal("marker not found")
	}
	// 60 repeats of a key the dictionary already has: 60 duplicate-key problems.
	copy(signed[i:], strings.Repeat("/M()", 60))
	rep := verifyBytes(t, signed, s.store())
	sg := rep.Signatures[0]
	max := pdf.DefaultLimits.MaxProblems
	if sg.Status != StatusInvalid || len(sg.Reasons) != max+1 || !strings.Contains(sg.Reasons[max], "MaxProblems") {
		t.Fatalf("status %s, %d reasons, last %q", sg.Status, len(sg.Reasons), sg.Reasons[len(sg.Reasons)-1])
	}
}

// hasChangeKey reports whether a signature of rep lists a disallowed change with code and key.
func hasChangeKey(rep *Report, code, key string) bool {
	for _, sg := range rep.Signatures {
		for _, c := range sg.ChangeDetails {
			if c.Code == code && c.Key == key && !c.Allowed {
				return true
			}
		}
	}
	return false
}

// dssObjStmUpdate appends to in a revision that adds body as the document's DSS (object 21),
// Flate-compressed in an object stream (30), and the catalog naming it, in an xref stream.
func dssObjStmUpdate(t testing.TB, in []byte, body string) []byte {
	t.Helper()
	f, err := pdf.Open(bytes.NewReader(in), int64(len(in)), nil)
	if err != nil {
		t.Fatal(err)
	}
	last := f.Revisions()[len(f.Revisions())-1]
	v := f.Latest()
	root := rootOf(v)
	cat := v.Dict(root).Clone()
	cat["DSS"] = pdf.Ref{Num: 21}
	cb, err := pdf.AppendObject(nil, cat)
	if err != nil {
		t.Fatal(err)
	}
	index := "21 0 "
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(index + body))
	zw.Close()
	var b bytes.Buffer
	b.Write(in)
	offs := map[int]int{root.Num: b.Len()}
	fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", root.Num, cb)
	offs[30] = b.Len()
	fmt.Fprintf(&b, "30 0 obj\n<</Type/ObjStm/N 1/First %d/Filter/FlateDecode/Length %d>>stream\n", len(index), z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	xs, xoff := 40, b.Len()
	offs[xs] = xoff
	row := func(typ byte, a, c int) []byte {
		return []byte{typ, byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a), byte(c >> 8), byte(c)}
	}
	var data []byte
	data = append(data, row(1, offs[root.Num], 0)...)
	data = append(data, row(2, 30, 0)...)
	data = append(data, row(1, offs[30], 0)...)
	data = append(data, row(1, xoff, 0)...)
	fmt.Fprintf(&b, "%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Index[%d 1 21 1 30 1 %d 1]/Root %d 0 R/Prev %d/Length %d>>stream\n",
		xs, xs+1, root.Num, xs, root.Num, last.XRefOffset, len(data))
	b.Write(data)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xoff)
	return b.Bytes()
}
