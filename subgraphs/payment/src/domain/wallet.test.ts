import { expect, test } from '@jest/globals';
import { appError, thrownBy } from '../../../../test/support/errors.js';
import { checkDeposit } from './wallet.js';

test('a deposit is whole won from 1 to 1,000,000', () => {
  expect(checkDeposit(1)).toBe(1);
  expect(checkDeposit(1_000_000)).toBe(1_000_000);
  for (const amount of [0, -1, 2.5, 1_000_001]) {
    expect({ amount, error: thrownBy(() => checkDeposit(amount)) }).toStrictEqual({ amount, error: appError('BAD_USER_INPUT', { field: 'amount' }) });
  }
});
