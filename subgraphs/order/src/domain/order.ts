/**
 * The order's life, as the bakery runs it. Pure: no I/O.
 *
 *   (PLACED) -> CONFIRMED | PAYMENT_PENDING | REJECTED
 *   PAYMENT_PENDING -> CONFIRMED | REJECTED | CANCELLED
 *   CONFIRMED -> ASSIGNED -> BAKING -> READY -> (OUT_FOR_DELIVERY ->) COMPLETED
 * Customers cancel while PAYMENT_PENDING, CONFIRMED or ASSIGNED; staff reject anything not yet
 * COMPLETED. PLACED (the saga's first steps are under way) and ABANDONED (a placement that could
 * not reach the stock service) are internal and never shown.
 */
import type { DeliveryStatusName, OrderStatusName, PaymentStatusName } from '../../../../lib/statuses.js';

export type OrderStatus = OrderStatusName;
export type InternalStatus = OrderStatus | 'PLACED' | 'ABANDONED';

export type Fulfilment = 'PICKUP' | 'DELIVERY';
export type PaymentMethod = 'CARD' | 'WALLET';
export type RejectionReason = 'OUT_OF_STOCK' | 'PAYMENT_DECLINED' | 'INSUFFICIENT_FUNDS' | 'STORE_REJECTED';
export type DeliveryStatus = DeliveryStatusName;
export type PaymentStatus = PaymentStatusName;

export interface StatusChange {
  status: OrderStatus;
  at: Date;
  reason: string | null;
}

export interface OrderLine {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

/** A step the saga owes another context, done once: a repeat records nothing twice. */
export type SagaStep = 'ReleaseStock' | 'CommitStock' | 'RefundPayment';

/** An order: what the customer asked for, where it stands, and what the other contexts said of it. */
export interface Order {
  id: string;
  customerId: string;
  idempotencyKey: string;
  lines: OrderLine[];
  total: number;
  fulfilment: Fulfilment;
  deliveryAddress: string | null;
  paymentMethod: PaymentMethod;
  /** Kept only while payment may still be retried. */
  paymentToken: string | null;
  status: InternalStatus;
  rejectionReason: RejectionReason | null;
  history: StatusChange[];
  promisedBy: Date | null;
  holdDeadline: Date | null;
  // The customer's read model of the other contexts, kept current from events.
  paymentStatus: PaymentStatus | null;
  deliveryStatus: DeliveryStatus | null;
  bakerName: string | null;
  delayed: boolean;
  sagaSteps: SagaStep[];
  createdAt: Date;
  updatedAt: Date;
}

/** The statuses no caller ever sees: every status but these is public (the type keeps it so). */
export const INTERNAL_STATUSES = ['PLACED', 'ABANDONED'] as const satisfies ReadonlyArray<Exclude<InternalStatus, OrderStatus>>;

export const CUSTOMER_CANCELLABLE: readonly OrderStatus[] = ['PAYMENT_PENDING', 'CONFIRMED', 'ASSIGNED'];
/** Staff may reject an order until it is completed (or already ended). */
export const STAFF_REJECTABLE: readonly OrderStatus[] = ['PAYMENT_PENDING', 'CONFIRMED', 'ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY'];
const FINAL: readonly InternalStatus[] = ['COMPLETED', 'CANCELLED', 'REJECTED', 'ABANDONED'];

export const isCancellableByCustomer = (status: InternalStatus): boolean => (CUSTOMER_CANCELLABLE as readonly string[]).includes(status);
export const isFinal = (status: InternalStatus): boolean => FINAL.includes(status);
export const isPublic = (status: InternalStatus): status is OrderStatus => !(INTERNAL_STATUSES as readonly string[]).includes(status);

/** The kitchen-to-door path an order follows once paid, for its kind of fulfilment. */
export function fulfilmentPath(fulfilment: Fulfilment): OrderStatus[] {
  return fulfilment === 'DELIVERY'
    ? ['CONFIRMED', 'ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY', 'COMPLETED']
    : ['CONFIRMED', 'ASSIGNED', 'BAKING', 'READY', 'COMPLETED'];
}

/**
 * The statuses an order passes through when the delivery reports `reached`: every step after the
 * current one up to it, in order (events between contexts can overtake one another, so a report
 * may skip a step the order has not heard of yet). Empty when it is not ahead of the order.
 */
export function progressSteps(current: InternalStatus, reached: DeliveryStatus, fulfilment: Fulfilment): OrderStatus[] {
  if (reached === 'CANCELLED') return [];
  const path = fulfilmentPath(fulfilment);
  const from = path.indexOf(current as OrderStatus);
  const to = path.indexOf(reached);
  if (from < 0 || to <= from) return [];
  return path.slice(from + 1, to + 1);
}

/** Promise times: when the customer may expect the order, from confirmation. */
export function promiseTime(confirmedAt: Date, fulfilment: Fulfilment, seconds: { pickup: number; delivery: number }): Date {
  const wait = fulfilment === 'DELIVERY' ? seconds.delivery : seconds.pickup;
  return new Date(confirmedAt.getTime() + wait * 1_000);
}

/** What a declined payment means for the order. */
export const rejectionForDecline = (declineReason: string | null): RejectionReason =>
  declineReason === 'INSUFFICIENT_FUNDS' ? 'INSUFFICIENT_FUNDS' : 'PAYMENT_DECLINED';
