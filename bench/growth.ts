/**
 * `npm run bench:growth`: does an order cost the same with a long history behind it? The history
 * (orders with their payments and deliveries, as a bakery's months of business leave them) is
 * seeded in bulk straight into the stores; then, at 1,000, 10,000 and 100,000 orders, each
 * operation is timed through the gateway: placeOrder, order(id), myOrders, staff orders(status:),
 * the staff's list of every order and its next page, a regular customer's myOrders (their orders
 * grow with the history), and placeOrder to ASSIGNED (the assignment counts every baker's open
 * orders). Beside each level, the store's own baseline (a point update by `_id`), measured in the
 * same run.
 *
 *   BENCH_GROWTH_LEVELS=1000,10000,100000 (default)   BENCH_GROWTH_SAMPLES=30
 */
import { randomUUID } from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import pg from 'pg';
import { OrderDriver } from '../test/support/orders.js';
import type { Stack } from '../test/support/stack.js';
import { eventually } from '../test/support/wait.js';
import { ms, pointUpdateLatencies, quantile, report, startBenchSystem } from './measure.js';

const LEVELS = (process.env.BENCH_GROWTH_LEVELS ?? '1000,10000,100000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_GROWTH_SAMPLES ?? 30);
const HISTORY_CUSTOMERS = 1_000;
const BATCH = 1_000;

/** Writes `count` finished orders (90% completed, 5% cancelled, 5% rejected) with their payments and deliveries. */
async function seedHistory(stack: Stack, mongoUrl: string, from: number, count: number, productId: string, bakerIds: string[]): Promise<void> {
  const connection = await mongoose.createConnection(mongoUrl).asPromise();
  try {
    const orders = connection.useDb(`${stack.dbPrefix}_order`).collection('orders');
    const payments = connection.useDb(`${stack.dbPrefix}_payment`).collection('payments');
    const deliveries = connection.useDb(`${stack.dbPrefix}_delivery`).collection('deliveries');
    for (let start = from; start < from + count; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, from + count - start) }, (_, i) => {
        const n = start + i;
        const _id = new Types.ObjectId();
        const at = new Date(Date.now() - (from + count - n) * 60_000);
        const status = n % 20 === 0 ? 'CANCELLED' : n % 20 === 1 ? 'REJECTED' : 'COMPLETED';
        const customerId = `history-${n % HISTORY_CUSTOMERS}`;
        const order = {
          _id,
          customerId,
          idempotencyKey: `h-${n}`,
          lines: [{ productId, name: 'Salt bread', quantity: 2, unitPrice: 3_500 }],
          total: 7_000,
          fulfilment: 'PICKUP',
          deliveryAddress: null,
          paymentMethod: 'CARD',
          paymentToken: null,
          status,
          rejectionReason: status === 'REJECTED' ? 'OUT_OF_STOCK' : null,
          history: [
            { status: status === 'REJECTED' ? 'REJECTED' : 'CONFIRMED', at, reason: null },
            ...(status === 'COMPLETED' ? [{ status: 'COMPLETED', at, reason: null }] : []),
          ],
          promisedBy: at,
          holdDeadline: null,
          paymentStatus: status === 'REJECTED' ? null : status === 'CANCELLED' ? 'REFUNDED' : 'AUTHORIZED',
          deliveryStatus: status === 'COMPLETED' ? 'COMPLETED' : null,
          bakerName: 'Seeded baker',
          delayed: false,
          sagaSteps: [],
          outbox: [],
          outboxPending: false,
          createdAt: at,
          updatedAt: at,
        };
        const payment =
          status === 'REJECTED'
            ? null
            : {
                _id,
                orderId: _id.toHexString(),
                customerId,
                amount: 7_000,
                method: 'CARD',
                status: order.paymentStatus,
                declineReason: null,
                createdAt: at,
                updatedAt: at,
              };
        const delivery =
          status !== 'COMPLETED'
            ? null
            : {
                _id,
                orderId: _id.toHexString(),
                bakerId: bakerIds[n % bakerIds.length],
                status: 'COMPLETED',
                open: false,
                fulfilment: 'PICKUP',
                promisedBy: at,
                delayed: false,
                outbox: [],
                outboxPending: false,
                createdAt: at,
                updatedAt: at,
              };
        return { order, payment, delivery };
      });
      await Promise.all([
        orders.insertMany(
          batch.map((entry) => entry.order),
          { ordered: false },
        ),
        payments.insertMany(
          batch.flatMap((entry) => (entry.payment ? [entry.payment] : [])),
          { ordered: false },
        ),
        deliveries.insertMany(
          batch.flatMap((entry) => (entry.delivery ? [entry.delivery] : [])),
          { ordered: false },
        ),
      ]);
    }
  } finally {
    await connection.close();
  }
}

/**
 * Brings PostgreSQL's statistics up to date after the bulk seed, on the project's own store. A
 * history that grew over months is always described by them (autovacuum analyzes a table within a
 * minute of a tenth of it changing); one written in seconds is not yet, and until then PostgreSQL
 * may plan a rare status's list as a walk through every order.
 */
async function analyzed(ferretdbPostgresUrl: string | undefined): Promise<void> {
  if (!ferretdbPostgresUrl) return; // a MongoDB keeps its own
  const sql = new pg.Client({ connectionString: ferretdbPostgresUrl });
  await sql.connect();
  try {
    await sql.query('ANALYZE');
  } finally {
    await sql.end();
  }
}

async function timed(samples: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await run(i);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

async function measureLevel(stack: Stack, orders: OrderDriver, productId: string) {
  const customer = await stack.customerToken(`growth-${randomUUID().slice(0, 6)}`);
  const ids: string[] = [];
  const place = await timed(SAMPLES, async () => ids.push((await orders.placed(customer, { lines: [{ productId, quantity: 1 }] })).id));
  const read = await timed(SAMPLES, (i) => orders.order(customer, ids[i % ids.length]!, 'id status'));
  // A page through the gateway, which must answer without errors.
  const page = async <TData>(query: string, token: string, variables?: Record<string, unknown>): Promise<TData | null | undefined> => {
    const { data, errors } = await stack.graphql<TData>(query, { token, ...(variables ? { variables } : {}) });
    if (errors) throw new Error(JSON.stringify(errors));
    return data;
  };
  const mine = await timed(SAMPLES, () => page('{ myOrders(first: 20) { nodes { id status total } } }', customer));
  const staff = await timed(SAMPLES, () => page('{ orders(status: BAKING, first: 20) { nodes { id status total } } }', stack.staffToken));
  // The staff's list of every order, newest first: the whole history matches it.
  let endCursor: string | undefined;
  const staffAll = await timed(SAMPLES, async () => {
    const data = await page<{ orders: { pageInfo: { endCursor: string } } }>(
      '{ orders(first: 20) { nodes { id status total } pageInfo { endCursor } } }',
      stack.staffToken,
    );
    endCursor = data?.orders.pageInfo.endCursor;
  });
  // And its next page, after the first one's cursor.
  const staffNext = await timed(SAMPLES, () =>
    page('query($after: String) { orders(first: 20, after: $after) { nodes { id status total } } }', stack.staffToken, { after: endCursor }),
  );
  // A regular: one of the history's customers, whose orders grow with it.
  const regular = await stack.customerToken('history-7');
  const regularMine = await timed(SAMPLES, () => page('{ myOrders(first: 20) { nodes { id status total } } }', regular));
  // A customer per sample: watching for the assignment every 5 ms is many requests, and the
  // gateway's rate limit is per customer.
  const assigners = await Promise.all(Array.from({ length: SAMPLES }, (_, i) => stack.customerToken(`assign-${i}-${randomUUID().slice(0, 6)}`)));
  const assign = await timed(SAMPLES, async (i) => {
    const order = await orders.placed(assigners[i]!, { lines: [{ productId, quantity: 1 }] });
    await eventually(async () => (await orders.order(assigners[i]!, order.id, 'status'))?.status === 'ASSIGNED', { intervalMs: 5, what: 'assignment' });
  });
  return { place, read, mine, staff, staffAll, staffNext, regularMine, assign };
}

const { infra, stack, stop } = await startBenchSystem();
try {
  const orders = new OrderDriver(stack);
  const productId = await orders.product(100_000, 3_500);
  const { data } = await stack.graphql<{ bakers: Array<{ id: string }> }>('{ bakers { id } }', { token: stack.staffToken });
  const bakerIds = data?.bakers.map((baker) => baker.id) ?? [];
  if (bakerIds.length === 0) throw new Error('no bakers to seed the history with');
  // Orders in the kitchen now: a fixed few, whatever the history.
  const kitchen = await stack.customerToken('kitchen');
  for (let i = 0; i < 20; i++) {
    const order = await orders.placed(kitchen, { lines: [{ productId, quantity: 1 }] });
    await orders.untilStatus(kitchen, order.id, 'ASSIGNED');
    await orders.staff('startBaking', order.id);
  }

  const results: Array<{ level: number; seedMs: number; baseline: number[] } & Awaited<ReturnType<typeof measureLevel>>> = [];
  let seeded = 0;
  for (const level of LEVELS) {
    const started = performance.now();
    await seedHistory(stack, infra.mongoUrl, seeded, level - seeded, productId, bakerIds);
    const seedMs = performance.now() - started;
    await analyzed(infra.ferretdbPostgresUrl);
    seeded = level;
    const baseline = await pointUpdateLatencies(infra.mongoUrl, `${stack.dbPrefix}_bench`);
    results.push({ level, seedMs, baseline, ...(await measureLevel(stack, orders, productId)) });
    console.log(`history ${level} orders: seeded in ${(seedMs / 1000).toFixed(1)} s, measured`);
  }

  const first = results[0]!;
  const last = results.at(-1)!;
  const row = (name: string, pick: (r: (typeof results)[number]) => number[]) => [
    name,
    ...results.map((r) => `${ms(pick(r))} (p99 ${ms(pick(r), 0.99)})`),
    `${(quantile(pick(last), 0.5) / quantile(pick(first), 0.5)).toFixed(2)}x`,
  ];
  report(
    'growth',
    `Cost per operation against the history (medians, n=${SAMPLES} each)`,
    [
      [
        'operation',
        ...results.map((r) => `${r.level.toLocaleString('en')} orders`),
        `${last.level.toLocaleString('en')} / ${first.level.toLocaleString('en')}`,
      ],
      row('placeOrder', (r) => r.place),
      row('order(id)', (r) => r.read),
      row('myOrders(first: 20)', (r) => r.mine),
      row('staff orders(status: BAKING)', (r) => r.staff),
      row('staff orders(first: 20), every status', (r) => r.staffAll),
      row('staff orders, the page after it', (r) => r.staffNext),
      row("a regular's myOrders(first: 20)", (r) => r.regularMine),
      row('placeOrder to ASSIGNED', (r) => r.assign),
      row('store baseline: point update by _id', (r) => r.baseline),
    ],
    [
      'history: finished orders (90% completed, 5% cancelled, 5% rejected) of 1,000 customers, with their payments and deliveries, seeded in bulk',
      `seeding took ${results.map((r) => `${(r.seedMs / 1000).toFixed(1)} s`).join(', ')}; then PostgreSQL's statistics were brought up to date (ANALYZE), as autovacuum does within a minute`,
      'each level times a new customer, so myOrders reads the same number of orders at every level; 20 orders are BAKING at every level',
      `the regular is one of the history's ${HISTORY_CUSTOMERS.toLocaleString('en')} customers: ${LEVELS.map((level) => (level / HISTORY_CUSTOMERS).toLocaleString('en')).join(', ')} orders at each level`,
    ],
  );
} finally {
  await stop();
}
