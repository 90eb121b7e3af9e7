// Package render draws PDF pages to images with PDFium compiled to WebAssembly (go-pdfium's
// webassembly mode on wazero): pure Go, no cgo, the same pixels on Linux, Windows and macOS.
//
// An Engine is started once, in the background (New returns at once; Ready waits). wazero's
// compilation cache lives in the user's cache folder, so only the very first start compiles
// PDFium (about 2 s); later starts take well under 100 ms. PDFium sees an in-memory file system
// that holds only SealDesk's embedded CJK fonts, at /usr/share/fonts/sealdesk: a PDF whose Chinese
// fonts are not embedded still renders with Chinese glyphs on a machine without Chinese fonts, and
// PDFium can read no other file of the machine.
//
// A Document is opened from bytes (PDF, or a JPEG/PNG image that becomes a one-page PDF through
// core/pdf's ImageDocument, the page a sent contract gets too). Its pages render at a DPI; images are cached by (document, page, DPI)
// in an LRU bounded in bytes, shared by all documents of the engine. RenderRegion draws only a
// rectangle of a page's pixels, placed as in the whole page's image (core/verify's cover check
// renders only around what changed). Every method is safe for
// concurrent use and may block: call them from worker goroutines, never from a UI thread.
//
// # Refusals
//
//   - files larger than Options.MaxFileBytes (default 200 MB), and images larger than
//     MaxImagePixels (default 60 megapixels), with ErrTooLarge;
//   - encrypted PDFs that need a password, with ErrEncrypted;
//   - anything that is not a PDF, JPEG or PNG, with ErrUnsupported; damaged PDFs with ErrCorrupt;
//   - renders above MaxRenderPixels (default 40 megapixels per page image), with ErrTooLarge.
//
// It does not edit, sign or verify documents; core/pdf, core/sign and core/verify do that.
package render
