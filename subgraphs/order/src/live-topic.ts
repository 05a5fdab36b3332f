/**
 * The order context's live topic: `orderStatusChanged`. Its notices are announced by the order's
 * outbox relay, from each OrderStatusChanged event, before the event's consumers hear of it.
 */
import { hasRole } from '../../../lib/auth.js';
import type { OutboxEvent } from '../../../lib/events.js';
import type { Announcement, LiveTopic } from '../../../lib/live.js';
import type { OrderStatus } from './domain/order.js';

/** An order's status changed. `at` is the instant of its history entry (ISO). */
export interface OrderStatusNotice {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  at: string;
}

export const orderStatusTopic: LiveTopic<OrderStatusNotice> = {
  name: 'order',
  channel: 'live:order-status',
  subscription: { field: 'orderStatusChanged', argument: 'orderId', query: 'order' },
  entityId: (notice) => notice.orderId,
  // Following one order: its read decides (someone else's order looks exactly like a missing one).
  audience: {
    public: false,
    signIn: 'sign in to follow orders',
    mayFollow: (notice, viewer) => hasRole(viewer, 'STAFF') || notice.customerId === viewer?.id,
  },
  changeKey: (notice) => `order:${notice.orderId}:${notice.status}:${notice.at}`,
  pinned: ['status'],
  pin: (notice) => ({ status: notice.status }),
  history: {
    field: 'history',
    entryOf: (notice) => ({ status: notice.status, at: notice.at }),
    pinAt: (entry) => ({ status: entry.status }),
  },
};

/** The live notice an outbox event announces, if any. */
export function announceStatusChange(event: OutboxEvent): Announcement<OrderStatusNotice> | null {
  if (event.type !== 'OrderStatusChanged') return null;
  const { orderId, customerId, status, at } = (event as OutboxEvent<'OrderStatusChanged'>).payload;
  return { topic: orderStatusTopic, notice: { orderId, customerId, status, at } };
}
