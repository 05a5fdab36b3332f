import type { EnvReader } from '../../../lib/config.js';
import type { SimulatedProviderSettings } from './provider/simulated-card-provider.js';

export interface PaymentSettings {
  provider: SimulatedProviderSettings;
}

/**
 * The payment subgraph's own settings, read once at start with the common ones:
 * `PAYMENT_PROVIDER_DELAY_MS` (default 0) slows every call to the card provider, and
 * `PAYMENT_PROVIDER_MODE` (`normal` | `failing`, default `normal`) makes it unreachable, for tests
 * and drills of the order saga's PAYMENT_PENDING path.
 */
export function readPaymentSettings(reader: EnvReader): PaymentSettings {
  return {
    provider: {
      delayMs: reader.int('PAYMENT_PROVIDER_DELAY_MS', 0, { min: 0, max: 60_000 }),
      mode: reader.oneOf('PAYMENT_PROVIDER_MODE', ['normal', 'failing'] as const, 'normal'),
    },
  };
}
