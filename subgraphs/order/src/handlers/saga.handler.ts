import { isEvent, type EventJob } from '../../../../lib/events.js';
import type { PaymentSettlement } from '../application/payment-settlement.js';
import type { SagaSteps } from '../application/saga-steps.js';

/** The saga's follow-up calls and compensations; a throw means "not yet", and the queue retries. */
export function sagaHandler(payment: PaymentSettlement, steps: SagaSteps) {
  return async (job: EventJob): Promise<void> => {
    if (isEvent(job, 'SettlePendingPayment')) await payment.settlePending(job.payload.orderId);
    else if (isEvent(job, 'ReleaseStock')) await steps.run('ReleaseStock', job.payload.orderId);
    else if (isEvent(job, 'RefundPayment')) await steps.run('RefundPayment', job.payload.orderId);
    else if (isEvent(job, 'CommitStock')) await steps.run('CommitStock', job.payload.orderId);
  };
}
