// Package seal draws the images a signer stamps: official seals designed to the national
// geometry, clean-ups of photographed seals and signatures, and hand-drawn signatures.
//
// # Designed seals
//
// A Spec (style, preset size, enterprise name, title, code, star) is laid out by Layout into a
// Drawing: filled vector paths in millimetres. Drawing.Rasterize turns it into a transparent,
// anti-aliased *image.NRGBA exactly mm × DPI / 25.4 pixels wide (Render does both), and
// Drawing.PDFContent into a PDF content stream for a signature appearance. The same Spec always
// gives the same pixels. Round seals use the Song face, ovals the FangSong face (or the face
// assets has standing in for it), digits and Latin letters an Arial-compatible face.
//
// Geometry follows SPEC §4: round Ø38/40/42/45 with per-size border, star, text height and gap,
// the name on a 250–270° arc centred on the top with each glyph turned to the tangent; ovals
// 40×30 and 45×30 with glyphs spaced by equal arc length (the 发票专用章 with its name on a
// 210–260° arc, the taxpayer number across the middle and 发票专用章 below); square 22 and 25
// finance seals in two or three columns.
//
// # What it refuses
//
// Layout refuses (errors wrapping ErrInvalidSpec): unknown styles and sizes other than the
// presets, an empty name, a missing required title or taxpayer number, control or invisible
// characters, characters the font lacks (MissingGlyphsError names them all) and text that does
// not fit legibly even with glyphs compressed to 0.7 of their width (TooLongError says the most
// that size holds). A credit code whose GB 32100 check character is wrong, or a legacy-length
// code, is drawn with a Warning, because some early legal codes fail the check. It draws no
// national or party emblem: the centre is a five-pointed star or empty.
//
// # Photos and signatures
//
// Clean isolates the red ink of a photographed seal, or the dark ink of a signature, on a
// transparent background cropped to the ink; it refuses images under 8×8 or over
// MaxCleanPixels and reports ErrNoInk when there is nothing to keep. Signature holds
// hand-drawn strokes (points with time and optional pressure) and renders them smoothed at any
// DPI; ParseSignature refuses JSON over MaxSignatureJSON, more than MaxStrokes strokes or
// MaxStrokePoints points, points off the pad or out of time order (ErrBadSignature).
package seal
