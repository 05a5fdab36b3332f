/**
 * The delivery context's handlers in the workers process: assignment on `delivery-events`, promise
 * checks on `promise-checks`, and the sweep of the deliveries' outboxes.
 */
import { Queues } from '../../../lib/events.js';
import { startEventWorker } from '../../../lib/queue-worker.js';
import { defineContextWorkers } from '../../../lib/worker-host.js';
import { deliveryEventsHandler } from './handlers/delivery-events.handler.js';
import { promiseChecksHandler } from './handlers/promise-checks.handler.js';
import { readDeliverySettings } from './settings.js';
import { buildDeliveryParts } from './wiring.js';

export const deliveryWorkers = defineContextWorkers({
  name: 'delivery',
  settings: readDeliverySettings,
  async start({ config, settings, db, redis, publisher, workers, log, shutdown }) {
    const delivery = await buildDeliveryParts({ config, settings, db, redis, publisher, log });
    shutdown.add('delivery parts', () => delivery.close());

    delivery.relay.start(settings.outboxSweepMs);
    shutdown.add('delivery outbox relay', () => delivery.relay.stop());

    // One at a time, so "the fewest open orders" is counted exactly.
    startEventWorker(Queues.deliveryEvents, deliveryEventsHandler(delivery.assignment), workers, { concurrency: 1 });
    startEventWorker(Queues.promiseChecks, promiseChecksHandler(delivery.promises), workers);
  },
});
