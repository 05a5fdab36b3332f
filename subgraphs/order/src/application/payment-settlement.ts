import { ErrorCode, isAppError } from '../../../../lib/errors.js';
import type { Logger } from '../../../../lib/logger.js';
import type { PaymentClient, PaymentOutcome } from '../clients/payment.client.js';
import type { Order } from '../domain/order.js';
import { holdExpired, settlePayment, timeOut, type OrderFields, type PaymentPolicy } from '../domain/order-transitions.js';
import { OrderErrors } from '../errors.js';
import type { OrderStore } from '../store/order.store.js';
import type { OrderChanges } from './order-changes.js';

/** Settling an order's payment: at placement, and by the retry job of a PAYMENT_PENDING order. */
export class PaymentSettlement {
  constructor(
    private readonly orders: OrderStore,
    private readonly payments: PaymentClient,
    private readonly changes: OrderChanges,
    private readonly policy: PaymentPolicy,
    private readonly log: Logger,
  ) {}

  /** Asks payment; `null` when it could not answer (down, slow, breaker open). */
  async authorize(order: Order, requestId?: string): Promise<PaymentOutcome | null> {
    try {
      return await this.payments.authorize(
        { orderId: order.id, customerId: order.customerId, amount: order.total, method: order.paymentMethod, token: order.paymentToken },
        requestId,
      );
    } catch (error) {
      if (!isAppError(error, ErrorCode.ServiceUnavailable)) this.log.error({ err: error, orderId: order.id }, 'payment refused the authorization request');
      else this.log.warn({ orderId: order.id, reason: error.message }, 'payment unavailable');
      return null;
    }
  }

  /** Moves the order on from `from` by what payment answered. */
  async settle(order: Order, from: 'PLACED' | 'PAYMENT_PENDING', outcome: PaymentOutcome | null, set: OrderFields = {}): Promise<Order> {
    const transition = settlePayment(order, from, outcome, this.policy, new Date(), set);
    if (!transition) throw OrderErrors.stillPlacing(); // not settled: the job retries
    return this.changes.applyOrRead(order.id, transition);
  }

  /**
   * The retry job of a PAYMENT_PENDING order: authorize again, or cancel it at its hold deadline.
   * Throws while payment still cannot answer, so the queue retries it with backoff.
   */
  async settlePending(orderId: string): Promise<void> {
    const order = await this.orders.find(orderId);
    if (order?.status !== 'PAYMENT_PENDING') return;
    const now = new Date();
    if (holdExpired(order, now)) {
      await this.changes.applyOrRead(orderId, timeOut(order, now));
      return;
    }
    await this.settle(order, 'PAYMENT_PENDING', await this.authorize(order));
  }
}
