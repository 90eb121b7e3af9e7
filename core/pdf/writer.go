package pdf

import (
	"cmp"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
)

// ErrUnsafeAppend means the file cannot take an incremental update without making the result
// ambiguous: its cross-reference data had to be rebuilt, or bytes follow its last %%EOF.
var ErrUnsafeAppend = errors.New("pdf: refusing to append to this file")

// Update is one incremental update being built on top of the latest revision of a File. Add
// new objects, Set replaced ones, then Bytes or Write produce the bytes to append after the
// original file; nothing of the original is ever rewritten.
type Update struct {
	f        *File
	next     int
	objs     map[int]Object
	gens     map[int]int
	reserved map[int]bool
	trailer  Dict
	style    XRefStyle
}

// XRefStyle selects the kind of cross-reference section an update writes.
type XRefStyle int

// Cross-reference styles. StyleAuto follows the file: an xref stream when its last section is
// a stream, a table otherwise (hybrid files get a table).
const (
	StyleAuto XRefStyle = iota
	StyleTable
	StyleStream
)

// NewUpdate starts an incremental update of the latest revision. Object numbers continue from
// the largest of the trailer's /Size and every number used in any revision.
func (f *File) NewUpdate() *Update {
	next := 1
	if s, ok := IntOf(f.revs[len(f.revs)-1].Trailer.Get("Size")); ok && s > 0 && s <= int64(f.limits.MaxObjects) {
		next = int(s)
	}
	for _, r := range f.revs {
		for n := range r.entries {
			if n+1 > next {
				next = n + 1
			}
		}
	}
	return &Update{f: f, next: next, objs: map[int]Object{}, gens: map[int]int{}, reserved: map[int]bool{}, trailer: Dict{}}
}

// SetStyle overrides the cross-reference style (StyleAuto by default).
func (u *Update) SetStyle(s XRefStyle) { u.style = s }

// Add stores a new object under a fresh object number and returns its reference.
func (u *Update) Add(o Object) Ref {
	r := u.Reserve()
	u.objs[r.Num] = o
	delete(u.reserved, r.Num)
	return r
}

// Reserve allocates a fresh object number to be filled later with Set (for objects that refer
// to each other).
func (u *Update) Reserve() Ref {
	n := u.next
	u.next++
	u.reserved[n] = true
	u.gens[n] = 0
	return Ref{Num: n}
}

// Set stores o as the new version of an existing object (same number and generation), or fills
// a reserved number.
func (u *Update) Set(ref Ref, o Object) error {
	if _, ok := u.objs[ref.Num]; u.reserved[ref.Num] || ok {
		if u.gens[ref.Num] != ref.Gen {
			return fmt.Errorf("%w: object %d has generation %d, not %d", ErrNotFound, ref.Num, u.gens[ref.Num], ref.Gen)
		}
		u.objs[ref.Num] = o
		delete(u.reserved, ref.Num)
		return nil
	}
	e, _, ok := u.f.Latest().Entry(ref.Num)
	if !ok || e.Type == EntryFree || ref.Num == 0 {
		return fmt.Errorf("%w: object %d is not in use; use Add", ErrNotFound, ref.Num)
	}
	gen := 0
	if e.Type == EntryInUse {
		gen = e.Gen
	}
	if ref.Gen != gen {
		return fmt.Errorf("%w: object %d has generation %d, not %d", ErrNotFound, ref.Num, gen, ref.Gen)
	}
	u.objs[ref.Num] = o
	u.gens[ref.Num] = gen
	return nil
}

// SetTrailer sets an extra trailer entry (e.g. /Info); a nil value removes one that would
// otherwise be carried over (/Root, /Info and /ID are carried from the previous trailer).
func (u *Update) SetTrailer(key Name, o Object) { u.trailer[key] = o }

// Objects returns the references written by the update, in ascending order.
func (u *Update) Objects() []Ref {
	refs := make([]Ref, 0, len(u.objs))
	for n := range u.objs {
		refs = append(refs, Ref{Num: n, Gen: u.gens[n]})
	}
	slices.SortFunc(refs, func(a, b Ref) int { return cmp.Compare(a.Num, b.Num) })
	return refs
}

// Layout tells where everything of an update landed in the final file (absolute offsets).
type Layout struct {
	Start        int64           // the original file's size: where the appended bytes begin
	End          int64           // the final file's size
	XRefOffset   int64           // where the new cross-reference section starts
	Objects      map[Ref]Span    // each written indirect object, "N G obj" to "endobj"
	Placeholders map[string]Span // each placeholder's text
	XRefStream   bool            // the section is an xref stream
}

// Patch overwrites the placeholder name inside section (the bytes returned by Bytes, which
// begin at l.Start) with text of exactly the placeholder's width.
func (l *Layout) Patch(section []byte, name string, text []byte) error {
	sp, ok := l.Placeholders[name]
	if !ok {
		return fmt.Errorf("pdf: no placeholder %q", name)
	}
	if int64(len(text)) != sp.Len() {
		return fmt.Errorf("pdf: placeholder %q is %d bytes, patch is %d", name, sp.Len(), len(text))
	}
	lo, hi := sp.Start-l.Start, sp.End-l.Start
	if lo < 0 || hi > int64(len(section)) {
		return fmt.Errorf("pdf: placeholder %q outside the section", name)
	}
	copy(section[lo:hi], text)
	return nil
}

// Bytes returns the bytes to append to the original file, and their layout.
func (u *Update) Bytes() ([]byte, *Layout, error) { return u.AppendTo(nil) }

// AppendTo is Bytes laid out in buf's memory when its capacity is enough (its contents are
// overwritten): a signer passes the buffer it copied the file through, so that the update
// takes no fresh memory (a page fault per 4 KB in a fresh process).
func (u *Update) AppendTo(buf []byte) ([]byte, *Layout, error) {
	var b sliceWriter
	l, err := u.write(&b, buf[:0])
	if err != nil {
		return nil, nil, err
	}
	return b.b, l, nil
}

// sliceWriter keeps the first slice written to it (Write writes its bytes in one call) and
// copies only what follows.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	if w.b == nil {
		w.b = p
	} else {
		w.b = append(w.b, p...)
	}
	return len(p), nil
}

// sizeHint estimates the update's size: its placeholders and stream data, plus 4 KB for the
// rest (dictionaries, cross-reference section, trailer).
func (u *Update) sizeHint() int {
	n := 4 << 10
	var walk func(o Object, depth int)
	walk = func(o Object, depth int) {
		if depth > 8 {
			return
		}
		switch v := o.(type) {
		case *Placeholder:
			n += v.width()
		case *Stream:
			n += len(v.Data)
			walk(v.Dict, depth+1)
		case Dict:
			for _, x := range v {
				walk(x, depth+1)
			}
		case Array:
			for _, x := range v {
				walk(x, depth+1)
			}
		}
	}
	for _, o := range u.objs {
		walk(o, 0)
	}
	return n
}

// Write writes the bytes to append to the original file to w and returns their layout.
func (u *Update) Write(w io.Writer) (*Layout, error) { return u.write(w, nil) }

// write is Write, laying the bytes out in buf when its capacity is enough.
func (u *Update) write(w io.Writer, buf []byte) (*Layout, error) {
	f := u.f
	if f.dec != nil {
		return nil, fmt.Errorf("%w: appending to an encrypted file is not supported", ErrEncrypted)
	}
	if f.reconstructed {
		return nil, fmt.Errorf("%w: its cross-reference data is broken and had to be rebuilt", ErrUnsafeAppend)
	}
	if _, junk := f.Tail(); junk {
		return nil, fmt.Errorf("%w: bytes follow the last %%%%EOF", ErrUnsafeAppend)
	}
	for n := range u.reserved {
		return nil, fmt.Errorf("pdf: reserved object %d was never set", n)
	}
	if len(u.objs) == 0 {
		return nil, errors.New("pdf: empty update")
	}
	last := f.revs[len(f.revs)-1]
	start := f.size
	l := &Layout{Start: start, Objects: map[Ref]Span{}, Placeholders: map[string]Span{}}
	// One allocation for a signature's update (its /Contents placeholder is most of it), not
	// a series of doublings: each one touches fresh memory, a page fault per 4 KB in a fresh
	// process.
	if n := u.sizeHint(); cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	ow := &objWriter{buf: buf[:0], placeholders: map[string]Span{}}
	// A file that does not end with an end-of-line gets one; it belongs to the new revision.
	lx := f.lexer(f.size-1, 0)
	lastByte, ok := lx.byteAt(f.size - 1)
	f.release(lx)
	if ok && lastByte != '\n' && lastByte != '\r' {
		ow.buf = append(ow.buf, '\n')
	}
	offsets := map[int]int64{}
	for _, ref := range u.Objects() {
		o := u.objs[ref.Num]
		off := int64(len(ow.buf))
		offsets[ref.Num] = start + off
		ow.buf = appendObjHeader(ow.buf, ref.Num, ref.Gen)
		if s, ok := o.(*Stream); ok {
			data := s.Data
			if data == nil {
				raw, err := f.RawStreamData(s)
				if err != nil {
					return nil, fmt.Errorf("copy stream of object %d: %w", ref.Num, err)
				}
				data = raw
			}
			d := s.Dict.Clone()
			d["Length"] = Int(len(data))
			if err := ow.object(d, 0); err != nil {
				return nil, fmt.Errorf("object %d: %w", ref.Num, err)
			}
			ow.buf = append(ow.buf, "\nstream\n"...)
			ow.buf = append(ow.buf, data...)
			ow.buf = append(ow.buf, "\nendstream"...)
		} else if err := ow.object(o, 0); err != nil {
			return nil, fmt.Errorf("object %d: %w", ref.Num, err)
		}
		ow.buf = append(ow.buf, "\nendobj\n"...)
		l.Objects[ref] = Span{start + off, start + int64(len(ow.buf)) - 1}
	}
	// Trailer entries.
	tr := Dict{}
	for _, k := range []Name{"Root", "Info", "ID"} {
		if x := last.Trailer.Get(k); x != nil {
			tr[k] = x
		}
	}
	for k := len(f.revs) - 1; tr["Root"] == nil && k >= 0; k-- {
		// A previous trailer without /Root inherited it; the new one states it again.
		if r := f.revs[k].Trailer.Get("Root"); r != nil {
			tr["Root"] = r
		}
	}
	for k, v := range u.trailer {
		if v == nil {
			delete(tr, k)
		} else {
			tr[k] = v
		}
	}
	if _, ok := u.trailer["ID"]; !ok {
		tr["ID"] = newID(last.Trailer.Get("ID"), start, ow.buf)
	}
	tr["Prev"] = Int(last.XRefOffset)
	style := u.style
	if style == StyleAuto {
		style = StyleTable
		if last.XRefStream {
			style = StyleStream
		}
	}
	xrefOff := start + int64(len(ow.buf))
	l.XRefOffset = xrefOff
	if style == StyleStream {
		num := u.next
		offsets[num] = xrefOff
		tr["Size"] = Int(num + 1)
		data, index, wid := xrefStreamData(offsets, u.gens)
		z := zlibStored(data)
		tr["Type"] = Name("XRef")
		tr["W"] = Array{Int(1), Int(wid), Int(2)}
		tr["Index"] = index
		tr["Filter"] = Name("FlateDecode")
		tr["Length"] = Int(len(z))
		ow.buf = appendObjHeader(ow.buf, num, 0)
		if err := ow.object(tr, 0); err != nil {
			return nil, err
		}
		ow.buf = append(ow.buf, "\nstream\n"...)
		ow.buf = append(ow.buf, z...)
		ow.buf = append(ow.buf, "\nendstream\nendobj\n"...)
		l.XRefStream = true
	} else {
		tr["Size"] = Int(u.next)
		ow.buf = append(ow.buf, "xref\n"...)
		nums := make([]int, 0, len(offsets))
		for n := range offsets {
			nums = append(nums, n)
		}
		sort.Ints(nums)
		for i := 0; i < len(nums); {
			j := i
			for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
				j++
			}
			ow.buf = strconv.AppendInt(ow.buf, int64(nums[i]), 10)
			ow.buf = append(ow.buf, ' ')
			ow.buf = strconv.AppendInt(ow.buf, int64(j-i+1), 10)
			ow.buf = append(ow.buf, '\n')
			for k := i; k <= j; k++ {
				ow.buf = appendPadded(ow.buf, offsets[nums[k]], 10)
				ow.buf = append(ow.buf, ' ')
				ow.buf = appendPadded(ow.buf, int64(u.gens[nums[k]]), 5)
				ow.buf = append(ow.buf, " n\r\n"...)
			}
			i = j + 1
		}
		ow.buf = append(ow.buf, "trailer\n"...)
		if err := ow.object(tr, 0); err != nil {
			return nil, err
		}
		ow.buf = append(ow.buf, '\n')
	}
	ow.buf = append(ow.buf, "startxref\n"...)
	ow.buf = strconv.AppendInt(ow.buf, xrefOff, 10)
	ow.buf = append(ow.buf, "\n%%EOF\n"...)
	for name, sp := range ow.placeholders {
		l.Placeholders[name] = Span{start + sp.Start, start + sp.End}
	}
	l.End = start + int64(len(ow.buf))
	if _, err := w.Write(ow.buf); err != nil {
		return nil, err
	}
	return l, nil
}

// appendObjHeader appends "num gen obj" and an end of line.
func appendObjHeader(b []byte, num, gen int) []byte {
	b = strconv.AppendInt(b, int64(num), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(gen), 10)
	return append(b, " obj\n"...)
}

// appendPadded appends v (not negative) in decimal, zero-padded to width digits (as %0*d).
func appendPadded(b []byte, v int64, width int) []byte {
	var d [20]byte
	s := strconv.AppendInt(d[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// zlibStored wraps data in a zlib stream of stored (uncompressed) deflate blocks: valid
// FlateDecode for every reader, without the compressor's ~800 KB of tables — an update's xref
// stream holds a few rows, and in a fresh process each page of those tables costs a page fault
// that took longer than the compression saves (measured in core/sign's TestSideBySide).
func zlibStored(data []byte) []byte {
	const maxBlock = 65535
	sum := adler32.Checksum(data)
	out := make([]byte, 0, 2+len(data)+5*(len(data)/maxBlock+1)+4)
	out = append(out, 0x78, 0x01) // deflate, 32 KB window, no dictionary, fastest
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), maxBlock)
		final := byte(0)
		if n == len(data) {
			final = 1
		}
		out = append(out, final, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		out = append(out, data[:n]...)
		data = data[n:]
	}
	return binary.BigEndian.AppendUint32(out, sum)
}

// xrefStreamData builds the rows of an xref stream (W = [1 wid 2]) and its /Index.
func xrefStreamData(offsets map[int]int64, gens map[int]int) ([]byte, Array, int) {
	nums := make([]int, 0, len(offsets))
	var max int64
	for n, o := range offsets {
		nums = append(nums, n)
		if o > max {
			max = o
		}
	}
	sort.Ints(nums)
	wid := 1
	for max >= 1<<(8*wid) {
		wid++
	}
	if wid < 4 {
		wid = 4
	}
	var data []byte
	var index Array
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		index = append(index, Int(nums[i]), Int(j-i+1))
		for k := i; k <= j; k++ {
			off := offsets[nums[k]]
			data = append(data, 1)
			for b := wid - 1; b >= 0; b-- {
				data = append(data, byte(off>>(8*b)))
			}
			g := gens[nums[k]]
			data = append(data, byte(g>>8), byte(g))
		}
		i = j + 1
	}
	return data, index, wid
}

// newID keeps the first element of the previous /ID and makes a new second one from the
// previous ID, the file size and the new objects.
func newID(prev Object, size int64, body []byte) Array {
	var first []byte
	if a, ok := prev.(Array); ok && len(a) == 2 {
		if s, ok := a[0].(String); ok {
			first = s.Bytes
		}
	}
	h := md5.New()
	h.Write(first)
	h.Write([]byte(strconv.FormatInt(size, 10)))
	h.Write(body)
	second := h.Sum(nil)
	if first == nil {
		first = second
	}
	return Array{String{Bytes: first, Hex: true}, String{Bytes: second, Hex: true}}
}

// WriteFileAtomic writes the original bytes of f followed by section to path: into a temporary
// file in the same directory, fsynced, then renamed over path. On error nothing appears at
// path and the original is untouched. Path may be f's own file on Unix; on Windows a file that
// is still open cannot be replaced, so write elsewhere.
func WriteFileAtomic(path string, f *File, section []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, io.NewSectionReader(f.r, 0, f.size)); err != nil {
		return fmt.Errorf("copy original: %w", err)
	}
	if _, err := tmp.Write(section); err != nil {
		return fmt.Errorf("write update: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
