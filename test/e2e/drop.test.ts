/**
 * The drop through the gateway on the default configuration: a hundred customers order one
 * scarce product in the same second. Every one gets a true answer (an order), exactly the stock is
 * sold, and the books balance. And a placement refused as TOO_BUSY has done nothing at all.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Ledger } from '../support/books.js';
import { OrderDriver, errorCode } from '../support/orders.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

// The refusals of a drop are written many to a write (see PlaceOrder's refusals), so 300 customers
// at once are answered in a few seconds on two cores, well inside the gateway's 10 s.
describe('a drop of 300 customers for 20 units', () => {
  let stack: Stack;
  let ledger: Ledger;
  let orders: OrderDriver;

  beforeAll(async () => {
    stack = await startStack();
    ledger = await Ledger.open(stack);
    orders = new OrderDriver(stack);
    // A drop comes to a bakery that is open: its processes have taken orders before, so their
    // code is loaded and compiled (a process fresh from start does that on its first requests).
    const regular = await stack.customerToken(`regular-${randomUUID().slice(0, 6)}`);
    const bread = await orders.product(100, 3_500);
    for (let i = 0; i < 5; i++) await orders.placed(regular, { lines: [{ productId: bread, quantity: 1 }] });
    await orders.placed(regular, { lines: [{ productId: await orders.product(0, 3_500), quantity: 1 }] });
  });

  afterAll(async () => {
    await ledger?.close();
    await stack?.stop();
  });

  it('answers every customer with an order: 20 confirmed, 280 rejected out of stock, stock 0', async () => {
    const productId = await orders.product(20, 30_000);
    const tokens = await Promise.all(Array.from({ length: 300 }, (_, i) => stack.customerToken(`drop-${i}-${randomUUID().slice(0, 4)}`)));

    const results = await Promise.all(tokens.map((token) => orders.place(token, { lines: [{ productId, quantity: 1 }] }, 'id status rejectionReason')));

    expect(results.filter((result) => result.errors).map((result) => result.errors)).toEqual([]);
    const placed = results.map((result) => result.data?.placeOrder);
    expect(placed.filter((order) => order?.status === 'CONFIRMED')).toHaveLength(20);
    expect(placed.filter((order) => order?.status === 'REJECTED' && order.rejectionReason === 'OUT_OF_STOCK')).toHaveLength(280);
    expect(await orders.available(productId)).toBe(0);
    await ledger.assertBalanced();
  });

  it('answers a repeat of a rejected order with that same order', async () => {
    const productId = await orders.product(0, 1_000);
    const token = await stack.customerToken(`late-${randomUUID().slice(0, 6)}`);
    const key = randomUUID();

    const first = await orders.place(token, { lines: [{ productId, quantity: 1 }], idempotencyKey: key }, 'id status rejectionReason');
    const again = await orders.place(token, { lines: [{ productId, quantity: 1 }], idempotencyKey: key }, 'id status rejectionReason');

    expect(first.data?.placeOrder).toMatchObject({ status: 'REJECTED', rejectionReason: 'OUT_OF_STOCK' });
    expect(again.data?.placeOrder).toEqual(first.data?.placeOrder);
  });
});

/**
 * A stack for fault tests whose payment service the test freezes (SIGSTOP): a placement then waits
 * on payment as long as the test keeps it frozen (the payment timeout is out of the way).
 */
function frozenPaymentStack(env: Record<string, string>) {
  const parts = {} as { stack: Stack; ledger: Ledger; orders: OrderDriver };
  beforeAll(async () => {
    parts.stack = await startStack({ env: { ...env, PAYMENT_TIMEOUT_MS: '60000' } });
    parts.ledger = await Ledger.open(parts.stack);
    parts.orders = new OrderDriver(parts.stack);
  });
  afterAll(async () => {
    if (parts.stack?.services.isRunning('payment')) parts.stack.services.signal('payment', 'SIGCONT');
    await parts.ledger?.close();
    await parts.stack?.stop();
  });
  return parts;
}

/** Alice's placement, under way: it has written its order and waits on the frozen payment service. */
async function placementUnderWay({ stack, ledger, orders }: ReturnType<typeof frozenPaymentStack>, productId: string) {
  const alice = await stack.customerToken(`alice-${randomUUID().slice(0, 6)}`);
  stack.services.signal('payment', 'SIGSTOP');
  const placing = orders.place(alice, { lines: [{ productId, quantity: 1 }] }, 'id status');
  await eventually(async () => (await ledger.db('order').collection('orders').countDocuments({ status: 'PLACED' })) === 1, {
    what: "alice's placement to be under way",
  });
  return { placing }; // wrapped: awaiting it must not wait for the placement's answer
}

describe('a placement that cannot start in time', () => {
  // One placement at a time and no queue, so the second one is refused for sure.
  const parts = frozenPaymentStack({ PLACEMENT_CONCURRENCY: '1', PLACEMENT_QUEUE_LIMIT: '0' });

  it('is refused with TOO_BUSY and a retry-after, has done nothing, and the same key places it later', async () => {
    const { stack, ledger, orders } = parts;
    const productId = await orders.product(5, 2_000);
    const bobId = `bob-${randomUUID().slice(0, 6)}`;
    const bob = await stack.customerToken(bobId);
    const bobKey = randomUUID();
    const orderDb = ledger.db('order').collection('orders');
    // Alice's placement holds the only slot.
    const { placing: first } = await placementUnderWay(parts, productId);

    const refused = await orders.place(bob, { lines: [{ productId, quantity: 2 }], idempotencyKey: bobKey }, 'id status');

    expect(errorCode(refused)).toBe('TOO_BUSY');
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.data).toBeNull();
    expect(await orderDb.countDocuments({ customerId: bobId })).toBe(0);
    expect(await ledger.db('payment').collection('payments').countDocuments({ customerId: bobId })).toBe(0);
    expect(await orders.available(productId)).toBe(4); // only alice's unit is held

    stack.services.signal('payment', 'SIGCONT');
    expect((await first).data?.placeOrder.status).toBe('CONFIRMED');
    const retried = await orders.place(bob, { lines: [{ productId, quantity: 2 }], idempotencyKey: bobKey }, 'id status');
    expect(retried.errors).toBeUndefined();
    expect(retried.data?.placeOrder.status).toBe('CONFIRMED');
    expect(await orders.available(productId)).toBe(2);
    await ledger.assertBalanced();
  });
});

describe("the gateway's placement line", () => {
  // One placement sent at a time and one more waiting: a third is refused at the gateway.
  const parts = frozenPaymentStack({ GATEWAY_PLACEMENT_CONCURRENCY: '1', GATEWAY_PLACEMENT_QUEUE_LIMIT: '1', GATEWAY_PLACEMENT_QUEUE_WAIT_MS: '60000' });

  const waitingInLine = async (): Promise<number> => {
    const metrics = await (await fetch(parts.stack.services.url('gateway', '/metrics'))).text();
    return Number(/^gateway_placements_waiting(?:\{[^}]*\})? (\d+)$/m.exec(metrics)?.[1] ?? NaN);
  };

  it('sends placements in turn, refuses one past the line having sent nothing, and lets everything else by', async () => {
    const { stack, ledger, orders } = parts;
    const productId = await orders.product(5, 2_000);
    const carol = await stack.customerToken(`carol-${randomUUID().slice(0, 6)}`);
    const bobId = `bob-${randomUUID().slice(0, 6)}`;
    const bob = await stack.customerToken(bobId);
    const bobKey = randomUUID();
    const orderDb = ledger.db('order').collection('orders');

    const { placing: first } = await placementUnderWay(parts, productId);
    const second = orders.place(carol, { lines: [{ productId, quantity: 1 }] }, 'id status');
    await eventually(async () => (await waitingInLine()) === 1, { what: "carol's placement to wait its turn" });

    const refused = await orders.place(bob, { lines: [{ productId, quantity: 1 }], idempotencyKey: bobKey }, 'id status');
    // Reads are not placements: they go straight by the line.
    const available = await orders.available(productId);

    expect(errorCode(refused)).toBe('TOO_BUSY');
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(await orderDb.countDocuments({ customerId: bobId })).toBe(0);
    expect(available).toBe(4); // alice's unit is held; carol's placement has not been sent
    expect(await orderDb.countDocuments({ status: 'PLACED' })).toBe(1);

    stack.services.signal('payment', 'SIGCONT');
    expect((await first).data?.placeOrder.status).toBe('CONFIRMED');
    expect((await second).data?.placeOrder.status).toBe('CONFIRMED');
    const retried = await orders.place(bob, { lines: [{ productId, quantity: 1 }], idempotencyKey: bobKey }, 'id status');
    expect(retried.data?.placeOrder.status).toBe('CONFIRMED');
    expect(await orders.available(productId)).toBe(2);
    await ledger.assertBalanced();
  });
});
