/**
 * A PAYMENT_PENDING order holds its stock only until its hold deadline: if payment has not come
 * through by then, the order is CANCELLED with PAYMENT_TIMEOUT and its stock goes back. Its own
 * stack, with a short deadline.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Ledger } from '../support/books.js';
import { OrderDriver, notes } from '../support/orders.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from '../support/wait.js';

let stack: Stack;
let ledger: Ledger;
let orders: OrderDriver;

beforeAll(async () => {
  stack = await startStack({ env: { PAYMENT_HOLD_MS: '2500', PAYMENT_RETRY_DELAY_MS: '200', SAGA_RETRY_MAX_MS: '500', OUTBOX_SWEEP_MS: '500' } });
  ledger = await Ledger.open(stack);
  orders = new OrderDriver(stack);
});
afterAll(async () => {
  await ledger?.close();
  await stack?.stop();
});

test('payment never comes through: CANCELLED with PAYMENT_TIMEOUT at the hold deadline, stock released', async () => {
  const customer = await stack.customerToken('carol');
  const productId = await orders.product(4, 2_000);
  await stack.services.stopOne('payment');
  let orderId = '';
  try {
    const pending = await orders.placed(customer, { lines: [{ productId, quantity: 3 }] });
    orderId = pending.id;
    expect(pending.status).toBe('PAYMENT_PENDING');
    expect(await orders.available(productId)).toBe(1);
    const cancelled = await orders.until(customer, orderId, (o) => o.status === 'CANCELLED', 'to be cancelled at its deadline');
    expect(cancelled.history.find((h) => h.status === 'CANCELLED')?.reason).toBe('PAYMENT_TIMEOUT');
    await eventually(async () => (await orders.available(productId)) === 4, { what: 'stock released' });
  } finally {
    await stack.services.startOne('payment');
  }
  // Once payment is back, the compensation voids it, so a late authorization can never charge.
  const settled = await orders.until(customer, orderId, (o) => notes(o).includes('payment voided'), 'to have its payment voided');
  expect(settled.paymentStatus).toBe('VOIDED');
  await ledger.assertBalanced();
});
