/** The stock context's live topic: `stockChanged`, announced by StockNotices (application/stock-notices.ts). */
import type { LiveTopic } from '../../../lib/live.js';

/** A product's stock level changed. */
export interface StockNotice {
  productId: string;
  available: number;
  soldOut: boolean;
  active: boolean;
  at: string;
}

export const stockTopic: LiveTopic<StockNotice> = {
  name: 'product',
  channel: 'live:stock',
  subscription: { field: 'stockChanged', argument: 'productId', query: 'product' },
  entityId: (notice) => notice.productId,
  // Products and their levels are public and the same for every viewer.
  audience: { public: true },
  changeKey: (notice) => `stock:${notice.productId}:${notice.at}:${notice.available}`,
  pinned: ['available', 'soldOut', 'active'],
  pin: ({ available, soldOut, active }) => ({ available, soldOut, active }),
};
