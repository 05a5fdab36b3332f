/**
 * Why the write guard exists (shared/design/STORAGE.md): runs the race of
 * test/integration/write-guard.test.ts against FerretDB without the guard and with it, each on a
 * fresh PostgreSQL database (on POSTGRES_URL, or on a temporary cluster of its own), and prints
 * what happened.
 *
 *   npx tsx scripts/race-without-guard.ts [attempts=200] [stock=50]
 *
 * A document starts with `stock`; `attempts` concurrent conditional decrements
 * (`updateOne({_id, stock: {$gte: 1}}, {$inc: {stock: -1}})`, 50 connections) race on it. On
 * MongoDB, and through the guard, exactly `stock` of them succeed and the stock ends at 0.
 * Without the guard FerretDB reads, changes and overwrites the document without a transaction,
 * so more decrements report success than the stock allowed while their changes overwrite each
 * other: lost updates.
 */
import mongoose from 'mongoose';
import { startStore } from './infra/index.js';

const { MongoClient } = mongoose.mongo;

const attempts = Number(process.argv[2] ?? 200);
const stock = Number(process.argv[3] ?? 50);

interface RaceResult {
  succeeded: number;
  notMatched: number;
  errors: number;
  finalStock: number | undefined;
}

async function race(url: string): Promise<RaceResult> {
  const client = new MongoClient(url, { maxPoolSize: 50, retryWrites: false });
  try {
    await client.connect();
    const products = client.db('race').collection<{ _id: string; stock: number }>('products');
    await products.insertOne({ _id: 'croissant', stock });

    const outcomes = await Promise.allSettled(
      Array.from({ length: attempts }, () => products.updateOne({ _id: 'croissant', stock: { $gte: 1 } }, { $inc: { stock: -1 } })),
    );
    const final = await products.findOne({ _id: 'croissant' });
    return {
      succeeded: outcomes.filter((o) => o.status === 'fulfilled' && o.value.modifiedCount === 1).length,
      notMatched: outcomes.filter((o) => o.status === 'fulfilled' && o.value.modifiedCount === 0).length,
      errors: outcomes.filter((o) => o.status === 'rejected').length,
      finalStock: final?.stock,
    };
  } finally {
    await client.close();
  }
}

async function run(noGuard: boolean): Promise<RaceResult> {
  const store = await startStore({ durability: 'throwaway', noGuard });
  try {
    return await race(store.mongoUrl);
  } finally {
    await store.stop();
  }
}

console.log(`${attempts} concurrent conditional decrements of one document with stock ${stock}; MongoDB semantics: ${stock} succeed, stock ends at 0.\n`);
for (const [label, noGuard] of [
  ['FerretDB without the guard', true],
  ['FerretDB behind the guard', false],
] as const) {
  const r = await run(noGuard);
  const lost = r.finalStock === undefined ? '?' : r.succeeded - (stock - r.finalStock);
  console.log(
    `${label.padEnd(28)} succeeded: ${String(r.succeeded).padStart(3)}  not matched: ${String(r.notMatched).padStart(3)}  ` +
      `errors: ${String(r.errors).padStart(3)}  final stock: ${r.finalStock}  lost updates: ${lost}`,
  );
}
