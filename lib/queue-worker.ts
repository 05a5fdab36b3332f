/**
 * BullMQ consumers, one shape for every context: a Worker per queue that hands each job's event to
 * the context's handler. A handler that throws is retried with the job's backoff; one that throws
 * `UnrecoverableError` fails at once. Failed jobs are kept for inspection.
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EventJob, QueueName } from './events.js';
import type { Shutdown } from './lifecycle.js';
import type { Logger } from './logger.js';

export interface WorkerSettings {
  /** A connection made with `connectRedis(..., { forWorkers: true })`. */
  connection: Redis;
  prefix: string;
  log: Logger;
  shutdown: Shutdown;
  /** How long a job is locked to its worker; a dead worker's job is retried after this. */
  lockDurationMs: number;
}

export type EventHandler = (job: EventJob, attempt: Job<EventJob>) => Promise<void>;

export function startEventWorker(queue: QueueName, handle: EventHandler, settings: WorkerSettings, options: { concurrency?: number } = {}): Worker<EventJob> {
  const log = settings.log.child({ queue });
  const worker = new Worker<EventJob>(
    queue,
    async (job) => {
      await handle(job.data, job);
    },
    {
      connection: settings.connection,
      prefix: settings.prefix,
      concurrency: options.concurrency ?? 4,
      lockDuration: settings.lockDurationMs,
      stalledInterval: Math.max(500, Math.floor(settings.lockDurationMs / 2)),
      maxStalledCount: 5,
    },
  );
  worker.on('failed', (job, error) => {
    log.warn({ err: error, jobId: job?.id, type: job?.data.type, attempt: job?.attemptsMade }, 'job failed');
  });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  // Finish the job in hand, take no new one.
  settings.shutdown.add(`worker ${queue}`, () => worker.close());
  return worker;
}
