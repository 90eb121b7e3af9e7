package jbig2

// The MQ arithmetic decoder (T.88 Annex E.3, the same coder as JPEG 2000's), with its 47-state
// probability table. A context is one byte: the state index shifted left by one, the MPS in the
// low bit; all start at 0.

type qe struct {
	qe         uint32
	nmps, nlps uint8
	swtch      bool
}

var qeTable = [47]qe{
	{0x5601, 1, 1, true}, {0x3401, 2, 6, false}, {0x1801, 3, 9, false}, {0x0AC1, 4, 12, false},
	{0x0521, 5, 29, false}, {0x0221, 38, 33, false}, {0x5601, 7, 6, true}, {0x5401, 8, 14, false},
	{0x4801, 9, 14, false}, {0x3801, 10, 14, false}, {0x3001, 11, 17, false}, {0x2401, 12, 18, false},
	{0x1C01, 13, 20, false}, {0x1601, 29, 21, false}, {0x5601, 15, 14, true}, {0x5401, 16, 14, false},
	{0x5101, 17, 15, false}, {0x4801, 18, 16, false}, {0x3801, 19, 17, false}, {0x3401, 20, 18, false},
	{0x3001, 21, 19, false}, {0x2801, 22, 19, false}, {0x2401, 23, 20, false}, {0x2201, 24, 21, false},
	{0x1C01, 25, 22, false}, {0x1801, 26, 23, false}, {0x1601, 27, 24, false}, {0x1401, 28, 25, false},
	{0x1201, 29, 26, false}, {0x1101, 30, 27, false}, {0x0AC1, 31, 28, false}, {0x09C1, 32, 29, false},
	{0x08A1, 33, 30, false}, {0x0521, 34, 31, false}, {0x0441, 35, 32, false}, {0x02A1, 36, 33, false},
	{0x0221, 37, 34, false}, {0x0141, 38, 35, false}, {0x0111, 39, 36, false}, {0x0085, 40, 37, false},
	{0x0049, 41, 38, false}, {0x0025, 42, 39, false}, {0x0015, 43, 40, false}, {0x0009, 44, 41, false},
	{0x0005, 45, 42, false}, {0x0001, 45, 43, false}, {0x5601, 46, 46, false},
}

// mq decodes bits from data; reading past the end yields 0xFF bytes (as the coder's marker
// rules want), so truncated data decodes to something, never out of bounds.
type mq struct {
	data []byte
	bp   int
	c    uint32 // C register: Chigh in the top 16 bits
	a    uint32
	ct   int
}

func (d *mq) byteAt(i int) uint32 {
	if i < 0 || i >= len(d.data) {
		return 0xFF
	}
	return uint32(d.data[i])
}

// newMQ is INITDEC (Figure E.20).
func newMQ(data []byte) *mq {
	d := &mq{data: data}
	d.c = d.byteAt(0) << 16
	d.byteIn()
	d.c <<= 7
	d.ct -= 7
	d.a = 0x8000
	return d
}

// byteIn is BYTEIN (Figure E.19).
func (d *mq) byteIn() {
	if d.byteAt(d.bp) == 0xFF {
		if d.byteAt(d.bp+1) > 0x8F {
			d.c += 0xFF00
			d.ct = 8
		} else {
			d.bp++
			d.c += d.byteAt(d.bp) << 9
			d.ct = 7
		}
	} else {
		d.bp++
		d.c += d.byteAt(d.bp) << 8
		d.ct = 8
	}
}

// decode is DECODE (Figure E.15) of one bit in context cx[i].
func (d *mq) decode(cx []uint8, i int) int {
	st := cx[i]
	q := qeTable[st>>1]
	mps := int(st & 1)
	idx := st >> 1
	bit := mps
	d.a -= q.qe
	if d.c>>16 < q.qe {
		// LPS_EXCHANGE
		if d.a < q.qe {
			idx = q.nmps
		} else {
			bit = 1 - mps
			if q.swtch {
				mps = bit
			}
			idx = q.nlps
		}
		d.a = q.qe
	} else {
		d.c -= q.qe << 16
		if d.a&0x8000 != 0 {
			return mps
		}
		// MPS_EXCHANGE
		if d.a < q.qe {
			bit = 1 - mps
			if q.swtch {
				mps = bit
			}
			idx = q.nlps
		} else {
			idx = q.nmps
		}
	}
	// RENORMD
	for {
		if d.ct == 0 {
			d.byteIn()
		}
		d.a <<= 1
		d.c <<= 1
		d.ct--
		if d.a&0x8000 != 0 {
			break
		}
	}
	cx[i] = idx<<1 | uint8(mps)
	return bit
}
