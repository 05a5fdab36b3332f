/**
 * The pace of notifications: at most NOTIFICATIONS_PER_SECOND go out a second (a message
 * provider's limit, and in a drop the answers come before the notices), and each still goes out
 * once. The workers process alone, told of refused orders as the order context's relay tells it,
 * posting to a webhook receiver of the test's own.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { Types } from 'mongoose';
import { newEvent } from '../../lib/events.js';
import { EventPublisher } from '../../lib/outbox.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

const PER_SECOND = 5;

let stack: Stack;
let redis: Redis;
let publisher: EventPublisher;
const arrivals: Array<{ id: string; at: number }> = [];
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    arrivals.push({ id: (JSON.parse(body) as { id: string }).id, at: performance.now() });
    res.writeHead(204).end();
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  stack = await startStack({
    services: ['workers'],
    env: {
      NOTIFICATION_CHANNEL: 'webhook',
      NOTIFICATION_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
      NOTIFICATIONS_PER_SECOND: String(PER_SECOND),
    },
  });
  const redisUrl = process.env.REDIS_URL;
  assert.ok(redisUrl, 'REDIS_URL is set by npm test');
  redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  publisher = new EventPublisher(redis, stack.redisPrefix);
});

afterAll(async () => {
  await stack?.stop();
  await publisher?.close();
  if (redis) {
    const keys = await redis.keys(`${stack.redisPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
  await new Promise((resolve) => receiver.close(resolve));
});

test(`twelve notices told at once go out at most ${PER_SECOND} a second, each once`, async () => {
  const refusals = Array.from({ length: 12 }, () =>
    newEvent('OrderStatusChanged', {
      orderId: new Types.ObjectId().toHexString(),
      customerId: 'erin',
      status: 'REJECTED',
      reason: 'OUT_OF_STOCK',
      fulfilment: 'PICKUP',
      promisedBy: null,
      at: new Date().toISOString(),
    }),
  );
  await publisher.publishMany(refusals.map((event) => ({ event, announcement: null })));

  await eventually(async () => arrivals.length >= refusals.length, { what: 'every notice to arrive' });
  expect(arrivals.map(({ id }) => id).sort()).toStrictEqual(refusals.map(({ id }) => id).sort());
  // Twelve at five a second take three windows: the last starts at least two seconds after the
  // first (less what the first post took longer than the last). Without the limit, all twelve
  // arrive within a fraction of a second.
  const [first, last] = [arrivals[0], arrivals.at(-1)];
  assert.ok(first && last);
  expect(last.at - first.at).toBeGreaterThanOrEqual(1_000);
});
