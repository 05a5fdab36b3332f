import { newEvent, type EventPayloads, type OutboxEvent } from '../../../../lib/events.js';
import type { Logger } from '../../../../lib/logger.js';
import { chooseBaker } from '../domain/baker-choice.js';
import { isOpen, wasConfirmed } from '../domain/delivery.js';
import { DeliveryErrors } from '../errors.js';
import type { BakerStore } from '../store/baker.store.js';
import type { DeliveryRecord, DeliveryStore } from '../store/delivery.store.js';
import type { FlushOutbox } from './delivery-outbox.js';
import type { PromiseChecks } from './promise-checks.js';

type OrderStatusChanged = EventPayloads['OrderStatusChanged'];

/**
 * Gives confirmed orders to bakers and takes cancelled ones back. Runs as the handler of
 * `Queues.deliveryEvents` with concurrency 1, so the open orders it counts cannot change between
 * the count and the insert (with several workers processes it is a close approximation).
 * Every step is safe to repeat: a repeated event or a job retried after a crash finds the delivery
 * it wrote before and only finishes what may have been left undone.
 */
export class BakerAssignment {
  constructor(
    private readonly deliveries: DeliveryStore,
    private readonly bakers: BakerStore,
    private readonly promises: PromiseChecks,
    private readonly flush: FlushOutbox,
    private readonly log: Logger,
  ) {}

  async onOrderStatusChanged(event: OrderStatusChanged): Promise<void> {
    switch (event.status) {
      case 'CONFIRMED':
        await this.assign(event);
        return;
      case 'CANCELLED':
      case 'REJECTED':
        if (wasConfirmed(event)) await this.takeBack(event);
        return;
      default:
        return; // the order's other moves are ours, or not ours to act on
    }
  }

  /**
   * Gives the order to the least-loaded active baker; throws (to be retried) when nobody is active.
   * The insert itself tells a repeat: the order's delivery is keyed by the order, so a repeated
   * event finds the one it wrote before without a look first.
   */
  async assign(order: OrderStatusChanged): Promise<DeliveryRecord> {
    const chosen = chooseBaker(await this.bakers.active(), await this.deliveries.openOrders());
    if (!chosen) {
      const existing = await this.deliveries.forOrder(order.orderId);
      if (existing) return this.finish(existing);
      throw DeliveryErrors.noActiveBaker(order.orderId);
    }
    const { delivery, inserted, pending } = await this.deliveries.insertOrGet({
      orderId: order.orderId,
      customerId: order.customerId,
      bakerId: chosen.id,
      status: 'ASSIGNED',
      fulfilment: order.fulfilment,
      promisedBy: order.promisedBy ? new Date(order.promisedBy) : null,
      outbox: [newEvent('BakerAssigned', { orderId: order.orderId, deliveryId: order.orderId, bakerId: chosen.id, bakerName: chosen.name })],
    });
    if (inserted) this.log.info({ orderId: order.orderId, bakerId: chosen.id }, 'order assigned to a baker');
    return this.finish(delivery, pending);
  }

  /** The order was cancelled or rejected: its delivery is cancelled, or a tombstone keeps it unassigned. */
  async takeBack(order: OrderStatusChanged): Promise<void> {
    if (await this.cancelOpen(order.orderId)) {
      this.log.info({ orderId: order.orderId, status: order.status }, 'delivery cancelled');
      return;
    }
    const { delivery, inserted } = await this.deliveries.insertOrGet({
      orderId: order.orderId,
      customerId: order.customerId,
      bakerId: null,
      status: 'CANCELLED',
      fulfilment: order.fulfilment,
      promisedBy: order.promisedBy ? new Date(order.promisedBy) : null,
      outbox: [],
    });
    if (inserted) this.log.info({ orderId: order.orderId, status: order.status }, 'order cancelled before assignment: tombstone left');
    // Assigned in between by another workers process: cancel that one.
    else if (isOpen(delivery.status)) await this.cancelOpen(order.orderId);
  }

  /** Cancels an open delivery, telling the order context (its read model) through the outbox. */
  private async cancelOpen(orderId: string): Promise<boolean> {
    if (!(await this.deliveries.cancelOpen(orderId, newEvent('DeliveryProgressed', { orderId, status: 'CANCELLED' })))) return false;
    const cancelled = await this.deliveries.forOrder(orderId);
    if (cancelled) await this.flush(cancelled.id);
    return true;
  }

  /**
   * What must follow an assignment, done again on every repeat in case a crash cut it short.
   * `pending`: the outbox the insert wrote, when this call wrote it.
   */
  private async finish(delivery: DeliveryRecord, pending?: readonly OutboxEvent[]): Promise<DeliveryRecord> {
    if (isOpen(delivery.status)) await this.promises.schedule(delivery);
    await this.flush(delivery.id, pending);
    return delivery;
  }
}
