import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../../../lib/errors.js';
import { checkQuantity, isSoldOut, validateNewProduct, validateProductChanges } from './product.js';

const valid = { sku: 'SALT-BREAD', name: 'Salt bread', price: 3500 };

function rejects(fn: () => unknown, field: string) {
  assert.throws(fn, (error: unknown) => error instanceof AppError && error.code === 'BAD_USER_INPUT' && error.field === field);
}

describe('validateNewProduct', () => {
  test('accepts a product and fills defaults', () => {
    assert.deepEqual(validateNewProduct({ ...valid, description: '  ' }), {
      ...valid,
      description: null,
      limitedEdition: false,
      initialStock: 0,
    });
  });

  test('trims names and keeps stock and limited edition', () => {
    const product = validateNewProduct({ ...valid, name: '  Salt bread ', initialStock: 12, limitedEdition: true });
    assert.equal(product.name, 'Salt bread');
    assert.equal(product.initialStock, 12);
    assert.equal(product.limitedEdition, true);
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
    assert.deepEqual(validateProductChanges({ price: 4000 }), { price: 4000 });
    assert.deepEqual(validateProductChanges({ description: null }), { description: null });
  });

  test('refuses to remove required fields', () => {
    rejects(() => validateProductChanges({ name: null }), 'input.name');
    rejects(() => validateProductChanges({ price: null }), 'input.price');
  });
});

test('quantities are whole numbers within bounds', () => {
  assert.equal(checkQuantity(5, 'quantity'), 5);
  rejects(() => checkQuantity(0, 'quantity'), 'quantity');
  rejects(() => checkQuantity(1.5, 'quantity'), 'quantity');
  rejects(() => checkQuantity(1_000_000, 'quantity'), 'quantity');
});

test('a product with nothing available is sold out', () => {
  assert.equal(isSoldOut({ available: 0 }), true);
  assert.equal(isSoldOut({ available: 1 }), false);
});
