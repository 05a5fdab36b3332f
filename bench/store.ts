/**
 * `npm run bench:store`: the local store's own speed (FerretDB v1.24.2 on PostgreSQL behind the
 * write guard), the baseline every other benchmark stands on. Says nothing about MongoDB.
 *
 *   - 30,000 small order-like documents; then, one at a time: find by _id, a conditional
 *     findOneAndUpdate({_id, status: {$in}}), 20 documents by one _id $in and by 20 concurrent
 *     finds, a find by a (customerId, key) pair that does not
 *     exist, and an insert: with the guard's GIN indexes, and again after dropping them (what
 *     FerretDB does on its own: a sequential scan per lookup);
 *   - write throughput through the guard: 8 concurrent writers, each to a document of its own,
 *     against 8 writers to one document (which the guard serializes).
 *
 * Runs on POSTGRES_URL (a database of its own, dropped afterwards), else on a temporary cluster
 * with PostgreSQL's durable defaults, as `npm start` runs. Prints a table and writes it to
 * bench/results/store.md. BENCH_DOCS, BENCH_RUNS and BENCH_WRITES override the sizes;
 * BENCH_DURABILITY=throwaway measures a cluster of its own with npm test's settings (no fsync,
 * asynchronous commit) instead.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import pg from 'pg';
import { startStore } from '../scripts/infra/index.js';
import { quantile } from './measure.js';

const DOCS = Number(process.env.BENCH_DOCS ?? 30_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const RUNS_WITHOUT_GIN = Math.max(10, Math.round(RUNS / 10)); // each of these scans every document
const WRITES = Number(process.env.BENCH_WRITES ?? 200); // per writer
const WRITERS = 8;
const DURABILITY = process.env.BENCH_DURABILITY === 'throwaway' ? 'throwaway' : 'durable';

interface Order {
  _id: string;
  customerId: string;
  idempotencyKey: string;
  status: string;
  total: number;
  note?: number;
}

const store = await startStore({ durability: DURABILITY, database: `ferretdb_bench_${randomUUID().slice(0, 8)}`, dropDatabase: true });
const client = new mongoose.mongo.MongoClient(store.mongoUrl, { maxPoolSize: 20, retryWrites: false });
const sql = new pg.Client({ connectionString: store.ferretdbPostgresUrl });
const rows: string[][] = [];

try {
  await client.connect();
  await sql.connect();
  const db = client.db('bench_store');
  const orders = db.collection<Order>('orders');
  // What mongoose sends for the order schema's indexes; the guard adds the GIN indexes.
  await orders.createIndexes([{ key: { customerId: 1, idempotencyKey: 1 }, unique: true }, { key: { status: 1 } }]);

  process.stdout.write(`inserting ${DOCS} documents...`);
  const statuses = ['PAYMENT_PENDING', 'CONFIRMED', 'ASSIGNED', 'BAKING', 'COMPLETED'];
  for (let start = 0; start < DOCS; start += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, DOCS - start) }, (_, i): Order => {
      const n = start + i;
      return { _id: `order-${n}`, customerId: `customer-${n % 3_000}`, idempotencyKey: `key-${n}`, status: statuses[n % statuses.length]!, total: 3_500 };
    });
    await orders.insertMany(batch, { ordered: false });
  }
  console.log(' done');
  await sql.query('ANALYZE');

  const twenty = (i: number) => Array.from({ length: 20 }, (_, k) => `order-${(i * 7_919 + k * 1_009) % DOCS}`);
  let inserted = 0;
  const operations: Array<[string, (i: number) => Promise<unknown>]> = [
    ['find by _id', (i) => orders.findOne({ _id: `order-${(i * 7_919) % DOCS}` })],
    [
      'findOneAndUpdate({_id, status: {$in}})',
      (i) => orders.findOneAndUpdate({ _id: `order-${(i * 7_919) % DOCS}`, status: { $in: ['CONFIRMED', 'ASSIGNED'] } }, { $set: { note: i } }),
    ],
    // A page's entity lookups batched into one query (the subgraphs' loaders), against the same
    // 20 one at a time, concurrently: FerretDB alone scans the table for $in; the project's
    // patch (tools/ferretdb/patches) sends an _id $in to the _id btree index.
    ['find {_id: {$in: 20 ids}}', (i) => orders.find({ _id: { $in: twenty(i) } }).toArray()],
    ['20 concurrent finds by _id', (i) => Promise.all(twenty(i).map((_id) => orders.findOne({ _id })))],
    ['find by a missing (customerId, key)', (i) => orders.findOne({ customerId: `customer-${i % 3_000}`, idempotencyKey: `missing-${i}` })],
    [
      'insert',
      () =>
        orders.insertOne({
          _id: `new-${randomUUID()}`,
          customerId: `customer-${inserted}`,
          idempotencyKey: `new-${inserted++}`,
          status: 'CONFIRMED',
          total: 1,
        }),
    ],
  ];

  const withGin = new Map<string, number[]>();
  for (const [name, run] of operations) withGin.set(name, await latencies(run, RUNS));

  // Throughput through the guard while the GIN indexes are there.
  const counters = db.collection<{ _id: string; n: number }>('counters');
  await counters.insertMany(Array.from({ length: WRITERS }, (_, i) => ({ _id: `c-${i}`, n: 0 })));
  const spread = await throughput((writer) => counters.updateOne({ _id: `c-${writer}` }, { $inc: { n: 1 } }));
  const single = await throughput(() => counters.updateOne({ _id: 'c-0' }, { $inc: { n: 1 } }));

  // FerretDB on its own: drop the guard's GIN indexes (it will not make them again: it
  // remembers having made them).
  const { rows: gins } = await sql.query<{ name: string }>(
    "SELECT format('%I.%I', schemaname, indexname) AS name FROM pg_indexes WHERE schemaname = 'bench_store' AND indexname LIKE '%\\_gin'",
  );
  for (const { name } of gins) await sql.query(`DROP INDEX ${name}`);
  await sql.query('ANALYZE');
  const withoutGin = new Map<string, number[]>();
  for (const [name, run] of operations) withoutGin.set(name, await latencies(run, RUNS_WITHOUT_GIN));

  const ms = (values: number[] | undefined, q: number): string => `${quantile(values ?? [], q).toFixed(1)} ms`;
  rows.push(['operation', 'with GIN: median', 'p95', 'FerretDB alone: median', 'p95']);
  for (const [name] of operations) {
    rows.push([name, ms(withGin.get(name), 0.5), ms(withGin.get(name), 0.95), ms(withoutGin.get(name), 0.5), ms(withoutGin.get(name), 0.95)]);
  }
  const table = [
    `Store: FerretDB v1.24.2 on PostgreSQL (${DURABILITY}) behind the write guard; ${DOCS} documents; ${RUNS} runs with GIN, ${RUNS_WITHOUT_GIN} without; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores.`,
    '',
    ...markdown(rows),
    '',
    `Guard throughput, ${WRITERS} concurrent writers x ${WRITES} updateOne({_id}, {$inc}):`,
    '',
    ...markdown([
      ['writers', 'writes/s', 'wall time'],
      [`${WRITERS}, each to its own document`, spread.perSecond.toFixed(0), `${(spread.ms / 1000).toFixed(2)} s`],
      [`${WRITERS}, all to one document`, single.perSecond.toFixed(0), `${(single.ms / 1000).toFixed(2)} s`],
    ]),
  ].join('\n');
  console.log(`\n${table}`);
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', DURABILITY === 'durable' ? 'store.md' : `store-${DURABILITY}.md`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${table}\n`);
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);

  /** Latencies in ms of `count` sequential runs, after a few warm-up runs. */
  async function latencies(run: (i: number) => Promise<unknown>, count: number): Promise<number[]> {
    for (let i = 0; i < 5; i++) await run(count + i);
    const result: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await run(i);
      result.push(performance.now() - started);
    }
    return result;
  }

  /** WRITERS loops of WRITES writes each, all at once. */
  async function throughput(write: (writer: number) => Promise<unknown>): Promise<{ ms: number; perSecond: number }> {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let i = 0; i < WRITES; i++) await write(writer);
      }),
    );
    const elapsed = performance.now() - started;
    return { ms: elapsed, perSecond: (WRITERS * WRITES * 1000) / elapsed };
  }
} finally {
  await sql.end().catch(() => {});
  await client.close();
  await store.stop();
}

function markdown(table: string[][]): string[] {
  const widths = table[0]!.map((_, col) => Math.max(...table.map((row) => row[col]!.length)));
  const line = (row: string[]): string => `| ${row.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ')} |`;
  return [line(table[0]!), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...table.slice(1).map(line)];
}
