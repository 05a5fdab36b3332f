/** Ending an order early: the customer cancels, or staff reject it; either way with its compensations. */
import { requireRole, type Viewer } from '../../../../lib/auth.js';
import { ErrorCode, isAppError } from '../../../../lib/errors.js';
import { parseId } from '../../../../lib/ids.js';
import type { DeliveryClient } from '../clients/delivery.client.js';
import { isPublic, type Order } from '../domain/order.js';
import { assertCancellable, cancel, isRejectedByStore, reject } from '../domain/order-transitions.js';
import { validReason } from '../domain/place-order.js';
import { OrderErrors } from '../errors.js';
import type { OrderStore } from '../store/order.store.js';
import type { OrderChanges } from './order-changes.js';

export class EndEarly {
  constructor(
    private readonly orders: OrderStore,
    private readonly delivery: DeliveryClient,
    private readonly changes: OrderChanges,
  ) {}

  async cancel(viewer: Viewer | null, id: string, reason: string | null | undefined, requestId?: string): Promise<Order> {
    const customer = requireRole(viewer, 'CUSTOMER');
    const orderId = parseId(id, 'id');
    const why = validReason(reason, 'reason') ?? 'cancelled by the customer';
    // Each pass cancels from the status it saw; a status that moved meanwhile is seen on the next
    // (statuses only move forward, so the passes end).
    for (;;) {
      const order = await this.orders.find(orderId);
      if (!order || order.customerId !== customer.id || !isPublic(order.status)) throw OrderErrors.orderNotFound(id);
      if (order.status === 'CANCELLED') return order; // a repeat
      assertCancellable(order);
      const withdrawn = await this.withdrawDelivery(order, id, requestId);
      const changed = await this.changes.apply(orderId, cancel(order, why, withdrawn, new Date()));
      if (changed) return changed;
    }
  }

  /**
   * A confirmed order may have a baker: withdraw the delivery first. It and startBaking are one
   * conditional update of the same delivery, so exactly one of them wins the race. True when the
   * order had a delivery that is now cancelled.
   */
  private async withdrawDelivery(order: Order, id: string, requestId?: string): Promise<boolean> {
    if (order.status === 'PAYMENT_PENDING') return false; // not confirmed: no delivery yet
    try {
      const { wasAssigned } = await this.delivery.withdraw(order.id, order.fulfilment, requestId);
      return wasAssigned;
    } catch (error) {
      if (isAppError(error, ErrorCode.InvalidTransition)) throw OrderErrors.notCancellable(id, 'BAKING');
      throw error;
    }
  }

  async reject(viewer: Viewer | null, id: string, reason: string | null | undefined): Promise<Order> {
    requireRole(viewer, 'STAFF');
    const orderId = parseId(id, 'orderId');
    const why = validReason(reason, 'reason') ?? 'rejected by the store';
    const order = await this.orders.find(orderId);
    if (!order || !isPublic(order.status)) throw OrderErrors.orderNotFound(id);
    if (isRejectedByStore(order)) return order;
    const changed = await this.changes.apply(orderId, reject(order, why, new Date()));
    if (!changed) throw OrderErrors.notRejectable(id, (await this.orders.find(orderId))?.status ?? order.status);
    return changed;
  }
}
