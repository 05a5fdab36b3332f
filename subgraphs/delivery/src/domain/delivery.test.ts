import { describe, expect, test } from '@jest/globals';
import { appError, thrownBy } from '../../../../test/support/errors.js';
import { isOpen, nextStep, wasConfirmed, type DeliveryStatus, type Fulfilment, type StaffAction } from './delivery.js';

const orderId = '65a0000000000000000000aa';
const at = (status: DeliveryStatus, fulfilment: Fulfilment) => ({ orderId, status, fulfilment });

function refused(action: StaffAction, status: DeliveryStatus, fulfilment: Fulfilment, message?: RegExp) {
  // The attempt is compared with its error, so a failure inside a loop says which one it was.
  const attempt = `${action} from ${status} (${fulfilment})`;
  expect({ attempt, error: thrownBy(() => nextStep(action, at(status, fulfilment))) }).toStrictEqual({
    attempt,
    error: appError('INVALID_TRANSITION', message ? { message } : {}),
  });
}

const ACTIONS: StaffAction[] = ['startBaking', 'markReady', 'dispatchOrder', 'completeOrder'];
const STATUSES: DeliveryStatus[] = ['ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY', 'COMPLETED', 'CANCELLED'];

describe('nextStep', () => {
  test('a pickup order goes ASSIGNED -> BAKING -> READY -> COMPLETED', () => {
    expect(nextStep('startBaking', at('ASSIGNED', 'PICKUP'))).toStrictEqual({ from: 'ASSIGNED', to: 'BAKING' });
    expect(nextStep('markReady', at('BAKING', 'PICKUP'))).toStrictEqual({ from: 'BAKING', to: 'READY' });
    expect(nextStep('completeOrder', at('READY', 'PICKUP'))).toStrictEqual({ from: 'READY', to: 'COMPLETED' });
  });

  test('a delivery order goes out for delivery before it is completed', () => {
    expect(nextStep('markReady', at('BAKING', 'DELIVERY'))).toStrictEqual({ from: 'BAKING', to: 'READY' });
    expect(nextStep('dispatchOrder', at('READY', 'DELIVERY'))).toStrictEqual({ from: 'READY', to: 'OUT_FOR_DELIVERY' });
    expect(nextStep('completeOrder', at('OUT_FOR_DELIVERY', 'DELIVERY'))).toStrictEqual({ from: 'OUT_FOR_DELIVERY', to: 'COMPLETED' });
    refused('completeOrder', 'READY', 'DELIVERY', /it is READY, not OUT_FOR_DELIVERY/);
  });

  test('a pickup order is never dispatched', () => {
    for (const status of STATUSES) refused('dispatchOrder', status, 'PICKUP', /for pickup/);
  });

  test('every other pair of action and status is an invalid transition', () => {
    const allowed = new Set([
      'startBaking ASSIGNED PICKUP',
      'markReady BAKING PICKUP',
      'completeOrder READY PICKUP',
      'startBaking ASSIGNED DELIVERY',
      'markReady BAKING DELIVERY',
      'dispatchOrder READY DELIVERY',
      'completeOrder OUT_FOR_DELIVERY DELIVERY',
    ]);
    for (const fulfilment of ['PICKUP', 'DELIVERY'] as const) {
      for (const action of ACTIONS) {
        for (const status of STATUSES) {
          if (allowed.has(`${action} ${status} ${fulfilment}`)) expect(() => nextStep(action, at(status, fulfilment))).not.toThrow();
          else refused(action, status, fulfilment);
        }
      }
    }
  });

  test('the refusal says where the order stands', () => {
    refused('startBaking', 'CANCELLED', 'PICKUP', new RegExp(`cannot start baking order ${orderId}: it is CANCELLED, not ASSIGNED`));
  });
});

test('a baker is busy with a delivery until it is completed or cancelled', () => {
  expect(STATUSES.filter(isOpen)).toStrictEqual(['ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY']);
});

test('an order that ended was offered to a baker only if it had been confirmed (it has a promise time)', () => {
  expect(wasConfirmed({ promisedBy: '2026-11-27T12:00:00.000Z' })).toBe(true);
  expect(wasConfirmed({ promisedBy: null })).toBe(false);
});
