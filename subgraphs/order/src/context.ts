import type { RequestContext } from '../../../lib/subgraph-server.js';
import type { OrderQueries } from './application/order-queries.js';
import type { OrderSaga } from './application/order-saga.js';
import type { OrderLoaders } from './loaders.js';

export interface OrderContext extends RequestContext {
  orderQueries: OrderQueries;
  saga: OrderSaga;
  /** Made anew for each request. */
  loaders: OrderLoaders;
}
