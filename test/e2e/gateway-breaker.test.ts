/**
 * The gateway's circuit breaker toward each subgraph (gateway/src/subgraph-breaker.ts): a subgraph
 * that is dead or frozen costs a request milliseconds, not the gateway's timeout; the parts of a
 * query that other subgraphs serve still answer, with the missing fields null and an error naming
 * them; once the subgraph is back, a trial fetch closes the breaker by itself.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { OrderDriver } from '../support/orders.js';
import { startStack, type GraphQLResponse, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

/** The gateway's default SUBGRAPH_TIMEOUT_MS, which these tests leave as it is. */
const GATEWAY_TIMEOUT_MS = 10_000;
/** "Fast": a small part of that timeout, however loaded the machine. */
const FAST_MS = GATEWAY_TIMEOUT_MS / 4;

let stack: Stack;
let orders: OrderDriver;
let customer: string;
let orderId: string;

beforeAll(async () => {
  stack = await startStack();
  orders = new OrderDriver(stack);
  customer = await stack.customerToken('breaker-customer');
  const productId = await orders.product(5);
  const order = await orders.placed(customer, { lines: [{ productId, quantity: 1 }] });
  assert.equal(order.status, 'CONFIRMED');
  orderId = order.id;
  // At rest with a baker, so its status does not move while the tests read it.
  await orders.untilStatus(customer, orderId, 'ASSIGNED');
});
afterAll(async () => {
  if (stack?.services.isRunning('payment')) stack.services.signal('payment', 'SIGCONT');
  await stack?.stop();
});

interface Timed {
  response: GraphQLResponse<{ order: { id: string; status: string; payment: { status: string } | null } | null }>;
  ms: number;
}

/** The order from the order subgraph, with its payment from the payment subgraph. */
async function orderWithPayment(): Promise<Timed> {
  const started = Date.now();
  const response = await stack.graphql<{ order: { id: string; status: string; payment: { status: string } | null } | null }>(
    'query($id: ID!) { order(id: $id) { id status payment { status } } }',
    { token: customer, variables: { id: orderId } },
  );
  return { response, ms: Date.now() - started };
}

/** The order's own fields answered, the payment null, and one coded error naming the missing field. */
function expectPartialAnswer({ response }: Timed): void {
  expect(response.data?.order).toEqual({ id: orderId, status: 'ASSIGNED', payment: null });
  expect(response.errors).toHaveLength(1);
  expect(response.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
  expect(response.errors?.[0]?.message).toMatch(/payment service is unavailable.*Order\.payment/);
}

const breakerOpen = (timed: Timed) => /circuit breaker is open/.test(timed.response.errors?.[0]?.message ?? '');

test('a dead subgraph fails fast: partial answers at once, the breaker opens, and closes once it is back', async () => {
  await stack.services.stopOne('payment', 'SIGKILL');
  try {
    // Refused connections: each answer comes at once, and after a few the breaker opens.
    const open = await eventually(
      async () => {
        const timed = await orderWithPayment();
        expectPartialAnswer(timed);
        expect(timed.ms).toBeLessThan(FAST_MS);
        return breakerOpen(timed) ? timed : null;
      },
      { what: 'the breaker to the payment subgraph to open', timeoutMs: 30_000 },
    );
    expectPartialAnswer(open);
    expect(open.ms).toBeLessThan(FAST_MS);
  } finally {
    await stack.services.startOne('payment');
  }
  // Half-open after a short pause: a trial fetch finds payment back and closes the breaker.
  const healed = await eventually(
    async () => {
      const timed = await orderWithPayment();
      return timed.response.errors === undefined ? timed : null;
    },
    { what: 'the payment field to answer again', timeoutMs: 30_000 },
  );
  expect(healed.response.data?.order?.payment).toEqual({ status: 'AUTHORIZED' });
});

test('a frozen subgraph is given up after its liveness check, not after the timeout', async () => {
  stack.services.signal('payment', 'SIGSTOP');
  try {
    // The first request waits for the liveness check, not for the gateway's whole timeout.
    const first = await orderWithPayment();
    expectPartialAnswer(first);
    expect(first.ms).toBeLessThan(GATEWAY_TIMEOUT_MS);
    // From then on, while the process stays frozen, requests fail fast with the breaker open.
    const fast = await eventually(
      async () => {
        const timed = await orderWithPayment();
        expectPartialAnswer(timed);
        return breakerOpen(timed) && timed.ms < FAST_MS ? timed : null;
      },
      { what: 'requests to fail fast while payment is frozen', timeoutMs: 30_000 },
    );
    expectPartialAnswer(fast);
    // Other subgraphs are untouched: the catalogue answers in full.
    const products = await stack.graphql<{ products: { nodes: unknown[] } }>('{ products { nodes { sku } } }');
    expect(products.errors).toBeUndefined();
  } finally {
    stack.services.signal('payment', 'SIGCONT');
  }
  const healed = await eventually(
    async () => {
      const timed = await orderWithPayment();
      return timed.response.errors === undefined ? timed : null;
    },
    { what: 'the payment field to answer again once payment is thawed', timeoutMs: 30_000 },
  );
  expect(healed.response.data?.order?.payment).toEqual({ status: 'AUTHORIZED' });
});
