// Package widgets holds SealDesk's custom Fyne widgets — PageView (a document's pages with zoom,
// thumbnails and the current page) — and the pure geometry that maps between widget positions,
// rendered page image pixels and PDF user-space points.
//
// Widgets here know nothing of PDF files or PDFium: they draw a Document given to them. Rendering
// runs on worker goroutines; results come back to the UI goroutine with fyne.Do, and stale
// results (a page scrolled away, an older zoom) are dropped.
package widgets
