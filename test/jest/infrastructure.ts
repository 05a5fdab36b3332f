/**
 * Jest's globalSetup and globalTeardown for the integration and e2e projects: the store and Redis,
 * started once per run by the project's own infrastructure code (scripts/infra), or the ones
 * MONGODB_URL and REDIS_URL name. Tests find them in MONGODB_URL and REDIS_URL: Jest starts its
 * workers after the global setup, so they inherit this process's environment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInfrastructure, type Infrastructure } from '../../scripts/infra/index.js';
import { ROOT } from '../../scripts/services.js';

interface Running {
  infra: Infrastructure;
  dataDir: string;
}

// Setup and teardown are loaded as separate module instances; they share the run through here.
const RUNNING = Symbol.for('bakery.test.infrastructure');
type WithRunning = typeof globalThis & { [RUNNING]?: Running };

export async function setup(): Promise<void> {
  // Each stack logs to .data/test-logs/<its prefix>/; keep only this run's.
  rmSync(path.join(ROOT, '.data', 'test-logs'), { recursive: true, force: true });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bakery-test-'));
  let infra: Infrastructure;
  try {
    // Throwaway: a database of the run's own, dropped at the end, on a cluster that skips fsync.
    infra = await startInfrastructure({ dataDir, durability: 'throwaway' });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new PrerequisiteError(error);
  }
  (globalThis as WithRunning)[RUNNING] = { infra, dataDir };
  process.env.NODE_ENV = 'test';
  process.env.MONGODB_URL = infra.mongoUrl;
  process.env.REDIS_URL = infra.redisUrl;
  // The store's own tests start FerretDBs of their own on this PostgreSQL.
  if (infra.postgresUrl) process.env.POSTGRES_URL = infra.postgresUrl;
}

export async function teardown(): Promise<void> {
  const running = (globalThis as WithRunning)[RUNNING];
  if (!running) return;
  delete (globalThis as WithRunning)[RUNNING];
  await running.infra.stop();
  rmSync(running.dataDir, { recursive: true, force: true });
}

/** One message that says what is missing and how to get it, without a stack trace to wade through. */
class PrerequisiteError extends Error {
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `The integration and e2e tests need a MongoDB-compatible store and a Redis, and could not start them:\n  ${reason}\n` +
        'README.md ("Two commands") says how to get each; or set MONGODB_URL and REDIS_URL to running servers. `npm run test:unit` needs neither.',
    );
    this.name = 'PrerequisiteError';
    this.stack = `${this.name}: ${this.message}`;
  }
}
