import { newEvent } from '../../../../lib/events.js';
import type { Logger } from '../../../../lib/logger.js';
import { isOpen } from '../domain/delivery.js';
import type { DeliveryRecord, DeliveryStore } from '../store/delivery.store.js';
import type { FlushOutbox } from './delivery-outbox.js';

/**
 * The delayed job on `Queues.promiseChecks` that fires at an order's promise time. Internal to the
 * delivery context (no other context produces or reads it), so it is not an event of lib/events.
 */
export interface PromiseCheckJob {
  orderId: string;
}

export const isPromiseCheckJob = (value: unknown): value is PromiseCheckJob =>
  typeof value === 'object' && value !== null && 'orderId' in value && typeof value.orderId === 'string';

/** One check per order however often it is scheduled: BullMQ drops a job whose id it holds. */
export const promiseCheckJobId = (orderId: string): string => `promise-${orderId}`;

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
