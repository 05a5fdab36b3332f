/**
 * The queue board (Bull Board) on the gateway at /admin/queues: only a STAFF token opens it, a
 * browser hands the token over once in the address and keeps it in a cookie, and staff can see a
 * failed job and retry it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Queues, type EventJob } from '../../lib/events.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

let stack: Stack;
let redis: Redis;
const board = (path = '') => new URL(`/admin/queues${path}`, stack.gatewayUrl);

beforeAll(async () => {
  // No workers: a failed job stays failed, and a retried one waits, until the test looks.
  stack = await startStack({ services: ['stock', 'order', 'payment', 'delivery', 'gateway'] });
  redis = new Redis(process.env.REDIS_URL ?? '', { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

test('without a token the board answers 401 with a code, not the page', async () => {
  const response = await fetch(board(), { redirect: 'manual' });
  assert.equal(response.status, 401);
  const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
  assert.equal(body.errors[0]?.extensions.code, 'UNAUTHENTICATED');
});

test('a customer token is refused with FORBIDDEN, in the header or the address', async () => {
  const customer = await stack.customerToken('board-customer');
  for (const response of [
    await fetch(board(), { headers: { authorization: `Bearer ${customer}` } }),
    await fetch(board(`?token=${customer}`), { redirect: 'manual' }),
  ]) {
    assert.equal(response.status, 403);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    assert.equal(body.errors[0]?.extensions.code, 'FORBIDDEN');
  }
});

test('a tampered token is refused', async () => {
  const response = await fetch(board(), { headers: { authorization: `Bearer ${stack.staffToken}x` } });
  assert.equal(response.status, 401);
});

test('staff open it with ?token=: the token moves into an HttpOnly cookie and out of the address', async () => {
  const opened = await fetch(board(`?token=${stack.staffToken}`), { redirect: 'manual' });
  assert.equal(opened.status, 303);
  assert.equal(opened.headers.get('location'), '/admin/queues');
  const setCookie = opened.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  assert.match(setCookie, /Path=\/admin\/queues/);
  const page = await fetch(board(), { headers: { cookie: setCookie.split(';')[0] ?? '' } });
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await page.text(), /Bakery queues/);
});

test('staff see a failed job on the board and retry it', async () => {
  const queue = new Queue<EventJob>(Queues.notifications, { connection: redis, prefix: stack.redisPrefix });
  const id = randomUUID();
  await queue.add(
    'DeliveryDelayed',
    { eventId: id, type: 'DeliveryDelayed', payload: { orderId: 'nothing', promisedBy: new Date().toISOString() } },
    { jobId: id, attempts: 1 },
  );
  // A real BullMQ worker of the test's own fails it, so the board has a failed job to show.
  const failing = new Worker<EventJob>(
    Queues.notifications,
    async () => {
      throw new UnrecoverableError('failed on purpose by the test');
    },
    { connection: redis, prefix: stack.redisPrefix },
  );
  await eventually(async () => (await queue.getJobState(id)) === 'failed', { what: 'the job to fail' });
  await failing.close();

  const staff = { authorization: `Bearer ${stack.staffToken}` };
  const listed = await fetch(board(`/api/queues?activeQueue=${Queues.notifications}&status=failed`), { headers: staff });
  assert.equal(listed.status, 200);
  const { queues } = (await listed.json()) as {
    queues: Array<{ name: string; counts: Record<string, number>; jobs: Array<{ id: string; failedReason: string }> }>;
  };
  expect(queues.map((entry) => entry.name).sort()).toEqual(Object.values(Queues).sort());
  const notifications = queues.find((entry) => entry.name === Queues.notifications);
  assert.equal(notifications?.counts['failed'], 1);
  assert.equal(notifications?.jobs[0]?.id, id);
  assert.equal(notifications?.jobs[0]?.failedReason, 'failed on purpose by the test');

  const retried = await fetch(board(`/api/queues/${Queues.notifications}/${id}/retry`), { method: 'PUT', headers: staff });
  assert.equal(retried.status, 204);
  assert.equal(await queue.getJobState(id), 'waiting');
  await queue.close();
});
