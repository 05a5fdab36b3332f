/**
 * Orders end to end through the gateway, every service a real process: the happy paths, every
 * way an order can fail or end early, outages of payment and of the workers, and concurrency.
 * After each test the books must balance (money, stock, no overdue holds).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Queues } from '../../lib/events.js';
import { Ledger } from '../support/books.js';
import { ORDER_FIELDS, OrderDriver, errorCode, notes, path, type OrderView } from '../support/orders.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

const FEDERATED = `${ORDER_FIELDS} payment { status amount method } delivery { status delayed baker { name } }`;

let stack: Stack;
let ledger: Ledger;
let orders: OrderDriver;
let alice: string;
let bob: string;

beforeAll(async () => {
  stack = await startStack({
    env: {
      PAYMENT_RETRY_DELAY_MS: '200',
      SAGA_RETRY_MAX_MS: '500',
      WORKER_LOCK_MS: '2000',
      OUTBOX_SWEEP_MS: '500',
    },
  });
  ledger = await Ledger.open(stack);
  orders = new OrderDriver(stack);
  alice = await stack.customerToken(`alice-${randomUUID().slice(0, 6)}`);
  bob = await stack.customerToken(`bob-${randomUUID().slice(0, 6)}`);
});
// Without a ledger the setup failed, and Jest already fails every test with its error.
afterEach(() => ledger?.assertBalanced());
afterAll(async () => {
  await ledger?.close();
  await stack?.stop();
});

async function advance(order: OrderView, ...operations: string[]): Promise<OrderView> {
  let current = order;
  for (const operation of operations) {
    const response = await orders.staff(operation, order.id);
    expect({ operation, errors: response.errors }).toStrictEqual({ operation, errors: undefined });
    current = (await orders.order(alice, order.id, FEDERATED)) as OrderView;
  }
  return current;
}

describe('the happy paths', () => {
  test('pickup paid by card: confirmed, assigned, baked, ready, completed, each recorded in order', async () => {
    const productId = await orders.product(10, 3_500);
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 2 }] });
    expect(placed.status).toBe('CONFIRMED');
    expect(placed.total).toBe(7_000);
    expect(placed.paymentStatus).toBe('AUTHORIZED');
    assert.ok(placed.promisedBy, 'a promise time');
    expect(placed.cancellable).toBe(true);

    const assigned = await orders.until(alice, placed.id, (o) => o.status === 'ASSIGNED', 'to be assigned', FEDERATED);
    expect(assigned.delivery?.baker?.name).toBeTruthy(); // Order.delivery names the baker
    expect(assigned.bakerName).toBe(assigned.delivery?.baker?.name);
    expect(assigned.payment).toStrictEqual({ status: 'AUTHORIZED', amount: 7_000, method: 'CARD' });

    const baking = await advance(assigned, 'startBaking');
    expect(baking.status).toBe('BAKING');
    expect(baking.cancellable).toBe(false);
    const done = await advance(baking, 'markReady', 'completeOrder');
    expect(done.status).toBe('COMPLETED');
    expect(done.delivery?.status).toBe('COMPLETED');
    expect(path(done)).toStrictEqual(['CONFIRMED', 'ASSIGNED', 'BAKING', 'READY', 'COMPLETED']);
    expect(await orders.available(productId)).toBe(8);
  });

  test('delivery paid from the wallet: dispatched, then completed; the wallet pays once', async () => {
    const productId = await orders.product(10, 4_000);
    await orders.deposit(alice, 20_000);
    const placed = await orders.placed(alice, {
      lines: [{ productId, quantity: 3 }],
      fulfilment: 'DELIVERY',
      deliveryAddress: '12 Bakery-ro, Seoul',
      paymentMethod: 'WALLET',
      paymentToken: null,
    });
    expect(placed.status).toBe('CONFIRMED');
    const { data } = await stack.graphql<{ myWallet: { balance: number } }>('{ myWallet { balance } }', { token: alice });
    expect(data?.myWallet.balance).toBe(8_000);

    await orders.untilStatus(alice, placed.id, 'ASSIGNED');
    const done = await advance(placed, 'startBaking', 'markReady', 'dispatchOrder', 'completeOrder');
    expect(path(done)).toStrictEqual(['CONFIRMED', 'ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY', 'COMPLETED']);
    expect(done.payment?.method).toBe('WALLET');
  });

  test('every status the customer saw became one notification', async () => {
    const productId = await orders.product(5);
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });
    await orders.untilStatus(alice, placed.id, 'ASSIGNED');
    await advance(placed, 'startBaking');
    const kinds = await eventually(
      async () => {
        const { data } = await stack.graphql<{ myNotifications: Array<{ orderId: string; kind: string; channel: string; sentAt: string | null }> }>(
          '{ myNotifications(first: 100) { orderId kind channel sentAt } }',
          { token: alice },
        );
        const mine = (data?.myNotifications ?? []).filter((n) => n.orderId === placed.id);
        return mine.length === 3 && mine.every((n) => n.sentAt && n.channel === 'log') ? mine.map((n) => n.kind).sort() : null;
      },
      { what: 'three notifications' },
    );
    expect(kinds).toStrictEqual(['ASSIGNED', 'BAKING', 'CONFIRMED']);
  });
});

describe('orders that cannot be taken', () => {
  test('out of stock: REJECTED with OUT_OF_STOCK, nothing held', async () => {
    const productId = await orders.product(2);
    const order = await orders.placed(alice, { lines: [{ productId, quantity: 3 }] });
    expect(order.status).toBe('REJECTED');
    expect(order.rejectionReason).toBe('OUT_OF_STOCK');
    expect(await orders.available(productId)).toBe(2);
  });

  test('declined card: REJECTED with PAYMENT_DECLINED, the stock goes back', async () => {
    const productId = await orders.product(4);
    const order = await orders.placed(alice, { lines: [{ productId, quantity: 2 }], paymentToken: 'tok_chargeDeclined' });
    expect(order.status).toBe('REJECTED');
    expect(order.rejectionReason).toBe('PAYMENT_DECLINED');
    await eventually(async () => (await orders.available(productId)) === 4, { what: 'stock released' });
  });

  test('too little in the wallet: REJECTED with INSUFFICIENT_FUNDS', async () => {
    const productId = await orders.product(4, 9_000);
    const order = await orders.placed(bob, { lines: [{ productId, quantity: 1 }], paymentMethod: 'WALLET', paymentToken: null });
    expect(order.status).toBe('REJECTED');
    expect(order.rejectionReason).toBe('INSUFFICIENT_FUNDS');
    await eventually(async () => (await orders.available(productId)) === 4, { what: 'stock released' });
  });

  test('bad input names the field and creates nothing', async () => {
    const productId = await orders.product(4);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ lines: [] }, 'input.lines'],
      [{ lines: [{ productId, quantity: 0 }] }, 'input.lines[0].quantity'],
      [{ lines: [{ productId, quantity: 51 }] }, 'input.lines[0].quantity'],
      [{ lines: [{ productId: 'nope', quantity: 1 }] }, 'input.lines[0].productId'],
      [
        {
          lines: [
            { productId, quantity: 1 },
            { productId: '0123456789abcdef01234567', quantity: 1 },
          ],
        },
        'input.lines[1].productId',
      ],
      [{ lines: [{ productId, quantity: 1 }], fulfilment: 'DELIVERY' }, 'input.deliveryAddress'],
      [{ lines: [{ productId, quantity: 1 }], paymentToken: null }, 'input.paymentToken'],
      [{ lines: [{ productId, quantity: 1 }], idempotencyKey: '' }, 'input.idempotencyKey'],
    ];
    const before = await ledger.db('order').collection('orders').countDocuments();
    for (const [input, field] of cases) {
      const response = await orders.place(alice, input);
      expect({ input, error: response.errors?.[0]?.extensions }).toStrictEqual({ input, error: { code: 'BAD_USER_INPUT', field } });
    }
    expect(await ledger.db('order').collection('orders').countDocuments()).toBe(before);
    expect(await orders.available(productId)).toBe(4);
    expect(errorCode(await orders.place(stack.staffToken, { lines: [{ productId, quantity: 1 }] }))).toBe('FORBIDDEN');
  });
});

describe('idempotency and concurrency', () => {
  test('ten parallel placeOrder calls with one key: one order, one payment', async () => {
    const productId = await orders.product(20, 2_000);
    await orders.deposit(bob, 2_000);
    const idempotencyKey = randomUUID();
    const input = { lines: [{ productId, quantity: 1 }], paymentMethod: 'WALLET', paymentToken: null, idempotencyKey };
    const results = await Promise.all(Array.from({ length: 10 }, () => orders.place(bob, input)));
    const ids = new Set(results.map((result) => result.data?.placeOrder.id));
    // What each call got rides along, so a failure shows it.
    const answers = results.map((r) => r.errors ?? r.data?.placeOrder.status);
    expect({ orders: ids.size, answers }).toStrictEqual({ orders: 1, answers });
    const [orderId] = [...ids];
    expect(await ledger.db('payment').collection('payments').countDocuments({ orderId })).toBe(1);
    const { data } = await stack.graphql<{ myWallet: { balance: number } }>('{ myWallet { balance } }', { token: bob });
    expect(data?.myWallet.balance).toBe(0); // charged once
    expect(await orders.available(productId)).toBe(19);
  });

  test('200 parallel orders for 20 units: exactly 20 taken, the rest OUT_OF_STOCK, stock 0', async () => {
    const productId = await orders.product(20, 1_000);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => orders.place(alice, { lines: [{ productId, quantity: 1 }] }, 'id status rejectionReason')),
    );
    // Tallied by outcome, so a failure shows what the others got (an error, another reason).
    const tally: Record<string, number> = {};
    for (const { data, errors } of results) {
      const order = data?.placeOrder;
      const outcome = !order ? `no order: ${JSON.stringify(errors?.[0])}` : order.status !== 'REJECTED' ? 'taken' : `REJECTED ${order.rejectionReason}`;
      tally[outcome] = (tally[outcome] ?? 0) + 1;
    }
    expect(tally).toStrictEqual({ taken: 20, 'REJECTED OUT_OF_STOCK': 180 });
    expect(await orders.available(productId)).toBe(0);
  });
});

describe('ending early', () => {
  test('the customer cancels: stock released, payment refunded, both recorded in the history', async () => {
    const productId = await orders.product(6, 1_500);
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 2 }] });
    await orders.untilStatus(alice, placed.id, 'ASSIGNED');
    const cancelled = await orders.cancel(alice, placed.id, 'changed my mind');
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data?.cancelOrder.status).toBe('CANCELLED');
    const settled = await orders.until(
      alice,
      placed.id,
      (o) => notes(o).includes('stock released') && notes(o).includes('payment refunded'),
      'to be compensated',
      FEDERATED,
    );
    expect(settled.payment?.status).toBe('REFUNDED');
    expect(settled.paymentStatus).toBe('REFUNDED');
    expect(await orders.available(productId)).toBe(6);
    await eventually(async () => (await orders.order(alice, placed.id, FEDERATED))?.delivery?.status === 'CANCELLED', { what: 'the assignment removed' });
    const again = await orders.cancel(alice, placed.id);
    expect(again.data?.cancelOrder.status).toBe('CANCELLED'); // cancelling twice is harmless
  });

  test('cancelling is refused once baking has started', async () => {
    const productId = await orders.product(3);
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });
    await orders.untilStatus(alice, placed.id, 'ASSIGNED');
    await advance(placed, 'startBaking');
    const refused = await orders.cancel(alice, placed.id);
    expect(errorCode(refused)).toBe('INVALID_TRANSITION');
    expect((await orders.order(alice, placed.id))?.status).toBe('BAKING');
    // Staff finish it so the books close.
    await advance(placed, 'markReady', 'completeOrder');
  });

  test('staff reject a baking order with the same compensations', async () => {
    const productId = await orders.product(3, 2_500);
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });
    await orders.untilStatus(alice, placed.id, 'ASSIGNED');
    await advance(placed, 'startBaking');
    const rejected = await stack.graphql<{ rejectOrder: OrderView }>(
      'mutation($id: ID!) { rejectOrder(orderId: $id, reason: "oven broke") { status rejectionReason } }',
      {
        token: stack.staffToken,
        variables: { id: placed.id },
      },
    );
    expect(rejected.data?.rejectOrder).toStrictEqual({ status: 'REJECTED', rejectionReason: 'STORE_REJECTED' });
    await orders.until(alice, placed.id, (o) => notes(o).includes('stock released') && notes(o).includes('payment refunded'), 'to be compensated');
    expect(await orders.available(productId)).toBe(3);
    expect(errorCode(await orders.staff('markReady', placed.id))).toBe('INVALID_TRANSITION');
  });

  test("a customer never sees or cancels another customer's order", async () => {
    const productId = await orders.product(2);
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });
    expect(await orders.order(bob, placed.id)).toBeNull();
    expect(errorCode(await orders.cancel(bob, placed.id))).toBe('NOT_FOUND');
    const { data } = await stack.graphql<{ myOrders: { nodes: Array<{ id: string }> } }>('{ myOrders(first: 100) { nodes { id } } }', { token: bob });
    expect(data?.myOrders.nodes.some((o) => o.id === placed.id)).toBe(false);
    await orders.cancel(alice, placed.id);
  });

  test('staff transitions out of order are INVALID_TRANSITION; pickups are not dispatched', async () => {
    const productId = await orders.product(2);
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });
    await orders.untilStatus(alice, placed.id, 'ASSIGNED');
    expect(errorCode(await orders.staff('markReady', placed.id))).toBe('INVALID_TRANSITION');
    await advance(placed, 'startBaking', 'markReady');
    expect(errorCode(await orders.staff('dispatchOrder', placed.id))).toBe('INVALID_TRANSITION');
    const customerTry = await stack.graphql('mutation($id: ID!) { completeOrder(orderId: $id) { id } }', { token: alice, variables: { id: placed.id } });
    expect(errorCode(customerTry)).toBe('FORBIDDEN');
    await advance(placed, 'completeOrder');
  });
});

describe('outages', () => {
  test('payment down: PAYMENT_PENDING with stock held, then CONFIRMED once it returns', async () => {
    const productId = await orders.product(5, 3_000);
    await stack.services.stopOne('payment');
    let orderId = '';
    try {
      const pending = await orders.placed(alice, { lines: [{ productId, quantity: 2 }] });
      orderId = pending.id;
      expect(pending.status).toBe('PAYMENT_PENDING');
      assert.ok(pending.holdDeadline);
      expect(await orders.available(productId)).toBe(3); // stock stays held
      // The customer's page still answers without the payment subgraph, with an error for its fields.
      const page = await stack.graphql<{ myOrders: { nodes: Array<{ id: string; status: string; payment: unknown }> } }>(
        '{ myOrders(first: 5) { nodes { id status paymentStatus payment { status } } } }',
        { token: alice },
      );
      expect(page.data?.myOrders.nodes.some((o) => o.id === pending.id && o.status === 'PAYMENT_PENDING')).toBeTruthy();
      expect(page.errors?.length ?? 0).toBeGreaterThan(0); // an error for the payment fields
    } finally {
      await stack.services.startOne('payment');
    }
    const confirmed = await orders.until(alice, orderId, (o) => o.status === 'CONFIRMED' || o.status === 'ASSIGNED', 'to be confirmed');
    expect(path(confirmed).slice(0, 2)).toStrictEqual(['PAYMENT_PENDING', 'CONFIRMED']);
  });

  test('a payment slower than the timeout: PAYMENT_PENDING, then CONFIRMED, charged once', async () => {
    const productId = await orders.product(3, 1_200);
    const pending = await orders.placed(alice, { lines: [{ productId, quantity: 1 }], paymentToken: 'tok_timeout' });
    expect(pending.status).toBe('PAYMENT_PENDING');
    await orders.until(alice, pending.id, (o) => o.status === 'CONFIRMED' || o.status === 'ASSIGNED', 'to be confirmed');
    expect(await ledger.db('payment').collection('payments').countDocuments({ orderId: pending.id })).toBe(1);
  });

  test('workers down: orders are still CONFIRMED, and ASSIGNED once the workers return', async () => {
    // The tests before this one fail payments on purpose, which can leave the order subgraph's
    // breaker toward payment open for a few seconds (its orders honestly PAYMENT_PENDING): this
    // test starts once a payment goes through again.
    const warmUp = await orders.product(50);
    await eventually(async () => (await orders.placed(alice, { lines: [{ productId: warmUp, quantity: 1 }] })).status === 'CONFIRMED', {
      what: 'payments to go through again',
      intervalMs: 500,
    });
    const productId = await orders.product(3);
    await stack.services.stopOne('workers');
    let orderId: string;
    try {
      const placed = await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });
      orderId = placed.id;
      expect(placed.status).toBe('CONFIRMED');
    } finally {
      await stack.services.startOne('workers');
    }
    await orders.untilStatus(alice, orderId, 'ASSIGNED');
  });

  test('a worker killed in the middle of an assignment: retried, assigned once', async () => {
    const productId = await orders.product(3);
    await stack.services.stopOne('workers');
    await stack.services.startOne('workers', { TEST_HANG_AFTER_HANDLER: 'delivery-events' });
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });
    const redis = new Redis(process.env.REDIS_URL ?? '');
    const queue = new Queue('delivery-events', { connection: redis, prefix: stack.redisPrefix });
    try {
      const jobId = await eventually(() => redis.get(`${stack.redisPrefix}:test:hung:delivery-events`), {
        what: 'the assignment to be done but not acknowledged',
      });
      expect(await queue.getJobState(jobId)).toBe('active');
      await stack.services.stopOne('workers', 'SIGKILL');
      await stack.services.startOne('workers');
      // The lock of the dead worker runs out; the job is taken up again and finishes.
      await eventually(async () => (await queue.getJobState(jobId)) === 'completed', { what: 'the killed job to be retried to completion', timeoutMs: 30_000 });
    } finally {
      await queue.close();
      redis.disconnect();
    }
    const assigned = await orders.untilStatus(alice, placed.id, 'ASSIGNED');
    // The retried job must have found the assignment and made no second one.
    await eventually(async () => (await ledger.db('delivery').collection('deliveries').countDocuments({ orderId: placed.id })) === 1, { what: 'one delivery' });
    expect(path(assigned)).toStrictEqual(['CONFIRMED', 'ASSIGNED']);
    await orders.cancel(alice, placed.id);
  });
});

describe('priorities', () => {
  /** A process's niceness, from /proc/<pid>/stat (the field after priority). */
  const niceness = (pid: number | undefined): number => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };

  test('the workers run behind the services for the CPU, so a rush is answered first', () => {
    expect(niceness(stack.services.pid('workers'))).toBe(10);
    expect(niceness(stack.services.pid('order'))).toBe(niceness(process.pid));
  });
});

describe('housekeeping', () => {
  test('the workers clear settled payments from wallets hourly, one run at a time whatever their number', async () => {
    const redis = new Redis(process.env.REDIS_URL ?? '');
    const queue = new Queue(Queues.walletClearing, { connection: redis, prefix: stack.redisPrefix });
    try {
      expect((await queue.getJobSchedulers()).map(({ key, every }) => ({ key, every }))).toStrictEqual([{ key: 'hourly', every: 3_600_000 }]);
      expect(await queue.getGlobalConcurrency()).toBe(1);
      // The first run is at once; it finds nothing a day old here.
      await eventually(async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= 1, { what: 'a clearing run to complete' });
      const [run] = await queue.getJobs(['completed']);
      expect(run?.returnvalue).toStrictEqual({ cleared: 0, reopened: 0 });
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });
});
