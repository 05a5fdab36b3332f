import { isEvent, type EventJob } from '../../../../lib/events.js';
import { statusMessage, type Notifier } from '../notifications/notifier.js';

/** Every status change the customer can see becomes one notification. */
export function notificationsHandler(notifier: Notifier) {
  return async (job: EventJob): Promise<void> => {
    if (!isEvent(job, 'OrderStatusChanged')) return;
    const { orderId, customerId, status, reason } = job.payload;
    await notifier.notify({ id: job.eventId, customerId, orderId, kind: status, message: statusMessage(status, reason) });
  };
}
