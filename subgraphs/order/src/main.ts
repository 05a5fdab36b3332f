import { runSubgraph } from '../../../lib/subgraph-main.js';
import type { OrderContext } from './context.js';
import { createOrderLoaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';
import { readOrderSettings } from './settings.js';
import { buildOrderParts } from './wiring.js';

runSubgraph<OrderContext, ReturnType<typeof readOrderSettings>>({
  name: 'order',
  schema: new URL('../schema.graphql', import.meta.url),
  settings: readOrderSettings,
  async build({ config, settings, db, redis, log, shutdown }) {
    const order = await buildOrderParts({ config, settings, db, redis, log });
    shutdown.add('order parts', () => order.close());
    return {
      resolvers,
      context: (base) => ({
        ...base,
        orderQueries: order.queries,
        placing: order.placing,
        endings: order.endings,
        delivery: order.delivery,
        loaders: createOrderLoaders(order.queries),
      }),
    };
  },
});
