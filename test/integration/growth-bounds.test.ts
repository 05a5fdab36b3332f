/**
 * What keeps the stores' cost from growing with history, against the real store and Redis:
 * - the outbox sweep finds pending events by an indexed flag (`outboxPending`), not by reading
 *   every document, and clears the flag once the outbox is empty;
 * - notifications are pruned a day at a time once their retention has passed, and a burst of them
 *   is stored in one insert.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { Queues, newEvent } from '../../lib/events.js';
import { createLogger } from '../../lib/logger.js';
import { connectDatabase } from '../../lib/mongo.js';
import { EventPublisher, OutboxRelay, outboxFields } from '../../lib/outbox.js';
import { NotificationStore } from '../../subgraphs/order/src/store/notification.store.js';

const DAY_MS = 24 * 3_600_000;

let db: Connection;
let redis: Redis;
const prefix = `test:${randomUUID().slice(0, 8)}`;
const log = createLogger('growth-bounds-test', 'warn');

beforeAll(async () => {
  db = await connectDatabase(process.env.MONGODB_URL ?? '', `t${randomUUID().slice(0, 8)}_bounds`);
  redis = new Redis(process.env.REDIS_URL ?? '', { maxRetriesPerRequest: null });
});

afterAll(async () => {
  await db?.dropDatabase();
  await db?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis?.disconnect();
});

describe('the outbox sweep', () => {
  test('publishes what a crash left pending, found by its flag, and clears the flag', async () => {
    const collection = db.collection('aggregates');
    const publisher = new EventPublisher(redis, prefix);
    const relay = new OutboxRelay(collection, publisher, log);
    const event = newEvent('ReleaseStock', { orderId: randomUUID() });
    // A document written with its event, whose writer died before publishing it, beside ones with nothing pending.
    await collection.insertMany([
      { _id: 'pending', ...outboxFields([event]) } as never,
      { _id: 'done-1', ...outboxFields([]) } as never,
      { _id: 'done-2', ...outboxFields([]) } as never,
    ]);

    expect(await relay.sweep()).toBe(1);

    expect(await collection.findOne({ _id: 'pending' } as never)).toMatchObject({ outbox: [], outboxPending: false });
    const queue = new Queue(Queues.orderSaga, { connection: redis, prefix });
    expect((await queue.getJob(event.id))?.data).toMatchObject({ eventId: event.id, type: 'ReleaseStock' });
    expect(await relay.sweep()).toBe(0);
    await queue.close();
    await publisher.close();
  });
});

describe('a burst of updates in one command', () => {
  // FerretDB 1.24.2 held each statement's connection to the end of the command, so one with more
  // statements than its pool (50 connections) never finished (tools/ferretdb/patches/0002).
  test('of more statements than the store has connections finishes, each document updated', async () => {
    const collection = db.collection('burst');
    const ids = Array.from({ length: 120 }, (_, i) => `burst-${i}`);
    await collection.insertMany(ids.map((_id) => ({ _id, ...outboxFields([newEvent('ReleaseStock', { orderId: randomUUID() })]) }) as never));

    const result = await collection.bulkWrite(
      ids.map((_id) => ({ updateOne: { filter: { _id } as never, update: { $set: { outbox: [], outboxPending: false } } } })),
      { ordered: false },
    );

    expect(result.modifiedCount).toBe(120);
    expect(await collection.countDocuments({ outboxPending: false } as never)).toBe(120);
  });
});

describe('notifications', () => {
  test('are kept for their retention, then pruned a day at a time', async () => {
    const store = new NotificationStore(db, 2);
    await store.init();
    const customerId = `c-${randomUUID().slice(0, 6)}`;
    for (const kind of ['CONFIRMED', 'READY']) {
      await store.insertOrGet({ id: randomUUID(), customerId, orderId: 'o-1', kind, message: kind, channel: 'log' });
    }

    expect(await store.prune(new Date(Date.now() + DAY_MS))).toBe(0);
    expect(await store.forCustomer(customerId, 10)).toHaveLength(2);

    expect(await store.prune(new Date(Date.now() + 2 * DAY_MS))).toBe(2);
    expect(await store.forCustomer(customerId, 10)).toHaveLength(0);
  });

  test('a workers process that was down for days prunes the days it missed', async () => {
    const store = new NotificationStore(db, 1);
    await store.init();
    const customerId = `c-${randomUUID().slice(0, 6)}`;
    await store.insertOrGet({ id: randomUUID(), customerId, orderId: 'o-2', kind: 'COMPLETED', message: 'done', channel: 'log' });

    expect(await store.prune(new Date(Date.now() + 10 * DAY_MS))).toBe(1);
  });

  test('that arrive together are stored in one insert, each event once, and a repeat finds its first', async () => {
    const store = new NotificationStore(db, 1);
    await store.init();
    const customerId = `c-${randomUUID().slice(0, 6)}`;
    const notice = (id: string, kind: string) => ({ id, customerId, orderId: `o-${id}`, kind, message: kind, channel: 'log' });
    const earlier = randomUUID();
    await store.insertOrGet(notice(earlier, 'CONFIRMED'));
    const twin = randomUUID();
    const ids = Array.from({ length: 60 }, () => randomUUID());

    const operations: string[] = [];
    const count = ({ method }: { method: string }) => operations.push(method);
    db.on('operation-start', count);
    const answers = await Promise.all([
      ...ids.map((id) => store.insertOrGet(notice(id, 'REJECTED'), new Date())),
      store.insertOrGet(notice(earlier, 'READY')), // a repeat of an event stored before
      store.insertOrGet(notice(twin, 'READY')),
      store.insertOrGet(notice(twin, 'READY')), // a repeat within the same insert
    ]);
    db.off('operation-start', count);

    expect(answers.slice(0, 60).every((answer) => answer.inserted && answer.notification.sentAt instanceof Date)).toBe(true);
    expect(answers[60]).toMatchObject({ inserted: false, notification: { _id: earlier, kind: 'CONFIRMED', sentAt: null } });
    expect(
      answers
        .slice(61)
        .map((answer) => answer.inserted)
        .sort(),
    ).toStrictEqual([false, true]);
    expect(operations.filter((method) => method === 'insertMany')).toHaveLength(1);
    expect(operations).not.toContain('insertOne');
    const stored = await store.forCustomer(customerId, 100);
    expect(stored).toHaveLength(62);
    expect(new Set(stored.map((notification) => notification._id)).size).toBe(62);
  });
});
