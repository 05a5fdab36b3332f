/**
 * The workers process: hosts the contexts' BullMQ processors (assignment, notifications, payment
 * retries, promise checks, events between contexts). It serves only health endpoints over HTTP.
 */
import http from 'node:http';
import express from 'express';
import { EnvReader, PORT_RANGE, readCommonConfig, type CommonConfig } from '../lib/config.js';
import { healthRouter } from '../lib/health.js';
import { Shutdown, runMain } from '../lib/lifecycle.js';
import { createLogger } from '../lib/logger.js';
import { connectRedis, pingRedis } from '../lib/redis.js';

let config: CommonConfig;
let port: number;
try {
  const reader = new EnvReader();
  config = readCommonConfig(reader);
  port = reader.int('WORKERS_PORT', 4005, PORT_RANGE);
  reader.done();
} catch (error) {
  console.error(`workers: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const log = createLogger('workers', config.logLevel);

runMain(log, async () => {
  const shutdown = new Shutdown(log);
  shutdown.onSignals();
  const redis = connectRedis(config.redisUrl, 'workers');
  shutdown.add('redis', () => redis.quit());

  const app = express();
  app.use(healthRouter({ redis: () => pingRedis(redis) }));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(port, config.host, resolve));
  shutdown.add('http', () => new Promise<void>((resolve) => server.close(() => resolve())));
  log.info({ port }, 'workers ready');
});
