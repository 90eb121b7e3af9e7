// Package sign makes PAdES signatures on PDF documents as incremental updates: it adds empty
// signature fields, fills them (or new ones) with visible or invisible signatures, certifies
// documents (DocMDP), adds signature timestamps, long-term validation data (DSS/VRI) and
// document timestamps, and cuts a seal across page edges (骑缝章).
//
// # How a signature is written
//
// SignFile opens the input with core/pdf (refusing encrypted files), builds one incremental
// update (the signature dictionary with fixed-width /ByteRange and /Contents placeholders, the
// field and widget, appearance streams, a new AcroForm/page/catalog version where needed — all
// other objects untouched), and computes the largest CMS the signature can need before writing
// anything. It then copies the input into a temporary file in the output's folder while hashing
// it, appends the laid-out update, hashes the update around /Contents, calls the crypto.Signer
// exactly once, writes the CMS into /Contents, fsyncs and renames. There is no second attempt
// and no search for placeholder bytes: offsets come from the writer's layout. On any error the
// temporary file is removed, no output appears and the input is untouched. A kill can leave a
// hidden ".NAME.*.partial" temporary file behind, never a partial output.
//
// # Levels
//
// B-B: CMS with signing-certificate-v2 (SubFilter ETSI.CAdES.detached), claimed time in /M.
// B-T: plus a signature timestamp from a tsa.Timestamper. B-LT: plus a following revision with
// a DSS (certificates, OCSP responses, CRLs, VRI per signature). B-LTA: plus a document
// timestamp (SubFilter ETSI.RFC3161). Upgrade adds B-LT/B-LTA to an already signed file.
//
// # Appearances and geometry
//
// Rectangles are given in the page's visible coordinate system (VisibleRect: points, origin at
// the lower-left corner of the page as displayed, inside the CropBox, after /Rotate);
// VisibleToUser is the one mapping to PDF user space. Appearance forms carry a /Matrix that
// turns their content so that it shows upright on rotated pages. Images: PNG in any colour
// model (palettes, transparency → SMask, 16-bit) re-encoded with Flate, JPEG passed through as
// DCTDecode. An optional caption (name, date) is drawn under the image with the embedded CJK
// sans face, rasterised at 288 dpi (not selectable text: no font program is embedded).
//
// A cross-page seal (骑缝章) is one signature field with one widget per page, each showing its
// strip of the seal at the right edge. Each widget repeats the field's /V because poppler
// (pdfsig, Evince, Okular) reads /V per widget; it then lists the signature once per strip.
// An existing empty field (a placed 骑缝章 box) can carry the seal too: its widget moves to the
// right edge of its page with that page's strip, and the other strips are new widgets of the same
// field, in the same revision. After a certification that would add annotations, so it is
// refused (ErrCertifiedNewField).
//
// # What it refuses
//
//   - Encrypted input (pdf.ErrEncrypted; 加密文档无法签署，请先解除密码保护), files with bytes
//     after the last %%EOF or a rebuilt cross-reference table (pdf.ErrUnsafeAppend).
//   - Signing a document certified with DocMDP P=1 (ErrCertifiedNoChanges), certifying an
//     already signed document (ErrAlreadySigned), a new visible signature field after a P=2/3
//     certification (ErrCertifiedNewField: sign the pre-placed field instead), filling a field
//     that is not an empty signature field (ErrFieldNotEmpty), or creating a field whose name
//     exists (ErrFieldExists).
//   - Replacing an existing output that holds signatures with a result that lacks any of them
//     (ErrDropsSignatures, a *DropsSignaturesError): checked just before the rename by every
//     writer here, so signing the unsigned original over a signed copy cannot erase the copy's
//     signatures. Building on the signed file (out = in, or a new name) keeps them all and is
//     allowed. CheckReplace runs the same check ahead of time for a UI.
//   - Nothing is lost when the operating system refuses to replace the output (Windows, while a
//     PDF reader holds the file open): the finished result is moved beside it instead
//     (合同.pdf → 合同-已签.pdf) and the writer returns a *ReplaceRefusedError naming both files.
//   - Images over MaxImageBytes or MaxImagePixels, formats other than PNG and JPEG.
//   - B-LT when the signer's certificate is revoked or has no reachable revocation data.
package sign
