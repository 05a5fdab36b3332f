import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { createLogger } from '../../lib/logger.js';
import { requestedFields, SubgraphBreaker } from './subgraph-breaker.js';
import { SubgraphTransport } from './subgraph-transport.js';
import { eventually } from '../../test/support/wait.js';

const body = (query: string) => JSON.stringify({ query, variables: {} });

test('a root fetch names its root fields', () => {
  expect(requestedFields(body('{ products { nodes { sku } } __typename }'))).toEqual(['Query.products']);
  expect(requestedFields(body('mutation($id: ID!) { startBaking(orderId: $id) { id } }'))).toEqual(['Mutation.startBaking']);
});

test('an entity fetch names each type and field it asks for', () => {
  const query = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Order{__typename payment{status} delivery{status}}}}';
  expect(requestedFields(body(query))).toEqual(['Order.payment', 'Order.delivery']);
});

test('a body that is not a GraphQL request names nothing', () => {
  expect(requestedFields('not json')).toEqual([]);
  expect(requestedFields(JSON.stringify({ query: '{ broken' }))).toEqual([]);
});

describe('a fetch through the breaker', () => {
  const servers: http.Server[] = [];
  const breakers: SubgraphBreaker[] = [];
  const transport = new SubgraphTransport();
  afterAll(() => transport.close());
  afterEach(async () => {
    for (const breaker of breakers.splice(0)) breaker.shutdown();
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** A subgraph that reads each request and never answers it. */
  async function silentSubgraph(): Promise<string> {
    const server = http.createServer(() => undefined);
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  }

  function breaker(url: string, timeoutMs: number): SubgraphBreaker {
    const made = new SubgraphBreaker({
      service: 'payment',
      url,
      timeoutMs,
      resetMs: 60_000,
      probeAfterMs: 60_000,
      transport,
      log: createLogger('test', 'silent'),
    });
    breakers.push(made);
    return made;
  }

  /** A subgraph with a rush queued in it: its liveness check and one slow fetch go unanswered, other fetches are answered. */
  async function busySubgraph(): Promise<string> {
    const server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        if (req.url === '/graphql' && !text.includes('slow')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}');
      });
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  }

  const entities = body('query($representations:[_Any!]!){_entities(representations:$representations){...on Order{__typename payment{status}}}}');

  test('is given up after its timeout: SERVICE_UNAVAILABLE, "did not answer in time", naming the fields it could not give', async () => {
    const url = await silentSubgraph();
    const started = Date.now();
    await expect(breaker(url, 300).fetch(url, { method: 'POST', body: entities })).rejects.toMatchObject({
      message: 'the payment service is unavailable (it did not answer in time); these fields are null: Order.payment',
      extensions: { code: 'SERVICE_UNAVAILABLE', service: 'payment', fields: ['Order.payment'] },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  test('a read still waiting when the breaker opens is given up at once; a mutation is left to its timeout', async () => {
    const url = await silentSubgraph();
    const subgraph = breaker(url, 60_000);
    const read = subgraph.fetch(url, { method: 'POST', body: entities });
    const write = subgraph.fetch(url, { method: 'POST', body: body('mutation { startBaking(orderId: "1") { id } }') });
    let writeSettled = false;
    void write.catch(() => undefined).finally(() => (writeSettled = true));
    // Refused fetches (nothing listens on port 1) open the breaker: three, all failing.
    for (let i = 0; i < 3; i++) await expect(subgraph.fetch('http://127.0.0.1:1/graphql', { method: 'POST', body: entities })).rejects.toThrow();
    expect(subgraph.opened).toBe(true);
    await expect(read).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(writeSettled).toBe(false);
  });

  test('a subgraph that answers other fetches while its liveness check goes unanswered is busy, not dead: the breaker stays closed', async () => {
    const url = await busySubgraph();
    const subgraph = new SubgraphBreaker({
      service: 'payment',
      url,
      timeoutMs: 60_000,
      resetMs: 60_000,
      probeAfterMs: 50,
      transport,
      log: createLogger('test', 'silent'),
    });
    breakers.push(subgraph);
    void subgraph.fetch(url, { method: 'POST', body: body('{ slow }') }).catch(() => undefined);
    await eventually(async () => subgraph.livenessCheck !== undefined, { what: 'the liveness check to start' });
    const check = subgraph.livenessCheck;
    // While the check waits, the subgraph keeps answering.
    let answered = 0;
    const answering = (async () => {
      while (subgraph.livenessCheck === check) {
        await subgraph.fetch(url, { method: 'POST', body: entities });
        answered++;
      }
    })();

    await check;
    await answering;

    expect(answered).toBeGreaterThan(0);
    expect(subgraph.opened).toBe(false);
  });
});
