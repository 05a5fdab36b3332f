/**
 * BullMQ consumers, one shape for every context: a Worker per queue that hands each job's event to
 * the context's handler. A handler that throws is retried with the job's backoff; one that throws
 * `UnrecoverableError`, or an error whose code no retry can change (see `failsForGood`), fails at
 * once. Failed jobs are kept for inspection.
 */
import { UnrecoverableError, Worker, type Job, type MinimalJob } from 'bullmq';
import { ErrorCode, isAppError } from './errors.js';
import type { Redis } from 'ioredis';
import type { EventJob, QueueName } from './events.js';
import type { Shutdown } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { JobMetrics } from './metrics.js';
import { inSpan } from './telemetry.js';

export interface WorkerSettings {
  /** A connection made with `connectRedis(..., { forWorkers: true })`. */
  connection: Redis;
  prefix: string;
  log: Logger;
  shutdown: Shutdown;
  /** How long a job is locked to its worker; a dead worker's job is retried after this. */
  lockDurationMs: number;
  /** Counts each queue's jobs for /metrics. */
  metrics?: JobMetrics;
}

/** What a handler returns is kept as the job's result (the queue board shows it). */
export type EventHandler = (job: EventJob, attempt: Job<EventJob>) => Promise<unknown>;

/**
 * Codes that say the job asks for something the data will not allow however often it is tried
 * (an order already past the step, a payload that is not valid): retrying only fills the queue.
 */
const UNCHANGEABLE: ReadonlySet<string> = new Set([ErrorCode.InvalidTransition, ErrorCode.BadUserInput]);

/** The error as BullMQ should see it: an `UnrecoverableError` when no retry can change the outcome. */
export function failsForGood(error: unknown): unknown {
  if (isAppError(error) && UNCHANGEABLE.has(error.code)) return new UnrecoverableError(`${error.code}: ${error.message}`);
  return error;
}

export interface EventWorkerOptions {
  /** @defaultValue 4 */
  concurrency?: number;
  /** Ceiling of the `capped` backoff: delay doubles per attempt up to this. @defaultValue 60000 */
  backoffMaxMs?: number;
  /** At most `max` jobs started per `durationMs`, across every worker of the queue (BullMQ's rate limiter). */
  limiter?: { max: number; durationMs: number };
}

export function startEventWorker(queue: QueueName, handle: EventHandler, settings: WorkerSettings, options: EventWorkerOptions = {}): Worker<EventJob> {
  const backoffMaxMs = options.backoffMaxMs ?? 60_000;
  const log = settings.log.child({ queue });
  const hangAfterHandler = hangHook(queue);
  const worker = new Worker<EventJob>(
    queue,
    // Each job continues the trace of the operation that caused its event.
    async (job) =>
      inSpan(
        `${queue} ${job.data.type}`,
        'consumer',
        job.data.trace,
        { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.message.id': job.id ?? '' },
        async () => {
          let result: unknown;
          try {
            result = await handle(job.data, job);
          } catch (error) {
            throw failsForGood(error);
          }
          if (hangAfterHandler) await hangAfterHandler(settings.connection, settings.prefix, job);
          return result;
        },
      ),
    {
      connection: settings.connection,
      prefix: settings.prefix,
      concurrency: options.concurrency ?? 4,
      ...(options.limiter ? { limiter: { max: options.limiter.max, duration: options.limiter.durationMs } } : {}),
      lockDuration: settings.lockDurationMs,
      stalledInterval: Math.max(500, Math.floor(settings.lockDurationMs / 2)),
      maxStalledCount: 5,
      settings: {
        // `capped`: exponential from the job's delay, never longer than backoffMaxMs.
        backoffStrategy: (attemptsMade: number, type?: string, _error?: Error, job?: MinimalJob) => {
          const base = typeof job?.opts.backoff === 'object' ? (job.opts.backoff.delay ?? 1_000) : 1_000;
          return type === 'capped' ? Math.min(base * 2 ** Math.max(0, attemptsMade - 1), backoffMaxMs) : base;
        },
      },
    },
  );
  worker.on('failed', (job, error) => {
    log.warn({ err: error, jobId: job?.id, type: job?.data.type, attempt: job?.attemptsMade, requestId: job?.data.trace?.requestId }, 'job failed');
  });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  settings.metrics?.watch(queue, worker);
  // Finish the job in hand, take no new one. With Redis gone there is nothing to hand a result to,
  // and the close would wait for Redis forever: the job in hand is retried once its lock runs out.
  settings.shutdown.add(`worker ${queue}`, () => (settings.connection.status === 'ready' ? worker.close() : undefined), {
    force: () => worker.disconnect(),
  });
  return worker;
}

/**
 * Fault injection for tests only (NODE_ENV=test): with TEST_HANG_AFTER_HANDLER set to a queue name,
 * the worker does a job's work, marks that in Redis, and then never acknowledges it, so a test can
 * kill the process at the worst moment (work done, queue not told) and check the retry is harmless.
 */
function hangHook(queue: QueueName) {
  if (process.env.NODE_ENV !== 'test' || process.env.TEST_HANG_AFTER_HANDLER !== queue) return undefined;
  return async (redis: Redis, prefix: string, job: Job<EventJob>): Promise<never> => {
    await redis.set(`${prefix}:test:hung:${queue}`, job.id ?? '');
    return new Promise<never>(() => {});
  };
}
