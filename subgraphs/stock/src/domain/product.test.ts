import { describe, expect, test } from '@jest/globals';
import { appError } from '../../../../test/support/errors.js';
import { checkQuantity, isSoldOut, validateNewProduct, validateProductChanges } from './product.js';

const valid = { sku: 'SALT-BREAD', name: 'Salt bread', price: 3500 };

function rejects(fn: () => unknown, field: string) {
  expect(fn).toThrow(appError('BAD_USER_INPUT', { field }));
}

describe('validateNewProduct', () => {
  test('accepts a product and fills defaults', () => {
    expect(validateNewProduct({ ...valid, description: '  ' })).toStrictEqual({
      ...valid,
      description: null,
      limitedEdition: false,
      initialStock: 0,
    });
  });

  test('trims names and keeps stock and limited edition', () => {
    const product = validateNewProduct({ ...valid, name: '  Salt bread ', initialStock: 12, limitedEdition: true });
    expect(product.name).toBe('Salt bread');
    expect(product.initialStock).toBe(12);
    expect(product.limitedEdition).toBe(true);
  });

  test('names the field of each bad value', () => {
    rejects(() => validateNewProduct({ ...valid, sku: 'salt bread' }), 'input.sku');
    rejects(() => validateNewProduct({ ...valid, name: '   ' }), 'input.name');
    rejects(() => validateNewProduct({ ...valid, price: -1 }), 'input.price');
    rejects(() => validateNewProduct({ ...valid, price: 0 }), 'input.price');
    rejects(() => validateNewProduct({ ...valid, price: 10.5 }), 'input.price');
    rejects(() => validateNewProduct({ ...valid, price: 2_000_000_000 }), 'input.price');
    rejects(() => validateNewProduct({ ...valid, initialStock: -3 }), 'input.initialStock');
    rejects(() => validateNewProduct({ ...valid, description: 'x'.repeat(1001) }), 'input.description');
  });
});

describe('validateProductChanges', () => {
  test('keeps only the fields given', () => {
    expect(validateProductChanges({ price: 4000 })).toStrictEqual({ price: 4000 });
    expect(validateProductChanges({ description: null })).toStrictEqual({ description: null });
  });

  test('refuses to remove required fields', () => {
    rejects(() => validateProductChanges({ name: null }), 'input.name');
    rejects(() => validateProductChanges({ price: null }), 'input.price');
  });
});

test('quantities are whole numbers within bounds', () => {
  expect(checkQuantity(5, 'quantity')).toBe(5);
  rejects(() => checkQuantity(0, 'quantity'), 'quantity');
  rejects(() => checkQuantity(1.5, 'quantity'), 'quantity');
  rejects(() => checkQuantity(1_000_000, 'quantity'), 'quantity');
});

test('a product with nothing available is sold out', () => {
  expect(isSoldOut({ available: 0 })).toBe(true);
  expect(isSoldOut({ available: 1 })).toBe(false);
});
