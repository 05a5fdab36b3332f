import { defaultUrl, urlVariable } from '../../../lib/addresses.js';
import type { CommonConfig, EnvReader } from '../../../lib/config.js';

/** The order context's settings, shared by its subgraph process and its workers. */
export interface OrderSettings {
  stockUrl: string;
  paymentUrl: string;
  /** A customer's cancel withdraws the delivery there first, so it cannot race the start of baking. */
  deliveryUrl: string;
  deliveryTimeoutMs: number;
  /**
   * How long one call may take before its breaker counts it as failed. Payment is short: a slow
   * payment only makes the order PAYMENT_PENDING. Stock is longer: without its answer there is no
   * order at all.
   */
  stockTimeoutMs: number;
  paymentTimeoutMs: number;
  /**
   * Admission control for placements (see lib/admission-gate.ts). `concurrency` placements call
   * stock and payment at once; up to `maxQueue` more wait their turn here, each for at most
   * `maxWaitMs`, so a burst queues in this process instead of timing out downstream and opening
   * the breakers. One that cannot start in time is refused with TOO_BUSY, having done nothing.
   *
   * The deadlines add up inside the gateway's: maxWaitMs + stockTimeoutMs + paymentTimeoutMs and
   * a few store writes stay under SUBGRAPH_TIMEOUT_MS (3 + 3 + 1 s < 10 s by default), so every
   * placement the gateway waits for is answered before the gateway gives up on it.
   *
   * In a drop, only placements with a claim on a unit get here (see Catalogue): 64 lets a drop of
   * up to 64 units run all its placements at once, none waiting behind the others.
   */
  placements: { concurrency: number; maxQueue: number; maxWaitMs: number };
  /** How long the order context trusts what stock said of a product (name, price, units left). */
  catalogueMaxAgeMs: number;
  /** How long a PAYMENT_PENDING order holds its stock before it is cancelled. */
  paymentHoldMs: number;
  /** First retry of a pending payment; later ones back off up to `sagaRetryMaxMs`. */
  paymentRetryDelayMs: number;
  sagaRetryMaxMs: number;
  /** From confirmation to when the customer may expect the order. */
  promiseSeconds: { pickup: number; delivery: number };
  outboxSweepMs: number;
  /**
   * The saga's recovery sweep (application/recovery.ts): how often it looks, and how long an order
   * may rest in a step before it is looked at (a step cut short by a crash or an outage).
   */
  recovery: { sweepMs: number; stepDeadlineMs: number };
  notifications: { channel: 'log' } | { channel: 'webhook'; url: string };
  /**
   * At most this many notifications are sent a second, across every workers process. A message
   * provider takes only so many a second from a sender; and in a drop, hundreds of "we could not
   * take your order" notices would otherwise be sent in the same seconds as the answers to the
   * customers still waiting, on the same CPUs. The customer already has the answer; the notice
   * follows within seconds.
   */
  notificationsPerSecond: number;
  /** How long notifications are kept before the workers prune them. */
  notificationRetentionDays: number;
}

export function readOrderSettings(reader: EnvReader, _common: CommonConfig): OrderSettings {
  const channel = reader.oneOf('NOTIFICATION_CHANNEL', ['log', 'webhook'] as const, 'log');
  const webhookUrl = reader.string('NOTIFICATION_WEBHOOK_URL');
  if (channel === 'webhook') reader.require(Boolean(webhookUrl), 'NOTIFICATION_WEBHOOK_URL must be set when NOTIFICATION_CHANNEL is webhook');
  return {
    stockUrl: reader.url(urlVariable('stock'), defaultUrl('stock'), ['http:', 'https:']),
    paymentUrl: reader.url(urlVariable('payment'), defaultUrl('payment'), ['http:', 'https:']),
    deliveryUrl: reader.url(urlVariable('delivery'), defaultUrl('delivery'), ['http:', 'https:']),
    deliveryTimeoutMs: reader.int('DELIVERY_TIMEOUT_MS', 2_000, { min: 50, max: 60_000 }),
    stockTimeoutMs: reader.int('STOCK_TIMEOUT_MS', 3_000, { min: 50, max: 60_000 }),
    paymentTimeoutMs: reader.int('PAYMENT_TIMEOUT_MS', 1_000, { min: 50, max: 60_000 }),
    placements: {
      concurrency: reader.int('PLACEMENT_CONCURRENCY', 64, { min: 1, max: 1_000 }),
      maxQueue: reader.int('PLACEMENT_QUEUE_LIMIT', 2_000, { min: 0, max: 100_000 }),
      maxWaitMs: reader.int('PLACEMENT_QUEUE_WAIT_MS', 3_000, { min: 0, max: 60_000 }),
    },
    catalogueMaxAgeMs: reader.int('CATALOGUE_MAX_AGE_MS', 500, { min: 0, max: 60_000 }),
    paymentHoldMs: reader.int('PAYMENT_HOLD_MS', 15 * 60_000, { min: 1_000, max: 24 * 3_600_000 }),
    paymentRetryDelayMs: reader.int('PAYMENT_RETRY_DELAY_MS', 2_000, { min: 50, max: 600_000 }),
    sagaRetryMaxMs: reader.int('SAGA_RETRY_MAX_MS', 60_000, { min: 100, max: 3_600_000 }),
    promiseSeconds: {
      pickup: reader.int('PICKUP_PROMISE_SECONDS', 30 * 60, { min: 1, max: 24 * 3600 }),
      delivery: reader.int('DELIVERY_PROMISE_SECONDS', 60 * 60, { min: 1, max: 24 * 3600 }),
    },
    outboxSweepMs: reader.int('OUTBOX_SWEEP_MS', 5_000, { min: 100, max: 600_000 }),
    recovery: {
      sweepMs: reader.int('RECOVERY_SWEEP_MS', 5_000, { min: 100, max: 600_000 }),
      stepDeadlineMs: reader.int('SAGA_STEP_DEADLINE_MS', 15_000, { min: 1_000, max: 3_600_000 }),
    },
    notifications: channel === 'webhook' && webhookUrl ? { channel, url: webhookUrl } : { channel: 'log' },
    notificationsPerSecond: reader.int('NOTIFICATIONS_PER_SECOND', 100, { min: 1, max: 100_000 }),
    notificationRetentionDays: reader.int('NOTIFICATION_RETENTION_DAYS', 90, { min: 1, max: 3_650 }),
  };
}
