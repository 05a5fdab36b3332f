import type { OutboxRelay } from '../../../../lib/outbox.js';

/**
 * Publishes a delivery's pending events right after the write that put them in its outbox. Never
 * throws: a failure is logged, and the relay's sweep in the workers process publishes them later.
 */
export type FlushOutbox = (deliveryId: string) => Promise<void>;

export const flushWith =
  (relay: OutboxRelay): FlushOutbox =>
  (deliveryId) =>
    relay.flushSoon(deliveryId);
