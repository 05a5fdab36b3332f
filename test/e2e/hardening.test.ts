/**
 * The holes a hostile client found (issue 8), each tried again as it was found and shown closed:
 * subgraphs reachable without the gateway, tokens the edge should not take, malformed requests,
 * numbers that wrapped, queries that stalled everyone.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import { SignJWT } from 'jose';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import type { Viewer } from '../../lib/auth.js';
import { EnvReader, readCommonConfig } from '../../lib/config.js';
import { OrderDriver } from '../support/orders.js';
import { startStack, type GraphQLResponse, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

const SUBGRAPHS = ['stock', 'order', 'payment', 'delivery'] as const;
/** This stack's rate limit per client, per ten minutes: more than any other test here sends as one client. */
const RATE_LIMIT = 600;

let stack: Stack;
let orders: OrderDriver;

beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_POINTS: String(RATE_LIMIT), RATE_LIMIT_WINDOW_SECONDS: '600', CORS_ORIGINS: 'https://kiosk.example' } });
  orders = new OrderDriver(stack);
});
afterAll(() => stack?.stop());

/**
 * Deep equality of plain data, whatever realm built it: fetch's JSON is made outside the realm
 * Jest runs the test in, so strict deepEqual would see two Object prototypes.
 */
const sameData = (actual: unknown, expected: unknown, message?: string) => assert.deepEqual(JSON.parse(JSON.stringify(actual ?? null)), expected, message);
const code = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;
const customer = (id: string): Viewer => ({ id, roles: ['CUSTOMER'] });

/** Order.payment and Order.delivery as the query planner asks for them. */
function orderEntities(subgraph: 'payment' | 'delivery', orderIds: string[], token?: string) {
  const field = subgraph === 'payment' ? 'payment { id amount method status }' : 'delivery { id status baker { name } }';
  return stack.graphql<{ _entities: Array<Record<string, unknown> | null> }>(
    `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { ${field} } } }`,
    { url: stack.services.url(subgraph), variables: { representations: orderIds.map((id) => ({ __typename: 'Order', id })) }, ...(token ? { token } : {}) },
  );
}

describe('hole 1: subgraphs answer only the gateway and other services', () => {
  test('without a credential, _entities and _service answer UNAUTHENTICATED and no data, on every subgraph', async () => {
    const productId = await orders.product(5);
    const order = await orders.placed(await stack.customerToken('victim'), { lines: [{ productId, quantity: 1 }] });
    for (const subgraph of ['payment', 'delivery'] as const) {
      const response = await orderEntities(subgraph, [order.id]);
      assert.equal(code(response), 'UNAUTHENTICATED', subgraph);
      assert.equal(response.data ?? null, null, `${subgraph} answers no data`);
    }
    for (const subgraph of SUBGRAPHS) {
      const response = await stack.graphql('{ _service { sdl } }', { url: stack.services.url(subgraph) });
      assert.equal(code(response), 'UNAUTHENTICATED', subgraph);
      assert.equal(response.data ?? null, null, `${subgraph} answers no schema`);
    }
  });

  test("a user's own token, even staff's, is not let in at a subgraph", async () => {
    for (const subgraph of SUBGRAPHS) {
      const response = await stack.graphql('{ _service { sdl } }', { url: stack.services.url(subgraph), token: stack.staffToken });
      assert.equal(code(response), 'UNAUTHENTICATED', subgraph);
    }
  });

  test("through the gateway's credential, someone else's payment and delivery resolve to null", async () => {
    const productId = await orders.product(5);
    const victim = await stack.customerToken('victim');
    const order = await orders.placed(victim, { lines: [{ productId, quantity: 1 }] });
    await orders.untilStatus(victim, order.id, 'ASSIGNED');
    for (const subgraph of ['payment', 'delivery'] as const) {
      const stranger = await orderEntities(subgraph, [order.id], await stack.callerToken(customer('mallory')));
      assert.equal(stranger.errors, undefined);
      sameData(stranger.data?._entities, [{ [subgraph]: null }], `${subgraph} for a stranger`);
      const anonymous = await orderEntities(subgraph, [order.id], await stack.callerToken(null));
      sameData(anonymous.data?._entities, [{ [subgraph]: null }], `${subgraph} for an anonymous caller`);
      const owner = await orderEntities(subgraph, [order.id], await stack.callerToken(customer('victim')));
      assert.ok(owner.data?._entities[0]?.[subgraph], `${subgraph} for its owner`);
    }
    // Through the gateway the owner still sees both.
    const mine = await orders.order(victim, order.id, 'id payment { status } delivery { status }');
    assert.equal(mine?.payment?.status, 'AUTHORIZED');
    assert.equal(mine?.delivery?.status, 'ASSIGNED');
  });

  test('one request may carry at most 500 representations', async () => {
    const ids = Array.from({ length: 501 }, (_, i) => i.toString(16).padStart(24, '0'));
    for (const subgraph of ['payment', 'delivery'] as const) {
      const response = await orderEntities(subgraph, ids, await stack.serviceToken());
      sameData(response.errors?.[0]?.extensions, { code: 'BAD_USER_INPUT', field: 'representations' }, subgraph);
      assert.equal(response.data ?? null, null);
      assert.equal((await orderEntities(subgraph, ids.slice(0, 500), await stack.serviceToken())).errors, undefined, `${subgraph}: 500 are fine`);
    }
  });
});

describe('hole 5: the gateway takes only user tokens, with exp and a bounded lifetime', () => {
  const viewerQuery = '{ viewer { id roles } }';
  const auth = () => {
    const reader = new EnvReader({ NODE_ENV: 'test' });
    const config = readCommonConfig(reader).auth;
    reader.done();
    return config;
  };
  const userToken = (claims: { exp?: number }) => {
    const config = auth();
    let jwt = new SignJWT({ roles: ['STAFF'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setIssuedAt();
    if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
    return jwt.sign(new TextEncoder().encode(config.jwtSecret));
  };

  test('a service token is refused at the edge, and reads nothing', async () => {
    const response = await stack.graphql(viewerQuery, { token: await stack.serviceToken() });
    assert.equal(code(response), 'UNAUTHENTICATED');
    assert.equal(response.data ?? null, null);
    const gatewayCredential = await stack.graphql(viewerQuery, { token: await stack.callerToken({ id: 'staff-1', roles: ['STAFF'] }) });
    assert.equal(code(gatewayCredential), 'UNAUTHENTICATED');
  });

  test('a token without exp, or living longer than a day, is refused', async () => {
    assert.equal(code(await stack.graphql(viewerQuery, { token: await userToken({}) })), 'UNAUTHENTICATED');
    const now = Math.floor(Date.now() / 1000);
    assert.equal(code(await stack.graphql(viewerQuery, { token: await userToken({ exp: now + 2 * 86_400 }) })), 'UNAUTHENTICATED');
    const fine = await stack.graphql<{ viewer: Viewer }>(viewerQuery, { token: await userToken({ exp: now + 3_600 }) });
    sameData(fine.data?.viewer, { id: 'mallory', roles: ['STAFF'] });
  });
});

describe('hole 2: balances and stock never wrap', () => {
  const deposit = (token: string, amount: number) =>
    stack.graphql<{ depositToWallet: { balance: number } }>('mutation($amount: Int!) { depositToWallet(amount: $amount) { balance } }', {
      token,
      variables: { amount },
    });
  const balance = async (token: string) =>
    (await stack.graphql<{ myWallet: { balance: number } }>('{ myWallet { balance } }', { token })).data?.myWallet.balance;

  test('concurrent deposits past the 100,000,000 limit: the ones that fit are taken, the rest refused, the balance is their exact sum', async () => {
    const token = await stack.customerToken(`saver-${Date.now()}`);
    const answers = await Promise.all(Array.from({ length: 110 }, () => deposit(token, 1_000_000)));
    const accepted = answers.filter((answer) => answer.data?.depositToWallet);
    const refused = answers.filter((answer) => answer.errors);
    assert.equal(accepted.length, 100);
    assert.equal(refused.length, 10);
    for (const answer of refused) sameData(answer.errors?.[0]?.extensions, { code: 'BAD_USER_INPUT', field: 'amount' });
    assert.equal(await balance(token), 100_000_000);
    assert.equal(Math.max(...accepted.map((answer) => answer.data?.depositToWallet.balance ?? 0)), 100_000_000);
  });

  test('restocks past the 100,000 limit are refused naming the field, concurrent ones included', async () => {
    const productId = await orders.product(99_990);
    const restock = (quantity: number) =>
      stack.graphql('mutation($id: ID!, $quantity: Int!) { restockProduct(id: $id, quantity: $quantity) { available } }', {
        token: stack.staffToken,
        variables: { id: productId, quantity },
      });
    const answers = await Promise.all(Array.from({ length: 20 }, () => restock(1)));
    assert.equal(answers.filter((answer) => !answer.errors).length, 10);
    for (const answer of answers.filter((a) => a.errors)) sameData(answer.errors?.[0]?.extensions, { code: 'BAD_USER_INPUT', field: 'quantity' });
    assert.equal(await orders.available(productId), 100_000);
    sameData((await restock(100_000)).errors?.[0]?.extensions, { code: 'BAD_USER_INPUT', field: 'quantity' });
    assert.equal(await orders.available(productId), 100_000);
  });
});

describe('hole 4: malformed requests get a JSON GraphQL error with a stable code, on every service', () => {
  const SERVICES = ['gateway', ...SUBGRAPHS] as const;
  const MALFORMED: Array<{ what: string; init: RequestInit; code: string; status?: number }> = [
    { what: 'a body of "{"', init: { headers: { 'content-type': 'application/json' }, body: '{' }, code: 'BAD_REQUEST', status: 400 },
    {
      what: 'a 2 MB body',
      init: { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(2_000_000) } }) },
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
    },
    { what: 'a body of "123"', init: { headers: { 'content-type': 'application/json' }, body: '123' }, code: 'BAD_REQUEST', status: 400 },
    {
      what: 'a charset other than UTF-8',
      init: { headers: { 'content-type': 'application/json; charset=latin1' }, body: '{"query":"{ __typename }"}' },
      code: 'BAD_REQUEST',
      status: 415,
    },
    {
      what: 'a gzip body that is not gzip',
      init: { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip at all' },
      code: 'BAD_REQUEST',
    },
    {
      what: 'an unknown content encoding',
      init: { headers: { 'content-type': 'application/json', 'content-encoding': 'br2' }, body: '{}' },
      code: 'BAD_REQUEST',
      status: 415,
    },
    { what: 'a batch', init: { headers: { 'content-type': 'application/json' }, body: '[{"query":"{ __typename }"}]' }, code: 'BAD_REQUEST', status: 400 },
    { what: 'text/plain', init: { headers: { 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' }, code: 'BAD_REQUEST', status: 400 },
    {
      what: 'a query that is not a string',
      init: { headers: { 'content-type': 'application/json' }, body: '{"query":123}' },
      code: 'BAD_REQUEST',
      status: 400,
    },
    { what: 'no body', init: { headers: { 'content-type': 'application/json' } }, code: 'BAD_REQUEST', status: 400 },
  ];

  for (const service of SERVICES) {
    test(`${service}: each malformed request is answered in JSON with its code, and no internals`, async () => {
      // Subgraphs let in only services: present one, so the request itself is what is judged.
      const credential: Record<string, string> = service === 'gateway' ? {} : { authorization: `Bearer ${await stack.serviceToken()}` };
      for (const { what, init, code: expected, status } of MALFORMED) {
        const headers = { ...(init.headers as Record<string, string>), ...credential };
        const response = await fetch(stack.services.url(service), { method: 'POST', ...init, headers });
        const text = await response.text();
        assert.match(response.headers.get('content-type') ?? '', /json/, `${what}: ${text.slice(0, 200)}`);
        const body = JSON.parse(text) as GraphQLResponse;
        assert.equal(body.errors?.[0]?.extensions?.code, expected, `${what}: ${text.slice(0, 200)}`);
        if (status) assert.equal(response.status, status, what);
        assert.ok(response.status < 500, what);
        assert.doesNotMatch(text, /node_modules|stacktrace|\bat \w+ \(|<html|\/work\//i, what);
      }
      const unknownPath = await fetch(new URL('/nothing-here', stack.services.url(service)));
      assert.equal(unknownPath.status, 404);
      assert.equal(((await unknownPath.json()) as GraphQLResponse).errors?.[0]?.extensions?.code, 'NOT_FOUND');
    });
  }

  test('subgraphs keep a sane x-request-id and replace an over-long one', async () => {
    const token = await stack.serviceToken();
    const send = (requestId: string) =>
      fetch(stack.services.url('stock'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': requestId },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    const long = `long-${'a'.repeat(10_000)}`;
    const sane = `sane-${randomUUID()}`;
    assert.equal((await send(long)).status, 200);
    assert.equal((await send(sane)).status, 200);
    // The log is written in order: once the later request is in it, the earlier one is too.
    const log = await eventually(
      async () => {
        const text = await readFile(`${stack.logDir}/stock.log`, 'utf8');
        return text.includes(sane) && text;
      },
      { what: 'the stock subgraph to log the sane request id' },
    );
    assert.equal(log.includes('a'.repeat(200)), false, 'the over-long id is not logged');
  });
});

describe('hole 3: no query can stall the bakery', () => {
  const STALLING = `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: orders(first: 100) { nodes { lines { product { name price available } } payment { status amount } delivery { baker { openOrders } } } }`).join(' ')} }`;

  test('the staff query of ten aliased 100-order pages is refused before it runs, as QUERY_TOO_COMPLEX', async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.staffToken}` },
      body: JSON.stringify({ query: STALLING }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as GraphQLResponse;
    assert.equal(code(body), 'QUERY_TOO_COMPLEX');
    assert.match(body.errors?.[0]?.message ?? '', /would cost \d+; at most 10000/);
    assert.equal(body.data, undefined, 'nothing ran');
  });

  test('thirty aliases that fragments multiply into 100,000 fields are refused', async () => {
    const query = `{ ...A } fragment A on Query { ${Array.from({ length: 10 }, (_, i) => `a${i}: products(first: 100) { nodes { ...B } }`).join(' ')} }
      fragment B on Product { ${Array.from({ length: 10 }, (_, i) => `b${i}: name`).join(' ')} ...C }
      fragment C on Product { ${Array.from({ length: 10 }, (_, i) => `c${i}: sku`).join(' ')} }`;
    const response = await stack.graphql(query);
    assert.equal(code(response), 'QUERY_TOO_COMPLEX');
    assert.equal(response.data ?? null, null);
  });

  test('a 900 KB variable is echoed as a short prefix at most, however many errors quote it', async () => {
    const huge = 'x'.repeat(900_000);
    const query = `query($id: ID!) { ${Array.from({ length: 25 }, (_, i) => `o${i}: order(id: $id) { id }`).join(' ')} }`;
    for (const variables of [{ id: huge }, { id: { nested: huge } }]) {
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.customerToken('alice')}` },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      assert.ok(text.length < 25 * 1_000, `the answer is ${text.length} bytes`);
      const body = JSON.parse(text) as GraphQLResponse;
      assert.ok(body.errors?.length);
      for (const error of body.errors ?? []) assert.ok(error.message.length <= 301, `${error.message.length} characters`);
    }
  });

  test('a misspelt field gets no suggestion of the schema, over HTTP and graphql-ws', async () => {
    const response = await stack.graphql('{ products { nodes { nam } } }');
    assert.equal(code(response), 'GRAPHQL_VALIDATION_FAILED');
    assert.doesNotMatch(JSON.stringify(response), /Did you mean/);
    const client = await socket();
    try {
      const errors = await refused(client, 'subscription { stockChanged { nam } }');
      assert.doesNotMatch(JSON.stringify(errors), /Did you mean/);
    } finally {
      await client.dispose();
    }
  });

  test('the same limits hold over graphql-ws, before anything runs', async () => {
    const client = await socket(stack.staffToken);
    try {
      const errors = await refused(client, `subscription { stockChanged { ${Array.from({ length: 31 }, (_, i) => `a${i}: name`).join(' ')} } }`);
      assert.equal(errors[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
      const viaSocket = await refused(client, STALLING);
      assert.equal(viaSocket[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    } finally {
      await client.dispose();
    }
  });
});

describe('hole 6: WebSocket limits match HTTP', () => {
  test('a frame larger than an HTTP body closes the socket with 1009', async () => {
    const ws = new WebSocket(stack.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', (closeCode) => resolve(closeCode)));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(2_000_000) } }));
    assert.equal(await closed, 1009);
  });

  test('one socket holds at most 20 subscriptions; the 21st is refused and the others live on', async () => {
    const client = await socket();
    try {
      const productId = await orders.product(3);
      const firsts: Array<Promise<unknown>> = [];
      for (let i = 0; i < 20; i++) {
        firsts.push(
          new Promise((resolve, reject) => {
            client.subscribe(
              { query: 'subscription($id: ID) { stockChanged(productId: $id) { available } }', variables: { id: productId } },
              { next: resolve, error: reject, complete: () => {} },
            );
          }),
        );
      }
      await Promise.all(firsts);
      const errors = await refused(client, 'subscription { stockChanged { available } }');
      assert.equal(errors[0]?.extensions?.code, 'TOO_MANY_SUBSCRIPTIONS');
    } finally {
      await client.dispose();
    }
  });

  test('parse and validation errors carry a code, and no internal path', async () => {
    const client = await socket();
    try {
      const parse = await refused(client, 'subscription {');
      assert.equal(parse[0]?.extensions?.code, 'GRAPHQL_PARSE_FAILED');
      const validation = await refused(client, 'subscription { stockChanged { nope } }');
      assert.equal(validation[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
      const variables = await refused(client, 'subscription($id: ID) { stockChanged(productId: $id) { available } }', { id: { not: 'an id' } });
      assert.equal(variables[0]?.extensions?.code, 'BAD_USER_INPUT');
      const missing = await refused(client, 'subscription($id: ID) { stockChanged(productId: $id) { available } }', { id: '0123456789abcdef01234567' });
      assert.equal(missing[0]?.extensions?.code, 'NOT_FOUND');
      for (const error of [...parse, ...validation, ...variables, ...missing]) assert.doesNotMatch(JSON.stringify(error), /"live"/);
    } finally {
      await client.dispose();
    }
  });
});

describe('hole 7: cancelOrder and startBaking at once, and the read model after a cancel', () => {
  const assignedOrder = async (customerToken: string) => {
    const productId = await orders.product(5);
    const order = await orders.placed(customerToken, { lines: [{ productId, quantity: 1 }] });
    await orders.until(customerToken, order.id, (o) => o.status === 'ASSIGNED' && o.deliveryStatus === 'ASSIGNED', 'to be ASSIGNED');
    return order.id;
  };

  test('sent at the same moment, exactly one of the two wins and the other is INVALID_TRANSITION, five rounds', async () => {
    for (let round = 0; round < 5; round++) {
      const customer = await stack.customerToken(`racer-${randomUUID()}`);
      const orderId = await assignedOrder(customer);
      const [cancel, bake] = await Promise.all([
        stack.graphql('mutation($id: ID!) { cancelOrder(id: $id) { id status } }', { token: customer, variables: { id: orderId } }),
        stack.graphql('mutation($id: ID!) { startBaking(orderId: $id) { id } }', { token: stack.staffToken, variables: { id: orderId } }),
      ]);
      const won = [cancel, bake].filter((response) => !response.errors);
      const lost = [cancel, bake].filter((response) => response.errors);
      assert.equal(won.length, 1, `round ${round}: ${JSON.stringify([cancel, bake])}`);
      assert.equal(code(lost[0] as GraphQLResponse), 'INVALID_TRANSITION', `round ${round}`);
      const expected = cancel.errors ? { status: 'BAKING', delivery: 'BAKING' } : { status: 'CANCELLED', delivery: 'CANCELLED' };
      const settled = await orders.until(
        customer,
        orderId,
        (o) => o.status === expected.status && o.deliveryStatus === expected.delivery && o.delivery?.status === expected.delivery,
        `to settle as ${expected.status}`,
        'id status deliveryStatus delivery { status }',
      );
      assert.equal(settled.status, expected.status);
    }
  });

  test("after a cancel or a rejection of an ASSIGNED order, the order's deliveryStatus says CANCELLED like its delivery", async () => {
    const customer = await stack.customerToken(`reader-${randomUUID()}`);
    const cancelled = await assignedOrder(customer);
    const answer = await stack.graphql<{ cancelOrder: { deliveryStatus: string } }>('mutation($id: ID!) { cancelOrder(id: $id) { deliveryStatus } }', {
      token: customer,
      variables: { id: cancelled },
    });
    assert.equal(answer.data?.cancelOrder.deliveryStatus, 'CANCELLED');
    const rejected = await assignedOrder(customer);
    assert.equal(
      (await stack.graphql('mutation($id: ID!) { rejectOrder(orderId: $id) { id } }', { token: stack.staffToken, variables: { id: rejected } })).errors,
      undefined,
    );
    for (const orderId of [cancelled, rejected]) {
      const order = await orders.until(
        customer,
        orderId,
        (o) => o.deliveryStatus === 'CANCELLED' && o.delivery?.status === 'CANCELLED',
        'to show its delivery cancelled',
        'id deliveryStatus delivery { status }',
      );
      assert.equal(order.deliveryStatus, 'CANCELLED');
    }
  });
});

describe('hole 8: the smaller ones', () => {
  test('reusing an idempotency key for a different order is IDEMPOTENCY_KEY_REUSED, and places nothing', async () => {
    const productId = await orders.product(10);
    const token = await stack.customerToken(`keyholder-${randomUUID()}`);
    const idempotencyKey = randomUUID();
    const first = await orders.placed(token, { lines: [{ productId, quantity: 1 }], idempotencyKey });
    const again = await orders.placed(token, { lines: [{ productId, quantity: 1 }], idempotencyKey });
    assert.equal(again.id, first.id, 'the same request answers the same order');
    const different = await orders.place(token, { lines: [{ productId, quantity: 2 }], idempotencyKey });
    sameData(different.errors?.[0]?.extensions, { code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' });
    const mine = await stack.graphql<{ myOrders: { nodes: Array<{ id: string }> } }>('{ myOrders { nodes { id } } }', { token });
    sameData(
      mine.data?.myOrders.nodes.map((order) => order.id),
      [first.id],
    );
    assert.equal(await orders.available(productId), 9);
  });

  test('an APQ hash that does not match its query is PERSISTED_QUERY_HASH_MISMATCH', async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } }),
    });
    assert.equal(response.status, 400);
    assert.equal(code((await response.json()) as GraphQLResponse), 'PERSISTED_QUERY_HASH_MISMATCH');
  });

  test('an archived product is hidden from everyone but staff', async () => {
    const productId = await orders.product(1);
    await stack.graphql('mutation($id: ID!) { archiveProduct(id: $id) { id } }', { token: stack.staffToken, variables: { id: productId } });
    const query = 'query($id: ID!) { product(id: $id) { id active } }';
    for (const token of [undefined, await stack.customerToken('alice')]) {
      const response = await stack.graphql(query, { variables: { id: productId }, ...(token ? { token } : {}) });
      sameData(response, { data: { product: null } });
    }
    sameData((await stack.graphql(query, { token: stack.staffToken, variables: { id: productId } })).data, { product: { id: productId, active: false } });
  });

  test('CORS allows only the configured origins', async () => {
    const preflight = (origin: string) =>
      fetch(stack.gatewayUrl, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
      });
    const allowed = await preflight('https://kiosk.example');
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://kiosk.example', `${allowed.status} ${JSON.stringify([...allowed.headers])}`);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.equal((await preflight('https://evil.example')).headers.get('access-control-allow-origin'), null);
  });

  test('each client has its own rate limit, shared through Redis, answered 429 RATE_LIMITED with Retry-After', async () => {
    const flooder = await stack.customerToken(`flooder-${randomUUID()}`);
    const ask = (token: string) =>
      fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ viewer { id } }' }),
      });
    for (let sent = 0; sent < RATE_LIMIT; sent += 25) {
      const batch = await Promise.all(Array.from({ length: 25 }, () => ask(flooder)));
      assert.ok(
        batch.every((response) => response.status === 200),
        `within the limit (${sent})`,
      );
    }
    const over = await ask(flooder);
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers.get('retry-after')) > 0);
    assert.equal(((await over.json()) as GraphQLResponse).errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    // The budget is kept in Redis, under the stack's prefix, where every replica counts.
    const redis = new Redis(process.env.REDIS_URL as string);
    try {
      const keys = await redis.keys(`${stack.redisPrefix}:rate-limit*`);
      assert.ok(keys.length > 0);
    } finally {
      redis.disconnect();
    }
    // Someone else is not held back.
    assert.equal((await ask(await stack.customerToken(`patient-${randomUUID()}`))).status, 200);
  });
});

/** A graphql-ws connection, open and acknowledged. */
async function socket(token?: string): Promise<Client> {
  let acknowledged!: () => void;
  const ready = new Promise<void>((resolve) => (acknowledged = resolve));
  const client = createClient({
    url: stack.gatewayUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    on: { connected: () => acknowledged() },
  });
  await ready;
  return client;
}

/** Subscribes and returns the errors the server refuses it with. */
function refused(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Array<{ message: string; extensions?: Record<string, unknown> }>> {
  return new Promise((resolve, reject) => {
    client.subscribe(
      { query, variables },
      {
        next: (message) =>
          message.errors
            ? resolve(message.errors as Array<{ message: string; extensions?: Record<string, unknown> }>)
            : reject(new Error(`expected a refusal, got ${JSON.stringify(message)}`)),
        error: (error) => (Array.isArray(error) ? resolve(error) : reject(error)),
        complete: () => {},
      },
    );
  });
}
