/** Following the delivery: the order moves on with what the delivery context reports. */
import type { DeliveryStatus, Order } from '../domain/order.js';
import { advanceWithDelivery, deliveryCancelledOnly } from '../domain/order-transitions.js';
import { isPublic } from '../domain/order.js';
import { OrderErrors } from '../errors.js';
import type { OrderStore } from '../store/order.store.js';
import type { OrderChanges } from './order-changes.js';

export class FollowDelivery {
  constructor(
    private readonly orders: OrderStore,
    private readonly changes: OrderChanges,
  ) {}

  /**
   * The delivery reports how far it got; the order follows through every step up to there (a
   * report may overtake an earlier one). Repeats and stale reports change nothing.
   */
  async recordProgress(orderId: string, reached: DeliveryStatus, bakerName?: string): Promise<Order> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const order = await this.orders.find(orderId);
      if (!order || !isPublic(order.status)) throw OrderErrors.orderNotFound(orderId);
      const transition = advanceWithDelivery(order, reached, bakerName, new Date());
      if (!transition) {
        if (!deliveryCancelledOnly(order, reached)) return order;
        await this.orders.updateReadModel(orderId, { deliveryStatus: 'CANCELLED' });
        return { ...order, deliveryStatus: 'CANCELLED' };
      }
      const changed = await this.changes.apply(orderId, transition);
      if (changed) return changed;
      // The order moved meanwhile: look again.
    }
    throw OrderErrors.stillPlacing();
  }

  /** The promise time passed before completion; true when this call recorded it. */
  async recordDelay(orderId: string): Promise<boolean> {
    return this.orders.markDelayed(orderId);
  }
}
