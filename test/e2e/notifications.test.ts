/**
 * Notifications through the webhook channel: every status change the customer can see is posted
 * once, retried with backoff while the receiver refuses it; and an order not completed by its
 * promise time is marked delayed and the customer told, once. Its own stack, with a webhook
 * receiver of the test's own and a 2-second promise.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ORDER_FIELDS, OrderDriver } from '../support/orders.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

interface Delivered {
  id: string;
  orderId: string;
  kind: string;
  idempotencyKey: string | undefined;
}

/** A webhook receiver that refuses each notification's first `refusals` attempts. */
class Receiver {
  readonly attempts = new Map<string, number>();
  readonly accepted: Delivered[] = [];
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const notification = JSON.parse(body) as Omit<Delivered, 'idempotencyKey'>;
      const attempt = (this.attempts.get(notification.id) ?? 0) + 1;
      this.attempts.set(notification.id, attempt);
      if (attempt <= this.refusals) {
        res.writeHead(503).end();
        return;
      }
      this.accepted.push({ ...notification, idempotencyKey: req.headers['idempotency-key'] as string | undefined });
      res.writeHead(204).end();
    });
  });

  constructor(private readonly refusals: number) {}

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let stack: Stack;
let receiver: Receiver;
let orders: OrderDriver;
let customer: string;

beforeAll(async () => {
  receiver = new Receiver(2);
  stack = await startStack({
    env: {
      NOTIFICATION_CHANNEL: 'webhook',
      NOTIFICATION_WEBHOOK_URL: await receiver.listen(),
      PICKUP_PROMISE_SECONDS: '2',
      OUTBOX_SWEEP_MS: '500',
    },
  });
  orders = new OrderDriver(stack);
  customer = await stack.customerToken('dana');
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

test('each status change is posted to the webhook once, retried while it is refused', async () => {
  const productId = await orders.product(5);
  const placed = await orders.placed(customer, { lines: [{ productId, quantity: 1 }] });
  const confirmed = await eventually(async () => receiver.accepted.find((n) => n.orderId === placed.id && n.kind === 'CONFIRMED'), {
    what: 'the CONFIRMED notification to get through',
    timeoutMs: 30_000,
  });
  expect(receiver.attempts.get(confirmed.id)).toBe(3); // refused twice, then accepted
  expect(confirmed.idempotencyKey).toBe(confirmed.id); // the receiver can drop a repeat by its key
  const { data } = await stack.graphql<{ myNotifications: Array<{ id: string; kind: string; channel: string; sentAt: string | null }> }>(
    '{ myNotifications(first: 50) { id kind channel sentAt } }',
    { token: customer },
  );
  const stored = data?.myNotifications.find((n) => n.id === confirmed.id);
  expect(stored?.channel).toBe('webhook');
  expect(stored?.sentAt).toBeTruthy(); // marked sent once accepted
  await orders.cancel(customer, placed.id);
});

test('an order not completed by its promise time is marked delayed, and the customer told once', async () => {
  const productId = await orders.product(5);
  const placed = await orders.placed(customer, { lines: [{ productId, quantity: 1 }] });
  assert.ok(placed.promisedBy);
  const delayed = await orders.until(
    customer,
    placed.id,
    (o) => o.delivery?.delayed === true,
    'to be delayed',
    `${ORDER_FIELDS} delivery { status delayed baker { name } }`,
  );
  expect(new Date(placed.promisedBy).getTime()).toBeLessThanOrEqual(Date.now());
  expect(delayed.delivery?.delayed).toBe(true);
  await eventually(async () => receiver.accepted.some((n) => n.orderId === placed.id && n.kind === 'DELIVERY_DELAYED'), {
    what: 'the delay notification',
    timeoutMs: 30_000,
  });
  // A barrier: a later change of the order is told, and the delay was still told only once.
  await orders.cancel(customer, placed.id);
  await eventually(async () => receiver.accepted.some((n) => n.orderId === placed.id && n.kind === 'CANCELLED'), {
    what: 'the cancellation',
    timeoutMs: 30_000,
  });
  expect(receiver.accepted.filter((n) => n.orderId === placed.id && n.kind === 'DELIVERY_DELAYED').length).toBe(1);
});
