import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import { isMutationBody, SubgraphTransport } from './subgraph-transport.js';

const transports: SubgraphTransport[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close();
  await Promise.all(
    servers.splice(0).map(async (server) => {
      if (server instanceof http.Server) server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }),
  );
});

function transport(): SubgraphTransport {
  const made = new SubgraphTransport();
  transports.push(made);
  return made;
}

async function listening<TServer extends net.Server>(server: TServer): Promise<{ server: TServer; url: string }> {
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: net.Socket;
}

/** An HTTP server answering each request with `answer`, recording what it was sent. */
async function subgraph(answer: (seen: Seen, response: http.ServerResponse) => void = (_, response) => json(response, 200, { data: { ok: true } })) {
  const seen: Seen[] = [];
  const { server, url } = await listening(
    http.createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      const one = { method: request.method, url: request.url, headers: request.headers, body, socket: request.socket };
      seen.push(one);
      answer(one, response);
    }),
  );
  return { server, url, seen };
}

function json(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-answer': 'yes' });
  response.end(JSON.stringify(body));
}

const read = JSON.stringify({ query: 'query($representations:[_Any!]!){_entities(representations:$representations){__typename}}', variables: {} });
const mutation = JSON.stringify({ query: 'mutation { startBaking(orderId: "1") { id } }', variables: {} });

describe('the subgraph transport', () => {
  test('sends the method, headers and body, and answers status, headers and JSON over one kept connection', async () => {
    const { url, seen } = await subgraph();
    const client = transport();
    for (let i = 0; i < 3; i++) {
      const response = await client.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer t', 'x-request-deadline': '1796290010000' },
        body: read,
      });
      expect(response.ok).toBe(true);
      expect(response.status).toBe(200);
      expect(response.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('x-answer')).toBe('yes');
      expect(await response.json()).toEqual({ data: { ok: true } });
      expect(response.bodyUsed).toBe(true);
    }
    expect(seen).toHaveLength(3);
    for (const one of seen) {
      expect(one).toMatchObject({ method: 'POST', url: '/graphql', body: read });
      expect(one.headers).toMatchObject({ authorization: 'Bearer t', 'x-request-deadline': '1796290010000', 'content-length': String(read.length) });
    }
    expect(new Set(seen.map((one) => one.socket)).size).toBe(1);
  });

  test('an answer of any HTTP status is returned as the subgraph gave it', async () => {
    const { url } = await subgraph((_, response) => json(response, 400, { errors: [{ message: 'bad', extensions: { code: 'BAD_USER_INPUT' } }] }));
    const response = await transport().fetch(url, { method: 'POST', body: read });
    expect(response.ok).toBe(false);
    expect(response.status).toBe(400);
    expect(response.statusText).toBe('Bad Request');
    expect(JSON.parse(await response.text())).toEqual({ errors: [{ message: 'bad', extensions: { code: 'BAD_USER_INPUT' } }] });
    await assert.rejects(response.json(), TypeError);
  });

  test('a timeout ends the request with a TimeoutError, and closes its connection', async () => {
    let closed: Promise<unknown> | undefined;
    const { url } = await subgraph((one) => (closed = once(one.socket, 'close'))); // never answers
    await assert.rejects(transport().fetch(url, { method: 'POST', body: read, signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' });
    await closed;
  });

  test("an abort rejects with the signal's reason, also when the signal was aborted before", async () => {
    const { url } = await subgraph(() => undefined); // never answers
    const client = transport();
    const controller = new AbortController();
    const fetching = client.fetch(url, { method: 'POST', body: read, signal: controller.signal });
    const reason = new Error('circuit breaker opened');
    controller.abort(reason);
    await assert.rejects(fetching, (error) => error === reason);
    await assert.rejects(client.fetch(url, { method: 'POST', body: read, signal: controller.signal }), (error) => error === reason);
  });

  test('a subgraph that is not listening is refused at once', async () => {
    const { server, url } = await listening(net.createServer());
    await new Promise((resolve) => server.close(resolve));
    servers.splice(servers.indexOf(server), 1);
    await assert.rejects(transport().fetch(url, { method: 'POST', body: read }), { code: 'ECONNREFUSED' });
  });

  test('a read that meets a kept connection the subgraph had closed is sent again on a new one; a mutation is not', async () => {
    // A raw server: the first request on each connection is answered and the connection kept; the
    // second is met with a reset, as when a subgraph closes an idle connection just as it is reused.
    const requests: number[] = [];
    let connections = 0;
    const { url } = await listening(
      net.createServer((socket) => {
        const connection = ++connections;
        let answered = 0;
        socket.on('data', (chunk) => {
          if (!chunk.toString('latin1').includes('\r\n\r\n')) return; // headers and body come in one write
          requests.push(connection);
          if (answered++ === 0)
            socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: keep-alive\r\n\r\n{"data":{}}');
          else socket.resetAndDestroy();
        });
      }),
    );
    const client = transport();
    expect(await (await client.fetch(url, { method: 'POST', body: read })).json()).toEqual({ data: {} });
    expect(await (await client.fetch(url, { method: 'POST', body: read })).json()).toEqual({ data: {} });
    expect(requests).toEqual([1, 1, 2]);
    await assert.rejects(client.fetch(url, { method: 'POST', body: mutation }), { code: 'ECONNRESET' });
    expect(requests).toEqual([1, 1, 2, 2]);
  });

  test('reaches a subgraph at an IPv6 address', async () => {
    const server = http.createServer((_, response) => json(response, 200, { data: { ok: true } }));
    servers.push(server);
    server.listen(0, '::1');
    await once(server, 'listening');
    const response = await transport().fetch(`http://[::1]:${(server.address() as AddressInfo).port}/graphql`, { method: 'POST', body: read });
    expect(await response.json()).toEqual({ data: { ok: true } });
  });

  test('knows a mutation from a read, and counts what it cannot read as a mutation', () => {
    expect(isMutationBody(mutation)).toBe(true);
    expect(isMutationBody(read)).toBe(false);
    expect(isMutationBody(JSON.stringify({ query: '  mutation Place { placeOrder { id } }' }))).toBe(true);
    expect(isMutationBody('not json')).toBe(true);
    expect(isMutationBody(undefined)).toBe(true);
  });
});
