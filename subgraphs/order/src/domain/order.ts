/**
 * The order's life, as the bakery runs it. Pure: no I/O.
 *
 *   PAYMENT_PENDING -> CONFIRMED | CANCELLED | REJECTED
 *   CONFIRMED -> ASSIGNED -> BAKING -> READY -> (OUT_FOR_DELIVERY ->) COMPLETED
 * Customers cancel before baking starts; staff reject anything not yet completed.
 */
export type OrderStatus =
  | 'PAYMENT_PENDING'
  | 'CONFIRMED'
  | 'ASSIGNED'
  | 'BAKING'
  | 'READY'
  | 'OUT_FOR_DELIVERY'
  | 'COMPLETED'
  | 'CANCELLED'
  | 'REJECTED';

export type Fulfilment = 'PICKUP' | 'DELIVERY';
export type RejectionReason = 'OUT_OF_STOCK' | 'PAYMENT_DECLINED' | 'INSUFFICIENT_FUNDS' | 'STORE_REJECTED';

export interface StatusChange {
  status: OrderStatus;
  at: Date;
  reason: string | null;
}

const CUSTOMER_CANCELLABLE: readonly OrderStatus[] = ['PAYMENT_PENDING', 'CONFIRMED', 'ASSIGNED'];
const FINAL: readonly OrderStatus[] = ['COMPLETED', 'CANCELLED', 'REJECTED'];

export const isCancellableByCustomer = (status: OrderStatus): boolean => CUSTOMER_CANCELLABLE.includes(status);
export const isFinal = (status: OrderStatus): boolean => FINAL.includes(status);
