// Package billing is SealDesk's 费用中心 (SPEC §6, manual 004 §5): the document quota of every
// owner (an enterprise's 对公 quota, a person's 对私 quota), packages bought through a payment
// provider, the quota a contract reserves when it is sent and which is charged when it completes or
// released when it is withdrawn, declined or expires, the 费用明细 ledger, and invoice requests
// with their receipt PDF. Everything lives in a core/sync store (both bolt and PostgreSQL), in
// the buckets named by the Bucket constants; events go to the owner's sync scope.
//
// # Quota inside a contract's transaction
//
// The contract domain calls Reserve (or ReserveDocs) in the transaction that sends an envelope,
// Charge in the one that completes it and Release in the one that withdraws, declines or expires
// it. All three are keyed by the envelope id and idempotent: a retried transaction, a second call
// or a duplicated command never reserves, charges or releases twice, and a Release after a Charge
// (or a Charge after a Release) does nothing. An owner's lots are one record, so concurrent
// reservations of one owner serialize on it (the store contract's "write one common key"). A
// reservation without enough quota is the refusal 402 quota_exhausted 余额不足，请先联系企业管理员进行充值.
//
// # Payment providers
//
// A Provider is the contract with a payment platform (WeChat Pay, Alipay, …):
//
//  1. Create order: the server stores an Order (pending, amount in fen, the package's documents and
//     validity) and calls Provider.CreatePayment, which registers it with the platform and returns
//     the QR payload (the URL the payer's app opens). The desktop shows it as a QR code.
//  2. Asynchronous notification: the platform later POSTs a notification to
//     /api/v1/billing/notify/{provider}. Provider.ParseNotification checks its signature (with the
//     platform's key; an unsigned or badly signed body is refused and credits nothing) and returns
//     the order id, the platform's transaction id and the amount paid.
//  3. Idempotent credit: Service.Confirm marks the order paid and adds its lot to the owner's
//     account in one transaction, only if the order is still pending and the amount matches.
//     Platforms deliver notifications at least once; a duplicate, or a redelivery after the server
//     was killed (kill -9) at any point, finds the order paid and credits nothing.
//
// The dev provider (DevProvider) signs its notifications with an HMAC key and confirms at once:
// the server delivers its notification to itself right after creating the order. It exists only
// when the server runs with --dev. WARNING: it credits quota without any payment.
//
// # Invoices
//
// An invoice request (抬头, 税号 checked as a unified social credit code by core/ids for enterprises)
// covers paid, not yet invoiced orders of one owner; its amount is their sum. The server renders a
// receipt PDF (收据, Chinese text in the embedded Noto font). A receipt is not a tax invoice: a real
// 电子发票 is issued by a tax platform, which plugs in behind the InvoiceIssuer interface; without
// one configured the invoice stays "requested" and only the receipt exists.
//
// # What it refuses
//
// It does not authorize: callers check that the actor may buy or invoice for an owner
// (org.PermBilling for an enterprise, the person themself for a personal quota). It never
// credits quota except through Confirm of a pending order, and it never touches money itself.
package billing
