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
// the seal is not in the certificate (one certificate per seal, many members): the server writes
// their name into the signature dictionary's /Name, which the signature covers, and the server's
// usage log binds the use to the member, the document hash and the signed digest.
//
// # Remote signing: the server seals only what it has checked
//
// The desktop asks for a code (SendCode: a 6-digit code to the member's phone or e-mail, valid
// CodeTTL, CodeAttempts guesses; SendCodeFor binds it to one contract and lets it sign up to
// api.MaxCodeSignatures signatures of that contract, so a company recipient types one code for
// all its boxes), then asks Stamp to seal a document with a list of marks (boxes): on a contract,
// the contract's document as the server stores it now (the caller reads it as the requesting
// party and passes it as StampInput.Current; the desktop only names it and declares its
// SHA-256); without a contract, the file sent in the request (the server keeps its hash, never
// the file). The server prepares every signature itself with core/sign — appearance, signature
// dictionary, ByteRange digest, CMS signed attributes, B-T timestamp from its TSA — so the digest
// the seal key signs is of that very document, and answers the bytes to append.
//
// Why: a digest computed on the desktop binds nothing. An approval (用印审批) of one contract, a
// code bound to it, a grant for one purpose all checked the declared contract id, while the digest
// could be of any other document. So Sign refuses a digest it did not compute (SignInput without
// ServerPrepared: the HTTP route's old request) with 426 unbound_digest, and Stamp refuses a use
// whose declared document is not the contract's current version, or that carries another file,
// with 409 document_mismatch; each refusal is a line of the usage log (api.SealUse.Refused) and
// of the audit log, and the code stays unspent. core/websign's signing page, which prepares
// documents on the server, signs through Sign with ServerPrepared.
//
// Sign is the signing step every seal signature goes through, in one transaction: enabled
// membership, the seal in this enterprise and not discarded, a grant valid now (member or one of
// their departments), the approval gate (UseGate), the code (theirs, for this seal and contract,
// fresh, unspent), then it signs, spends one use of the code, writes the usage line and stores
// the answer under the idempotency key. Stamp stores its own answer under the caller's key and,
// before signing anything, records the attempt (its clock and the size of the timestamp
// core/sign reserves room for): a retry with the same key — after a lost answer or a server
// killed mid-request — prepares the same signatures again, gets the marks already signed back
// from their stored answers (nothing logged twice, no code needed) and signs the rest.
//
// # What it refuses
//
//   - Digests the server did not compute (426 unbound_digest, logged), documents that are not
//     the contract's current version or that differ from their declared SHA-256 (409
//     document_mismatch, logged), requests without marks or with more than
//     api.MaxCodeSignatures, mark images over api.MaxSealMarkImage, files over
//     api.MaxSealDocument, a code with fewer uses left than marks; more seal requests at once
//     than Stamps lets prepare (gate.ErrBusy: 503 with Retry-After).
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
