// Package entseal holds enterprise seals (企业印章) as the enterprise's assets on the server:
// the seal (image, name, kind, size), its key pair in the server's custody (core/sealkey) and
// its certificate from the server's CA, grants to members and departments, applications and
// their decisions, discarding (废弃), one-time signing codes, remote signing of a digest and the
// usage log (用印记录).
//
// Everything is kept in a core/sync.Store and changes are events in the enterprise's sync scope,
// so every member's desktop learns of them; an applicant also hears of a decision in their own
// scope and through the notifier. Membership and permissions come from the enterprise domain
// through Directory (core/org's Require, wired in core/server): seals.manage creates and
// discards and reads the usage log, seals.grant grants, changes and revokes, seals.approve
// decides applications; any enabled member lists seals, applies and — with a grant valid now —
// asks for a code and signs.
//
// # The seal certificate
//
// Issued by the server's issuing CA under pki.ProfileEnterpriseSeal, valid SealCertValidity:
//
//	C=CN, O=<enterprise name>, OU=<seal name>, CN=<enterprise name>,
//	organizationIdentifier (2.5.4.97)=NTRCN-<unified social credit code>
//
// The organizationIdentifier follows ETSI EN 319 412-1 §5.1.4 (NTR: national trade register,
// CN, then the 18-character code), which Adobe and EU validators show; CN and O both carry the
// enterprise's name because viewers show one or the other as "the signer". The member who used
// the seal is not in the certificate (one certificate per seal, many members): the desktop writes
// their name into the signature dictionary's /Name, which the signature covers, and the server's
// usage log binds the use to the member, the document hash and the signed digest.
//
// # Remote signing
//
// The desktop asks for a code (SendCode: a 6-digit code to the member's phone or e-mail, valid
// CodeTTL, CodeAttempts guesses; SendCodeFor binds it to one contract and lets it sign up to
// api.MaxCodeSignatures digests of that contract, so a company recipient types one code for all
// its boxes), then sends the SHA-256 digest of the CMS signed attributes with
// the code id and code, the contract id if any and the document's SHA-256. Sign checks, in one
// transaction: enabled membership, the seal in this enterprise and not discarded, a grant valid
// now (member or one of their departments), the code (theirs, for this seal, fresh, unspent),
// then signs, spends the code, writes the usage line and stores the answer under the caller's
// idempotency key. A retry with the same key — after a lost answer or a server killed mid-request
// — gets the stored answer: either the transaction committed (one line in the log, the same
// signature back) or it did not (nothing happened; the code is still unspent and the retry signs).
//
// # What it refuses
//
//   - Digests that are not 32 bytes (SHA-256), unknown seals and another enterprise's seals
//     (404, the same answer), discarded seals, members without a grant valid now, disabled
//     members and strangers, wrong, replayed, expired or another person's codes.
//   - Seal images that are not PNG or over api.MaxSealImage, sizes outside 10–100 mm, kinds not
//     in api.SealKinds, names empty or over 40 characters.
//   - Periods that end before they start, applications without an end or over MaxApplyPeriod,
//     reasons over 500 characters, deciding an application twice, changing a revoked grant.
//   - Ever deleting history: discarding keeps the seal, its grants and its log; revoking keeps
//     the grant, marked.
package entseal
