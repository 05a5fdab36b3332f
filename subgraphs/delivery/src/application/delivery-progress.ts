import { newEvent } from '../../../../lib/events.js';
import { parseId } from '../../../../lib/ids.js';
import type { Logger } from '../../../../lib/logger.js';
import type { OrderClient } from '../clients/order.client.js';
import { nextStep, type DeliveryStatus, type Fulfilment, type StaffAction } from '../domain/delivery.js';
import { DeliveryErrors } from '../errors.js';
import type { DeliveryRecord, DeliveryStore } from '../store/delivery.store.js';
import type { FlushOutbox } from './delivery-outbox.js';

/** Who asked, for the logs and the call to the order subgraph. */
export interface Caller {
  requestId: string;
  log: Logger;
}

/**
 * Staff move an assigned order on in the kitchen and on the road. Each move is one conditional
 * update from the status it expects, with a DeliveryProgressed event in the outbox; the order
 * context hears it from that event. It is also told at once, so the mutation's answer already shows
 * the order's new status; when that call fails, the event brings the news a little later.
 */
export class DeliveryProgress {
  constructor(
    private readonly deliveries: DeliveryStore,
    private readonly flush: FlushOutbox,
    private readonly order: OrderClient,
  ) {}

  /**
   * A malformed order id is BAD_USER_INPUT (field `orderId`); an order without a delivery, or one
   * not in the status the action starts from, is INVALID_TRANSITION.
   */
  async advance(action: StaffAction, rawOrderId: string, caller: Caller): Promise<{ id: string }> {
    const orderId = parseId(rawOrderId, 'orderId');
    // Statuses only move forward, so a lost race is seen on the next read and refused there.
    for (;;) {
      const delivery = await this.deliveries.forOrder(orderId);
      if (!delivery) throw DeliveryErrors.notAssigned(orderId);
      const step = nextStep(action, delivery);
      const moved = await this.deliveries.advance(orderId, step, newEvent('DeliveryProgressed', { orderId, status: step.to }));
      if (!moved) continue;
      caller.log.info({ orderId, deliveryId: moved.id, from: step.from, to: step.to }, 'delivery moved on');
      await Promise.all([this.flush(moved.id), this.tellOrder(orderId, step.to, caller)]);
      return { id: orderId };
    }
  }

  /**
   * A customer cancels: the delivery is withdrawn only while no baking has started. This and
   * startBaking are each one conditional update of the same delivery document from ASSIGNED, so
   * when both come at once exactly one succeeds and the other is INVALID_TRANSITION. With no
   * delivery yet, a cancelled placeholder keeps a late assignment from giving the order a baker.
   */
  async withdraw(rawOrderId: string, fulfilment: Fulfilment): Promise<DeliveryRecord> {
    const orderId = parseId(rawOrderId, 'orderId');
    for (;;) {
      const delivery = await this.deliveries.forOrder(orderId);
      if (!delivery) {
        const { delivery: placeholder } = await this.deliveries.insertOrGet({
          orderId,
          customerId: null,
          bakerId: null,
          status: 'CANCELLED',
          fulfilment,
          promisedBy: null,
          outbox: [],
        });
        if (placeholder.status === 'CANCELLED') return placeholder;
        continue; // assigned in between: withdraw that one
      }
      if (delivery.status === 'CANCELLED') return delivery;
      if (delivery.status !== 'ASSIGNED') throw DeliveryErrors.wrongStatus(orderId, 'withdraw', delivery.status, 'ASSIGNED');
      const cancelled = await this.deliveries.cancelAssigned(orderId, newEvent('DeliveryProgressed', { orderId, status: 'CANCELLED' }));
      if (cancelled) {
        await this.flush(cancelled.id);
        return cancelled;
      }
      // It moved meanwhile (started baking, or was cancelled): look again.
    }
  }

  private async tellOrder(orderId: string, status: DeliveryStatus, caller: Caller): Promise<void> {
    try {
      await this.order.recordDeliveryProgress(orderId, status, caller.requestId);
    } catch (error) {
      caller.log.warn({ err: error, orderId, status }, 'could not tell the order subgraph; the DeliveryProgressed event will');
    }
  }
}
