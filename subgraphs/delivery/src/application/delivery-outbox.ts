import type { OutboxEvent } from '../../../../lib/events.js';
import type { OutboxRelay } from '../../../../lib/outbox.js';

/**
 * Publishes a delivery's pending events right after the write that put them in its outbox. Never
 * throws: a failure is logged, and the relay's sweep in the workers process publishes them later.
 * `pending`: the outbox as that write stored it, when the writer has it, which saves reading it.
 */
export type FlushOutbox = (deliveryId: string, pending?: readonly OutboxEvent[]) => Promise<void>;

export const flushWith =
  (relay: OutboxRelay): FlushOutbox =>
  (deliveryId, pending) =>
    relay.flushSoon(deliveryId, pending);
