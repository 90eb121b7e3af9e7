package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
)

// Options configure Open. A nil *Options means defaults.
type Options struct {
	Limits Limits
	// Context, when set, cancels Open's loops over the file (the /Prev chain, rebuilding from
	// the bytes) and the File's later reads check it: a cancelled File fails its reads with
	// the context's error.
	Context context.Context
	// Decrypt opens files encrypted by the standard security handler that open without a
	// password (empty user password), decrypting strings and streams as they are read; a file
	// opened so cannot be appended to. Without it (and for files needing a password) Open
	// returns ErrEncrypted.
	Decrypt bool
}

// Revision is one revision of the document: the original file or one incremental update.
type Revision struct {
	Index int // 0 is the original document
	// XRefOffset is where the revision's cross-reference section starts ("xref" or the xref
	// stream's "N G obj"); it is what a later /Prev or the final startxref names. For a
	// linearized original this is the first-page section near the start of the file. It is
	// -1 for a reconstructed revision without a readable section (see File.Reconstructed).
	XRefOffset int64
	// StartXRef is the offset of the "startxref" keyword that closes the revision (-1 if none
	// was found) and StartXRefValue the number written after it (-1 if missing).
	StartXRef      int64
	StartXRefValue int64
	// EOF is the offset of the closing "%%EOF" (-1 if missing). End is just past "%%EOF" and
	// its end-of-line: the place where a ByteRange may legitimately end. Without %%EOF, End is
	// just past the startxref number's line.
	EOF int64
	End int64
	// Trailer is the trailer dictionary (for an xref stream: the stream's dictionary).
	Trailer    Dict
	XRefStream bool // the section is an xref stream
	Hybrid     bool // a table with /XRefStm
	Linearized bool // the first-page and main sections of a linearized file, merged
	// Defined lists object numbers that first appear in this revision, Changed those given a
	// new version, Freed those marked free (object 0 excluded). Sorted.
	Defined, Changed, Freed []int
	// Anomalies lists structural oddities a verifier should weigh: a section found away from
	// its stated offset, a missing %%EOF, a startxref naming another section, an empty xref
	// keyword, a trailer without /Root, and so on. Empty for a clean revision.
	Anomalies []string

	entries map[int]XRefEntry
	secOffs []int64 // offsets of this revision's cross-reference sections (xref streams included)
	// relisted: the offsets of second listings of a number in one of its tables (see section)
	relisted map[int64]int
}

// File is an opened PDF. It is safe for concurrent use.
type File struct {
	r       io.ReaderAt
	data    []byte // the whole input when it is held in memory (OpenBytes), nil otherwise
	size    int64
	closer  io.Closer
	limits  Limits
	version string
	revs    []*Revision
	linear  bool

	reconstructed bool

	ctx      context.Context
	sections int          // cross-reference sections read (MaxRevisions)
	entries  int64        // cross-reference entries read, all sections (MaxXRefEntries)
	decoded  atomic.Int64 // bytes decoded from streams (MaxDecodedBytes)
	counted  atomic.Int64 // bytes DecodedSize counted (MaxDecodedBytes, apart)
	tripped  atomic.Pointer[LimitError]
	decrypt  bool       // Options.Decrypt
	dec      *decrypter // nil for an unencrypted file

	// hist lists, per object number, the revisions whose sections list it with their entries,
	// newest first: a lookup in a file of many revisions then costs one map access instead of
	// one per revision. Built once Open has settled the revisions, for files of several
	// revisions and a modest number of entries (entryAt walks the revisions otherwise).
	hist map[int][]revEntry

	mu          sync.Mutex
	ambig       []Ambiguity
	ambigSeen   map[Ambiguity]bool
	lengthAmbig int // AmbiguityLength records in ambig
	cache       map[cacheKey]Object
	parsed      map[parseKey]*IndirectObject // parseAt's results (see parseAt)
	objStms     map[cacheKey]*objStm
	objStmMem   int64
	loading     map[cacheKey]bool
	sizes       map[sizeKey]sizeCount // DecodedSize's counts

	// win is the buffer of the last lexer over f.r that finished, with the bytes it holds:
	// the next lexer takes it (see lexer), so that parsing the many small objects that sit
	// together (page dictionaries, the catalog, fields) reads and touches one buffer instead
	// of a fresh 4 KB one each. In a fresh process each fresh page costs a fault (~20 µs in
	// the virtual machines signing is measured in); the signer parses some 30 objects.
	win atomic.Pointer[lexWindow]
}

// lexWindow is a lexer buffer and the offset of the file bytes it holds.
type lexWindow struct {
	buf []byte
	off int64
}

type cacheKey struct {
	typ EntryType
	off int64
	gen int
}

// parseKey identifies one parse of an indirect object: where it starts, the object number asked
// for (-1 for none), and the revision whose objects resolved an indirect stream /Length (-1 when
// the parse resolved none, so its result is the same in every revision).
type parseKey struct {
	off      int64
	num, rev int
}

type revEntry struct {
	rev int
	e   XRefEntry
}

// Bounds of the entry index (File.hist): below minIndexedRevisions the walk is as cheap; above
// maxIndexedEntries the index would cost more memory than the walk costs time.
const (
	minIndexedRevisions = 4
	maxIndexedEntries   = 1 << 16
)

// indexEntries builds f.hist (see File).
func (f *File) indexEntries() {
	if len(f.revs) < minIndexedRevisions {
		return
	}
	total := 0
	for _, r := range f.revs {
		total += len(r.entries)
	}
	if total > maxIndexedEntries {
		return
	}
	hist := make(map[int][]revEntry, len(f.revs[0].entries))
	for k := len(f.revs) - 1; k >= 0; k-- {
		for n, e := range f.revs[k].entries {
			hist[n] = append(hist[n], revEntry{k, e})
		}
	}
	f.hist = hist
}

// entryAt returns object num's entry as seen in revision rev and the revision that supplied it.
func (f *File) entryAt(rev, num int) (XRefEntry, int, bool) {
	if f.hist != nil {
		for _, x := range f.hist[num] {
			if x.rev <= rev {
				return x.e, x.rev, true
			}
		}
		return XRefEntry{}, -1, false
	}
	for k := rev; k >= 0; k-- {
		if e, ok := f.revs[k].entries[num]; ok {
			return e, k, true
		}
	}
	return XRefEntry{}, -1, false
}

type objStm struct {
	data    []byte
	offsets map[int]int64 // object number → offset in data (First already added)
	order   []int         // object numbers by index
	offs    []int64       // offsets by index
	dups    map[int]bool  // numbers the stream lists more than once
	bad     string        // what is wrong with its index, readers resolve it differently
}

// Ambiguity kinds: places where two readers of the file could see different objects.
const (
	// AmbiguityGeneration: a reference or an object header whose generation differs from the
	// cross-reference entry (readers ignore it, return null, or rebuild the table).
	AmbiguityGeneration = "generation"
	// AmbiguityOffset: an object's header was found some bytes away from its stated offset
	// (readers accept it or rebuild the table by scanning).
	AmbiguityOffset = "offset"
	// AmbiguityObjStmDuplicate: an object stream lists the same object number twice (readers
	// take the entry's index, the first or the last listing).
	AmbiguityObjStmDuplicate = "objstm-duplicate"
	// AmbiguityObjStmIndex: the cross-reference entry's index into an object stream names
	// another object number there (poppler and PDFium read null, pdf.js the object at the
	// index, this package the listing of the number).
	AmbiguityObjStmIndex = "objstm-index"
	// AmbiguityObjStmHeader: an object stream's index is malformed — fewer pairs than /N,
	// offsets not increasing or outside the data, /First inside the index — or an object's
	// syntax runs into the next object's bytes (poppler then drops the whole stream or cuts the
	// object at the next offset; PDFium and pdf.js parse on).
	AmbiguityObjStmHeader = "objstm-header"
	// AmbiguityHybrid: a hybrid section's table and its /XRefStm list one object number with
	// different entries (readers differ on which one wins).
	AmbiguityHybrid = "hybrid"
	// AmbiguityLength: a stream's /Length does not end at its "endstream" keyword (too long,
	// too short, missing or unresolvable). This package and PDFium then take the data up to
	// the keyword, poppler the declared number of bytes — over "endstream endobj" into the
	// next object, or cut short. Offset is where the object was read.
	AmbiguityLength = "length"
)

// Ambiguity is one place where two readers could see different objects. Reading records them
// as objects are resolved (File.Ambiguities); a verifier must prove each harmless or report it.
type Ambiguity struct {
	Kind   string
	Num    int // the object number
	Detail string
	Offset int64 // AmbiguityLength: the offset of the object read (its "N G obj"); else 0
}

// Ambiguities returns the ambiguities met so far by any read of the file.
func (f *File) Ambiguities() []Ambiguity {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Ambiguity(nil), f.ambig...)
}

// noteAmbiguity records an ambiguity (f.mu held), at most 1000 per file.
func (f *File) noteAmbiguity(kind string, num int, format string, args ...any) {
	f.addAmbiguity(Ambiguity{Kind: kind, Num: num, Detail: fmt.Sprintf(format, args...)})
}

// addAmbiguity records a once. Stream lengths count apart, up to maxLengthAmbiguities: a
// producer that writes every /Length wrong must not use up the bound before a later revision's
// stream is read.
func (f *File) addAmbiguity(a Ambiguity) {
	if f.ambigSeen == nil {
		f.ambigSeen = map[Ambiguity]bool{}
	}
	if f.ambigSeen[a] {
		return
	}
	if a.Kind == AmbiguityLength {
		if f.lengthAmbig >= maxLengthAmbiguities {
			return
		}
		f.lengthAmbig++
	} else if len(f.ambig)-f.lengthAmbig >= 1000 {
		return
	}
	f.ambigSeen[a] = true
	f.ambig = append(f.ambig, a)
}

// maxLengthAmbiguities bounds the AmbiguityLength records of one file.
const maxLengthAmbiguities = 1 << 16

const (
	maxCachedObjects = 1 << 14
	maxObjStmMemory  = 16 << 20
)

// Open reads the structure of the PDF in r (size bytes): header, cross-reference sections and
// trailers of every revision. Objects are read later, on demand.
func Open(r io.ReaderAt, size int64, opts *Options) (*File, error) {
	return open(r, nil, size, opts)
}

// OpenBytes is Open over a file held in memory: objects are parsed straight from b, without
// copying them out of it first. b must not change while the File is in use.
func OpenBytes(b []byte, opts *Options) (*File, error) {
	return open(bytes.NewReader(b), b, int64(len(b)), opts)
}

func open(r io.ReaderAt, data []byte, size int64, opts *Options) (*File, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	f := &File{r: r, data: data, size: size, limits: o.Limits.withDefaults(), decrypt: o.Decrypt, ctx: o.Context,
		cache: map[cacheKey]Object{}, parsed: map[parseKey]*IndirectObject{}, objStms: map[cacheKey]*objStm{}, loading: map[cacheKey]bool{}}
	if err := f.open(); err != nil {
		if le := f.tripped.Load(); le != nil && !errors.Is(err, ErrLimit) {
			return nil, fmt.Errorf("%w (while: %v)", le, err)
		}
		return nil, err
	}
	f.indexEntries()
	return f, nil
}

// OpenFile opens the PDF at path; Close releases the file.
func OpenFile(path string, opts *Options) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	f, err := Open(fh, st.Size(), opts)
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	f.closer = fh
	return f, nil
}

// Close closes the underlying file when the File was made by OpenFile.
func (f *File) Close() error {
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

// Size returns the file length.
func (f *File) Size() int64 { return f.size }

// ReaderAt returns the underlying reader.
func (f *File) ReaderAt() io.ReaderAt { return f.r }

// lexer returns a lexer over the file at off: straight over the bytes when they are in memory.
// A lexer over f.r starts with the buffer that the last one handed back (release), holding
// the same file's bytes; the file does not change while f is open, as the object caches
// assume too.
func (f *File) lexer(off, maxToken int64) *Lexer {
	if f.data != nil {
		return NewBytesLexer(f.data, off, maxToken)
	}
	l := NewLexer(f.r, f.size, off, maxToken)
	if w := f.win.Swap(nil); w != nil {
		l.buf, l.bufOff = w.buf, w.off
	}
	return l
}

// release hands l's buffer to the next lexer over f; l must not be used afterwards.
func (f *File) release(l *Lexer) {
	if l == nil || l.whole || f.data != nil || cap(l.buf) != l.bufSize {
		return
	}
	f.win.Store(&lexWindow{buf: l.buf, off: l.bufOff})
}

// Version returns the version from the %PDF-x.y header (the catalog's /Version may be newer;
// see View.Version).
func (f *File) Version() string { return f.version }

// Linearized reports whether the file starts with a linearization dictionary.
func (f *File) Linearized() bool { return f.linear }

// Revisions returns the revisions, oldest first. The slice must not be modified.
func (f *File) Revisions() []*Revision { return f.revs }

// Limits returns the limits in force.
func (f *File) Limits() Limits { return f.limits }

// Exceeded returns the first *LimitError met while reading the file, or nil. Readers that
// tolerate unreadable objects (a missing dictionary is often just a defect) must check it
// before trusting what they saw: an object skipped because a budget ran out is not a defect
// of the file but a part the reader did not judge.
func (f *File) Exceeded() error {
	if le := f.tripped.Load(); le != nil {
		return le
	}
	return nil
}

// trip records err when it is a limit error and returns it unchanged.
func (f *File) trip(err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		f.tripped.CompareAndSwap(nil, le)
	}
	return err
}

// cancelled returns the context's error, if any.
func (f *File) cancelled() error {
	if f.ctx == nil {
		return nil
	}
	return f.ctx.Err()
}

// Tail returns the bytes after the end of the last revision: their span, and whether any of
// them is not white space (an appended section without a proper cross-reference, or junk).
func (f *File) Tail() (Span, bool) {
	last := f.revs[len(f.revs)-1]
	sp := Span{last.End, f.size}
	if sp.Len() <= 0 {
		return Span{f.size, f.size}, false
	}
	lx := f.lexer(sp.Start, 0)
	defer f.release(lx)
	for off := sp.Start; off < sp.End; off++ {
		c, ok := lx.byteAt(off)
		if !ok {
			break
		}
		if !IsWhite(c) {
			return sp, true
		}
	}
	return sp, false
}

// ReadRange returns the bytes in sp.
func (f *File) ReadRange(sp Span) ([]byte, error) {
	if !InRange(sp.Start, sp.End-sp.Start, f.size) || sp.End < sp.Start {
		return nil, fmt.Errorf("%w: range %d-%d outside the file", ErrMalformed, sp.Start, sp.End)
	}
	b := make([]byte, sp.Len())
	if _, err := f.r.ReadAt(b, sp.Start); err != nil && !(errors.Is(err, io.EOF) && sp.End == f.size) {
		return nil, err
	}
	return b, nil
}

func (f *File) open() error {
	if f.size < 8 {
		return fmt.Errorf("%w: %d bytes", ErrNotPDF, f.size)
	}
	lx := f.lexer(0, f.limits.MaxObjectSize)
	hdrLimit := int64(1024)
	if h := lx.IndexFrom([]byte("%PDF-"), 0, hdrLimit); h >= 0 {
		v := lx.ReadRaw(h+5, 3)
		if len(v) == 3 && v[0] >= '1' && v[0] <= '9' && v[1] == '.' {
			f.version = string(v)
		}
		f.release(lx) // the first object is in the bytes the scan read
		f.linear = f.detectLinearized(h)
		lx = f.lexer(0, f.limits.MaxObjectSize)
	} else {
		return fmt.Errorf("%w: no %%PDF- header in the first %d bytes", ErrNotPDF, hdrLimit)
	}
	sx := lx.LastIndexBefore(startxrefKw, 0, f.size)
	if sx < 0 {
		return fmt.Errorf("%w: no startxref", ErrNotPDF)
	}
	lx.SetPos(sx + int64(len(startxrefKw)))
	t, err := lx.Next()
	if err != nil || t.Kind != TokInt {
		return fmt.Errorf("%w: startxref at %d has no offset", ErrMalformed, sx)
	}
	f.release(lx) // it holds the end of the file: the last section and trailer, often
	// Walk the /Prev chain, newest first.
	var chain []*section
	seen := map[int64]bool{}
	off := t.Int
	for {
		if err := f.cancelled(); err != nil {
			return err
		}
		if len(chain) >= f.limits.MaxRevisions {
			return f.trip(limitErr("MaxRevisions", int64(f.limits.MaxRevisions)))
		}
		if seen[off] {
			// A loop (often a /Prev naming its own section; chain is never empty here): keep
			// the sections read so far, as for a broken older section; the catalog check below
			// rebuilds from the bytes when the chain no longer reaches the catalog.
			chain[len(chain)-1].anomaly = append(chain[len(chain)-1].anomaly,
				fmt.Sprintf("/Prev chain loops at offset %d", off))
			break
		}
		seen[off] = true
		s, err := f.readSection(off)
		if err != nil {
			if len(chain) == 0 {
				if errors.Is(err, ErrLimit) {
					return err
				}
				if rerr := f.reconstruct(fmt.Sprintf("no readable cross-reference section at startxref %d (%v)", off, err)); rerr != nil {
					return fmt.Errorf("read cross-reference section at %d: %w", off, err)
				}
				return f.checkEncrypted()
			}
			if errors.Is(err, ErrLimit) {
				return err // a budget is not a defect: never read on as if the section were broken
			}
			// A broken older section: keep what we have and say so.
			chain[len(chain)-1].anomaly = append(chain[len(chain)-1].anomaly,
				fmt.Sprintf("/Prev %d does not lead to a readable cross-reference section: %v", off, err))
			break
		}
		seen[s.offset] = true
		s.strictTrailer()
		f.strictTable(s)
		if s.xrefStm >= 0 && !s.stream {
			hs, err := f.readSection(s.xrefStm)
			if errors.Is(err, ErrLimit) {
				return err
			}
			if err != nil || !hs.stream {
				s.anomaly = append(s.anomaly, fmt.Sprintf("/XRefStm %d is not a readable xref stream", s.xrefStm))
			} else {
				for n, e := range hs.entries {
					te, ok := s.entries[n]
					if !ok {
						s.entries[n] = e
						continue
					}
					// The table wins here, as in poppler and pdf.js; a reader that lets the
					// stream win sees another object. A free table row beside a compressed
					// one is the hybrid layout itself (older readers skip those objects).
					if te != e && te.Type != EntryFree && e.Type != EntryFree {
						f.noteAmbiguity(AmbiguityHybrid, n, "object %d is listed by the table at %d and by its /XRefStm at %d differently", n, s.offset, s.xrefStm)
					}
				}
			}
		}
		chain = append(chain, s)
		prev, ok := IntOf(s.trailer.Get("Prev"))
		if !ok {
			break
		}
		off = prev
	}
	f.strictEntries(chain)
	if d := f.size - sx; d > startxrefWindow {
		if n := f.paddingAfterEOF(sx); n > 0 {
			chain[0].anomaly = append(chain[0].anomaly, fmt.Sprintf("%d bytes of padding after %%%%EOF put startxref %d bytes before the end of the file (poppler and qpdf look for it only in the last %d bytes and rebuild the table: "+StrictnessMark+")", n, d, startxrefWindow))
		} else {
			chain[0].anomaly = append(chain[0].anomaly, fmt.Sprintf("startxref is %d bytes before the end of the file (poppler and qpdf look for it only in the last %d bytes and rebuild the table: "+StrictnessMark+")", d, startxrefWindow))
		}
	}
	if err := f.buildRevisions(chain); err != nil {
		return err
	}
	if err := f.checkEncrypted(); err != nil {
		return err
	}
	if _, err := f.Latest().Catalog(); err != nil && !errors.Is(err, ErrLimit) {
		// The chain does not lead to a catalog (e.g. an appended section without entries or
		// /Prev): rebuild from the bytes, as viewers do.
		saved := f.revs
		f.revs = nil
		if rerr := f.reconstruct(fmt.Sprintf("the cross-reference chain does not reach the catalog (%v)", err)); rerr != nil {
			f.revs = saved
			return nil
		}
		clear(f.cache)
		clear(f.parsed)
		return f.checkEncrypted()
	}
	return nil
}

// checkEncrypted looks at /Encrypt in every trailer: absent or null (an xref stream may say
// /Encrypt null) is no encryption. All revisions must agree; with Options.Decrypt the file is
// opened with the empty user password, otherwise it is refused.
func (f *File) checkEncrypted() error {
	f.dec = nil
	var enc Object
	for i, r := range f.revs {
		e := r.Trailer.Get("Encrypt")
		if ref, ok := e.(Ref); ok {
			if o, err := f.Latest().Object(ref); err == nil {
				if _, null := o.(Null); null {
					e = nil
				}
			}
		}
		if _, null := e.(Null); null {
			e = nil
		}
		if i == 0 {
			enc = e
		} else if !Equal(e, enc) {
			return fmt.Errorf("%w: revisions %d and %d disagree about /Encrypt", ErrEncrypted, i-1, i)
		}
	}
	if enc == nil {
		return nil
	}
	if !f.decrypt {
		return ErrEncrypted
	}
	if err := f.setupDecryption(enc); err != nil {
		return err
	}
	f.mu.Lock()
	clear(f.cache)
	clear(f.parsed)
	clear(f.objStms)
	f.objStmMem = 0
	f.mu.Unlock()
	return nil
}

func (f *File) detectLinearized(hdr int64) bool {
	lx := f.lexer(hdr, 1<<16)
	defer f.release(lx)
	lx.SkipSpace() // the header and binary comment lines are comments
	p := NewParser(lx, &f.limits)
	obj, err := p.ParseIndirect()
	if err != nil || obj.Span.Start > 1024 {
		return false
	}
	if _, stream := obj.Value.(*Stream); !stream && f.limits.MaxObjectSize >= 1<<16 {
		// The first object (often the catalog) is read once: this is what parseAt would make
		// of the same bytes (under the same limits, and resolving no stream /Length, so it
		// holds in every revision).
		f.mu.Lock()
		f.parsed[parseKey{obj.Span.Start, obj.Ref.Num, -1}] = obj
		f.mu.Unlock()
	}
	d, ok := obj.Value.(Dict)
	return ok && d.Get("Linearized") != nil
}

// buildRevisions turns the chain (newest first) into revisions (oldest first).
func (f *File) buildRevisions(chain []*section) error {
	type group struct{ secs []*section } // secs[0] is the one the chain reached first (newer)
	var groups []group
	for i := len(chain) - 1; i >= 0; i-- {
		s := chain[i]
		if f.linear && len(groups) > 0 && len(groups[len(groups)-1].secs) == 1 && i == len(chain)-2 &&
			s.offset < groups[len(groups)-1].secs[0].offset {
			// The first-page section of a linearized original points forward to the main one.
			g := &groups[len(groups)-1]
			g.secs = append([]*section{s}, g.secs...)
			continue
		}
		groups = append(groups, group{secs: []*section{s}})
	}
	known := knownSet{budget: f.limits.MaxXRefEntries}
	for gi, g := range groups {
		first := g.secs[0]
		rev := &Revision{Index: gi, XRefOffset: first.offset, XRefStream: first.stream,
			Hybrid: first.xrefStm >= 0 && !first.stream, Linearized: len(g.secs) > 1,
			entries: map[int]XRefEntry{}, Trailer: first.trailer}
		if len(g.secs) == 1 {
			// The revision owns its one section's entries: no copy (a budget's worth of
			// entries would otherwise cost twice the memory).
			rev.entries, first.entries = first.entries, nil
		}
		var end int64
		for k := len(g.secs) - 1; k >= 0; k-- { // older first so newer entries win
			s := g.secs[k]
			rev.secOffs = append(rev.secOffs, s.offset)
			if s.xrefStm >= 0 {
				rev.secOffs = append(rev.secOffs, s.xrefStm)
			}
			if len(g.secs) > 1 {
				for n, e := range s.entries {
					rev.entries[n] = e
				}
			}
			if s.end > end {
				end = s.end
			}
			rev.Anomalies = append(rev.Anomalies, s.anomaly...)
			for off, n := range s.relisted {
				if rev.relisted == nil {
					rev.relisted = map[int64]int{}
				}
				rev.relisted[off] = n
			}
		}
		if len(g.secs) > 1 {
			tr := g.secs[len(g.secs)-1].trailer.Clone()
			for k, v := range first.trailer {
				tr[k] = v
			}
			rev.Trailer = tr
		}
		f.findEnd(rev, end)
		if len(rev.entries) == 0 && len(g.secs) == 1 {
			rev.Anomalies = append(rev.Anomalies, "cross-reference section has no entries")
		}
		if rev.Trailer.Get("Root") == nil {
			rev.Anomalies = append(rev.Anomalies, "trailer has no /Root")
		}
		rev.classify(&known)
		f.revs = append(f.revs, rev)
	}
	for i := 1; i < len(f.revs); i++ {
		if f.revs[i].XRefOffset < f.revs[i-1].End {
			f.revs[i].Anomalies = append(f.revs[i].Anomalies, "cross-reference section lies inside an earlier revision")
		}
	}
	if len(f.revs) == 0 {
		return fmt.Errorf("%w: no cross-reference sections", ErrNotPDF)
	}
	return nil
}

// findEnd locates the startxref / %%EOF that close a revision whose sections end at from.
func (f *File) findEnd(rev *Revision, from int64) {
	rev.StartXRef, rev.StartXRefValue, rev.EOF = -1, -1, -1
	rev.End = from
	lx := f.lexer(from, 1<<16)
	defer f.release(lx)
	sx := lx.IndexFrom(startxrefKw, from, f.size)
	if sx < 0 {
		rev.Anomalies = append(rev.Anomalies, "no startxref after the cross-reference section")
		return
	}
	lx.SkipSpace()
	if lx.Pos() < sx {
		rev.Anomalies = append(rev.Anomalies, fmt.Sprintf("%d bytes of content between the cross-reference section and startxref", sx-from))
	}
	rev.StartXRef = sx
	pos := sx + int64(len(startxrefKw))
	lx.SetPos(pos)
	lx.skipWhiteOnly()
	numStart := lx.Pos()
	for {
		c, ok := lx.peek()
		if !ok || c < '0' || c > '9' {
			break
		}
		lx.next()
	}
	if lx.Pos() > numStart {
		v, err := strconv.ParseInt(string(lx.ReadRaw(numStart, lx.Pos()-numStart)), 10, 64)
		if err == nil {
			rev.StartXRefValue = v
		}
		pos = lx.Pos()
	}
	if rev.StartXRefValue != rev.XRefOffset {
		rev.Anomalies = append(rev.Anomalies, fmt.Sprintf("startxref says %d but the section is at %d", rev.StartXRefValue, rev.XRefOffset))
	}
	lx.skipWhiteOnly()
	if b := lx.ReadRaw(lx.Pos(), 5); bytes.Equal(b, eofMarker) {
		rev.EOF = lx.Pos()
		pos = rev.EOF + 5
		pos = skipEOL(lx, pos)
	} else {
		rev.Anomalies = append(rev.Anomalies, "no %%EOF after startxref")
		// End after the rest of the startxref line.
		for {
			c, ok := lx.byteAt(pos)
			if !ok || c == '\n' || c == '\r' {
				break
			}
			pos++
		}
		pos = skipEOL(lx, pos)
	}
	rev.End = pos
}

func skipEOL(lx *Lexer, pos int64) int64 {
	if c, ok := lx.byteAt(pos); ok && c == '\r' {
		pos++
		if c, ok := lx.byteAt(pos); ok && c == '\n' {
			pos++
		}
	} else if ok && c == '\n' {
		pos++
	}
	return pos
}

func (l *Lexer) skipWhiteOnly() {
	for {
		c, ok := l.peek()
		if !ok || !IsWhite(c) {
			return
		}
		l.pos++
	}
}

// View returns the document as seen in revision k (0 = original). Revision numbers outside
// the range are clamped.
func (f *File) View(k int) *View {
	if k < 0 {
		k = 0
	}
	if k >= len(f.revs) {
		k = len(f.revs) - 1
	}
	return &View{f: f, rev: k}
}

// Latest returns the view of the newest revision.
func (f *File) Latest() *View { return f.View(len(f.revs) - 1) }

// View is the document as of one revision: objects resolve through that revision's
// cross-reference section and the older ones, ignoring later updates.
type View struct {
	f   *File
	rev int
}

// File returns the file the view belongs to.
func (v *View) File() *File { return v.f }

// Revision returns the revision the view shows.
func (v *View) Revision() *Revision { return v.f.revs[v.rev] }

// Trailer returns the view's trailer dictionary.
func (v *View) Trailer() Dict { return v.f.revs[v.rev].Trailer }

// Entry returns the cross-reference entry for object num as seen in this view, and the index
// of the revision that supplied it.
func (v *View) Entry(num int) (XRefEntry, int, bool) { return v.f.entryAt(v.rev, num) }

// Object returns the object ref as seen in this view. A missing or free object is Null{} (as
// the PDF standard says); an unreadable one is an error.
func (v *View) Object(ref Ref) (Object, error) {
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	return v.f.object(v.rev, ref, 0)
}

// Resolve follows references until o is a direct object.
func (v *View) Resolve(o Object) (Object, error) {
	for i := 0; i < 32; i++ {
		r, ok := o.(Ref)
		if !ok {
			return o, nil
		}
		var err error
		if o, err = v.Object(r); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: reference chain too long", ErrMalformed)
}

// Dict resolves o and returns it as a dictionary (a stream's dictionary counts), or nil.
func (v *View) Dict(o Object) Dict {
	r, err := v.Resolve(o)
	if err != nil {
		return nil
	}
	switch x := r.(type) {
	case Dict:
		return x
	case *Stream:
		return x.Dict
	}
	return nil
}

// Catalog returns the document catalog (/Root).
func (v *View) Catalog() (Dict, error) {
	root := v.Trailer().Get("Root")
	for k := v.rev - 1; root == nil && k >= 0; k-- {
		// A trailer without /Root (an anomaly the revision reports) inherits it, as viewers do.
		root = v.f.revs[k].Trailer.Get("Root")
	}
	if root == nil {
		return nil, fmt.Errorf("%w: trailer has no /Root", ErrMalformed)
	}
	d := v.Dict(root)
	if d == nil {
		o, err := v.Resolve(root)
		if err != nil {
			return nil, fmt.Errorf("read catalog: %w", err)
		}
		return nil, fmt.Errorf("%w: /Root is %T, not a dictionary", ErrMalformed, o)
	}
	return d, nil
}

// Version returns the effective PDF version: the catalog's /Version when newer than the header.
func (v *View) Version() string {
	ver := v.f.version
	if c, err := v.Catalog(); err == nil {
		if n, ok := c.Get("Version").(Name); ok && string(n) > ver {
			ver = string(n)
		}
	}
	return ver
}

// Indirect re-reads object ref (as seen in this view) with its byte span and the spans of its
// top-level dictionary values. For an object inside an object stream, Span and ValueSpans are
// empty and ObjStm reports the containing stream.
func (v *View) Indirect(ref Ref) (*IndirectObject, int, error) {
	e, _, ok := v.Entry(ref.Num)
	if !ok || e.Type == EntryFree {
		return nil, 0, fmt.Errorf("%w: object %d %d", ErrNotFound, ref.Num, ref.Gen)
	}
	if e.Type == EntryCompressed {
		o, err := v.Object(ref)
		if err != nil {
			return nil, 0, err
		}
		return &IndirectObject{Ref: ref, Value: o}, int(e.Offset), nil
	}
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	obj, err := v.f.parseAt(v.rev, e.Offset, ref)
	return obj, 0, err
}

// ParseIndirectAt parses the indirect object whose "N G obj" header starts exactly at off;
// stream lengths given by reference resolve in the latest revision.
func (f *File) ParseIndirectAt(off int64) (*IndirectObject, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.parseAt(len(f.revs)-1, off, Ref{Num: -1})
}

// parseAt parses "N G obj" at off; when want.Num ≥ 0 the header must name that object, and a
// header a few bytes away is accepted (a common offset defect).
//
// A successful parse is cached (a signature dictionary is asked for by several readers, each
// for its spans or its value, and its /Contents is tens of kilobytes): by offset and wanted
// number, and by revision too when the parse resolved an indirect stream /Length, which
// another revision may define differently. Callers must not modify the result.
func (f *File) parseAt(rev int, off int64, want Ref) (*IndirectObject, error) {
	num := max(want.Num, -1)
	if obj, ok := f.parsed[parseKey{off, num, -1}]; ok {
		return obj, nil
	}
	if obj, ok := f.parsed[parseKey{off, num, rev}]; ok {
		return obj, nil
	}
	resolved := false
	obj, err := f.parseUncached(rev, off, want, &resolved)
	if err == nil {
		key := parseKey{off, num, -1}
		if resolved {
			key.rev = rev
		}
		if len(f.parsed) >= maxCachedObjects {
			clear(f.parsed)
		}
		f.parsed[key] = obj
	}
	return obj, err
}

func (f *File) parseUncached(rev int, off int64, want Ref, resolved *bool) (*IndirectObject, error) {
	p := f.newParser(rev, off)
	defer f.release(p.lx)
	if rl := p.ResolveLength; rl != nil {
		p.ResolveLength = func(r Ref) (int64, bool) {
			*resolved = true
			return rl(r)
		}
	}
	obj, err := p.ParseIndirect()
	if want.Num < 0 {
		return obj, err
	}
	if err == nil && obj.Ref.Num == want.Num {
		f.noteLength(p, obj, off)
		return obj, nil
	}
	if errors.Is(err, ErrLimit) {
		return nil, err
	}
	if alt, ok := f.findObjNear(off, want.Num); ok {
		p.SetPos(alt)
		obj2, err2 := p.ParseIndirect()
		if err2 == nil && obj2.Ref.Num == want.Num {
			f.noteAmbiguity(AmbiguityOffset, want.Num, "object %d's header is at %d, not at its stated offset %d", want.Num, alt, off)
			f.noteLength(p, obj2, alt)
			return obj2, nil
		}
	}
	if err == nil {
		err = fmt.Errorf("%w: offset %d holds object %d, not %d", ErrMalformed, off, obj.Ref.Num, want.Num)
	}
	return nil, err
}

// noteLength records an AmbiguityLength when the parser found obj's stream data by searching
// for "endstream" instead of by its /Length (f.mu held).
func (f *File) noteLength(p *Parser, obj *IndirectObject, off int64) {
	if p.lengthNote == "" {
		return
	}
	f.addAmbiguity(Ambiguity{Kind: AmbiguityLength, Num: obj.Ref.Num, Offset: off,
		Detail: fmt.Sprintf("stream object %d %s", obj.Ref.Num, p.lengthNote)})
	p.lengthNote = ""
}

func (f *File) findObjNear(off int64, num int) (int64, bool) {
	const window = 64
	lo := off - window
	if lo < 0 {
		lo = 0
	}
	b := make([]byte, 2*window+32)
	n, _ := f.r.ReadAt(b, lo)
	b = b[:n]
	best, found := int64(0), false
	for _, m := range objHeaderRe().FindAllSubmatchIndex(b, -1) {
		if string(b[m[2]:m[3]]) != strconv.Itoa(num) {
			continue
		}
		p := lo + int64(m[2])
		if !found || abs64(p-off) < abs64(best-off) {
			best, found = p, true
		}
	}
	return best, found
}

func (f *File) newParser(rev int, off int64) *Parser {
	lx := f.lexer(off, f.limits.MaxObjectSize)
	p := NewParser(lx, &f.limits)
	p.ResolveLength = func(r Ref) (int64, bool) {
		o, err := f.object(rev, r, 1)
		if err != nil {
			return 0, false
		}
		n, ok := IntOf(o)
		return n, ok && n >= 0
	}
	return p
}

// object loads ref as seen in revision rev. f.mu is held.
func (f *File) object(rev int, ref Ref, depth int) (Object, error) {
	if depth > 8 {
		return nil, fmt.Errorf("%w: object %d refers to itself while loading", ErrMalformed, ref.Num)
	}
	e, _, found := f.entryAt(rev, ref.Num)
	if !found || e.Type == EntryFree || ref.Num == 0 {
		return Null{}, nil
	}
	switch {
	case e.Type == EntryInUse && ref.Gen != e.Gen:
		f.noteAmbiguity(AmbiguityGeneration, ref.Num, "object %d is referred to with generation %d but listed with generation %d", ref.Num, ref.Gen, e.Gen)
	case e.Type == EntryCompressed && ref.Gen != 0:
		f.noteAmbiguity(AmbiguityGeneration, ref.Num, "object %d is referred to with generation %d but lies in an object stream (generation 0)", ref.Num, ref.Gen)
	}
	// Cache by where the bytes are, so views of different revisions share what is the same
	// and never share what differs: an uncompressed object by its offset (and number, to catch
	// entries that name the wrong object), a compressed one by its object stream's offset —
	// a later revision may redefine the object stream under the same number.
	key := cacheKey{e.Type, e.Offset, ref.Num}
	if e.Type == EntryCompressed {
		se, ok := f.entryIn(rev, int(e.Offset))
		if !ok || se.Type != EntryInUse {
			return nil, fmt.Errorf("object %d: %w: object stream %d is not an uncompressed object", ref.Num, ErrMalformed, e.Offset)
		}
		key.off = se.Offset
	}
	if o, ok := f.cache[key]; ok {
		return o, nil
	}
	if f.loading[key] {
		return nil, fmt.Errorf("%w: object %d refers to itself while loading", ErrMalformed, ref.Num)
	}
	f.loading[key] = true
	defer delete(f.loading, key)
	var o Object
	switch e.Type {
	case EntryInUse:
		ind, err := f.parseAt(rev, e.Offset, ref)
		if err != nil {
			return nil, fmt.Errorf("object %d: %w", ref.Num, f.trip(err))
		}
		if ind.Ref.Gen != e.Gen {
			f.noteAmbiguity(AmbiguityGeneration, ref.Num, "object %d's header says generation %d, its cross-reference entry %d", ref.Num, ind.Ref.Gen, e.Gen)
		}
		o = ind.Value
		if f.dec != nil {
			if o, err = f.dec.decryptObject(o, ind.Ref); err != nil {
				return nil, err
			}
		}
	case EntryCompressed:
		var err error
		o, err = f.compressed(rev, int(e.Offset), ref.Num, e.Gen, depth)
		if err != nil {
			f.trip(err)
			return nil, fmt.Errorf("object %d in object stream %d: %w", ref.Num, e.Offset, err)
		}
	}
	if len(f.cache) >= maxCachedObjects {
		clear(f.cache)
	}
	f.cache[key] = o
	return o, nil
}

// entryIn returns object num's entry as seen in revision rev.
func (f *File) entryIn(rev, num int) (XRefEntry, bool) {
	e, _, ok := f.entryAt(rev, num)
	return e, ok
}

// ObjStmNumbers returns the object numbers object stream stm lists in its index, in order, as
// seen in this view (a verifier compares them with what the cross-reference sections place
// there: a stream that also holds a definition the table does not point to is a hidden object
// for a reader that rebuilds the table from the bytes).
func (v *View) ObjStmNumbers(stm int) ([]int, error) {
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	ost, err := f.objStmIn(v.rev, stm, 0)
	if err != nil {
		return nil, err
	}
	return append([]int(nil), ost.order...), nil
}

func (f *File) compressed(rev, stmNum, num, index, depth int) (Object, error) {
	ost, err := f.objStmIn(rev, stmNum, depth)
	if err != nil {
		return nil, err
	}
	return f.fromObjStm(ost, stmNum, num, index)
}

// objStmIn loads object stream stmNum as seen in revision rev (f.mu held), through the cache.
func (f *File) objStmIn(rev, stmNum, depth int) (*objStm, error) {
	se, found := f.entryIn(rev, stmNum)
	if !found || se.Type != EntryInUse {
		return nil, fmt.Errorf("%w: object stream %d is not an uncompressed object", ErrMalformed, stmNum)
	}
	key := cacheKey{EntryInUse, se.Offset, stmNum}
	ost, ok := f.objStms[key]
	if !ok {
		o, err := f.object(rev, Ref{Num: stmNum}, depth+1)
		if err != nil {
			return nil, err
		}
		st, ok := o.(*Stream)
		if !ok {
			return nil, fmt.Errorf("%w: object stream %d is not a stream", ErrMalformed, stmNum)
		}
		// An indirect /N or /First is resolved as every reader resolves it (MuPDF's
		// pdf_dict_get_int, poppler's lookup, pdf.js's get): not resolving it read an empty
		// index where MuPDF's repair loaded a page (red team s7 G2). Such a stream is not
		// cached: another revision may define the number differently.
		st, indirect, err := f.directObjStmDict(rev, st, depth)
		if err != nil {
			return nil, err
		}
		if f.objStmMem >= maxObjStmMemory/2 {
			// Drop the cache before decoding, not after: a file of large object streams then
			// holds one of them, not two, while the next decodes.
			clear(f.objStms)
			f.objStmMem = 0
		}
		ost, err = f.loadObjStm(st)
		if err != nil {
			return nil, err
		}
		if indirect {
			return ost, nil
		}
		if f.objStmMem+int64(len(ost.data)) > maxObjStmMemory {
			clear(f.objStms)
			f.objStmMem = 0
		}
		f.objStms[key] = ost
		f.objStmMem += int64(len(ost.data))
	}
	return ost, nil
}

func (f *File) fromObjStm(ost *objStm, stmNum, num, index int) (Object, error) {
	// The entry's index decides, as in most readers; an index naming another number, a number
	// listed twice or a malformed index is an ambiguity (readers differ: see the kinds).
	off, ok := ost.offsets[num]
	at := -1
	if index >= 0 && index < len(ost.order) && ost.order[index] == num {
		off, ok, at = ost.offs[index], true, index
	} else {
		other := "nothing"
		if index >= 0 && index < len(ost.order) {
			other = fmt.Sprintf("object %d", ost.order[index])
		}
		f.noteAmbiguity(AmbiguityObjStmIndex, num, "object %d's cross-reference entry points at index %d of object stream %d, which holds %s there", num, index, stmNum, other)
		if ok {
			for i, n := range ost.order {
				if n == num {
					at = i
					break
				}
			}
		}
	}
	if ost.bad != "" {
		f.noteAmbiguity(AmbiguityObjStmHeader, num, "object %d lies in object stream %d, whose index is malformed: %s", num, stmNum, ost.bad)
	}
	if !ok {
		return Null{}, nil
	}
	if ost.dups[num] {
		f.noteAmbiguity(AmbiguityObjStmDuplicate, num, "object stream %d lists object %d more than once", stmNum, num)
	}
	lx := NewBytesLexer(ost.data, off, f.limits.MaxObjectSize)
	p := NewParser(lx, &f.limits)
	o, span, err := p.ParseObjectSpan()
	if err == nil && at >= 0 && at+1 < len(ost.offs) && span.End > ost.offs[at+1] && ost.offs[at+1] > off {
		f.noteAmbiguity(AmbiguityObjStmHeader, num, "object %d in object stream %d runs into the next object's bytes (poppler cuts it there)", num, stmNum)
	}
	return o, err
}

// directObjStmDict returns st with /N, /First and /Type resolved in revision rev when they
// are references (f.mu held), and whether any was.
func (f *File) directObjStmDict(rev int, st *Stream, depth int) (*Stream, bool, error) {
	var d Dict
	for _, k := range []Name{"N", "First", "Type"} {
		r, ok := st.Dict.Get(k).(Ref)
		if !ok {
			continue
		}
		o, err := f.object(rev, r, depth+1)
		if err != nil {
			return nil, false, fmt.Errorf("object stream /%s: %w", k, err)
		}
		if d == nil {
			d = st.Dict.Clone()
		}
		d[k] = o
	}
	if d == nil {
		return st, false, nil
	}
	cp := *st
	cp.Dict = d
	return &cp, true, nil
}

// ObjStmNumbersOf returns the object numbers that st, an object stream found anywhere in the
// bytes (listed or not), declares in its index, reading /N, /First and /Type through
// references in this view as MuPDF's repair does (pdf_repair_obj_stm). ok is false when st's
// /Type is not /ObjStm, directly or through a reference.
func (v *View) ObjStmNumbersOf(st *Stream) (nums []int, ok bool, err error) {
	f := v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	_, typeRef := st.Dict.Get("Type").(Ref)
	st, _, err = f.directObjStmDict(v.rev, st, 0)
	if err != nil {
		return nil, true, err
	}
	if _, null := st.Dict.Get("Type").(Null); typeRef && null {
		// A reader that rebuilds may hold the object this view lacks (another hidden one).
		return nil, true, fmt.Errorf("%w: its /Type is a reference to an object this revision does not hold", ErrMalformed)
	}
	if st.Dict.NameOf("Type") != "ObjStm" {
		return nil, false, nil
	}
	for _, k := range []Name{"N", "First"} {
		if _, ok := IntOf(st.Dict.Get(k)); !ok {
			return nil, true, fmt.Errorf("%w: its /%s is not an integer here", ErrMalformed, k)
		}
	}
	ost, err := f.loadObjStm(st)
	if err != nil {
		return nil, true, err
	}
	return append([]int(nil), ost.order...), true, nil
}

func (f *File) loadObjStm(st *Stream) (*objStm, error) {
	n, _ := IntOf(st.Dict.Get("N"))
	first, _ := IntOf(st.Dict.Get("First"))
	if n > int64(f.limits.MaxObjStmObjects) {
		return nil, f.trip(&LimitError{Limit: "MaxObjStmObjects", Max: int64(f.limits.MaxObjStmObjects), Got: n})
	}
	if n < 0 || first < 0 {
		return nil, fmt.Errorf("%w: bad object stream /N or /First", ErrMalformed)
	}
	data, err := f.decodeStream(st)
	if err != nil {
		return nil, err
	}
	if first > int64(len(data)) {
		return nil, fmt.Errorf("%w: object stream /First beyond its data", ErrMalformed)
	}
	ost := &objStm{data: data, offsets: map[int]int64{}}
	// The index is read up to /First; readers that read it from the start of the data without
	// that bound see more pairs when /First points inside it, which is marked (bad).
	lx := NewBytesLexer(data[:first], 0, 64)
	for i := int64(0); i < n; i++ {
		t1, err := lx.Next()
		if err != nil {
			return nil, err
		}
		t2, err := lx.Next()
		if err != nil {
			return nil, err
		}
		if t1.Kind != TokInt || t2.Kind != TokInt || t1.Int < 0 || !InRange(first, t2.Int, int64(len(data))) {
			switch {
			case t1.Kind == TokEOF || t2.Kind == TokEOF:
				ost.bad = fmt.Sprintf("/N is %d but the index up to /First %d holds %d pairs", n, first, i)
				// A number right at /First continues the index for readers without the bound.
				if t, err := NewBytesLexer(data, first, 64).Next(); err == nil && t.Kind == TokInt {
					ost.bad = fmt.Sprintf("/First %d points inside the index (/N %d)", first, n)
				}
			default:
				ost.bad = fmt.Sprintf("index pair %d is not two numbers inside the data", i+1)
			}
			break
		}
		if k := len(ost.offs); k > 0 && first+t2.Int <= ost.offs[k-1] && ost.bad == "" {
			ost.bad = fmt.Sprintf("offsets not increasing at pair %d", k+1)
		}
		num := int(t1.Int)
		if _, dup := ost.offsets[num]; !dup {
			ost.offsets[num] = first + t2.Int
		} else {
			if ost.dups == nil {
				ost.dups = map[int]bool{}
			}
			ost.dups[num] = true
		}
		ost.order = append(ost.order, num)
		ost.offs = append(ost.offs, first+t2.Int)
	}
	return ost, nil
}

// StreamData returns the decoded data of s (see DecodeFilters: image codecs are not decoded).
// A /Filter or /DecodeParms given by reference is resolved in the latest revision.
func (f *File) StreamData(s *Stream) ([]byte, error) { return f.streamData(s, true, 0) }

// OptionalStreamData is StreamData for data a reader may do without (validation data whose
// absence only lowers trust): a limit met decoding it is returned but not recorded as part of
// the file left unjudged (see Exceeded).
func (f *File) OptionalStreamData(s *Stream) ([]byte, error) { return f.streamData(s, false, 0) }

// OptionalStreamDataMax is OptionalStreamData decoding at most max bytes (a caller's own
// budget): beyond it, a *LimitError naming MaxStreamSize, and nothing more is decoded.
func (f *File) OptionalStreamDataMax(s *Stream, max int64) ([]byte, error) {
	if max <= 0 {
		return nil, limitErr("MaxStreamSize", max)
	}
	return f.streamData(s, false, max)
}

func (f *File) streamData(s *Stream, record bool, max int64) ([]byte, error) {
	s, err := f.directFilters(s)
	if err != nil {
		return nil, err
	}
	if !record {
		return f.decodeMax(s, false, max)
	}
	return f.decodeStream(s)
}

// directFilters returns s, or a copy of it whose /Filter and /DecodeParms given by reference
// are resolved in the latest revision.
func (f *File) directFilters(s *Stream) (*Stream, error) {
	// Indirect filters and parameters (the entries or their array elements) are resolved as
	// viewers do: [5 0 R] naming /FlateDecode is [/FlateDecode].
	indirect := func(o Object) bool {
		if _, ok := o.(Ref); ok {
			return true
		}
		if a, ok := o.(Array); ok {
			for _, x := range a {
				if _, ok := x.(Ref); ok {
					return true
				}
			}
		}
		return false
	}
	if indirect(s.Dict.Get("Filter")) || indirect(s.Dict.Get("DecodeParms")) {
		d := s.Dict.Clone()
		for _, k := range []Name{"Filter", "DecodeParms"} {
			o, err := f.Latest().Resolve(d.Get(k))
			if err != nil {
				return nil, fmt.Errorf("resolve /%s: %w", k, err)
			}
			if a, ok := o.(Array); ok && indirect(a) {
				ra := make(Array, len(a))
				for i, x := range a {
					if ra[i], err = f.Latest().Resolve(x); err != nil {
						return nil, fmt.Errorf("resolve /%s: %w", k, err)
					}
				}
				o = ra
			}
			if o != nil {
				d[k] = o
			}
		}
		c := *s
		c.Dict = d
		s = &c
	}
	return s, nil
}

// DecodedSize returns the number of bytes s decodes to, counting at most max: past max it is
// a *LimitError naming MaxStreamSize with Max set to max. A last flate or LZW stage is counted
// as it is decoded, its output not kept (a flate bomb costs its counting, not its memory), and
// its predictor not applied (which only shortens the data); earlier stages are decoded with
// max as their cap. Image codecs (DCT, JPX, CCITT, JBIG2) are not decoded: their input is
// counted. A stream's size is counted once per file (by its data's place and filters); all
// the counting of a file together stops at MaxDecodedBytes (a *LimitError naming it), apart
// from the decoding StreamData charges, and is not recorded as a limit the file met
// (Exceeded): the caller judges what it could not count.
func (f *File) DecodedSize(s *Stream, max int64) (int64, error) {
	s, err := f.directFilters(s)
	if err != nil {
		return 0, err
	}
	key := sizeKey{s.Offset, s.Length, fmt.Sprint(s.Dict.Get("Filter"), s.Dict.Get("DecodeParms"))}
	cacheable := s.Data == nil
	if cacheable {
		f.mu.Lock()
		c, ok := f.sizes[key]
		f.mu.Unlock()
		switch {
		case ok && c.n > max:
			return c.n, limitErr("MaxStreamSize", max)
		case ok && c.exact:
			return c.n, nil
		}
	}
	raw, err := f.RawStreamData(s)
	if err != nil {
		return 0, err
	}
	if err := f.cancelled(); err != nil {
		return 0, err
	}
	left := f.limits.MaxDecodedBytes - f.counted.Load()
	n, err := decodedSize(raw, s.Dict.Get("Filter"), s.Dict.Get("DecodeParms"), min(max, left))
	f.counted.Add(min(n, max+1))
	if errors.Is(err, ErrLimit) && left < max && n > left {
		return n, limitErr("MaxDecodedBytes", f.limits.MaxDecodedBytes)
	}
	if cacheable && (err == nil || errors.Is(err, ErrLimit)) {
		f.mu.Lock()
		if f.sizes == nil {
			f.sizes = map[sizeKey]sizeCount{}
		}
		f.sizes[key] = sizeCount{n, err == nil}
		f.mu.Unlock()
	}
	return n, err
}

// sizeCount is a count of DecodedSize: exact, or more than the cap it was counted to.
type sizeCount struct {
	n     int64
	exact bool
}

// sizeKey identifies a stream's data and its decoding for DecodedSize.
type sizeKey struct {
	off, length int64
	filters     string
}

// Entry returns the cross-reference entry this revision's own section gives object num.
func (r *Revision) Entry(num int) (XRefEntry, bool) {
	e, ok := r.entries[num]
	return e, ok
}

// SectionOffsets returns where this revision's cross-reference sections start ("xref" or an
// xref stream's "N G obj"): one, or two for the merged sections of a linearized original and
// for a hybrid file's /XRefStm. A verifier tells a revision's own "trailer" from one hidden in
// data by it.
func (r *Revision) SectionOffsets() []int64 { return append([]int64(nil), r.secOffs...) }

// RevisionEndingAt returns the revision whose End (or, for a file written without a final
// end-of-line, whose "%%EOF" end) is exactly off: the revision a ByteRange ending at off covers.
func (f *File) RevisionEndingAt(off int64) (*Revision, bool) {
	for _, r := range f.revs {
		if r.End == off || (r.EOF >= 0 && r.EOF+5 == off) {
			return r, true
		}
	}
	return nil, false
}

// RawStreamData returns the still-encoded data of s.
func (f *File) RawStreamData(s *Stream) ([]byte, error) {
	if s.Data != nil {
		return s.Data, nil
	}
	if s.Length > f.limits.MaxStreamSize {
		return nil, f.trip(limitErr("MaxStreamSize", f.limits.MaxStreamSize))
	}
	if !InRange(s.Offset, s.Length, f.size) {
		return nil, fmt.Errorf("%w: stream data %d+%d outside the file", ErrMalformed, s.Offset, s.Length)
	}
	raw, err := f.ReadRange(Span{s.Offset, s.Offset + s.Length})
	if err != nil || s.crypt == nil {
		return raw, err
	}
	return s.crypt.d.decrypt(s.crypt.d.stm, s.crypt.num, s.crypt.gen, raw)
}

func (f *File) decodeStream(s *Stream) ([]byte, error) { return f.decode(s, true) }

func (f *File) decode(s *Stream, record bool) ([]byte, error) { return f.decodeMax(s, record, 0) }

// decodeMax decodes s within the file's limits and, when capAt > 0, at most capAt bytes.
func (f *File) decodeMax(s *Stream, record bool, capAt int64) ([]byte, error) {
	trip := f.trip
	if !record {
		trip = func(err error) error { return err }
	}
	if s.Data == nil && s.Length > f.limits.MaxStreamSize {
		return nil, trip(limitErr("MaxStreamSize", f.limits.MaxStreamSize))
	}
	raw, err := f.RawStreamData(s)
	if err != nil {
		return nil, err
	}
	// Filters given by reference are rare but legal: resolve them through the latest view
	// only when the lock is not held (xref streams' filters are always direct).
	if err := f.cancelled(); err != nil {
		return nil, err
	}
	// The file's decoding budget: no stream may decode past what is left of it.
	left := f.limits.MaxDecodedBytes - f.decoded.Load()
	if left <= 0 {
		return nil, f.trip(limitErr("MaxDecodedBytes", f.limits.MaxDecodedBytes))
	}
	max := min(f.limits.MaxStreamSize, left)
	if capAt > 0 && capAt < max {
		// The caller's budget: its error is the caller's, not the file's.
		data, _, err := DecodeFilters(raw, s.Dict.Get("Filter"), s.Dict.Get("DecodeParms"), capAt)
		f.decoded.Add(int64(len(data)))
		return data, err
	}
	data, _, err := DecodeFilters(raw, s.Dict.Get("Filter"), s.Dict.Get("DecodeParms"), max)
	f.decoded.Add(int64(len(data)))
	var le *LimitError
	if errors.As(err, &le) && le.Limit == "MaxStreamSize" {
		if max < f.limits.MaxStreamSize {
			return data, f.trip(limitErr("MaxDecodedBytes", f.limits.MaxDecodedBytes))
		}
		return data, trip(err)
	}
	return data, f.trip(err)
}

// Object returns object ref as seen in the latest revision; see View.Object.
func (f *File) Object(ref Ref) (Object, error) { return f.Latest().Object(ref) }

// Resolve follows references in the latest revision; see View.Resolve.
func (f *File) Resolve(o Object) (Object, error) { return f.Latest().Resolve(o) }

// Catalog returns the latest catalog.
func (f *File) Catalog() (Dict, error) { return f.Latest().Catalog() }

// Pages returns the pages of the latest revision.
func (f *File) Pages() ([]Page, error) { return f.Latest().Pages() }

// Page returns page n (1-based) of the latest revision.
func (f *File) Page(n int) (Page, error) { return f.Latest().Page(n) }

// Fields returns the terminal form fields of the latest revision.
func (f *File) Fields() ([]Field, error) { return f.Latest().Fields() }

// classify sorts the object numbers this revision's cross-reference section lists into Freed,
// Changed (known from an earlier revision) and Defined (new), in ascending order, and records them
// in known.
//
// An object that lives in an object stream changes with its stream: a revision that redefines
// (or frees) stream s without listing the objects an earlier revision put into s still gives
// them new contents for every reader that follows the older entries into the new stream. Such
// objects are listed in Changed too, so that nothing judging Changed misses them (a shadow
// attack that replaces only the object stream holding the page tree or a font).
func (rev *Revision) classify(known *knownSet) {
	nums := make([]int, 0, len(rev.entries))
	for n := range rev.entries {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var redefined []int
	for _, n := range nums {
		if n == 0 {
			continue
		}
		switch {
		case rev.entries[n].Type == EntryFree:
			rev.Freed = append(rev.Freed, n)
			if known.nums.has(n) {
				redefined = append(redefined, n)
			}
		case known.nums.has(n):
			rev.Changed = append(rev.Changed, n)
			if rev.entries[n].Type == EntryInUse {
				redefined = append(redefined, n)
			}
		default:
			rev.Defined = append(rev.Defined, n)
		}
		known.nums.add(n)
	}
	// Objects inside a redefined stream that this revision does not list itself.
	implicit := 0
	for _, s := range redefined {
		for _, m := range known.members[s] {
			// Every member looked at costs budget, so redefining a big stream in many
			// revisions stays linear in Limits.MaxXRefEntries.
			if known.budget--; known.budget < 0 {
				rev.Anomalies = append(rev.Anomalies, fmt.Sprintf("object stream %d is redefined with more objects inside than the cross-reference budget allows", s))
				break
			}
			if known.container[m] != s {
				continue // stale: a later revision moved m elsewhere
			}
			if _, listed := rev.entries[m]; listed {
				continue
			}
			implicit++
			rev.Changed = append(rev.Changed, m)
		}
	}
	if implicit > 0 {
		rev.Changed = sortedUnique(rev.Changed)
	}
	// Record where this revision puts its objects.
	for _, n := range nums {
		e := rev.entries[n]
		if e.Type == EntryCompressed {
			s := int(e.Offset)
			if known.container == nil {
				known.container = map[int]int{}
				known.members = map[int][]int{}
			}
			if old, ok := known.container[n]; !ok || old != s {
				known.members[s] = append(known.members[s], n)
			}
			known.container[n] = s
		} else if known.container != nil {
			delete(known.container, n)
		}
	}
}

// knownSet is what classify carries from one revision to the next: the numbers seen so far
// and, for objects stored in object streams, which stream holds each.
type knownSet struct {
	nums      numSet
	container map[int]int   // object number → object stream number (latest listing)
	members   map[int][]int // object stream number → numbers listed into it (may be stale)
	budget    int           // members of redefined streams left to look at (Limits.MaxXRefEntries in all)
}

func sortedUnique(a []int) []int {
	sort.Ints(a)
	out := a[:0]
	for i, n := range a {
		if i == 0 || n != a[i-1] {
			out = append(out, n)
		}
	}
	return out
}

// numSet is a set of object numbers (non-negative, at most Limits.MaxObjects) as a bitset:
// 1 bit per number instead of a map entry.
type numSet []uint64

func (s numSet) has(n int) bool { return n >= 0 && n/64 < len(s) && s[n/64]&(1<<(n%64)) != 0 }

func (s *numSet) add(n int) {
	if n < 0 {
		return
	}
	for n/64 >= len(*s) {
		*s = append(*s, make([]uint64, max(len(*s), n/64+1-len(*s)))...)
	}
	(*s)[n/64] |= 1 << (n % 64)
}
