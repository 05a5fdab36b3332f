import { runSubgraph } from '../../../lib/subgraph-main.js';
import type { OrderContext } from './context.js';
import { createOrderLoaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';
import { readOrderSettings } from './settings.js';
import { buildOrderContext } from './wiring.js';

runSubgraph<OrderContext, ReturnType<typeof readOrderSettings>>({
  name: 'order',
  defaultPort: 4002,
  schema: new URL('../schema.graphql', import.meta.url),
  settings: readOrderSettings,
  async build({ config, settings, db, redis, log, shutdown }) {
    const context = await buildOrderContext({ config, settings, db, redis, log });
    shutdown.add('order context', () => context.close());
    return { resolvers, context: (base) => ({ ...base, orderQueries: context.queries, saga: context.saga, loaders: createOrderLoaders(context.queries) }) };
  },
});
