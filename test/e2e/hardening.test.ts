/**
 * The holes a hostile client found (issue 8), each tried again as it was found and shown closed:
 * subgraphs reachable without the gateway, tokens the edge should not take, malformed requests,
 * numbers that wrapped, queries that stalled everyone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { Viewer } from '../../lib/auth.js';
import { EnvReader, readCommonConfig } from '../../lib/config.js';
import { OrderDriver } from '../support/orders.js';
import { startStack, type GraphQLResponse, type Stack } from '../support/stack.js';

const SUBGRAPHS = ['stock', 'order', 'payment', 'delivery'] as const;

let stack: Stack;
let orders: OrderDriver;

before(async () => {
  stack = await startStack();
  orders = new OrderDriver(stack);
});
after(() => stack?.stop());

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
      assert.deepEqual(stranger.data?._entities, [{ [subgraph]: null }], `${subgraph} for a stranger`);
      const anonymous = await orderEntities(subgraph, [order.id], await stack.callerToken(null));
      assert.deepEqual(anonymous.data?._entities, [{ [subgraph]: null }], `${subgraph} for an anonymous caller`);
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
      assert.deepEqual(response.errors?.[0]?.extensions, { code: 'BAD_USER_INPUT', field: 'representations' }, subgraph);
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
    let jwt = new SignJWT({ roles: ['STAFF'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setIssuer(config.issuer).setAudience(config.audience).setIssuedAt();
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
    assert.deepEqual(fine.data?.viewer, { id: 'mallory', roles: ['STAFF'] });
  });
});
