import { runSubgraph } from '../../../lib/subgraph-main.js';
import { OrderQueries } from './application/order-queries.js';
import type { OrderContext } from './context.js';
import { resolvers } from './resolvers/index.js';
import { NotificationStore } from './store/notification.store.js';
import { OrderStore } from './store/order.store.js';

runSubgraph<OrderContext>({
  name: 'order',
  defaultPort: 4002,
  schema: new URL('../schema.graphql', import.meta.url),
  async build({ db }) {
    const orders = new OrderStore(db);
    const notifications = new NotificationStore(db);
    await Promise.all([orders.init(), notifications.init()]);

    const orderQueries = new OrderQueries(orders, notifications);
    return { resolvers, context: (base) => ({ ...base, orderQueries }) };
  },
});
