/**
 * How a context runs its handlers in the workers process: it declares its settings and a start
 * function; the host reads config once, connects the context to its own database, and hands it a
 * publisher and the worker settings. `workers/main.ts` only lists the contexts.
 */
import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';
import type { CommonConfig, EnvReader } from './config.js';
import type { Shutdown } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { EventPublisher } from './outbox.js';
import type { WorkerSettings } from './queue-worker.js';

export interface ContextWorkerDependencies<TSettings> {
  config: CommonConfig;
  settings: TSettings;
  /** The context's own database (`${DB_PREFIX}_${name}`). */
  db: Connection;
  /** For queue producers and plain commands (not for blocking worker reads). */
  redis: Redis;
  publisher: EventPublisher;
  workers: WorkerSettings;
  log: Logger;
  shutdown: Shutdown;
}

/**
 * What a context's wiring (`build<Context>Parts`) needs, in its subgraph process and in the workers
 * alike. Without a publisher, the parts make (and close) their own.
 */
export interface ContextPartsDependencies<TSettings> {
  config: CommonConfig;
  settings: TSettings;
  db: Connection;
  redis: Redis;
  publisher?: EventPublisher;
  log: Logger;
}

export interface ContextWorkers<TSettings = unknown> {
  /** The context's name: names its database and its logs. */
  name: string;
  settings: (reader: EnvReader, common: CommonConfig) => TSettings;
  start(deps: ContextWorkerDependencies<TSettings>): Promise<void>;
}

/** Keeps each context's settings type tied to its start function. */
export const defineContextWorkers = <TSettings>(context: ContextWorkers<TSettings>): ContextWorkers<TSettings> => context;
