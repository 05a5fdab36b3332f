import { isEvent, type EventJob } from '../../../../lib/events.js';
import type { OrderSaga } from '../application/order-saga.js';

/** The saga's follow-up calls and compensations; a throw means "not yet", and the queue retries. */
export function sagaHandler(saga: OrderSaga) {
  return async (job: EventJob): Promise<void> => {
    if (isEvent(job, 'SettlePendingPayment')) await saga.settlePendingPayment(job.payload.orderId);
    else if (isEvent(job, 'ReleaseStock')) await saga.runStep('ReleaseStock', job.payload.orderId);
    else if (isEvent(job, 'RefundPayment')) await saga.runStep('RefundPayment', job.payload.orderId);
    else if (isEvent(job, 'CommitStock')) await saga.runStep('CommitStock', job.payload.orderId);
  };
}
