import type DataLoader from 'dataloader';
import { byId, recordLoader } from '../../../lib/loaders.js';
import type { Payments } from './application/payments.js';
import type { PaymentRecord } from './store/payment.store.js';

/** One request's batched lookups (see lib/loaders.ts). */
export interface PaymentLoaders {
  /** By payment id, which is its order's id: serves both Payment and Order.payment. */
  payment: DataLoader<string, PaymentRecord | null>;
}

export const createPaymentLoaders = (payments: Payments): PaymentLoaders => ({
  payment: recordLoader(async (ids) => byId(await payments.findMany(ids))),
});
