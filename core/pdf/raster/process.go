package raster

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os/exec"
	"sync"
	"time"
)

// # The protocol
//
// Process and Serve exchange frames over the child's standard input and output, one request
// and its response at a time: a frame is a JSON header (little-endian uint32 length first) and
// a payload (uint64 length first). The PDF is never sent whole: while the child answers a
// request, PDFium's reads of the document become "read" responses that the parent answers with
// "data" frames from the caller's reader, as PDFium reads in process (the xref and the objects
// of the page drawn: sending a 45 MB file signed 50 times once per signed revision took 8 s
// and 450 MB). A rendered image's payload is its pixels; a text's its packed characters.

// maxHeader bounds a frame's JSON header (text of a page with many characters fits);
// maxPayload a PDF or an image (render's limits are 200 MB and 40 megapixels of 4 bytes).
const (
	maxHeader  = 256 << 20
	maxPayload = 1 << 30
)

type request struct {
	Op      string           `json:"op"` // open, replace, info, render, text, close; data
	Doc     int              `json:"doc,omitempty"`
	Size    int64            `json:"size,omitempty"` // open, replace: the PDF's length
	Err     string           `json:"err,omitempty"`  // data: the read failed
	Name    string           `json:"name,omitempty"`
	Page    int              `json:"page,omitempty"`
	DPI     int              `json:"dpi,omitempty"`
	Content bool             `json:"content,omitempty"`
	Region  *image.Rectangle `json:"region,omitempty"`
	Max     int              `json:"max,omitempty"`
}

type response struct {
	Err    string          `json:"err,omitempty"`
	Kind   string          `json:"kind,omitempty"` // "too-many-chars": the error is ErrTooManyChars
	Doc    int             `json:"doc,omitempty"`
	Info   *PageInfo       `json:"info,omitempty"`
	Bounds image.Rectangle `json:"bounds"`
	Stride int             `json:"stride,omitempty"`
	Chars  int             `json:"chars,omitempty"` // text: how many TextChars the payload packs
	Read   *[2]int64       `json:"read,omitempty"`  // not the response yet: read n bytes at off
}

// maxRead bounds one read the child asks for.
const maxRead = 64 << 20

// remoteReader is, in the child, the document's bytes: a read asks the parent for the
// readBlock-aligned blocks it touches, and the last blocks read are kept (PDFium reads a few KB
// at a time, mostly near its previous read: one round trip per read made the 45 MB file signed
// 50 times take 1.1 s more CPU).
type remoteReader struct {
	r      io.Reader
	w      *bufio.Writer
	size   int64
	blocks [readBlocks]struct {
		off  int64 // -1: empty
		data []byte
		used int
	}
	clock int
}

const (
	readBlock  = 256 << 10
	readBlocks = 8
)

func newRemoteReader(r io.Reader, w *bufio.Writer, size int64) *remoteReader {
	rr := &remoteReader{r: r, w: w, size: size}
	for i := range rr.blocks {
		rr.blocks[i].off = -1
	}
	return rr
}

// block returns the block that starts at off (a multiple of readBlock).
func (rr *remoteReader) block(off int64) ([]byte, error) {
	rr.clock++
	lru := 0
	for i := range rr.blocks {
		b := &rr.blocks[i]
		if b.off == off {
			b.used = rr.clock
			return b.data, nil
		}
		if b.used < rr.blocks[lru].used {
			lru = i
		}
	}
	data, err := rr.fetch(off, min(readBlock, rr.size-off))
	if err != nil {
		return nil, err
	}
	b := &rr.blocks[lru]
	b.off, b.data, b.used = off, data, rr.clock
	return data, nil
}

func (rr *remoteReader) fetch(off, n int64) ([]byte, error) {
	if err := writeFrame(rr.w, &response{Read: &[2]int64{off, n}}, nil); err != nil {
		return nil, err
	}
	if err := rr.w.Flush(); err != nil {
		return nil, err
	}
	var req request
	data, err := readFrame(rr.r, &req)
	if err != nil {
		return nil, err
	}
	if req.Op != "data" {
		return nil, fmt.Errorf("the parent sent %q where data was expected", req.Op)
	}
	if req.Err != "" {
		return nil, errors.New(req.Err)
	}
	if int64(len(data)) != n {
		return nil, fmt.Errorf("the parent sent %d bytes of the %d at %d", len(data), n, off)
	}
	return data, nil
}

func (rr *remoteReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	for n < len(p) && off < rr.size {
		start := off - off%readBlock
		data, err := rr.block(start)
		if err != nil {
			return n, err
		}
		k := copy(p[n:], data[off-start:])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// charSize is a TextChar in a payload: the rune (int32) and five float64 (the box, the angle),
// little-endian; JSON took 7 ms for the 6000 characters of a page of text.
const charSize = 4 + 5*8

func packChars(chars []TextChar) []byte {
	b := make([]byte, 0, len(chars)*charSize)
	for _, c := range chars {
		b = binary.LittleEndian.AppendUint32(b, uint32(c.Rune))
		for _, f := range [5]float64{c.Box.LLX, c.Box.LLY, c.Box.URX, c.Box.URY, c.Angle} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
		}
	}
	return b
}

func unpackChars(b []byte, n int) ([]TextChar, error) {
	if n < 0 || len(b) != n*charSize {
		return nil, fmt.Errorf("the page renderer sent %d bytes for %d characters", len(b), n)
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]TextChar, n)
	for i := range out {
		c := b[i*charSize:]
		f := func(k int) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(c[4+8*k:])) }
		out[i] = TextChar{Rune: rune(int32(binary.LittleEndian.Uint32(c))), Box: Rect{f(0), f(1), f(2), f(3)}, Angle: f(4)}
	}
	return out, nil
}

func writeFrame(w io.Writer, hdr any, payload []byte) error {
	h, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	var l [12]byte
	binary.LittleEndian.PutUint32(l[:4], uint32(len(h)))
	binary.LittleEndian.PutUint64(l[4:], uint64(len(payload)))
	// header length, header, payload length, payload
	for _, b := range [][]byte{l[:4], h, l[4:], payload} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func readFrame(r io.Reader, hdr any) ([]byte, error) {
	var n [8]byte
	if _, err := io.ReadFull(r, n[:4]); err != nil {
		return nil, err
	}
	hl := binary.LittleEndian.Uint32(n[:4])
	if hl > maxHeader {
		return nil, fmt.Errorf("frame header of %d bytes, the limit is %d", hl, maxHeader)
	}
	h := make([]byte, hl)
	if _, err := io.ReadFull(r, h); err != nil {
		return nil, unexpected(err)
	}
	if err := json.Unmarshal(h, hdr); err != nil {
		return nil, fmt.Errorf("failed to read a frame header: %w", err)
	}
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, unexpected(err)
	}
	pl := binary.LittleEndian.Uint64(n[:])
	if pl > maxPayload {
		return nil, fmt.Errorf("frame payload of %d bytes, the limit is %d", pl, maxPayload)
	}
	// The peer is our own program (the parent or its child): its length is allocated at once.
	buf := make([]byte, pl)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, unexpected(err)
	}
	return buf, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// remoteError is an error the child returned: its text, and ErrTooManyChars when it was one.
type remoteError struct{ msg, kind string }

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Is(target error) bool {
	return e.kind == "too-many-chars" && target == ErrTooManyChars
}

// Process is a Renderer in a child process: Path (with Args) started on the first OpenRaster,
// speaking the protocol Serve answers on its standard input and output. Its documents share
// the child; calls are serialised. A call whose context ends first kills the child (as
// core/pdf/render kills a document's PDFium instance): that call and the child's other
// documents fail from then on, and the next OpenRaster starts a new child. When Path cannot be
// started, OpenRaster says so (and does not try again); a verifier then reports the pages it
// needed to draw as not checked.
type Process struct {
	Path string
	Args []string

	mu       sync.Mutex
	startErr error // Path could not be started
	closed   bool
	cmd      *exec.Cmd // the running child, nil when none
	in       io.WriteCloser
	out      *bufio.Reader
	gen      int   // the child's number: a document belongs to one child
	dead     error // why the last child ended
	nextDoc  int
}

var _ Renderer = (*Process)(nil)

// start starts a child when none is running. p.mu is held.
func (p *Process) start() error {
	switch {
	case p.closed:
		return errors.New("the page renderer was closed")
	case p.startErr != nil:
		return p.startErr
	case p.cmd != nil:
		return nil
	}
	cmd := exec.Command(p.Path, p.Args...)
	in, err := cmd.StdinPipe()
	if err == nil {
		var out io.ReadCloser
		if out, err = cmd.StdoutPipe(); err == nil {
			p.out = bufio.NewReaderSize(out, 1<<16)
			err = cmd.Start()
		}
	}
	if err != nil {
		p.startErr = fmt.Errorf("failed to start the page renderer: %w", err)
		return p.startErr
	}
	p.cmd, p.in = cmd, in
	p.gen++
	return nil
}

// call sends req to child gen and reads the response, answering the child's reads of the
// document from src. p.mu is held.
func (p *Process) call(ctx context.Context, gen int, req *request, src io.ReaderAt) (*response, []byte, error) {
	if p.cmd == nil || gen != p.gen {
		if p.dead == nil {
			p.dead = errors.New("the page renderer was closed")
		}
		return nil, nil, p.dead
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	type result struct {
		resp response
		pix  []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.err = writeFrame(p.in, req, nil)
		for r.err == nil {
			r.resp = response{}
			if r.pix, r.err = readFrame(p.out, &r.resp); r.err != nil || r.resp.Read == nil {
				break
			}
			r.err = serveRead(p.in, src, r.resp.Read[0], r.resp.Read[1])
		}
		done <- r
	}()
	select {
	case r := <-done:
		if r.err != nil {
			p.stop(fmt.Errorf("the page renderer failed: %w", r.err))
			return nil, nil, p.dead
		}
		if r.resp.Err != "" {
			return nil, nil, &remoteError{r.resp.Err, r.resp.Kind}
		}
		return &r.resp, r.pix, nil
	case <-ctx.Done():
		p.stop(fmt.Errorf("rendering stopped: %w", ctx.Err()))
		<-done // the killed child's pipes close
		return nil, nil, p.dead
	}
}

// serveRead answers the child's read of n bytes at off with a data frame.
func serveRead(w io.Writer, src io.ReaderAt, off, n int64) error {
	if src == nil || n < 0 || n > maxRead {
		return fmt.Errorf("the page renderer asked to read %d bytes at %d", n, off)
	}
	buf := make([]byte, n)
	k, err := src.ReadAt(buf, off)
	reply := request{Op: "data"}
	if err != nil && err != io.EOF {
		reply.Err = err.Error()
		k = 0
	}
	return writeFrame(w, &reply, buf[:k])
}

// stop kills the child, which ended for why. p.mu is held.
func (p *Process) stop(why error) {
	if p.cmd != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		p.cmd = nil
	}
	p.dead = why
}

// Close ends the child: its input is closed and it exits (killed after 5 seconds). Later calls
// fail.
func (p *Process) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.cmd == nil {
		return nil
	}
	p.in.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		err = <-done
	}
	p.cmd = nil
	p.dead = errors.New("the page renderer was closed")
	return err
}

// OpenRaster sends the PDF to the child (started if none is running), which opens it.
func (p *Process) OpenRaster(ctx context.Context, name string, r io.ReaderAt, size int64) (Document, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.start(); err != nil {
		return nil, err
	}
	p.nextDoc++
	id := p.nextDoc
	if _, _, err := p.call(ctx, p.gen, &request{Op: "open", Doc: id, Name: name, Size: size}, r); err != nil {
		return nil, err
	}
	return &processDoc{p: p, id: id, gen: p.gen, r: r}, nil
}

type processDoc struct {
	p   *Process
	id  int
	gen int         // the child that holds it
	r   io.ReaderAt // the PDF the child reads
}

var _ Document = (*processDoc)(nil)

func (d *processDoc) call(ctx context.Context, req *request) (*response, []byte, error) {
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	req.Doc = d.id
	return d.p.call(ctx, d.gen, req, d.r)
}

func (d *processDoc) PageInfo(i int) (PageInfo, error) {
	resp, _, err := d.call(context.Background(), &request{Op: "info", Page: i})
	if err != nil {
		return PageInfo{}, err
	}
	if resp.Info == nil {
		return PageInfo{}, errors.New("the page renderer sent no page information")
	}
	return *resp.Info, nil
}

func (d *processDoc) render(ctx context.Context, req *request) (*image.RGBA, error) {
	req.Op = "render"
	resp, pix, err := d.call(ctx, req)
	if err != nil {
		return nil, err
	}
	b := resp.Bounds
	if b.Dx() < 0 || b.Dy() < 0 || resp.Stride < 4*b.Dx() || (b.Dy() > 0 && len(pix) < resp.Stride*(b.Dy()-1)+4*b.Dx()) {
		return nil, fmt.Errorf("the page renderer sent an image of %d bytes for %v (stride %d)", len(pix), b, resp.Stride)
	}
	return &image.RGBA{Pix: pix, Stride: resp.Stride, Rect: b}, nil
}

func (d *processDoc) Render(ctx context.Context, i, dpi int) (*image.RGBA, error) {
	return d.render(ctx, &request{Page: i, DPI: dpi})
}

func (d *processDoc) RenderContent(ctx context.Context, i, dpi int) (*image.RGBA, error) {
	return d.render(ctx, &request{Page: i, DPI: dpi, Content: true})
}

func (d *processDoc) RenderRegion(ctx context.Context, i, dpi int, r image.Rectangle, contentOnly bool) (*image.RGBA, error) {
	return d.render(ctx, &request{Page: i, DPI: dpi, Content: contentOnly, Region: &r})
}

func (d *processDoc) Text(ctx context.Context, i, maxChars int) ([]TextChar, error) {
	resp, b, err := d.call(ctx, &request{Op: "text", Page: i, Max: maxChars})
	if err != nil {
		return nil, err
	}
	return unpackChars(b, resp.Chars)
}

func (d *processDoc) ReplacePDF(ctx context.Context, name string, r io.ReaderAt, size int64) error {
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	// the child reads the new PDF from the moment it opens it
	old := d.r
	d.r = r
	_, _, err := d.p.call(ctx, d.gen, &request{Op: "replace", Doc: d.id, Name: name, Size: size}, r)
	if err != nil {
		d.r = old
	}
	return err
}

// Close closes the document in its child; nothing is left to close when that child has ended.
func (d *processDoc) Close() error {
	d.p.mu.Lock()
	gone := d.p.cmd == nil || d.gen != d.p.gen
	d.p.mu.Unlock()
	if gone {
		return nil
	}
	_, _, err := d.call(context.Background(), &request{Op: "close"})
	return err
}

// Serve answers Process's requests read from r with rend, writing the responses to w, until r
// ends (nil) or a frame cannot be read or written. The documents still open are closed.
func Serve(r io.Reader, w io.Writer, rend Renderer) error {
	br := bufio.NewReaderSize(r, 1<<16)
	bw := bufio.NewWriterSize(w, 1<<16)
	docs := map[int]Document{}
	defer func() {
		for _, d := range docs {
			d.Close()
		}
	}()
	ctx := context.Background()
	for {
		var req request
		_, err := readFrame(br, &req)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var resp response
		var pix []byte
		d := docs[req.Doc]
		if d == nil && req.Op != "open" {
			err = fmt.Errorf("no open document %d", req.Doc)
		} else {
			switch req.Op {
			case "open":
				if docs[req.Doc] != nil {
					err = fmt.Errorf("document %d is open", req.Doc)
					break
				}
				if d, err = rend.OpenRaster(ctx, req.Name, newRemoteReader(br, bw, req.Size), req.Size); err == nil {
					docs[req.Doc] = d
				}
			case "replace":
				if err = d.ReplacePDF(ctx, req.Name, newRemoteReader(br, bw, req.Size), req.Size); err != nil {
					delete(docs, req.Doc) // closed on error
				}
			case "info":
				var info PageInfo
				if info, err = d.PageInfo(req.Page); err == nil {
					resp.Info = &info
				}
			case "render":
				var img *image.RGBA
				switch {
				case req.Region != nil:
					img, err = d.RenderRegion(ctx, req.Page, req.DPI, *req.Region, req.Content)
				case req.Content:
					img, err = d.RenderContent(ctx, req.Page, req.DPI)
				default:
					img, err = d.Render(ctx, req.Page, req.DPI)
				}
				if err == nil {
					resp.Bounds, resp.Stride, pix = img.Rect, img.Stride, img.Pix
				}
			case "text":
				var chars []TextChar
				if chars, err = d.Text(ctx, req.Page, req.Max); err == nil {
					resp.Chars, pix = len(chars), packChars(chars)
				}
			case "close":
				err = d.Close()
				delete(docs, req.Doc)
			default:
				err = fmt.Errorf("unknown request %q", req.Op)
			}
		}
		if err != nil {
			resp = response{Err: err.Error()}
			if errors.Is(err, ErrTooManyChars) {
				resp.Kind = "too-many-chars"
			}
			pix = nil
		}
		if err := writeFrame(bw, &resp, pix); err != nil {
			var ue *json.UnsupportedValueError
			if !errors.As(err, &ue) {
				return err
			}
			// A NaN or infinite number (a hostile page's box) has no JSON: an error instead.
			if err := writeFrame(bw, &response{Err: fmt.Sprintf("the page renderer cannot send %s of page %d: %v", req.Op, req.Page+1, err)}, nil); err != nil {
				return err
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
}
