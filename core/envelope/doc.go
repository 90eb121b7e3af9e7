// Package envelope is contracts in flight (SPEC §5, manual 004 §6–7): an envelope of up to five
// documents sent by one account to recipients who sign in order (or all at once), with the
// 文件 boxes each party sees, drafts, templates and recent contacts.
//
// # How an envelope travels
//
// Send validates the request (limits below, each refusal a *sync.Refusal with a Chinese
// message naming the limit), turns images into PDF pages, and prepares every document before
// any signature: a QR code in the margin of every page that opens the server's public
// verification page for the envelope (status, signers, times — never the content; a page that
// draws a large image, such as a full-bleed scan or photo, first grows a white strip below it
// for the code, and the boxes placed on it move with its content), one empty
// signature field per placed box, named "R<k>.<kind><n>" for recipient k, and a first signature
// by the server — a certification (DocMDP P=2) when boxes were placed, so every later change other
// than filling those fields is flagged, or an approval signature for "现在发送", where recipients
// add their own fields. All of it happens outside the store transaction; the transaction then
// records the envelope, its box index entries, the quota reservation, the notice events and the
// idempotency record together, so a retry with the same key (or a crash) never sends twice.
//
// A recipient signs on their desktop and uploads the signed document: the current document with
// their signatures appended as incremental updates. UploadRevision checks the prefix (the bytes
// sent must be the start of the bytes received), runs core/verify on the whole file, and accepts
// it only when every signature is intact, nothing after any signature is a disallowed change,
// and the new signatures are the expected signer's (a certificate the server issued to that
// account, or one a SignerCheck accepts, such as a company seal), in that signer's own fields;
// a document timestamp after them is accepted too (a signature made offline, timestamped by the
// signer's desktop when back online).
// When the last signer is done the envelope is "completing": Finish adds a document timestamp
// (B-LTA, the server's TSA and revocation data) to each document, writes the 签署报告 (every
// step: who, when, device, the document's SHA-256 before and after) as a PDF signed by the
// server, and completes the envelope, charging the quota once. Finish is idempotent and is
// re-run at start-up and by the janitor, so a crash in between loses nothing.
//
// # Boxes and listing
//
// Every party (the sender and every recipient, by login: "sms:<phone>" or "email:<address>", so
// people who register later find what was sent to them) has one index entry per envelope under
// party|box|inverted-time|id holding the line the list shows, and one counter per box. A page is
// one range scan; counts are one read per box. Every envelope an enterprise sent (not its drafts)
// is also listed under the party "ent:<id>" (in progress: BoxWaiting) for 查看企业全部合同: members
// whom ViewAll allows (org.PermViewAllContracts) list it and read each envelope view only.
// 首页's 快捷入口 lists (Quick, QuickCounts; due.go) come from a second index of the persons'
// party keys by date: 即将截止签约 (signing deadline within N days, still being signed) and 即将过期
// (合同到期日 within N days, being signed or completed), one range scan over the window each.
//
// # What it refuses
//
//   - A 企业内部成员 who is not an enabled member of the sending enterprise (or any member in a
//     personal send); a company recipient whose handler's membership of an enterprise of that name
//     is disabled (a handler who is no member yet is accepted: they may be invited, or claim
//     the enterprise by an appeal started from the contract, manual 000). A recipient's phone or e-mail that belongs to an
//     account is matched to that account (its boxes, and its account id finds the envelope).
//   - More than MaxFiles files, a file over MaxFileSize, types other than PDF, JPEG and PNG; a
//     subject empty or over MaxSubject characters, a remark over MaxRemark; a malformed phone
//     number or e-mail address; no signer; a 合同金额 below 0 or over api.MaxAmount; a 合同到期日
//     in the past or before the signing deadline.
//   - Signing out of turn, signing an envelope that is withdrawn, declined, expired or
//     completed, uploading anything but an incremental update of the current document, a
//     revision that changes page content (or anything core/verify calls a disallowed change),
//     signatures by someone else or in someone else's fields.
//   - Showing an envelope or its documents to anyone but its parties.
package envelope
