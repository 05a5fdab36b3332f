import { newEvent, promiseCheckJobId, type PromiseCheckJob } from '../../../../lib/events.js';
import type { Logger } from '../../../../lib/logger.js';
import { isOpen } from '../domain/delivery.js';
import type { DeliveryRecord, DeliveryStore } from '../store/delivery.store.js';
import type { FlushOutbox } from './delivery-outbox.js';

/** Where promise checks are scheduled (a BullMQ Queue of PromiseCheckJob). */
export interface PromiseCheckQueue {
  add(name: string, data: PromiseCheckJob, options: { jobId: string; delay: number }): Promise<unknown>;
}

/** Every order gets a promise time; an order not completed by then is recorded as delayed. */
export class PromiseChecks {
  constructor(
    private readonly deliveries: DeliveryStore,
    private readonly queue: PromiseCheckQueue,
    private readonly flush: FlushOutbox,
    private readonly log: Logger,
  ) {}

  /** Schedules the check at the delivery's promise time; a promise already past is checked now. */
  async schedule(delivery: Pick<DeliveryRecord, 'orderId' | 'promisedBy'>): Promise<void> {
    if (!delivery.promisedBy) return;
    const delay = Math.max(0, delivery.promisedBy.getTime() - Date.now());
    await this.queue.add('PromiseCheck', { orderId: delivery.orderId }, { jobId: promiseCheckJobId(delivery.orderId), delay });
  }

  /** At the promise time: an order still open becomes delayed, once, with a DeliveryDelayed event. */
  async check(orderId: string): Promise<void> {
    const delivery = await this.deliveries.forOrder(orderId);
    if (!delivery) return;
    if (isOpen(delivery.status) && !delivery.delayed && delivery.promisedBy) {
      const event = newEvent('DeliveryDelayed', { orderId, promisedBy: delivery.promisedBy.toISOString() });
      if (await this.deliveries.markDelayed(orderId, event)) {
        this.log.info({ orderId, deliveryId: delivery.id, promisedBy: delivery.promisedBy }, 'order missed its promise time');
      }
    }
    // Also publishes what an earlier, interrupted attempt wrote.
    await this.flush(delivery.id);
  }
}
