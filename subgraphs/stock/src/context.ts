import type { RequestContext } from '../../../lib/subgraph-server.js';
import type { Catalogue } from './application/catalogue.js';
import type { Reservations } from './application/reservations.js';
import type { StockLoaders } from './loaders.js';

export interface StockContext extends RequestContext {
  catalogue: Catalogue;
  reservations: Reservations;
  /** Made anew for each request. */
  loaders: StockLoaders;
}
