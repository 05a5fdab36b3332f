import { runSubgraph } from '../../../lib/subgraph-main.js';
import type { DeliveryContext } from './context.js';
import { KnownBakers } from './application/known-bakers.js';
import { createDeliveryLoaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';
import { seedBakers } from './seed.js';
import { readDeliverySettings, type DeliverySettings } from './settings.js';
import { buildDeliveryParts } from './wiring.js';

runSubgraph<DeliveryContext, DeliverySettings>({
  name: 'delivery',
  schema: new URL('../schema.graphql', import.meta.url),
  settings: readDeliverySettings,
  async build({ config, settings, db, redis, log, shutdown }) {
    // Flushes right after staff moves; the workers process sweeps whatever this misses.
    const delivery = await buildDeliveryParts({ config, settings, db, redis, log });
    shutdown.add('delivery parts', () => delivery.close());
    if (config.seedDemoData) await seedBakers(delivery.bakers, log);
    const { bakers, deliveries, progress } = delivery;
    const known = new KnownBakers(bakers, { maxAgeMs: settings.bakerMaxAgeMs });
    return { resolvers, context: (base) => ({ ...base, bakers, deliveries, progress, loaders: createDeliveryLoaders(deliveries, known) }) };
  },
});
