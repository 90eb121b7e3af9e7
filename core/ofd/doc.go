// Package ofd reads OFD packages (GB/T 33190-2016): the ZIP container, the documents, their pages
// and the signatures each document declares, for verification (core/verify) and for drawing a page
// (core/ofd/render). It keeps the exact stored bytes of every part, because every OFD signature is
// over stored bytes (a reference's file, Signature.xml, the SES structures), never over a
// re-serialised XML.
//
// # Paths
//
// A location (ST_Loc) that starts with "/" is from the package root; any other is relative to the
// folder of the XML file that names it. Locations are cleaned; one that leaves the package (a
// "../" too many) is an error. ZIP entry names are checked before anything is read: absolute
// names, backslashes, "." or ".." elements, NUL bytes and two entries with the same name are
// refused (ErrUnsafePath, ErrDuplicateEntry) — two readers could pick different entries of the
// same name, so the package is refused rather than resolved our way.
//
// # Budgets
//
// Every number in a ZIP is the author's to choose. Open reads under one Limits value and a
// context: entries in the archive, uncompressed bytes per entry and in total, the compression
// ratio of an entry (a deflate bomb), and the documents, pages and signatures walked. Sizes and
// ratios are checked on the headers' declared sizes before anything is inflated — archive/zip
// refuses an entry whose data is longer than its header says (or fails its CRC), so the headers
// cannot lie — and on the bytes read while inflating. Entries over 1 MiB are not held: Part and
// Open read them from the archive when asked (a digest is computed as they are inflated), so
// memory does not grow with the entries a package carries (red team s10 DoS 4). Exceeding a
// limit returns a *LimitError naming it (it wraps ErrLimit). A cancelled context stops the work
// and returns the context's error.
//
// # What it refuses to do
//
//   - Decide anything about signatures: it only locates and parses their descriptions
//     (Signature.xml); core/verify checks them.
//   - Resolve an ambiguity silently: an XML part that does not parse, a signature whose
//     Signature.xml is missing, a reference whose CheckValue is not base64 are recorded on the
//     Signature (Signature.Err, Reference.Err), so the verifier reports them.
//   - Trust element order or prefixes: elements are matched by local name, as producers differ
//     (ofdrw 2.4.0 writes SignedValue before SignedInfo, iOFD writes Provider as child elements).
package ofd
