/**
 * The database's own speed, printed beside every benchmark's figures: what the system does on top
 * of it is what the benchmark measures (FerretDB here says nothing about MongoDB in production).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { startInfrastructure, type Infrastructure } from '../scripts/infra/index.js';
import { startStack, type Stack } from '../test/support/stack.js';

/** Latencies of `count` point updates by `_id`, in ms, on a scratch database dropped afterwards. */
export async function pointUpdateLatencies(mongoUrl: string, dbName: string, count = 100): Promise<number[]> {
  const connection = await mongoose.createConnection(mongoUrl, { dbName }).asPromise();
  try {
    const db = connection.db;
    if (!db) throw new Error('no database connection');
    const probe = db.collection<{ _id: string; n: number }>('probe');
    await probe.insertOne({ _id: 'x', n: 0 });
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await probe.updateOne({ _id: 'x' }, { $inc: { n: 1 } });
      latencies.push(performance.now() - started);
    }
    await connection.dropDatabase();
    return latencies;
  } finally {
    await connection.close();
  }
}

/** The value below which a fraction `q` of the values fall (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Median, p95, p99 and max of latencies in ms. */
export function summary(values: readonly number[]): string {
  const ms = (q: number) => `${quantile(values, q).toFixed(1)} ms`;
  return `median ${ms(0.5)}, p95 ${ms(0.95)}, p99 ${ms(0.99)}, max ${ms(1)} (n=${values.length})`;
}

/** A Markdown table of `rows` (the first row is the header), printed and written to `bench/results/<name>.md`. */
export function report(name: string, title: string, rows: ReadonlyArray<ReadonlyArray<string | number>>, notes: readonly string[] = []): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => String(row[column] ?? '').length))) ?? [];
  const line = (row: ReadonlyArray<string | number>) => `| ${row.map((cell, column) => String(cell).padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const [header, ...body] = rows;
  const text = [
    `## ${title}`,
    '',
    line(header ?? []),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...body.map(line),
    '',
    ...notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
  console.log(`\n${text}`);
  const file = path.join(RESULTS_DIR, `${name}.md`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(file, `${text}\n_${new Date().toISOString()}, ${cpus().length} cores, Node ${process.version}_\n`);
  console.log(`written to ${path.relative(process.cwd(), file)}`);
  return text;
}

const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

/** Median of latencies, formatted. */
export const ms = (values: readonly number[], q = 0.5): string => (values.length === 0 ? 'n/a' : `${quantile(values, q).toFixed(1)} ms`);

/**
 * The whole system for a benchmark, as `npm start` runs it (a durable store: the figures are the
 * default configuration's), on a store and Redis of its own; `stop` ends and removes everything.
 */
export async function startBenchSystem(): Promise<{ infra: Infrastructure; stack: Stack; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bakery-bench-'));
  const infra = await startInfrastructure({ dataDir, durability: 'durable' });
  process.env.MONGODB_URL = infra.mongoUrl;
  process.env.REDIS_URL = infra.redisUrl;
  const stack = await startStack({ env: { LOG_LEVEL: 'warn' } });
  return {
    infra,
    stack,
    async stop() {
      await stack.stop();
      await infra.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
