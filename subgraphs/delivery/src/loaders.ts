import DataLoader from 'dataloader';
import { byId, recordLoader } from '../../../lib/loaders.js';
import type { KnownBakers } from './application/known-bakers.js';
import type { BakerRecord } from './store/baker.store.js';
import type { DeliveryRecord, DeliveryStore } from './store/delivery.store.js';

/** One request's batched lookups (see lib/loaders.ts). */
export interface DeliveryLoaders {
  /** By delivery id, which is its order's id: serves both Delivery and Order.delivery. */
  delivery: DataLoader<string, DeliveryRecord | null>;
  baker: DataLoader<string, BakerRecord | null>;
  /** Open deliveries by baker id, counted for all the request's bakers in one query. */
  openOrders: DataLoader<string, number>;
}

export const createDeliveryLoaders = (deliveries: DeliveryStore, bakers: KnownBakers): DeliveryLoaders => ({
  delivery: recordLoader(async (ids) => byId(await deliveries.findMany(ids))),
  baker: recordLoader(async (ids) => byId(await bakers.findMany(ids))),
  openOrders: new DataLoader(async (bakerIds) => {
    const open = await deliveries.openOrdersOf(bakerIds);
    return bakerIds.map((id) => open.get(id) ?? 0);
  }),
});
