/**
 * FerretDB patch 0004 (tools/ferretdb/patches): a `find` sorted on `_id` alone is ordered by
 * PostgreSQL, and FerretDB reads the rows in that order only up to the limit, instead of reading
 * and unmarshalling every match to sort it in Go (a customer's page of orders read all their
 * orders). PostgreSQL orders by the `_id`'s BSON type, then strings and object ids by their bytes;
 * from the first `_id` of another type on, FerretDB sorts the rest itself.
 *
 * These tests hold the answers to what the sort means in MongoDB: the same documents, in the
 * same order, as the aggregation `$sort` (which the patch leaves as it was) and as the order
 * computed here, for every `_id` type, both directions, with filters, limits and skips, and over
 * more than one batch.
 *
 * The file starts a FerretDB of its own on a fresh PostgreSQL database, as write-guard.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
// The driver comes with mongoose (it is not a direct dependency, so it is not importable by name).
import mongoose from 'mongoose';
import { startStore, type RunningStore } from '../../scripts/infra/index.js';

const { MongoClient, ObjectId } = mongoose.mongo;
type Id = string | InstanceType<typeof ObjectId> | number | Date | boolean | Record<string, unknown>;

interface Doc {
  _id: Id;
  customerId: string;
  n: number;
}

let store: RunningStore;
let client: mongoose.mongo.MongoClient;
let db: mongoose.mongo.Db;

beforeAll(async () => {
  store = await startStore({ durability: 'throwaway' });
  client = new MongoClient(store.mongoUrl, { retryWrites: false, serverSelectionTimeoutMS: 5_000 });
  await client.connect();
  db = client.db(`test_idsort_${randomUUID().slice(0, 8)}`);
});

afterAll(async () => {
  await db?.dropDatabase();
  await client?.close();
  await store?.stop();
});

/** Object ids in the order they were made, with bytes that differ early and late. */
const objectIds = Array.from(
  { length: 30 },
  (_, i) => new ObjectId(`${(0x5f000000 + i * 7919).toString(16).padStart(8, '0')}00000000${i.toString(16).padStart(8, '0')}`),
);

/** `find` sorted on `_id`, and the aggregation that sorts the same documents in Go. */
async function bothWays(collection: mongoose.mongo.Collection<Doc>, filter: Record<string, unknown>, direction: 1 | -1, limit = 0, skip = 0) {
  const found = await collection.find(filter).sort({ _id: direction }).skip(skip).limit(limit).toArray();
  const pipeline: Record<string, unknown>[] = [{ $match: filter }, { $sort: { _id: direction } }];
  if (skip) pipeline.push({ $skip: skip });
  if (limit) pipeline.push({ $limit: limit });
  const aggregated = await collection.aggregate<Doc>(pipeline).toArray();
  return { found, aggregated };
}

describe('find sorted on _id, ordered by PostgreSQL (FerretDB patch 0004)', () => {
  test('object ids: a filtered page in either direction is the first documents in _id order, as MongoDB gives them', async () => {
    const orders = db.collection<Doc>('orders');
    // Inserted out of order, two customers interleaved.
    const shuffled = [...objectIds].sort((a, b) => (a.toHexString().slice(-2) < b.toHexString().slice(-2) ? 1 : -1)).reverse();
    await orders.insertMany(shuffled.map((_id, i) => ({ _id, customerId: i % 3 === 0 ? 'bob' : 'alice', n: i })));
    const alice = objectIds.filter((id) => shuffled.findIndex((s) => s.equals(id)) % 3 !== 0).map((id) => id.toHexString());

    for (const direction of [1, -1] as const) {
      const expected = direction === 1 ? [...alice].sort() : [...alice].sort().reverse();
      for (const limit of [1, 11, 0]) {
        const { found, aggregated } = await bothWays(orders, { customerId: 'alice', n: { $gte: 0 } }, direction, limit);
        const ids = found.map((doc) => (doc._id as InstanceType<typeof ObjectId>).toHexString());
        expect(ids).toEqual(limit ? expected.slice(0, limit) : expected);
        expect(found).toEqual(aggregated);
      }
      // A range on _id, as a page after a cursor asks for it.
      const cursor = new ObjectId(expected[4]);
      const after = await bothWays(orders, { customerId: 'alice', _id: direction === 1 ? { $gt: cursor } : { $lt: cursor } }, direction, 5);
      expect(after.found.map((doc) => (doc._id as InstanceType<typeof ObjectId>).toHexString())).toEqual(expected.slice(5, 10));
      expect(after.found).toEqual(after.aggregated);
      // And with a skip.
      const skipped = await bothWays(orders, { customerId: 'alice' }, direction, 3, 2);
      expect(skipped.found).toEqual(skipped.aggregated);
    }
  });

  test('strings compare by their bytes, not by a locale', async () => {
    const labels = db.collection<Doc>('labels');
    const ids = ['b', 'B', 'a', 'A', 'a-b', 'ab', 'a b', 'é', 'e', 'z', 'Z', '10', '9', '', 'ß', 'ﬀ', '😀'];
    await labels.insertMany(ids.map((_id, n) => ({ _id, customerId: 'c', n })));
    const bytes = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    for (const direction of [1, -1] as const) {
      const { found, aggregated } = await bothWays(labels, {}, direction);
      expect(found.map((doc) => doc._id)).toEqual(direction === 1 ? bytes : [...bytes].reverse());
      expect(found).toEqual(aggregated);
      const limited = await bothWays(labels, { n: { $lt: 100 } }, direction, 4);
      expect(limited.found).toEqual(limited.aggregated);
    }
  });

  test('_id values of every type come in BSON order, in either direction, with or without a limit', async () => {
    const mixed = db.collection<Doc>('mixed');
    const ids: Id[] = [
      'string b',
      objectIds[2] as Id,
      7,
      new Date('2026-01-02T00:00:00Z'),
      { nested: 1 },
      true,
      -1.5,
      'string a',
      objectIds[1] as Id,
      false,
      { nested: 0 },
      new Date('2025-01-02T00:00:00Z'),
      3,
    ];
    await mixed.insertMany(ids.map((_id, n) => ({ _id, customerId: 'c', n })));
    for (const direction of [1, -1] as const) {
      for (const limit of [0, 1, 2, 3, 5, 8]) {
        for (const filter of [{}, { n: { $ne: 4 } }]) {
          const { found, aggregated } = await bothWays(mixed, filter, direction, limit);
          expect(found).toEqual(aggregated);
          if (!limit) expect(found).toHaveLength(Object.keys(filter).length ? ids.length - 1 : ids.length);
        }
      }
    }
    // The order itself, spelled out: numbers, strings, objects, object ids, booleans, dates.
    const ascending = (await mixed.find({}).sort({ _id: 1 }).toArray()).map((doc) => doc.n);
    expect(ascending).toEqual([6, 12, 2, 7, 0, 10, 4, 8, 1, 9, 5, 11, 3]);
  });

  test('more matches than one batch: the cursor continues in order', async () => {
    const many = db.collection<Doc>('many');
    const count = 250;
    const made = Array.from(
      { length: count },
      (_, i) => new ObjectId(`${(0x60000000 + ((i * 7919) % 100_003)).toString(16).padStart(8, '0')}${i.toString(16).padStart(16, '0')}`),
    );
    await many.insertMany(made.map((_id, n) => ({ _id, customerId: n % 2 ? 'odd' : 'even', n })));
    const even = made
      .filter((_, n) => n % 2 === 0)
      .map((id) => id.toHexString())
      .sort()
      .reverse();
    const found = await many.find({ customerId: 'even' }).sort({ _id: -1 }).batchSize(30).toArray();
    expect(found.map((doc) => (doc._id as InstanceType<typeof ObjectId>).toHexString())).toEqual(even);
    const limited = await many.find({ customerId: 'even' }).sort({ _id: -1 }).limit(101).batchSize(30).toArray();
    expect(limited.map((doc) => (doc._id as InstanceType<typeof ObjectId>).toHexString())).toEqual(even.slice(0, 101));
  });
});
