/**
 * The catalogue through the gateway: the seeded demo data, staff managing products, customers and
 * strangers refused, and bad input answered with a code and the field, changing nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

const PRODUCT_FIELDS = 'id sku name description price limitedEdition available soldOut active';

let stack: Stack;
let customer: string;

before(async () => {
  stack = await startStack();
  customer = await stack.customerToken('alice');
});
after(() => stack?.stop());

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
  assert.equal(JSON.stringify(error).includes('stacktrace'), false, 'errors carry no stack trace');
  return error?.extensions ?? {};
}

describe('the seeded catalogue', () => {
  test('answers the products query through the gateway without a token', async () => {
    const { data, errors } = await stack.graphql<{ products: { nodes: Array<Record<string, unknown>> } }>(
      '{ products { nodes { sku name price available soldOut limitedEdition } } }',
    );
    assert.equal(errors, undefined);
    const nodes = data?.products.nodes ?? [];
    assert.ok(nodes.length >= 6, 'at least six products');
    assert.ok(nodes.some((product) => product.limitedEdition === true), 'some limited editions');
    const soldOut = nodes.filter((product) => product.soldOut === true);
    assert.ok(soldOut.length >= 1, 'one sold out');
    for (const product of soldOut) assert.equal(product.available, 0);
    assert.ok(nodes.some((product) => product.sku === 'SALT-BREAD'));
  });

  test('availableOnly leaves out what is sold out', async () => {
    const { data } = await stack.graphql<{ products: { nodes: Array<{ soldOut: boolean }> } }>('{ products(availableOnly: true) { nodes { soldOut } } }');
    assert.ok((data?.products.nodes.length ?? 0) > 0);
    assert.ok(data?.products.nodes.every((product) => !product.soldOut));
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
    assert.deepEqual(seen, all.map((product) => product.id));
  });

  test('a bad cursor or page size names the argument', async () => {
    assert.equal(errorOf(await stack.graphql('{ products(after: "garbage") { nodes { id } } }')).field, 'after');
    assert.equal(errorOf(await stack.graphql('{ products(first: 0) { nodes { id } } }')).field, 'first');
  });
});

describe('staff manage products', () => {
  test('create, change, restock and archive', async () => {
    const created = await createProduct({ sku: 'MATCHA-ROLL', name: 'Matcha roll', price: 5200, limitedEdition: true, initialStock: 3 });
    assert.equal(created.errors, undefined);
    const product = created.data?.createProduct;
    assert.deepEqual({ ...product, id: undefined }, {
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
    assert.deepEqual(updated.data?.updateProduct, { price: 5500, name: 'Uji matcha roll' });

    const restocked = await stack.graphql<{ restockProduct: { available: number } }>(
      'mutation($id: ID!) { restockProduct(id: $id, quantity: 7) { available } }',
      { variables: { id }, token: stack.staffToken },
    );
    assert.equal(restocked.data?.restockProduct.available, 10);

    const archived = await stack.graphql<{ archiveProduct: { active: boolean } }>(
      'mutation($id: ID!) { archiveProduct(id: $id) { active } }',
      { variables: { id }, token: stack.staffToken },
    );
    assert.equal(archived.data?.archiveProduct.active, false);
    assert.equal((await catalogue()).some((p) => p.id === id), false, 'archived products leave the public catalogue');

    const restockArchived = await stack.graphql('mutation($id: ID!) { restockProduct(id: $id, quantity: 1) { available } }', {
      variables: { id },
      token: stack.staffToken,
    });
    assert.deepEqual(errorOf(restockArchived), { code: 'BAD_USER_INPUT', field: 'id' });
    const { data } = await stack.graphql<{ product: { available: number } }>('query($id: ID!) { product(id: $id) { available } }', { variables: { id } });
    assert.equal(data?.product.available, 10, 'the refused restock changed nothing');
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
    for (const attempt of attempts) assert.equal(errorOf(attempt).code, 'FORBIDDEN');
    assert.deepEqual(await catalogue(stack.staffToken), before);
  });

  test('without a token a staff mutation is UNAUTHENTICATED', async () => {
    const response = await createProduct({ sku: 'ANON', name: 'Anon', price: 100 }, '');
    assert.equal(errorOf(response).code, 'UNAUTHENTICATED');
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
      assert.deepEqual(errorOf(await createProduct(input)), { code: 'BAD_USER_INPUT', field }, JSON.stringify(input));
    }
    const target = before.find((product) => product.sku === 'SOURDOUGH');
    assert.ok(target);
    const restock = (quantity: number) =>
      stack.graphql('mutation($id: ID!, $q: Int!) { restockProduct(id: $id, quantity: $q) { id } }', { variables: { id: target.id, q: quantity }, token: stack.staffToken });
    assert.deepEqual(errorOf(await restock(-5)), { code: 'BAD_USER_INPUT', field: 'quantity' });
    assert.deepEqual(errorOf(await restock(10_000_000)), { code: 'BAD_USER_INPUT', field: 'quantity' });
    assert.deepEqual(await catalogue(stack.staffToken), before);
  });

  test('malformed and unknown ids', async () => {
    const malformed = await stack.graphql('{ product(id: "not-an-id") { id } }');
    assert.deepEqual(errorOf(malformed), { code: 'BAD_USER_INPUT', field: 'id' });
    const unknown = await stack.graphql<{ product: null }>('{ product(id: "0123456789abcdef01234567") { id } }');
    assert.deepEqual(unknown, { data: { product: null } });
    const update = await stack.graphql('mutation { updateProduct(id: "0123456789abcdef01234567", input: { price: 100 }) { id } }', {
      token: stack.staffToken,
    });
    assert.equal(errorOf(update).code, 'NOT_FOUND');
  });
});

describe('identity', () => {
  test('viewer answers who you are', async () => {
    const { data } = await stack.graphql('{ viewer { id roles } }', { token: customer });
    assert.deepEqual(data, { viewer: { id: 'alice', roles: ['CUSTOMER'] } });
    assert.deepEqual((await stack.graphql('{ viewer { id } }')).data, { viewer: null });
  });

  test('a forged token is refused before anything runs', async () => {
    const forged = customer.slice(0, -4) + (customer.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${forged}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    assert.equal(response.status, 401);
    const body = (await response.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    assert.equal(body.errors[0]?.extensions.code, 'UNAUTHENTICATED');
  });
});

describe('the public API', () => {
  test('hides the internal stock operations', async () => {
    const response = await stack.graphql('mutation { releaseStock(orderId: "x") { status } }', { token: stack.staffToken });
    assert.equal(errorOf(response).code, 'GRAPHQL_VALIDATION_FAILED');
    const { data } = await stack.graphql<{ __schema: { mutationType: { fields: Array<{ name: string }> } } }>(
      '{ __schema { mutationType { fields { name } } } }',
    );
    const names = data?.__schema.mutationType.fields.map((field) => field.name) ?? [];
    assert.ok(names.includes('createProduct'));
    for (const internal of ['reserveStock', 'releaseStock', 'commitStock']) assert.equal(names.includes(internal), false);
  });

  test('refuses an operation with more aliases than the limit', async () => {
    const aliased = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: products { nodes { id } }`).join(' ')} }`;
    assert.equal((await stack.graphql(aliased(30))).errors, undefined);
    const response = await stack.graphql(aliased(31));
    assert.equal(errorOf(response).code, 'GRAPHQL_VALIDATION_FAILED');
    assert.equal(response.data, undefined, 'nothing ran');
  });

  test('the request id travels from the gateway to the subgraphs and their logs', async () => {
    const requestId = `trace-${Date.now()}`;
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ query: '{ products(first: 1) { nodes { sku } } }' }),
    });
    assert.equal(response.headers.get('x-request-id'), requestId);
    const logged = (name: string) =>
      readFileSync(`${stack.logDir}/${name}.log`, 'utf8')
        .split('\n')
        .filter((line) => line.includes(`"requestId":"${requestId}"`));
    await eventually(async () => logged('stock').length > 0 && logged('gateway').length > 0, { what: 'both logs to name the request' });
    assert.match(logged('stock')[0] ?? '', /"msg":"graphql request"/);
  });

  test('every process answers its health checks', async () => {
    for (const name of ['gateway', 'stock', 'order', 'payment', 'delivery', 'workers'] as const) {
      const live = await fetch(stack.services.url(name, '/health/live'));
      assert.equal(live.status, 200, `${name} live`);
      const ready = await fetch(stack.services.url(name, '/health/ready'));
      assert.equal(ready.status, 200, `${name} ready`);
    }
  });

  test('staff see the seeded bakers', async () => {
    const { data } = await stack.graphql<{ bakers: Array<{ name: string; active: boolean; openOrders: number }> }>(
      '{ bakers { name active openOrders } }',
      { token: stack.staffToken },
    );
    assert.ok((data?.bakers.length ?? 0) >= 3);
    assert.equal(errorOf(await stack.graphql('{ bakers { name } }', { token: customer })).code, 'FORBIDDEN');
  });
});
