import { describe, expect, test } from '@jest/globals';
import { appError } from '../../../../test/support/errors.js';
import { isSamePlacement, MAX_LINES, MAX_QUANTITY, validateOrderRequest, validReason, type PlaceOrderInput } from './place-order.js';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const pickup: PlaceOrderInput = {
  lines: [{ productId: A, quantity: 2 }],
  fulfilment: 'PICKUP',
  paymentMethod: 'CARD',
  paymentToken: 'tok_visa',
  idempotencyKey: 'key-1',
};

function refused(input: PlaceOrderInput, field: string) {
  expect(() => validateOrderRequest(input)).toThrow(appError('BAD_USER_INPUT', { field }));
}

describe('validateOrderRequest', () => {
  test('a pickup paid by card keeps its lines, token and key', () => {
    expect(validateOrderRequest(pickup)).toStrictEqual({
      lines: [{ productId: A, quantity: 2, index: 0 }],
      fulfilment: 'PICKUP',
      deliveryAddress: null,
      paymentMethod: 'CARD',
      paymentToken: 'tok_visa',
      idempotencyKey: 'key-1',
    });
  });

  test('repeats of a product become one line, where it was first given, whatever the case of its id', () => {
    const lines = [
      { productId: A, quantity: 2 },
      { productId: B, quantity: 1 },
      { productId: A.toUpperCase(), quantity: 3 },
    ];
    expect(validateOrderRequest({ ...pickup, lines }).lines).toStrictEqual([
      { productId: A, quantity: 5, index: 0 },
      { productId: B, quantity: 1, index: 1 },
    ]);
  });

  test('a delivery needs an address; a pickup ignores one', () => {
    const delivery = { ...pickup, fulfilment: 'DELIVERY' as const };
    expect(validateOrderRequest({ ...delivery, deliveryAddress: '  12 Bakery-ro, Seoul ' }).deliveryAddress).toBe('12 Bakery-ro, Seoul');
    refused({ ...delivery, deliveryAddress: null }, 'input.deliveryAddress');
    refused({ ...delivery, deliveryAddress: ' 12 ' }, 'input.deliveryAddress');
    refused({ ...delivery, deliveryAddress: 'x'.repeat(301) }, 'input.deliveryAddress');
    expect(validateOrderRequest({ ...pickup, deliveryAddress: '12 Bakery-ro, Seoul' }).deliveryAddress).toBeNull();
  });

  test('a card payment needs a token; a wallet payment carries none', () => {
    refused({ ...pickup, paymentToken: null }, 'input.paymentToken');
    refused({ ...pickup, paymentToken: '   ' }, 'input.paymentToken');
    refused({ ...pickup, paymentToken: 'x'.repeat(201) }, 'input.paymentToken');
    expect(validateOrderRequest({ ...pickup, paymentToken: ' tok_visa ' }).paymentToken).toBe('tok_visa');
    expect(validateOrderRequest({ ...pickup, paymentMethod: 'WALLET', paymentToken: 'tok_visa' }).paymentToken).toBeNull();
  });

  test('the idempotency key is trimmed and 1 to 128 characters', () => {
    expect(validateOrderRequest({ ...pickup, idempotencyKey: ' key-2 ' }).idempotencyKey).toBe('key-2');
    expect(validateOrderRequest({ ...pickup, idempotencyKey: 'k'.repeat(128) }).idempotencyKey).toHaveLength(128);
    refused({ ...pickup, idempotencyKey: '  ' }, 'input.idempotencyKey');
    refused({ ...pickup, idempotencyKey: 'k'.repeat(129) }, 'input.idempotencyKey');
  });

  test(`1 to ${MAX_LINES} lines, each of 1 to ${MAX_QUANTITY} of a product given by its id`, () => {
    const line = (productId: string, quantity = 1) => ({ productId, quantity });
    refused({ ...pickup, lines: [] }, 'input.lines');
    refused({ ...pickup, lines: Array.from({ length: MAX_LINES + 1 }, () => line(A)) }, 'input.lines');
    expect(validateOrderRequest({ ...pickup, lines: Array.from({ length: MAX_LINES }, (_, i) => line(i.toString(16).padStart(24, '0'))) }).lines).toHaveLength(
      MAX_LINES,
    );
    refused({ ...pickup, lines: [line(A), line('not-an-id')] }, 'input.lines[1].productId');
    refused({ ...pickup, lines: [line(A, 0)] }, 'input.lines[0].quantity');
    refused({ ...pickup, lines: [line(A, MAX_QUANTITY + 1)] }, 'input.lines[0].quantity');
    refused({ ...pickup, lines: [line(A, 1.5)] }, 'input.lines[0].quantity');
    expect(validateOrderRequest({ ...pickup, lines: [line(A, MAX_QUANTITY)] }).lines[0]?.quantity).toBe(MAX_QUANTITY);
  });

  test(`at most ${MAX_QUANTITY} of one product in all, naming the line that goes over`, () => {
    refused(
      {
        ...pickup,
        lines: [
          { productId: A, quantity: 30 },
          { productId: B, quantity: 1 },
          { productId: A, quantity: 21 },
        ],
      },
      'input.lines[2].quantity',
    );
  });
});

describe('validReason', () => {
  test('is trimmed, and blank or missing is none', () => {
    expect(validReason('  changed my mind ', 'reason')).toBe('changed my mind');
    expect(validReason('   ', 'reason')).toBeNull();
    expect(validReason(null, 'reason')).toBeNull();
    expect(validReason(undefined, 'reason')).toBeNull();
  });

  test('is at most 300 characters', () => {
    expect(validReason('x'.repeat(300), 'reason')).toHaveLength(300);
    expect(() => validReason('x'.repeat(301), 'reason')).toThrow(appError('BAD_USER_INPUT', { field: 'reason' }));
  });
});

describe('isSamePlacement', () => {
  const input: PlaceOrderInput = {
    lines: [
      { productId: A, quantity: 2 },
      { productId: B, quantity: 1 },
    ],
    fulfilment: 'PICKUP',
    paymentMethod: 'CARD',
    paymentToken: 'tok_visa',
    idempotencyKey: 'k',
  };
  const placed = {
    lines: [
      { productId: A, quantity: 2 },
      { productId: B, quantity: 1 },
    ],
    fulfilment: 'PICKUP' as const,
    deliveryAddress: null,
    paymentMethod: 'CARD' as const,
  };

  test('a repeat of the same request, lines in any order and repeats merged, is the same placement', () => {
    expect(isSamePlacement(placed, validateOrderRequest(input))).toBe(true);
    const reordered = {
      ...input,
      lines: [
        { productId: B, quantity: 1 },
        { productId: A.toUpperCase(), quantity: 1 },
        { productId: A, quantity: 1 },
      ],
      paymentToken: 'tok_other',
    };
    expect(isSamePlacement(placed, validateOrderRequest(reordered))).toBe(true);
  });

  test.each<[string, PlaceOrderInput]>([
    [
      'another quantity',
      {
        ...input,
        lines: [
          { productId: A, quantity: 3 },
          { productId: B, quantity: 1 },
        ],
      },
    ],
    ['a product fewer', { ...input, lines: [{ productId: A, quantity: 2 }] }],
    ['another fulfilment', { ...input, fulfilment: 'DELIVERY', deliveryAddress: '1 Bakery Lane' }],
    ['another payment method', { ...input, paymentMethod: 'WALLET', paymentToken: null }],
  ])('%s is a different order', (_, variant) => {
    expect(isSamePlacement(placed, validateOrderRequest(variant))).toBe(false);
  });
});
