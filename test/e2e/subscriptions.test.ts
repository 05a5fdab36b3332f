/**
 * Live status through the gateway over graphql-ws: messages carry fields of every subgraph, come
 * one per change in order, start with the current state, survive a reconnect, reach subscribers
 * of every gateway process once, and only ever show a subscriber what it may see.
 */
import assert from 'node:assert/strict';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis } from 'ioredis';
import { publishNotice } from '../../lib/live.js';
import { freePort } from '../../scripts/services.js';
import { stockTopic } from '../../subgraphs/stock/src/live-topic.js';
import { OrderDriver } from '../support/orders.js';
import { startStack, type Stack } from '../support/stack.js';
import { Subscriber } from '../support/subscriber.js';
import { eventually } from '../support/wait.js';

const ORDER_SELECTION = `id status history { status at } payment { status } delivery { baker { name } } lines { product { name } }`;
const BY_ORDER = `subscription($id: ID) { orderStatusChanged(orderId: $id) { ${ORDER_SELECTION} } }`;

interface LiveOrder {
  orderStatusChanged: {
    id: string;
    status: string;
    history: Array<{ status: string; at: string }>;
    payment: { status: string } | null;
    delivery: { baker: { name: string } | null } | null;
    lines: Array<{ product: { name: string } }>;
  };
}

let stack: Stack;
let orders: OrderDriver;
let alice: string;
let bob: string;
const open: Subscriber<never>[] = [];

function subscriber<T>(token?: string, url = stack.gatewayUrl): Subscriber<T> {
  const created = new Subscriber<T>(url, token);
  open.push(created as Subscriber<never>);
  return created;
}

beforeAll(async () => {
  stack = await startStack({ env: { WORKER_LOCK_MS: '2000', OUTBOX_SWEEP_MS: '500' } });
  orders = new OrderDriver(stack);
  alice = await stack.customerToken('alice-live');
  bob = await stack.customerToken('bob-live');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.dispose()));
});
afterAll(() => stack?.stop());

const statusesOf = (messages: Array<{ data?: LiveOrder | null }>) => messages.map((m) => m.data?.orderStatusChanged.status);

/** Waits until a gateway serves at least `count` subscriptions (its /health/live says how many). */
async function listening(gatewayUrl: string, count: number) {
  await eventually(
    async () => {
      const health = (await (await fetch(new URL('/health/live', gatewayUrl))).json()) as { subscriptions?: number };
      return (health.subscriptions ?? 0) >= count;
    },
    { what: `${count} subscriptions at ${gatewayUrl}` },
  );
}

async function staff(orderId: string, ...operations: string[]) {
  for (const operation of operations) {
    const { errors } = await orders.staff(operation, orderId);
    expect({ operation, errors }).toStrictEqual({ operation, errors: undefined });
  }
}

describe('following orders', () => {
  test('each status arrives once, in order, with fields from every subgraph', async () => {
    const productId = await orders.product(5, 4_500);
    // Subscribed to all of alice's orders: place one, and follow it to the end.
    const live = subscriber<LiveOrder>(alice).subscribe(BY_ORDER);
    await listening(stack.gatewayUrl, 1);
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 2 }] });
    await live.received(2, 'CONFIRMED and ASSIGNED');
    await staff(placed.id, 'startBaking', 'markReady', 'completeOrder');
    const messages = await live.received(5, 'five statuses');
    expect(statusesOf(messages)).toStrictEqual(['CONFIRMED', 'ASSIGNED', 'BAKING', 'READY', 'COMPLETED']);
    messages.forEach((message, index) => {
      const order = message.data?.orderStatusChanged;
      assert.ok(order);
      expect(order.id).toBe(placed.id);
      expect(order.history.length).toBe(index + 1); // history as it was at that change
      expect(order.history.at(-1)?.status).toBe(order.status);
      expect(order.payment?.status).toBe('AUTHORIZED'); // payment subgraph
      expect(order.lines.map((line) => line.product.name)).toStrictEqual(['Test bake']); // stock subgraph
      if (index >= 1) expect(order.delivery?.baker?.name).toBeTruthy(); // delivery subgraph
    });
    // A barrier: the next change (of a new order) must be the very next message, so nothing was repeated.
    const next = await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });
    const [sixth] = (await live.received(6)).slice(5);
    expect(sixth?.data?.orderStatusChanged.id).toBe(next.id);
    expect(sixth?.data?.orderStatusChanged.status).toBe('CONFIRMED');
  });

  test('with an orderId: the current state first, then each change; a cancellation too', async () => {
    const productId = await orders.product(5);
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });
    await orders.untilStatus(alice, placed.id, 'ASSIGNED');
    const live = subscriber<LiveOrder>(alice).subscribe(BY_ORDER, { id: placed.id });
    const [first] = await live.received(1, 'the current state');
    expect(first?.data?.orderStatusChanged.status).toBe('ASSIGNED');
    expect(first?.data?.orderStatusChanged.history.map((h) => h.status)).toStrictEqual(['CONFIRMED', 'ASSIGNED']);
    expect((await orders.cancel(alice, placed.id)).errors).toBeUndefined();
    const messages = await live.received(2, 'the cancellation');
    expect(statusesOf(messages)).toStrictEqual(['ASSIGNED', 'CANCELLED']);
  });

  test('a reconnecting client gets the statuses it missed in its first message', async () => {
    const productId = await orders.product(5);
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });
    await orders.untilStatus(alice, placed.id, 'ASSIGNED');
    const before = subscriber<LiveOrder>(alice).subscribe(BY_ORDER, { id: placed.id });
    await before.received(1);
    await before.dispose();
    await staff(placed.id, 'startBaking', 'markReady');
    const after = subscriber<LiveOrder>(alice).subscribe(BY_ORDER, { id: placed.id });
    const [first] = await after.received(1, 'the state after reconnecting');
    expect(first?.data?.orderStatusChanged.status).toBe('READY');
    expect(first?.data?.orderStatusChanged.history.map((h) => h.status)).toStrictEqual(['CONFIRMED', 'ASSIGNED', 'BAKING', 'READY']);
    await staff(placed.id, 'completeOrder');
    expect(statusesOf(await after.received(2))).toStrictEqual(['READY', 'COMPLETED']);
  });

  test('two gateways: subscribers on each get every change exactly once', async () => {
    const second = await stack.services.startReplica('gateway', await freePort());
    try {
      const productId = await orders.product(5);
      const one = subscriber<LiveOrder>(bob).subscribe(BY_ORDER);
      const two = subscriber<LiveOrder>(bob, second.url()).subscribe(BY_ORDER);
      // Both are listening before the order exists.
      await listening(stack.gatewayUrl, 1);
      await listening(second.url(), 1);
      const placed = await orders.placed(bob, { lines: [{ productId, quantity: 1 }] });
      await Promise.all([one.received(2), two.received(2)]);
      await staff(placed.id, 'startBaking');
      for (const live of [one, two]) expect(statusesOf(await live.received(3))).toStrictEqual(['CONFIRMED', 'ASSIGNED', 'BAKING']);
      // A barrier: the next change is the next message on both, so neither got one twice.
      await staff(placed.id, 'markReady');
      for (const live of [one, two]) expect(statusesOf(await live.received(4))).toStrictEqual(['CONFIRMED', 'ASSIGNED', 'BAKING', 'READY']);
    } finally {
      await second.stop();
    }
  });
});

describe('who may follow what', () => {
  test("another customer's order is refused", async () => {
    const productId = await orders.product(2);
    const placed = await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });
    const errors = await subscriber(bob).subscribe(BY_ORDER, { id: placed.id }).failed();
    expect(errors[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  test('without a token orders are refused, stock is public', async () => {
    const errors = await subscriber().subscribe(BY_ORDER).failed();
    expect(errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const productId = await orders.product(3);
    const stock = subscriber<{ stockChanged: { available: number } }>().subscribe('subscription($id: ID) { stockChanged(productId: $id) { available } }', {
      id: productId,
    });
    expect((await stock.received(1))[0]?.data?.stockChanged.available).toBe(3);
  });

  test('a bad or expired token closes the socket with 4403', async () => {
    const forged = alice.slice(0, -4) + (alice.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const live = subscriber(forged).subscribe(BY_ORDER);
    expect(await live.closed()).toBe(4403);
  });

  test("the gateway's query limits apply to subscriptions", async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `s${i}: status`).join(' ');
    const errors = await subscriber(alice).subscribe(`subscription { orderStatusChanged { ${aliases} } }`).failed();
    expect(errors[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });
});

test("queries over the socket run like HTTP ones, as the socket's viewer", async () => {
  const socket = subscriber<{ viewer: { id: string; roles: string[] } }>(alice).subscribe('{ viewer { id roles } }');
  const [answer] = await socket.received(1);
  expect(answer?.data).toStrictEqual({ viewer: { id: 'alice-live', roles: ['CUSTOMER'] } });
  await eventually(async () => socket.completed, { what: 'the query to complete' });
});

test('a subscription sent over HTTP is told to use graphql-ws', async () => {
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'subscription { stockChanged { available } }' }),
  });
  expect(response.status).toBe(400);
  const body = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
  expect(body.errors[0]?.extensions.code).toBe('BAD_REQUEST');
  expect(body.errors[0]?.message ?? '').toMatch(/graphql-ws/);
});

describe('stock', () => {
  test('a limited edition selling out is seen live', async () => {
    const productId = await orders.product(3, 30_000);
    const live = subscriber<{ stockChanged: { available: number; soldOut: boolean } }>().subscribe(
      'subscription($id: ID) { stockChanged(productId: $id) { available soldOut } }',
      { id: productId },
    );
    expect((await live.received(1))[0]?.data?.stockChanged).toStrictEqual({ available: 3, soldOut: false });
    await orders.placed(alice, { lines: [{ productId, quantity: 2 }] });
    // Levels are announced at most every 200 ms: two orders inside that would be one message.
    await live.received(2, "alice's change");
    await orders.placed(bob, { lines: [{ productId, quantity: 1 }] });
    const messages = await live.received(3, "bob's change");
    expect(messages.map((m) => m.data?.stockChanged)).toStrictEqual([
      { available: 3, soldOut: false },
      { available: 1, soldOut: false },
      { available: 0, soldOut: true },
    ]);
  });
});

describe('stock repeats', () => {
  test('a notice of the level a subscriber last saw is not sent again', async () => {
    const productId = await orders.product(3, 30_000);
    const live = subscriber<{ stockChanged: { available: number } }>().subscribe('subscription($id: ID) { stockChanged(productId: $id) { available } }', {
      id: productId,
    });
    expect((await live.received(1))[0]?.data?.stockChanged).toStrictEqual({ available: 3 });
    // A notice of the level already seen (as one announced just before the subscriber's first read is).
    const redis = new Redis(process.env.REDIS_URL ?? '');
    try {
      const notice = { productId, available: 3, soldOut: false, active: true, at: new Date().toISOString() };
      await publishNotice(redis, stack.redisPrefix, { topic: stockTopic, notice });
    } finally {
      redis.disconnect();
    }
    await orders.placed(alice, { lines: [{ productId, quantity: 1 }] });

    const messages = await live.received(2, 'the change');
    expect(messages.map((m) => m.data?.stockChanged)).toStrictEqual([{ available: 3 }, { available: 2 }]);
  });
});

describe('shutdown', () => {
  test('a gateway going away closes its sockets with 1001', async () => {
    const replica = await stack.services.startReplica('gateway', await freePort());
    const live = subscriber(alice, replica.url()).subscribe('subscription { stockChanged { available } }');
    await listening(replica.url(), 1);
    await replica.stop();
    expect(await live.closed()).toBe(1001);
  });
});
