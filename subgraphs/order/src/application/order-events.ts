import { newEvent, type OutboxEvent } from '../../../../lib/events.js';
import type { OrderStatus } from '../domain/order.js';
import type { OrderRecord } from '../store/order.store.js';

/**
 * The event every status change the customer can see produces. `at` must be the instant of the
 * change's history entry: live subscriptions find the change in the history by it.
 */
export function statusChanged(
  order: Pick<OrderRecord, 'id' | 'customerId' | 'fulfilment'>,
  status: OrderStatus,
  reason: string | null,
  promisedBy: Date | null,
  at: Date,
): OutboxEvent {
  return newEvent('OrderStatusChanged', {
    orderId: order.id,
    customerId: order.customerId,
    status,
    reason,
    fulfilment: order.fulfilment,
    promisedBy: promisedBy ? promisedBy.toISOString() : null,
    at: at.toISOString(),
  });
}

/** The compensations an order that ends early owes: stock back, money back. */
export const compensations = (orderId: string): OutboxEvent[] => [newEvent('ReleaseStock', { orderId }), newEvent('RefundPayment', { orderId })];
