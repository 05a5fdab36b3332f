import { runSubgraph } from '../../../lib/subgraph-main.js';
import type { PaymentContext } from './context.js';
import { createPaymentLoaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';
import { readPaymentSettings, type PaymentSettings } from './settings.js';
import { buildPaymentParts } from './wiring.js';

runSubgraph<PaymentContext, PaymentSettings>({
  name: 'payment',
  schema: new URL('../schema.graphql', import.meta.url),
  settings: readPaymentSettings,
  async build({ db, log, settings }) {
    const { payments, wallets } = await buildPaymentParts({ settings, db, log });
    if (settings.provider.mode !== 'normal' || settings.provider.delayMs > 0) {
      log.warn(settings.provider, 'the simulated card provider is slowed or failing on purpose');
    }
    return { resolvers, context: (base) => ({ ...base, payments, wallets, loaders: createPaymentLoaders(payments) }) };
  },
});
