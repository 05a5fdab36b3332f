import type { OrderStatusName } from '../../../../lib/statuses.js';
import type { NotificationStore } from '../store/notification.store.js';
import type { NotificationChannel, OutgoingNotification } from './channel.js';

const MESSAGES: Record<OrderStatusName, string> = {
  PAYMENT_PENDING: 'We are holding your order while we confirm your payment.',
  CONFIRMED: 'Your order is confirmed.',
  ASSIGNED: 'A baker has your order.',
  BAKING: 'Your order is in the oven.',
  READY: 'Your order is ready.',
  OUT_FOR_DELIVERY: 'Your order is on its way.',
  COMPLETED: 'Your order is complete. Enjoy!',
  CANCELLED: 'Your order was cancelled.',
  REJECTED: 'We could not take your order.',
};

export function statusMessage(status: OrderStatusName, reason: string | null): string {
  return reason ? `${MESSAGES[status]} (${reason})` : MESSAGES[status];
}

export const DELAY_MESSAGE = 'Your order is taking longer than we promised. Sorry, it is on its way.';

/**
 * One notification per event: stored under the event id (a repeat finds it), then sent once.
 * A failed send leaves it unsent and throws, so the queue retries with backoff.
 */
export class Notifier {
  constructor(
    private readonly store: NotificationStore,
    private readonly channel: NotificationChannel,
  ) {}

  async notify(notification: OutgoingNotification): Promise<void> {
    const stored = await this.store.insertOrGet({ ...notification, channel: this.channel.name });
    if (stored.sentAt) return;
    await this.channel.send(notification);
    await this.store.markSent(notification.id);
  }
}
