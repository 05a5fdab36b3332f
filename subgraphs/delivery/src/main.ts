import { runSubgraph } from '../../../lib/subgraph-main.js';
import type { DeliveryContext } from './context.js';
import { resolvers } from './resolvers/index.js';
import { seedBakers } from './seed.js';
import { BakerStore } from './store/baker.store.js';
import { DeliveryStore } from './store/delivery.store.js';

runSubgraph<DeliveryContext>({
  name: 'delivery',
  defaultPort: 4004,
  schema: new URL('../schema.graphql', import.meta.url),
  async build({ config, db, log }) {
    const bakers = new BakerStore(db);
    const deliveries = new DeliveryStore(db);
    await Promise.all([bakers.init(), deliveries.init()]);
    if (config.seedDemoData) await seedBakers(bakers, log);
    return { resolvers, context: (base) => ({ ...base, bakers, deliveries }) };
  },
});
