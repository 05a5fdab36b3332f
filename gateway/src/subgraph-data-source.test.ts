import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { GraphQLError } from 'graphql';
import { createLogger } from '../../lib/logger.js';
import type { GatewayContext } from './context.js';
import { SubgraphDataSource } from './subgraph-data-source.js';
import { SubgraphTransport } from './subgraph-transport.js';

const transport = new SubgraphTransport();
const servers: http.Server[] = [];
afterAll(() => transport.close());
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A subgraph answering every request with `status`, `headers` and `body`, recording what it was sent. */
async function subgraph(status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' }) {
  const seen: Seen[] = [];
  const server = http.createServer(async (request, response) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    seen.push({ headers: request.headers, body: text });
    response.writeHead(status, headers);
    response.end(body);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, seen };
}

const context: GatewayContext = { viewer: { id: 'alice', roles: ['CUSTOMER'] }, requestId: 'req-1', log: createLogger('test', 'silent') };
const callers: Array<unknown> = [];
const credential = async (caller: unknown) => {
  callers.push(caller);
  return 'the-credential';
};

function source(url: string) {
  return new SubgraphDataSource(url, credential, (target, init) => transport.fetch(target, init));
}

/** What the gateway's executor passes for one fetch of an incoming operation. */
function fetchOf(query: string | undefined, restrict?: (hint: unknown) => void): GraphQLDataSourceProcessOptions<GatewayContext> {
  return {
    kind: 'incoming operation',
    request: { query, variables: { representations: [{ __typename: 'Order', id: '1' }] }, operationName: 'MyOrdersPage__payment__1' },
    context,
    incomingRequestContext: { overallCachePolicy: { restrict: restrict ?? (() => undefined) } },
  } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;
}

const QUERY = 'query MyOrdersPage__payment__1($representations:[_Any!]!){_entities(representations:$representations){...on Order{payment{status}}}}';

describe("the gateway's subgraph data source", () => {
  test('sends the query first, then variables and operation name, with the credential for the caller, the request id and JSON headers', async () => {
    const { url, seen } = await subgraph(200, JSON.stringify({ data: { _entities: [{ payment: { status: 'AUTHORIZED' } }] } }));
    const answer = await source(url).process(fetchOf(QUERY));
    expect(answer.data).toEqual({ _entities: [{ payment: { status: 'AUTHORIZED' } }] });
    expect(answer.http?.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.body).toBe(
      JSON.stringify({ query: QUERY, variables: { representations: [{ __typename: 'Order', id: '1' }] }, operationName: 'MyOrdersPage__payment__1' }),
    );
    expect(seen[0]?.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer the-credential', 'x-request-id': 'req-1' });
    expect(callers.at(-1)).toEqual({ id: 'alice', roles: ['CUSTOMER'] });
  });

  test("passes a subgraph's GraphQL errors on as its answer", async () => {
    const errors = [{ message: 'no such order', extensions: { code: 'NOT_FOUND' }, path: ['_entities', 0] }];
    const { url } = await subgraph(200, JSON.stringify({ data: { _entities: [null] }, errors }));
    const answer = await source(url).process(fetchOf(QUERY));
    expect(answer.errors).toEqual(errors);
    expect(answer.data).toEqual({ _entities: [null] });
  });

  test('an answer that is not 2xx is an error naming the status, with the answer; 401 and 403 carry their codes', async () => {
    for (const [status, code] of [
      [400, undefined],
      [401, 'UNAUTHENTICATED'],
      [403, 'FORBIDDEN'],
      [500, undefined],
    ] as const) {
      const body = { errors: [{ message: 'refused', extensions: { code: 'BAD_USER_INPUT' } }] };
      const { url } = await subgraph(status, JSON.stringify(body));
      const error = await source(url)
        .process(fetchOf(QUERY))
        .then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).message).toBe(`${status}: ${http.STATUS_CODES[status]}`);
      expect((error as GraphQLError).extensions).toEqual({
        response: { url, status, statusText: http.STATUS_CODES[status], body },
        ...(code ? { code } : {}),
      });
    }
  });

  test('an answer that is not a JSON object is an error; a request without a query is refused before sending', async () => {
    const text = await subgraph(200, 'hello', { 'content-type': 'text/plain' });
    await expect(source(text.url).process(fetchOf(QUERY))).rejects.toThrow('Expected JSON response body, but received: hello');
    const scalar = await subgraph(200, '42');
    await expect(source(scalar.url).process(fetchOf(QUERY))).rejects.toThrow('Expected JSON response body, but received: 42');
    await expect(source(text.url).process(fetchOf(undefined))).rejects.toThrow('Missing query');
    expect(text.seen).toHaveLength(1);
  });

  test('an _entities fetch sends each distinct representation once and answers every position that asked', async () => {
    const cake = { __typename: 'Product', id: 'cake' };
    const tart = { __typename: 'Product', id: 'tart' };
    const { url, seen } = await subgraph(200, JSON.stringify({ data: { _entities: [{ name: 'Cake' }, { name: 'Tart' }] } }));
    const options = fetchOf(QUERY);
    options.request.variables = { representations: [cake, tart, cake, cake, tart] };
    const answer = await source(url).process(options);
    expect(JSON.parse(seen[0]?.body ?? '{}').variables).toEqual({ representations: [cake, tart] });
    expect(answer.data).toEqual({ _entities: [{ name: 'Cake' }, { name: 'Tart' }, { name: 'Cake' }, { name: 'Cake' }, { name: 'Tart' }] });
    expect(options.request.variables.representations).toHaveLength(5);
  });

  test("the subgraph's cache-control header restricts the operation's cache policy; none means not cacheable", async () => {
    const hints: unknown[] = [];
    const none = await subgraph(200, JSON.stringify({ data: {} }));
    await source(none.url).process(fetchOf(QUERY, (hint) => hints.push(hint)));
    const given = await subgraph(200, JSON.stringify({ data: {} }), { 'content-type': 'application/json', 'cache-control': 'max-age=60, private' });
    await source(given.url).process(fetchOf(QUERY, (hint) => hints.push(hint)));
    expect(hints).toEqual([{ maxAge: 0 }, { maxAge: 60, scope: 'PRIVATE' }]);
  });
});
