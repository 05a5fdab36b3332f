/**
 * `npm test`: unit, integration and end-to-end tests on a real FerretDB (behind the write guard,
 * on a fresh PostgreSQL database) and a real Redis, through node's own test runner. MONGODB_URL,
 * POSTGRES_URL and REDIS_URL, when set, are used instead.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInfrastructure } from './infra/index.js';
import { ROOT } from './services.js';

const TEST_ROOTS = ['lib', 'gateway', 'subgraphs', 'workers', 'test'];

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (entry === 'node_modules' || entry.startsWith('.')) return [];
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return findTests(full);
    return entry.endsWith('.test.ts') ? [full] : [];
  });
}

// Unit tests first: they fail fastest.
const filter = process.argv.slice(2);
const files = TEST_ROOTS.flatMap((root) => findTests(path.join(ROOT, root)))
  .map((file) => path.relative(ROOT, file))
  .filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)))
  .sort((a, b) => Number(a.startsWith('test/')) - Number(b.startsWith('test/')) || a.localeCompare(b));

// Each stack logs to .data/test-logs/<its prefix>/; keep only this run's.
rmSync(path.join(ROOT, '.data', 'test-logs'), { recursive: true, force: true });
const dataDir = mkdtempSync(path.join(tmpdir(), 'bakery-test-'));
const infra = await startInfrastructure({
  dataDir,
  durability: 'throwaway',
  ...(process.env.MONGODB_URL ? { mongoUrl: process.env.MONGODB_URL } : {}),
  ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
});

// One file at a time: end-to-end files each run the whole system, and this machine has two cores.
const runner = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      NODE_ENV: 'test',
      MONGODB_URL: infra.mongoUrl,
      REDIS_URL: infra.redisUrl,
      // The store's own tests start FerretDBs of their own on this PostgreSQL.
      ...(infra.postgresUrl ? { POSTGRES_URL: infra.postgresUrl } : {}),
    },
  },
);
const code = await new Promise<number>((resolve) => runner.once('exit', (exitCode) => resolve(exitCode ?? 1)));
await infra.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(code);
