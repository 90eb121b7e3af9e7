// Package pdf reads PDF files revision by revision and appends incremental updates to them.
// It is the byte-level foundation under signing (core/sign) and verification (core/verify).
//
// # Reading
//
// Open takes an io.ReaderAt and a size. It finds the last startxref by reading the tail of the
// file, then follows the /Prev chain of cross-reference sections (classic tables, xref streams,
// hybrid files with /XRefStm, linearized files) and builds the list of revisions, oldest first.
// Objects are parsed only when asked for and cached modestly, so opening a 45 MB file reads a
// few kilobytes plus its cross-reference sections. Every object can be resolved as seen in any
// revision (File.View), which is what "view the signed version" and change analysis need.
//
// The lexer and parser are exported (Lexer, Parser) and report byte offsets: a verifier can
// check that a signature's ByteRange gap is exactly the <hex> /Contents token
// (IndirectObject.ValueSpans) and find the byte span of an indirect object.
//
// Structural oddities that matter to a verifier are reported, not hidden: each Revision lists
// its Anomalies (a missing %%EOF, a startxref or object offset that is off, an empty or
// /Root-less section), File.Tail reports bytes after the last %%EOF, UnlistedObjects finds
// objects a revision's bytes hold but its cross-reference section does not list (a number a
// table lists twice counts as listed at its second offset only when that copy is the very same
// object: RelistedCopies), and when the
// cross-reference chain is unusable the revisions are rebuilt from the bytes as viewers do
// (File.Reconstructed).
//
// Pages (with inherited MediaBox, CropBox, Rotate and Resources) and AcroForm fields (fully
// qualified names, widgets with their page and rectangle) are walked cycle-safely; FindSigDicts
// finds every signature dictionary, including ones that no field points to any more.
//
// # Writing
//
// Update builds one incremental update: new and replaced objects, a cross-reference section in
// the file's own style (a table when the last section is a table, an xref stream when it is a
// stream) and a trailer with /Prev, /Size, /Root, /Info and /ID. It produces only the bytes to
// append; it never alters a byte of an earlier revision. Placeholder objects are written
// verbatim and their absolute offsets reported, so a signer can patch /Contents and /ByteRange
// in place.
//
// The one exception is ImageDocument: it writes a new one-page document showing a JPEG or PNG
// (how an image sent as a contract becomes a page that can carry signature fields).
//
// # What it refuses
//
//   - Encrypted files: Open returns ErrEncrypted (the UI says 加密文档无法签署，请先解除密码保护).
//     With Options.Decrypt (the verifier), a file of the standard security handler that opens
//     without a password (empty user password; RC4 40–128, AES-128, AES-256, see crypt.go) is
//     read, decrypting strings and streams as objects are loaded; it still cannot be appended
//     to. /Encrypt null (written by some xref-stream producers) is no encryption; revisions
//     that disagree about /Encrypt are refused.
//   - Full rewrites: there is no "save as" that re-serialises the document; the only output is
//     an appended revision.
//   - Inputs beyond Limits: the error is a *LimitError naming the limit (it wraps ErrLimit).
//
// # Bounds: one budget per file
//
// Every number in a PDF is the author's to choose, so every piece of work that grows with one
// is bounded by a field of Limits, passed once to Open (core/verify passes the same value on,
// verify.Options.Limits), and the loops the file controls check Options.Context:
//
//   - MaxObjectSize: bytes of one object's syntax (a string, a name, a token).
//   - MaxStreamSize: decoded bytes of one stream.
//   - MaxDecodedBytes: decoded bytes of all streams of the file together, counted at every
//     decode (a flate bomb split over many streams, or one stream decoded again and again).
//   - MaxDepth: nesting of arrays and dictionaries, page and field trees.
//   - MaxObjectElements: entries of the arrays and dictionaries of one object together.
//   - MaxObjectMemory: the memory one parsed object holds, estimated while it is built, before
//     an element is added (parse.go's memOf: never less than what Go keeps, TestObjectMemory):
//     an element costs many times its bytes in the file, and most in a dictionary.
//   - MaxObjects: entries of one cross-reference section; object numbers; pages.
//   - MaxXRefEntries: entries of all cross-reference sections together, rows a section only
//     claims not counted (a 3 MB file of xref streams each claiming hundreds of thousands of
//     entries once took minutes and gigabytes).
//   - MaxRevisions: cross-reference sections read: the /Prev chain, /XRefStm sections and
//     the revisions a rebuild from the bytes finds.
//   - MaxObjStmObjects: objects one object stream declares (/N).
//   - MaxSignatures (core/verify): signature dictionaries of one file.
//   - MaxProblems (core/verify): sentences of one signature's report; the list is cut and its
//     last sentence names the limit.
//
// Every offset and length read from the file is checked without overflow (InRange,
// AddOffset): a /ByteRange or /Length near the int64 range is a malformed number, never a
// slice out of range. Work that is not bounded by a field is linear in the file's size: the
// rebuild from the bytes and the verifier's signature scan use sorted offsets and binary
// search, never one pass per revision or per match.
//
// A limit met while reading is recorded (File.Exceeded) even where the reader goes on without
// the object (as it does for an object that is merely broken): a caller that gives a verdict
// checks Exceeded and refuses to give one, because a part skipped for a budget is a part not
// judged. Data whose absence only lowers trust (validation data in the DSS) is read with
// OptionalStreamData, whose limits are not recorded.
//
// # Principle: every ambiguity is proven harmless or reported
//
// Two readers may resolve the same bytes differently: a generation number, an offset a few
// bytes off, a section that claims more rows than it holds, an object stream naming one
// object twice, a budget that stops one reader and not another. This package never resolves
// such a case its own way in silence: either the resolution is shown to change nothing a
// signature covers (and the file reads on), or it is reported — an anomaly of the revision,
// a *LimitError, an error — so that the verifier can call it a disallowed change or refuse a
// verdict. A bound is an ambiguity of this kind: past it, this reader and a viewer would see
// different documents, so exceeding one is an error, never a truncated view.
//
// # Rebuilding readers: which bytes are an object header
//
// A reader that distrusts the cross-reference data rebuilds it by scanning, and each one
// tokenises the bytes its own way, so HeaderScanner (rebuildscan.go) reports the union of
// what they take as an "N G obj" header, with the number each computes — not a pattern match:
//
//   - MuPDF's repair is a lexer: comments are white space ("4 0 % c⏎obj", "4 % c⏎0 obj"), a
//     number token may carry a sign ("+4"; a lone "+" or "-" is 0), digits wrap modulo 2^32,
//     strings are lexed through, and after a distrusted stream it resyncs on the bytes
//     "endstream", whatever follows them.
//   - poppler reads lines with getLine(buf, 256): a line longer than 255 bytes is cut into
//     chunks, and every chunk — and the rest of a chunk after each "endobj" — is examined as
//     a line start; between the tokens it allows C white space (VT too, NUL ends the chunk),
//     accepts "obj" followed by anything, and continues a number that ends a chunk in the
//     next chunk.
//   - qpdf takes the first token of each line with its tokenizer (comments skipped): a subset
//     of MuPDF's rule.
//
// Text that no reader takes ("4 0obj", a header glued to a word, one byte short of a chunk)
// is not reported. The scan is linear: one pass per rule, a comment skipped once per line, a
// chunk read at most three times. Not modelled: a dictionary between the generation and "obj"
// ("4 0 <<>> obj", which MuPDF lists and then fails to load).
//
// # Object streams: where readers disagree
//
// An object inside an object stream is found through its cross-reference entry (stream
// number, index). Readers resolve a crafted stream differently: poppler and PDFium return null
// when the entry's index names another number there, pdf.js takes the object at the index;
// poppler drops a stream whose offsets do not increase or whose index is shorter than /N and
// cuts each object at the next one's offset, PDFium and pdf.js parse on; readers that read
// the index without the /First bound see more pairs when /First points inside it. So each of
// these is an Ambiguity of the object read (AmbiguityObjStmIndex, AmbiguityObjStmHeader, and
// AmbiguityObjStmDuplicate for a number listed twice), as is an object that a hybrid
// section's table and its /XRefStm list differently (AmbiguityHybrid; the table wins here, as
// in poppler and pdf.js). View.ObjStmNumbers lists what a stream holds, so that a verifier
// can find copies that no cross-reference entry points to; ObjStmNumbersOf does the same for
// a stream found anywhere in the bytes. /N, /First and /Type are read through a reference, as
// MuPDF (pdf_dict_get_int), poppler (lookup) and pdf.js (get) read them: an indirect /N once
// read as an empty index while MuPDF's repair loaded the page the stream held (red team s7
// G2). /Extends is ignored, as every
// reader does: it never decides which object a number is, so its chains and cycles are harmless.
//
// # Why not pdfcpu
//
// pdfcpu's reader builds a whole in-memory context of every object, and its writer rewrites the
// file. Signing needs the opposite: touch a handful of objects, append, and report exact byte
// offsets; verification needs every revision separately and the exact bytes of tokens. Both are
// easier and cheaper with a small reader that keeps offsets. pdfcpu remains useful in tests as an
// independent check.
package pdf

import (
	"errors"
	"fmt"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrEncrypted means the document has an /Encrypt dictionary; it is refused.
	ErrEncrypted = errors.New("pdf: document is encrypted")
	// ErrLimit means a configured limit was exceeded; the wrapping LimitError names it.
	ErrLimit = errors.New("pdf: limit exceeded")
	// ErrNotPDF means no cross-reference data or header could be found at all.
	ErrNotPDF = errors.New("pdf: not a pdf file")
	// ErrMalformed means the bytes do not follow the PDF syntax where they had to.
	ErrMalformed = errors.New("pdf: malformed")
	// ErrNotFound means an object or page does not exist.
	ErrNotFound = errors.New("pdf: not found")
)

// LimitError reports which limit of the budget was exceeded. It wraps ErrLimit; match it with
// errors.As to name the limit to the user (the desktop words each Limit in Chinese).
type LimitError struct {
	Limit string // field name in Limits, e.g. "MaxStreamSize" (or "MaxFileSize" from core/verify)
	Max   int64  // the limit in force
	Got   int64  // what the file asked for, when known (0 otherwise)
}

func (e *LimitError) Error() string {
	if e.Got > 0 {
		return fmt.Sprintf("pdf: limit %s (%d) exceeded: %d", e.Limit, e.Max, e.Got)
	}
	return fmt.Sprintf("pdf: limit %s (%d) exceeded", e.Limit, e.Max)
}

func (e *LimitError) Unwrap() error { return ErrLimit }

func limitErr(name string, max int64) error { return &LimitError{Limit: name, Max: max} }

// Limits is the budget for one untrusted file: core/pdf enforces the parsing fields, and
// core/verify takes the same value (verify.Options.Limits) and enforces MaxSignatures and
// MaxProblems. A zero field means the default. Exceeding a limit is a *LimitError naming it
// (MaxProblems excepted: the list is cut and a last sentence says so).
type Limits struct {
	MaxObjectSize int64 // bytes of one object's syntax (strings, tokens), stream data excluded; default 64 MiB
	MaxStreamSize int64 // decoded bytes of one stream; default 256 MiB
	MaxDepth      int   // nesting of arrays/dicts, page tree and field tree depth; default 256
	// MaxObjectElements bounds the entries of all arrays and dictionaries of one object together
	// (each costs tens of bytes however few bytes it takes in the file: a /ByteRange of millions
	// of integers); default 524,288 (real objects — a font's /W, a flat /Nums — hold far fewer).
	MaxObjectElements int
	// MaxObjectMemory bounds the memory one parsed object holds, estimated as it is built (a
	// dictionary entry some 130 bytes, an array element 48: parse.go's memOf); default 64 MiB.
	// An element costs many times its bytes in the file: a /VRI of 250,000 empty
	// dictionaries took 12 MB of an object stream and 70 MB parsed.
	MaxObjectMemory int64
	MaxObjects      int // cross-reference entries per section, object numbers, pages; default 1,048,576
	MaxRevisions    int // cross-reference sections read (the /Prev chain, /XRefStm and rebuilt ones); default 4096
	// MaxXRefEntries bounds the cross-reference entries of all sections together (each costs
	// memory however small the file; default 524,288: real files hold a few thousand).
	MaxXRefEntries int
	// MaxObjStmObjects bounds the objects one object stream may declare (/N); default 100,000.
	MaxObjStmObjects int
	// MaxDecodedBytes bounds the bytes decoded from all streams of the file together, counted
	// each time a stream is decoded; default 1 GiB.
	MaxDecodedBytes int64
	// MaxSignatures bounds the signatures of one file (core/verify); default 100 (the change
	// analysis compares every signature with every later revision).
	MaxSignatures int
	// MaxProblems bounds the sentences of each list one signature's report holds (problems,
	// changes, notes); default 50.
	MaxProblems int
}

// DefaultLimits are used for zero fields of Options.Limits.
var DefaultLimits = Limits{
	MaxObjectSize:     64 << 20,
	MaxStreamSize:     256 << 20,
	MaxDepth:          256,
	MaxObjectElements: 1 << 19,
	MaxObjectMemory:   64 << 20,
	MaxObjects:        1 << 20,
	MaxRevisions:      4096,
	MaxXRefEntries:    1 << 19,
	MaxObjStmObjects:  100000,
	MaxDecodedBytes:   1 << 30,
	MaxSignatures:     100,
	MaxProblems:       50,
}

// WithDefaults returns l with every zero field set from DefaultLimits.
func (l Limits) WithDefaults() Limits { return l.withDefaults() }

func (l Limits) withDefaults() Limits {
	if l.MaxXRefEntries <= 0 {
		l.MaxXRefEntries = DefaultLimits.MaxXRefEntries
	}
	if l.MaxObjStmObjects <= 0 {
		l.MaxObjStmObjects = DefaultLimits.MaxObjStmObjects
	}
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = DefaultLimits.MaxDecodedBytes
	}
	if l.MaxSignatures <= 0 {
		l.MaxSignatures = DefaultLimits.MaxSignatures
	}
	if l.MaxProblems <= 0 {
		l.MaxProblems = DefaultLimits.MaxProblems
	}
	if l.MaxObjectSize <= 0 {
		l.MaxObjectSize = DefaultLimits.MaxObjectSize
	}
	if l.MaxStreamSize <= 0 {
		l.MaxStreamSize = DefaultLimits.MaxStreamSize
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxObjectElements <= 0 {
		l.MaxObjectElements = DefaultLimits.MaxObjectElements
	}
	if l.MaxObjectMemory <= 0 {
		l.MaxObjectMemory = DefaultLimits.MaxObjectMemory
	}
	if l.MaxObjects <= 0 {
		l.MaxObjects = DefaultLimits.MaxObjects
	}
	if l.MaxRevisions <= 0 {
		l.MaxRevisions = DefaultLimits.MaxRevisions
	}
	return l
}
