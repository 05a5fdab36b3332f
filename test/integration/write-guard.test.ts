/**
 * Single-document atomicity on the local MongoDB (shared/design/STORAGE.md).
 *
 * FerretDB v1 runs update and findAndModify as "query, change in Go, overwrite by _id" without a
 * transaction, so concurrent conditional updates of one document can all "succeed" while their
 * changes overwrite each other: LOST UPDATES. `npx tsx scripts/race-without-guard.ts` runs this
 * same race against FerretDB with and without the write guard (tools/ferretdb/guard.go) and shows
 * the difference. Through the guard, as on MongoDB, exactly `stock` decrements may succeed and
 * the stock ends at zero, never below.
 *
 * Runs against MONGODB_URL (the guarded FerretDB under `npm test`, or a real MongoDB); without
 * it, starts its own guarded FerretDB on a temporary directory.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
// The driver comes with mongoose (it is not a direct dependency, so it is not importable by name).
import mongoose from 'mongoose';
import { startFerretDB, type RunningFerretDB } from '../../scripts/infra/index.js';

const { MongoClient } = mongoose.mongo;

const STOCK = 50;
const ATTEMPTS = 200;
const POOL = 50;

describe('write guard: single-document atomicity', () => {
  let url: string;
  let ferretdb: RunningFerretDB | undefined;
  let dataDir: string | undefined;
  let client: mongoose.mongo.MongoClient;
  let db: mongoose.mongo.Db;

  beforeAll(async () => {
    if (process.env.MONGODB_URL) {
      url = process.env.MONGODB_URL;
    } else {
      dataDir = mkdtempSync(path.join(tmpdir(), 'bakery-guard-test-'));
      ferretdb = await startFerretDB({ dataDir });
      url = ferretdb.url;
    }
    client = new MongoClient(url, { maxPoolSize: POOL, retryWrites: false, serverSelectionTimeoutMS: 5_000 });
    await client.connect();
    db = client.db(`test_guard_${randomUUID().slice(0, 8)}`);
  });

  afterAll(async () => {
    await db?.dropDatabase().catch(() => {});
    await client?.close();
    await ferretdb?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test(`${ATTEMPTS} concurrent conditional updateOne decrements of stock ${STOCK}: exactly ${STOCK} succeed`, async () => {
    const products = db.collection<{ _id: string; stock: number }>('products');
    await products.insertOne({ _id: 'croissant', stock: STOCK });

    const results = await Promise.all(
      Array.from({ length: ATTEMPTS }, () =>
        products.updateOne({ _id: 'croissant', stock: { $gte: 1 } }, { $inc: { stock: -1 } }),
      ),
    );

    const succeeded = results.filter((result) => result.modifiedCount === 1).length;
    const final = await products.findOne({ _id: 'croissant' });
    expect(final?.stock).toBe(0); // stock ends at zero, never below
    expect(succeeded).toBe(STOCK); // one success per unit of stock: no update lost
  });

  test(`${ATTEMPTS} concurrent findOneAndUpdate decrements: each success sees its own stock level`, async () => {
    const products = db.collection<{ _id: string; stock: number }>('products');
    await products.insertOne({ _id: 'baguette', stock: STOCK });

    // No projection: FerretDB answers NotImplemented to findOneAndUpdate with one.
    const results = await Promise.all(
      Array.from({ length: ATTEMPTS }, () =>
        products.findOneAndUpdate({ _id: 'baguette', stock: { $gte: 1 } }, { $inc: { stock: -1 } }, { returnDocument: 'after' }),
      ),
    );

    const seen = results.flatMap((doc) => (doc ? [doc.stock] : []));
    expect(seen.length).toBe(STOCK); // one success per unit of stock: no update lost
    expect([...seen].sort((a, b) => a - b)).toStrictEqual(Array.from({ length: STOCK }, (_, i) => i)); // the successes saw every level from 49 down to 0 exactly once
    const final = await products.findOne({ _id: 'baguette' });
    expect(final?.stock).toBe(0);
  });

  test('an unacknowledged write (w:0, no reply) leaves the connection usable', async () => {
    // FerretDB v1 replies even to requests flagged moreToCome; the guard drops that reply, which
    // the driver would otherwise read as the answer to its next command on the connection.
    const single = new MongoClient(url, { maxPoolSize: 1, retryWrites: false });
    try {
      const coll = single.db(db.databaseName).collection<{ _id: string }>('unacknowledged');
      await coll.insertOne({ _id: 'a' }, { writeConcern: { w: 0 } });
      expect(await coll.countDocuments({})).toBe(1);
    } finally {
      await single.close();
    }
  });
});
