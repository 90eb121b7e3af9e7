// Package verify validates the signatures of a PDF or OFD file and reports, per signature, whether its
// bytes are intact, what changed after it, who signed, whether the signer chains to a trusted
// root, when it was signed (by a verified timestamp or only by the signer's clock) and whether the
// certificate was revoked. The report's JSON form is the `sealctl verify --json` contract of
// SPEC §7.
//
// # What it checks
//
//   - Every signature dictionary of every revision, including ones no field points to, and every
//     document timestamp (SubFilter ETSI.RFC3161).
//   - The ByteRange: four numbers, starting at 0, inside the file, a gap that is exactly the <hex>
//     /Contents token of that very dictionary (compared by byte offsets from core/pdf's lexer, not
//     by lengths), ending at the end of a revision, not overlapping another signature's gap.
//   - The CMS, with our own code: digest over the ByteRange, messageDigest, the signature over the
//     DER of the signed attributes, the signature algorithm against the key and the digest it
//     declares, detached signatures without encapsulated content, signer by issuer+serial or by
//     subject key identifier, every SignerInfo, signing-certificate(-v2) against the signer
//     certificate; adbe.pkcs7.sha1 and adbe.x509.rsa_sha1 too. RSA PKCS#1 v1.5 and PSS, ECDSA
//     (DER and plain r||s) on the NIST curves and Brainpool P256r1/P384r1/P512r1, Ed25519,
//     Ed448 (cloudflare/circl) with SHAKE256, SM2 with SM3 (GB/T 32918/32905, GM/T 0010 content
//     types; DER, raw r||s and trimmed-BIT-STRING signature values); SHA-1, SHA-2, SHA-3. SM2
//     and SM3 are github.com/emmansun/gmsm's (sm2, sm3); SM2 certificates and their paths are
//     read and built with its smx509 (a fork of crypto/x509), and an SM2 root is a trust
//     anchor like any other (TrustStore.AddPEM, ParseCertificates).
//   - RSA PKCS#1 v1.5 is checked by building the one encoding EMSA-PKCS1-v1_5 allows (DigestInfo
//     with NULL or absent parameters) and comparing bytes, never by parsing the decrypted value
//     (NULL with content, extra AlgorithmIdentifier elements, BER lengths and trailing bytes are
//     the shape of signature-forgery CVEs).
//   - Brainpool: no maintained Go module implements it (github.com/ebfe/brainpool is not on the
//     module proxy), so brainpool.go takes RFC 5639's parameters (compared with OpenSSL's in a
//     test) and computes with the standard library's generic crypto/elliptic.CurveParams over the
//     isomorphic a = -3 curve; crypto/ecdsa verifies through that elliptic.Curve.
//   - Certificates crypto/x509 refuses (negative serial, odd encodings) are read by our own
//     minimal parser: the signature is checked with their key, and the refusal is a trust
//     reason ("cannot be parsed for path validation (…)"), not an integrity failure.
//   - Real producers' quirks that change nothing that is verified are notes, not failures:
//     repeated signed attributes other than content-type, message-digest and signing-time
//     (RFC 5652 forbids only those), several signature timestamps (the first that verifies
//     dates the signature), a duplicate /Type in a document timestamp dictionary, and an RSA
//     signature algorithm whose label names a shorter hash of the same family than the
//     digestAlgorithm the DigestInfo holds (iText).
//   - Encrypted files that open without a password (standard security handler, empty user
//     password: RC4, AES-128, AES-256) are decrypted by core/pdf and verified like any other;
//     one that needs a password is unreadable (sealctl exit 2), never guessed at.
//   - Every later revision, object by object, against what the signature and DocMDP/FieldMDP allow
//     (see changes.go); each change is named in the report.
//   - The signer certificate's binding: the CMS's certificates and the SignerInfo's sid are not
//     signed, so only a signed signing-certificate(-v2) attribute ties the certificate — the
//     identity reported — to the signature. ETSI.CAdES.detached requires it (EN 319 122-1,
//     EN 319 142-1; signing-certificate-v2, or v1 with SHA-1 as EN 319 122-1 allows): without
//     it the signature is untrusted, whatever its path (reasonUnboundCAdES). An
//     adbe.pkcs7.detached or adbe.pkcs7.sha1 signature without it (Adobe's older ones) keeps
//     its verdict, and its reasons say that another certificate for the same key could replace
//     the signer's after signing (reasonUnboundPKCS7; red team s10 WIN 3). One that names
//     another certificate makes the signature invalid. A timestamp token without it (RFC 3161
//     §2.4.1 requires signing-certificate; RFC 5816 allows v2) proves no time, PDF's and OFD's
//     alike (tsaValidate, reasonUnboundTST): a document timestamp is untrusted, a signature
//     timestamp leaves the signer's own time.
//   - Certificate paths to the TrustStore's anchors with key usage and extended key usage, at the
//     time of a verified timestamp when there is one; timestamps (imprint, CMS, TSA chain);
//     revocation from embedded OCSP/CRL (CMS attribute, DSS/VRI) and, only when asked, online.
//   - A CRL's silence on a certificate is a good status only when the CRL is complete for it
//     (crlIncomplete, RFC 5280 §5.2, §6.3.3): a delta CRL, one whose issuing distribution point
//     limits it to CA or user certificates, some reasons, attribute certificates, an indirect
//     CRL's entries or another distribution point, or one with an unknown critical extension is
//     no evidence of it; an entry in any of them still revokes. An OCSP response signed by a
//     delegated responder is evidence of a good status only if the responder's certificate is
//     valid at the response's thisUpdate and producedAt (ocspEvidence).
//   - Extended key usage chains (ekuAllows, the one rule of trust.go): every CA of a path — the
//     intermediates and the anchor — that has the extension must allow the path's purpose, as
//     NSS, OpenSSL and CryptoAPI require. A signer's path: anyExtendedKeyUsage or a usage the
//     signer certificate itself may carry (document signing, Adobe Authentic Documents,
//     Microsoft document signing, e-mail protection, client authentication); a time-stamping
//     authority's: anyExtendedKeyUsage or timeStamping. Every path crypto/x509, smx509 and
//     verifySHA1Path build is filtered by it (purposeChains): a CA restricted to TLS servers
//     vouches for no signer (red team s10 WIN 2). OCSP responders and CRL issuers get no path
//     of their own: a CRL must be signed by the issuing CA of the certificate it speaks for, and
//     an OCSP response by that CA or by a responder it certified with id-kp-OCSPSigning — CAs
//     of the path already judged. An OFD seal's and signer's paths (purposeAny) are not held to
//     usages, which seal producers set freely.
//   - A timestamp token's TSTInfo as RFC 3161 §2.4.2 defines it (cms.ParseTSTInfo, the reader
//     core/tsa's client shares, and tst.go): genTime a DER
//     GeneralizedTime in UTC ('Z', no offset, no trailing zeros in a fraction), no critical
//     extension (none is defined that we could honour), the optional fields well formed and in
//     order — otherwise the token is invalid (red team s8b F7b). A token proves existence only
//     before genTime + accuracy (tstInfo.latest, capped at now): that time, not genTime, is the
//     one the signer's and the TSA's certificates and revocation are judged at (s8b F7); an
//     accuracy over a minute is named in the reasons.
//
// # Algorithm policy
//
// In the manner of ETSI TS 119 312 and the EU DSS's default policy (algpolicy.go): SHA-1 as the
// digest of the signed data (the CMS digest, adbe.pkcs7.sha1's hash of the document,
// adbe.x509.rsa_sha1) and RSA keys under 1536 bits are accepted only with a proof that the
// signature existed before 2009-01-01 (ETSI TS 102 176-1), RSA keys of 1536–2047 bits before
// 2016-01-01 (TS 119 312 V1.1.1). The proof is the earliest of the signature's verified
// timestamp (its latest time) and a later trusted document timestamp over it, else the
// verification time. Without it the signature is untrusted — status untrusted, exit 3 — with a
// reason naming the algorithm and its sunset date, never valid with a warning (red team s8b F4,
// F4b); with it the reasons say so. A timestamp token is judged the same way (its message
// imprint, its own CMS digest, the authority's key) at the time of a later trusted document
// timestamp, else now: a token past the sunset proves no time (s8b F2, F2b), said in the
// reasons, and a document timestamp past it is untrusted. MD5 is refused outright: such a
// signature is invalid. The interop set and the corpus keep their verdicts: their SHA-1 files
// are judged without anchors, untrusted already, which both count as their expected "valid".
//
// The same table and the same proof of existence judge the path and the revocation data: SHA-1
// in the signature on every certificate of the path but the anchor (DSS does not judge the
// anchor's own signature), the RSA keys of the intermediate CAs, and SHA-1 in the signature of
// each OCSP response and CRL. A path past a sunset leaves the signature (or the timestamp
// authority, whose path is judged at a later trusted document timestamp, else now) untrusted
// with the reason; a response or CRL past it is no evidence of a good status — revocation
// unknown, with the reason — while its "revoked" still counts (a forged revocation gains no
// one a signature). crypto/x509 refuses SHA-1 certificate signatures at any time, so a path
// with one is built by verifySHA1Path (trustsha1.go), which checks each such signature with the
// issuer's key and lets crypto/x509 validate the rest. An OFD seal's or signer's path is built
// and judged now; an OFD time stamp's authority path like a PDF's (tsaValidate).
//
// # OFD
//
// An OFD file (a ZIP: GB/T 33190 e-invoices and notices) gets the same Report and verdicts
// (ofd.go, ses.go; ../shared/ofd/README.md is the guide). Per signature of every document:
// the references hashed with the declared CheckMethod (SM3 by OID or name, iOFD's SM3 with Z,
// SHA-256/SHA-1) over the stored part bytes — a changed or missing part is 已修改; for a seal
// (GM/T 0031-2014 v1, GB/T 38540-2020 v4; another header version is checked with its layout and
// reported as unknown, never vouched for) dataHash over the stored Signature.xml, the signer's
// SM2 signature over the stored TBS_Sign (iOFD's signature over dataHash is accepted with a
// note), the maker's SM2 signature with the version's message, Seal.esl equal to the embedded
// seal, the picture an image of its declared type, the signer in the seal's certList, the
// signing time inside the seal's and the certificate's validity (otherwise 过期: status
// untrusted, Signature.Expired), both certificates' paths at the verification time. The signing
// time is the signer's own (TBS_Sign timeInfo) unless a v4 SES time stamp proves one: an RFC
// 3161 token over the signature value, judged by a PDF signature timestamp's rules — its
// authority's certificate valid now with the RFC 3161 profile and not revoked before the
// token's time by the CRLs it carries (tsaValidate; an OFD has no later proof of existence), no
// algorithm past its sunset; the validity is then judged at its tstInfo.latest. A token that
// proves no time leaves the signer's time, which nothing checks. For Type="Sign" a GB/T 35275 or
// PKCS#7 SignedData over SM3(Signature.xml) (encapsulated or with signed attributes) or a bare
// SM2 value checked with Options.OFDCerts. The ofdrw integrity list (OFDEntries.xml) is checked
// but never reported as protecting content. Parts no signature covers are named
// (Report.OFD.Uncovered). The package is read by core/ofd under Options.OFDLimits; a ZIP trick or
// a bomb is an error naming it, never a verdict. Signature.Seal carries what the card shows (seal
// name, esID, maker, picture, StampAnnot places); OFDSeals gives a page renderer the pictures.
//
// # Principles of the change analysis
//
//   - Every ambiguity a reader could resolve differently is either proven harmless or reported
//     as a disallowed change — never resolved our way in silence. Two readers that could see
//     different objects (a generation mismatch, an object stream listing a number twice, a
//     section a viewer would rebuild by scanning while an "N 0 obj" hides in another object's
//     data) make the verifier compute both views; where they differ on anything a signature
//     covers, that is a disallowed change.
//   - "A header" is what any rebuilding reader takes as one, not what a pattern matches:
//     pdf.HeaderScanner models MuPDF's repair lexer (comments between the tokens, signs,
//     resync after "endstream"), poppler's 255-byte line chunks (a header right after 255
//     bytes of a comment line; the rest after "endobj"; C white space) and qpdf's line-start
//     tokens, and every header it finds in bytes added after signing is judged: one outside
//     every listed object is a hidden object (a second copy of an object that one table lists
//     twice, in two subsections, is listed when it is the very same object: PDFBox 2's
//     incremental save writes such copies; one that differs is hidden), one inside another object's data that would
//     redefine something the signed revision used is a disallowed change. The rebuilt view is
//     compared per reader (the last header of a number under each rule). A hidden object
//     stream is read as MuPDF's repair reads it (/Type, /N and /First through references) and
//     an object it holds that the document uses is a hidden redefinition; one this verifier
//     cannot read is reported, not skipped (red team s7 G2, G4, G5). The root such a rebuild starts from is modelled
//     too (rebuildroot.go): poppler takes the last "trailer" naming a new root, MuPDF the last
//     /Root of any dictionary its scan meets, qpdf 11 the first trailer; a trailer, /Root entry,
//     catalog or cross-reference stream that is no revision's own, added after signing and
//     naming another root (or /Info, /Encrypt), is a disallowed change whatever the rule.
//   - Every object is classified by what reached it in the signed revision — page content,
//     resources, fonts, annotation appearances, form, metadata, info, DSS, structure tree — in
//     ONE table of rules (roleRules in roles.go: role → what may change under which DocMDP
//     level) that fits on one screen, and the strictest role wins when several reach it.
//   - Never excuse an object because of its own /Type: a page content stream that calls itself
//     /Metadata or /XRef, an /Info that points at the page's /Resources, an appearance listed in
//     /DSS /Certs are judged as page content and appearance.
//   - Allowed changes must not change what the signed page shows: whether an added or changed
//     annotation, a filled field or an unsigned signature widget covers signed content is
//     decided by rendering the page as signed and as now (cover.go, PDFium through the
//     Options.Renderer its caller passes, core/pdf/raster: in process in the desktop and the
//     server, sealctl-render for sealctl; without one the page is reported as not checked); the
//     covered regions are reported per page for highlighting. What PDFium leaves out and other
//     viewers show is painted over the current rendering before the comparison (synth.go): an
//     annotation without a usable appearance as what a viewer may build for it, and a popup a
//     viewer opens at load — /Open set on it or on its parent, for an added or changed
//     annotation — as an opaque window at the popup's /Rect (synthpopup.go; red team s10 WIN 5:
//     Acrobat opened a note's window with another buyer and amount over the signed lines).
//     A change that draws an official seal — a closed red ring, round or oval, at least 12 mm,
//     with red marks inside that do not fill it — outside the widgets of intact later
//     signatures is disallowed (coverseal.go, red team s10 WIN 9: a company's seal added as a
//     plain Stamp annotation was valid); a red circle around text, a filled disc, a rectangular
//     stamp and square personal seals are not held to it.
//     Signed text is signed content for
//     additions too (coverink.go, red team s7 G12): each line of the signed page's text (PDFium's
//     text page: the characters' loose boxes, word spaces included, an em beyond each end) may
//     not gain a mark — a dot between two digits, a "1" or a minus before an amount, a "0" after
//     it — and a pixel of a signed glyph may not be lightened (a white line 0.3 pt thick through
//     the digits is an erasure); highlight bands of one even tint, underlines, strike-outs and
//     frames drawn around the text (a stroke that turns along the line outside it) are not
//     marks. Signed text that is not text — a line drawn as an image (a scan, a 1-bit
//     /ImageMask) or as outlines — has its lines found in the signed rendering itself
//     (coverinklines.go, red team s8 F3): glyph-sized parts of ink, not in a PDFium text run,
//     joined along the page's rows into lines judged by the same rules; a lone glyph, text set
//     vertically, ink lighter than coverInk and marks on grey paper are not. Inside the widget
//     of an intact later signature, a mark that lies within the widget's visible drawing of a
//     seal's or signature's size is not judged as one (a second party's seal over
//     "乙方（盖章）：" is the product's own flow, and that signer is identified and listed); a
//     widget that draws only a "1" in the gap before an amount is (red team s8 F2), and so is
//     painting a signed glyph white, seal or not. Names that one reader cuts short (a NUL, more
//     than 127 bytes) written after signing are ambiguous objects (names.go). A page
//     where all that changed is widgets added (later signatures) is not rendered when our own
//     reading of the operators
//     proves that they paint at least 6 pt away from anything the signed page paints
//     (coverbound.go); whatever that reading cannot bound — fonts with their own glyph
//     programs, inline images, shadings without a clip, an operator it cannot read — is
//     rendered, so the shortcut never accepts what the rendering refuses. A page that is
//     rendered is rendered only around the changed annotations' rectangles when nothing else
//     on it can differ (coverregion.go), with the same verdicts as whole pages
//     (TestCoverRegionSameVerdicts).
//   - One renderer's picture proves nothing about what it leaves out: an added or changed
//     appearance must draw only what every reader draws alike (coverimages.go) — images whose
//     samples all decode, with a bit depth and colour space ISO 32000 allows; mesh shadings
//     whose data follows the rules; plain optional content — in its forms, patterns, soft
//     masks and Type 3 glyphs too. Otherwise the change is disallowed: PDFium drew nothing
//     where poppler or MuPDF painted over the signed amount (red team s5). The strict gate
//     covers these classes, each reported with its reason:
//     content syntax (coversyntax.go: numbers, operators and operand counts, matrices, text-clip
//     fonts); graphics states (coverstate.go: every ExtGState entry typed and in range — /CA /ca
//     in [0, 1], /LW ≥ 0, a valid /D, known /BM, /SMask /None or a mask with a transparency
//     group, /TR /TR2 only /Identity or /Default); fonts (coverstate.go: a known subtype and
//     its required keys — a Type 3 font's /Encoding dictionary with /Differences, a Type0
//     font's one descendant); image dictionaries (coverimages.go: /Width, /Height,
//     /BitsPerComponent 1–16 in powers of two and a /ColorSpace unless a mask or JPX; samples
//     complete; colour spaces by the rules); path geometry (coverstate.go: w ≥ 0, dashes with
//     entries ≥ 0, caps, joins, miter limits in range, no zero-length subpath stroked with round
//     or projecting caps: a dot in poppler and MuPDF, nothing in PDFium — red team s7); mesh
//     shadings and optional content (coverimages.go). What PDFium rejects, skips or cuts short
//     by its own limits is refused the same way (red team s9): a CIE colour space whose
//     /WhitePoint is not X > 0, Y = 1, Z > 0, a /None colorant, a Separation or DeviceN
//     alternate that is Indexed, Pattern, Separation or DeviceN; an image wider or taller than
//     131,071 samples or of 4 GB of samples; a content string longer than 32,767 bytes; content
//     nested more than 40 streams below an appearance (covernest.go: PDFium's kMaxFormLevel);
//     text in a Type 3 font inside one of that font's glyphs.
//   - What no reader draws is not judged, what readers draw differently is reported
//     (coverhidden.go): an annotation whose /F is an integer with the hidden bit is drawn by none
//     (a hidden note over the text is valid), /F 2.0 is hidden for PDFium and drawn by poppler
//     (reported). An annotation's own /OC is ignored by PDFium and honoured by poppler and
//     MuPDF, so PDFium draws more than they do: harmless alone, reported unchecked next to other
//     changes on its page. Printing is drawing too: an annotation flagged NoView and Print (drawn
//     only on paper) is reported, and one without the Print flag is judged like an own /OC.
//     An annotation flagged NoRotate on a turned page, which poppler, MuPDF and Acrobat draw
//     upright about a corner of its /Rect while PDFium turns it, is judged by the rendering as
//     if it painted dark all its /Rect grown by its longer side (synthesizeNoRotate): a sticky
//     note in a landscape page's margin is valid, one that may reach signed text is not. Optional content in appearances is accepted only where the readers
//     agree (coverimages.go: an empty /OCGs under /AllOn or /AllOff or without /OCProperties;
//     no /Usage view state, no untyped or odd-typed groups). An added appearance that names a
//     font or XObject its own /Resources lack while the page's have it is reported where the
//     page's entry can draw something else (an XObject, a Type 3 or embedded font: poppler uses
//     it, PDFium draws Helvetica or nothing); a standard face there, as ordinary filled forms
//     name, is not.
//   - A filled field shows its value (fillshow.go, fillfont.go; red team s10 WIN 4: a /V of 100
//     whose appearance drew 900 read 900 in poppler, PDFium and Acrobat and 100 in pdf.js's
//     forms mode and every form-data reader). The change names the value ("field qty filled in
//     with \"100\"", 填写表单域「qty」，填入「100」; one line, cut at 40 characters). Every
//     appearance stream of a text or choice field whose value changed is read as a reader draws
//     it: each string decoded through its font — a simple font's /Encoding and /Differences glyph
//     names to Unicode, a composite font (Identity-H) through its ToUnicode map; names and a
//     ToUnicode map that disagree on a code drawn are refused — the characters put in reading
//     order by where they land, and the result must equal the value with white space ignored
//     (line splitting, comb cells, /Q alignment, padding): a text field's /V (mask characters
//     for a password field), a combo box's /V or its /Opt display text, a list box's lines all
//     options with the chosen one among them. Only text, colour, marked content, rectangular
//     clips, a background over the whole box before the text and border paths within the
//     border band (comb dividers on the cell lines) may be drawn: no other path or curve, no
//     image, XObject, shading, Type 3 font, optional content, graphics state beyond line styles
//     and opaque painting, render mode other than 0–2, glyphs under 2.5 pt or squeezed below 10
//     %, overlapping, outside the box or its clip, painted over, or too close in luminance to the
//     background. A button shows the state its value names (/AS). Fonts: a font object of the
//     signed revision, unchanged, or a standard face without a program, draws what its names
//     say. A font added after signing with its own program is accepted only for a face the
//     signed /DR already embedded (by /BaseFont) and only where two decodings agree — a simple
//     font's glyph names and its ToUnicode map (both required), a composite font's ToUnicode map
//     and its program's cmap where the program has one. Evidence: Acrobat, PDFBox, pdf.js and
//     iText fill with the /DA font from /DR; DocuSign's PDFKit.NET (interop 007) fills with a new
//     subset of the LucidaConsole Type0 font its signed /DR embeds, without a cmap. Left
//     unchecked: a program whose outlines lie about its names, cmap and ToUnicode map (only
//     reading the rendered glyphs would see it), within a face the signed form embedded.
//   - Actions are changes too: whatever makes a viewer run something is disallowed after
//     signing, at document level (the catalog's /OpenAction, /AA, /Names /JavaScript,
//     /EmbeddedFiles, a page's /AA, an existing field's /AA: entries outside the allowed lists)
//     and in an added or changed annotation or added signature field (actions.go): its /A, /PA
//     and every /AA trigger, following /Next (dictionaries and arrays) and indirect references,
//     at most 64 actions (MaxAnnotActions, past it "too complex"). Only navigation is allowed —
//     URI, GoTo, GoToDp, Named; JavaScript, Launch, SubmitForm, ResetForm, ImportData, Hide,
//     SetOCGState, Rendition, Movie, Sound, Trans, GoToR, GoToE, GoTo3DView, Thread,
//     RichMediaExecute and untyped or unknown actions are reported by type (red team s6: a page-
//     open JavaScript in an added Screen annotation rewrote the amount in Acrobat). A
//     FileAttachment annotation added after signing names its file in the change list ("an
//     attached file was added after signing: …"): disallowed at P=1 and P=2 like any
//     annotation, an allowed but visible note under approval signatures and P=3.
//
// # Revocation
//
// checkCertRevocation applies one policy to every certificate of the signer's path: all
// embedded OCSP responses and CRLs for it are considered (CMS attribute, SignedData crls, DSS,
// VRI); "revoked" anywhere wins (any of them, however old, that dates the revocation at or
// before the signing time — the verified timestamp's time when there is one, genTime plus its
// accuracy); a revocation for
// keyCompromise or cACompromise whose invalidityDate (CRL entry extension 2.5.29.24, or the same
// OCSP singleExtension) is earlier than its revocation date counts from the invalidityDate — the
// key was in other hands from then, so a signature or timestamp after it proves nothing (red
// team s8b F6); otherwise the freshest data that covers that time (produced at most 8 days before it, or after) decides, a
// revocation later than it leaving the signature good with a note; stale data, or none, is
// "unknown". Online data (Options.Online) is fetched only when the embedded data leaves the
// certificate unknown, and judged together with it. CRLs are bounded (crlcache.go): each
// distinct one is read once a file, up to 100,000 entries and 8 MB decoded, 300,000 entries a
// file; one not read keeps the status from being good (unknown, with the limit named) and
// cannot hide a revocation another states (red team s10 DoS 1).
//
// "unknown" can still be "trusted": most signed PDFs carry no revocation data, and an offline
// verifier that called all of them untrusted would teach users to ignore the word. The report
// keeps Revocation "unknown", and Signature.ResultKey gives the card's wording 有效，吊销状态未知
// instead of 有效且可信; the JSON status stays "valid". "revoked" is never trusted.
//
// # Why not digitorus/pkcs7
//
// digitorus/pkcs7 (used by pdfsign's verify) is too lax for a verifier that must not be fooled:
// it ignores the error of parsing the SignedData, derives the algorithm from the digest OID and
// ignores the hash a signature algorithm declares (sha3-256WithRSA over a SHA-256 DigestInfo
// passes), accepts an elliptic-curve OID as signature algorithm for an RSA key, accepts
// encapsulated content in a detached signature, finds signers only by issuer and serial (not by
// subject key identifier), verifies a re-encoding of the signed attributes rather than the bytes
// as signed, and has no RSASSA-PSS, plain ECDSA, Ed448 or SHA-3. crypto/rsa also refuses public
// exponents above 2^31-1, which real certificates use. So the CMS structure is read by a small BER reader here and every signature is
// checked with explicit algorithm rules.
//
// # Using it
//
//	store := verify.NewTrustStore(platformRoot)   // plus store.AddFile(userPEM), store.UseSystemRoots()
//	rep, err := verify.File(ctx, path, &verify.Options{Trust: store})
//	// err: unreadable or too large (sealctl exit 2); otherwise rep.Verdict and rep.Signatures[i]
//	rep.ExtractSigned(i, out)                          // "view the signed version" of signature i, from the verified bytes
//	rep.WriteJSON(w); verify.WriteReportPDF(out, rep, "zh"); rep.TextLines("zh")
//	verify.ExitCode(rep.Verdict)
//
// Signature.Page and Signature.Rect (PDF user space, unrotated) locate a visible signature for
// highlighting; Signature.Changes names every change after it.
//
// # What it refuses to do
//
//   - Trust a certificate because the PDF carries it: embedded certificates are only
//     intermediates; anchors come from the TrustStore.
//   - Go online unless Options.Online is set.
//   - Read beyond its limits: files above Options.MaxFileSize, CMS blobs above 16 MB, ASN.1
//     nesting beyond 64 levels; Options.Limits (one pdf.Limits budget: see core/pdf's "Bounds")
//     bounds cross-reference entries (131,072 here, counted before a section's table is built:
//     each costs the analysis some 250 bytes) and sections, objects per object stream, the
//     memory one parsed object holds (16 MiB here, estimated as it is built: a DSS whose /VRI
//     held 250,000 keys in a 0.69 MB file cost 144 MB — red team s10 DoS 2), decoded bytes per
//     stream (16 MiB here) and per file (128 MiB here), nesting, signatures per file (100) and
//     sentences per signature (50); the objects the revisions after the first signature write
//     are bounded too, all together (MaxUpdateObjects, 20,000: updatebudget.go — the change
//     analysis parses each, and 400,000 unused objects cost 4.6 s and 287 MB), and so are the
//     annotations one signature's analysis judges as added or changed (MaxJudgedAnnotations,
//     1,000: annotbudget.go — 45,000 squares cost 15 s and 1.25 GB). A page the cover check
//     would render with more than 1,500 annotations is reported as too complex to judge
//     (MaxRenderedAnnotations), and so is one whose appearances would make PDFium paint more
//     than 80 million pixels (MaxAppearancePaintedPixels, coverraster.go: every fill, stroke,
//     image and glyph at the check's resolution, measured before rendering — 20,000 full-area
//     fills held the renderer for its whole 60 s limit), or whose two renders (as signed and as
//     now) would cost it more than 400 million pixel-equivalents (MaxPageRasterWork): the
//     signed page's content and the current one, their forms, tiling patterns and Type 3
//     glyphs once per use, the annotations' appearances, and the rasterizer's work on edges —
//     a cell per pixel each segment spans, for fills, strokes and every application of a clip
//     path (nested clips multiply), a subpath per dash — calibrated on PDFium's CPU time (a
//     signed page clipped by 300,000 zig-zag segments held it for the 60 s limit; the largest
//     page of the interop set and the corpus costs 35 million), and a verification's renders
//     together no more than 120 million (MaxRasterWorkPerFile: each document page rendered
//     charged once — the current revision's once for all signatures — and all of them before
//     any is rendered, so that a file over it renders nothing; about 2 s of PDFium, against 30
//     million for 50 signatures stacked on one page); the pricing reads at most 4 million
//     tokens a page, and a content stream decoding past its limit is too complex too.
//     Functions cost their work where PDFium evaluates them (per pixel for a function-based
//     shading or a tint transform of its space: coverfunc.go; a type 4 program of more than
//     10,000 operators is too complex), and the font programs, CMaps, ToUnicode maps, ICC
//     profiles and function and mesh streams PDFium decodes to draw a page are counted before
//     it is rendered, keeping nothing: one over 32 MiB (MaxResourceStreamBytes) or all over
//     64 MiB (MaxPageResourceBytes) make the page too complex (coverdecode.go).
//     Object headers hidden in the data of objects added after
//     signing are kept only where they can matter, at most 4,097 per revision, and at most
//     4,096 trailer dictionaries and /Root entries are read (more is reported as a change
//     that could not be compared: a stream of 1.8 million "N 0 obj" lines once cost 184 MB).
//     Hitting a limit is an error wrapping the *pdf.LimitError that
//     names it (sealctl exit 2, the desktop says which limit in Chinese), never a verdict — also
//     when the limit is met in the middle of the change analysis (pdf.File.Exceeded).
//   - Run on after its context is done: File and Verify take a context.Context; the loops the
//     file controls check it and a cancelled verification returns the context's error.
//   - Take the process down: a panic inside a verification (its workers included) becomes an
//     ErrInternal error for that file.
//   - Treat a failed check as an error: a broken signature is a result in the report.
//
// # Cost
//
// Each byte of the file is hashed once per digest algorithm in use, whatever the number of
// signatures (fileDigests); the SHA-256 pass also gives the report's file digest. The overlap
// check between signatures is one sort and one sweep. The file is read into one buffer, backed
// by huge pages on Linux (hugepages_linux.go: in a virtual machine every fresh 4 KB page costs
// a fault at first touch, which was most of the time of verifying a large file). PDFium is
// started only for a page the cover check must render: a later signature placed away from
// what was signed is judged by coverbound.go without it (PDFium's start, two renders per
// signature and 60–150 MB of memory were most of the cost of a file signed many times).
//
// Measured with bench/pdfsig-compare.sh's method (best of 5, alternating with poppler's pdfsig,
// peak RSS) on the shared 2-core build VM at load 6–12, December 2026 — ours ÷ pdfsig, and peak
// RSS minus the file size: 1 MB with 1 / 10 signatures 0.70 / 0.54 (12 / 17 MB; both mostly
// process start); 10 MB 0.43 / 0.09; 45 MB 0.24–0.29 / 0.04 (13 / 17 MB); 45 MB with 50 visible
// signatures in different places 0.32 s, 0.26 s at load 2.5 (pdfsig 20 s; 45 MB). The same 50
// stacked on one another are rendered: 4.8 s at load 15 (1.9 s on a calm machine) and 190 MB
// over the file, as before (PDFium's instance and a page image per signed revision).
//
// A page that must be rendered is rendered only around what changed when nothing else can
// differ (coverregion.go: every changed annotation paints inside its /Rect, PDFium and the
// others clip an appearance to its /BBox mapped onto it; otherwise the whole page). Measured
// with sealctl on the same VM at load 9–13, three alternating runs, before → after: a 1.1 MB
// file whose signed page is set in an embedded TrueType font, signed again with a widget below
// the text (1MB-ttf-2sig-rendered, from TestWriteBenchFiles) 74.7 → 61.5–62.2 MB peak RSS
// (73.6 → 60.9 MB over the file), 0.84–1.28 → 0.71–1.02 s; the 50 stacked signatures 181–193
// → 137–139 MB (about 140 → 90 MB over the file), 2.7–3.3 → 1.9–3.3 s. What remains is mostly
// PDFium's instance (about 46 MB once started, 10 MB per open document).
package verify
