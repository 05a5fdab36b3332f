/**
 * `npm run bench:order-cost`: the CPU one order costs the whole system, by process, placed one at a
 * time through the gateway: a confirmed order (its saga, events, notifications and assignment
 * included) and an order refused because the product is sold out. A drop is mostly these two,
 * so this says where a drop's CPU goes before any batching helps, and which process to look at.
 *
 * Each figure is net of what the processes spend idle (timers, sweeps, heartbeats), measured over
 * an idle stretch in the same run; beside it, the store's own baseline (a point update by `_id`).
 *
 *   BENCH_ORDER_COST_ORDERS=100 (of each kind)
 */
import { START_ORDER } from '../scripts/services.js';
import { OrderDriver } from '../test/support/orders.js';
import { cpuByProcess, ms, pointUpdateLatencies, report, startBenchSystem } from './measure.js';

const ORDERS = Number(process.env.BENCH_ORDER_COST_ORDERS ?? 100);
const IDLE_MS = 10_000;
/** After the last order of a kind: the workers' follow-ups (assignment, notifications) finish. */
const SETTLE_MS = 6_000;

const pause = (msToWait: number) => new Promise<void>((resolve) => setTimeout(resolve, msToWait));

const { infra, stack, stop } = await startBenchSystem();
try {
  const orders = new OrderDriver(stack);
  const pids = Object.fromEntries(START_ORDER.map((name) => [name, stack.services.pid(name)]));
  const token = await stack.customerToken('order-cost');
  const bread = await orders.product(100_000, 3_500);
  const soldOut = await orders.product(0, 3_500);
  // Warm: code loaded and compiled, connections open.
  for (let i = 0; i < 10; i++) await orders.placed(token, { lines: [{ productId: bread, quantity: 1 }] });
  await pause(SETTLE_MS);

  /** CPU ms by process over `work`, less what the processes spend idle in that time. */
  const cpuOver = async (work: () => Promise<void>, idlePerMs = new Map<string, number>()) => {
    const before = cpuByProcess(pids);
    const started = performance.now();
    await work();
    const elapsed = performance.now() - started;
    const after = cpuByProcess(pids);
    return new Map([...after].map(([name, cpuMs]) => [name, cpuMs - (before.get(name) ?? 0) - (idlePerMs.get(name) ?? 0) * elapsed]));
  };

  const idle = await cpuOver(() => pause(IDLE_MS));
  const idlePerMs = new Map([...idle].map(([name, cpuMs]) => [name, cpuMs / IDLE_MS]));
  const placeAll = (productId: string, status: string) => async () => {
    for (let i = 0; i < ORDERS; i++) {
      const placed = await orders.placed(token, { lines: [{ productId, quantity: 1 }] });
      if (placed.status !== status) throw new Error(`expected ${status}, got ${placed.status}`);
    }
    await pause(SETTLE_MS);
  };
  const confirmed = await cpuOver(placeAll(bread, 'CONFIRMED'), idlePerMs);
  const refused = await cpuOver(placeAll(soldOut, 'REJECTED'), idlePerMs);
  const baseline = await pointUpdateLatencies(infra.mongoUrl, `${stack.dbPrefix}_bench`);

  const names = [...confirmed.keys()].filter((name) => name !== 'esbuild').sort((a, b) => (confirmed.get(b) ?? 0) - (confirmed.get(a) ?? 0));
  // A process that does (almost) nothing for an order can come out a little below its idle rate.
  const perOrder = (cpu: Map<string, number>, name: string) => Math.max(0, (cpu.get(name) ?? 0) / ORDERS).toFixed(1);
  const total = (cpu: Map<string, number>) => (names.reduce((sum, name) => sum + (cpu.get(name) ?? 0), 0) / ORDERS).toFixed(1);
  report(
    'order-cost',
    'What one order costs: CPU ms per order by process, placed one at a time (net of idle)',
    [
      ['process', 'confirmed order', 'refused (sold out)', 'idle, ms per second'],
      ...names.map((name) => [name, perOrder(confirmed, name), perOrder(refused, name), ((idlePerMs.get(name) ?? 0) * 1_000).toFixed(1)]),
      ['all', total(confirmed), total(refused), ''],
    ],
    [
      `${ORDERS} orders of each kind, one at a time, then ${SETTLE_MS / 1_000} s for the workers' follow-ups; idle measured over ${IDLE_MS / 1_000} s in the same run`,
      `store baseline, point update by _id: median ${ms(baseline)}, p99 ${ms(baseline, 0.99)}`,
      'read from /proc (user + system time) for every process the benchmark started',
    ],
  );
} finally {
  await stop();
}
