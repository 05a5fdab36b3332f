/**
 * Local infrastructure for `npm start`, `npm test` and scripts: a MongoDB (the guarded FerretDB
 * unless MONGODB_URL is given) and a Redis (see redis.ts for which one).
 */
import { startFerretDB, type RunningFerretDB } from './ferretdb.js';
import { ensureRedis, type RunningRedis } from './redis.js';

export { ensureFerretDBBinary, startFerretDB, freePort, FERRETDB_BIN } from './ferretdb.js';
export type { FerretDBOptions, RunningFerretDB } from './ferretdb.js';
export { ensureRedis } from './redis.js';
export type { RunningRedis } from './redis.js';

export interface InfrastructureOptions {
  /** FerretDB's SQLite data directory (unused when a MongoDB URL is given). */
  dataDir: string;
  /** A running MongoDB; defaults to MONGODB_URL. When set, FerretDB is not started. */
  mongoUrl?: string;
  /** A running Redis; defaults to REDIS_URL. See ensureRedis. */
  redisUrl?: string;
}

export interface Infrastructure {
  mongoUrl: string;
  redisUrl: string;
  /** Stops only what this call started; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startInfrastructure(opts: InfrastructureOptions): Promise<Infrastructure> {
  const givenMongoUrl = opts.mongoUrl ?? process.env.MONGODB_URL;
  const [mongo, redis] = await Promise.allSettled([
    givenMongoUrl ? Promise.resolve(undefined) : startFerretDB({ dataDir: opts.dataDir }),
    ensureRedis(opts.redisUrl),
  ]);

  if (mongo.status === 'rejected' || redis.status === 'rejected') {
    // Leave nothing running behind a failed start.
    if (mongo.status === 'fulfilled') await mongo.value?.stop();
    if (redis.status === 'fulfilled') await redis.value.stop();
    throw mongo.status === 'rejected' ? mongo.reason : (redis as PromiseRejectedResult).reason;
  }

  const ferretdb: RunningFerretDB | undefined = mongo.value;
  const redisServer: RunningRedis = redis.value;
  let stopping: Promise<void> | undefined;
  return {
    mongoUrl: givenMongoUrl ?? ferretdb!.url,
    redisUrl: redisServer.url,
    stop() {
      stopping ??= Promise.all([redisServer.stop(), ferretdb?.stop()]).then(() => undefined);
      return stopping;
    },
  };
}
