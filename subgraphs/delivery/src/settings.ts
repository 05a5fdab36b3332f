import { defaultUrl, urlVariable } from '../../../lib/addresses.js';
import type { CommonConfig, EnvReader } from '../../../lib/config.js';

/** The delivery context's settings, shared by its subgraph process and its workers. */
export interface DeliverySettings {
  /** The order subgraph, told at once when staff move a delivery on. */
  orderUrl: string;
  /** How long that call may take before the breaker counts it as failed. */
  serviceTimeoutMs: number;
  /** How often the workers publish what a crash or an outage left in the deliveries' outboxes. */
  outboxSweepMs: number;
  /** How long the subgraph answers a baker it read from memory (KnownBakers). */
  bakerMaxAgeMs: number;
}

export function readDeliverySettings(reader: EnvReader, _common: CommonConfig): DeliverySettings {
  return {
    orderUrl: reader.url(urlVariable('order'), defaultUrl('order'), ['http:', 'https:']),
    serviceTimeoutMs: reader.int('SERVICE_TIMEOUT_MS', 1_000, { min: 50, max: 60_000 }),
    outboxSweepMs: reader.int('OUTBOX_SWEEP_MS', 5_000, { min: 100, max: 600_000 }),
    bakerMaxAgeMs: reader.int('BAKER_MAX_AGE_MS', 10_000, { min: 0, max: 3_600_000 }),
  };
}
