/**
 * The order context's handlers in the workers process: what other contexts tell it, the saga's
 * retried steps, customer notifications, and the sweeps that publish left-over outbox events and
 * finish or compensate sagas a dead process or an outage left half-done (application/recovery.ts).
 */
import { Queues } from '../../../lib/events.js';
import { startEventWorker } from '../../../lib/queue-worker.js';
import { defineContextWorkers } from '../../../lib/worker-host.js';
import { notificationsHandler } from './handlers/notifications.handler.js';
import { orderEventsHandler } from './handlers/order-events.handler.js';
import { sagaHandler } from './handlers/saga.handler.js';
import { LogChannel, WebhookChannel } from './notifications/channel.js';
import { Notifier } from './notifications/notifier.js';
import { readOrderSettings } from './settings.js';
import { buildOrderParts } from './wiring.js';

/** Notifications past their retention are deleted a day at a time; hourly is plenty. */
const NOTIFICATION_PRUNE_MS = 3_600_000;
/** Notification jobs handled at once: each is one small insert and one send. */
const NOTIFICATIONS_AT_ONCE = 50;

export const orderWorkers = defineContextWorkers({
  name: 'order',
  settings: readOrderSettings,
  async start({ config, settings, db, redis, publisher, workers, log, shutdown }) {
    const order = await buildOrderParts({ config, settings, db, redis, publisher, log });
    shutdown.add('order parts', () => order.close());
    const channel = settings.notifications.channel === 'webhook' ? new WebhookChannel(settings.notifications.url) : new LogChannel(log);
    const notifier = new Notifier(order.notifications, channel);

    // One at a time, so reports about one order are applied in the order they were sent.
    startEventWorker(Queues.orderEvents, orderEventsHandler(order.delivery, order.orders, notifier), workers, { concurrency: 1 });
    startEventWorker(Queues.orderSaga, sagaHandler(order.payment, order.sagaSteps), workers, { concurrency: 4, backoffMaxMs: settings.sagaRetryMaxMs });
    // Many at a time: their stores go to the store together (NotificationStore), which is what
    // keeps a drop's hundreds of refusal notices from taking one insert each.
    startEventWorker(Queues.notifications, notificationsHandler(notifier), workers, {
      concurrency: NOTIFICATIONS_AT_ONCE,
      limiter: { max: settings.notificationsPerSecond, durationMs: 1_000 },
    });

    order.relay.start(settings.outboxSweepMs);
    shutdown.add('order outbox sweep', () => order.relay.stop());
    const stopRecovery = order.recovery.start(settings.recovery.sweepMs);
    shutdown.add('saga recovery sweep', stopRecovery);
    const prune = setInterval(() => {
      order.notifications
        .prune()
        .then((deleted) => deleted > 0 && log.info({ deleted }, 'old notifications pruned'))
        .catch((error: unknown) => log.warn({ err: error }, 'notification pruning failed'));
    }, NOTIFICATION_PRUNE_MS);
    shutdown.add('notification pruning', () => clearInterval(prune));
  },
});
