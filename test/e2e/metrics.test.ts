/**
 * Metrics: every process serves Prometheus text at /metrics, with the default process metrics and
 * what that process alone can tell: the gateway its operations, subgraph fetches and open
 * subscriptions; a subgraph its resolver errors by code; the workers their jobs per queue.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { ServiceName } from '../../scripts/services.js';
import { OrderDriver } from '../support/orders.js';
import { startStack, type Stack } from '../support/stack.js';
import { Subscriber } from '../support/subscriber.js';
import { eventually } from '../support/wait.js';

let stack: Stack;
let orders: OrderDriver;

beforeAll(async () => {
  stack = await startStack();
  orders = new OrderDriver(stack);
});
afterAll(() => stack?.stop());

async function scrape(service: ServiceName): Promise<string> {
  const response = await fetch(stack.services.url(service, '/metrics'));
  assert.equal(response.status, 200, `${service} serves /metrics`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample, found by its name and (a subset of) its labels; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

test('every process serves the default process metrics under its service name', async () => {
  for (const service of ['gateway', 'stock', 'order', 'payment', 'delivery', 'workers'] as const) {
    const text = await scrape(service);
    assert.ok((sample(text, 'process_resident_memory_bytes', { service }) ?? 0) > 0, `${service}: resident memory`);
    assert.ok(sample(text, 'nodejs_eventloop_lag_seconds', { service }) !== undefined, `${service}: event loop lag`);
  }
});

test('the gateway counts and times operations by name and outcome, and times its subgraph fetches', async () => {
  const product = await orders.product(5);
  const placed = await stack.graphql<{ placeOrder: { status: string } }>(
    'mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { status } }',
    {
      token: await stack.customerToken('metrics-customer'),
      variables: {
        input: {
          lines: [{ productId: product, quantity: 1 }],
          fulfilment: 'PICKUP',
          paymentMethod: 'CARD',
          paymentToken: 'tok_visa',
          idempotencyKey: randomUUID(),
        },
      },
    },
  );
  assert.equal(placed.data?.placeOrder.status, 'CONFIRMED', JSON.stringify(placed));
  const refused = await stack.graphql('mutation RestockAsCustomer($id: ID!) { restockProduct(id: $id, quantity: 1) { id } }', {
    token: await stack.customerToken('metrics-customer'),
    variables: { id: product },
  });
  assert.ok(refused.errors?.length, JSON.stringify(refused));

  const text = await scrape('gateway');
  assert.equal(sample(text, 'graphql_operations_total', { operation: 'PlaceOrder', outcome: 'success' }), 1);
  assert.equal(sample(text, 'graphql_operation_duration_seconds_count', { operation: 'PlaceOrder', outcome: 'success' }), 1);
  assert.equal(sample(text, 'graphql_operations_total', { operation: 'RestockAsCustomer', outcome: 'error' }), 1);
  assert.ok((sample(text, 'gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'order', outcome: 'ok' }) ?? 0) >= 1);
  assert.ok((sample(text, 'gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'stock', outcome: 'ok' }) ?? 0) >= 1);
});

test('the gateway reports its open subscriptions', async () => {
  const subscriber = new Subscriber(stack.gatewayUrl).subscribe('subscription { stockChanged { available } }');
  try {
    await eventually(async () => sample(await scrape('gateway'), 'gateway_open_subscriptions', {}) === 1, { what: 'one open subscription' });
  } finally {
    await subscriber.dispose();
  }
  await eventually(async () => sample(await scrape('gateway'), 'gateway_open_subscriptions', {}) === 0, { what: 'no open subscription' });
});

test('a subgraph counts its resolver errors by code', async () => {
  const product = await orders.product(1);
  const before = sample(await scrape('stock'), 'graphql_resolver_errors_total', { code: 'FORBIDDEN' }) ?? 0;
  const refused = await stack.graphql('mutation($id: ID!) { restockProduct(id: $id, quantity: 1) { id } }', {
    token: await stack.customerToken('metrics-other'),
    variables: { id: product },
  });
  assert.equal(refused.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  assert.equal(sample(await scrape('stock'), 'graphql_resolver_errors_total', { code: 'FORBIDDEN', service: 'stock' }), before + 1);
});

test('the workers count completed jobs and report each queue by state', async () => {
  const customer = await stack.customerToken('metrics-workers');
  const order = await orders.placed(customer, { lines: [{ productId: await orders.product(3), quantity: 1 }] });
  await orders.untilStatus(customer, order.id, 'ASSIGNED');
  const text = await eventually(
    async () => {
      const scraped = await scrape('workers');
      return (sample(scraped, 'bullmq_jobs_completed_total', { queue: 'delivery-events' }) ?? 0) >= 1 ? scraped : null;
    },
    { what: 'a completed delivery-events job' },
  );
  for (const queue of ['order-events', 'order-saga', 'notifications', 'delivery-events', 'promise-checks']) {
    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      assert.ok(sample(text, 'bullmq_queue_jobs', { queue, state }) !== undefined, `${queue} ${state}`);
    }
  }
  // The promise check waits, delayed until the order's promise time.
  assert.ok((sample(text, 'bullmq_queue_jobs', { queue: 'promise-checks', state: 'delayed' }) ?? 0) >= 1);
});

test('forty requests at once with an operation text never seen before: the gateway and the subgraph it asks each parse it once', async () => {
  // A text of its own (the alias), so no earlier request has prepared it.
  const query = `{ p${randomUUID().replaceAll('-', '')}: products(first: 2) { nodes { id name } } }`;
  const parsed = async (service: ServiceName) => sample(await scrape(service), 'graphql_documents_parsed_total', { service }) ?? 0;
  const before = { gateway: await parsed('gateway'), stock: await parsed('stock') };

  // As in a drop: each from a customer of its own, whose token is verified as it arrives.
  const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => stack.customerToken(`first-sight-${i}-${randomUUID().slice(0, 6)}`)));
  const answers = await Promise.all(tokens.map((token) => stack.graphql(query, { token })));

  expect(answers.filter((answer) => answer.errors !== undefined || answer.data === undefined)).toStrictEqual([]);
  expect({ gateway: (await parsed('gateway')) - before.gateway, stock: (await parsed('stock')) - before.stock }).toStrictEqual({ gateway: 1, stock: 1 });
});
