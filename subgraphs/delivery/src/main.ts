import { serviceTokenSource } from '../../../lib/auth.js';
import { EventPublisher, OutboxRelay } from '../../../lib/outbox.js';
import { ServiceClient } from '../../../lib/service-client.js';
import { runSubgraph } from '../../../lib/subgraph-main.js';
import { flushWith } from './application/delivery-outbox.js';
import { DeliveryProgress } from './application/delivery-progress.js';
import { OrderClient } from './clients/order.client.js';
import type { DeliveryContext } from './context.js';
import { createDeliveryLoaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';
import { seedBakers } from './seed.js';
import { readDeliverySettings, type DeliverySettings } from './settings.js';
import { BakerStore } from './store/baker.store.js';
import { DeliveryStore } from './store/delivery.store.js';

runSubgraph<DeliveryContext, DeliverySettings>({
  name: 'delivery',
  defaultPort: 4004,
  schema: new URL('../schema.graphql', import.meta.url),
  settings: readDeliverySettings,
  async build({ config, settings, db, redis, log, shutdown }) {
    const bakers = new BakerStore(db);
    const deliveries = new DeliveryStore(db);
    await Promise.all([bakers.init(), deliveries.init()]);
    if (config.seedDemoData) await seedBakers(bakers, log);

    // Flushes right after staff moves; the workers process sweeps whatever this misses.
    const publisher = new EventPublisher(redis, config.redisPrefix);
    shutdown.add('publisher', () => publisher.close());
    const relay = new OutboxRelay(deliveries.collection, publisher, log);
    const order = new OrderClient(
      new ServiceClient({
        service: 'order',
        url: settings.orderUrl,
        token: serviceTokenSource(config.auth, 'delivery'),
        log,
        timeoutMs: settings.serviceTimeoutMs,
      }),
    );
    shutdown.add('order client', () => order.shutdown());

    const progress = new DeliveryProgress(deliveries, flushWith(relay), order);
    return { resolvers, context: (base) => ({ ...base, bakers, deliveries, progress, loaders: createDeliveryLoaders(deliveries, bakers) }) };
  },
});
