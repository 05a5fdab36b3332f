/**
 * Live notices for subscriptions: small messages on Redis pub/sub that say what changed (ids, the
 * new status or level, when). Every gateway process listens and resolves what its own subscribers
 * selected. Notices may repeat (a relay retry) and carry no data a subscriber may not see.
 */
import type { Redis } from 'ioredis';
import type { OrderStatusName } from './statuses.js';

export const LiveChannels = {
  orderStatus: 'live:order-status',
  stock: 'live:stock',
} as const;
export type LiveChannel = (typeof LiveChannels)[keyof typeof LiveChannels];

/** An order's status changed. `at` is the instant of its history entry (ISO). */
export interface OrderStatusNotice {
  orderId: string;
  customerId: string;
  status: OrderStatusName;
  at: string;
}

/** A product's stock level changed. */
export interface StockNotice {
  productId: string;
  available: number;
  soldOut: boolean;
  active: boolean;
  at: string;
}

export interface LiveNotices {
  [LiveChannels.orderStatus]: OrderStatusNotice;
  [LiveChannels.stock]: StockNotice;
}

export const liveChannelKey = (prefix: string, channel: LiveChannel): string => `${prefix}:${channel}`;

export async function publishNotice<C extends LiveChannel>(redis: Redis, prefix: string, channel: C, notice: LiveNotices[C]): Promise<void> {
  await redis.publish(liveChannelKey(prefix, channel), JSON.stringify(notice));
}
