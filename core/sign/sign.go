package sign

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"time"

	"sealdesk/core/cms"
	"sealdesk/core/pdf"
	"sealdesk/core/tsa"
)

// Level is a PAdES baseline level.
type Level string

// The PAdES baseline levels.
const (
	LevelBB   Level = "B-B"
	LevelBT   Level = "B-T"
	LevelBLT  Level = "B-LT"
	LevelBLTA Level = "B-LTA"
)

func (l Level) rank() int {
	switch l {
	case LevelBB, "":
		return 0
	case LevelBT:
		return 1
	case LevelBLT:
		return 2
	case LevelBLTA:
		return 3
	}
	return -1
}

// ParseLevel accepts "B-B", "B-T", "B-LT", "B-LTA" (case-insensitive, with or without "B-").
func ParseLevel(s string) (Level, error) {
	switch s {
	case "B-B", "b-b", "B", "b", "":
		return LevelBB, nil
	case "B-T", "b-t", "T", "t":
		return LevelBT, nil
	case "B-LT", "b-lt", "LT", "lt":
		return LevelBLT, nil
	case "B-LTA", "b-lta", "LTA", "lta":
		return LevelBLTA, nil
	}
	return "", fmt.Errorf("unknown PAdES level %q (B-B, B-T, B-LT, B-LTA)", s)
}

// Sentinel errors.
var (
	// ErrCertifiedNoChanges: the document is certified with DocMDP P=1; no signature may be added.
	ErrCertifiedNoChanges = errors.New("document is certified with no changes allowed (DocMDP P=1)")
	// ErrAlreadySigned: certification must be the first signature of a document.
	ErrAlreadySigned = errors.New("a certification signature must be the document's first signature")
	// ErrFieldNotEmpty: the named field is not an empty signature field.
	ErrFieldNotEmpty = errors.New("field is not an empty signature field")
	// ErrCertifiedNewField: after a certification (P=2/3) only existing fields may be signed
	// visibly; a new visible signature field counts as a disallowed change ("sneaky signature").
	ErrCertifiedNewField = errors.New("document is certified: sign into a pre-placed field, new visible signature fields are not allowed")
	// ErrFieldExists: a field with that name exists already.
	ErrFieldExists = errors.New("a field with that name already exists")
	// ErrNeedTimestamper: the level needs a timestamp authority.
	ErrNeedTimestamper = errors.New("this PAdES level needs a timestamp authority")
	// ErrContentsTooSmall would mean the size estimate was wrong; the output is not written.
	ErrContentsTooSmall = errors.New("signature does not fit its reserved space")
)

// CrossPage describes a cross-page seal (骑缝章): the image cut into len(Pages) vertical strips,
// strip i placed against the right edge of page Pages[i] as the user sees it.
type CrossPage struct {
	Image []byte
	// Pages are 1-based page numbers; nil means every page.
	Pages []int
	// Width is the whole seal's width in points (default 119, Ø42 mm); the height follows the
	// image's aspect ratio.
	Width float64
	// CenterY is the visible y of the seal's centre (0: the middle of each page).
	CenterY float64
}

// Options describe one signature. Zero values mean defaults.
type Options struct {
	// Signer is the private key, any crypto.Signer; it is called exactly once.
	Signer crypto.Signer
	Cert   *x509.Certificate
	// Chain holds the issuing CAs (root optional) to embed in the CMS.
	Chain []*x509.Certificate
	// Hash is SHA-256 (default), SHA-384 or SHA-512. PSS selects RSASSA-PSS for RSA keys.
	Hash crypto.Hash
	PSS  bool

	// Field names the signature field: an existing empty one is filled; otherwise a new one is
	// created (default name "Signature<N>").
	Field string
	// Page (1-based) and Rect place a new field; Page 0 makes an invisible signature (unless
	// Field names an existing visible field).
	Page int
	Rect VisibleRect
	// Image is a PNG or JPEG drawn into the field's box; nil draws nothing (invisible look).
	Image []byte
	Fit   FitMode
	// Caption lines (e.g. the signer's name and the date) are drawn under the image, rendered
	// with the embedded CJK sans face as an image (not selectable text, so no font is embedded).
	Caption []string
	// CrossPage adds a cross-page seal in the same revision. With Field naming an existing
	// empty field (a placed 骑缝章 box), that field carries the strips: its widget gets the strip
	// of its own page and new widgets of the same field get the others.
	CrossPage *CrossPage

	// Level is the PAdES level (default B-B). B-T and above need Timestamper; B-LT and above
	// fetch revocation data through Revocation (default: HTTP to the certificates' URLs).
	Level       Level
	Timestamper tsa.Timestamper
	Revocation  RevocationSource

	// Certify makes a certification signature with DocMDP P=1, 2 or 3 (0: approval signature).
	Certify int

	Reason, Location, ContactInfo, Name string
	// Now is the clock for the claimed signing time /M (default time.Now).
	Now func() time.Time
	// Progress, when set, is called as the input is copied (bytes done, total).
	Progress func(done, total int64)
}

// Result describes what was written.
type Result struct {
	Field      string
	ByteRange  [4]int64
	CMSSize    int   // bytes of the CMS
	Reserved   int   // bytes reserved for it
	Size       int64 // output size
	Revisions  int   // revisions appended (1 signature + DSS + document timestamp)
	SignerTime time.Time
}

// contentsName and byteRangeName are the placeholder names given to the writer.
const (
	contentsName  = "contents"
	byteRangeName = "byterange"
)

// SignFile signs the PDF at in and writes the result to out (which may equal in). ctx cancels
// the signing (nothing is written) and bounds the timestamp and revocation requests. See the
// package documentation for the guarantees.
func SignFile(ctx context.Context, in, out string, opts *Options) (*Result, error) {
	if opts == nil || opts.Signer == nil || opts.Cert == nil {
		return nil, errors.New("signer and certificate are required")
	}
	o := *opts
	if o.Hash == 0 {
		o.Hash = crypto.SHA256
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Level.rank() < 0 {
		return nil, fmt.Errorf("unknown PAdES level %q", o.Level)
	}
	if o.Level.rank() >= 1 && o.Timestamper == nil {
		return nil, ErrNeedTimestamper
	}
	if o.Certify < 0 || o.Certify > 3 {
		return nil, fmt.Errorf("docmdp permission %d is not 1, 2 or 3", o.Certify)
	}
	src, err := os.Open(in)
	if err != nil {
		return nil, fmt.Errorf("failed to open input: %w", err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return nil, fmt.Errorf("failed to stat input: %w", err)
	}
	f, err := pdf.Open(src, st.Size(), nil)
	if err != nil {
		return nil, fmt.Errorf("failed to read pdf: %w", err)
	}
	mdp, err := checkMDP(f, o.Certify)
	if err != nil {
		return nil, err
	}

	// Size the CMS before anything is written.
	so := cms.SignOptions{Signer: o.Signer, Cert: o.Cert, Chain: o.Chain, Hash: o.Hash, PSS: o.PSS}
	tsExtra := 0
	if o.Level.rank() >= 1 {
		n, err := probeTimestamp(ctx, o.Timestamper)
		if err != nil {
			return nil, err
		}
		tsExtra = n + cms.TimestampAttrOverhead
	}
	// One preparation for sizing now and signing once the digest is known.
	prep, err := cms.Prepare(so)
	if err != nil {
		return nil, fmt.Errorf("failed to size the signature: %w", err)
	}
	maxCMS, err := prep.MaxSize(tsExtra)
	if err != nil {
		return nil, fmt.Errorf("failed to size the signature: %w", err)
	}
	reserved := maxCMS + 256

	ed, err := newEditor(f)
	if err != nil {
		return nil, err
	}
	now := o.Now()
	sigDict := pdf.Dict{
		"Type":      pdf.Name("Sig"),
		"Filter":    pdf.Name("Adobe.PPKLite"),
		"SubFilter": pdf.Name("ETSI.CAdES.detached"),
		"ByteRange": pdf.ByteRangePlaceholder(byteRangeName),
		"Contents":  pdf.HexPlaceholder(contentsName, reserved),
		"M":         pdf.String{Bytes: []byte(pdfDate(now))},
	}
	for _, kv := range [...]struct {
		k pdf.Name
		v string
	}{{"Reason", o.Reason}, {"Location", o.Location}, {"ContactInfo", o.ContactInfo}, {"Name", o.Name}} {
		if kv.v != "" {
			sigDict[kv.k] = pdf.EncodeText(kv.v)
		}
	}
	sigRef := ed.u.Reserve()
	if o.Certify > 0 {
		sigDict["Reference"] = pdf.Array{pdf.Dict{
			"Type":            pdf.Name("SigRef"),
			"TransformMethod": pdf.Name("DocMDP"),
			"TransformParams": pdf.Dict{"Type": pdf.Name("TransformParams"), "P": pdf.Int(o.Certify), "V": pdf.Name("1.2")},
		}}
		ed.setPerms(sigRef)
	}
	ed.certifiedP = mdp
	fieldName, err := ed.placeSignature(sigRef, &o)
	if err != nil {
		return nil, err
	}
	if ed.fieldLock != nil {
		// The field asks to lock fields once signed: record it as a FieldMDP transform.
		params := pdf.Dict{"Type": pdf.Name("TransformParams"), "V": pdf.Name("1.2")}
		for k, v := range ed.fieldLock {
			if k != "Type" {
				params[k] = v
			}
		}
		ref, _ := sigDict["Reference"].(pdf.Array)
		sigDict["Reference"] = append(ref, pdf.Dict{"Type": pdf.Name("SigRef"), "TransformMethod": pdf.Name("FieldMDP"), "TransformParams": params})
	}
	if err := ed.u.Set(sigRef, sigDict); err != nil {
		return nil, err
	}
	if err := ed.commit(); err != nil {
		return nil, err
	}

	w, err := newOutput(out)
	if err != nil {
		return nil, err
	}
	defer w.abort()
	w.ctx, w.progress = ctx, o.Progress
	h := cms.NewHash(o.Cert.PublicKey, o.Hash) // SM3 for an SM2 key
	if err := w.copyFrom(src, st.Size(), st, h); err != nil {
		return nil, err
	}
	if o.Level.rank() >= 3 && !cms.IsSM2(o.Cert.PublicKey) {
		// The document timestamp hashes the whole file with o.Hash, as h does so far.
		w.keepWholeHash(h, o.Hash)
	}
	// The input is not read again: close it now so that renaming over it (--out = --in)
	// also works where open files cannot be replaced (Windows).
	src.Close()
	var cmsLen int
	lay, err := w.appendSigned(ed.u, h, func(digest []byte) ([]byte, error) {
		sd, err := prep.Sign(digest)
		if err != nil {
			return nil, fmt.Errorf("failed to sign: %w", err)
		}
		if o.Level.rank() >= 1 {
			sv := sha256.Sum256(sd.SignatureValue())
			tok, err := o.Timestamper.Timestamp(ctx, crypto.SHA256, sv[:])
			if err != nil {
				return nil, fmt.Errorf("failed to get the signature timestamp: %w", err)
			}
			sd.AddTimestamp(tok)
		}
		der, err := sd.Marshal()
		cmsLen = len(der)
		return der, err
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Field: fieldName, CMSSize: cmsLen, Reserved: reserved, Revisions: 1, SignerTime: now}
	res.ByteRange = lay.byteRange
	if o.Level.rank() >= 2 {
		n, err := w.addLTV(o.Revocation, []sigContents{{contents: lay.contents()}}, o.Chain, true)
		if err != nil {
			return nil, err
		}
		res.Revisions += n
	}
	if o.Level.rank() >= 3 {
		if err := w.addDocTimestamp(o.Timestamper, o.Hash, o.Revocation); err != nil {
			return nil, err
		}
		res.Revisions++
	}
	size, err := w.commit()
	if err != nil {
		return nil, err
	}
	res.Size = size
	return res, nil
}

// tokenSizes remembers each timestamper's token size, so that only the first signature made
// with it costs an extra request.
var tokenSizes struct {
	sync.Mutex
	m map[tsa.Timestamper]int // bounded: cleared when it reaches 64 entries
}

// probeTimestamp returns an upper bound of the size of ts's tokens: a token measured once,
// plus 1 KiB for what varies between tokens (serial, time, nonce, signature encoding).
func probeTimestamp(ctx context.Context, ts tsa.Timestamper) (int, error) {
	cacheable := reflect.TypeOf(ts).Comparable()
	if cacheable {
		tokenSizes.Lock()
		n, ok := tokenSizes.m[ts]
		tokenSizes.Unlock()
		if ok {
			return n, nil
		}
	}
	d := sha256.Sum256([]byte("sealdesk size probe"))
	tok, err := ts.Timestamp(ctx, crypto.SHA256, d[:])
	if err != nil {
		return 0, fmt.Errorf("timestamp authority unavailable: %w", err)
	}
	n := len(tok) + 1024
	if cacheable {
		tokenSizes.Lock()
		if tokenSizes.m == nil || len(tokenSizes.m) >= 64 {
			tokenSizes.m = map[tsa.Timestamper]int{}
		}
		tokenSizes.m[ts] = n
		tokenSizes.Unlock()
	}
	return n, nil
}

// pdfDate formats t in UTC as a PDF date string, D:YYYYMMDDHHmmSSZ (ISO 32000-2 §7.9.4). The
// signer's own offset would say the same instant but costs loading the local time zone (its
// database file, read on first use: ~50 µs in a fresh process, 2% of signing 1 MB), and
// readers convert the date to their own zone anyway (our verifier to UTC, the desktop and
// poppler's pdfsig to local time).
func pdfDate(t time.Time) string {
	return t.UTC().Format("D:20060102150405") + "Z"
}

// checkMDP enforces an existing certification's permissions and returns its P (0: none).
func checkMDP(f *pdf.File, certify int) (int, error) {
	v := f.Latest()
	cat, err := v.Catalog()
	if err != nil {
		return 0, fmt.Errorf("failed to read catalog: %w", err)
	}
	fields, err := v.Fields()
	if err != nil {
		return 0, fmt.Errorf("failed to read form fields: %w", err)
	}
	signed := false
	for _, fl := range fields {
		if fl.IsSignature() && fl.Value != nil {
			if _, isNull := fl.Value.(pdf.Null); !isNull {
				signed = true
			}
		}
	}
	if certify > 0 && signed {
		return 0, ErrAlreadySigned
	}
	perms := v.Dict(cat.Get("Perms"))
	if perms == nil {
		return 0, nil
	}
	sig := v.Dict(perms.Get("DocMDP"))
	if sig == nil {
		return 0, nil
	}
	if certify > 0 {
		return 0, ErrAlreadySigned
	}
	refs, _ := resolveArray(v, sig.Get("Reference"))
	perm := 0
	for _, r := range refs {
		rd := v.Dict(r)
		if rd == nil || rd.NameOf("TransformMethod") != "DocMDP" {
			continue
		}
		p := int64(2)
		if tp := v.Dict(rd.Get("TransformParams")); tp != nil {
			if x, err := v.Resolve(tp.Get("P")); err == nil {
				if n, ok := pdf.IntOf(x); ok {
					p = n
				}
			}
		}
		if p == 1 {
			return 1, ErrCertifiedNoChanges
		}
		perm = int(p)
	}
	return perm, nil
}

func resolveArray(v *pdf.View, o pdf.Object) (pdf.Array, error) {
	x, err := v.Resolve(o)
	if err != nil {
		return nil, err
	}
	a, _ := x.(pdf.Array)
	return a, nil
}
