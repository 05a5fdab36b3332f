import { isEvent, type EventJob } from '../../../../lib/events.js';
import type { FollowDelivery } from '../application/follow-delivery.js';
import { DELAY_MESSAGE, type Notifier } from '../notifications/notifier.js';
import type { OrderStore } from '../store/order.store.js';

/** What the delivery context tells the order context: the order follows its delivery. */
export function orderEventsHandler(delivery: FollowDelivery, orders: OrderStore, notifier: Notifier) {
  return async (job: EventJob): Promise<void> => {
    if (isEvent(job, 'BakerAssigned')) {
      await delivery.recordProgress(job.payload.orderId, 'ASSIGNED', job.payload.bakerName);
    } else if (isEvent(job, 'DeliveryProgressed')) {
      await delivery.recordProgress(job.payload.orderId, job.payload.status);
    } else if (isEvent(job, 'DeliveryDelayed')) {
      await delivery.recordDelay(job.payload.orderId);
      const order = await orders.find(job.payload.orderId);
      if (order) {
        await notifier.notify({ id: job.eventId, customerId: order.customerId, orderId: order.id, kind: 'DELIVERY_DELAYED', message: DELAY_MESSAGE });
      }
    }
  };
}
