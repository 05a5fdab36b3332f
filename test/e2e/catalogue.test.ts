/**
 * The catalogue through the gateway: the seeded demo data, staff managing products, customers and
 * strangers refused, and bad input answered with a code and the field, changing nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

const PRODUCT_FIELDS = 'id sku name description price limitedEdition available soldOut active';

let stack: Stack;
let customer: string;

beforeAll(async () => {
  stack = await startStack();
  customer = await stack.customerToken('alice');
});
afterAll(() => stack?.stop());

async function catalogue(token?: string) {
  const { data } = await stack.graphql<{ products: { nodes: Array<Record<string, unknown>> } }>(
    `{ products(first: 100, includeArchived: ${token === stack.staffToken}) { nodes { ${PRODUCT_FIELDS} } } }`,
    token ? { token } : {},
  );
  return data?.products.nodes ?? [];
}

async function createProduct(input: Record<string, unknown>, token = stack.staffToken) {
  return stack.graphql<{ createProduct: Record<string, unknown> }>(
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { ${PRODUCT_FIELDS} } }`,
    { variables: { input }, token },
  );
}

function errorOf(response: { errors?: Array<{ extensions?: Record<string, unknown> }> }) {
  assert.ok(response.errors?.length, `expected an error, got ${JSON.stringify(response)}`);
  const [error] = response.errors;
  expect(JSON.stringify(error).includes('stacktrace')).toBe(false); // errors carry no stack trace
  return error?.extensions ?? {};
}

describe('the seeded catalogue', () => {
  test('answers the products query through the gateway without a token', async () => {
    const { data, errors } = await stack.graphql<{ products: { nodes: Array<Record<string, unknown>> } }>(
      '{ products { nodes { sku name price available soldOut limitedEdition } } }',
    );
    expect(errors).toBeUndefined();
    const nodes = data?.products.nodes ?? [];
    expect(nodes.length).toBeGreaterThanOrEqual(6); // at least six products
    expect(nodes.some((product) => product.limitedEdition === true)).toBeTruthy(); // some limited editions
    const soldOut = nodes.filter((product) => product.soldOut === true);
    expect(soldOut.length).toBeGreaterThanOrEqual(1); // one sold out
    for (const product of soldOut) expect(product.available).toBe(0);
    expect(nodes.map((product) => product.sku)).toContain('SALT-BREAD');
  });

  test('availableOnly leaves out what is sold out', async () => {
    const { data } = await stack.graphql<{ products: { nodes: Array<{ soldOut: boolean }> } }>('{ products(availableOnly: true) { nodes { soldOut } } }');
    expect(data?.products.nodes.length ?? 0).toBeGreaterThan(0);
    expect(data?.products.nodes.every((product) => !product.soldOut)).toBeTruthy();
  });

  test('pages follow one another without gaps or repeats', async () => {
    const all = await catalogue();
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const response: { data?: { products: { nodes: Array<{ id: string }>; pageInfo: { endCursor: string | null; hasNextPage: boolean } } } | null } =
        await stack.graphql('query($after: String) { products(first: 2, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } }', {
          variables: { after },
        });
      const page = response.data?.products;
      assert.ok(page);
      seen.push(...page.nodes.map((node) => node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toStrictEqual(all.map((product) => product.id));
  });

  test('a bad cursor or page size names the argument', async () => {
    expect(errorOf(await stack.graphql('{ products(after: "garbage") { nodes { id } } }')).field).toBe('after');
    expect(errorOf(await stack.graphql('{ products(first: 0) { nodes { id } } }')).field).toBe('first');
  });
});

describe('staff manage products', () => {
  test('create, change, restock and archive', async () => {
    const created = await createProduct({ sku: 'MATCHA-ROLL', name: 'Matcha roll', price: 5200, limitedEdition: true, initialStock: 3 });
    expect(created.errors).toBeUndefined();
    const product = created.data?.createProduct;
    expect({ ...product, id: undefined }).toStrictEqual({
      id: undefined,
      sku: 'MATCHA-ROLL',
      name: 'Matcha roll',
      description: null,
      price: 5200,
      limitedEdition: true,
      available: 3,
      soldOut: false,
      active: true,
    });
    const id = product?.id;

    const updated = await stack.graphql<{ updateProduct: { price: number; name: string } }>(
      'mutation($id: ID!) { updateProduct(id: $id, input: { price: 5500, name: "Uji matcha roll" }) { price name } }',
      { variables: { id }, token: stack.staffToken },
    );
    expect(updated.data?.updateProduct).toStrictEqual({ price: 5500, name: 'Uji matcha roll' });

    const restocked = await stack.graphql<{ restockProduct: { available: number } }>(
      'mutation($id: ID!) { restockProduct(id: $id, quantity: 7) { available } }',
      { variables: { id }, token: stack.staffToken },
    );
    expect(restocked.data?.restockProduct.available).toBe(10);

    const archived = await stack.graphql<{ archiveProduct: { active: boolean } }>('mutation($id: ID!) { archiveProduct(id: $id) { active } }', {
      variables: { id },
      token: stack.staffToken,
    });
    expect(archived.data?.archiveProduct.active).toBe(false);
    expect((await catalogue()).some((p) => p.id === id)).toBe(false); // archived products leave the public catalogue

    const restockArchived = await stack.graphql('mutation($id: ID!) { restockProduct(id: $id, quantity: 1) { available } }', {
      variables: { id },
      token: stack.staffToken,
    });
    expect(errorOf(restockArchived)).toStrictEqual({ code: 'BAD_USER_INPUT', field: 'id' });
    const { data } = await stack.graphql<{ product: { available: number } }>('query($id: ID!) { product(id: $id) { available } }', {
      variables: { id },
      token: stack.staffToken,
    });
    expect(data?.product.available).toBe(10); // the refused restock changed nothing
    const anonymous = await stack.graphql('query($id: ID!) { product(id: $id) { available } }', { variables: { id } });
    expect(anonymous.data).toStrictEqual({ product: null }); // only staff see an archived product
  });

  test('a customer gets FORBIDDEN and nothing changes', async () => {
    const before = await catalogue(stack.staffToken);
    const target = before.find((product) => product.sku === 'CROISSANT');
    assert.ok(target);
    const attempts = [
      await createProduct({ sku: 'SNEAKY', name: 'Sneaky', price: 100 }, customer),
      await stack.graphql('mutation($id: ID!) { updateProduct(id: $id, input: { price: 1 }) { id } }', { variables: { id: target.id }, token: customer }),
      await stack.graphql('mutation($id: ID!) { restockProduct(id: $id, quantity: 5) { id } }', { variables: { id: target.id }, token: customer }),
      await stack.graphql('mutation($id: ID!) { archiveProduct(id: $id) { id } }', { variables: { id: target.id }, token: customer }),
    ];
    for (const attempt of attempts) expect(errorOf(attempt).code).toBe('FORBIDDEN');
    expect(await catalogue(stack.staffToken)).toStrictEqual(before);
  });

  test('without a token a staff mutation is UNAUTHENTICATED', async () => {
    const response = await createProduct({ sku: 'ANON', name: 'Anon', price: 100 }, '');
    expect(errorOf(response).code).toBe('UNAUTHENTICATED');
  });

  test('bad input names the field and writes nothing', async () => {
    const before = await catalogue(stack.staffToken);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ sku: 'NEG-PRICE', name: 'Negative', price: -100 }, 'input.price'],
      [{ sku: 'HUGE-PRICE', name: 'Huge', price: 999_999_999 }, 'input.price'],
      [{ sku: 'NO-NAME', name: '   ', price: 100 }, 'input.name'],
      [{ sku: 'bad sku!', name: 'Bad sku', price: 100 }, 'input.sku'],
      [{ sku: 'NEG-STOCK', name: 'Negative stock', price: 100, initialStock: -1 }, 'input.initialStock'],
      [{ sku: 'SALT-BREAD', name: 'Duplicate', price: 100 }, 'input.sku'],
    ];
    for (const [input, field] of cases) {
      expect({ input, error: errorOf(await createProduct(input)) }).toStrictEqual({ input, error: { code: 'BAD_USER_INPUT', field } });
    }
    const target = before.find((product) => product.sku === 'SOURDOUGH');
    assert.ok(target);
    const restock = (quantity: number) =>
      stack.graphql('mutation($id: ID!, $q: Int!) { restockProduct(id: $id, quantity: $q) { id } }', {
        variables: { id: target.id, q: quantity },
        token: stack.staffToken,
      });
    expect(errorOf(await restock(-5))).toStrictEqual({ code: 'BAD_USER_INPUT', field: 'quantity' });
    expect(errorOf(await restock(10_000_000))).toStrictEqual({ code: 'BAD_USER_INPUT', field: 'quantity' });
    expect(await catalogue(stack.staffToken)).toStrictEqual(before);
  });

  test('malformed and unknown ids', async () => {
    const malformed = await stack.graphql('{ product(id: "not-an-id") { id } }');
    expect(errorOf(malformed)).toStrictEqual({ code: 'BAD_USER_INPUT', field: 'id' });
    const unknown = await stack.graphql<{ product: null }>('{ product(id: "0123456789abcdef01234567") { id } }');
    expect(unknown).toStrictEqual({ data: { product: null } });
    const update = await stack.graphql('mutation { updateProduct(id: "0123456789abcdef01234567", input: { price: 100 }) { id } }', {
      token: stack.staffToken,
    });
    expect(errorOf(update).code).toBe('NOT_FOUND');
  });
});

describe('identity', () => {
  test('viewer answers who you are', async () => {
    const { data } = await stack.graphql('{ viewer { id roles } }', { token: customer });
    expect(data).toStrictEqual({ viewer: { id: 'alice', roles: ['CUSTOMER'] } });
    expect((await stack.graphql('{ viewer { id } }')).data).toStrictEqual({ viewer: null });
  });

  test('a forged token is refused before anything runs', async () => {
    const forged = customer.slice(0, -4) + (customer.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${forged}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('the public API', () => {
  test('hides the internal stock operations', async () => {
    const response = await stack.graphql('mutation { releaseStock(orderId: "x") { status } }', { token: stack.staffToken });
    expect(errorOf(response).code).toBe('GRAPHQL_VALIDATION_FAILED');
    const { data } = await stack.graphql<{ __schema: { mutationType: { fields: Array<{ name: string }> } } }>(
      '{ __schema { mutationType { fields { name } } } }',
    );
    const names = data?.__schema.mutationType.fields.map((field) => field.name) ?? [];
    expect(names).toContain('createProduct');
    for (const internal of ['reserveStock', 'releaseStock', 'commitStock']) expect(names.includes(internal)).toBe(false);
  });

  test('refuses an operation with more aliases than the limit', async () => {
    const aliased = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: products { nodes { id } }`).join(' ')} }`;
    expect((await stack.graphql(aliased(30))).errors).toBeUndefined();
    const response = await stack.graphql(aliased(31));
    expect(errorOf(response).code).toBe('QUERY_TOO_COMPLEX');
    expect(response.data).toBeUndefined(); // nothing ran
  });

  test('the request id travels from the gateway to the subgraphs and their logs', async () => {
    const requestId = `trace-${Date.now()}`;
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ query: '{ products(first: 1) { nodes { sku } } }' }),
    });
    expect(response.headers.get('x-request-id')).toBe(requestId);
    const logged = (name: string) =>
      readFileSync(`${stack.logDir}/${name}.log`, 'utf8')
        .split('\n')
        .filter((line) => line.includes(`"requestId":"${requestId}"`));
    await eventually(async () => logged('stock').length > 0 && logged('gateway').length > 0, { what: 'both logs to name the request' });
    expect(logged('stock')[0] ?? '').toMatch(/"msg":"graphql request"/);
  });

  test('every process answers its health checks', async () => {
    for (const name of ['gateway', 'stock', 'order', 'payment', 'delivery', 'workers'] as const) {
      const live = await fetch(stack.services.url(name, '/health/live'));
      expect({ name, live: live.status }).toStrictEqual({ name, live: 200 });
      const ready = await fetch(stack.services.url(name, '/health/ready'));
      expect({ name, ready: ready.status }).toStrictEqual({ name, ready: 200 });
    }
  });

  test('staff see the seeded bakers', async () => {
    const { data } = await stack.graphql<{ bakers: Array<{ name: string; active: boolean; openOrders: number }> }>('{ bakers { name active openOrders } }', {
      token: stack.staffToken,
    });
    expect(data?.bakers.length ?? 0).toBeGreaterThanOrEqual(3);
    expect(errorOf(await stack.graphql('{ bakers { name } }', { token: customer })).code).toBe('FORBIDDEN');
  });
});
