import { describe, expect, test } from '@jest/globals';
import { fulfilmentPath, isCancellableByCustomer, isFinal, isPublic, progressSteps, promiseTime, rejectionForDecline, type InternalStatus } from './order.js';

const ALL: InternalStatus[] = [
  'PLACED',
  'PAYMENT_PENDING',
  'CONFIRMED',
  'ASSIGNED',
  'BAKING',
  'READY',
  'OUT_FOR_DELIVERY',
  'COMPLETED',
  'CANCELLED',
  'REJECTED',
  'ABANDONED',
];

describe('what each status allows', () => {
  test('a customer may cancel only before baking starts', () => {
    expect(ALL.filter(isCancellableByCustomer)).toStrictEqual(['PAYMENT_PENDING', 'CONFIRMED', 'ASSIGNED']);
  });

  test('an order ends completed, cancelled, rejected or abandoned', () => {
    expect(ALL.filter(isFinal)).toStrictEqual(['COMPLETED', 'CANCELLED', 'REJECTED', 'ABANDONED']);
  });

  test('PLACED and ABANDONED are internal: customers never see them', () => {
    expect(ALL.filter((status) => !isPublic(status))).toStrictEqual(['PLACED', 'ABANDONED']);
  });
});

describe('the way from kitchen to door', () => {
  test('a pickup is completed from READY; a delivery goes out first', () => {
    expect(fulfilmentPath('PICKUP')).toStrictEqual(['CONFIRMED', 'ASSIGNED', 'BAKING', 'READY', 'COMPLETED']);
    expect(fulfilmentPath('DELIVERY')).toStrictEqual(['CONFIRMED', 'ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY', 'COMPLETED']);
  });

  test('a report of the next step moves the order one step', () => {
    expect(progressSteps('ASSIGNED', 'BAKING', 'PICKUP')).toStrictEqual(['BAKING']);
    expect(progressSteps('READY', 'OUT_FOR_DELIVERY', 'DELIVERY')).toStrictEqual(['OUT_FOR_DELIVERY']);
  });

  test('a report that overtook the ones before it fills in the steps the order missed, in order', () => {
    expect(progressSteps('CONFIRMED', 'READY', 'PICKUP')).toStrictEqual(['ASSIGNED', 'BAKING', 'READY']);
    expect(progressSteps('BAKING', 'COMPLETED', 'DELIVERY')).toStrictEqual(['READY', 'OUT_FOR_DELIVERY', 'COMPLETED']);
  });

  test('a report that is not ahead of the order, or off its path, changes nothing', () => {
    expect(progressSteps('READY', 'BAKING', 'PICKUP')).toStrictEqual([]); // late
    expect(progressSteps('BAKING', 'BAKING', 'PICKUP')).toStrictEqual([]); // repeated
    expect(progressSteps('READY', 'OUT_FOR_DELIVERY', 'PICKUP')).toStrictEqual([]); // a pickup is never dispatched
    expect(progressSteps('PAYMENT_PENDING', 'BAKING', 'PICKUP')).toStrictEqual([]); // not paid yet
    expect(progressSteps('CANCELLED', 'COMPLETED', 'PICKUP')).toStrictEqual([]); // already over
  });

  test('a cancelled delivery is no step forward', () => {
    expect(progressSteps('ASSIGNED', 'CANCELLED', 'PICKUP')).toStrictEqual([]);
  });
});

test('the promise is the pickup or delivery wait after confirmation', () => {
  const confirmedAt = new Date('2026-03-01T09:00:00.000Z');
  const waits = { pickup: 1_800, delivery: 3_600 };
  expect(promiseTime(confirmedAt, 'PICKUP', waits)).toStrictEqual(new Date('2026-03-01T09:30:00.000Z'));
  expect(promiseTime(confirmedAt, 'DELIVERY', waits)).toStrictEqual(new Date('2026-03-01T10:00:00.000Z'));
});

test('a wallet without the money is INSUFFICIENT_FUNDS; every other decline is PAYMENT_DECLINED', () => {
  expect(rejectionForDecline('INSUFFICIENT_FUNDS')).toBe('INSUFFICIENT_FUNDS');
  expect(rejectionForDecline('CARD_DECLINED')).toBe('PAYMENT_DECLINED');
  expect(rejectionForDecline('INVALID_TOKEN')).toBe('PAYMENT_DECLINED');
  expect(rejectionForDecline(null)).toBe('PAYMENT_DECLINED');
});
