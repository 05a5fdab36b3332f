/**
 * The stock subgraph's internal operations for the order saga, called as the order subgraph calls
 * them: straight at the stock subgraph's /graphql with a service token.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Viewer } from '../../lib/auth.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let stockUrl: string;
let service: string;

beforeAll(async () => {
  stack = await startStack({ services: ['stock'] });
  stockUrl = stack.services.url('stock');
  service = await stack.serviceToken();
});
afterAll(() => stack?.stop());

interface Reservation {
  orderId: string;
  status: string;
  reason: string | null;
  rejectedProductId: string | null;
  lines: Array<{ productId: string; quantity: number; unitPrice: number; name: string }>;
}

const STAFF: Viewer = { id: 'staff-1', roles: ['STAFF'] };

async function newProduct(stock: number, price = 1000): Promise<string> {
  const { data, errors } = await stack.graphql<{ createProduct: { id: string } }>(
    'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    {
      url: stockUrl,
      token: await stack.callerToken(STAFF),
      variables: { input: { sku: `T-${randomUUID().slice(0, 8).toUpperCase()}`, name: 'Test loaf', price, initialStock: stock } },
    },
  );
  expect(errors).toBeUndefined();
  assert.ok(data);
  return data.createProduct.id;
}

const RESERVATION = 'orderId status reason rejectedProductId lines { productId quantity unitPrice name }';

async function reserve(orderId: string, lines: Array<{ productId: string; quantity: number }>, token = service) {
  return stack.graphql<{ reserveStock: Reservation }>(
    `mutation($orderId: ID!, $lines: [StockLineInput!]!) { reserveStock(orderId: $orderId, lines: $lines) { ${RESERVATION} } }`,
    { url: stockUrl, token, variables: { orderId, lines } },
  );
}

async function call(operation: 'releaseStock' | 'commitStock', orderId: string) {
  return stack.graphql<Record<string, Reservation>>(`mutation($orderId: ID!) { ${operation}(orderId: $orderId) { ${RESERVATION} } }`, {
    url: stockUrl,
    token: service,
    variables: { orderId },
  });
}

async function stockOf(id: string): Promise<{ available: number; soldOut: boolean }> {
  const { data } = await stack.graphql<{ product: { available: number; soldOut: boolean } }>('query($id: ID!) { product(id: $id) { available soldOut } }', {
    url: stockUrl,
    token: service,
    variables: { id },
  });
  assert.ok(data?.product);
  return data.product;
}

describe('reserving stock for orders', () => {
  test('200 concurrent reservations of 1 unit against 50 in stock: exactly 50 are held', async () => {
    const productId = await newProduct(50);
    const results = await Promise.all(Array.from({ length: 200 }, () => reserve(randomUUID(), [{ productId, quantity: 1 }])));
    const statuses = results.map((result) => result.data?.reserveStock.status);
    expect(statuses.filter((status) => status === 'HELD').length).toBe(50);
    expect(statuses.filter((status) => status === 'REJECTED').length).toBe(150);
    expect(await stockOf(productId)).toStrictEqual({ available: 0, soldOut: true });
  });

  test('all lines or none: one short line holds nothing', async () => {
    const plenty = await newProduct(10);
    const scarce = await newProduct(1);
    const { data } = await reserve(randomUUID(), [
      { productId: plenty, quantity: 3 },
      { productId: scarce, quantity: 2 },
    ]);
    expect(data?.reserveStock.status).toBe('REJECTED');
    expect(data?.reserveStock.reason).toBe('OUT_OF_STOCK');
    expect(data?.reserveStock.rejectedProductId).toBe(scarce);
    expect((await stockOf(plenty)).available).toBe(10);
    expect((await stockOf(scarce)).available).toBe(1);
  });

  test('an archived or unknown product is unavailable', async () => {
    const archived = await newProduct(5);
    await stack.graphql('mutation($id: ID!) { archiveProduct(id: $id) { id } }', {
      url: stockUrl,
      token: await stack.callerToken(STAFF),
      variables: { id: archived },
    });
    const { data } = await reserve(randomUUID(), [{ productId: archived, quantity: 1 }]);
    expect(data?.reserveStock.reason).toBe('PRODUCT_UNAVAILABLE');
    const unknown = await reserve(randomUUID(), [{ productId: '0123456789abcdef01234567', quantity: 1 }]);
    expect(unknown.data?.reserveStock.reason).toBe('PRODUCT_UNAVAILABLE');
  });

  test('repeating a reserve, even ten at once, holds once and answers the same', async () => {
    const productId = await newProduct(20, 2500);
    const orderId = randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => reserve(orderId, [{ productId, quantity: 4 }])));
    for (const result of results) {
      expect(result.data?.reserveStock.status).toBe('HELD');
      expect(result.data?.reserveStock.lines).toStrictEqual([{ productId, quantity: 4, unitPrice: 2500, name: 'Test loaf' }]);
    }
    expect((await stockOf(productId)).available).toBe(16);
  });

  test('release gives the stock back once, however often it is called', async () => {
    const productId = await newProduct(5);
    const orderId = randomUUID();
    await reserve(orderId, [{ productId, quantity: 2 }]);
    const releases = await Promise.all(Array.from({ length: 5 }, () => call('releaseStock', orderId)));
    for (const release of releases) expect(release.data?.releaseStock?.status).toBe('RELEASED');
    expect((await stockOf(productId)).available).toBe(5);
    const again = await reserve(orderId, [{ productId, quantity: 2 }]);
    expect(again.data?.reserveStock.status).toBe('RELEASED'); // a released order holds nothing again
    expect((await stockOf(productId)).available).toBe(5);
  });

  test('a release that overtakes its reserve leaves nothing held', async () => {
    const productId = await newProduct(5);
    const orderId = randomUUID();
    expect((await call('releaseStock', orderId)).data?.releaseStock?.status).toBe('RELEASED');
    expect((await reserve(orderId, [{ productId, quantity: 1 }])).data?.reserveStock.status).toBe('RELEASED');
    expect((await stockOf(productId)).available).toBe(5);
  });

  test('commit sells held stock once; commit without a hold is refused', async () => {
    const productId = await newProduct(5);
    const orderId = randomUUID();
    await reserve(orderId, [{ productId, quantity: 2 }]);
    for (let i = 0; i < 3; i++) expect((await call('commitStock', orderId)).data?.commitStock?.status).toBe('COMMITTED');
    expect((await call('releaseStock', orderId)).data?.releaseStock?.status).toBe('COMMITTED'); // sold stock is not released
    expect((await stockOf(productId)).available).toBe(3);
    const refused = await call('commitStock', randomUUID());
    expect(refused.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  test('only a service may call them', async () => {
    const productId = await newProduct(5);
    // Staff or a customer through the gateway: the operation is not theirs.
    for (const caller of [STAFF, { id: 'alice', roles: ['CUSTOMER'] } satisfies Viewer]) {
      const response = await reserve(randomUUID(), [{ productId, quantity: 1 }], await stack.callerToken(caller));
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    // A user's own token straight at the subgraph: not even let in.
    for (const token of [stack.staffToken, await stack.customerToken('alice')]) {
      const response = await reserve(randomUUID(), [{ productId, quantity: 1 }], token);
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect((await stockOf(productId)).available).toBe(5);
  });

  test('bad lines are refused naming the field', async () => {
    const response = await reserve(randomUUID(), [{ productId: 'nope', quantity: 1 }]);
    expect(response.errors?.[0]?.extensions).toStrictEqual({ code: 'BAD_USER_INPUT', field: 'lines[0].productId' });
  });
});
