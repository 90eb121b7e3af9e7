// Package websign lets a counterparty without SealDesk sign a contract in a browser (SPEC §5,
// manual 004 §7.2), and lets a phone draw a person's handwritten signature for their desktop
// (扫码生成, manual 004 §4.1). Its pages (HTML, a little JavaScript, no external asset) are
// embedded here; core/server serves them and the JSON calls behind them.
//
// # The link
//
// When a recipient's turn comes, core/envelope asks for a link (Service.Link) and puts it in the
// SMS or e-mail notice. The link carries an opaque 32-byte random token; the store keeps only its
// SHA-256 (BucketLinks), with the envelope, the recipient and the login (phone or e-mail) the
// link is for. A link is good for one recipient of one contract and only while that recipient
// can act: it dies with the contract (withdrawn, declined, expired, completed — checked against
// the envelope at every use, so a withdraw revokes every link at once), once its recipient has
// signed or declined (a used link), at its own expiry (the contract's deadline, or LinkTTL), and
// after MaxCodeAttempts wrong codes (locked).
//
// The page shows the LOGO of the enterprise that sent the contract (企业控制台's, re-encoded as
// PNG by core/org when uploaded) in its header, from the link's own address (SenderLogo): only
// that enterprise's LOGO is reachable through a link, only while the link may be opened, and no
// address takes an enterprise id. A personal contract or an enterprise without a LOGO gets a page
// without any image element.
//
// Opening the link asks for a one-time code sent to the recipient's phone or e-mail through
// core/notify (the dev outbox under --dev). A right code opens a browser session (a random
// cookie, stored hashed, SessionTTL, bound to the link). Every change — sign, decline — needs
// the session and goes through core/envelope as the recipient (their party key is the login the
// link was sent to), so the envelope's rules hold exactly as on the desktop: turn order, own
// fields only, a signed revision must be an incremental update that changes no page content.
// Signing also needs a second one-time code (确认签署), spent by the signature.
//
// # Whose key signs
//
//   - A person (个人, or the handler's own signature box of a company recipient) gets an event
//     certificate (事件证书, pki.OIDEventCertificate): the server generates a P-256 key in memory
//     for this one signing, its CA issues a certificate valid EventCertValidity whose subject
//     names the person (the account's approved real name and masked ID number when the login
//     belongs to a verified account, else the name the sender gave, with OU 事件证书) and whose
//     policy notice names the contract and how the person was verified (one-time code to the
//     masked phone or e-mail). Every field of theirs is signed (PAdES B-T, the server's TSA),
//     then the key's scalar is overwritten and dropped. The key is never written to the store,
//     a log or a file; only the certificate is kept (BucketEventCerts: serial → signer).
//   - A company handler signs seal boxes with a seal of their enterprise that they may use now
//     (core/entseal's grants, its own one-time code, its usage log) through Seals. One seal code
//     covers all of the handler's seal boxes on the contract: it is bound to the contract and
//     good for as many signatures as there are boxes (at most api.MaxCodeSignatures); each seal
//     is one line of the usage log.
//   - Persons with the desktop keep signing there with their device key; this package never
//     sees such keys.
//
// # What the server can and cannot do with each kind of key
//
//   - Device keys (desktop persons): generated on the desktop and kept there under the signing
//     PIN; the server only certifies a CSR. It cannot sign for them; it can revoke their
//     certificates.
//   - Enterprise seal keys: held by the server (sealed under its master key or in a PKCS#11
//     token) and used only after a grant check and a one-time code of a member; every use is
//     in the usage log. The server's operator could sign with them: the trust is in the
//     operator and the log.
//   - Event keys: exist only in the server's memory for the seconds of one signing, after a
//     one-time code to the recipient. An operator who controls the running server could sign
//     in someone's name during that window, or issue another event certificate; what binds the
//     signature to the person is the server's record of the code's delivery and use, kept in
//     the contract's steps (签署报告: who, when, device "网页签署", the document's SHA-256
//     before and after, the event certificate's serial) and the audit log. Verifiers show such
//     signatures as 事件证书 so no reader mistakes them for device-key signatures.
//
// # The phone pad (扫码生成)
//
// A signed-in desktop asks for a pad (NewPad): a one-time URL shown as a QR code. The phone
// draws and posts the strokes (core/seal.Signature JSON, ≤ seal.MaxSignatureJSON); they become a
// "signature.drawn" event in the account's sync scope, which the desktop applies. A pad is used
// once, expires after PadTTL, and asking for a new one (重新获取二维码) voids the previous.
//
// # What it refuses
//
//   - Unknown, expired, used or locked links and pads, links of a closed contract (each a
//     *sync.Refusal with a Chinese message the page shows as it is).
//   - (core/server, in front of every route of a link or a pad) more requests from one address
//     than its token bucket allows (429, a Chinese page or JSON naming the limit), and a POST a
//     browser says comes from another site (Sec-Fetch-Site, Origin: 403 cross_site).
//   - Wrong codes (counted; MaxCodeAttempts locks the link), codes asked for more often than
//     CodeInterval, bodies over MaxBody, strokes that core/seal refuses, page numbers outside the
//     document, seals the handler may not use now.
package websign
