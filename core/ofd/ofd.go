package ofd

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Sentinel errors; LimitError wraps ErrLimit.
var (
	ErrNotOFD         = errors.New("not an OFD package")
	ErrLimit          = errors.New("ofd limit exceeded")
	ErrUnsafePath     = errors.New("unsafe entry name in the OFD package")
	ErrDuplicateEntry = errors.New("duplicate entry name in the OFD package")
	ErrMissingPart    = errors.New("part missing from the OFD package")
)

// LimitError names the budget a package exceeded.
type LimitError struct {
	Limit string // the Limits field: "MaxEntries", "MaxEntrySize", ...
	Value int64  // what the package needed (at least)
	Max   int64
	Entry string // the entry concerned, when there is one
}

func (e *LimitError) Error() string {
	s := fmt.Sprintf("ofd limit %s exceeded: %d > %d", e.Limit, e.Value, e.Max)
	if e.Entry != "" {
		s += " (" + e.Entry + ")"
	}
	return s
}

func (e *LimitError) Unwrap() error { return ErrLimit }

// Limits bounds the work one package may cause. Zero fields take the defaults of DefaultLimits.
type Limits struct {
	MaxFileSize   int64 // bytes of the ZIP itself
	MaxEntries    int   // entries in the archive
	MaxEntrySize  int64 // uncompressed bytes of one entry
	MaxTotalSize  int64 // uncompressed bytes of all entries together
	MaxRatio      int64 // uncompressed/compressed of one entry above RatioFloor bytes
	RatioFloor    int64 // entries smaller than this are not ratio-checked (small XML compresses well)
	MaxDocuments  int
	MaxPages      int // pages of all documents together
	MaxSignatures int // signatures of all documents together
	MaxReferences int // references of one signature
}

// DefaultLimits are generous for real invoices and notices (a few hundred KB) and stop bombs.
var DefaultLimits = Limits{
	MaxFileSize:   256 << 20,
	MaxEntries:    10000,
	MaxEntrySize:  64 << 20,
	MaxTotalSize:  256 << 20,
	MaxRatio:      100,
	RatioFloor:    1 << 20,
	MaxDocuments:  16,
	MaxPages:      5000,
	MaxSignatures: 100,
	MaxReferences: 10000,
}

func (l *Limits) withDefaults() Limits {
	out := DefaultLimits
	if l == nil {
		return out
	}
	set := func(dst *int64, v int64) {
		if v > 0 {
			*dst = v
		}
	}
	seti := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	set(&out.MaxFileSize, l.MaxFileSize)
	seti(&out.MaxEntries, l.MaxEntries)
	set(&out.MaxEntrySize, l.MaxEntrySize)
	set(&out.MaxTotalSize, l.MaxTotalSize)
	set(&out.MaxRatio, l.MaxRatio)
	set(&out.RatioFloor, l.RatioFloor)
	seti(&out.MaxDocuments, l.MaxDocuments)
	seti(&out.MaxPages, l.MaxPages)
	seti(&out.MaxSignatures, l.MaxSignatures)
	seti(&out.MaxReferences, l.MaxReferences)
	return out
}

// Package is a read OFD file.
type Package struct {
	names []string          // entry names in archive order
	parts map[string][]byte // entry name → exact stored (uncompressed) bytes
	// lazy are the entries larger than heldEntrySize: read from the archive when asked for,
	// never held (red team s10 DoS 4: four referenced entries of 60 MiB were held at once,
	// 445 MB for a 3 MB file). archive/zip checks their declared size and CRC as it reads.
	lazy     map[string]*zip.File
	maxEntry int64

	Documents []*Document
	// Entries is the ofdrw "integrity" list (GM/T 0099 anti-smuggling, /OFDEntries.xml) when
	// the package has one.
	Entries *Entries
}

// Names returns the entry names (files only) in archive order.
func (p *Package) Names() []string { return append([]string(nil), p.names...) }

// heldEntrySize: entries up to this size are read when the package is opened and held; larger
// ones are read when asked for (Part, Open).
const heldEntrySize = 1 << 20

// Part returns the exact bytes of a part by its cleaned name (without a leading "/"). A large
// part is read from the archive for each call; false when it is absent or cannot be read.
func (p *Package) Part(name string) ([]byte, bool) {
	name = strings.TrimPrefix(name, "/")
	if b, ok := p.parts[name]; ok {
		return b, true
	}
	rc, ok := p.Open(name)
	if !ok {
		return nil, false
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, p.maxEntry+1))
	if err != nil || int64(len(b)) > p.maxEntry {
		return nil, false
	}
	return b, true
}

// Open returns a reader of a part's exact bytes, for parts too large to hold (a digest is
// computed as they are read); false when the part is absent.
func (p *Package) Open(name string) (io.ReadCloser, bool) {
	name = strings.TrimPrefix(name, "/")
	if b, ok := p.parts[name]; ok {
		return io.NopCloser(bytes.NewReader(b)), true
	}
	f, ok := p.lazy[name]
	if !ok {
		return nil, false
	}
	rc, err := f.Open()
	if err != nil {
		return io.NopCloser(errReader{err}), true
	}
	return rc, true
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Document is one DocBody of OFD.xml.
type Document struct {
	Root        string // the Document.xml part
	PhysicalBox Box    // the default page area (mm)
	Pages       []*Page
	Templates   map[string]string // template page ID → part
	PublicRes   []string          // resource parts (PublicRes, DocumentRes)
	Annotations string            // the Annotations.xml part, or ""
	// SignaturesLoc is the Signatures.xml part the DocBody names, "" when unsigned.
	SignaturesLoc string
	Signatures    []*Signature
	Err           error // Document.xml or Signatures.xml did not parse
}

// Page is one page of a document.
type Page struct {
	ID    string // the ID StampAnnot.PageRef uses
	Index int    // 0-based
	Loc   string // the Content.xml part
}

// Box is x y w h in millimetres.
type Box struct{ X, Y, W, H float64 }

// ParseBox reads "x y w h".
func ParseBox(s string) (Box, bool) {
	f := strings.Fields(s)
	if len(f) != 4 {
		return Box{}, false
	}
	var v [4]float64
	for i, x := range f {
		n, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return Box{}, false
		}
		v[i] = n
	}
	return Box{v[0], v[1], v[2], v[3]}, true
}

// Signature is one <Signature> of Signatures.xml with its parsed Signature.xml.
type Signature struct {
	ID       string
	Type     string // "Seal" (also when the attribute is missing) or "Sign"
	Loc      string // the Signature.xml part
	XML      []byte // its exact stored bytes
	Err      error  // Signature.xml is missing or does not parse
	Info     SignedInfo
	ValueLoc string // the signed value part (named by <SignedValue>)
}

// SignedInfo is the parsed <SignedInfo>.
type SignedInfo struct {
	ProviderName, ProviderVersion, Company string
	SignatureMethod                        string
	DateTime                               string // as written (formats differ)
	CheckMethod                            string // as written
	References                             []Reference
	StampAnnots                            []StampAnnot
	SealLoc                                string // the Seal.esl part, "" when absent
}

// Reference is one <Reference>.
type Reference struct {
	FileRef string // as written
	Loc     string // resolved part name; "" when it cannot be resolved (Err says why)
	Value   []byte // base64-decoded CheckValue
	Err     error
}

// StampAnnot is where a seal picture is drawn.
type StampAnnot struct {
	ID       string
	PageRef  string
	Boundary Box
	Clip     Box
	HasClip  bool
}

// Entries is /OFDEntries.xml of the integrity variant.
type Entries struct {
	Loc      string
	XML      []byte
	ValueLoc string   // the part SignedValueLoc names
	Files    []string // resolved FileLoc parts
	Err      error
}

// Open reads an OFD package from r (size bytes) under lim (nil: DefaultLimits).
func Open(ctx context.Context, r io.ReaderAt, size int64, lim *Limits) (*Package, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	l := lim.withDefaults()
	if size > l.MaxFileSize {
		return nil, &LimitError{Limit: "MaxFileSize", Value: size, Max: l.MaxFileSize}
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("%w: %v", ErrNotOFD, err)
	}
	if len(zr.File) > l.MaxEntries {
		return nil, &LimitError{Limit: "MaxEntries", Value: int64(len(zr.File)), Max: int64(l.MaxEntries)}
	}
	p := &Package{parts: map[string][]byte{}, lazy: map[string]*zip.File{}, maxEntry: l.MaxEntrySize}
	seen := map[string]bool{}
	var declared int64
	for _, f := range zr.File {
		if err := checkName(f.Name); err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(f.Name, "/")
		if seen[name] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateEntry, f.Name)
		}
		seen[name] = true
		// Declared sizes are checked first (cheap), actual sizes while inflating.
		if int64(f.UncompressedSize64) > l.MaxEntrySize || f.UncompressedSize64 > 1<<62 {
			return nil, &LimitError{Limit: "MaxEntrySize", Value: int64(min(f.UncompressedSize64, 1<<62)), Max: l.MaxEntrySize, Entry: f.Name}
		}
		// The total and the ratio by the declared sizes, before anything is inflated:
		// archive/zip refuses an entry whose data does not match its declared size.
		if declared += int64(f.UncompressedSize64); declared > l.MaxTotalSize {
			return nil, &LimitError{Limit: "MaxTotalSize", Value: declared, Max: l.MaxTotalSize, Entry: f.Name}
		}
		if n := int64(f.UncompressedSize64); n > l.RatioFloor {
			c := int64(f.CompressedSize64)
			if c <= 0 || n/c > l.MaxRatio {
				return nil, &LimitError{Limit: "MaxRatio", Value: n / max(c, 1), Max: l.MaxRatio, Entry: f.Name}
			}
		}
	}
	var total int64
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if f.UncompressedSize64 > heldEntrySize {
			p.names = append(p.names, f.Name)
			p.lazy[f.Name] = f
			continue
		}
		b, err := readEntry(f, &l, &total)
		if err != nil {
			return nil, err
		}
		p.names = append(p.names, f.Name)
		p.parts[f.Name] = b
	}
	root, ok := p.Part("OFD.xml")
	if !ok {
		return nil, fmt.Errorf("%w: no OFD.xml", ErrNotOFD)
	}
	var ofd struct {
		XMLName xml.Name
		Bodies  []struct {
			DocRoot    string `xml:"DocRoot"`
			Signatures string `xml:"Signatures"`
		} `xml:"DocBody"`
	}
	if err := xml.Unmarshal(root, &ofd); err != nil {
		return nil, fmt.Errorf("%w: OFD.xml: %v", ErrNotOFD, err)
	}
	if ofd.XMLName.Local != "OFD" {
		return nil, fmt.Errorf("%w: OFD.xml root is <%s>", ErrNotOFD, ofd.XMLName.Local)
	}
	if len(ofd.Bodies) > l.MaxDocuments {
		return nil, &LimitError{Limit: "MaxDocuments", Value: int64(len(ofd.Bodies)), Max: int64(l.MaxDocuments)}
	}
	pages, sigs := 0, 0
	for _, body := range ofd.Bodies {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := &Document{Templates: map[string]string{}}
		p.Documents = append(p.Documents, d)
		if d.Root, err = Resolve("OFD.xml", body.DocRoot); err != nil {
			d.Err = fmt.Errorf("DocRoot: %w", err)
			continue
		}
		if strings.TrimSpace(body.Signatures) != "" {
			if d.SignaturesLoc, err = Resolve("OFD.xml", body.Signatures); err != nil {
				d.Err = fmt.Errorf("Signatures: %w", err)
			}
		}
		if err := p.readDocument(d); err != nil && d.Err == nil {
			d.Err = err
		}
		pages += len(d.Pages)
		if pages > l.MaxPages {
			return nil, &LimitError{Limit: "MaxPages", Value: int64(pages), Max: int64(l.MaxPages)}
		}
		if d.SignaturesLoc != "" {
			if err := p.readSignatures(ctx, d, &l, &sigs); err != nil {
				var le *LimitError
				if errors.As(err, &le) {
					return nil, err
				}
				if d.Err == nil {
					d.Err = err
				}
			}
		}
	}
	if b, ok := p.Part("OFDEntries.xml"); ok {
		p.Entries = readEntries(b)
	}
	return p, nil
}

// checkName refuses entry names a careless extractor would write outside its folder, and names
// two readers could map to different parts.
func checkName(name string) error {
	bad := name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00") ||
		(len(name) >= 2 && name[1] == ':')
	if !bad {
		for _, el := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
			if el == "" || el == "." || el == ".." {
				bad = true
			}
		}
	}
	if bad {
		return fmt.Errorf("%w: %q", ErrUnsafePath, name)
	}
	return nil
}

func readEntry(f *zip.File, l *Limits, total *int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: entry %s: %v", ErrNotOFD, f.Name, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(rc, l.MaxEntrySize+1))
	if n > l.MaxEntrySize {
		return nil, &LimitError{Limit: "MaxEntrySize", Value: n, Max: l.MaxEntrySize, Entry: f.Name}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: entry %s: %v", ErrNotOFD, f.Name, err)
	}
	*total += n
	if *total > l.MaxTotalSize {
		return nil, &LimitError{Limit: "MaxTotalSize", Value: *total, Max: l.MaxTotalSize, Entry: f.Name}
	}
	if n > l.RatioFloor {
		c := int64(f.CompressedSize64)
		if c <= 0 || n/c > l.MaxRatio {
			return nil, &LimitError{Limit: "MaxRatio", Value: n / max(c, 1), Max: l.MaxRatio, Entry: f.Name}
		}
	}
	return buf.Bytes(), nil
}

// Resolve turns an ST_Loc written in the part base into a part name: absolute from the package
// root when it starts with "/", otherwise relative to base's folder. A location that leaves the
// package is an error.
func Resolve(base, loc string) (string, error) {
	loc = strings.TrimSpace(loc)
	if loc == "" {
		return "", errors.New("empty location")
	}
	if strings.ContainsAny(loc, "\\\x00") {
		return "", fmt.Errorf("%w: location %q", ErrUnsafePath, loc)
	}
	var full string
	if strings.HasPrefix(loc, "/") {
		full = loc
	} else {
		full = "/" + path.Join(path.Dir(base), loc)
	}
	// Refuse rather than clamp: "/../x" would silently become "/x" under path.Clean.
	depth := 0
	for _, el := range strings.Split(full, "/") {
		switch el {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return "", fmt.Errorf("%w: location %q leaves the package", ErrUnsafePath, loc)
			}
		default:
			depth++
		}
	}
	return strings.TrimPrefix(path.Clean(full), "/"), nil
}

func (p *Package) readDocument(d *Document) error {
	b, ok := p.Part(d.Root)
	if !ok {
		return fmt.Errorf("%w: %s", ErrMissingPart, d.Root)
	}
	var doc struct {
		Common struct {
			Templates []struct {
				ID      string `xml:"ID,attr"`
				BaseLoc string `xml:"BaseLoc,attr"`
			} `xml:"TemplatePage"`
			PhysicalBox string   `xml:"PageArea>PhysicalBox"`
			PublicRes   []string `xml:"PublicRes"`
			DocumentRes []string `xml:"DocumentRes"`
		} `xml:"CommonData"`
		Pages []struct {
			ID      string `xml:"ID,attr"`
			BaseLoc string `xml:"BaseLoc,attr"`
		} `xml:"Pages>Page"`
		Annotations string `xml:"Annotations"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %w", d.Root, err)
	}
	d.PhysicalBox, _ = ParseBox(doc.Common.PhysicalBox)
	for _, t := range doc.Common.Templates {
		if loc, err := Resolve(d.Root, t.BaseLoc); err == nil {
			d.Templates[t.ID] = loc
		}
	}
	for _, r := range append(doc.Common.PublicRes, doc.Common.DocumentRes...) {
		if loc, err := Resolve(d.Root, r); err == nil {
			d.PublicRes = append(d.PublicRes, loc)
		}
	}
	if strings.TrimSpace(doc.Annotations) != "" {
		d.Annotations, _ = Resolve(d.Root, doc.Annotations)
	}
	for i, pg := range doc.Pages {
		loc, err := Resolve(d.Root, pg.BaseLoc)
		if err != nil {
			return fmt.Errorf("page %d: %w", i+1, err)
		}
		d.Pages = append(d.Pages, &Page{ID: pg.ID, Index: i, Loc: loc})
	}
	return nil
}

func (p *Package) readSignatures(ctx context.Context, d *Document, l *Limits, count *int) error {
	b, ok := p.Part(d.SignaturesLoc)
	if !ok {
		return fmt.Errorf("%w: %s", ErrMissingPart, d.SignaturesLoc)
	}
	var list struct {
		Sigs []struct {
			ID      string `xml:"ID,attr"`
			Type    string `xml:"Type,attr"`
			BaseLoc string `xml:"BaseLoc,attr"`
		} `xml:"Signature"`
	}
	if err := xml.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("%s: %w", d.SignaturesLoc, err)
	}
	for _, s := range list.Sigs {
		if err := ctx.Err(); err != nil {
			return err
		}
		*count++
		if *count > l.MaxSignatures {
			return &LimitError{Limit: "MaxSignatures", Value: int64(*count), Max: int64(l.MaxSignatures)}
		}
		sig := &Signature{ID: s.ID, Type: s.Type}
		if sig.Type == "" {
			sig.Type = "Seal" // ofdrw's verifier does the same
		}
		d.Signatures = append(d.Signatures, sig)
		loc, err := Resolve(d.SignaturesLoc, s.BaseLoc)
		if err != nil {
			sig.Err = err
			continue
		}
		sig.Loc = loc
		x, ok := p.Part(loc)
		if !ok {
			sig.Err = fmt.Errorf("%w: %s", ErrMissingPart, loc)
			continue
		}
		sig.XML = x
		sig.Err = parseSignatureXML(sig, l)
	}
	return nil
}

func parseSignatureXML(sig *Signature, l *Limits) error {
	type attrOrChild struct {
		Attr  string `xml:",attr"`
		Child string `xml:",chardata"`
	}
	var x struct {
		XMLName xml.Name
		Info    struct {
			Provider struct {
				Name      string `xml:"ProviderName,attr"`
				Version   string `xml:"Version,attr"`
				Company   string `xml:"Company,attr"`
				NameEl    string `xml:"ProviderName"`
				VersionEl string `xml:"Version"`
				CompanyEl string `xml:"Company"`
			} `xml:"Provider"`
			Method   string `xml:"SignatureMethod"`
			DateTime string `xml:"SignatureDateTime"`
			Refs     struct {
				CheckMethod   string `xml:"CheckMethod,attr"`
				CheckMethodEl string `xml:"CheckMethod"`
				Ref           []struct {
					FileRef string `xml:"FileRef,attr"`
					Value   string `xml:"CheckValue"`
				} `xml:"Reference"`
			} `xml:"References"`
			Stamps []struct {
				ID       string `xml:"ID,attr"`
				PageRef  string `xml:"PageRef,attr"`
				Boundary string `xml:"Boundary,attr"`
				Clip     string `xml:"Clip,attr"`
			} `xml:"StampAnnot"`
			Seal string `xml:"Seal>BaseLoc"`
		} `xml:"SignedInfo"`
		Value string `xml:"SignedValue"`
	}
	if err := xml.Unmarshal(sig.XML, &x); err != nil {
		return fmt.Errorf("%s: %w", sig.Loc, err)
	}
	if x.XMLName.Local != "Signature" {
		return fmt.Errorf("%s: root element is <%s>, not <Signature>", sig.Loc, x.XMLName.Local)
	}
	in := &sig.Info
	pv := x.Info.Provider
	in.ProviderName, in.ProviderVersion, in.Company = first(pv.Name, pv.NameEl), first(pv.Version, pv.VersionEl), first(pv.Company, pv.CompanyEl)
	in.SignatureMethod = strings.TrimSpace(x.Info.Method)
	in.DateTime = strings.TrimSpace(x.Info.DateTime)
	in.CheckMethod = strings.TrimSpace(first(x.Info.Refs.CheckMethod, x.Info.Refs.CheckMethodEl))
	if len(x.Info.Refs.Ref) > l.MaxReferences {
		return &LimitError{Limit: "MaxReferences", Value: int64(len(x.Info.Refs.Ref)), Max: int64(l.MaxReferences), Entry: sig.Loc}
	}
	for _, r := range x.Info.Refs.Ref {
		ref := Reference{FileRef: r.FileRef}
		if loc, err := Resolve(sig.Loc, r.FileRef); err != nil {
			ref.Err = err
		} else {
			ref.Loc = loc
		}
		v, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(r.Value), ""))
		if err != nil && ref.Err == nil {
			ref.Err = fmt.Errorf("CheckValue is not base64: %v", err)
		}
		ref.Value = v
		in.References = append(in.References, ref)
	}
	for _, s := range x.Info.Stamps {
		st := StampAnnot{ID: s.ID, PageRef: strings.TrimSpace(s.PageRef)}
		st.Boundary, _ = ParseBox(s.Boundary)
		st.Clip, st.HasClip = ParseBox(s.Clip)
		in.StampAnnots = append(in.StampAnnots, st)
	}
	if strings.TrimSpace(x.Info.Seal) != "" {
		loc, err := Resolve(sig.Loc, x.Info.Seal)
		if err != nil {
			return fmt.Errorf("Seal BaseLoc: %w", err)
		}
		in.SealLoc = loc
	}
	if strings.TrimSpace(x.Value) == "" {
		return fmt.Errorf("%s: no <SignedValue>", sig.Loc)
	}
	loc, err := Resolve(sig.Loc, x.Value)
	if err != nil {
		return fmt.Errorf("SignedValue: %w", err)
	}
	sig.ValueLoc = loc
	return nil
}

func readEntries(b []byte) *Entries {
	e := &Entries{Loc: "OFDEntries.xml", XML: b}
	var x struct {
		ValueLoc string `xml:"SignedValueLoc"`
		Files    []struct {
			Loc string `xml:"FileLoc,attr"`
		} `xml:"FileList>File"`
	}
	if err := xml.Unmarshal(b, &x); err != nil {
		e.Err = fmt.Errorf("OFDEntries.xml: %w", err)
		return e
	}
	if v, err := Resolve(e.Loc, x.ValueLoc); err == nil {
		e.ValueLoc = v
	} else {
		e.Err = fmt.Errorf("SignedValueLoc: %w", err)
	}
	for _, f := range x.Files {
		if v, err := Resolve(e.Loc, f.Loc); err == nil {
			e.Files = append(e.Files, v)
		} else if e.Err == nil {
			e.Err = fmt.Errorf("FileLoc: %w", err)
		}
	}
	sort.Strings(e.Files)
	return e
}

func first(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return strings.TrimSpace(a)
	}
	return strings.TrimSpace(b)
}

// Signed reports whether the package declares any signature (a Signatures entry in a DocBody, or
// the integrity list).
func (p *Package) Signed() bool {
	for _, d := range p.Documents {
		if d.SignaturesLoc != "" {
			return true
		}
	}
	return p.Entries != nil
}
