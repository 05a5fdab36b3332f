import type { RequestContext } from '../../../lib/subgraph-server.js';
import type { DeliveryProgress } from './application/delivery-progress.js';
import type { DeliveryLoaders } from './loaders.js';
import type { BakerStore } from './store/baker.store.js';
import type { DeliveryStore } from './store/delivery.store.js';

export interface DeliveryContext extends RequestContext {
  bakers: BakerStore;
  deliveries: DeliveryStore;
  progress: DeliveryProgress;
  /** Made anew for each request. */
  loaders: DeliveryLoaders;
}
