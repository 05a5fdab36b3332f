import type { RequestContext } from '../../../lib/subgraph-server.js';
import type { EndEarly } from './application/end-early.js';
import type { FollowDelivery } from './application/follow-delivery.js';
import type { OrderQueries } from './application/order-queries.js';
import type { PlaceOrder } from './application/place-order.js';
import type { OrderLoaders } from './loaders.js';

export interface OrderContext extends RequestContext {
  orderQueries: OrderQueries;
  placing: PlaceOrder;
  endings: EndEarly;
  delivery: FollowDelivery;
  /** Made anew for each request. */
  loaders: OrderLoaders;
}
