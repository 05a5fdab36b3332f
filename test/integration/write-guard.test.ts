/**
 * The project's local MongoDB: FerretDB v1.24.2 on PostgreSQL behind the write guard
 * (tools/ferretdb, shared/design/STORAGE.md).
 *
 * Single-document atomicity: FerretDB v1 runs update and findAndModify as "query, change in Go,
 * overwrite by _id" without a transaction, so concurrent conditional updates of one document can
 * all "succeed" while their changes overwrite each other: LOST UPDATES.
 * `npx tsx scripts/race-without-guard.ts` runs the first race below against FerretDB with and
 * without the guard and shows the difference. Through the guard, as on MongoDB, exactly `stock`
 * decrements succeed and the stock ends at zero, never below. The guard serializes per document
 * where the filter names one _id, so writes to different documents still run side by side.
 *
 * Speed: FerretDB pushes equality filters down as `_jsonb->'field' @> value`, which only a GIN
 * index serves; the guard makes them from the indexes a createIndexes declares, plus _id.
 *
 * Each file starts a FerretDB of its own on a fresh PostgreSQL database: on POSTGRES_URL (which
 * `npm test` sets), else on a temporary cluster.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
// The driver comes with mongoose (it is not a direct dependency, so it is not importable by name).
import mongoose from 'mongoose';
import pg from 'pg';
import { startStore, type RunningStore } from '../../scripts/infra/index.js';
import { eventually } from '../support/wait.js';

const { MongoClient } = mongoose.mongo;

const STOCK = 50;
const ATTEMPTS = 200;
const POOL = 50;

interface Product {
  _id: string;
  sku?: string;
  stock: number;
}

let store: RunningStore;
let client: mongoose.mongo.MongoClient;
let db: mongoose.mongo.Db;
let sql: pg.Client;

beforeAll(async () => {
  store = await startStore({ durability: 'throwaway' });
  client = new MongoClient(store.mongoUrl, { maxPoolSize: POOL, retryWrites: false, serverSelectionTimeoutMS: 5_000 });
  await client.connect();
  db = client.db(`test_guard_${randomUUID().slice(0, 8)}`);
  // FerretDB's own PostgreSQL database, to look at what it does underneath.
  sql = new pg.Client({ connectionString: store.ferretdbPostgresUrl });
  await sql.connect();
});

afterAll(async () => {
  await sql?.end();
  await client?.close();
  await store?.stop();
});

/** The PostgreSQL table FerretDB keeps a collection of `db` in. */
async function tableOf(collection: string): Promise<string> {
  const { rows } = await sql.query<{ table: string }>(
    `SELECT _jsonb->>'table' AS table FROM ${sql.escapeIdentifier(db.databaseName)}._ferretdb_database_metadata WHERE _jsonb->>'_id' = $1`,
    [collection],
  );
  assert.ok(rows[0], `FerretDB has a table for ${collection}`);
  return rows[0].table;
}

/** The definitions (CREATE INDEX statements) of the GIN indexes on the collection's table. */
async function ginIndexDefinitions(collection: string): Promise<string[]> {
  const { rows } = await sql.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2', [
    db.databaseName,
    await tableOf(collection),
  ]);
  return rows.map(({ indexdef }) => indexdef).filter((indexdef) => indexdef.includes('USING gin'));
}

/** The GIN indexes on the table, as the fields they index. */
async function ginFields(collection: string): Promise<string[]> {
  return (await ginIndexDefinitions(collection)).flatMap((indexdef) => /USING gin \(\(\(_jsonb -> '([^']+)'::text\)\)\)/.exec(indexdef)?.[1] ?? []).sort();
}

describe('single-document atomicity', () => {
  test(`${ATTEMPTS} concurrent conditional updateOne decrements by _id of stock ${STOCK}: exactly ${STOCK} succeed`, async () => {
    const products = db.collection<Product>('products');
    await products.insertOne({ _id: 'croissant', stock: STOCK });

    const results = await Promise.all(
      Array.from({ length: ATTEMPTS }, () => products.updateOne({ _id: 'croissant', stock: { $gte: 1 } }, { $inc: { stock: -1 } })),
    );

    const succeeded = results.filter((result) => result.modifiedCount === 1).length;
    const final = await products.findOne({ _id: 'croissant' });
    assert.equal(final?.stock, 0, 'stock ends at zero, never below');
    assert.equal(succeeded, STOCK, 'one success per unit of stock: no update lost');
  });

  test(`${ATTEMPTS} concurrent findOneAndUpdate decrements: each success sees its own stock level`, async () => {
    const products = db.collection<Product>('products');
    await products.insertOne({ _id: 'baguette', stock: STOCK });

    // No projection: FerretDB answers NotImplemented to findOneAndUpdate with one.
    const results = await Promise.all(
      Array.from({ length: ATTEMPTS }, () =>
        products.findOneAndUpdate({ _id: 'baguette', stock: { $gte: 1 } }, { $inc: { stock: -1 } }, { returnDocument: 'after' }),
      ),
    );

    const seen = results.flatMap((doc) => (doc ? [doc.stock] : []));
    assert.equal(seen.length, STOCK, 'one success per unit of stock: no update lost');
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: STOCK }, (_, i) => i),
      'the successes saw every level from 49 down to 0 exactly once',
    );
    const final = await products.findOne({ _id: 'baguette' });
    assert.equal(final?.stock, 0);
  });

  test(`${ATTEMPTS} concurrent conditional decrements by another field than _id: exactly ${STOCK} succeed`, async () => {
    const products = db.collection<Product>('products');
    const sku = `SKU-${randomUUID().slice(0, 8)}`;
    await products.insertOne({ _id: randomUUID(), sku, stock: STOCK });

    const results = await Promise.all(Array.from({ length: ATTEMPTS }, () => products.updateOne({ sku, stock: { $gte: 1 } }, { $inc: { stock: -1 } })));

    assert.equal(results.filter((result) => result.modifiedCount === 1).length, STOCK, 'one success per unit of stock');
    assert.equal((await products.findOne({ sku }))?.stock, 0);
  });

  test('concurrent inserts of one unique key: exactly one succeeds, the others get a duplicate key error', async () => {
    const orders = db.collection<{ _id: string; customerId: string; key: string }>('unique_orders');
    await orders.createIndex({ customerId: 1, key: 1 }, { unique: true });

    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => orders.insertOne({ _id: randomUUID(), customerId: 'alice', key: 'k-1' })));

    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') assert.equal((outcome.reason as { code?: number }).code, 11000);
    }
    assert.equal(await orders.countDocuments({ customerId: 'alice', key: 'k-1' }), 1);
  });

  test('an unacknowledged write (w:0, no reply) leaves the connection usable', async () => {
    // FerretDB v1 replies even to requests flagged moreToCome; the guard drops that reply, which
    // the driver would otherwise read as the answer to its next command on the connection.
    const single = new MongoClient(store.mongoUrl, { maxPoolSize: 1, retryWrites: false });
    try {
      const coll = single.db(db.databaseName).collection<{ _id: string }>('unacknowledged');
      await coll.insertOne({ _id: 'a' }, { writeConcern: { w: 0 } });
      assert.equal(await coll.countDocuments({}), 1);
    } finally {
      await single.close();
    }
  });
});

describe('the guard serializes per document', () => {
  test('a write to one document does not wait for a write to another document of the same collection', async () => {
    const products = db.collection<Product>('concurrency');
    await products.insertMany([
      { _id: 'held', stock: 5 },
      { _id: 'free', stock: 5 },
    ]);
    const table = await tableOf('concurrency');

    // Hold the row of 'held' in PostgreSQL, so FerretDB's write of that document blocks inside
    // PostgreSQL while the guard holds that document's lock.
    const holder = new pg.Client({ connectionString: store.ferretdbPostgresUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(
        `SELECT 1 FROM ${holder.escapeIdentifier(db.databaseName)}.${holder.escapeIdentifier(table)} WHERE _jsonb->'_id' = '"held"' FOR UPDATE`,
      );

      let heldSettled = false;
      const heldUpdate = products.updateOne({ _id: 'held', stock: { $gte: 1 } }, { $inc: { stock: -1 } }).finally(() => {
        heldSettled = true;
      });
      await eventually(
        async () => {
          const { rows } = await sql.query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE%'",
          );
          return rows.length === 1;
        },
        { what: "FerretDB's update of the held document to wait on its row lock" },
      );

      // With one lock per collection or database these would wait for the held write, forever.
      const other = await products.updateOne({ _id: 'free', stock: { $gte: 1 } }, { $inc: { stock: -1 } });
      assert.equal(other.modifiedCount, 1);
      await products.insertOne({ _id: 'new', stock: 1 });
      assert.equal(heldSettled, false, 'the held write is still waiting');

      await holder.query('ROLLBACK');
      assert.equal((await heldUpdate).modifiedCount, 1);
    } finally {
      await holder.end();
    }
    assert.deepEqual(await products.find({}, { sort: { _id: 1 } }).toArray(), [
      { _id: 'free', stock: 4 },
      { _id: 'held', stock: 4 },
      { _id: 'new', stock: 1 },
    ]);
  });
});

describe('GIN indexes for pushed-down filters', () => {
  test('createIndexes gets a GIN index on every top-level field it names, and on _id', async () => {
    const orders = db.collection('indexed_orders');
    await orders.createIndexes([
      { key: { customerId: 1, idempotencyKey: 1 }, unique: true },
      { key: { status: 1, createdAt: -1 } },
      { key: { 'lines.sku': 1 } },
    ]);

    assert.deepEqual(await ginFields('indexed_orders'), ['_id', 'createdAt', 'customerId', 'idempotencyKey', 'status']);
  });

  test('every GIN index is made with fastupdate off: a search never reads through a list of pending entries', async () => {
    const collection = db.collection('pending_free');
    await collection.createIndexes([{ key: { customerId: 1 } }]);
    await collection.insertOne({ customerId: 'c' });
    const gin = await ginIndexDefinitions('pending_free');
    assert.equal(gin.length, 2, `a GIN index on _id and on customerId:\n${gin.join('\n')}`);
    for (const indexdef of gin) assert.match(indexdef, /WITH \(fastupdate='?off'?\)/);
  });

  test('the first write to a collection gets a GIN index on _id', async () => {
    await db.collection('plain').insertOne({ _id: 'x' } as never);
    assert.deepEqual(await ginFields('plain'), ['_id']);
  });

  test('a document of a few kilobytes is kept whole in its row, not compressed: a read does not decompress it', async () => {
    // As FerretDB stores it (each value beside its type), over the 2 kB above which PostgreSQL compresses by default.
    const notes = Array.from({ length: 20 }, (_, n) => ({ step: `history entry ${n % 3}`, at: new Date(0) }));
    // The table is set at the first write the guard sees, after FerretDB made the table for it.
    await db.collection('roomy').insertOne({ _id: 'first' } as never);
    await db.collection('roomy').insertOne({ _id: 'big', notes } as never);
    const table = sql.escapeIdentifier(await tableOf('roomy'));
    const schema = sql.escapeIdentifier(db.databaseName);
    const { rows } = await sql.query<{ text: number; stored: number; reloptions: string[] }>(
      `SELECT octet_length(_jsonb::text) AS text, pg_column_size(_jsonb) AS stored, c.reloptions
         FROM ${schema}.${table}, pg_class c WHERE c.oid = '${schema}.${table}'::regclass AND _jsonb->>'_id' = 'big'`,
    );
    const [row] = rows;
    assert.ok(row && row.text > 2_500, `the stored document is over the default threshold: ${row?.text} bytes`);
    assert.deepEqual(row.reloptions, ['toast_tuple_target=8160']);
    assert.ok(row.stored >= row.text * 0.5, `stored uncompressed: ${row.stored} bytes for ${row.text} of text`);
  });

  test("FerretDB's lookups by an indexed field and by _id use the GIN indexes", async () => {
    const orders = db.collection<{ _id: string; customerId: string; n: number }>('lookups');
    await orders.createIndexes([{ key: { customerId: 1 } }]);
    await orders.insertMany(Array.from({ length: 2_000 }, (_, n) => ({ _id: `o-${n}`, customerId: `c-${n % 500}`, n })));
    const table = await tableOf('lookups');
    await sql.query(`ANALYZE ${sql.escapeIdentifier(db.databaseName)}.${sql.escapeIdentifier(table)}`);

    // This table is new: no GIN index of it has been scanned before the lookups below.
    const scansByField = async (): Promise<{ _id: number; customerId: number }> => {
      const { rows } = await sql.query<{ indexrelname: string; idx_scan: string }>(
        'SELECT indexrelname, idx_scan FROM pg_stat_user_indexes WHERE schemaname = $1 AND relname = $2',
        [db.databaseName, table],
      );
      const count = (prefix: string): number =>
        rows
          .filter((row) => row.indexrelname.startsWith(`${table}_${prefix}_`) && row.indexrelname.endsWith('_gin'))
          .reduce((sum, row) => sum + Number(row.idx_scan), 0);
      return { _id: count('_id'), customerId: count('customerid') };
    };

    // More than five runs of each prepared statement: PostgreSQL may switch a statement to a
    // generic plan after five, which cannot use an expression index on `_jsonb->'field'` and
    // scans the table instead.
    const LOOKUPS = 8;
    for (let i = 0; i < LOOKUPS; i++) {
      assert.equal((await orders.findOne({ _id: `o-${i}` }))?.n, i);
      assert.equal((await orders.find({ customerId: `c-${i}` }).toArray()).length, 4);
    }

    // PostgreSQL publishes a session's statistics when it next goes idle, within seconds.
    await eventually(
      async () => {
        const scans = await scansByField();
        return scans._id >= LOOKUPS && scans.customerId >= LOOKUPS;
      },
      { what: `${LOOKUPS} scans of each GIN index`, timeoutMs: 30_000 },
    );
  });

  test('a prepared `_jsonb->$1 @> $2` lookup, the shape FerretDB sends, runs as an index scan with custom plans', async () => {
    const orders = db.collection<{ _id: string; customerId: string }>('plans');
    await orders.createIndexes([{ key: { customerId: 1 } }]);
    await orders.insertMany(Array.from({ length: 2_000 }, (_, n) => ({ _id: `p-${n}`, customerId: `c-${n}` })));
    const table = await tableOf('plans');
    const name = `${sql.escapeIdentifier(db.databaseName)}.${sql.escapeIdentifier(table)}`;
    await sql.query(`ANALYZE ${name}`);

    await sql.query('SET plan_cache_mode = force_custom_plan'); // what the guard's binary sets on FerretDB's connections
    await sql.query(`PREPARE lookup(text, jsonb) AS SELECT _jsonb FROM ${name} WHERE _jsonb->$1 @> $2`);
    try {
      for (let i = 0; i < 8; i++) {
        const { rows } = await sql.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE lookup('customerId', '"c-${i}"')`);
        const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
        assert.match(plan, /Index Scan on \S+_gin/, plan);
      }
    } finally {
      await sql.query('DEALLOCATE lookup');
      await sql.query('RESET plan_cache_mode');
    }
  });
});
