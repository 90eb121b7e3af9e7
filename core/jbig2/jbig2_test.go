package jbig2

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ----- an MQ encoder (T.88 Annex E.2), to make test data -----

type mqEnc struct {
	out []byte
	c   uint32
	a   uint32
	ct  int
	b   int // the byte being built (-1: none yet)
}

func newMQEnc() *mqEnc { return &mqEnc{a: 0x8000, ct: 12, b: -1} }

func (e *mqEnc) byteOut() {
	emit := func() {
		if e.b >= 0 {
			e.out = append(e.out, byte(e.b))
		}
	}
	if e.b == 0xFF {
		emit()
		e.b = int(e.c >> 20)
		e.c &= 0xFFFFF
		e.ct = 7
		return
	}
	if e.c < 0x8000000 {
		emit()
		e.b = int(e.c >> 19)
		e.c &= 0x7FFFF
		e.ct = 8
		return
	}
	e.b++
	if e.b == 0xFF {
		e.c &= 0x7FFFFFF
		emit()
		e.b = int(e.c >> 20)
		e.c &= 0xFFFFF
		e.ct = 7
		return
	}
	emit()
	e.b = int(e.c >> 19)
	e.c &= 0x7FFFF
	e.ct = 8
}

func (e *mqEnc) renorm() {
	for {
		e.a <<= 1
		e.c <<= 1
		e.ct--
		if e.ct == 0 {
			e.byteOut()
		}
		if e.a&0x8000 != 0 {
			return
		}
	}
}

func (e *mqEnc) encode(cx []uint8, i int, bit int) {
	st := cx[i]
	q := qeTable[st>>1]
	mps := int(st & 1)
	idx := st >> 1
	if bit == mps {
		e.a -= q.qe
		if e.a&0x8000 == 0 {
			if e.a < q.qe {
				e.a = q.qe
			} else {
				e.c += q.qe
			}
			idx = q.nmps
			cx[i] = idx<<1 | uint8(mps)
			e.renorm()
		} else {
			e.c += q.qe
		}
		return
	}
	e.a -= q.qe
	if e.a < q.qe {
		e.c += q.qe
	} else {
		e.a = q.qe
	}
	if q.swtch {
		mps = 1 - mps
	}
	cx[i] = q.nlps<<1 | uint8(mps)
	e.renorm()
}

func (e *mqEnc) flush() []byte {
	t := e.c + e.a
	e.c |= 0xFFFF
	if e.c >= t {
		e.c -= 0x8000
	}
	e.c <<= uint(e.ct)
	e.byteOut()
	e.c <<= uint(e.ct)
	e.byteOut()
	if e.b >= 0 && e.b != 0xFF {
		e.out = append(e.out, byte(e.b))
	}
	return append(e.out, 0xFF, 0xAC)
}

// encodeGeneric codes bm as a generic region (the mirror of decodeGeneric).
func encodeGeneric(bm *bitmap, tmpl int, tpgdon bool, at [][2]int) []byte {
	e := newMQEnc()
	nb := neighbours(tmpl, at)
	cx := make([]uint8, 1<<len(nb))
	ltp := false
	for y := 0; y < bm.h; y++ {
		if tpgdon {
			same := y > 0 && bytes.Equal(bm.pix[y*bm.w:(y+1)*bm.w], bm.pix[(y-1)*bm.w:y*bm.w]) ||
				y == 0 && bytes.Count(bm.pix[:bm.w], []byte{0}) == bm.w
			bit := 0
			if same != ltp {
				bit = 1
				ltp = same
			}
			e.encode(cx, tpContexts[tmpl], bit)
			if ltp {
				continue
			}
		}
		for x := 0; x < bm.w; x++ {
			c := 0
			for _, q := range nb {
				c = c<<1 | int(bm.at(x+q[0], y+q[1]))
			}
			e.encode(cx, c, int(bm.pix[y*bm.w+x]))
		}
	}
	return e.flush()
}

// ----- segments -----

func segHeader(num uint32, typ int, length int) []byte {
	b := binary.BigEndian.AppendUint32(nil, num)
	b = append(b, byte(typ), 0x00, 0x01) // no referred-to segments; page 1
	return binary.BigEndian.AppendUint32(b, uint32(length))
}

func pageInfo(w, h int, flags byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(w))
	b = binary.BigEndian.AppendUint32(b, uint32(h))
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, flags, 0, 0)
	return b
}

func genericSeg(bm *bitmap, x, y, op, tmpl int, tpgdon bool, at [][2]int) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(bm.w))
	b = binary.BigEndian.AppendUint32(b, uint32(bm.h))
	b = binary.BigEndian.AppendUint32(b, uint32(x))
	b = binary.BigEndian.AppendUint32(b, uint32(y))
	flags := byte(tmpl << 1)
	if tpgdon {
		flags |= 8
	}
	b = append(b, byte(op), flags)
	for _, a := range at {
		b = append(b, byte(int8(a[0])), byte(int8(a[1])))
	}
	return append(b, encodeGeneric(bm, tmpl, tpgdon, at)...)
}

// file builds a sequential JBIG2 file (or bare segments) of the given segments' data.
func file(withHeader bool, segs ...[2]any) []byte {
	var out []byte
	if withHeader {
		out = append(append(out, fileMagic...), 0x01, 0, 0, 0, 1)
	}
	for i, s := range segs {
		data := s[1].([]byte)
		out = append(out, segHeader(uint32(i), s[0].(int), len(data))...)
		out = append(out, data...)
	}
	return out
}

var defaultAT = [4][][2]int{{{3, -1}, {-3, -1}, {2, -2}, {-2, -2}}, {{3, -1}}, {{2, -1}}, {{2, -1}}}

// testBitmap is a w×h picture: a frame, a disc and noise, so that every context is exercised.
func testBitmap(w, h int, seed uint64) *bitmap {
	bm := newBitmap(w, h)
	r := rand.New(rand.NewPCG(seed, 1))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := x-w/2, y-h/2
			on := x < 3 || y < 3 || x >= w-3 || y >= h-3 || dx*dx+dy*dy < (w*w)/16 || r.IntN(13) == 0
			if y > h*3/4 && y < h*3/4+6 { // a run of identical rows (typical prediction)
				on = x%5 == 0
			}
			if on {
				bm.pix[y*w+x] = 1
			}
		}
	}
	return bm
}

// Every template, with and without typical prediction, decodes what the encoder coded, bit for
// bit; regions are placed with their combination operators on a page with a default pixel.
func TestGenericRoundTrip(t *testing.T) {
	for tmpl := 0; tmpl < 4; tmpl++ {
		for _, tp := range []bool{false, true} {
			bm := testBitmap(61, 47, uint64(tmpl*2+1))
			data := file(tmpl%2 == 0, [2]any{segPageInfo, pageInfo(61, 47, 0)},
				[2]any{segImmLosslessGenericRegion, genericSeg(bm, 0, 0, 0, tmpl, tp, defaultAT[tmpl])},
				[2]any{segEndOfPage, []byte{}})
			img, err := Decode(data, nil)
			if err != nil {
				t.Fatalf("template %d tpgdon %v: %v", tmpl, tp, err)
			}
			for i, v := range bm.pix {
				if (img.Pix[i] == 0) != (v == 1) {
					t.Fatalf("template %d tpgdon %v: pixel %d,%d differs", tmpl, tp, i%61, i/61)
				}
			}
		}
	}
	// Two regions: an XOR over an OR on a page whose default pixel is black (REPLACE puts
	// white back).
	a, b := testBitmap(20, 10, 7), testBitmap(8, 8, 9)
	white := newBitmap(4, 4)
	data := file(true, [2]any{segPageInfo, pageInfo(30, 20, 4)},
		[2]any{segImmGenericRegion, genericSeg(a, 5, 5, 4, 0, false, defaultAT[0])},
		[2]any{segImmGenericRegion, genericSeg(b, 10, 8, 2, 1, false, defaultAT[1])},
		[2]any{segImmGenericRegion, genericSeg(white, 26, 16, 4, 2, false, defaultAT[2])},
		[2]any{segEndOfPage, []byte{}})
	img, err := Decode(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := newBitmap(30, 20)
	for i := range want.pix {
		want.pix[i] = 1
	}
	want.compose(a, 5, 5, 4)
	want.compose(b, 10, 8, 2)
	want.compose(white, 26, 16, 4)
	for i, v := range want.pix {
		if (img.Pix[i] == 0) != (v == 1) {
			t.Fatalf("composed page: pixel %d,%d differs", i%30, i/30)
		}
	}
	if img.Pix[0] != 0 || img.Pix[19*30+29] != 0xFF {
		t.Fatal("default pixel or REPLACE not applied")
	}
}

// Refusals: each names what it refuses; none panics.
func TestRefusals(t *testing.T) {
	bm := testBitmap(16, 16, 3)
	good := file(true, [2]any{segPageInfo, pageInfo(16, 16, 0)}, [2]any{segImmGenericRegion, genericSeg(bm, 0, 0, 0, 0, false, defaultAT[0])})
	mmr := append([]byte(nil), good...)
	mmr[len(file(true, [2]any{segPageInfo, pageInfo(16, 16, 0)}))+11+17] |= 1
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"symbol dictionary", file(true, [2]any{segPageInfo, pageInfo(16, 16, 0)}, [2]any{0, []byte{0, 0}}), ErrUnsupported},
		{"text region", file(false, [2]any{segPageInfo, pageInfo(16, 16, 0)}, [2]any{6, []byte{0, 0}}), ErrUnsupported},
		{"MMR", mmr, ErrUnsupported},
		{"truncated", good[:40], ErrFormat},
		{"no page information", file(false, [2]any{segImmGenericRegion, []byte{1}}), ErrFormat},
		{"empty", nil, ErrFormat},
	} {
		if _, err := Decode(tc.data, nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	var le *LimitError
	if _, err := Decode(file(true, [2]any{segPageInfo, pageInfo(100000, 100000, 0)}), nil); !errors.As(err, &le) {
		t.Errorf("a 10⁵×10⁵ page: %v", err)
	}
	if _, err := Decode(good, &Limits{MaxPixels: 100}); !errors.As(err, &le) {
		t.Errorf("over MaxPixels: %v", err)
	}
}

// The QR code of a real tax-bureau e-invoice (../shared/ofd: a JBIG2 file, one generic region,
// template 0) decodes to the same bits as jbig2dec, an independent decoder, and shows the three
// finder patterns of a QR code in its corners.
func TestInvoiceQRCode(t *testing.T) {
	p := filepath.Join("..", "..", "..", "shared", "ofd", "files", "ofd-v4-seal_einvoice_gomain_signedFile.ofd")
	zr, err := zip.OpenReader(p)
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatalf("%s: %v (required under SEALDESK_CI)", p, err)
		}
		t.Skipf("OFD samples ../shared/ofd not found: %v", err)
	}
	defer zr.Close()
	var data []byte
	for _, f := range zr.File {
		if f.Name == "Doc_0/Res/image_80.jb2" {
			rc, _ := f.Open()
			data, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	img, err := Decode(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 100 || img.Rect.Dy() != 100 {
		t.Fatalf("%v", img.Rect)
	}
	black := func(x, y int) bool { return img.Pix[y*img.Stride+x] == 0 }
	// Finder patterns (7 modules of ~2.7 px): dark ring, light ring, dark core.
	for _, c := range [][2]int{{0, 0}, {100 - 19, 0}, {0, 100 - 19}} {
		ring, gap, core := black(c[0]+1, c[1]+1), black(c[0]+4, c[1]+4), black(c[0]+9, c[1]+9)
		if !ring || gap || !core {
			t.Errorf("finder pattern at %v: ring %v, gap %v, core %v", c, ring, gap, core)
		}
	}
	if black(100-9, 100-9) && black(100-4, 100-4) && !black(100-2, 100-2) {
		t.Error("a finder pattern in the bottom-right corner")
	}
	jd, err := exec.LookPath("jbig2dec")
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("jbig2dec is required under SEALDESK_CI")
		}
		t.Skip("jbig2dec not installed: compared with the QR structure only")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "qr.jb2")
	os.WriteFile(in, data, 0o600)
	out := filepath.Join(dir, "qr.pbm")
	if o, err := exec.Command(jd, "-t", "pbm", "-o", out, in).CombinedOutput(); err != nil {
		t.Fatalf("jbig2dec: %v %s", err, o)
	}
	pbm, _ := os.ReadFile(out)
	hdr := []byte("P4\n100 100\n")
	if !bytes.HasPrefix(pbm, hdr) || len(pbm) != len(hdr)+13*100 {
		t.Fatalf("jbig2dec output %q…", pbm[:min(len(pbm), 16)])
	}
	rows := pbm[len(hdr):]
	for y := 0; y < 100; y++ {
		for x := 0; x < 100; x++ {
			if want := rows[y*13+x/8]>>(7-x%8)&1 == 1; black(x, y) != want {
				t.Fatalf("pixel %d,%d: ours %v, jbig2dec %v", x, y, black(x, y), want)
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	bm := testBitmap(16, 12, 5)
	f.Add(file(true, [2]any{segPageInfo, pageInfo(16, 12, 0)}, [2]any{segImmGenericRegion, genericSeg(bm, 0, 0, 0, 0, true, defaultAT[0])}))
	f.Add(file(false, [2]any{segPageInfo, pageInfo(16, 12, 0)}, [2]any{segImmGenericRegion, genericSeg(bm, 2, 1, 2, 3, false, defaultAT[3])}))
	f.Fuzz(func(t *testing.T, data []byte) {
		Decode(data, &Limits{MaxPixels: 1 << 16})
	})
}
