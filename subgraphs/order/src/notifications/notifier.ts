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
 *
 * A channel that confirms receipt (the webhook) may refuse: the notification is stored unsent,
 * sent, then marked sent, and a failed send throws so the queue retries with backoff. Writing to
 * the log cannot fail in a way a retry would mend, so there the notification is stored as sent in
 * one write, then written: in a drop, every refused customer gets one, and a second write each
 * would double the store's work for them.
 */
export class Notifier {
  constructor(
    private readonly store: NotificationStore,
    private readonly channel: NotificationChannel,
  ) {}

  async notify(notification: OutgoingNotification): Promise<void> {
    const stored = { ...notification, channel: this.channel.name };
    if (!this.channel.confirmsReceipt) {
      const { inserted } = await this.store.insertOrGet(stored, new Date());
      if (inserted) await this.channel.send(notification);
      return;
    }
    const { notification: found } = await this.store.insertOrGet(stored);
    if (found.sentAt) return;
    await this.channel.send(notification);
    await this.store.markSent(notification.id);
  }
}
