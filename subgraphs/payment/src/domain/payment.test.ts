import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../../../lib/errors.js';
import { canMove, checkAmount, isSettled, refundTarget, validatePaymentRequest, walletDebitIsOwed, type PaymentStatus } from './payment.js';

function rejects(fn: () => unknown, field: string) {
  assert.throws(fn, (error: unknown) => error instanceof AppError && error.code === 'BAD_USER_INPUT' && error.field === field);
}

const STATUSES: PaymentStatus[] = ['PENDING', 'AUTHORIZED', 'DECLINED', 'REFUNDED', 'VOIDED'];

describe('the payment state machine', () => {
  test('a new payment starts PENDING, or VOIDED when a refund comes first', () => {
    assert.deepEqual(STATUSES.filter((to) => canMove(null, to)), ['PENDING', 'VOIDED']);
  });

  test('PENDING settles as AUTHORIZED, DECLINED or VOIDED', () => {
    assert.deepEqual(STATUSES.filter((to) => canMove('PENDING', to)), ['AUTHORIZED', 'DECLINED', 'VOIDED']);
  });

  test('only an authorized payment can be refunded, and nothing leaves DECLINED, REFUNDED or VOIDED', () => {
    assert.deepEqual(STATUSES.filter((to) => canMove('AUTHORIZED', to)), ['REFUNDED']);
    for (const from of ['DECLINED', 'REFUNDED', 'VOIDED'] as const) {
      assert.deepEqual(STATUSES.filter((to) => canMove(from, to)), [], from);
    }
  });

  test('every status but PENDING is settled', () => {
    assert.deepEqual(STATUSES.filter(isSettled), ['AUTHORIZED', 'DECLINED', 'REFUNDED', 'VOIDED']);
  });

  test('a refund gives money back, voids what is unfinished or missing, and leaves the rest', () => {
    assert.equal(refundTarget('AUTHORIZED'), 'REFUNDED');
    assert.equal(refundTarget('PENDING'), 'VOIDED');
    assert.equal(refundTarget(null), 'VOIDED');
    for (const status of ['DECLINED', 'REFUNDED', 'VOIDED'] as const) assert.equal(refundTarget(status), null, status);
    for (const status of STATUSES) {
      const target = refundTarget(status);
      if (target) assert.ok(canMove(status, target), `${status} -> ${target} is a legal move`);
    }
  });

  test('a wallet keeps the money only for an authorized payment, and a pending one may still finish', () => {
    assert.deepEqual(STATUSES.filter(walletDebitIsOwed), ['DECLINED', 'REFUNDED', 'VOIDED']);
  });
});

describe('validatePaymentRequest', () => {
  const card = { orderId: 'order-1', customerId: 'alice', amount: 12_000, method: 'CARD' as const, token: 'tok_visa' };

  test('accepts a card payment and keeps its token', () => {
    assert.deepEqual(validatePaymentRequest(card), card);
  });

  test('a missing or blank card token is left for the provider to decline, not refused as input', () => {
    assert.equal(validatePaymentRequest({ ...card, token: null }).token, null);
    assert.equal(validatePaymentRequest({ ...card, token: '   ' }).token, null);
  });

  test('a wallet payment carries no token', () => {
    assert.equal(validatePaymentRequest({ ...card, method: 'WALLET' }).token, null);
  });

  test('names the field of each bad value', () => {
    rejects(() => validatePaymentRequest({ ...card, amount: 0 }), 'input.amount');
    rejects(() => validatePaymentRequest({ ...card, amount: -500 }), 'input.amount');
    rejects(() => validatePaymentRequest({ ...card, amount: 99.5 }), 'input.amount');
    rejects(() => validatePaymentRequest({ ...card, amount: 10_000_001 }), 'input.amount');
    rejects(() => validatePaymentRequest({ ...card, orderId: ' ' }), 'input.orderId');
    rejects(() => validatePaymentRequest({ ...card, orderId: 'x'.repeat(101) }), 'input.orderId');
    rejects(() => validatePaymentRequest({ ...card, customerId: '' }), 'input.customerId');
  });
});

test('amounts are whole won from 1 to 10,000,000', () => {
  assert.equal(checkAmount(1, 'amount'), 1);
  assert.equal(checkAmount(10_000_000, 'amount'), 10_000_000);
  rejects(() => checkAmount(0, 'amount'), 'amount');
  rejects(() => checkAmount(Number.NaN, 'amount'), 'amount');
});
