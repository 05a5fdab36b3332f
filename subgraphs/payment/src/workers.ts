/**
 * The payment context's work in the workers process: the hourly clearing of settled payments from
 * their wallets (application/wallet-clearing.ts).
 */
import { Queue } from 'bullmq';
import { Queues } from '../../../lib/events.js';
import { startEventWorker } from '../../../lib/queue-worker.js';
import { defineContextWorkers } from '../../../lib/worker-host.js';
import { readPaymentSettings } from './settings.js';
import { buildPaymentParts } from './wiring.js';

const CLEARING_EVERY_MS = 3_600_000;

export const paymentWorkers = defineContextWorkers({
  name: 'payment',
  settings: readPaymentSettings,
  async start({ config, settings, db, redis, workers, log, shutdown }) {
    const { clearing, paymentStore } = await buildPaymentParts({ settings, db, log });
    const opened = await paymentStore.openUnmarkedWalletPayments();
    if (opened > 0) log.info({ opened }, 'wallet payments from before the clearing are now cleared like the others');

    // Every worker process upserts the same scheduler: one job an hour, whatever their number, and
    // global concurrency 1 keeps two runs from ever overlapping (a slow one and the next hour's).
    const queue = new Queue(Queues.walletClearing, { connection: redis, prefix: config.redisPrefix });
    shutdown.add('wallet clearing queue', () => queue.close());
    await queue.setGlobalConcurrency(1);
    await queue.upsertJobScheduler(
      'hourly',
      { every: CLEARING_EVERY_MS },
      { name: 'clear', opts: { attempts: 3, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: { count: 48 }, removeOnFail: { count: 48 } } },
    );
    startEventWorker(Queues.walletClearing, () => clearing.run(), workers, { concurrency: 1 });
  },
});
