/**
 * The stock subgraph's internal operations for the order saga, called as the order subgraph calls
 * them: straight at the stock subgraph's /graphql with a service token.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let stockUrl: string;
let service: string;

before(async () => {
  stack = await startStack({ services: ['stock'] });
  stockUrl = stack.services.url('stock');
  service = await stack.serviceToken();
});
after(() => stack?.stop());

interface Reservation {
  orderId: string;
  status: string;
  reason: string | null;
  rejectedProductId: string | null;
  lines: Array<{ productId: string; quantity: number; unitPrice: number; name: string }>;
}

async function newProduct(stock: number, price = 1000): Promise<string> {
  const { data, errors } = await stack.graphql<{ createProduct: { id: string } }>(
    'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    { url: stockUrl, token: stack.staffToken, variables: { input: { sku: `T-${randomUUID().slice(0, 8).toUpperCase()}`, name: 'Test loaf', price, initialStock: stock } } },
  );
  assert.equal(errors, undefined);
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
    assert.equal(statuses.filter((status) => status === 'HELD').length, 50);
    assert.equal(statuses.filter((status) => status === 'REJECTED').length, 150);
    assert.deepEqual(await stockOf(productId), { available: 0, soldOut: true });
  });

  test('all lines or none: one short line holds nothing', async () => {
    const plenty = await newProduct(10);
    const scarce = await newProduct(1);
    const { data } = await reserve(randomUUID(), [{ productId: plenty, quantity: 3 }, { productId: scarce, quantity: 2 }]);
    assert.equal(data?.reserveStock.status, 'REJECTED');
    assert.equal(data?.reserveStock.reason, 'OUT_OF_STOCK');
    assert.equal(data?.reserveStock.rejectedProductId, scarce);
    assert.equal((await stockOf(plenty)).available, 10);
    assert.equal((await stockOf(scarce)).available, 1);
  });

  test('an archived or unknown product is unavailable', async () => {
    const archived = await newProduct(5);
    await stack.graphql('mutation($id: ID!) { archiveProduct(id: $id) { id } }', { url: stockUrl, token: stack.staffToken, variables: { id: archived } });
    const { data } = await reserve(randomUUID(), [{ productId: archived, quantity: 1 }]);
    assert.equal(data?.reserveStock.reason, 'PRODUCT_UNAVAILABLE');
    const unknown = await reserve(randomUUID(), [{ productId: '0123456789abcdef01234567', quantity: 1 }]);
    assert.equal(unknown.data?.reserveStock.reason, 'PRODUCT_UNAVAILABLE');
  });

  test('repeating a reserve, even ten at once, holds once and answers the same', async () => {
    const productId = await newProduct(20, 2500);
    const orderId = randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => reserve(orderId, [{ productId, quantity: 4 }])));
    for (const result of results) {
      assert.equal(result.data?.reserveStock.status, 'HELD');
      assert.deepEqual(result.data?.reserveStock.lines, [{ productId, quantity: 4, unitPrice: 2500, name: 'Test loaf' }]);
    }
    assert.equal((await stockOf(productId)).available, 16);
  });

  test('release gives the stock back once, however often it is called', async () => {
    const productId = await newProduct(5);
    const orderId = randomUUID();
    await reserve(orderId, [{ productId, quantity: 2 }]);
    const releases = await Promise.all(Array.from({ length: 5 }, () => call('releaseStock', orderId)));
    for (const release of releases) assert.equal(release.data?.releaseStock?.status, 'RELEASED');
    assert.equal((await stockOf(productId)).available, 5);
    const again = await reserve(orderId, [{ productId, quantity: 2 }]);
    assert.equal(again.data?.reserveStock.status, 'RELEASED', 'a released order holds nothing again');
    assert.equal((await stockOf(productId)).available, 5);
  });

  test('a release that overtakes its reserve leaves nothing held', async () => {
    const productId = await newProduct(5);
    const orderId = randomUUID();
    assert.equal((await call('releaseStock', orderId)).data?.releaseStock?.status, 'RELEASED');
    assert.equal((await reserve(orderId, [{ productId, quantity: 1 }])).data?.reserveStock.status, 'RELEASED');
    assert.equal((await stockOf(productId)).available, 5);
  });

  test('commit sells held stock once; commit without a hold is refused', async () => {
    const productId = await newProduct(5);
    const orderId = randomUUID();
    await reserve(orderId, [{ productId, quantity: 2 }]);
    for (let i = 0; i < 3; i++) assert.equal((await call('commitStock', orderId)).data?.commitStock?.status, 'COMMITTED');
    assert.equal((await call('releaseStock', orderId)).data?.releaseStock?.status, 'COMMITTED', 'sold stock is not released');
    assert.equal((await stockOf(productId)).available, 3);
    const refused = await call('commitStock', randomUUID());
    assert.equal(refused.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });

  test('only a service token may call them', async () => {
    const productId = await newProduct(5);
    for (const token of [stack.staffToken, await stack.customerToken('alice')]) {
      const response = await reserve(randomUUID(), [{ productId, quantity: 1 }], token);
      assert.equal(response.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    }
    assert.equal((await stockOf(productId)).available, 5);
  });

  test('bad lines are refused naming the field', async () => {
    const response = await reserve(randomUUID(), [{ productId: 'nope', quantity: 1 }]);
    assert.deepEqual(response.errors?.[0]?.extensions, { code: 'BAD_USER_INPUT', field: 'lines[0].productId' });
  });
});
