package render

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing/fstest"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"sealdesk/assets"
)

// Options configure an Engine; nil or zero fields mean the defaults.
type Options struct {
	// CacheDir is wazero's on-disk compilation cache. "" means <user cache dir>/sealdesk/wazero;
	// "-" means no cache (every start compiles PDFium, ~2 s).
	CacheDir string
	// MaxFileBytes limits the size of a document (default 200 MB).
	MaxFileBytes int64
	// MaxImagePixels limits a JPEG or PNG opened as a document (default 60 megapixels).
	MaxImagePixels int64
	// MaxRenderPixels limits one rendered page image (default 40 megapixels, e.g. A4 at 600 DPI).
	MaxRenderPixels int64
	// ImageCacheBytes bounds the page image cache shared by all documents (default 256 MB).
	ImageCacheBytes int64
	// MaxDocuments is how many documents can be open at once, one PDFium instance each (default 8).
	MaxDocuments int
	// MaxMemoryBytes caps the WebAssembly memory of one PDFium instance (default 1 GiB). PDFium
	// has no budget of its own: a small hostile appearance (a form XObject drawing itself, a
	// flate bomb) made it grow until the process died with "fatal error: out of memory". Over
	// the cap PDFium's allocation fails and the call returns an error instead.
	MaxMemoryBytes int64
	// Fonts are the faces PDFium may substitute for fonts a PDF does not embed. Nil means
	// SealDesk's CJK faces from package assets.
	Fonts []Font
}

// Font is a font file made visible to PDFium.
type Font struct {
	Name string // file name, e.g. NotoSansSC-Regular.otf
	Data []byte
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.MaxFileBytes <= 0 {
		r.MaxFileBytes = 200 << 20
	}
	if r.MaxImagePixels <= 0 {
		r.MaxImagePixels = 60_000_000
	}
	if r.MaxRenderPixels <= 0 {
		r.MaxRenderPixels = 40_000_000
	}
	if r.ImageCacheBytes <= 0 {
		r.ImageCacheBytes = 256 << 20
	}
	if r.MaxMemoryBytes <= 0 {
		r.MaxMemoryBytes = 1 << 30
	}
	if r.MaxDocuments <= 0 {
		r.MaxDocuments = 8
	}
	if r.Fonts == nil {
		r.Fonts = []Font{
			{"NotoSansSC-Regular.otf", assets.SansRegular},
			{"NotoSansSC-Bold.otf", assets.SansBold},
			{"NotoSerifSC-Regular.otf", assets.FangSong},
			{"NotoSerifSC-Bold.otf", assets.SerifBold},
		}
	}
	return r
}

// FontDir is where the fonts appear inside PDFium's file system (one of PDFium's default
// font folders on Linux-like platforms, which its WebAssembly build is).
const FontDir = "usr/share/fonts/sealdesk"

// Engine is a started PDFium. It is safe for concurrent use.
type Engine struct {
	opts  Options
	ready chan struct{}
	cache *imageCache

	// set once before ready is closed
	pool     pdfium.Pool
	initErr  error
	initTime time.Duration

	mu     sync.Mutex
	closed bool
	nextID uint64
}

// New starts PDFium in the background and returns at once; Ready waits for it. Opening a
// document also waits.
func New(opts *Options) *Engine {
	e := &Engine{opts: opts.withDefaults(), ready: make(chan struct{})}
	e.cache = newImageCache(e.opts.ImageCacheBytes)
	go e.start()
	return e
}

func (e *Engine) start() {
	defer close(e.ready)
	t0 := time.Now()
	// The memory cap (64 KiB pages) bounds one instance; closing on context done lets a render
	// that outlives its caller's deadline be stopped (Document.render kills its instance).
	pages := uint32(min(e.opts.MaxMemoryBytes>>16, 65536))
	rc := wazero.NewRuntimeConfig().WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		WithMemoryLimitPages(max(pages, 256)).WithCloseOnContextDone(true)
	if dir := e.cacheDir(); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err == nil {
			if cache, err := wazero.NewCompilationCacheWithDir(dir); err == nil {
				rc = rc.WithCompilationCache(cache)
			}
		}
		// without a usable cache folder PDFium still works, it only compiles on every start
	}
	fsys := fstest.MapFS{}
	for _, f := range e.opts.Fonts {
		fsys[FontDir+"/"+f.Name] = &fstest.MapFile{Data: f.Data, Mode: 0o444}
	}
	pool, err := webassembly.Init(webassembly.Config{
		MinIdle:       1,
		MaxIdle:       1,
		MaxTotal:      e.opts.MaxDocuments,
		FSConfig:      wazero.NewFSConfig().WithFSMount(fsys, "/"),
		RuntimeConfig: rc,
		Stdout:        io.Discard,
		Stderr:        io.Discard,
	})
	if err != nil {
		e.initErr = fmt.Errorf("failed to start pdfium: %w", err)
		return
	}
	e.pool = pool
	e.initTime = time.Since(t0)
}

func (e *Engine) cacheDir() string {
	switch e.opts.CacheDir {
	case "-":
		return ""
	case "":
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		return filepath.Join(base, "sealdesk", "wazero")
	default:
		return e.opts.CacheDir
	}
}

// Ready waits until PDFium has started and returns the start-up error, if any.
func (e *Engine) Ready(ctx context.Context) error {
	select {
	case <-e.ready:
		return e.initErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Started reports, without waiting, whether PDFium has finished starting (successfully or not).
func (e *Engine) Started() bool {
	select {
	case <-e.ready:
		return true
	default:
		return false
	}
}

// StartupTime is how long PDFium took to start (zero until Ready).
func (e *Engine) StartupTime() time.Duration {
	select {
	case <-e.ready:
		return e.initTime
	default:
		return 0
	}
}

// Close stops PDFium; open documents stop working.
func (e *Engine) Close() error {
	<-e.ready
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	e.cache.clear()
	if e.pool != nil {
		if err := e.pool.Close(); err != nil {
			return fmt.Errorf("failed to stop pdfium: %w", err)
		}
	}
	return nil
}
