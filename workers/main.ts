/**
 * The workers process: hosts each context's BullMQ processors (assignment, notifications, payment
 * retries, promise checks, events between contexts) and its outbox sweep. Each context's rules
 * live in its own folder; this file only wires them to queues. It serves health endpoints only.
 */
import http from 'node:http';
import { setPriority } from 'node:os';
import express from 'express';
import { DEFAULT_PORTS, portVariable } from '../lib/addresses.js';
import { PORT_RANGE, readCommonConfig, readConfigOrExit } from '../lib/config.js';
import { healthRouter } from '../lib/health.js';
import { Shutdown, runMain } from '../lib/lifecycle.js';
import { createLogger } from '../lib/logger.js';
import { startTelemetry } from '../lib/telemetry.js';
import { createMetrics, JobMetrics, metricsRouter, storeCommandMetrics } from '../lib/metrics.js';
import { closeDatabase, connectDatabase, pingDatabase } from '../lib/mongo.js';
import { EventPublisher } from '../lib/outbox.js';
import { closeRedis, connectRedis, pingRedis } from '../lib/redis.js';
import type { ContextWorkers } from '../lib/worker-host.js';
import { CONTEXT_WORKERS } from './contexts.js';

const { config, port, lockDurationMs, niceness, contexts } = readConfigOrExit('workers', (reader) => {
  const common = readCommonConfig(reader);
  return {
    config: common,
    port: reader.int(portVariable('workers'), DEFAULT_PORTS.workers, PORT_RANGE),
    lockDurationMs: reader.int('WORKER_LOCK_MS', 30_000, { min: 1_000, max: 600_000 }),
    niceness: reader.int('WORKERS_NICE', 10, { min: 0, max: 19 }),
    contexts: CONTEXT_WORKERS.map((context): { context: ContextWorkers; settings: unknown } => ({ context, settings: context.settings(reader, common) })),
  };
});
const log = createLogger('workers', config.logLevel);

runMain(log, async () => {
  // Jobs (notifications, the saga's next steps, assignment) can wait a moment; answers cannot.
  // Behind the request path in the CPU's queue, a drop's answers come first where the workers
  // share cores with the services, and the jobs catch up as soon as the rush passes. Lowering
  // one's own priority needs no privilege. WORKERS_NICE=0 keeps the default.
  if (niceness > 0) {
    try {
      setPriority(niceness);
    } catch (error) {
      log.warn({ err: error, niceness }, 'could not lower the workers priority');
    }
  }
  const shutdown = new Shutdown(log);
  shutdown.onSignals();
  // First in, so last out: spans of the shutdown itself are still sent.
  const telemetry = await startTelemetry('workers');
  shutdown.add('telemetry', () => telemetry.shutdown());
  const redis = connectRedis(config.redisUrl, 'workers');
  shutdown.add('redis', () => closeRedis(redis));
  const workerRedis = connectRedis(config.redisUrl, 'workers-blocking', { forWorkers: true });
  shutdown.add('redis for workers', () => closeRedis(workerRedis));
  const publisher = new EventPublisher(redis, config.redisPrefix);
  shutdown.add('publisher', () => publisher.close());
  const metrics = createMetrics('workers');
  const jobMetrics = new JobMetrics(metrics, redis, config.redisPrefix);
  shutdown.add('job metrics', () => jobMetrics.close());

  const checks: Record<string, () => Promise<void>> = { redis: () => pingRedis(redis) };
  for (const { context, settings } of contexts) {
    const db = await connectDatabase(config.mongoUrl, `${config.dbPrefix}_${context.name}`);
    shutdown.add(`${context.name} database`, () => closeDatabase(db));
    checks[`${context.name} database`] = () => pingDatabase(db);
    storeCommandMetrics(metrics, db);
    const contextLog = log.child({ context: context.name });
    await context.start({
      config,
      settings,
      db,
      redis,
      publisher,
      workers: { connection: workerRedis, prefix: config.redisPrefix, log: contextLog, shutdown, lockDurationMs, metrics: jobMetrics },
      log: contextLog,
      shutdown,
    });
  }

  const app = express();
  app.use(healthRouter(checks));
  app.use(metricsRouter(metrics));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(port, config.host, resolve));
  shutdown.add('http', () => new Promise<void>((resolve) => server.close(() => resolve())));
  log.info({ port, contexts: contexts.map(({ context }) => context.name) }, 'workers ready');
});
