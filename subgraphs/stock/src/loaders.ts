import type DataLoader from 'dataloader';
import { byId, recordLoader } from '../../../lib/loaders.js';
import type { ProductRecord, ProductStore } from './store/product.store.js';

/** One request's batched lookups (see lib/loaders.ts): every product the request names, in one query. */
export interface StockLoaders {
  product: DataLoader<string, ProductRecord | null>;
}

export const createStockLoaders = (products: ProductStore): StockLoaders => ({
  product: recordLoader(async (ids) => byId(await products.findMany(ids))),
});
