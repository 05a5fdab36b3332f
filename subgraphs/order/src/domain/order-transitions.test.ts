import { describe, expect, test } from '@jest/globals';
import { appError, thrownBy } from '../../../../test/support/errors.js';
import type { Order } from './order.js';
import {
  abandonPlacement,
  advanceWithDelivery,
  cancel,
  deliveryCancelledOnly,
  holdExpired,
  isRejectedByStore,
  reject,
  rejectOutOfStock,
  settlePayment,
  timeOut,
  type PaymentPolicy,
} from './order-transitions.js';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const POLICY: PaymentPolicy = { promiseSeconds: { pickup: 900, delivery: 2_700 }, paymentHoldMs: 600_000, paymentRetryDelayMs: 5_000 };

function anOrder(overrides: Partial<Order> = {}): Order {
  return {
    id: '65f000000000000000000001',
    customerId: 'customer-1',
    idempotencyKey: 'key-1',
    lines: [{ productId: '65f0000000000000000000aa', name: 'Croissant', quantity: 2, unitPrice: 3_500 }],
    total: 7_000,
    fulfilment: 'PICKUP',
    deliveryAddress: null,
    paymentMethod: 'CARD',
    paymentToken: 'tok_visa',
    status: 'PLACED',
    rejectionReason: null,
    history: [],
    promisedBy: null,
    holdDeadline: null,
    paymentStatus: null,
    deliveryStatus: null,
    bakerName: null,
    delayed: false,
    sagaSteps: [],
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

const eventTypes = (transition: { events: Array<{ type: string }> } | null) => transition?.events.map((event) => event.type);

describe('paying at placement', () => {
  test('an authorized payment confirms the order with a promise time, its history entry and event at one instant', () => {
    const confirmed = settlePayment(anOrder(), 'PLACED', { status: 'AUTHORIZED', declineReason: null }, POLICY, NOW, { total: 7_000 });
    const promisedBy = new Date(NOW.getTime() + 900_000);
    expect(confirmed).toStrictEqual({
      from: ['PLACED'],
      to: 'CONFIRMED',
      set: { total: 7_000, paymentStatus: 'AUTHORIZED', paymentToken: null, promisedBy, holdDeadline: null },
      history: [{ status: 'CONFIRMED', at: NOW, reason: null }],
      events: [
        {
          type: 'OrderStatusChanged',
          payload: {
            orderId: '65f000000000000000000001',
            customerId: 'customer-1',
            status: 'CONFIRMED',
            reason: null,
            fulfilment: 'PICKUP',
            promisedBy: promisedBy.toISOString(),
            at: NOW.toISOString(),
          },
        },
      ],
    });
  });

  test('a delivery is promised later than a pickup', () => {
    const confirmed = settlePayment(anOrder({ fulfilment: 'DELIVERY' }), 'PLACED', { status: 'AUTHORIZED', declineReason: null }, POLICY, NOW);
    expect(confirmed?.set.promisedBy).toStrictEqual(new Date(NOW.getTime() + 2_700_000));
  });

  test('a declined payment rejects the order and gives its stock back', () => {
    const rejected = settlePayment(anOrder(), 'PLACED', { status: 'DECLINED', declineReason: 'INSUFFICIENT_FUNDS' }, POLICY, NOW);
    expect(rejected?.to).toBe('REJECTED');
    expect(rejected?.set).toMatchObject({ paymentStatus: 'DECLINED', rejectionReason: 'INSUFFICIENT_FUNDS', paymentToken: null });
    expect(rejected?.history).toStrictEqual([{ status: 'REJECTED', at: NOW, reason: 'INSUFFICIENT_FUNDS' }]);
    expect(eventTypes(rejected)).toStrictEqual(['OrderStatusChanged', 'ReleaseStock']);
  });

  test('a card declined for another reason is PAYMENT_DECLINED', () => {
    const rejected = settlePayment(anOrder(), 'PLACED', { status: 'DECLINED', declineReason: 'CARD_DECLINED' }, POLICY, NOW);
    expect(rejected?.set.rejectionReason).toBe('PAYMENT_DECLINED');
  });

  test('a payment that could not answer holds the order for payment, with a retry soon and one at the hold deadline', () => {
    const held = settlePayment(anOrder(), 'PLACED', null, POLICY, NOW);
    const holdDeadline = new Date(NOW.getTime() + 600_000);
    expect(held?.to).toBe('PAYMENT_PENDING');
    expect(held?.set).toStrictEqual({ paymentStatus: 'PENDING', holdDeadline });
    expect(held?.history).toStrictEqual([{ status: 'PAYMENT_PENDING', at: NOW, reason: 'payment service unavailable, retrying' }]);
    expect(held?.events.slice(1)).toStrictEqual([
      { type: 'SettlePendingPayment', payload: { orderId: '65f000000000000000000001' }, notBefore: new Date(NOW.getTime() + 5_000) },
      { type: 'SettlePendingPayment', payload: { orderId: '65f000000000000000000001' }, notBefore: holdDeadline },
    ]);
  });

  test('a pending payment still without an answer changes nothing, so the retry job tries again', () => {
    expect(settlePayment(anOrder({ status: 'PAYMENT_PENDING' }), 'PAYMENT_PENDING', null, POLICY, NOW)).toBeNull();
    expect(settlePayment(anOrder({ status: 'PAYMENT_PENDING' }), 'PAYMENT_PENDING', { status: 'PENDING', declineReason: null }, POLICY, NOW)).toBeNull();
  });

  test('a pending payment that is authorized later confirms from PAYMENT_PENDING', () => {
    const confirmed = settlePayment(anOrder({ status: 'PAYMENT_PENDING' }), 'PAYMENT_PENDING', { status: 'AUTHORIZED', declineReason: null }, POLICY, NOW);
    expect(confirmed?.from).toStrictEqual(['PAYMENT_PENDING']);
  });

  test('stock that could not be held rejects the placement as OUT_OF_STOCK, with nothing to compensate', () => {
    const rejected = rejectOutOfStock(anOrder(), NOW);
    expect(rejected).toMatchObject({ from: ['PLACED'], to: 'REJECTED', set: { rejectionReason: 'OUT_OF_STOCK', paymentToken: null } });
    expect(eventTypes(rejected)).toStrictEqual(['OrderStatusChanged']);
  });

  test('an abandoned placement frees its key, shows nothing and gives back what it may hold', () => {
    const abandoned = abandonPlacement(anOrder());
    expect(abandoned.to).toBe('ABANDONED');
    expect(abandoned.set.idempotencyKey).toBe('key-1#abandoned:65f000000000000000000001');
    expect(abandoned.history).toStrictEqual([]);
    expect(eventTypes(abandoned)).toStrictEqual(['ReleaseStock', 'RefundPayment']);
  });
});

describe('a payment hold that runs out', () => {
  test('the hold has run out at its deadline, not before', () => {
    expect(holdExpired({ holdDeadline: new Date(NOW.getTime() + 1) }, NOW)).toBe(false);
    expect(holdExpired({ holdDeadline: NOW }, NOW)).toBe(true);
    expect(holdExpired({ holdDeadline: null }, NOW)).toBe(false);
  });

  test('times out as CANCELLED with its compensations', () => {
    const cancelled = timeOut(anOrder({ status: 'PAYMENT_PENDING' }), NOW);
    expect(cancelled).toMatchObject({ from: ['PAYMENT_PENDING'], to: 'CANCELLED', set: { paymentToken: null } });
    expect(cancelled.history).toStrictEqual([{ status: 'CANCELLED', at: NOW, reason: 'PAYMENT_TIMEOUT' }]);
    expect(eventTypes(cancelled)).toStrictEqual(['OrderStatusChanged', 'ReleaseStock', 'RefundPayment']);
  });
});

describe('ending early', () => {
  test('a customer cancels from the status the order was read in, with its compensations', () => {
    const promisedBy = new Date(NOW.getTime() + 900_000);
    const cancelled = cancel(anOrder({ status: 'ASSIGNED', promisedBy }), 'changed my mind', true, NOW);
    expect(cancelled).toMatchObject({ from: ['ASSIGNED'], to: 'CANCELLED', set: { paymentToken: null, deliveryStatus: 'CANCELLED' } });
    expect(cancelled.events[0]).toMatchObject({ payload: { status: 'CANCELLED', reason: 'changed my mind', promisedBy: promisedBy.toISOString() } });
    expect(eventTypes(cancelled)).toStrictEqual(['OrderStatusChanged', 'ReleaseStock', 'RefundPayment']);
  });

  test('a cancel before any delivery leaves the delivery status alone', () => {
    expect(cancel(anOrder({ status: 'PAYMENT_PENDING' }), 'why', false, NOW).set).toStrictEqual({ paymentToken: null });
  });

  test('refuses a cancel once baking has started', () => {
    expect(thrownBy(() => cancel(anOrder({ status: 'BAKING' }), 'why', false, NOW))).toEqual(appError('INVALID_TRANSITION', { message: /BAKING/ }));
  });

  test('staff reject any order not yet completed, with its compensations', () => {
    const rejected = reject(anOrder({ status: 'OUT_FOR_DELIVERY' }), 'oven broke', NOW);
    expect(rejected.from).toContain('OUT_FOR_DELIVERY');
    expect(rejected.from).not.toContain('COMPLETED');
    expect(rejected.set).toStrictEqual({ rejectionReason: 'STORE_REJECTED', paymentToken: null });
    expect(eventTypes(rejected)).toStrictEqual(['OrderStatusChanged', 'ReleaseStock', 'RefundPayment']);
  });

  test('a repeat of a staff rejection is recognised; a refusal for stock is not one', () => {
    expect(isRejectedByStore({ status: 'REJECTED', rejectionReason: 'STORE_REJECTED' })).toBe(true);
    expect(isRejectedByStore({ status: 'REJECTED', rejectionReason: 'OUT_OF_STOCK' })).toBe(false);
  });
});

describe('following the delivery', () => {
  test('an order follows through every step up to the one reported, one history entry and event each', () => {
    const moved = advanceWithDelivery(anOrder({ status: 'CONFIRMED' }), 'BAKING', 'Mina', NOW);
    expect(moved).toMatchObject({ from: ['CONFIRMED'], to: 'BAKING', set: { deliveryStatus: 'BAKING', bakerName: 'Mina' } });
    expect(moved?.history.map((entry) => entry.status)).toStrictEqual(['ASSIGNED', 'BAKING']);
    expect(eventTypes(moved)).toStrictEqual(['OrderStatusChanged', 'OrderStatusChanged']);
  });

  test('a completed order commits its stock', () => {
    const completed = advanceWithDelivery(anOrder({ status: 'READY' }), 'COMPLETED', undefined, NOW);
    expect(completed?.set).toStrictEqual({ deliveryStatus: 'COMPLETED' });
    expect(eventTypes(completed)).toStrictEqual(['OrderStatusChanged', 'CommitStock']);
  });

  test('a stale or repeated report changes nothing', () => {
    expect(advanceWithDelivery(anOrder({ status: 'READY' }), 'BAKING', undefined, NOW)).toBeNull();
  });

  test('a cancelled delivery moves no status, but is recorded once the order had a delivery', () => {
    expect(advanceWithDelivery(anOrder({ status: 'ASSIGNED' }), 'CANCELLED', undefined, NOW)).toBeNull();
    expect(deliveryCancelledOnly({ deliveryStatus: 'ASSIGNED' }, 'CANCELLED')).toBe(true);
    expect(deliveryCancelledOnly({ deliveryStatus: null }, 'CANCELLED')).toBe(false);
    expect(deliveryCancelledOnly({ deliveryStatus: 'CANCELLED' }, 'CANCELLED')).toBe(false);
    expect(deliveryCancelledOnly({ deliveryStatus: 'ASSIGNED' }, 'BAKING')).toBe(false);
  });
});
