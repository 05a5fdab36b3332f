/**
 * `npm run bench:reads`: the read path. The catalogue page (`products(first: 20)`, one subgraph)
 * and the order page (`myOrders(first: 10)` with each line's product, the payment, and the
 * delivery with its baker: all four subgraphs) side by side, through the gateway, on the default
 * configuration. One customer has 20 orders of two lines each (the same two products in every
 * order, as a bakery's regulars order). Rounds alternate between the pages; in each, CLIENTS
 * clients send one page request after another for ROUND_SECONDS.
 *
 * For each page: requests per second, p50 and p99 answer times, and the store queries one page
 * costs in each subgraph, counted by the subgraphs themselves (store_commands_total at /metrics,
 * from the operations each hands the driver) over the page's rounds. Beside them, the store's own
 * baseline (a point update by `_id`), measured in the same run.
 *
 *   BENCH_READS_CLIENTS=10   BENCH_READS_ROUNDS=6 (per page)   BENCH_READS_ROUND_SECONDS=5
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { ServiceName } from '../scripts/services.js';
import { OrderDriver } from '../test/support/orders.js';
import { storeCommands } from '../test/support/store-commands.js';
import type { Stack } from '../test/support/stack.js';
import { ms, pointUpdateLatencies, report, startBenchSystem } from './measure.js';

const CLIENTS = Number(process.env.BENCH_READS_CLIENTS ?? 10);
const ROUNDS = Number(process.env.BENCH_READS_ROUNDS ?? 6);
const ROUND_SECONDS = Number(process.env.BENCH_READS_ROUND_SECONDS ?? 5);
const ORDERS = 20;
const SUBGRAPHS: ServiceName[] = ['stock', 'order', 'payment', 'delivery'];
const PROCESSES: ServiceName[] = ['gateway', ...SUBGRAPHS];

const PAGES = {
  catalogue: 'query CataloguePage { products(first: 20) { nodes { id name description price available soldOut limitedEdition } } }',
  orders: `query MyOrdersPage { myOrders(first: 10) { nodes {
    id status total createdAt
    lines { quantity unitPrice product { id name price } }
    payment { status amount method }
    delivery { status delayed baker { name } }
  } } }`,
} as const;
type Page = keyof typeof PAGES;

interface PageRun {
  latencies: number[];
  seconds: number;
  errors: number;
  /** Store commands by subgraph, then by "command collection". */
  commands: Map<ServiceName, Map<string, number>>;
  /** CPU seconds each process spent (process_cpu_seconds_total). */
  cpu: Map<ServiceName, number>;
  /** CPU seconds the store's processes spent. */
  storeCpu: { ferretdb: number; postgres: number };
}

/** A process's CPU seconds so far. */
async function cpuSeconds(stack: Stack, service: ServiceName): Promise<number> {
  const text = await (await fetch(stack.services.url(service, '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith('process_cpu_seconds_total'));
  return Number(line?.slice(line.lastIndexOf(' ') + 1) ?? NaN);
}

const allCpuSeconds = async (stack: Stack) => new Map(await Promise.all(PROCESSES.map(async (s) => [s, await cpuSeconds(stack, s)] as const)));

const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * The store's processes (FerretDB, and PostgreSQL's postmaster, whose backends are its children),
 * found by the port PostgreSQL listens on: in FerretDB's PostgreSQL URL, by TCP (`host:port/`) or
 * by the Unix socket (`?host=<dir>&port=<port>`).
 */
function storeProcesses(postgresUrl: string | undefined): { ferretdb: number[]; postgres: number[] } {
  const port = postgresUrl ? new URL(postgresUrl).port : '';
  const found = { ferretdb: [] as number[], postgres: [] as number[] };
  if (!port) return found;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args[0]?.endsWith('/ferretdb') && args.some((arg) => arg.includes(`:${port}/`) || new RegExp(`[?&]port=${port}(&|$)`).test(arg)))
      found.ferretdb.push(Number(entry));
    if (args[0]?.endsWith('/postgres') && args.includes('-p') && args[args.indexOf('-p') + 1] === port) found.postgres.push(Number(entry));
  }
  return found;
}

/** CPU seconds of these processes, their live children, and the children they have reaped. */
function processTreeCpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fields: string[];
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
    } catch {
      continue;
    }
    const [ppid, utime, stime, cutime, cstime] = [fields[1], fields[11], fields[12], fields[13], fields[14]].map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    if (pids.includes(Number(entry))) ticks += utime + stime + cutime + cstime;
    else if (pids.includes(ppid)) ticks += utime + stime;
  }
  return ticks / CLOCK_TICKS;
}

let store = { ferretdb: [] as number[], postgres: [] as number[] };
const storeCpuSeconds = () => ({ ferretdb: processTreeCpuSeconds(store.ferretdb), postgres: processTreeCpuSeconds(store.postgres) });

const allStoreCommands = async (stack: Stack) => new Map(await Promise.all(SUBGRAPHS.map(async (s) => [s, await storeCommands(stack, s)] as const)));

/** One customer's orders, each confirmed with a payment and assigned to a baker. */
async function customerWithOrders(stack: Stack): Promise<string> {
  const orders = new OrderDriver(stack);
  const [rye, bun] = await Promise.all([orders.product(100_000, 450), orders.product(100_000, 300)]);
  const token = await stack.customerToken(`reader-${randomUUID().slice(0, 6)}`);
  for (let i = 0; i < ORDERS; i++) {
    const order = await orders.placed(token, {
      lines: [
        { productId: rye, quantity: 1 },
        { productId: bun, quantity: 2 },
      ],
    });
    await orders.until(token, order.id, (o) => o.status === 'ASSIGNED', 'assignment', 'id status');
  }
  return token;
}

/** `CLIENTS` clients requesting `page` back to back for `ROUND_SECONDS`, added to `run`. */
async function round(stack: Stack, token: string, page: Page, run: PageRun): Promise<void> {
  const before = await allStoreCommands(stack);
  const cpuBefore = await allCpuSeconds(stack);
  const storeBefore = storeCpuSeconds();
  const started = performance.now();
  const until = started + ROUND_SECONDS * 1_000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        const sent = performance.now();
        const response = await stack.graphql(PAGES[page], { token });
        run.latencies.push(performance.now() - sent);
        if (response.errors) run.errors++;
      }
    }),
  );
  run.seconds += (performance.now() - started) / 1_000;
  const after = await allStoreCommands(stack);
  const cpuAfter = await allCpuSeconds(stack);
  const storeAfter = storeCpuSeconds();
  run.storeCpu.ferretdb += storeAfter.ferretdb - storeBefore.ferretdb;
  run.storeCpu.postgres += storeAfter.postgres - storeBefore.postgres;
  for (const service of PROCESSES) {
    run.cpu.set(service, (run.cpu.get(service) ?? 0) + (cpuAfter.get(service) ?? 0) - (cpuBefore.get(service) ?? 0));
  }
  for (const service of SUBGRAPHS) {
    const counts = run.commands.get(service) ?? new Map<string, number>();
    for (const [key, count] of after.get(service) ?? []) {
      const delta = count - (before.get(service)?.get(key) ?? 0);
      if (delta > 0) counts.set(key, (counts.get(key) ?? 0) + delta);
    }
    run.commands.set(service, counts);
  }
}

const { infra, stack, stop } = await startBenchSystem();
try {
  store = storeProcesses(infra.postgresUrl);
  const baseline = await pointUpdateLatencies(infra.mongoUrl, `${stack.dbPrefix}_bench`);
  process.stdout.write(`placing ${ORDERS} orders of two lines for one customer...`);
  const token = await customerWithOrders(stack);
  console.log(' done');

  // The page answers in full before it is timed: ten orders, each with its products, payment and baker.
  const check = await stack.graphql<{
    myOrders: { nodes: Array<{ lines: Array<{ product: { name: string } | null }>; payment: unknown; delivery: { baker: unknown } | null }> };
  }>(PAGES.orders, { token });
  assert.equal(check.errors, undefined, JSON.stringify(check.errors));
  const nodes = check.data?.myOrders.nodes ?? [];
  assert.equal(nodes.length, 10);
  assert.ok(nodes.every((order) => order.lines.every((line) => line.product?.name) && order.payment && order.delivery?.baker));

  const runs: Record<Page, PageRun> = {
    catalogue: { latencies: [], seconds: 0, errors: 0, commands: new Map(), cpu: new Map(), storeCpu: { ferretdb: 0, postgres: 0 } },
    orders: { latencies: [], seconds: 0, errors: 0, commands: new Map(), cpu: new Map(), storeCpu: { ferretdb: 0, postgres: 0 } },
  };
  // Warm up both pages (connections, plans), then alternate.
  for (const page of ['catalogue', 'orders'] as const) {
    const warm: PageRun = { latencies: [], seconds: 0, errors: 0, commands: new Map(), cpu: new Map(), storeCpu: { ferretdb: 0, postgres: 0 } };
    await round(stack, token, page, warm);
  }
  for (let i = 0; i < ROUNDS; i++) {
    for (const page of ['catalogue', 'orders'] as const) await round(stack, token, page, runs[page]);
  }

  const rate = (page: Page) => runs[page].latencies.length / runs[page].seconds;
  const perPage = (page: Page, service: ServiceName) => {
    const total = [...(runs[page].commands.get(service)?.values() ?? [])].reduce((sum, count) => sum + count, 0);
    return total / runs[page].latencies.length;
  };
  const breakdown = (page: Page) =>
    SUBGRAPHS.flatMap((service) =>
      [...(runs[page].commands.get(service) ?? [])].map(([key, count]) => `${service}: ${key} ${(count / runs[page].latencies.length).toFixed(2)}`),
    ).join(', ') || 'none';

  const rows: Array<Array<string | number>> = [['page', 'requests/s', 'p50', 'p99', 'errors', 'requests', ...SUBGRAPHS.map((s) => `store queries/page: ${s}`)]];
  for (const page of ['catalogue', 'orders'] as const) {
    rows.push([
      page === 'catalogue' ? 'catalogue: products(first: 20)' : 'orders: myOrders(first: 10) + product, payment, delivery, baker',
      rate(page).toFixed(1),
      ms(runs[page].latencies),
      ms(runs[page].latencies, 0.99),
      runs[page].errors,
      runs[page].latencies.length,
      ...SUBGRAPHS.map((service) => perPage(page, service).toFixed(2)),
    ]);
  }
  report('reads', `The read path: catalogue page and order page, ${CLIENTS} concurrent clients`, rows, [
    `order page rate / catalogue page rate: ${(rate('orders') / rate('catalogue')).toFixed(2)} (target 0.3 or more); order page p50 ${ms(runs.orders.latencies)} (target under 100 ms)`,
    `store queries per order page by kind: ${breakdown('orders')}`,
    `store queries per catalogue page by kind: ${breakdown('catalogue')}`,
    ...(['catalogue', 'orders'] as const).map(
      (page) =>
        `CPU ms per ${page} page: ${[...PROCESSES.map((service) => [service, runs[page].cpu.get(service) ?? 0] as const), ...Object.entries(runs[page].storeCpu)].map(([name, seconds]) => `${name} ${((seconds * 1_000) / runs[page].latencies.length).toFixed(1)}`).join(', ')}`,
    ),
    `${ROUNDS} rounds of ${ROUND_SECONDS} s per page, alternating, after one warm-up round each; ${ORDERS} orders of 2 lines (2 distinct products) for the customer`,
    `store baseline, point update by _id: median ${ms(baseline)}, p99 ${ms(baseline, 0.99)} (n=${baseline.length})`,
    `load average when done: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  ]);
} finally {
  await stop();
}
