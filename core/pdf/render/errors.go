package render

import "errors"

// Sentinel errors; test with errors.Is. The UI turns them into sentences.
var (
	// ErrTooLarge: the file, the image or the requested render exceeds a limit in Options.
	ErrTooLarge = errors.New("too large")
	// ErrEncrypted: the PDF needs a password.
	ErrEncrypted = errors.New("pdf is encrypted")
	// ErrUnsupported: not a PDF, JPEG or PNG.
	ErrUnsupported = errors.New("unsupported file type")
	// ErrCorrupt: PDFium or the image decoder could not read the file.
	ErrCorrupt = errors.New("damaged or invalid file")
	// ErrPageRange: a page index outside the document.
	ErrPageRange = errors.New("page out of range")
	// ErrClosed: the engine or document was closed.
	ErrClosed = errors.New("closed")
	// ErrKilled: a render outlived its context; the document's PDFium instance was stopped.
	ErrKilled = errors.New("rendering stopped")
)
