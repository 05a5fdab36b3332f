import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../../lib/errors.js';
import { checkDeposit } from './wallet.js';

test('a deposit is whole won from 1 to 1,000,000', () => {
  assert.equal(checkDeposit(1), 1);
  assert.equal(checkDeposit(1_000_000), 1_000_000);
  for (const amount of [0, -1, 2.5, 1_000_001]) {
    assert.throws(
      () => checkDeposit(amount),
      (error: unknown) => error instanceof AppError && error.code === 'BAD_USER_INPUT' && error.field === 'amount',
      String(amount),
    );
  }
});
