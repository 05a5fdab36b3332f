import { isEvent, type EventJob } from '../../../../lib/events.js';
import type { OrderSaga } from '../application/order-saga.js';
import { DELAY_MESSAGE, type Notifier } from '../notifications/notifier.js';
import type { OrderStore } from '../store/order.store.js';

/** What the delivery context tells the order context: the order follows its delivery. */
export function orderEventsHandler(saga: OrderSaga, orders: OrderStore, notifier: Notifier) {
  return async (job: EventJob): Promise<void> => {
    if (isEvent(job, 'BakerAssigned')) {
      await saga.recordDeliveryProgress(job.payload.orderId, 'ASSIGNED', job.payload.bakerName);
    } else if (isEvent(job, 'DeliveryProgressed')) {
      await saga.recordDeliveryProgress(job.payload.orderId, job.payload.status);
    } else if (isEvent(job, 'DeliveryDelayed')) {
      await saga.recordDelay(job.payload.orderId);
      const order = await orders.find(job.payload.orderId);
      if (order) {
        await notifier.notify({ id: job.eventId, customerId: order.customerId, orderId: order.id, kind: 'DELIVERY_DELAYED', message: DELAY_MESSAGE });
      }
    }
  };
}
