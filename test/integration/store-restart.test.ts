/**
 * The store goes away and comes back: requests meanwhile get a coded, retryable error, not a hang
 * and not an internal error; the services reconnect by themselves; a placement retried with its
 * key afterwards places one order; nothing is lost. The stack runs on a FerretDB of this file's
 * own (on the run's PostgreSQL), which it stops and starts again on the same port.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { type RunningFerretDB, type RunningStore, startFerretDB, startStore } from '../../scripts/infra/index.js';
import { failures, Invariants } from '../support/invariants.js';
import { OrderDriver } from '../support/orders.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

/** The gateway's default SUBGRAPH_TIMEOUT_MS: an answer after it would be a hang. */
const GATEWAY_TIMEOUT_MS = 10_000;

let store: RunningStore;
let ferretdb: RunningFerretDB;
let port: number;
let stack: Stack;
let orders: OrderDriver;

beforeAll(async () => {
  store = await startStore({ durability: 'throwaway' });
  // A second FerretDB on the same database: the one this file stops and starts again.
  ferretdb = await startFerretDB({ postgresUrl: store.ferretdbPostgresUrl });
  port = Number(new URL(ferretdb.url).port);
  stack = await startStack({ env: { MONGODB_URL: ferretdb.url } });
  orders = new OrderDriver(stack);
});
afterAll(async () => {
  await stack?.stop();
  await ferretdb?.stop();
  await store?.stop();
});

test('requests during a store outage get SERVICE_UNAVAILABLE in time; afterwards the services reconnect and nothing is lost', async () => {
  const customer = await stack.customerToken('store-outage');
  const productId = await orders.product(20, 1_000);
  const before = await orders.placed(customer, { lines: [{ productId, quantity: 1 }] });
  expect(before.status).toBe('CONFIRMED');

  await ferretdb.stop();
  const input = { idempotencyKey: randomUUID(), lines: [{ productId, quantity: 2 }] };
  for (const request of [
    () => orders.place(customer, input, 'id status'),
    () => stack.graphql('query($id: ID!) { order(id: $id) { id status } }', { token: customer, variables: { id: before.id } }),
  ]) {
    const started = Date.now();
    const { errors } = await request();
    expect(Date.now() - started).toBeLessThan(GATEWAY_TIMEOUT_MS);
    expect(errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
  }

  ferretdb = await startFerretDB({ postgresUrl: store.ferretdbPostgresUrl, port });
  // The same placement, sent again with its key once the store is back: one order.
  const placed = await eventually(
    async () => {
      const { data } = await orders.place(customer, input, 'id status');
      return data?.placeOrder;
    },
    { what: 'the placement to be answered once the store is back', timeoutMs: 60_000, intervalMs: 500 },
  );
  expect(placed.status).toBe('CONFIRMED');
  const again = await orders.place(customer, input, 'id status');
  expect(again.data?.placeOrder.id).toBe(placed.id);

  const invariants = await Invariants.open(ferretdb.url, stack.dbPrefix);
  try {
    const { results, settledMs } = await invariants.settle({ acknowledged: [before.id, placed.id] }, 60_000);
    assert.ok(settledMs !== null, `the invariants do not hold:\n${failures(results)}`);
  } finally {
    await invariants.close();
  }
});
