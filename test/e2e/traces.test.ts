/**
 * Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set (OTLP over HTTP, JSON), one placed order is one trace
 * that runs from the gateway through the order, stock and payment subgraphs into the workers' jobs
 * that the order's events cause, each span under its process's service.name, and the gateway's
 * request id rides along. The collector is the test's own: a tiny OTLP/HTTP JSON receiver.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, test } from '@jest/globals';
import { OrderDriver } from '../support/orders.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  start: bigint;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; startTimeUnixNano: string; attributes?: OtlpAttribute[] }>;
    }>;
  }>;
}

const attributes = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue]));

/** Accepts OTLP/HTTP JSON exports at /v1/traces and keeps every span. */
async function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; contentTypes: Set<string>; close: () => Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.add(req.headers['content-type'] ?? '');
      const exported = JSON.parse(body) as OtlpExport;
      for (const resourceSpans of exported.resourceSpans ?? []) {
        const service = String(attributes(resourceSpans.resource?.attributes)['service.name']);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              service,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              start: BigInt(span.startTimeUnixNano),
              attributes: attributes(span.attributes),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, contentTypes, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let stack: Stack;

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startStack({
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Export each batch soon after its spans end, so the test waits on spans, not on a 5 s timer.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

test('one placed order is one trace from the gateway through order, stock and payment into the workers', async () => {
  const orders = new OrderDriver(stack);
  const product = await orders.product(5);
  const customer = await stack.customerToken('traced-customer');
  // The client starts the trace, so the test knows its id.
  const traceId = randomBytes(16).toString('hex');
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${customer}`, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    body: JSON.stringify({
      query: 'mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }',
      variables: {
        input: {
          lines: [{ productId: product, quantity: 1 }],
          fulfilment: 'PICKUP',
          paymentMethod: 'CARD',
          paymentToken: 'tok_visa',
          idempotencyKey: randomUUID(),
        },
      },
    }),
  });
  const requestId = response.headers.get('x-request-id');
  const { data } = (await response.json()) as { data?: { placeOrder: { id: string; status: string } } };
  assert.equal(data?.placeOrder.status, 'CONFIRMED');
  await orders.untilStatus(customer, data.placeOrder.id, 'ASSIGNED');

  const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
  // The gateway names its subgraph operations after the client's (`PlaceOrder__order__0`).
  const has = (service: string, name: string) => inTrace().some((span) => span.service === service && span.name.startsWith(name));
  await eventually(
    async () =>
      has('gateway', 'mutation PlaceOrder') &&
      has('order', 'mutation PlaceOrder') &&
      has('stock', 'mutation reserveStock') &&
      has('payment', 'mutation authorizePayment') &&
      has('workers', 'delivery-events OrderStatusChanged') &&
      has('workers', 'order-events BakerAssigned'),
    {
      what: `spans of trace ${traceId} from gateway, order, stock, payment and workers; have ${JSON.stringify(inTrace().map((span) => `${span.service}: ${span.name}`))}`,
    },
  );

  const spans = inTrace();
  // The trace as a tree, children in the order they started, in the test's output for a person.
  const tree = (parentSpanId: string | undefined, indent: string): string[] =>
    spans
      .filter((span) => (parentSpanId ? span.parentSpanId === parentSpanId : !span.parentSpanId || !spans.some((other) => other.spanId === span.parentSpanId)))
      .sort((a, b) => (a.start < b.start ? -1 : 1))
      .flatMap((span) => [`${indent}${span.service}: ${span.name}`, ...tree(span.spanId, `${indent}  `)]);
  console.log(`trace ${traceId}, request id ${requestId}:\n${tree(undefined, '').join('\n')}`);
  assert.deepEqual(new Set(spans.map((span) => span.service)), new Set(['gateway', 'order', 'stock', 'payment', 'workers']));
  // One tree: every span's parent is in the trace, except the root, whose parent is the client's.
  const ids = new Set(spans.map((span) => span.spanId));
  const roots = spans.filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId));
  assert.deepEqual(
    roots.map((span) => `${span.service}: ${span.name}`),
    ['gateway: mutation PlaceOrder'],
  );
  // The gateway's request id is on the spans of every process the order reached.
  for (const service of ['gateway', 'order', 'stock', 'payment', 'workers']) {
    assert.ok(
      spans.some((span) => span.service === service && span.attributes['request.id'] === requestId),
      `${service} spans carry request id ${requestId}`,
    );
  }
  assert.deepEqual([...receiver.contentTypes], ['application/json']);
});
