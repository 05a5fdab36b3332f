/**
 * Entity lookups are batched per request: whatever the number of representations in one
 * `_entities` request, repeats included, each subgraph reads each kind of entity in one store
 * query, and answers what one-at-a-time lookups answer, each caller's visibility included.
 *
 * Store queries are counted by the subgraph itself (store_commands_total at /metrics, from the
 * operations each hands the driver). Only the four subgraphs run (no workers, no gateway), so between
 * two readings of a subgraph's metrics the request under test is the only thing it does. Orders
 * and deliveries are written straight into the subgraphs' databases through their stores; payments
 * through the payment subgraph's own (internal) mutation.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import mongoose, { Types, type Connection } from 'mongoose';
import type { Viewer } from '../../lib/auth.js';
import type { ServiceName } from '../../scripts/services.js';
import { DeliveryStore } from '../../subgraphs/delivery/src/store/delivery.store.js';
import { OrderStore } from '../../subgraphs/order/src/store/order.store.js';
import { startStack, type GraphQLResponse, type Stack } from '../support/stack.js';
import { storeCommands as storeCommandsOf } from '../support/store-commands.js';

const STAFF: Viewer = { id: 'staff-1', roles: ['STAFF'] };
const ALICE: Viewer = { id: 'alice', roles: ['CUSTOMER'] };
const BOB: Viewer = { id: 'bob', roles: ['CUSTOMER'] };

type Representation = { __typename: string; id: string };

let stack: Stack;
let connection: Connection;

beforeAll(async () => {
  // Bakers are answered from memory once read (KnownBakers): kept for the whole file here, so the
  // counts below do not depend on how long the machine takes between two requests.
  stack = await startStack({ services: ['stock', 'order', 'payment', 'delivery'], env: { BAKER_MAX_AGE_MS: '600000' } });
  connection = await mongoose.createConnection(process.env.MONGODB_URL ?? '', { retryWrites: false }).asPromise();
});

afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

// ------------------------------------------------------------------------------------- helpers

const storeCommands = (service: ServiceName) => storeCommandsOf(stack, service);

/** The store commands `run` made at `service`, as `"<command> <collection>" -> count`. */
async function commandsDuring(service: ServiceName, run: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await storeCommands(service);
  await run();
  const after = await storeCommands(service);
  const made: Record<string, number> = {};
  for (const [key, count] of after) {
    const delta = count - (before.get(key) ?? 0);
    if (delta > 0) made[key] = delta;
  }
  return made;
}

/** One `_entities` request to a subgraph, as the gateway makes it for `caller`. */
async function entities<T>(service: ServiceName, caller: Viewer, representations: Representation[], selection: string): Promise<Array<T | null>> {
  const response: GraphQLResponse<{ _entities: Array<T | null> }> = await stack.graphql(
    `query($representations: [_Any!]!) { _entities(representations: $representations) { ${selection} } }`,
    { url: stack.services.url(service), token: await stack.callerToken(caller), variables: { representations } },
  );
  expect(response.errors).toBeUndefined();
  assert.ok(response.data);
  return response.data._entities;
}

/** The same representations looked up one request each. */
async function oneAtATime<T>(service: ServiceName, caller: Viewer, representations: Representation[], selection: string): Promise<Array<T | null>> {
  const answers: Array<T | null> = [];
  for (const representation of representations) answers.push(...(await entities<T>(service, caller, [representation], selection)));
  return answers;
}

/** Every representation three times, interleaved, and a few that name nothing. */
function withRepeats(representations: Representation[], typename: string): Representation[] {
  return [
    ...representations,
    ...[...representations].reverse(),
    ...representations,
    { __typename: typename, id: new Types.ObjectId().toHexString() },
    { __typename: typename, id: 'not-an-id' },
  ];
}

const orderRef = (id: string): Representation => ({ __typename: 'Order', id });

// --------------------------------------------------------------------------------------- tests

describe('the stock subgraph', () => {
  const PRODUCT = '... on Product { id name price available soldOut }';

  test('resolves many product representations, repeats included, with one store query', async () => {
    const { data } = await stack.graphql<{ products: { nodes: Array<{ id: string }> } }>('{ products(first: 20) { nodes { id } } }', {
      url: stack.services.url('stock'),
      token: await stack.callerToken(ALICE),
    });
    const ids = data?.products.nodes.map((product) => product.id) ?? [];
    expect(ids.length).toBeGreaterThan(3);
    const representations = withRepeats(
      ids.map((id) => ({ __typename: 'Product', id })),
      'Product',
    );

    let batched: unknown[] = [];
    const made = await commandsDuring('stock', async () => {
      batched = await entities('stock', ALICE, representations, PRODUCT);
    });

    expect(made).toEqual({ 'find products': 1 });
    expect(batched).toEqual(await oneAtATime('stock', ALICE, representations, PRODUCT));
    expect(batched.slice(0, ids.length)).toEqual(ids.map((id) => expect.objectContaining({ id })));
    expect(batched.slice(-2)).toEqual([null, null]);
  });
});

describe('the order subgraph', () => {
  const ORDER = '... on Order { id customerId status total lines { quantity product { id } } }';

  async function ordersOf(customerId: string, count: number, stores: OrderStore): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const [order] = await stores.insertDecidedMany([
        {
          order: {
            id: OrderStore.newId(),
            customerId,
            idempotencyKey: `key-${i}-${new Types.ObjectId().toHexString()}`,
            lines: [{ productId: new Types.ObjectId().toHexString(), name: 'Rye', quantity: 2, unitPrice: 450 }],
            total: 900,
            fulfilment: 'PICKUP',
            deliveryAddress: null,
            paymentMethod: 'CARD',
            paymentToken: null,
          },
          change: { status: 'CONFIRMED', history: [{ status: 'CONFIRMED', at: new Date(), reason: null }], events: [] },
        },
      ]);
      assert.ok(order);
      ids.push(order.id);
    }
    return ids;
  }

  test('resolves many orders with one store query, showing each caller only what they may see', async () => {
    const stores = new OrderStore(connection.useDb(`${stack.dbPrefix}_order`));
    const alices = await ordersOf('alice', 4, stores);
    const bobs = await ordersOf('bob', 2, stores);
    // An order still being placed is internal: nobody sees it.
    const placing = await stores.insertPlaced({
      customerId: 'alice',
      idempotencyKey: `placing-${new Types.ObjectId().toHexString()}`,
      lines: [],
      total: 0,
      fulfilment: 'PICKUP',
      deliveryAddress: null,
      paymentMethod: 'CARD',
      paymentToken: null,
    });
    assert.ok(placing);
    const representations = withRepeats([...alices, ...bobs, placing.id].map(orderRef), 'Order');

    for (const caller of [ALICE, BOB, STAFF]) {
      let batched: Array<{ id: string; customerId: string } | null> = [];
      const made = await commandsDuring('order', async () => {
        batched = await entities('order', caller, representations, ORDER);
      });

      expect(made).toEqual({ 'find orders': 1 });
      expect(batched).toEqual(await oneAtATime('order', caller, representations, ORDER));
      const seen = new Set(batched.flatMap((order) => (order ? [order.id] : [])));
      const visible = caller === STAFF ? [...alices, ...bobs] : caller === ALICE ? alices : bobs;
      expect([...seen].sort()).toEqual([...visible].sort());
    }
  });
});

describe('the payment subgraph', () => {
  const PAYMENT = 'id amount method status';

  test('resolves orders’ payments and payments together with one store query, each caller seeing only their own', async () => {
    const service = await stack.serviceToken();
    const paid: Record<string, string[]> = { alice: [], bob: [] };
    for (const [customerId, count] of [
      ['alice', 3],
      ['bob', 2],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const orderId = new Types.ObjectId().toHexString();
        const response = await stack.graphql('mutation($input: AuthorizePaymentInput!) { authorizePayment(input: $input) { status } }', {
          url: stack.services.url('payment'),
          token: service,
          variables: { input: { orderId, customerId, amount: 500 + i, method: 'CARD', token: 'tok_visa' } },
        });
        expect(response.errors).toBeUndefined();
        paid[customerId]?.push(orderId);
      }
    }
    const ids = [...(paid.alice ?? []), ...(paid.bob ?? [])];
    const representations = [
      ...withRepeats(ids.map(orderRef), 'Order'),
      ...withRepeats(
        ids.map((id) => ({ __typename: 'Payment', id })),
        'Payment',
      ),
    ];
    const selection = `... on Order { id payment { ${PAYMENT} } } ... on Payment { ${PAYMENT} }`;

    for (const caller of [ALICE, BOB, STAFF]) {
      let batched: Array<{ id: string; payment?: { id: string } | null } | null> = [];
      const made = await commandsDuring('payment', async () => {
        batched = await entities('payment', caller, representations, selection);
      });

      expect(made).toEqual({ 'find payments': 1 });
      expect(batched).toEqual(await oneAtATime('payment', caller, representations, selection));
      const seen = new Set(batched.flatMap((entity) => (entity?.payment ? [entity.payment.id] : entity && !('payment' in entity) ? [entity.id] : [])));
      const visible = caller === STAFF ? ids : caller === ALICE ? paid.alice : paid.bob;
      expect([...seen].sort()).toEqual([...(visible ?? [])].sort());
    }
  });
});

describe('the delivery subgraph', () => {
  const DELIVERY = 'id status baker { id name openOrders }';

  test('resolves deliveries, their bakers and the bakers’ open orders with one store query each (bakers only until known), each caller seeing only their own', async () => {
    const { data } = await stack.graphql<{ bakers: Array<{ id: string }> }>('{ bakers { id } }', {
      url: stack.services.url('delivery'),
      token: await stack.callerToken(STAFF),
    });
    const bakerIds = data?.bakers.map((baker) => baker.id) ?? [];
    expect(bakerIds.length).toBeGreaterThan(1);

    const stores = new DeliveryStore(connection.useDb(`${stack.dbPrefix}_delivery`));
    const delivered: Record<string, string[]> = { alice: [], bob: [] };
    const bakerOf = new Map<string, string | null>();
    let n = 0;
    for (const [customerId, count] of [
      ['alice', 4],
      ['bob', 2],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const orderId = new Types.ObjectId().toHexString();
        const bakerId = bakerIds[n++ % bakerIds.length] ?? null;
        bakerOf.set(orderId, bakerId);
        await stores.insertOrGet({
          orderId,
          customerId,
          bakerId,
          status: 'ASSIGNED',
          fulfilment: 'PICKUP',
          promisedBy: null,
          outbox: [],
        });
        delivered[customerId]?.push(orderId);
      }
    }
    const ids = [...(delivered.alice ?? []), ...(delivered.bob ?? [])];
    const representations = [
      ...withRepeats(ids.map(orderRef), 'Order'),
      ...withRepeats(
        ids.map((id) => ({ __typename: 'Delivery', id })),
        'Delivery',
      ),
    ];
    const selection = `... on Order { id delivery { ${DELIVERY} } } ... on Delivery { ${DELIVERY} }`;

    const known = new Set<string>();
    for (const caller of [ALICE, BOB, STAFF]) {
      let batched: Array<{ id: string; delivery?: { id: string } | null } | null> = [];
      const made = await commandsDuring('delivery', async () => {
        batched = await entities('delivery', caller, representations, selection);
      });

      const visible = caller === STAFF ? ids : caller === ALICE ? delivered.alice : delivered.bob;
      // A baker is read from the store once, by the first request that names it.
      const named = new Set((visible ?? []).map((id) => bakerOf.get(id)));
      const newlyNamed = [...named].some((bakerId) => bakerId && !known.has(bakerId));
      expect(made).toEqual({ 'find deliveries': 1, ...(newlyNamed ? { 'find bakers': 1 } : {}), 'aggregate deliveries': 1 });
      for (const bakerId of named) if (bakerId) known.add(bakerId);
      expect(batched).toEqual(await oneAtATime('delivery', caller, representations, selection));
      const seen = new Set(batched.flatMap((entity) => (entity?.delivery ? [entity.delivery.id] : entity && !('delivery' in entity) ? [entity.id] : [])));
      expect([...seen].sort()).toEqual([...(visible ?? [])].sort());
    }
  });
});
