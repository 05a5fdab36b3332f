/**
 * How long a wallet remembers the orders it paid for and was paid back for. Pure: no I/O.
 *
 * A wallet debit or credit is one atomic update of the wallet document that also writes the order's
 * id into the wallet's `debits` or `refunds` list (its marks). The marks are what make a repeated
 * call, or the retry after a crash, change nothing; without them the lists grow by an id for every
 * order the customer ever paid from the wallet. So once a payment's status has stood for
 * `WALLET_MARKS_KEPT_MS`, the hourly clearing takes its marks away, and the payment itself records
 * that it did (`CLEARED`), so no later call acts on marks that are gone.
 *
 * What a cleared payment still needs:
 * - AUTHORIZED keeps the money, but a refund may still come, days later. Its credit needs no debit
 *   mark: a refund only follows an authorization, so the status proves the debit. The refund's own
 *   move reopens the marks, and the `refunds` mark keeps the credit to one.
 * - DECLINED, REFUNDED and VOIDED are final: the clearing first gives back whatever is owed, and a
 *   later call gives nothing back.
 *
 * The one thing a clearing cannot protect against is a call that read a payment before the clearing
 * and writes to the wallet after it: that call would have had to stall for about a day, the same
 * bound every store of idempotency keys has.
 */
import { walletDebitIsOwed, type PaymentStatus } from './payment.js';

/**
 * Whether the payment's order id may be in its wallet's lists (OPEN), is being taken out of them
 * (CLEARING: credited already, the ids are next), or is out of them for good (CLEARED). A card
 * payment has none (null).
 */
export type WalletMarks = 'OPEN' | 'CLEARING' | 'CLEARED';

/** A day: far longer than any call or retry of the order saga lasts. */
export const WALLET_MARKS_KEPT_MS = 24 * 3_600_000;

/**
 * After this, a repeated refund no longer credits a REFUNDED payment itself and leaves it to the
 * clearing: its credit is kept to one by the `refunds` mark alone, and a call that read the payment
 * just before the clearing took that mark away would credit a second time.
 */
export const LATE_REFUND_CREDIT_MS = WALLET_MARKS_KEPT_MS / 2;

export type WalletList = 'debits' | 'refunds';

export interface WalletMarked {
  status: PaymentStatus;
  /** null: a card payment, or a wallet payment written before marks were cleared (still OPEN). */
  walletMarks?: WalletMarks | null;
  /** When the status last changed. */
  updatedAt: Date;
}

/** Which lists a clearing takes the order's id from; none while the payment is PENDING, which a repeat may still finish. */
export function listsToClear(status: PaymentStatus): readonly WalletList[] {
  if (status === 'PENDING') return [];
  // An authorized payment was never credited: it has only its debit mark.
  return status === 'AUTHORIZED' ? ['debits'] : ['debits', 'refunds'];
}

/** Whether the clearing takes this payment's marks now: its status has stood for a day. */
export const isDueForClearing = (payment: WalletMarked, now: Date): boolean =>
  (payment.walletMarks ?? 'OPEN') === 'OPEN' && payment.status !== 'PENDING' && now.getTime() - payment.updatedAt.getTime() >= WALLET_MARKS_KEPT_MS;

/**
 * Whether a credit must find the order's debit mark on the wallet. A declined or voided payment may
 * or may not have been debited (a crash, a race with a repeat); a refunded one always was.
 */
export const creditNeedsDebitMark = (status: PaymentStatus): boolean => status !== 'REFUNDED';

/**
 * Whether a call may give back a wallet debit the status does not keep. The clearing gives back
 * everything owed before it clears, so a cleared payment has nothing left to give.
 */
export function mayGiveBack(payment: WalletMarked, now: Date): boolean {
  if (!walletDebitIsOwed(payment.status) || (payment.walletMarks ?? 'OPEN') !== 'OPEN') return false;
  return payment.status !== 'REFUNDED' || now.getTime() - payment.updatedAt.getTime() < LATE_REFUND_CREDIT_MS;
}
