// Package textpdf writes simple text documents as PDF — lines, wrapped paragraphs, table rows and
// rules on A4 pages — with a CJK OpenType font embedded as a CID-keyed font (subset to the glyphs
// drawn) and a ToUnicode map, so Chinese text displays and copies in any viewer. The verification
// report (core/verify) and the billing receipt (core/billing) are written with it.
//
// It refuses nothing and draws no images: it is a report writer, not a layout engine.
package textpdf
