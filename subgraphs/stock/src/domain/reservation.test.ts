import { expect, test } from '@jest/globals';
import { AppError } from '../../../../lib/errors.js';
import { normalizeLines } from './reservation.js';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbb';

test('repeated products are merged so each is held once', () => {
  expect(
    normalizeLines([
      { productId: A, quantity: 2 },
      { productId: B, quantity: 1 },
      { productId: A.toUpperCase(), quantity: 3 },
    ]),
  ).toStrictEqual([
    { productId: A, quantity: 5 },
    { productId: B, quantity: 1 },
  ]);
});

test('bad lines name the offending field', () => {
  const field = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error instanceof AppError ? error.field : undefined;
    }
    return undefined;
  };
  expect(field(() => normalizeLines([]))).toBe('lines');
  expect(field(() => normalizeLines([{ productId: 'nope', quantity: 1 }]))).toBe('lines[0].productId');
  expect(
    field(() =>
      normalizeLines([
        { productId: A, quantity: 1 },
        { productId: B, quantity: 0 },
      ]),
    ),
  ).toBe('lines[1].quantity');
  expect(field(() => normalizeLines(Array.from({ length: 21 }, () => ({ productId: A, quantity: 1 }))))).toBe('lines');
});
