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
 * Patch 0009: such a find with a limit, whose filter FerretDB pushes down whole (`$nin` included
 * now), is cut at the limit by PostgreSQL too, which reads it from the guard's index on the `_id`
 * order: the newest page of a large collection no longer reads the whole collection. FerretDB
 * checks what comes back (every document passes the filter, every `_id` is a string or an object
 * id) and asks again without the limit when not, so the answers stay MongoDB's.
 *
 * The file starts a FerretDB of its own on a fresh PostgreSQL database, as write-guard.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
// The driver comes with mongoose (it is not a direct dependency, so it is not importable by name).
import mongoose from 'mongoose';
import pg from 'pg';
import { startStore, type RunningStore } from '../../scripts/infra/index.js';
import { eventually } from '../support/wait.js';

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
let sql: pg.Client;

beforeAll(async () => {
  store = await startStore({ durability: 'throwaway' });
  client = new MongoClient(store.mongoUrl, { retryWrites: false, serverSelectionTimeoutMS: 5_000 });
  await client.connect();
  db = client.db(`test_idsort_${randomUUID().slice(0, 8)}`);
  // FerretDB's own PostgreSQL database, to see how much of a table a find reads.
  sql = new pg.Client({ connectionString: store.ferretdbPostgresUrl });
  await sql.connect();
});

afterAll(async () => {
  await sql?.end();
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

describe('a page sorted on _id stops at its limit in PostgreSQL (FerretDB patch 0009)', () => {
  interface Order {
    _id: InstanceType<typeof ObjectId>;
    status?: unknown;
    n: number;
  }

  /** Reads of the collection's _id order index so far: scans, and index entries read. */
  /** The PostgreSQL table FerretDB keeps a collection in. */
  async function tableOf(collection: string): Promise<string> {
    const { rows } = await sql.query<{ table: string }>(
      `SELECT _jsonb->>'table' AS table FROM ${sql.escapeIdentifier(db.databaseName)}._ferretdb_database_metadata WHERE _jsonb->>'_id' = $1`,
      [collection],
    );
    return rows[0]?.table ?? '';
  }

  /** Reads of the collection's _id order index so far: scans, and index entries read. */
  async function orderIndexReads(collection: string): Promise<{ scans: number; entries: number }> {
    const { rows } = await sql.query<{ idx_scan: string; idx_tup_read: string }>(
      "SELECT idx_scan, idx_tup_read FROM pg_stat_user_indexes WHERE schemaname = $1 AND relname = $2 AND indexrelname LIKE '%\\_order'",
      [db.databaseName, await tableOf(collection)],
    );
    if (rows.length !== 1) throw new Error(`one _id order index expected, found ${rows.length}`);
    return { scans: Number(rows[0]?.idx_scan), entries: Number(rows[0]?.idx_tup_read) };
  }

  test('$nin means what it means in MongoDB: a value of another type, an array, a missing field', async () => {
    const orders = db.collection<Order>('nin');
    const hex = objectIds[3]?.toHexString() ?? '';
    const statuses: unknown[] = [
      'PLACED',
      'BAKING',
      'ABANDONED',
      ['BAKING', 'PLACED'], // an array holding a listed value: left out
      ['BAKING'],
      undefined, // no status at all: kept
      null,
      hex, // the string listed: left out
      new ObjectId(hex), // an object id with the same hex: kept
      1, // the int listed
      1.0, // the same number as a double
      2,
      'COMPLETED',
    ];
    await orders.insertMany(
      statuses.map((status, n) => ({ _id: objectIds[n] as InstanceType<typeof ObjectId>, ...(status === undefined ? {} : { status }), n })),
    );
    for (const filter of [{ status: { $nin: ['PLACED', 'ABANDONED', hex, 1] } }, { status: { $nin: [] } }, { status: { $nin: ['PLACED'] }, n: { $ne: 12 } }]) {
      for (const direction of [1, -1] as const) {
        for (const limit of [0, 1, 3, 6, 20]) {
          const { found, aggregated } = await bothWays(orders as never, filter, direction, limit);
          expect(found).toEqual(aggregated);
        }
      }
    }
    const kept = await orders
      .find({ status: { $nin: ['PLACED', 'ABANDONED', hex, 1] } })
      .sort({ _id: 1 })
      .toArray();
    expect(kept.map((doc) => doc.n)).toEqual([1, 4, 5, 6, 8, 11, 12]);
  });

  test('a range on _id is pushed down beside other conditions; a range on another field is left to FerretDB', async () => {
    const labelled = db.collection('ranges');
    await labelled.insertMany(
      objectIds.slice(0, 20).map((_id, n) => ({ _id, label: String.fromCharCode(97 + (n % 5)), customerId: n % 2 ? 'odd' : 'even', n })),
    );
    const middle = objectIds[10];
    const filters: Record<string, unknown>[] = [
      { label: { $gt: 'b' }, customerId: 'even' },
      { customerId: 'odd', label: { $lte: 'c' }, _id: { $lt: middle } },
      { _id: { $gte: objectIds[4], $lt: middle }, customerId: { $nin: ['odd'] } },
      { _id: { $gt: 'a string sorts before every object id' } },
    ];
    for (const filter of filters) {
      for (const direction of [1, -1] as const) {
        for (const limit of [0, 2, 5]) {
          const { found, aggregated } = await bothWays(labelled as never, filter, direction, limit);
          expect(found).toEqual(aggregated);
        }
      }
    }
    const range = await bothWays(labelled as never, filters[2] ?? {}, 1);
    expect(range.found.map((doc) => doc.n)).toEqual([4, 6, 8]);
  });

  test('an answer cut at the limit that the filter would shorten is asked for again in full', async () => {
    // The pushed-down equality matches an object id by its hex as well as the string: PostgreSQL's
    // first three include documents the filter drops, so three matches need a second read.
    const mixed = db.collection<Order>('recheck');
    const hex = objectIds[0]?.toHexString() ?? '';
    await mixed.insertMany(
      Array.from({ length: 12 }, (_, n) => ({ _id: objectIds[n] as InstanceType<typeof ObjectId>, status: n >= 6 ? new ObjectId(hex) : hex, n })),
    );
    const newest = await mixed.find({ status: hex }).sort({ _id: -1 }).limit(3).toArray();
    expect(newest.map((doc) => doc.n)).toEqual([5, 4, 3]);
  });

  test('the newest page of a large collection, and the page after it, are read from the index, not the collection', async () => {
    const orders = db.collection<Order>('large');
    const count = 3_000;
    await orders.insertMany(
      Array.from({ length: count }, (_, n) => ({ _id: new ObjectId(), status: n % 10 === 0 ? 'PLACED' : 'COMPLETED', n })),
      { ordered: true },
    );
    // As autovacuum leaves a table within a minute of a bulk change: without statistics,
    // PostgreSQL guesses the page after a cursor matches a handful of rows, and sorts them all.
    await sql.query(`ANALYZE ${sql.escapeIdentifier(db.databaseName)}.${sql.escapeIdentifier(await tableOf('large'))}`);
    const before = await orderIndexReads('large');
    const PAGES = 6;
    const newest = Array.from({ length: 50 }, (_, k) => count - 1 - k).filter((n) => n % 10 !== 0);
    const visible = { $nin: ['PLACED', 'ABANDONED'] };
    for (let i = 0; i < PAGES; i += 2) {
      const page = await orders.find({ status: visible }).sort({ _id: -1 }).limit(20).toArray();
      expect(page.map((doc) => doc.n)).toEqual(newest.slice(0, 20));
      // The next page, after the last one's cursor.
      const next = await orders
        .find({ status: visible, _id: { $lt: page.at(-1)?._id } })
        .sort({ _id: -1 })
        .limit(20)
        .toArray();
      expect(next.map((doc) => doc.n)).toEqual(newest.slice(20, 40));
    }
    // PostgreSQL publishes a session's statistics when it next goes idle, within seconds.
    const after = await eventually(
      async () => {
        const reads = await orderIndexReads('large');
        return reads.scans >= before.scans + PAGES && reads;
      },
      { what: `${PAGES} scans of the _id order index`, timeoutMs: 30_000 },
    );
    // Each page reads its 20 matches and the 2 or 3 it skips, not the 3,000 documents.
    expect((after.entries - before.entries) / PAGES).toBeLessThanOrEqual(30);
  });
});
