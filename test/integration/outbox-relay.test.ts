/**
 * The outbox relay on the real store and Redis: a flush publishes every pending event of a
 * document and empties its outbox in one update, and an event pushed after the relay read the
 * outbox is published too, never dropped with the ones before it; handed the outbox its writer's
 * update returned, it does not read it again. Documents inserted many at a
 * time keep their events in one batch until published, and a batch a crash left behind is
 * published by the sweep, for the documents that exist.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import mongoose, { type Connection, type mongo } from 'mongoose';
import type { Redis } from 'ioredis';
import { newEvent, Queues, type OutboxEvent } from '../../lib/events.js';
import { createLogger } from '../../lib/logger.js';
import { EventPublisher, OutboxRelay, outboxFields, outboxUpdate } from '../../lib/outbox.js';
import { closeRedis, connectRedis } from '../../lib/redis.js';
import { eventually } from '../support/wait.js';

interface Aggregate extends mongo.Document {
  _id: string;
  outbox: OutboxEvent[];
  outboxPending: boolean;
}

let db: Connection;
let redis: Redis;
let publisher: EventPublisher;
let collection: mongo.Collection<Aggregate>;
const updates: string[] = [];
const prefix = `test-outbox-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  db = await mongoose.createConnection(process.env.MONGODB_URL ?? '', { dbName: `t${randomUUID().slice(0, 8)}_outbox`, monitorCommands: true }).asPromise();
  db.getClient().on('commandStarted', (event) => {
    if (event.commandName === 'update') updates.push(event.commandName);
  });
  collection = db.collection<Aggregate>('aggregates');
  redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'outbox-relay-test');
  publisher = new EventPublisher(redis, prefix);
});

afterAll(async () => {
  await publisher?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await closeRedis(redis);
  await db?.dropDatabase();
  await db?.close();
});

const refused = (orderId: string) =>
  newEvent('OrderStatusChanged', {
    orderId,
    customerId: 'customer-1',
    status: 'REJECTED',
    reason: 'OUT_OF_STOCK',
    fulfilment: 'PICKUP',
    promisedBy: null,
    at: new Date().toISOString(),
  });

const batches = () => db.collection('aggregates_outbox');
const relay = () =>
  new OutboxRelay(collection as unknown as mongo.Collection, publisher, createLogger('outbox-relay-test', 'silent'), {
    batches: batches() as unknown as mongo.Collection,
  });
const queued = async (events: OutboxEvent[]) => Promise.all(events.map(async (event) => (await publisher.queue(Queues.notifications).getJob(event.id))?.id));

test('a flush publishes every pending event and empties the outbox in one update', async () => {
  const events = [refused('o-1'), refused('o-1'), refused('o-1')];
  await collection.insertOne({ _id: 'o-1', ...outboxFields(events) });
  updates.length = 0;

  await relay().flush('o-1');

  expect(await queued(events)).toEqual(events.map((event) => event.id));
  expect(await collection.findOne({ _id: 'o-1' })).toMatchObject({ outbox: [], outboxPending: false });
  expect(updates).toHaveLength(1);
});

test('an event pushed after the relay read the outbox is published by the same flush', async () => {
  const first = refused('o-2');
  const late = refused('o-2');
  await collection.insertOne({ _id: 'o-2', ...outboxFields([first]) });
  // The late event lands between the relay's read and its update: while the first is published.
  const originalPublishMany = publisher.publishMany.bind(publisher);
  let pushed = false;
  publisher.publishMany = async (items) => {
    await originalPublishMany(items);
    if (!pushed) {
      pushed = true;
      await collection.updateOne({ _id: 'o-2' }, outboxUpdate([late]) as mongo.UpdateFilter<Aggregate>);
    }
  };
  try {
    await relay().flush('o-2');
  } finally {
    publisher.publishMany = originalPublishMany;
  }

  expect(await queued([first, late])).toEqual([first.id, late.id]);
  expect(await collection.findOne({ _id: 'o-2' })).toMatchObject({ outbox: [], outboxPending: false });
});

test("a flush handed the outbox its writer's update returned reads nothing: one publish, one update", async () => {
  const events = [refused('o-8'), refused('o-8')];
  await collection.insertOne({ _id: 'o-8', ...outboxFields([]) });
  const written = await collection.findOneAndUpdate({ _id: 'o-8' }, outboxUpdate(events) as mongo.UpdateFilter<Aggregate>, { returnDocument: 'after' });
  const commands: string[] = [];
  const count = (event: { commandName: string }) => commands.push(event.commandName);
  db.getClient().on('commandStarted', count);

  await relay().flush('o-8', written?.outbox);

  db.getClient().off('commandStarted', count);
  expect(commands).toEqual(['update']);
  expect(await queued(events)).toEqual(events.map((event) => event.id));
  expect(await collection.findOne({ _id: 'o-8' })).toMatchObject({ outbox: [], outboxPending: false });
});

test('a flush handed an outbox that is no longer what is stored reads it again, and publishes what is', async () => {
  const early = refused('o-9');
  const late = refused('o-9');
  await collection.insertOne({ _id: 'o-9', ...outboxFields([early]) });
  await relay().flush('o-9'); // another flush was quicker with the early event
  await collection.updateOne({ _id: 'o-9' }, outboxUpdate([late]) as mongo.UpdateFilter<Aggregate>);

  await relay().flush('o-9', [early]);

  expect(await queued([early, late])).toEqual([early.id, late.id]);
  expect(await collection.findOne({ _id: 'o-9' })).toMatchObject({ outbox: [], outboxPending: false });
});

test('documents inserted with a batch of events: published, and only the documents inserted, in two writes besides the insert', async () => {
  const written = ['o-3', 'o-4', 'o-5'].map((id) => ({ id, events: [refused(id)] }));
  const writes: string[] = [];
  const count = (event: { commandName: string }) => ['insert', 'update', 'delete'].includes(event.commandName) && writes.push(event.commandName);
  db.getClient().on('commandStarted', count);

  // o-5 stands for an order whose key was used before: not inserted, so its event is not published.
  const inserted = await relay().insertWithEvents(written, async () => {
    await collection.insertMany(['o-3', 'o-4'].map((_id) => ({ _id, ...outboxFields([]) })));
    return ['o-3', 'o-4', null];
  });

  expect(inserted).toEqual(['o-3', 'o-4', null]);
  await eventually(async () => (await batches().countDocuments()) === 0, { what: 'the batch to be published and deleted' });
  db.getClient().off('commandStarted', count);
  expect(await queued(written.flatMap(({ events }) => events))).toEqual([written[0]?.events[0]?.id, written[1]?.events[0]?.id, undefined]);
  expect(writes).toEqual(['insert', 'insert', 'delete']); // the batch, the documents, the batch gone
});

test('a batch a crash left behind: the sweep publishes the events of the documents that exist', async () => {
  const written = ['o-6', 'o-7'].map((id) => ({ id, events: [refused(id)] }));
  // The writer died after writing the batch and one of its documents.
  await batches().insertOne({ _id: new mongoose.Types.ObjectId(), at: new Date(Date.now() - 60_000), items: written });
  await collection.insertOne({ _id: 'o-6', ...outboxFields([]) });

  expect(await relay().sweep()).toBe(1);

  expect(await queued(written.flatMap(({ events }) => events))).toEqual([written[0]?.events[0]?.id, undefined]);
  expect(await batches().countDocuments()).toBe(0);
});

test('a batch younger than any writer takes is left to its writer', async () => {
  const id = new mongoose.Types.ObjectId();
  await batches().insertOne({ _id: id, at: new Date(), items: [{ id: 'o-8', events: [refused('o-8')] }] });

  expect(await relay().sweep()).toBe(0);

  expect(await batches().countDocuments({ _id: id })).toBe(1);
  await batches().deleteOne({ _id: id });
});
