/**
 * The delivery context's handlers in the workers process: assignment on `delivery-events`, promise
 * checks on `promise-checks`, and the sweep of the deliveries' outboxes.
 */
import { Queue, UnrecoverableError } from 'bullmq';
import { isEvent, Queues } from '../../../lib/events.js';
import { DEFAULT_JOB_OPTIONS, OutboxRelay } from '../../../lib/outbox.js';
import { startEventWorker } from '../../../lib/queue-worker.js';
import { defineContextWorkers } from '../../../lib/worker-host.js';
import { BakerAssignment } from './application/baker-assignment.js';
import { flushWith } from './application/delivery-outbox.js';
import { isPromiseCheckJob, PromiseChecks, type PromiseCheckJob } from './application/promise-checks.js';
import { readDeliverySettings } from './settings.js';
import { BakerStore } from './store/baker.store.js';
import { DeliveryStore } from './store/delivery.store.js';

export const deliveryWorkers = defineContextWorkers({
  name: 'delivery',
  settings: readDeliverySettings,
  async start({ config, settings, db, redis, publisher, workers, log, shutdown }) {
    const bakers = new BakerStore(db);
    const deliveries = new DeliveryStore(db);
    await Promise.all([bakers.init(), deliveries.init()]);

    const relay = new OutboxRelay(deliveries.collection, publisher, log);
    const flush = flushWith(relay);
    // The publisher's queues carry EventJobs; promise checks carry their own job type.
    const promiseQueue = new Queue<PromiseCheckJob>(Queues.promiseChecks, {
      connection: redis,
      prefix: config.redisPrefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    });
    shutdown.add('delivery promise-check queue', () => promiseQueue.close());
    const promises = new PromiseChecks(deliveries, promiseQueue, flush, log);
    const assignment = new BakerAssignment(deliveries, bakers, promises, flush, log);

    relay.start(settings.outboxSweepMs);
    shutdown.add('delivery outbox relay', () => relay.stop());

    // One at a time, so "the fewest open orders" is counted exactly.
    startEventWorker(
      Queues.deliveryEvents,
      async (job) => {
        if (isEvent(job, 'OrderStatusChanged')) await assignment.onOrderStatusChanged(job.payload);
      },
      workers,
      { concurrency: 1 },
    );
    startEventWorker(
      Queues.promiseChecks,
      async (job) => {
        if (!isPromiseCheckJob(job)) throw new UnrecoverableError('a promise check names no orderId');
        await promises.check(job.orderId);
      },
      workers,
    );
  },
});
