import type { Logger } from '../../../../lib/logger.js';
import type { CardProvider } from '../domain/card-provider.js';
import {
  canMove,
  checkOrderId,
  isPlausibleId,
  isSettled,
  refundTarget,
  validatePaymentRequest,
  type AuthorizePaymentInput,
  type DeclineReason,
  type PaymentRequest,
  type PaymentStatus,
} from '../domain/payment.js';
import { creditNeedsDebitMark, mayGiveBack } from '../domain/wallet-marks.js';
import { PaymentErrors } from '../errors.js';
import type { PaymentRecord, PaymentStore } from '../store/payment.store.js';
import type { WalletStore } from '../store/wallet.store.js';

const MAX_REFUND_PASSES = 5;

/**
 * Authorizing and refunding the order saga's payments, without transactions.
 *
 * The payment document (one per order, unique on insert) says where the payment stands, and each
 * status change is one conditional update, so one transition wins however many calls race. The
 * money moves elsewhere: a wallet debit or credit is one atomic conditional update on the wallet
 * that also records the order id there, and the card provider is idempotent per order id. So any
 * step can be repeated after a crash or a retried call without charging or paying back twice, and
 * every call ends by giving back a wallet debit that the settled status does not keep. A day after a
 * payment settles, the clearing takes its order id off the wallet (application/wallet-clearing.ts).
 */
export class Payments {
  constructor(
    private readonly payments: PaymentStore,
    private readonly wallets: WalletStore,
    private readonly provider: CardProvider,
    private readonly log: Logger,
  ) {}

  async authorize(input: AuthorizePaymentInput): Promise<PaymentRecord> {
    const request = validatePaymentRequest(input);
    // The first call's customer, amount and method stand; a repeat only finishes that payment.
    const payment = await this.payments.insertPendingOrGet(request);
    if (isSettled(payment.status)) return this.giveBackUnlessKept(payment);
    return payment.method === 'WALLET' ? this.authorizeFromWallet(payment) : this.authorizeCard(payment, request);
  }

  async refund(orderId: string): Promise<PaymentRecord> {
    const id = checkOrderId(orderId, 'orderId');
    // Each pass acts on the status it read; losing a race to another call just reads again. Statuses
    // only move forward, so a few passes always settle it.
    for (let pass = 0; pass < MAX_REFUND_PASSES; pass++) {
      const payment = await this.payments.forOrder(id);
      if (!payment) {
        // No authorize yet: a tombstone makes a late one charge nothing. Read again either way.
        await this.payments.insertVoidedOrGet(id);
        continue;
      }
      const target = refundTarget(payment.status);
      if (target === null) return this.giveBackUnlessKept(payment);
      // Money held at the card provider goes back before the status says so. For a PENDING payment
      // the provider may hold an authorization it could not tell us about, so it is released too.
      if (payment.method === 'CARD') await this.releaseCard(id);
      // A refund credits the wallet: the clearing must come back for the marks it writes.
      if (await this.move(id, payment.status, target, null, payment.method === 'WALLET'))
        this.log.info({ orderId: id, method: payment.method, status: target }, 'payment refunded or voided');
    }
    throw new Error(`the refund for order ${id} did not settle in ${MAX_REFUND_PASSES} passes`);
  }

  /**
   * The payments among these ids, in one query. A payment's id is its order's id. A malformed id
   * names nothing, like any other unknown one.
   */
  async findMany(ids: readonly string[]): Promise<PaymentRecord[]> {
    return this.payments.findMany(ids.filter(isPlausibleId));
  }

  private async authorizeFromWallet(payment: PaymentRecord): Promise<PaymentRecord> {
    const { orderId, customerId, amount } = payment;
    if (customerId === null) throw new Error(`wallet payment for order ${orderId} has no customer`);
    // A debit that is refused because this order was debited before (a crash before the status
    // was written, or a concurrent repeat) still counts: the wallet remembers it.
    const debited = (await this.wallets.debit(customerId, orderId, amount)) || (await this.wallets.wasDebited(customerId, orderId));
    const moved = debited ? await this.move(orderId, 'PENDING', 'AUTHORIZED') : await this.move(orderId, 'PENDING', 'DECLINED', 'INSUFFICIENT_FUNDS');
    return this.giveBackUnlessKept(moved ?? (await this.current(orderId)));
  }

  private async authorizeCard(payment: PaymentRecord, request: PaymentRequest): Promise<PaymentRecord> {
    const { orderId, amount } = payment;
    // The token is not stored: each attempt carries the caller's.
    const decision = await this.provider.authorize({ key: orderId, amount, token: request.token }).catch((error: unknown) => {
      this.log.warn({ err: error, orderId }, 'card provider unreachable; the payment stays PENDING');
      throw PaymentErrors.providerUnavailable(orderId);
    });
    const moved =
      decision.outcome === 'APPROVED' ? await this.move(orderId, 'PENDING', 'AUTHORIZED') : await this.move(orderId, 'PENDING', 'DECLINED', decision.reason);
    // Not moved: a concurrent call or a refund got there first, and what it left is the answer.
    const current = moved ?? (await this.current(orderId));
    if (decision.outcome === 'APPROVED' && current.status === 'VOIDED') {
      // A refund voided the payment while the provider was approving it: nothing may stay charged.
      await this.provider.release(orderId).catch((error: unknown) => {
        this.log.error({ err: error, orderId }, 'a card authorization for a voided payment could not be released; it lapses uncaptured');
      });
    }
    return current;
  }

  private async releaseCard(orderId: string): Promise<void> {
    try {
      await this.provider.release(orderId);
    } catch (error) {
      this.log.warn({ err: error, orderId }, 'card provider unreachable; the refund is not done');
      throw PaymentErrors.providerUnavailable(orderId);
    }
  }

  /** Finishes what a crash or a lost race may have left: a wallet debit the status does not keep goes back. */
  private async giveBackUnlessKept(payment: PaymentRecord): Promise<PaymentRecord> {
    if (payment.method === 'WALLET' && mayGiveBack(payment, new Date())) await giveBack(this.wallets, payment);
    return payment;
  }

  /** One transition of the state machine, applied only if the payment is still `from`: the payment as moved, or null. */
  private move(
    orderId: string,
    from: PaymentStatus,
    to: PaymentStatus,
    declineReason: DeclineReason | null = null,
    reopenWalletMarks = false,
  ): Promise<PaymentRecord | null> {
    if (!canMove(from, to)) throw new Error(`a payment cannot move from ${from} to ${to}`);
    return this.payments.settle(orderId, from, to, declineReason, reopenWalletMarks);
  }

  private async current(orderId: string): Promise<PaymentRecord> {
    const current = await this.payments.forOrder(orderId);
    if (!current) throw new Error(`payment for order ${orderId} vanished`);
    return current;
  }
}

/** Credits a wallet payment's debit back, once (a no-op when there is nothing to give back). */
export async function giveBack(wallets: WalletStore, payment: PaymentRecord): Promise<void> {
  if (payment.customerId === null) return;
  await wallets.creditBack(payment.customerId, payment.orderId, payment.amount, creditNeedsDebitMark(payment.status));
}
