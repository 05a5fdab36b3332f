/**
 * How an order moves, as pure functions: each takes the order as it was read and returns the
 * transition the store applies as one conditional update (from the statuses it expects): what
 * changes, the history entries and the events, compensations included. Pure: no I/O; `now` is
 * given, so the history entry and its OrderStatusChanged event carry the same instant (live
 * subscriptions find the change in the history by it).
 */
import type { EventDraft } from '../../../../lib/contract.js';
import { OrderErrors } from '../errors.js';
import {
  isCancellableByCustomer,
  progressSteps,
  promiseTime,
  rejectionForDecline,
  STAFF_REJECTABLE,
  type DeliveryStatus,
  type InternalStatus,
  type Order,
  type OrderStatus,
  type PaymentStatus,
  type StatusChange,
} from './order.js';

/** The fields of an order a transition may set (status and history have their own). */
export type OrderFields = Partial<Omit<Order, 'id' | 'status' | 'history' | 'createdAt' | 'updatedAt'>>;

export interface Transition {
  /** Applies only while the order is still in one of these (a conditional update). */
  from: readonly InternalStatus[];
  to: InternalStatus;
  set: OrderFields;
  /** Appended to the history; each entry's `at` is the one its OrderStatusChanged event carries. */
  history: StatusChange[];
  events: EventDraft[];
}

/** What an order needs for its status-change event. */
type Subject = Pick<Order, 'id' | 'customerId' | 'fulfilment'>;

/** The event every status change the customer can see produces. */
export function statusChanged(order: Subject, status: OrderStatus, reason: string | null, promisedBy: Date | null, at: Date): EventDraft {
  return {
    type: 'OrderStatusChanged',
    payload: {
      orderId: order.id,
      customerId: order.customerId,
      status,
      reason,
      fulfilment: order.fulfilment,
      promisedBy: promisedBy ? promisedBy.toISOString() : null,
      at: at.toISOString(),
    },
  };
}

/** The compensations an order that ends early owes: stock back, money back. */
export const compensations = (orderId: string): EventDraft[] => [
  { type: 'ReleaseStock', payload: { orderId } },
  { type: 'RefundPayment', payload: { orderId } },
];

/** A status change the customer sees: its history entry and event, at one instant. */
function moveTo(order: Subject, from: readonly InternalStatus[], to: OrderStatus, reason: string | null, promisedBy: Date | null, now: Date) {
  return { from, to, history: [{ status: to, at: now, reason }], events: [statusChanged(order, to, reason, promisedBy, now)] };
}

// ------------------------------------------------------------------ placing and paying

/** Stock could not be held (or the product is sold out): the order is refused before payment. */
export function rejectOutOfStock(order: Subject, now: Date): Transition {
  return { ...moveTo(order, ['PLACED'], 'REJECTED', 'OUT_OF_STOCK', null, now), set: { rejectionReason: 'OUT_OF_STOCK', paymentToken: null } };
}

/** What the payment context answered for an authorization; null when it could not answer. */
export interface PaymentAnswer {
  status: PaymentStatus;
  declineReason: string | null;
}

/** The promise times and how long a payment may be retried. */
export interface PaymentPolicy {
  promiseSeconds: { pickup: number; delivery: number };
  /** How long stock is held for a payment that cannot be reached. */
  paymentHoldMs: number;
  /** When the first retry of such a payment runs. */
  paymentRetryDelayMs: number;
}

/**
 * Moves an order on from `from` by what payment answered: confirmed with a promise time,
 * rejected (its stock released), or, when payment could not answer at placement, held for
 * payment with its retries scheduled. Null while a pending payment still has no answer: the
 * retry job tries again.
 */
export function settlePayment(
  order: Subject,
  from: 'PLACED' | 'PAYMENT_PENDING',
  answer: PaymentAnswer | null,
  policy: PaymentPolicy,
  now: Date,
  set: OrderFields = {},
): Transition | null {
  if (answer?.status === 'AUTHORIZED') return confirm(order, from, policy, now, set);
  if (answer && answer.status !== 'PENDING') return rejectDeclined(order, from, answer, now, set);
  if (from === 'PAYMENT_PENDING') return null;
  return holdForPayment(order, policy, now, set);
}

/** Paid: the order is confirmed and promised by a time that depends on its fulfilment. */
export function confirm(order: Subject, from: 'PLACED' | 'PAYMENT_PENDING', policy: PaymentPolicy, now: Date, set: OrderFields = {}): Transition {
  const promisedBy = promiseTime(now, order.fulfilment, policy.promiseSeconds);
  return {
    ...moveTo(order, [from], 'CONFIRMED', null, promisedBy, now),
    set: { ...set, paymentStatus: 'AUTHORIZED', paymentToken: null, promisedBy, holdDeadline: null },
  };
}

/** Declined: the order is rejected, and the stock it held goes back. */
export function rejectDeclined(order: Subject, from: 'PLACED' | 'PAYMENT_PENDING', answer: PaymentAnswer, now: Date, set: OrderFields = {}): Transition {
  const reason = rejectionForDecline(answer.declineReason);
  const moved = moveTo(order, [from], 'REJECTED', reason, null, now);
  return {
    ...moved,
    set: { ...set, paymentStatus: answer.status, paymentToken: null, rejectionReason: reason, holdDeadline: null },
    events: [...moved.events, { type: 'ReleaseStock', payload: { orderId: order.id } }],
  };
}

/** Payment could not answer: hold the stock, retry soon, and give up at the hold deadline. */
export function holdForPayment(order: Subject, policy: PaymentPolicy, now: Date, set: OrderFields = {}): Transition {
  const holdDeadline = new Date(now.getTime() + policy.paymentHoldMs);
  const moved = moveTo(order, ['PLACED'], 'PAYMENT_PENDING', null, null, now);
  return {
    ...moved,
    history: [{ status: 'PAYMENT_PENDING', at: now, reason: 'payment service unavailable, retrying' }],
    set: { ...set, paymentStatus: 'PENDING', holdDeadline },
    events: [
      ...moved.events,
      { type: 'SettlePendingPayment', payload: { orderId: order.id }, notBefore: new Date(now.getTime() + policy.paymentRetryDelayMs) },
      { type: 'SettlePendingPayment', payload: { orderId: order.id }, notBefore: holdDeadline },
    ],
  };
}

/** Whether a pending payment's hold has run out. */
export const holdExpired = (order: Pick<Order, 'holdDeadline'>, now: Date): boolean =>
  order.holdDeadline !== null && now.getTime() >= order.holdDeadline.getTime();

/** The hold ran out before payment answered: the order is cancelled, with its compensations. */
export function timeOut(order: Subject, now: Date): Transition {
  const moved = moveTo(order, ['PAYMENT_PENDING'], 'CANCELLED', 'PAYMENT_TIMEOUT', null, now);
  return { ...moved, set: { paymentToken: null }, events: [...moved.events, ...compensations(order.id)] };
}

/**
 * A placement that never reached a verdict: nothing is shown, anything held goes back, and its
 * idempotency key is freed so the customer's retry places a new order.
 */
export function abandonPlacement(order: Pick<Order, 'id' | 'idempotencyKey'>): Transition {
  return {
    from: ['PLACED'],
    to: 'ABANDONED',
    set: { idempotencyKey: `${order.idempotencyKey}#abandoned:${order.id}`, paymentToken: null },
    history: [],
    events: compensations(order.id),
  };
}

// ------------------------------------------------------------------ ending early

/**
 * The customer cancels, from the status the order was read in, with its compensations. `withdrawn`:
 * the order had a delivery, which the delivery context has just cancelled. Throws
 * INVALID_TRANSITION once baking may have started.
 */
export function cancel(order: Subject & Pick<Order, 'status' | 'promisedBy'>, why: string, withdrawn: boolean, now: Date): Transition {
  assertCancellable(order);
  const moved = moveTo(order, [order.status], 'CANCELLED', why, order.promisedBy, now);
  return {
    ...moved,
    set: { paymentToken: null, ...(withdrawn ? { deliveryStatus: 'CANCELLED' as const } : {}) },
    events: [...moved.events, ...compensations(order.id)],
  };
}

/** INVALID_TRANSITION unless the customer may still cancel the order (before baking starts). */
export function assertCancellable(order: Pick<Order, 'id' | 'status'>): void {
  if (!isCancellableByCustomer(order.status)) throw OrderErrors.notCancellable(order.id, order.status);
}

/** Staff reject an order not yet completed, with its compensations. */
export function reject(order: Subject & Pick<Order, 'promisedBy'>, why: string, now: Date): Transition {
  const moved = moveTo(order, STAFF_REJECTABLE, 'REJECTED', why, order.promisedBy, now);
  return { ...moved, set: { rejectionReason: 'STORE_REJECTED', paymentToken: null }, events: [...moved.events, ...compensations(order.id)] };
}

/** A repeat of a staff rejection changes nothing. */
export const isRejectedByStore = (order: Pick<Order, 'status' | 'rejectionReason'>): boolean =>
  order.status === 'REJECTED' && order.rejectionReason === 'STORE_REJECTED';

// ------------------------------------------------------------------ following the delivery

/**
 * The delivery reports how far it got: the order follows through every step up to there (a report
 * may overtake an earlier one), and stock is committed once it is completed. Null when the report
 * is not ahead of the order (a repeat, a stale report, or a cancelled delivery).
 */
export function advanceWithDelivery(
  order: Subject & Pick<Order, 'status' | 'promisedBy'>,
  reached: DeliveryStatus,
  bakerName: string | undefined,
  now: Date,
): Transition | null {
  const steps = progressSteps(order.status, reached, order.fulfilment);
  const last = steps.at(-1);
  if (!last) return null;
  const events = steps.map((status) => statusChanged(order, status, null, order.promisedBy, now));
  if (last === 'COMPLETED') events.push({ type: 'CommitStock', payload: { orderId: order.id } });
  return {
    from: [order.status],
    to: last,
    set: { deliveryStatus: reached, ...(bakerName ? { bakerName } : {}) },
    history: steps.map((status) => ({ status, at: now, reason: null })),
    events,
  };
}

/** A cancelled delivery moves no status, but the read model must say so (once it had a delivery). */
export const deliveryCancelledOnly = (order: Pick<Order, 'deliveryStatus'>, reached: DeliveryStatus): boolean =>
  reached === 'CANCELLED' && order.deliveryStatus !== 'CANCELLED' && order.deliveryStatus !== null;
