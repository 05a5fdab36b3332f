/**
 * Processes come back and go away as they should: a service that dies is started again by its
 * launcher (as under `npm start`), and SIGTERM ends a process within SHUTDOWN_DEADLINE_MS even
 * when Redis is gone (BullMQ workers, queues and ioredis would otherwise wait for it forever).
 * The stack runs on a redis-server of this file's own, which it kills: never the machine's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SHUTDOWN_DEADLINE_MS } from '../../lib/lifecycle.js';
import { answersPing, OwnRedis } from '../../scripts/infra/redis.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

let redis: OwnRedis;
let stack: Stack;

beforeAll(async () => {
  redis = await OwnRedis.start();
  stack = await startStack({ services: ['stock', 'order', 'payment', 'delivery', 'workers'], env: { REDIS_URL: redis.url }, restartCrashed: true });
});
afterAll(async () => {
  await redis?.start(); // the stack drops its keys on the way out
  await stack?.stop();
  await redis?.stop();
});

const ready = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined))?.ok === true;

test('a service killed with SIGKILL is started again by its launcher, which says so', async () => {
  const before = stack.services.pid('order');
  stack.services.signal('order', 'SIGKILL');
  const restart = await eventually(async () => stack.services.restarts.find((r) => r.name === 'order'), {
    what: 'the order subgraph to be restarted',
    timeoutMs: 60_000,
  });
  expect(restart.how).toBe('was killed by SIGKILL');
  expect(stack.services.pid('order')).not.toBe(before);
  expect(await ready(stack.services.url('order', '/health/ready'))).toBe(true);
});

test('SIGTERM ends each process within its deadline while Redis is gone', async () => {
  await redis.kill('SIGKILL');
  // Every process is now retrying its connections and the workers hold blocking reads.
  for (const name of ['workers', 'order', 'delivery'] as const) {
    const started = Date.now();
    const exit = await stack.services.stopOne(name);
    const took = Date.now() - started;
    // Exited by itself (the launcher's SIGKILL comes only 5 s after the deadline).
    expect({ name, signal: exit?.signal }).toEqual({ name, signal: null });
    expect(took).toBeLessThanOrEqual(SHUTDOWN_DEADLINE_MS + 2_000);
  }
});

test("npm start's own Redis, killed with SIGKILL, is started again on its port with every job it acknowledged (AOF)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bakery-own-redis-'));
  const own = await OwnRedis.start({ dir, restartCrashed: true });
  const connection = new Redis(own.url, { maxRetriesPerRequest: null });
  const queue = new Queue('supervision-test', { connection });
  try {
    const added = await Promise.all(Array.from({ length: 50 }, (_, index) => queue.add('job', { index }, { jobId: `job-${index}` })));
    const before = own.pid;
    process.kill(before ?? 0, 'SIGKILL');
    await eventually(async () => own.pid !== before && (await answersPing(own.url)), { what: 'our Redis to be started again', timeoutMs: 30_000 });
    // The queue's connection found it again by itself, and every job acknowledged before is there.
    const counts = await eventually(
      async () => {
        const waiting = await queue.getJobCountByTypes('waiting');
        return waiting === added.length ? waiting : null;
      },
      { what: 'the jobs to be read back', timeoutMs: 30_000 },
    );
    expect(counts).toBe(50);
  } finally {
    await queue.close();
    connection.disconnect();
    await own.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
