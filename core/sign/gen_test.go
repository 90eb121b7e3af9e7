package sign

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"math/rand"
	"sort"
	"strings"
)

// genOpts describe a generated test PDF.
type genOpts struct {
	version    string // header, default 1.7
	pages      int    // default 1
	media      string // default A4 "[0 0 595 842]"
	crop       string // optional CropBox on every page
	rotate     int    // /Rotate on every page
	textFields int    // number of filled text fields on page 1 (with /DR and /DA)
	sigFields  []string
	// orphanSig is a signature field whose widget only /P names (no page lists it).
	orphanSig  string
	padBytes   int  // an extra incompressible stream of this size
	xrefStream bool // cross-reference stream instead of a table
	hybrid     bool // table plus /XRefStm
}

// genPDF writes a PDF with exact offsets. Pages show a big gray rectangle and "Page N".
func genPDF(o genOpts) []byte {
	if o.version == "" {
		o.version = "1.7"
	}
	if o.pages == 0 {
		o.pages = 1
	}
	if o.media == "" {
		o.media = "[0 0 595 842]"
	}
	objs := map[int]string{}
	streams := map[int][]byte{}
	next := 1
	alloc := func() int { n := next; next++; return n }
	catalog, pagesN, font := alloc(), alloc(), alloc()
	objs[font] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
	var kids []string
	var pageNums []int
	for i := 0; i < o.pages; i++ {
		p, c := alloc(), alloc()
		pageNums = append(pageNums, p)
		kids = append(kids, fmt.Sprintf("%d 0 R", p))
		extra := ""
		if o.crop != "" {
			extra += " /CropBox " + o.crop
		}
		if o.rotate != 0 {
			extra += fmt.Sprintf(" /Rotate %d", o.rotate)
		}
		objs[p] = fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox %s%s /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R ANNOTS%d >>", pagesN, o.media, extra, font, c, p)
		streams[c] = []byte(fmt.Sprintf("0.9 g 50 50 200 100 re f 0 g BT /F1 24 Tf 72 700 Td (Page %d) Tj ET\n", i+1))
	}
	objs[pagesN] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), o.pages)
	annots := map[int][]string{}
	var fields []string
	for i := 0; i < o.textFields; i++ {
		n := alloc()
		y := 800 - 25*(i%30)
		objs[n] = fmt.Sprintf("<< /FT /Tx /T (text%d) /V (value %d) /DA (/Helv 10 Tf 0 g) /Type /Annot /Subtype /Widget /Rect [300 %d 500 %d] /P %d 0 R /F 4 >>", i, i, y-20, y, pageNums[0])
		annots[pageNums[0]] = append(annots[pageNums[0]], fmt.Sprintf("%d 0 R", n))
		fields = append(fields, fmt.Sprintf("%d 0 R", n))
	}
	for i, name := range o.sigFields {
		n := alloc()
		pg := pageNums[i%len(pageNums)]
		x := 60 + 100*(i%5)
		objs[n] = fmt.Sprintf("<< /FT /Sig /T (%s) /Type /Annot /Subtype /Widget /Rect [%d 300 %d 380] /P %d 0 R /F 4 >>", name, x, x+90, pg)
		annots[pg] = append(annots[pg], fmt.Sprintf("%d 0 R", n))
		fields = append(fields, fmt.Sprintf("%d 0 R", n))
	}
	if o.orphanSig != "" {
		n := alloc()
		objs[n] = fmt.Sprintf("<< /FT /Sig /T (%s) /Type /Annot /Subtype /Widget /Rect [100 100 200 160] /P %d 0 R /F 4 >>", o.orphanSig, pageNums[0])
		fields = append(fields, fmt.Sprintf("%d 0 R", n))
	}
	for _, p := range pageNums {
		a := ""
		if len(annots[p]) > 0 {
			a = "/Annots [" + strings.Join(annots[p], " ") + "]"
		}
		objs[p] = strings.Replace(objs[p], fmt.Sprintf("ANNOTS%d", p), a, 1)
	}
	cat := fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R", pagesN)
	if len(fields) > 0 {
		helv := alloc()
		objs[helv] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Name /Helv >>"
		cat += fmt.Sprintf(" /AcroForm << /Fields [%s] /DR << /Font << /Helv %d 0 R >> >> /DA (/Helv 0 Tf 0 g) >>", strings.Join(fields, " "), helv)
	}
	objs[catalog] = cat + " >>"
	if o.padBytes > 0 {
		n := alloc()
		pad := make([]byte, o.padBytes)
		rand.New(rand.NewSource(1)).Read(pad)
		streams[n] = pad
		objs[catalog] = strings.TrimSuffix(objs[catalog], " >>") + fmt.Sprintf(" /PieceInfo << /Pad << /Data %d 0 R >> >> >>", n)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", o.version)
	offsets := map[int]int{}
	var nums []int
	for n := range objs {
		nums = append(nums, n)
	}
	for n := range streams {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		offsets[n] = b.Len()
		if s, ok := streams[n]; ok {
			fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d >>\nstream\n", n, len(s))
			b.Write(s)
			b.WriteString("\nendstream\nendobj\n")
			continue
		}
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, objs[n])
	}
	size := next
	xrefStm := func(self int) []byte {
		var rows []byte
		for i := 0; i < size+1; i++ {
			off, ok := offsets[i]
			if i == self {
				off, ok = b.Len(), true
			}
			if !ok {
				rows = append(rows, 0, 0, 0, 0, 0, 0xff)
				continue
			}
			rows = append(rows, 1, byte(off>>24), byte(off>>16), byte(off>>8), byte(off), 0)
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(rows)
		zw.Close()
		return z.Bytes()
	}
	if o.xrefStream {
		self := size
		start := b.Len()
		data := xrefStm(self)
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 1] /Root %d 0 R /Filter /FlateDecode /Length %d /ID [<0102030405060708090a0b0c0d0e0f10> <0102030405060708090a0b0c0d0e0f10>] >>\nstream\n", self, size+1, catalog, len(data))
		b.Write(data)
		fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", start)
		return b.Bytes()
	}
	hybridOff := 0
	if o.hybrid {
		self := size
		hybridOff = b.Len()
		offsets[self] = hybridOff
		data := xrefStm(self)
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 1] /Filter /FlateDecode /Length %d >>\nstream\n", self, size+1, len(data))
		b.Write(data)
		b.WriteString("\nendstream\nendobj\n")
		size++
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", size)
	for i := 1; i < size; i++ {
		if off, ok := offsets[i]; ok {
			fmt.Fprintf(&b, "%010d 00000 n\r\n", off)
		} else {
			fmt.Fprintf(&b, "0000000000 65535 f\r\n")
		}
	}
	tr := fmt.Sprintf("<< /Size %d /Root %d 0 R /ID [<0102030405060708090a0b0c0d0e0f10> <0102030405060708090a0b0c0d0e0f10>]", size, catalog)
	if o.hybrid {
		tr += fmt.Sprintf(" /XRefStm %d", hybridOff)
	}
	fmt.Fprintf(&b, "trailer\n%s >>\nstartxref\n%d\n%%%%EOF\n", tr, xref)
	return b.Bytes()
}
