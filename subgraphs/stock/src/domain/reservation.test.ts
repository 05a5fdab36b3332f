import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../../lib/errors.js';
import { normalizeLines } from './reservation.js';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbb';

test('repeated products are merged so each is held once', () => {
  assert.deepEqual(normalizeLines([{ productId: A, quantity: 2 }, { productId: B, quantity: 1 }, { productId: A.toUpperCase(), quantity: 3 }]), [
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
  assert.equal(field(() => normalizeLines([])), 'lines');
  assert.equal(field(() => normalizeLines([{ productId: 'nope', quantity: 1 }])), 'lines[0].productId');
  assert.equal(field(() => normalizeLines([{ productId: A, quantity: 1 }, { productId: B, quantity: 0 }])), 'lines[1].quantity');
  assert.equal(field(() => normalizeLines(Array.from({ length: 21 }, () => ({ productId: A, quantity: 1 })))), 'lines');
});
