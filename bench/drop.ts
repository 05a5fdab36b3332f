/**
 * `npm run bench:drop`: the drop. N customers press "order" in the same second for one product
 * with 50 units, through the gateway, on the default configuration (nothing raised). For each N:
 * orders per second, p50 and p99 answer times, outcomes and errors by code, the stock at the end,
 * what `stockChanged` watchers received, and how soon a lone order is back to its usual latency.
 * Beside them, the store's own baseline (a point update by `_id`), measured in the same run.
 *
 *   BENCH_DROP_SIZES=1000,5000 (default)   BENCH_DROP_UNITS=50   BENCH_DROP_WATCHERS=100
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { OrderDriver } from '../test/support/orders.js';
import type { GraphQLResponse, Stack } from '../test/support/stack.js';
import { Subscriber } from '../test/support/subscriber.js';
import { eventually } from '../test/support/wait.js';
import { START_ORDER } from '../scripts/services.js';
import { cpuByProcess, ms, pointUpdateLatencies, quantile, report, startBenchSystem } from './measure.js';

const SIZES = (process.env.BENCH_DROP_SIZES ?? '1000,5000').split(',').map(Number);
const UNITS = Number(process.env.BENCH_DROP_UNITS ?? 50);
const WATCHERS = Number(process.env.BENCH_DROP_WATCHERS ?? 100);
const PROBES = 20;

/**
 * The customers' phones, as lean as a load generator can be: each request on a connection of its
 * own (as a thousand phones have), through node:http. The clients share the machine with the
 * bakery, so what they spend is taken from it: fetch (undici) costs about 1.2 ms of CPU a request
 * on a new connection, node:http 0.4 (bench/drop.ts's CPU table shows them apart).
 */
const phones = new http.Agent({ keepAlive: true });
const PLACE = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { status rejectionReason } }';

function placeFromPhone(
  url: string,
  token: string,
  input: Record<string, unknown>,
): Promise<GraphQLResponse<{ placeOrder: { status: string; rejectionReason: string | null } }>> {
  const body = JSON.stringify({ query: PLACE, variables: { input: { fulfilment: 'PICKUP', paymentMethod: 'CARD', paymentToken: 'tok_visa', ...input } } });
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent: phones, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

interface Outcome {
  key: string;
  /** Answered on the second try, its first connection having failed before any answer. */
  reconnected: boolean;
  ms: number;
}

/** One lone order's latency, `count` times: the system's normal pace (or how far from it it is). */
async function loneOrders(orders: OrderDriver, token: string, productId: string, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await orders.placed(token, { lines: [{ productId, quantity: 1 }] });
    latencies.push(performance.now() - started);
  }
  return latencies;
}

async function drop(stack: Stack, orders: OrderDriver, customers: number, everyday: string, probeToken: string, normalMs: number) {
  const productId = await orders.product(UNITS, 30_000);
  const tokens = await Promise.all(Array.from({ length: customers }, (_, i) => stack.customerToken(`drop-${customers}-${i}-${randomUUID().slice(0, 4)}`)));
  const watchers = Array.from({ length: WATCHERS }, () =>
    new Subscriber<{ stockChanged: { available: number } }>(stack.gatewayUrl).subscribe(
      'subscription($id: ID!) { stockChanged(productId: $id) { available } }',
      { id: productId },
    ),
  );
  await Promise.all(watchers.map((watcher) => watcher.received(1, 'the first stock message')));

  const pids = Object.fromEntries(START_ORDER.map((name) => [name, stack.services.pid(name)]));
  const cpuBefore = cpuByProcess(pids);
  const started = performance.now();
  const outcomes: Outcome[] = await Promise.all(
    tokens.map(async (token) => {
      const sent = performance.now();
      // As a customer's app does: one key for the order, and a connection that failed before any
      // answer is tried once more with it (safe: the key places the order at most once).
      const input = { lines: [{ productId, quantity: 1 }], idempotencyKey: randomUUID() };
      let key = '';
      let reconnected = false;
      for (let attempt = 1; attempt <= 2 && !key; attempt++) {
        try {
          const result = await placeFromPhone(stack.gatewayUrl, token, input);
          key = result.errors
            ? `error ${String(result.errors[0]?.extensions?.code)}`
            : `${result.data?.placeOrder.status} ${result.data?.placeOrder.rejectionReason ?? ''}`.trim();
          reconnected = attempt > 1;
        } catch (error) {
          const cause = error instanceof Error ? ((error as { code?: string }).code ?? '') : '';
          if (attempt === 2) key = `no answer (${error instanceof Error ? error.message : String(error)}${cause ? `: ${cause}` : ''})`;
        }
      }
      return { key, reconnected, ms: performance.now() - sent };
    }),
  );
  const wallMs = performance.now() - started;
  const cpuAfter = cpuByProcess(pids);
  const cpuPerOrder = new Map([...cpuAfter].map(([name, cpuMs]) => [name, (cpuMs - (cpuBefore.get(name) ?? 0)) / customers]));

  // Back to normal: lone orders until one is within twice the usual latency.
  const recoveryStarted = performance.now();
  await eventually(async () => (await loneOrders(orders, probeToken, everyday, 1))[0]! <= Math.max(2 * normalMs, normalMs + 50), {
    intervalMs: 50,
    timeoutMs: 120_000,
    what: 'a lone order at its usual pace',
  });
  const recoveryMs = performance.now() - recoveryStarted;

  const available = await orders.available(productId);
  const lastSeen = await eventually(async () => watchers.every((watcher) => watcher.messages.at(-1)?.data?.stockChanged.available === 0) && watchers, {
    timeoutMs: 30_000,
    what: 'every watcher to see 0',
  }).then(
    () => 0,
    () => Math.max(...watchers.map((watcher) => watcher.messages.at(-1)?.data?.stockChanged.available ?? -1)),
  );
  const messages = watchers.reduce((sum, watcher) => sum + watcher.messages.length, 0);
  await Promise.all(watchers.map((watcher) => watcher.dispose()));

  const counts = new Map<string, number>();
  for (const { key } of outcomes) counts.set(key, (counts.get(key) ?? 0) + 1);
  const errors = outcomes.filter(({ key }) => !key.startsWith('CONFIRMED') && !key.startsWith('REJECTED'));
  const latencies = outcomes.map((outcome) => outcome.ms);
  return {
    customers,
    ordersPerSecond: Math.round((customers * 1_000) / wallMs),
    wallMs,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: quantile(latencies, 1),
    confirmed: counts.get('CONFIRMED') ?? 0,
    rejected: counts.get('REJECTED OUT_OF_STOCK') ?? 0,
    errors: errors.length === 0 ? '0' : [...new Map(errors.map(({ key }) => [key, counts.get(key) ?? 0]))].map(([key, count]) => `${count} ${key}`).join(', '),
    available,
    lastSeen,
    messagesPerWatcher: (messages / Math.max(1, WATCHERS)).toFixed(1),
    reconnected: outcomes.filter((outcome) => outcome.reconnected).length,
    recoveryMs,
    cpuPerOrder,
  };
}

const { infra, stack, stop } = await startBenchSystem();
try {
  const baseline = await pointUpdateLatencies(infra.mongoUrl, `${stack.dbPrefix}_bench`);
  const orders = new OrderDriver(stack);
  const everyday = await orders.product(100_000, 3_500);
  const probeToken = await stack.customerToken(`probe-${randomUUID().slice(0, 6)}`);
  await loneOrders(orders, probeToken, everyday, 5); // warm up
  const normal = await loneOrders(orders, probeToken, everyday, PROBES);
  const normalMs = quantile(normal, 0.5);

  const rows: Array<Array<string | number>> = [
    [
      'customers',
      'orders/s',
      'wall',
      'p50',
      'p99',
      'max',
      'confirmed',
      'rejected OUT_OF_STOCK',
      'errors by code',
      'answered after a reconnect',
      'stock at end',
      'watchers saw',
      'messages/watcher',
      'back to normal',
    ],
  ];
  const cpuRows: Array<Array<string | number>> = [['customers', 'process', 'CPU ms per order']];
  for (const size of SIZES) {
    const r = await drop(stack, orders, size, everyday, probeToken, normalMs);
    const cpu = [...r.cpuPerOrder].sort(([, a], [, b]) => b - a);
    for (const [name, cpuMs] of cpu) cpuRows.push([size, name, cpuMs.toFixed(2)]);
    cpuRows.push([size, 'all', cpu.reduce((sum, [, cpuMs]) => sum + cpuMs, 0).toFixed(2)]);
    rows.push([
      r.customers,
      r.ordersPerSecond,
      `${(r.wallMs / 1000).toFixed(2)} s`,
      `${r.p50.toFixed(0)} ms`,
      `${r.p99.toFixed(0)} ms`,
      `${r.max.toFixed(0)} ms`,
      r.confirmed,
      r.rejected,
      r.errors,
      r.reconnected,
      r.available,
      r.lastSeen,
      r.messagesPerWatcher,
      `${(r.recoveryMs / 1000).toFixed(2)} s`,
    ]);
  }
  report('drop', `The drop: N customers at once for ${UNITS} units (default configuration)`, rows, [
    `a lone placeOrder before the drops: median ${ms(normal)}, p99 ${ms(normal, 0.99)} (n=${normal.length})`,
    `store baseline, point update by _id: median ${ms(baseline)}, p99 ${ms(baseline, 0.99)} (n=${baseline.length})`,
    `${WATCHERS} stockChanged watchers on the dropped product; "watchers saw" is the last level every watcher received`,
    '"back to normal": from the last answer until a lone placeOrder takes at most twice its usual time',
    '"answered after a reconnect": customers whose first connection failed before any answer (the kernel\'s accept queue, capped by net.core.somaxconn, overflows when thousands connect in the same instant) and who sent the same order again with its key, as an app does',
  ]);
  report('drop-cpu', "Where a drop's CPU goes: CPU time per order, by process, from the first request to the last answer", cpuRows, [
    'read from /proc (user + system time) for every process the benchmark started; 2 cores give 2,000 ms of CPU a second',
  ]);
} finally {
  await stop();
}
