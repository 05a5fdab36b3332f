import { Queue } from 'bullmq';
import { serviceTokenSource } from '../../../lib/auth.js';
import { Queues, type PromiseCheckJob } from '../../../lib/events.js';
import { DEFAULT_JOB_OPTIONS, EventPublisher, OutboxRelay } from '../../../lib/outbox.js';
import { ServiceClient } from '../../../lib/service-client.js';
import type { ContextPartsDependencies } from '../../../lib/worker-host.js';
import { BakerAssignment } from './application/baker-assignment.js';
import { flushWith } from './application/delivery-outbox.js';
import { DeliveryProgress } from './application/delivery-progress.js';
import { PromiseChecks } from './application/promise-checks.js';
import { OrderClient } from './clients/order.client.js';
import type { DeliverySettings } from './settings.js';
import { BakerStore } from './store/baker.store.js';
import { DeliveryStore } from './store/delivery.store.js';

export interface DeliveryParts {
  bakers: BakerStore;
  deliveries: DeliveryStore;
  relay: OutboxRelay;
  progress: DeliveryProgress;
  assignment: BakerAssignment;
  promises: PromiseChecks;
  close(): Promise<void>;
}

/** The delivery context's parts on its own database; the subgraph and the workers build it alike. */
export async function buildDeliveryParts(deps: ContextPartsDependencies<DeliverySettings>): Promise<DeliveryParts> {
  const { config, settings, db, redis, log } = deps;
  const bakers = new BakerStore(db);
  const deliveries = new DeliveryStore(db);
  await Promise.all([bakers.init(), deliveries.init()]);

  const ownsPublisher = !deps.publisher;
  const publisher = deps.publisher ?? new EventPublisher(redis, config.redisPrefix);
  const relay = new OutboxRelay(deliveries.collection, publisher, log);
  const flush = flushWith(relay);
  const orderClient = new ServiceClient({
    service: 'order',
    url: settings.orderUrl,
    token: serviceTokenSource(config.auth, 'delivery'),
    log,
    timeoutMs: settings.serviceTimeoutMs,
  });
  // The publisher's queues carry EventJobs; promise checks carry their own job type.
  const promiseQueue = new Queue<PromiseCheckJob>(Queues.promiseChecks, {
    connection: redis,
    prefix: config.redisPrefix,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  const promises = new PromiseChecks(deliveries, promiseQueue, flush, log);

  return {
    bakers,
    deliveries,
    relay,
    progress: new DeliveryProgress(deliveries, flush, new OrderClient(orderClient)),
    assignment: new BakerAssignment(deliveries, bakers, promises, flush, log),
    promises,
    async close() {
      await relay.stop();
      orderClient.shutdown();
      await promiseQueue.close();
      if (ownsPublisher) await publisher.close();
    },
  };
}
