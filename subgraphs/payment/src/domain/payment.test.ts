import { describe, expect, test } from '@jest/globals';
import { appError } from '../../../../test/support/errors.js';
import { canMove, checkAmount, isPlausibleId, isSettled, refundTarget, validatePaymentRequest, walletDebitIsOwed, type PaymentStatus } from './payment.js';

function rejects(fn: () => unknown, field: string) {
  expect(fn).toThrow(appError('BAD_USER_INPUT', { field }));
}

const STATUSES: PaymentStatus[] = ['PENDING', 'AUTHORIZED', 'DECLINED', 'REFUNDED', 'VOIDED'];

describe('the payment state machine', () => {
  test('a new payment starts PENDING, or VOIDED when a refund comes first', () => {
    expect(STATUSES.filter((to) => canMove(null, to))).toStrictEqual(['PENDING', 'VOIDED']);
  });

  test('PENDING settles as AUTHORIZED, DECLINED or VOIDED', () => {
    expect(STATUSES.filter((to) => canMove('PENDING', to))).toStrictEqual(['AUTHORIZED', 'DECLINED', 'VOIDED']);
  });

  test('only an authorized payment can be refunded, and nothing leaves DECLINED, REFUNDED or VOIDED', () => {
    expect(STATUSES.filter((to) => canMove('AUTHORIZED', to))).toStrictEqual(['REFUNDED']);
    for (const from of ['DECLINED', 'REFUNDED', 'VOIDED'] as const) {
      expect({ from, to: STATUSES.filter((to) => canMove(from, to)) }).toStrictEqual({ from, to: [] });
    }
  });

  test('every status but PENDING is settled', () => {
    expect(STATUSES.filter(isSettled)).toStrictEqual(['AUTHORIZED', 'DECLINED', 'REFUNDED', 'VOIDED']);
  });

  test('a refund gives money back, voids what is unfinished or missing, and leaves the rest', () => {
    expect(refundTarget('AUTHORIZED')).toBe('REFUNDED');
    expect(refundTarget('PENDING')).toBe('VOIDED');
    expect(refundTarget(null)).toBe('VOIDED');
    for (const status of ['DECLINED', 'REFUNDED', 'VOIDED'] as const) expect({ status, target: refundTarget(status) }).toStrictEqual({ status, target: null });
    for (const status of STATUSES) {
      const target = refundTarget(status);
      if (target) expect({ status, target, legal: canMove(status, target) }).toStrictEqual({ status, target, legal: true });
    }
  });

  test('a wallet keeps the money only for an authorized payment, and a pending one may still finish', () => {
    expect(STATUSES.filter(walletDebitIsOwed)).toStrictEqual(['DECLINED', 'REFUNDED', 'VOIDED']);
  });
});

describe('validatePaymentRequest', () => {
  const card = { orderId: 'order-1', customerId: 'alice', amount: 12_000, method: 'CARD' as const, token: 'tok_visa' };

  test('accepts a card payment and keeps its token', () => {
    expect(validatePaymentRequest(card)).toStrictEqual(card);
  });

  test('a missing or blank card token is left for the provider to decline, not refused as input', () => {
    expect(validatePaymentRequest({ ...card, token: null }).token).toBeNull();
    expect(validatePaymentRequest({ ...card, token: '   ' }).token).toBeNull();
  });

  test('a wallet payment carries no token', () => {
    expect(validatePaymentRequest({ ...card, method: 'WALLET' }).token).toBeNull();
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
  expect(checkAmount(1, 'amount')).toBe(1);
  expect(checkAmount(10_000_000, 'amount')).toBe(10_000_000);
  rejects(() => checkAmount(0, 'amount'), 'amount');
  rejects(() => checkAmount(Number.NaN, 'amount'), 'amount');
});

test('a payment id is its order id: any trimmed id of 1 to 100 characters could name one', () => {
  expect(isPlausibleId('65a0000000000000000000aa')).toBe(true);
  expect(isPlausibleId('order-1')).toBe(true);
  expect(isPlausibleId('')).toBe(false);
  expect(isPlausibleId(' order-1')).toBe(false);
  expect(isPlausibleId('x'.repeat(101))).toBe(false);
});
