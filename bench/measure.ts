/**
 * The database's own speed, printed beside every benchmark's figures: what the system does on top
 * of it is what the benchmark measures (FerretDB here says nothing about MongoDB in production).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * CPU time used so far, in ms, by each process this benchmark started (its services by name, the
 * store's processes by command, and the benchmark's own clients): the difference of two readings is
 * where a run's work went, which stays true on a machine that other work slows down.
 */
export function cpuByProcess(services: Record<string, number | undefined>): Map<string, number> {
  const TICK_MS = 10; // USER_HZ is 100 on Linux
  const procs = new Map<number, { ppid: number; comm: string; cpuMs: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      procs.set(pid, { ppid: Number(fields[1]), comm, cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS });
    } catch {
      // exited while we looked
    }
  }
  const labelOf = new Map<number, string>();
  for (const [name, pid] of Object.entries(services)) if (pid !== undefined) labelOf.set(pid, name);
  const label = (pid: number): string | undefined => {
    for (let at = pid; at > 1; at = procs.get(at)?.ppid ?? 0) {
      if (labelOf.has(at)) return labelOf.get(at);
      if (at === process.pid) return at === pid ? 'benchmark clients' : (procs.get(pid)?.comm ?? 'other');
    }
    return undefined; // not ours
  };
  const totals = new Map<string, number>();
  for (const [pid, proc] of procs) {
    const name = label(pid);
    if (name && proc.comm !== 'sh') totals.set(name, (totals.get(name) ?? 0) + proc.cpuMs);
  }
  return totals;
}
