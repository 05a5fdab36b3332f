/**
 * `npm run bench`: how fast orders move on this machine, through the gateway with every service a
 * real process. Reports, beside the system's figures, the database's own baseline (FerretDB
 * here: its speed says nothing about MongoDB's).
 *   - placeOrder latency, one at a time;
 *   - placeOrder to ASSIGNED (the workers' assignment);
 *   - a burst of N concurrent orders for few units: wall time and outcomes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInfrastructure } from '../scripts/infra/index.js';
import { pointUpdateLatencies, summary } from './measure.js';
import { OrderDriver } from '../test/support/orders.js';
import { startStack } from '../test/support/stack.js';
import { eventually } from '../test/support/wait.js';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 30);
const BURST = Number(process.env.BENCH_BURST ?? 200);

const dataDir = mkdtempSync(path.join(tmpdir(), 'bakery-bench-'));
const infra = await startInfrastructure({ dataDir, ...(process.env.MONGODB_URL ? { mongoUrl: process.env.MONGODB_URL } : {}) });
process.env.MONGODB_URL = infra.mongoUrl;
process.env.REDIS_URL = infra.redisUrl;
const stack = await startStack({ env: { LOG_LEVEL: 'warn' } });
try {
  const updates = await pointUpdateLatencies(infra.mongoUrl, `${stack.dbPrefix}_bench`);
  console.log(`database baseline, point update by _id: ${summary(updates)} (FerretDB here says nothing about MongoDB)`);

  const orders = new OrderDriver(stack);
  const customer = await stack.customerToken(`bench-${randomUUID().slice(0, 6)}`);
  const productId = await orders.product(100_000, 3_500);

  const placeLatency: number[] = [];
  const assignLatency: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const started = performance.now();
    const order = await orders.placed(customer, { lines: [{ productId, quantity: 1 }] });
    placeLatency.push(performance.now() - started);
    await eventually(async () => (await orders.order(customer, order.id, 'status'))?.status === 'ASSIGNED', { intervalMs: 5, what: 'assignment' });
    assignLatency.push(performance.now() - started);
  }
  console.log(`placeOrder (card, pickup), one at a time: ${summary(placeLatency)}`);
  console.log(`placeOrder to ASSIGNED (seen by polling every 5 ms): ${summary(assignLatency)}`);

  const scarce = await orders.product(20, 1_000);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: BURST }, () => orders.place(customer, { lines: [{ productId: scarce, quantity: 1 }] }, 'status rejectionReason')),
  );
  const wall = Math.round(performance.now() - started);
  const outcomes = new Map<string, number>();
  for (const result of results) {
    const key = result.errors
      ? `error ${String(result.errors[0]?.extensions?.code)}`
      : `${result.data?.placeOrder.status} ${result.data?.placeOrder.rejectionReason ?? ''}`.trim();
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  console.log(
    `burst of ${BURST} concurrent orders for 20 units: ${wall} ms wall, ${Math.round((BURST * 1000) / wall)} orders/s; ${[...outcomes].map(([k, v]) => `${v} ${k}`).join(', ')}`,
  );
} finally {
  await stack.stop();
  await infra.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
