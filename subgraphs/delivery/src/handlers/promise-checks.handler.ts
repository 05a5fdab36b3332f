import { UnrecoverableError } from 'bullmq';
import { isPromiseCheckJob } from '../../../../lib/events.js';
import type { PromiseChecks } from '../application/promise-checks.js';

/** At an order's promise time: an order still open is recorded as delayed. */
export function promiseChecksHandler(promises: PromiseChecks) {
  return async (job: unknown): Promise<void> => {
    if (!isPromiseCheckJob(job)) throw new UnrecoverableError('a promise check names no orderId');
    await promises.check(job.orderId);
  };
}
