package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"sealdesk/core/ids"
	"sealdesk/core/ofd"
	"sealdesk/core/pdf"
	"sealdesk/core/pdf/raster"
	"sealdesk/core/pki"
)

// Options tune a verification; nil means defaults (no trust anchors, offline).
type Options struct {
	// Trust holds the anchors; nil or empty means nothing is trusted (every intact signature is
	// then "untrusted").
	Trust *TrustStore
	// Online allows fetching OCSP responses and CRLs named in the certificates. Off by default:
	// verification never touches the network unless asked.
	Online bool
	// HTTPClient is used when Online; nil means a client with a 15 s timeout.
	HTTPClient *http.Client
	// Now is the clock for "current time" checks; nil means time.Now.
	Now func() time.Time
	// MaxFileSize refuses larger files; 0 means 1 GiB.
	MaxFileSize int64
	// Limits are core/pdf's parsing limits; zero fields take core/pdf's defaults (except
	// MaxStreamSize, 16 MiB here: verification decodes only small streams).
	Limits pdf.Limits
	// Renderer draws pages for the cover check (cover.go): the desktop passes its PDFium engine,
	// the server render.Shared(), sealctl a raster.Process (its companion sealctl-render, so
	// that it does not link PDFium). nil means none: a page whose changes can only be judged by
	// drawing it is reported as not checked (ChangeCoverUnchecked), never as valid.
	Renderer raster.Renderer
	// OFDLimits bound the reading of an OFD package (core/ofd); nil means ofd.DefaultLimits.
	OFDLimits *ofd.Limits
	// OFDCerts are certificates to try for bare SM2 OFD signatures (ofdrw's deprecated
	// DigitalSignContainer), which carry none. They are never trust anchors.
	OFDCerts []*x509.Certificate
	// MapFile lets File read the file through a read-only memory map of the page cache instead
	// of copying it into fresh memory (Linux; elsewhere it changes nothing). For one-shot
	// processes (sealctl): a fresh page costs a fault at its first touch, which for a 1 MB
	// file was a quarter of `sealctl verify`'s time. The map is released when File returns, so
	// the report holds no bytes (ExtractRevision reads the file again and checks its SHA-256),
	// and a file changed or truncated while it was being verified is an error, never a
	// verdict or a crash.
	MapFile bool
}

// Errors returned (not verdicts): the file could not be examined at all.
var (
	// ErrTooLarge means the file is above Options.MaxFileSize.
	ErrTooLarge = errors.New("file is larger than the verification limit")
	// ErrUnreadable means the bytes are not a PDF core/pdf can read (or it is encrypted).
	ErrUnreadable = errors.New("file is not a readable pdf")
	// ErrInternal means the verifier itself failed (a panic, recovered): the file gets an
	// error instead of a report, and the process goes on with the next file.
	ErrInternal = errors.New("internal error while verifying")
)

// testHookSignature, when set by a test, runs in the worker that checks each signature (to
// prove that a panic there becomes an error for the file, not the end of the process).
var testHookSignature func()

// recoverInto turns a panic into an ErrInternal error in *err (with the panicking stack's
// innermost frames, for the log).
func recoverInto(err *error, name string) {
	if r := recover(); r != nil {
		*err = panicError(name, r)
	}
}

func panicError(name string, r any) error {
	return fmt.Errorf("%s: %w: %v [%s]", name, ErrInternal, r, shortStack())
}

// shortStack names the first frames below the panic.
func shortStack() string {
	pcs := make([]uintptr, 16)
	n := runtime.Callers(4, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var parts []string
	for len(parts) < 4 {
		fr, more := frames.Next()
		if !strings.HasPrefix(fr.Function, "runtime.") {
			parts = append(parts, fmt.Sprintf("%s:%d", fr.Function, fr.Line))
		}
		if !more {
			break
		}
	}
	return strings.Join(parts, " < ")
}

const (
	defaultMaxFileSize = 1 << 30
	maxDecodedStream   = 16 << 20
	maxDecodedTotal    = 128 << 20 // all streams of the file together (pdf.Limits.MaxDecodedBytes)
	maxDSSBytes        = 48 << 20  // total validation data read from the DSS
	// maxXRefEntries bounds the cross-reference entries of all sections together
	// (pdf.Limits.MaxXRefEntries, 524,288 by default). An entry costs the verification some
	// 250 bytes however few it takes in the file — its table slot, the revision's lists, the
	// signature search's index: an 11 KB file whose predictor-compressed xref stream listed
	// 524,000 entries reached 122 MB (red team s9 F11), twice issue 13's file size + 64 MB.
	// 131,072 entries cost about 32 MB; the largest file of the interop set and the corpus
	// lists 2,990.
	maxXRefEntries = 1 << 17
	// maxObjectMemory bounds the estimated memory of one parsed object (pdf.Limits.
	// MaxObjectMemory, 64 MiB by default): a DSS in an object stream whose /VRI held 250,000
	// empty dictionaries, 12 MB decoded, cost 1.4 s and 144 MB (red team s10 DoS 2). 16 MiB
	// is some 75,000 dictionary entries or 350,000 numbers in an array — more than the /W of a
	// font of 65,535 glyphs; the largest object of the interop set and the corpus holds 4,551
	// elements.
	maxObjectMemory = 16 << 20
)

func (o *Options) now() time.Time {
	if o != nil && o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// File verifies the PDF at path. ctx cancels the verification (the desktop's cancel button,
// sealctl's --timeout): the loops the file controls and the online revocation fetches check
// it, and a cancelled verification returns ctx's error.
func File(ctx context.Context, path string, opts *Options) (*Report, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to open %s: %w", path, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("failed to stat %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: %w", path, ErrUnreadable)
	}
	max := int64(defaultMaxFileSize)
	if opts != nil && opts.MaxFileSize > 0 {
		max = opts.MaxFileSize
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrTooLarge, &pdf.LimitError{Limit: "MaxFileSize", Max: max, Got: st.Size()})
	}
	if opts != nil && opts.MapFile {
		if rep, err, ok := verifyMappedFile(ctx, fh, st, path, opts); ok {
			return rep, err
		}
	}
	return Verify(ctx, fh, st.Size(), path, opts)
}

// Verify verifies the PDF in r (size bytes). name is only reported. See File for ctx.
func Verify(ctx context.Context, r io.ReaderAt, size int64, name string, opts *Options) (rep *Report, err error) {
	defer recoverInto(&err, name)
	if ctx == nil {
		ctx = context.Background()
	}
	if opts == nil {
		opts = &Options{}
	}
	max := opts.MaxFileSize
	if max <= 0 {
		max = defaultMaxFileSize
	}
	if size > max {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrTooLarge, &pdf.LimitError{Limit: "MaxFileSize", Max: max, Got: size})
	}
	// One read into memory: the reader then works without a system call per token, the
	// signature scan runs over the bytes, and the peak stays within the file size plus the
	// verifier's bounded working set.
	data := newFileBuffer(size)
	if _, err := r.ReadAt(data, 0); err != nil && !(errors.Is(err, io.EOF) && size == 0) {
		if n, err2 := io.ReadFull(io.NewSectionReader(r, 0, size), data); err2 != nil || int64(n) != size {
			return nil, fmt.Errorf("failed to read %s: %w", name, err)
		}
	}
	return verifyData(ctx, data, name, opts, nil)
}

// verifyData verifies the file whose bytes are data (ctx and opts not nil). m is the memory map
// data lies in (verifyMapped), nil when data is the verifier's own copy.
func verifyData(ctx context.Context, data []byte, name string, opts *Options, m *fileMap) (*Report, error) {
	if isZip(data) {
		if m != nil {
			data = bytes.Clone(data) // an OFD report may keep parts of the package
		}
		return verifyOFD(ctx, data, name, opts)
	}
	v := &verifier{ctx: ctx, r: bytes.NewReader(data), data: data, size: int64(len(data)), opts: opts, now: opts.now(), mapped: m}
	v.dssData.crlc = newCRLCache()
	defer v.closeRenderDocs()
	rep, err := v.run(name)
	if err != nil {
		return nil, err
	}
	if m == nil {
		rep.data = data
	}
	rep.CoverRendered, rep.CoverProven, rep.CoverPriced = v.renders, v.shortcuts, v.contentPriced
	return rep, nil
}

// verifier holds the state of one verification.
type verifier struct {
	// judgeLimit is the budget the change analysis ran out of (annotbudget.go): no verdict.
	judgeLimit error
	ctx        context.Context
	r          io.ReaderAt
	data       []byte
	size       int64
	opts       *Options
	now        time.Time
	f          *pdf.File
	limits     pdf.Limits // the budget, defaults filled in
	digests    *fileDigests

	// The rebuild model (changes.go, differential.go): headers as poppler, MuPDF and qpdf find
	// them, and hidden definitions that are object streams, by offset.
	hdrScan       *pdf.HeaderScanner
	hiddenObjStms map[int64]*hiddenObjStm

	sigs        []*sigState
	dssData     revocationData
	fetcher     *onlineFetcher
	fields      []pdf.Field
	renderDocs  map[int]raster.Document  // PDFium documents per revision for the cover check
	renders     int                      // pages rendered by the cover check
	shortcuts   int                      // pages the cover check proved untouched without rendering (coverbound.go)
	apBounds    map[*pdf.Stream]apBounds // appearance paint bounds (coverbound.go)
	budgetErr   map[[2]int]error         // (revision, page): the rendering budgets' answer (coverplan.go)
	drawnPixels float64                  // image pixels the cover check's renderings decoded so far (coverbudget.go)
	rasterWork  float64                  // raster work of the cover check's renderings so far (coverraster.go)
	rebuilt     map[int][]int64          // object → last header offset in the file per reader (differential.go)
	roots       *rootScan                // trailer dictionaries and /Root entries in the file (rebuildroot.go)
	missingRef  *string                  // first reference to an object no section holds ("" none; differential.go)
	allSigDicts []pdf.SigDict            // every signature dictionary (copiedSignature), lazy
	tailJunk    bool
	tailSpan    pdf.Span
	docMDP      int     // P of the certification signature, 0 when none
	brokenSigs  []int64 // offsets of unreadable objects that hold a /ByteRange
	unlisted    map[int][]int64
	embedded    map[int][]objHeader    // per revision: headers inside the data of listed objects that can matter (changes.go)
	embedOver   map[int]bool           // per revision: more such headers than maxEmbeddedKept
	pageNums    map[pdf.Ref]int        // latest revision: page object → 1-based number (nil until needed)
	annotPage   map[pdf.Ref]int        // latest revision: annotation → page number (nil until needed)
	annotRoutes *annotRoutes           // latest revision: which pages show each annotation and /Annots array (annotroute.go)
	refHolders  map[int][]int          // latest revision: object → objects whose value refers to it (lazy, see dangling.go)
	docMDPRev   int                    // revision of the certification signature
	mapped      *fileMap               // the memory map data lies in (Options.MapFile), nil for a copy
	reachMemo   map[string]reachMemo   // reachLatest's walks (changes.go)
	copiedMemo  map[pdf.Ref]copiedMemo // copiedSignature's answers (changes.go)

	// content and contentPrices are the cover check's work shared by all signatures
	// (coverwork.go); contentPriced counts the page contents priced (not taken from
	// contentPrices).
	content       contentCache
	contentPrices map[[32]byte]contentPrice
	contentPriced int
	// rasterCharged are the renders charged to rasterWork; coverRefused, when the plan's
	// renders would pass maxRasterWorkPerFile, refuses every render (coverplan.go).
	rasterCharged map[renderKey]bool
	coverRefused  error
	imagesCharged map[[2]int]bool // (revision, page) charged to drawnPixels (coverbudget.go)
	changedRevs   map[int][]int   // object → revisions that define, change or free it (changes.go)
}

// sigState is one signature being verified.
type sigState struct {
	rep        Signature
	dict       pdf.Dict
	ref        pdf.Ref
	dictRev    int
	obj        *pdf.IndirectObject
	rev        int // index of the revision the ByteRange ends at; -1 when none
	ranges     [][2]int64
	okRange    bool
	cc         *cryptoCheck
	fieldLk    *fieldLock // FieldMDP lock of this signature
	problems   []string   // integrity problems
	trustNotes []string
	sigTime    time.Time // the best signing time
}

func (v *verifier) run(name string) (*Report, error) {
	ctx := v.ctx
	rep := &Report{File: name, Signatures: []Signature{}}
	// The file digest for the report: the shared SHA-256 pass over the signed ranges goes on to
	// the end of the file and gives it (fileDigests), otherwise it is computed here.
	defer func() {
		if rep.SHA256 == "" {
			var sum []byte
			if v.digests != nil {
				sum = v.digests.fileSHA256()
			}
			if sum == nil {
				h := sha256.Sum256(v.data)
				sum = h[:]
			}
			rep.SHA256 = hex.EncodeToString(sum)
		}
	}()
	limits := v.opts.Limits
	if limits.MaxStreamSize <= 0 {
		// Verification decodes only small streams (DSS entries, annotation appearances); keep a
		// flate bomb from costing more than this.
		limits.MaxStreamSize = maxDecodedStream
	}
	if limits.MaxDecodedBytes <= 0 {
		limits.MaxDecodedBytes = maxDecodedTotal
	}
	if limits.MaxXRefEntries <= 0 {
		limits.MaxXRefEntries = maxXRefEntries
	}
	if limits.MaxObjectMemory <= 0 {
		limits.MaxObjectMemory = maxObjectMemory
	}
	v.limits = limits.WithDefaults()
	// fail classifies an error that ends the verification: a budget or a cancellation is said
	// as such (a *pdf.LimitError naming the limit, the context's error), anything else means
	// the file is unreadable.
	fail := func(err error) error {
		if le := v.exceeded(); le != nil {
			return fmt.Errorf("%s: %w", name, le)
		}
		if errors.Is(err, pdf.ErrLimit) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s: %w", name, err)
		}
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%s: %w", name, cerr)
		}
		return fmt.Errorf("%s: %w: %w", name, ErrUnreadable, err)
	}
	f, err := pdf.OpenBytes(v.data, &pdf.Options{Limits: v.limits, Decrypt: true, Context: ctx})
	if err != nil {
		return nil, fail(err)
	}
	v.f = f
	if v.opts.Online {
		c := v.opts.HTTPClient
		if c == nil {
			c = &http.Client{Timeout: 15 * time.Second}
		}
		v.fetcher = &onlineFetcher{client: c, ctx: v.ctx}
	}
	if err := v.collect(); err != nil {
		return nil, fail(err)
	}
	if len(v.sigs) > v.limits.MaxSignatures {
		return nil, fail(&pdf.LimitError{Limit: "MaxSignatures", Max: int64(v.limits.MaxSignatures), Got: int64(len(v.sigs))})
	}
	if err := v.exceeded(); err != nil {
		return nil, fail(err)
	}
	v.tailSpan, v.tailJunk = f.Tail()
	if v.tailJunk && v.tailSpan.Len() < 64<<20 {
		// Bytes no revision accounts for that hold a signature: a damaged signed revision.
		if b, err := f.ReadRange(v.tailSpan); err == nil {
			if i := bytes.Index(b, []byte("/ByteRange")); i >= 0 {
				s := &sigState{rev: -1, dict: pdf.Dict{}}
				s.problems = append(s.problems, fmt.Sprintf("a signature at offset %d lies in bytes after the last readable revision", v.tailSpan.Start+int64(i)))
				s.rep = Signature{Index: len(v.sigs) + 1, Revisions: len(f.Revisions()), Changes: []string{}, Reasons: []string{}, Rect: []float64{0, 0, 0, 0}, Kind: KindApproval}
				v.sigs = append(v.sigs, s)
			}
		}
	}
	if len(v.sigs) == 0 {
		rep.Verdict = StatusUnsigned
		return rep, nil
	}
	v.loadDSS()
	if err := v.exceeded(); err != nil {
		return nil, fail(err)
	}
	for _, s := range v.sigs {
		v.checkRanges(s)
	}
	if err := v.checkUpdateSizes(); err != nil {
		return nil, fail(err)
	}
	v.checkOverlaps()
	// The digests over the signed ranges dominate for large files: each byte is hashed once per
	// algorithm (fileDigests), and the CMS checks run one worker per CPU.
	v.digests = newFileDigests(v.data, v.sigs)
	go func() { // the SHA-256 pass starts now, beside the CMS parsing
		// A fault on a mapped file that shrank ends only this head start: the pass is then
		// run by whoever needs it, in a goroutine that recovers.
		defer func() {
			if v.mapped != nil {
				recover()
			}
		}()
		v.mapped.guard()
		v.digests.warm()
	}()
	work := make(chan *sigState)
	var wg sync.WaitGroup
	var panicked error
	var panicOnce sync.Once
	for i := 0; i < min(runtime.GOMAXPROCS(0), len(v.sigs)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.mapped.guard()
			// A panic in a worker would end the process (a recover in Verify's goroutine does
			// not see it): it becomes the file's error instead.
			defer func() {
				if r := recover(); r != nil {
					err := panicError(name, r)
					panicOnce.Do(func() { panicked = err })
					for range work { // let the sender finish
					}
				}
			}()
			for s := range work {
				if ctx.Err() != nil {
					continue
				}
				if testHookSignature != nil {
					testHookSignature()
				}
				v.checkCrypto(s)
			}
		}()
	}
	for _, s := range v.sigs {
		work <- s
	}
	close(work)
	wg.Wait()
	if panicked != nil {
		return nil, panicked
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(err)
	}
	v.findDocMDP()
	// Document timestamps first: their times can serve the signatures they cover.
	for _, docTS := range []bool{true, false} {
		for _, s := range v.sigs {
			if err := ctx.Err(); err != nil {
				return nil, fail(err)
			}
			if (s.rep.Kind == KindDocTimestamp) == docTS {
				v.checkTrust(s)
			}
		}
	}
	var pending []*analysis // analyses whose cover check is to come
	for _, s := range v.sigs {
		if err := ctx.Err(); err != nil {
			return nil, fail(err)
		}
		if a := v.analyzeChanges(s); a != nil {
			pending = append(pending, a)
		}
		if v.judgeLimit != nil {
			return nil, fail(v.judgeLimit)
		}
	}
	// The cover checks are planned together, so that the file's rendering budget is charged
	// once per render and refuses before anything is rendered (coverplan.go).
	v.planCovers(pending)
	for _, a := range pending {
		if err := ctx.Err(); err != nil {
			return nil, fail(err)
		}
		a.checkCover()
		a.finishChanges()
	}
	// A budget met while judging (an object skipped because the decoding budget ran out) means
	// part of the file was not judged: no verdict is given.
	if err := v.exceeded(); err != nil {
		return nil, fail(err)
	}
	for _, s := range v.sigs {
		v.finish(s)
		rep.Signatures = append(rep.Signatures, s.rep)
	}
	rep.Verdict = overall(rep.Signatures)
	return rep, nil
}

// exceeded returns the first budget the reader ran out of, or nil.
func (v *verifier) exceeded() error {
	if v.f == nil {
		return nil
	}
	return v.f.Exceeded()
}

// overall is the file verdict: the worst signature status.
func overall(sigs []Signature) Verdict {
	rank := map[Verdict]int{StatusValid: 0, StatusUntrusted: 1, StatusModified: 2, StatusInvalid: 3}
	worst := StatusValid
	for _, s := range sigs {
		if rank[s.Status] > rank[worst] {
			worst = s.Status
		}
	}
	return worst
}

// collect finds every signature dictionary (fields, orphans, old versions) and every document
// timestamp, skipping usage-rights (UR3) dictionaries, which are not signatures over content.
func (v *verifier) collect() error {
	found, broken, err := v.sigCandidates(v.data)
	if err != nil {
		return err
	}
	v.brokenSigs = append(v.brokenSigs, broken...)
	latest := v.f.Latest()
	if v.fields, err = formFields(latest); err != nil && len(found) == 0 {
		return err
	}
	// Signature values the byte scan cannot see (direct dictionaries, compressed objects).
	have := map[pdf.Ref]bool{}
	for _, sd := range found {
		have[sd.Ref] = true
	}
	for _, fl := range v.fields {
		if !fl.IsSignature() {
			continue
		}
		switch x := fl.Value.(type) {
		case pdf.Ref:
			if have[x] {
				continue
			}
			if d := latest.Dict(x); d != nil && pdf.IsSigDict(d) {
				_, rk, _ := latest.Entry(x.Num)
				found = append(found, pdf.SigDict{Ref: x, Revision: rk, Dict: d, Fields: []string{fl.Name}})
				have[x] = true
			}
		case pdf.Dict:
			if pdf.IsSigDict(x) {
				found = append(found, pdf.SigDict{Revision: len(v.f.Revisions()) - 1, Dict: x, Fields: []string{fl.Name}})
			}
		}
	}
	type ident struct {
		br, contents string
	}
	seenOff := map[int64]bool{}
	seen := map[ident]bool{}
	for _, sd := range found {
		if v.usageRights(sd) {
			continue
		}
		s := &sigState{dict: sd.Dict, ref: sd.Ref, dictRev: sd.Revision, rev: -1}
		if !sd.Ref.IsZero() {
			obj, _, err := v.f.View(sd.Revision).Indirect(sd.Ref)
			if err == nil && obj != nil && obj.Span.Len() > 0 {
				if seenOff[obj.Span.Start] {
					continue
				}
				seenOff[obj.Span.Start] = true
				s.obj = obj
			}
		}
		id := ident{fmt.Sprint(sd.Dict.Get("ByteRange")), ""}
		if c, ok := sd.Dict.Get("Contents").(pdf.String); ok {
			h := sha256.Sum256(c.Bytes)
			id.contents = string(h[:])
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		if len(sd.Fields) > 0 {
			s.rep.Field = sd.Fields[0]
		}
		v.sigs = append(v.sigs, s)
	}
	// A signature field whose value does not lead to a signature dictionary: damaged or
	// tampered, never "unsigned".
	for _, fl := range v.fields {
		if !fl.IsSignature() || fl.Value == nil {
			continue
		}
		what := ""
		switch x := fl.Value.(type) {
		case pdf.Ref:
			if d := latest.Dict(x); d == nil || (!pdf.IsSigDict(d) && d.Get("ByteRange") == nil && !have[x]) {
				what = fmt.Sprintf("object %d, which is not a readable signature dictionary", x.Num)
			}
		case pdf.Dict:
			if !pdf.IsSigDict(x) {
				what = "a dictionary that is not a signature"
			}
		case pdf.Null:
		default:
			what = "a value that is not a signature dictionary"
		}
		if what != "" {
			s := &sigState{rev: -1, dict: pdf.Dict{}}
			s.rep.Field = fl.Name
			s.problems = append(s.problems, fmt.Sprintf("signature field %s points to %s", fl.Name, what))
			v.sigs = append(v.sigs, s)
		}
	}
	for _, off := range v.brokenSigs {
		s := &sigState{rev: -1, dict: pdf.Dict{}}
		s.problems = append(s.problems, fmt.Sprintf("a signature dictionary at offset %d cannot be read", off))
		v.sigs = append(v.sigs, s)
	}
	// Order by where the signed range ends (the order of signing), then by object position.
	sort.SliceStable(v.sigs, func(i, j int) bool {
		return brEnd(v.sigs[i].dict) < brEnd(v.sigs[j].dict)
	})
	for i, s := range v.sigs {
		s.rep.Index = i + 1
		s.rep.Revisions = len(v.f.Revisions())
		s.rep.Changes = []string{}
		s.rep.Reasons = []string{}
		s.rep.Rect = []float64{0, 0, 0, 0}
		s.rep.Kind = KindApproval
		if isDocTimestamp(s.dict) {
			s.rep.Kind = KindDocTimestamp
		}
		v.locate(s)
	}
	return nil
}

// usageRights reports whether a signature dictionary is a usage-rights (UR3) signature, decided
// as of the revision that defines it: its own /Reference transform, or that revision's catalog
// /Perms naming it. A later catalog naming an existing signature as UR3 cannot make that
// signature disappear from the report (the catalog change itself is judged as a change).
func (v *verifier) usageRights(sd pdf.SigDict) bool {
	own := v.f.View(sd.Revision)
	if isUsageRights(own, sd.Dict) {
		return true
	}
	if sd.Ref.IsZero() {
		return false
	}
	cat, err := own.Catalog()
	if err != nil {
		return false
	}
	if perms := own.Dict(cat.Get("Perms")); perms != nil {
		for _, k := range []pdf.Name{"UR3", "UR"} {
			if r, ok := perms.Get(k).(pdf.Ref); ok && r == sd.Ref {
				return true
			}
		}
	}
	return false
}

func isUsageRights(v *pdf.View, d pdf.Dict) bool {
	refs, _ := v.Resolve(d.Get("Reference"))
	arr, _ := refs.(pdf.Array)
	for _, o := range arr {
		rd := v.Dict(o)
		if rd == nil {
			continue
		}
		switch rd.NameOf("TransformMethod") {
		case "UR", "UR3":
			return true
		}
	}
	return false
}

func isDocTimestamp(d pdf.Dict) bool {
	return d.NameOf("Type") == "DocTimeStamp" || d.NameOf("SubFilter") == subRFC3161
}

func brEnd(d pdf.Dict) int64 {
	arr, _ := d.Get("ByteRange").(pdf.Array)
	if len(arr) != 4 {
		return 1 << 62
	}
	c, _ := pdf.IntOf(arr[2])
	n, _ := pdf.IntOf(arr[3])
	return c + n
}

// locate finds the field, page and rectangle of a signature from the latest revision's fields.
func (v *verifier) locate(s *sigState) {
	for _, fl := range v.fields {
		if fl.Value == nil {
			continue
		}
		match := false
		switch x := fl.Value.(type) {
		case pdf.Ref:
			match = !s.ref.IsZero() && x == s.ref
		case pdf.Dict:
			match = s.ref.IsZero() && pdf.Equal(x, s.dict)
		}
		if !match {
			continue
		}
		s.rep.Field = fl.Name
		latest := v.f.Latest()
		for _, w := range fl.Widgets {
			pr, _ := w.Dict.Get("P").(pdf.Ref)
			page := 0
			if !pr.IsZero() {
				page = v.pageNumber(pr)
			}
			if page == 0 && !w.Ref.IsZero() {
				page = v.pageHolding(w.Ref)
			}
			if page > 0 {
				s.rep.Page = page
				if rc, ok := pdf.RectFrom(latest, w.Dict.Get("Rect")); ok {
					s.rep.Rect = []float64{rc.LLX, rc.LLY, rc.URX, rc.URY}
				}
				break
			}
		}
		return
	}
}

// checkRanges applies the ByteRange rules: exactly 4 integers, starting at 0, inside the file,
// the gap exactly this dictionary's <hex> /Contents token, ending at the end of a revision.
func (v *verifier) checkRanges(s *sigState) {
	bad := func(format string, args ...any) {
		s.problems = append(s.problems, fmt.Sprintf(format, args...))
	}
	arr, ok := s.dict.Get("ByteRange").(pdf.Array)
	if !ok {
		bad("the signature has no direct /ByteRange array")
		return
	}
	if len(arr) != 4 {
		bad("the /ByteRange has %d numbers instead of 4", len(arr))
		return
	}
	var n [4]int64
	for i, o := range arr {
		x, isInt := o.(pdf.Int)
		if !isInt || x < 0 {
			bad("the /ByteRange holds a value that is not a non-negative integer")
			return
		}
		n[i] = int64(x)
	}
	if n[0] != 0 {
		bad("the /ByteRange does not start at 0")
	}
	if n[1] <= 0 || n[2] <= n[1] || !pdf.InRange(n[0], n[1], v.size) || !pdf.InRange(n[2], n[3], v.size) {
		bad("the /ByteRange [%d %d %d %d] does not lie inside the %d-byte file", n[0], n[1], n[2], n[3], v.size)
		return
	}
	s.ranges = [][2]int64{{n[0], n[1]}, {n[2], n[3]}}
	s.rep.SignedRange = n[2] + n[3]
	// The gap must be exactly the /Contents hex string of this very dictionary.
	ct, isStr := s.dict.Get("Contents").(pdf.String)
	switch {
	case s.dict.Get("Contents") == nil:
		bad("the signature has no /Contents")
	case !isStr:
		bad("the signature /Contents is not a string")
	case !ct.Hex:
		bad("the signature /Contents is not a hex string")
	case s.obj == nil:
		bad("the signature dictionary is not a plain indirect object, so its /Contents has no position in the file")
	default:
		sp, ok := s.obj.ValueSpans["Contents"]
		if !ok {
			bad("the position of /Contents is unknown")
		} else if sp.Start != n[1] || sp.End != n[2] {
			bad("the /ByteRange gap [%d, %d) is not this signature's /Contents string [%d, %d)", n[1], n[2], sp.Start, sp.End)
		}
		for _, k := range s.obj.DuplicateKeys {
			if k == "Type" && s.dict.NameOf("SubFilter") == subRFC3161 {
				// OpenOffice writes /Type /DocTimeStamp … /Type /Sig. Whichever a reader takes,
				// the /SubFilter makes it a document timestamp and decides how it is checked.
				s.rep.Reasons = append(s.rep.Reasons, "the document timestamp dictionary has a duplicate /Type key; the /SubFilter decides how it is verified")
				continue
			}
			bad("the signature dictionary has a duplicate /%s key", k)
		}
	}
	// The signed part must end at the end of a revision.
	end := n[2] + n[3]
	s.rev = -1
	for i, rev := range v.f.Revisions() {
		if revisionEndMatches(v.f, rev, end) {
			s.rev = i
			break
		}
	}
	if s.rev < 0 {
		bad("the signed bytes end at %d, which is not the end of a revision", end)
		s.rep.Coverage = "unclear"
	} else {
		s.rep.Revision = s.rev + 1
		s.rep.Coverage = "entire-revision"
		if s.rev == len(v.f.Revisions())-1 && !v.tailJunk {
			s.rep.Coverage = "entire-file"
		}
	}
	if len(s.problems) == 0 {
		s.okRange = true
	}
}

// revisionEndMatches accepts an end just after %%EOF, or after %%EOF and its end-of-line.
func revisionEndMatches(f *pdf.File, rev *pdf.Revision, end int64) bool {
	if rev.EOF < 0 {
		return end == rev.End
	}
	return end >= rev.EOF+5 && end <= rev.End
}

// checkOverlaps refuses a gap that overlaps another signature's gap (one /Contents shared, or a
// ByteRange copied from another signature). One sweep over the gaps sorted by start, O(n log n):
// a gap overlaps an earlier one exactly when it starts before the furthest end so far, and the
// signature holding that end is named. Every signature whose gap overlaps any other gets one
// sentence (naming one of them), never one per pair.
func (v *verifier) checkOverlaps() {
	type gap struct {
		s      *sigState
		g0, g1 int64
	}
	var gaps []gap
	for _, s := range v.sigs {
		if len(s.ranges) == 2 {
			gaps = append(gaps, gap{s, s.ranges[0][1], s.ranges[1][0]})
		}
	}
	sort.Slice(gaps, func(i, j int) bool {
		if gaps[i].g0 != gaps[j].g0 {
			return gaps[i].g0 < gaps[j].g0
		}
		return gaps[i].s.rep.Index < gaps[j].s.rep.Index
	})
	marked := map[*sigState]bool{}
	mark := func(a, b *sigState) {
		if marked[a] {
			return
		}
		marked[a] = true
		a.problems = append(a.problems, fmt.Sprintf("the /ByteRange gap overlaps that of signature %d", b.rep.Index))
		a.okRange = false
	}
	var far *gap // the gap with the furthest end so far
	for i := range gaps {
		g := &gaps[i]
		if far != nil && g.g0 < far.g1 {
			mark(g.s, far.s)
			mark(far.s, g.s)
		}
		if far == nil || g.g1 > far.g1 {
			far = g
		}
	}
}

func (v *verifier) checkCrypto(s *sigState) {
	if len(s.ranges) != 2 {
		if s.rep.Integrity == "" {
			s.rep.Integrity = "invalid"
		}
		return
	}
	contents, _ := s.dict.Get("Contents").(pdf.String)
	var certs [][]byte
	switch c := s.dict.Get("Cert").(type) {
	case pdf.String:
		certs = append(certs, c.Bytes)
	case pdf.Array:
		for _, x := range c {
			if cs, ok := x.(pdf.String); ok {
				certs = append(certs, cs.Bytes)
			}
		}
	}
	sub := string(s.dict.NameOf("SubFilter"))
	if s.rep.Kind == KindDocTimestamp {
		sub = subRFC3161
	}
	h := &rangeHasher{r: v.r, data: v.data, ranges: s.ranges, shared: v.digests}
	cc := checkSignatureCrypto(sub, contents.Bytes, certs, h, v.dssData.certs...)
	s.cc = cc
	s.problems = append(s.problems, cc.problems...)
	s.rep.Reasons = append(s.rep.Reasons, cc.notes...)
	if cc.cms != nil {
		s.rep.Algorithm = cc.cms.algorithm
		if cc.cms.cert != nil {
			s.rep.Signer = signerOf(cc.cms.cert)
			if x := cc.cms.cert.x; x != nil && pki.IsSelfDeclared(x) {
				s.rep.Reasons = append(s.rep.Reasons, ReasonSelfDeclared)
			}
		}
	}
	if s.rep.Kind == KindDocTimestamp && cc.timestamp != nil {
		s.rep.Timestamp = Timestamp{Present: true, Valid: cc.timestamp.ok(), Authority: s.rep.Signer.Name}
	}
}

func signerOf(c *certInfo) Signer {
	subj := c.subject()
	s := Signer{
		Name:   subj.CommonName,
		Serial: strings.ToUpper(c.serial.Text(16)),
	}
	if len(subj.Organization) > 0 {
		s.Organization = subj.Organization[0]
	}
	if subj.SerialNumber != "" {
		s.ID = maskID(subj.SerialNumber)
	}
	for _, n := range subj.Names {
		if v, ok := n.Value.(string); ok && n.Type.Equal(oidOrganizationIdentifier) {
			s.OrganizationID = organizationID(v)
		}
	}
	if c.x != nil && pki.IsEventCertificate(c.x) {
		s.Event, s.EventNotice = true, pki.PolicyNotice(c.x, pki.OIDEventCertificate)
	}
	iss := c.issuer()
	s.Issuer = iss.CommonName
	if s.Issuer == "" && len(iss.Organization) > 0 {
		s.Issuer = iss.Organization[0]
	}
	if s.Name == "" {
		s.Name = subj.String()
	}
	return s
}

// maskID hides the middle of an identity number (resident ID: 110***********002X).
func maskID(id string) string {
	if len(id) == 18 {
		return ids.MaskResidentID(id)
	}
	if len(id) > 8 {
		return id[:3] + strings.Repeat("*", len(id)-7) + id[len(id)-4:]
	}
	return strings.Repeat("*", len(id))
}

// findDocMDP finds the certification signature: the catalog's /Perms /DocMDP, or a signature
// whose /Reference has TransformMethod DocMDP. Only the first signature may certify.
func (v *verifier) findDocMDP() {
	latest := v.f.Latest()
	cat, _ := latest.Catalog()
	var permRef pdf.Ref
	if perms := latest.Dict(cat.Get("Perms")); perms != nil {
		permRef, _ = perms.Get("DocMDP").(pdf.Ref)
	}
	for _, s := range v.sigs {
		if s.rep.Kind == KindDocTimestamp {
			continue
		}
		view := v.f.View(s.dictRev)
		p, isCert := docMDPOf(view, s.dict)
		if !permRef.IsZero() && s.ref == permRef {
			isCert = true
			if p == 0 {
				p = 2
			}
		}
		s.fieldLk = fieldLockOf(view, s.dict, v.fields, s.rep.Field)
		if !isCert {
			continue
		}
		if v.docMDP != 0 {
			// Only the first signature may certify. The later one's own bytes are intact, so it
			// is judged as an approval; the certification it adds is a change the earlier
			// signatures see (their /Perms changed).
			s.rep.Reasons = append(s.rep.Reasons, "a second certification signature: its DocMDP permissions are ignored (only one signature may certify a document)")
			continue
		}
		s.rep.Kind = KindCertification
		for _, o := range v.sigs {
			if o != s && o.rev >= 0 && s.rev >= 0 && o.rev < s.rev && o.rep.Kind != KindDocTimestamp {
				s.rep.Reasons = append(s.rep.Reasons, "a certification signature that is not the first signature")
			}
		}
		v.docMDP, v.docMDPRev = p, s.rev
	}
}

// docMDPOf reads the DocMDP transform of a signature dictionary: P (default 2).
func docMDPOf(v *pdf.View, d pdf.Dict) (int, bool) {
	refs, _ := v.Resolve(d.Get("Reference"))
	arr, _ := refs.(pdf.Array)
	for _, o := range arr {
		rd := v.Dict(o)
		if rd == nil || rd.NameOf("TransformMethod") != "DocMDP" {
			continue
		}
		p := 2
		if tp := v.Dict(rd.Get("TransformParams")); tp != nil {
			if x, err := v.Resolve(tp.Get("P")); err == nil {
				if n, ok := pdf.IntOf(x); ok && n >= 1 && n <= 3 {
					p = int(n)
				}
			}
		}
		return p, true
	}
	return 0, false
}

// fieldLock is a FieldMDP restriction: which fields may not change after the signature.
type fieldLock struct {
	action string // All, Include, Exclude
	fields map[string]bool
	p      int // PDF 2.0 /P of the lock: DocMDP-like permissions after this signature (0 none)
}

func (l *fieldLock) locks(name string) bool {
	if l == nil {
		return false
	}
	switch l.action {
	case "All":
		return true
	case "Include":
		return l.fields[name] || l.fields[firstPart(name)]
	case "Exclude":
		return !l.fields[name] && !l.fields[firstPart(name)]
	}
	return false
}

func firstPart(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[:i]
	}
	return name
}

func fieldLockOf(v *pdf.View, d pdf.Dict, fields []pdf.Field, fieldName string) *fieldLock {
	read := func(tp pdf.Dict) *fieldLock {
		if tp == nil {
			return nil
		}
		l := &fieldLock{action: string(tp.NameOf("Action")), fields: map[string]bool{}}
		if l.action == "" {
			return nil
		}
		if p, ok := pdf.IntOf(tp.Get("P")); ok && p >= 1 && p <= 3 {
			l.p = int(p)
		}
		fa, _ := v.Resolve(tp.Get("Fields"))
		arr, _ := fa.(pdf.Array)
		for _, o := range arr {
			if x, err := v.Resolve(o); err == nil {
				if s, ok := x.(pdf.String); ok {
					l.fields[s.Text()] = true
				}
			}
		}
		return l
	}
	refs, _ := v.Resolve(d.Get("Reference"))
	arr, _ := refs.(pdf.Array)
	for _, o := range arr {
		rd := v.Dict(o)
		if rd != nil && rd.NameOf("TransformMethod") == "FieldMDP" {
			if l := read(v.Dict(rd.Get("TransformParams"))); l != nil {
				return l
			}
		}
	}
	for _, fl := range fields {
		if fl.Name == fieldName && fl.Dict != nil {
			if l := read(v.Dict(fl.Dict.Get("Lock"))); l != nil {
				return l
			}
		}
	}
	return nil
}

// loadDSS collects the validation data of the document security store (and its VRI entries).
func (v *verifier) loadDSS() {
	latest := v.f.Latest()
	cat, err := latest.Catalog()
	if err != nil {
		return
	}
	dss := latest.Dict(cat.Get("DSS"))
	if dss == nil {
		return
	}
	budget := int64(maxDSSBytes)
	seen := map[pdf.Ref]bool{}
	// each hands the decoded streams of d's array key to fn one at a time, so that a large one
	// (a CRL) can be read and dropped before the next is decoded.
	seenData := map[[32]byte]bool{}
	each := func(d pdf.Dict, key pdf.Name, capAt int64, fn func(b []byte, tooLarge bool)) {
		o, _ := latest.Resolve(d.Get(key))
		arr, _ := o.(pdf.Array)
		for i, x := range arr {
			if i >= 10000 {
				break
			}
			if r, ok := x.(pdf.Ref); ok {
				if seen[r] {
					continue
				}
				seen[r] = true
			}
			so, err := latest.Resolve(x)
			if err != nil {
				continue
			}
			st, ok := so.(*pdf.Stream)
			if !ok || st.Length > budget {
				continue
			}
			// The same bytes in several objects are read once (red team s10 DoS 1: one CRL of
			// 15 MB in eight stream objects was decoded eight times).
			raw, err := v.f.RawStreamData(st)
			if err != nil {
				continue
			}
			var fkey []byte
			fkey, _ = pdf.AppendObject(fkey, pdf.Array{st.Dict.Get("Filter"), st.Dict.Get("DecodeParms")})
			h := sha256.New()
			h.Write(fkey)
			h.Write(raw)
			var sum [32]byte
			h.Sum(sum[:0])
			if seenData[sum] {
				continue
			}
			seenData[sum] = true
			// Decoded within what is left of the budget: nothing past it is decoded. A CRL too
			// large to read leaves revocation unknown.
			max := budget
			if capAt > 0 && capAt < max {
				max = capAt
			}
			b, err := v.f.OptionalStreamDataMax(st, max)
			if err == nil && int64(len(b)) <= budget {
				budget -= int64(len(b))
				fn(b, false)
			} else if _, limit := errors.AsType[*pdf.LimitError](err); limit && max == capAt {
				budget -= int64(len(b))
				fn(b, true) // its first capAt bytes
			}
		}
	}
	streams := func(d pdf.Dict, key pdf.Name) [][]byte {
		var out [][]byte
		each(d, key, 0, func(b []byte, _ bool) { out = append(out, b) })
		return out
	}
	add := func(d pdf.Dict) {
		v.dssData.ocsps = append(v.dssData.ocsps, streams(d, "OCSPs")...)
		v.dssData.ocsps = append(v.dssData.ocsps, streams(d, "OCSP")...)
		for _, key := range []pdf.Name{"CRLs", "CRL"} {
			each(d, key, maxCRLBytes, v.dssData.addParsedCRL) // read once, the bytes not kept (crlcache.go)
		}
		for _, c := range append(streams(d, "Certs"), streams(d, "Cert")...) {
			if ci, err := parseCertInfo(c); err == nil {
				v.dssData.certs = append(v.dssData.certs, ci)
			}
		}
	}
	add(dss)
	if vri := latest.Dict(dss.Get("VRI")); vri != nil {
		n := 0
		for _, k := range vri.Keys() {
			if n++; n > 10000 {
				break
			}
			if d := latest.Dict(vri.Get(k)); d != nil {
				add(d)
			}
		}
	}
}

// MaxClockSkew is how far a timestamp's time may lie after the verification time (clocks
// differ); a later one is a timestamp from the future and makes the signature invalid.
const MaxClockSkew = 5 * time.Minute

// checkTrust builds the signer's path at the best signature time, validates the signature
// timestamp and checks revocation.
func (v *verifier) checkTrust(s *sigState) {
	s.rep.Trust = "untrusted"
	s.rep.Revocation = RevocationUnknown
	s.rep.TimeSource = "signer"
	cc := s.cc
	if cc == nil || cc.cms == nil || cc.cms.cert == nil {
		return
	}
	pool := append(append([]*certInfo{}, cc.certs...), v.dssData.certs...)
	// Claimed time: signingTime attribute, else /M.
	claimed := cc.signingTime
	if claimed.IsZero() {
		if m, ok := s.dict.Get("M").(pdf.String); ok {
			claimed, _ = parsePDFDate(m.Text())
		}
	}
	// at is the time the signature is judged at: now, or the latest time a verified timestamp
	// proves it existed at (genTime + accuracy, tstInfo.latest); tsTime is that timestamp's own
	// genTime, the signing time reported.
	at := v.now
	var tsTime time.Time
	var tsAccuracy time.Duration
	// algRejected: an algorithm past its sunset with no proof of existence before it (algpolicy.go).
	algRejected := false
	if s.rep.Kind == KindDocTimestamp {
		if cc.timestamp != nil {
			tsTime, tsAccuracy = cc.timestamp.info.genTime, cc.timestamp.info.accuracy
			claimed = tsTime
			at = cc.timestamp.info.latest(v.now)
			s.rep.TimeSource = "timestamp"
			rejected, accepted := judgeAlgorithms(cc.timestamp.weakness(), v.laterPOE(s))
			s.rep.Reasons = append(s.rep.Reasons, accepted...)
			if len(rejected) > 0 {
				s.trustNotes = append(s.trustNotes, rejected...)
				s.rep.Timestamp.Valid = false
				algRejected = true
			}
		}
	} else if ts := cc.timestamp; ts != nil {
		s.rep.Timestamp.Present = true
		if ts.cms != nil && ts.cms.cert != nil {
			s.rep.Timestamp.Authority = signerOf(ts.cms.cert).Name
		}
		if !ts.ok() {
			for _, p := range append(append([]string{}, ts.problems...), ts.cms.problems...) {
				s.problems = append(s.problems, "signature timestamp: "+p)
			}
		} else if rejected, accepted := judgeAlgorithms(ts.weakness(), v.laterPOE(s)); len(rejected) > 0 {
			// An intact token whose algorithms are past their sunset proves no time (red team
			// s8b F2, F2b): said in the reasons whatever the signature's trust.
			for _, r := range rejected {
				s.rep.Reasons = append(s.rep.Reasons, "signature timestamp: "+r)
			}
		} else {
			for _, a := range accepted {
				s.rep.Reasons = append(s.rep.Reasons, "signature timestamp: "+a)
			}
			tsPool := append(append([]*certInfo{}, ts.sd.certs...), pool...)
			ch := v.tsaChain(s, ts, tsPool)
			if ch.trusted {
				s.rep.Timestamp.Valid = true
				s.rep.Timestamp.Local = ch.local
				tsTime, tsAccuracy = ts.info.genTime, ts.info.accuracy
				at = ts.info.latest(v.now)
				s.rep.TimeSource = "timestamp"
			} else {
				s.trustNotes = append(s.trustNotes, "signature timestamp: "+ch.reason)
			}
		}
	}
	if !tsTime.IsZero() && tsTime.After(v.now.Add(MaxClockSkew)) {
		// A time token cannot come from the future (red team s4 F5): its authority's clock or
		// key is not to be relied on, and it must not date the signature.
		what := "signature timestamp"
		if s.rep.Kind == KindDocTimestamp {
			what = "document timestamp"
		}
		s.problems = append(s.problems, fmt.Sprintf("%s: its time %s is later than the verification time %s (more than the %v clock skew allowed): a timestamp from the future",
			what, tsTime.UTC().Format(time.RFC3339), v.now.UTC().Format(time.RFC3339), MaxClockSkew))
		s.rep.Timestamp.Valid = false
	}
	s.sigTime = claimed
	if !tsTime.IsZero() {
		s.sigTime = tsTime
		if !claimed.IsZero() && claimed.After(tsTime.Add(5*time.Minute)) && s.rep.Kind != KindDocTimestamp {
			s.rep.Reasons = append(s.rep.Reasons, fmt.Sprintf("the claimed signing time %s is later than the timestamp %s",
				claimed.UTC().Format(time.RFC3339), tsTime.UTC().Format(time.RFC3339)))
		}
	}
	if !s.sigTime.IsZero() {
		s.rep.SigningTime = s.sigTime.UTC().Format(time.RFC3339)
	}
	purpose := purposeSigner
	if s.rep.Kind == KindDocTimestamp {
		purpose = purposeTSA
	}
	// poe is the earliest proof of the signature's existence the algorithm policy judges at: its
	// verified timestamp, a later trusted document timestamp, or now (a document timestamp's
	// token proves nothing of itself: only a later one).
	poe := v.laterPOE(s)
	if s.rep.Kind != KindDocTimestamp && !tsTime.IsZero() && at.Before(poe) {
		poe = at
	}
	if s.rep.Kind != KindDocTimestamp {
		// The signature's own algorithms.
		rejected, accepted := judgeAlgorithms(cc.weakness(), poe)
		s.rep.Reasons = append(s.rep.Reasons, accepted...)
		if len(rejected) > 0 {
			s.trustNotes = append(s.trustNotes, rejected...)
			algRejected = true
		}
	}
	if !tsTime.IsZero() && tsAccuracy > time.Minute {
		s.rep.Reasons = append(s.rep.Reasons, fmt.Sprintf("the timestamp's accuracy is ±%v: it proves existence only before %s",
			tsAccuracy, at.UTC().Format(time.RFC3339)))
	}
	var ch chainResult
	if s.rep.Kind == KindDocTimestamp && !tsTime.IsZero() {
		ch = v.tsaChain(s, cc.timestamp, pool)
	} else {
		ch = v.opts.Trust.buildChain(cc.cms.cert, pool, at, purpose)
	}
	if !ch.trusted && tsTime.IsZero() && s.rep.Kind != KindDocTimestamp {
		// A trusted document timestamp over this signature proves it existed at that time
		// (PAdES B-LTA): a certificate that has expired since is checked at that time instead.
		for _, d := range v.sigs {
			if d.rep.Kind != KindDocTimestamp || d.rev <= s.rev || s.rev < 0 || len(d.problems) > 0 ||
				d.rep.Trust != "trusted" || d.cc == nil || d.cc.timestamp == nil {
				continue
			}
			poe := d.cc.timestamp.info.latest(v.now)
			if c2 := v.opts.Trust.buildChain(cc.cms.cert, pool, poe, purpose); c2.trusted {
				ch, at = c2, poe
				s.rep.Reasons = append(s.rep.Reasons, fmt.Sprintf("certificate validated at %s, the time of the document timestamp that covers this signature",
					poe.UTC().Format(time.RFC3339)))
				break
			}
		}
	}
	if !ch.trusted {
		s.trustNotes = append(s.trustNotes, ch.reason)
		return
	}
	if s.rep.Kind == KindDocTimestamp {
		s.rep.Timestamp.Local = ch.local
	}
	// The signatures and keys of the path's certificates (tsaChain judged a document
	// timestamp's already, at the same poe).
	rejected, accepted := judgeAlgorithms(chainWeakness(ch.chain), poe)
	s.rep.Reasons = append(s.rep.Reasons, accepted...)
	if len(rejected) > 0 {
		s.trustNotes = append(s.trustNotes, rejected...)
		algRejected = true
	}
	data := v.dssData
	data.add(cc.revocation)
	status, ltv, notes, revokedAt := chainRevocation(ch.chain, &data, at, poe, v.fetcher)
	s.rep.Revocation = status
	if !revokedAt.IsZero() {
		s.rep.RevokedAt = revokedAt.UTC().Format(time.RFC3339)
	}
	s.rep.LTV = ltv
	s.rep.Reasons = append(s.rep.Reasons, notes...)
	if status == RevocationRevoked {
		s.trustNotes = append(s.trustNotes, "the signer certificate is revoked")
		return
	}
	if s.rep.Kind != KindDocTimestamp && pki.IsSelfDeclared(cc.cms.cert.x) {
		return // ReasonSelfDeclared (in Reasons already): no anchor makes a declared name trusted
	}
	if algRejected {
		return // the sentences are in trustNotes
	}
	if cc.unbound != "" {
		s.trustNotes = append(s.trustNotes, cc.unbound)
		return
	}
	s.rep.Trust = "trusted"
}

// finish sets integrity and status from what the checks found.
func (v *verifier) finish(s *sigState) {
	if len(s.problems) > 0 {
		s.rep.Integrity = "invalid"
	} else {
		s.rep.Integrity = "valid"
	}
	if s.rep.ChangesAfter == "" {
		s.rep.ChangesAfter = "none"
	}
	switch {
	case s.rep.Integrity == "invalid":
		s.rep.Status = StatusInvalid
	case s.rep.ChangesAfter == "disallowed":
		s.rep.Status = StatusModified
	case s.rep.Trust != "trusted":
		s.rep.Status = StatusUntrusted
	default:
		s.rep.Status = StatusValid
	}
	reasons := append([]string{}, s.problems...)
	if s.rep.Trust != "trusted" {
		reasons = append(reasons, s.trustNotes...)
	}
	s.rep.Reasons = capSentences(append(reasons, s.rep.Reasons...), v.limits.MaxProblems)
	if s.rep.Algorithm == "" {
		s.rep.Algorithm = "unknown"
	}
	if r, ok := s.dict.Get("Reason").(pdf.String); ok {
		s.rep.Reason = r.Text()
	}
	if n, ok := s.dict.Get("Name").(pdf.String); ok && s.rep.Signer.OrganizationID != "" {
		s.rep.Signer.Operator = strings.TrimSpace(n.Text())
	}
}

// oidOrganizationIdentifier is X.520 organizationIdentifier.
var oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}

// organizationID strips the ETSI EN 319 412-1 prefix (three letters, a country, "-") from an
// organizationIdentifier: NTRCN-91330106MA27XYZ12K → 91330106MA27XYZ12K.
func organizationID(v string) string {
	if len(v) > 6 && v[5] == '-' {
		return v[6:]
	}
	return v
}

// capSentences keeps the first max sentences of list and, when it cuts, ends with one that says
// how many were left out and names the limit (pdf.Limits.MaxProblems).
func capSentences(list []string, max int) []string {
	if max <= 0 || len(list) <= max {
		return list
	}
	le := &pdf.LimitError{Limit: "MaxProblems", Max: int64(max), Got: int64(len(list))}
	return append(list[:max:max], fmt.Sprintf("%d more sentences not listed (%v)", len(list)-max, le))
}

// parsePDFDate parses D:YYYYMMDDHHmmSSOHH'mm'.
func parsePDFDate(s string) (time.Time, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	s = strings.ReplaceAll(s, "'", "")
	layouts := []string{"20060102150405Z0700", "20060102150405-0700", "20060102150405Z", "20060102150405", "200601021504", "20060102"}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	if len(s) > 14 && (s[14] == 'Z') {
		if t, err := time.Parse("20060102150405", s[:14]); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad pdf date %q", s)
}

// tsaChain builds the chain of the time-stamping authority's certificate of token tc for
// signature s: tsaValidate with the times of the later trusted document timestamps over s as the
// later proofs of existence.
func (v *verifier) tsaChain(s *sigState, tc *timestampCheck, pool []*certInfo) chainResult {
	var later []time.Time
	for _, d := range v.sigs {
		if d == s || d.rep.Kind != KindDocTimestamp || d.rev <= s.rev || s.rev < 0 || len(d.problems) > 0 ||
			d.rep.Trust != "trusted" || d.cc == nil || d.cc.timestamp == nil {
			continue
		}
		later = append(later, d.cc.timestamp.info.latest(v.now))
	}
	data := v.dssData
	if s.cc != nil {
		data.add(s.cc.revocation)
	}
	return tsaValidate(v.opts.Trust, tc, pool, v.now, later, &data)
}

// tsaValidate is the one rule for a time-stamping authority's certificate, for PDF and OFD
// alike: token tc proves a time before genTime (its tstInfo.latest) only if it binds its
// authority's certificate by a signing-certificate(-v2) attribute (RFC 3161 §2.4.1, RFC 5816;
// tc.unbound), and that certificate, with the RFC 3161 profile (buildChain's purposeTSA,
// tsaProfile), is valid now, or
// at one of later, the times of later trusted proofs that the token existed while the
// certificate was valid (a document timestamp over it, PAdES B-LTA) — never at the time the
// token claims for itself (red team s8b F1: the key of an expired TSA certificate backdated a
// token and made an expired or revoked signer valid). A TSA certificate revoked before genTime,
// by data (the document's and the token's CRLs and OCSP responses), proves nothing either (s8b
// F3).
func tsaValidate(trust *TrustStore, tc *timestampCheck, pool []*certInfo, now time.Time, later []time.Time, data *revocationData) chainResult {
	if tc.unbound != "" {
		return chainResult{reason: tc.unbound}
	}
	cert, genTime := tc.cms.cert, tc.info.latest(now)
	ch := trust.buildChain(cert, pool, now, purposeTSA)
	for _, poe := range later {
		if ch.trusted {
			break
		}
		if !poe.After(genTime) {
			continue
		}
		if c2 := trust.buildChain(cert, pool, poe, purposeTSA); c2.trusted {
			ch = c2
		}
	}
	if !ch.trusted {
		ch.reason = "the time-stamping authority's certificate is not valid now nor at a later proof of existence: " + ch.reason
		return ch
	}
	// The path's certificate signatures and CA keys (algpolicy.go), judged at the earliest later
	// proof of existence, else now: the token proves nothing of itself.
	poe := now
	for _, l := range later {
		if l.Before(poe) {
			poe = l
		}
	}
	if rejected, _ := judgeAlgorithms(chainWeakness(ch.chain), poe); len(rejected) > 0 {
		ch.trusted = false
		ch.reason = "the time-stamping authority's certificate path: " + strings.Join(rejected, "; ")
		return ch
	}
	if status, _, _, revokedAt := chainRevocation(ch.chain, data, genTime, poe, nil); status == RevocationRevoked {
		ch.trusted = false
		ch.reason = fmt.Sprintf("the time-stamping authority's certificate was revoked (%s) before the token's time %s",
			revokedAt.UTC().Format(time.RFC3339), genTime.UTC().Format(time.RFC3339))
	}
	return ch
}
