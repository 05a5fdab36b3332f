import type DataLoader from 'dataloader';
import { byId, recordLoader } from '../../../lib/loaders.js';
import type { OrderQueries } from './application/order-queries.js';
import type { Order } from './domain/order.js';

/** One request's batched lookups (see lib/loaders.ts). */
export interface OrderLoaders {
  order: DataLoader<string, Order | null>;
}

export const createOrderLoaders = (queries: OrderQueries): OrderLoaders => ({
  order: recordLoader(async (ids) => byId(await queries.findMany(ids))),
});
