import type { RequestContext } from '../../../lib/subgraph-server.js';
import type { OrderQueries } from './application/order-queries.js';

export interface OrderContext extends RequestContext {
  orderQueries: OrderQueries;
}
