/**
 * Local infrastructure for `npm start`, `npm test` and scripts: a MongoDB (the guarded FerretDB on
 * PostgreSQL unless MONGODB_URL is given) and a Redis (see redis.ts for which one).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFerretDB } from './ferretdb.js';
import { dropDatabase, ensureDatabase, ensurePostgres, socketUrl } from './postgres.js';
import { ensureRedis, type RunningRedis } from './redis.js';

export { ensureFerretDBBinary, startFerretDB, freePort, FERRETDB_BIN } from './ferretdb.js';
export type { FerretDBOptions, RunningFerretDB } from './ferretdb.js';
export { ensurePostgres, ensureDatabase, dropDatabase, databaseUrl } from './postgres.js';
export type { PostgresOptions, RunningPostgres } from './postgres.js';
export { ensureRedis, OwnRedis } from './redis.js';
export type { RunningRedis } from './redis.js';

export interface StoreOptions {
  /**
   * Parent folder of the project's own PostgreSQL cluster (in `<dataDir>/postgres`), used when
   * no PostgreSQL is given. Without one, a throwaway store makes a temporary folder and removes
   * it at stop.
   */
  dataDir?: string;
  /** A running PostgreSQL; defaults to POSTGRES_URL (used when it answers). */
  postgresUrl?: string;
  /**
   * `throwaway` for tests and benchmarks: FerretDB gets a database of its own on the server
   * (`ferretdb_test_<random>`), dropped at stop, and a cluster started here skips fsync.
   * `durable` (npm start): the database `ferretdb`, kept, on a cluster with PostgreSQL's safe
   * defaults.
   * @defaultValue `durable`
   */
  durability?: 'durable' | 'throwaway';
  /**
   * FerretDB's PostgreSQL database, created when missing.
   * @defaultValue `ferretdb` when durable, `ferretdb_test_<random>` when throwaway
   */
  database?: string;
  /**
   * Drop that database at stop (on a server this call did not start; a cluster it started in
   * a temporary folder goes as a whole).
   * @defaultValue true for a throwaway store
   */
  dropDatabase?: boolean;
  /** Expose FerretDB without the write guard: concurrent updates get LOST. Demonstrations only. */
  noGuard?: boolean;
}

export interface RunningStore {
  /** `mongodb://127.0.0.1:PORT/`: the guarded FerretDB. */
  mongoUrl: string;
  /** The PostgreSQL server (its `postgres` database). */
  postgresUrl: string;
  /** The PostgreSQL database FerretDB keeps its data in (one schema per MongoDB database). */
  ferretdbPostgresUrl: string;
  /** Stops what this call started, in order; safe to call more than once. */
  stop(): Promise<void>;
}

/** PostgreSQL (see ensurePostgres), a database for FerretDB on it, and the guarded FerretDB. */
export async function startStore(opts: StoreOptions = {}): Promise<RunningStore> {
  const durability = opts.durability ?? 'durable';
  const tempDir = opts.dataDir ? undefined : mkdtempSync(path.join(tmpdir(), 'bakery-store-'));
  const postgres = await ensurePostgres({
    dataDir: path.join(opts.dataDir ?? tempDir!, 'postgres'),
    durability,
    ...(opts.postgresUrl ? { url: opts.postgresUrl } : {}),
  }).catch((error: unknown) => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw error;
  });

  const cleanups: Array<() => Promise<void>> = [
    async () => {
      await postgres.stop();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  ];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse().splice(0)) await cleanup();
  };

  try {
    const database = opts.database ?? (durability === 'throwaway' ? `ferretdb_test_${randomUUID().replaceAll('-', '').slice(0, 12)}` : 'ferretdb');
    const ferretdbPostgresUrl = await ensureDatabase(postgres.url, database);
    const goesWithCluster = postgres.startedByUs && tempDir !== undefined;
    if ((opts.dropDatabase ?? durability === 'throwaway') && !goesWithCluster) cleanups.push(() => dropDatabase(postgres.url, database));
    const ferretdb = await startFerretDB({
      postgresUrl: postgres.socketDir ? socketUrl(ferretdbPostgresUrl, postgres.socketDir) : ferretdbPostgresUrl,
      ...(opts.noGuard ? { noGuard: true } : {}),
    });
    cleanups.push(() => ferretdb.stop());

    let stopping: Promise<void> | undefined;
    return {
      mongoUrl: ferretdb.url,
      postgresUrl: postgres.url,
      ferretdbPostgresUrl,
      stop() {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export interface InfrastructureOptions {
  /** Folder for local data: the project's own PostgreSQL cluster goes in `<dataDir>/postgres`. */
  dataDir: string;
  /** A running MongoDB; defaults to MONGODB_URL. When set, no store is started. */
  mongoUrl?: string;
  /** A running PostgreSQL for FerretDB; defaults to POSTGRES_URL. See ensurePostgres. */
  postgresUrl?: string;
  /**
   * See StoreOptions.durability.
   * @defaultValue `throwaway` when NODE_ENV is `test`, else `durable`
   */
  durability?: 'durable' | 'throwaway';
  /** A running Redis; defaults to REDIS_URL. See ensureRedis. */
  redisUrl?: string;
  /** Start our own Redis again when it exits on its own (`npm start` supervises it like the services). */
  restartCrashed?: boolean;
}

export interface Infrastructure {
  mongoUrl: string;
  redisUrl: string;
  /** The PostgreSQL server under the store, when the project's FerretDB was started. */
  postgresUrl?: string;
  /** The PostgreSQL database FerretDB keeps its data in, when the project's FerretDB was started. */
  ferretdbPostgresUrl?: string;
  /** Stops only what this call started; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startInfrastructure(opts: InfrastructureOptions): Promise<Infrastructure> {
  const givenMongoUrl = opts.mongoUrl ?? process.env.MONGODB_URL;
  const durability = opts.durability ?? (process.env.NODE_ENV === 'test' ? 'throwaway' : 'durable');
  const [mongo, redis] = await Promise.allSettled([
    givenMongoUrl
      ? Promise.resolve(undefined)
      : startStore({ dataDir: opts.dataDir, durability, ...(opts.postgresUrl ? { postgresUrl: opts.postgresUrl } : {}) }),
    // A durable run keeps the queues in an append-only file beside the store's data (see redis.ts).
    ensureRedis(opts.redisUrl, {
      ...(durability === 'durable' ? { dir: path.join(opts.dataDir, 'redis') } : {}),
      ...(opts.restartCrashed ? { restartCrashed: true } : {}),
    }),
  ]);

  if (mongo.status === 'rejected' || redis.status === 'rejected') {
    // Leave nothing running behind a failed start.
    if (mongo.status === 'fulfilled') await mongo.value?.stop();
    if (redis.status === 'fulfilled') await redis.value.stop();
    throw mongo.status === 'rejected' ? mongo.reason : (redis as PromiseRejectedResult).reason;
  }

  const store: RunningStore | undefined = mongo.value;
  const redisServer: RunningRedis = redis.value;
  let stopping: Promise<void> | undefined;
  return {
    mongoUrl: givenMongoUrl ?? store!.mongoUrl,
    redisUrl: redisServer.url,
    ...(store ? { postgresUrl: store.postgresUrl, ferretdbPostgresUrl: store.ferretdbPostgresUrl } : {}),
    stop() {
      stopping ??= Promise.all([redisServer.stop(), store?.stop()]).then(() => undefined);
      return stopping;
    },
  };
}
