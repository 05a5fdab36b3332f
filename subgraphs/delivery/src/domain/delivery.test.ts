import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../../../lib/errors.js';
import { isOpen, nextStep, type DeliveryStatus, type Fulfilment, type StaffAction } from './delivery.js';

const orderId = '65a0000000000000000000aa';
const at = (status: DeliveryStatus, fulfilment: Fulfilment) => ({ orderId, status, fulfilment });

function refused(action: StaffAction, status: DeliveryStatus, fulfilment: Fulfilment, message?: RegExp) {
  assert.throws(
    () => nextStep(action, at(status, fulfilment)),
    (error: unknown) => error instanceof AppError && error.code === 'INVALID_TRANSITION' && (!message || message.test(error.message)),
    `${action} from ${status} (${fulfilment}) should be refused`,
  );
}

const ACTIONS: StaffAction[] = ['startBaking', 'markReady', 'dispatchOrder', 'completeOrder'];
const STATUSES: DeliveryStatus[] = ['ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY', 'COMPLETED', 'CANCELLED'];

describe('nextStep', () => {
  test('a pickup order goes ASSIGNED -> BAKING -> READY -> COMPLETED', () => {
    assert.deepEqual(nextStep('startBaking', at('ASSIGNED', 'PICKUP')), { from: 'ASSIGNED', to: 'BAKING' });
    assert.deepEqual(nextStep('markReady', at('BAKING', 'PICKUP')), { from: 'BAKING', to: 'READY' });
    assert.deepEqual(nextStep('completeOrder', at('READY', 'PICKUP')), { from: 'READY', to: 'COMPLETED' });
  });

  test('a delivery order goes out for delivery before it is completed', () => {
    assert.deepEqual(nextStep('markReady', at('BAKING', 'DELIVERY')), { from: 'BAKING', to: 'READY' });
    assert.deepEqual(nextStep('dispatchOrder', at('READY', 'DELIVERY')), { from: 'READY', to: 'OUT_FOR_DELIVERY' });
    assert.deepEqual(nextStep('completeOrder', at('OUT_FOR_DELIVERY', 'DELIVERY')), { from: 'OUT_FOR_DELIVERY', to: 'COMPLETED' });
    refused('completeOrder', 'READY', 'DELIVERY', /it is READY, not OUT_FOR_DELIVERY/);
  });

  test('a pickup order is never dispatched', () => {
    for (const status of STATUSES) refused('dispatchOrder', status, 'PICKUP', /for pickup/);
  });

  test('every other pair of action and status is an invalid transition', () => {
    const allowed = new Set([
      'startBaking ASSIGNED PICKUP', 'markReady BAKING PICKUP', 'completeOrder READY PICKUP',
      'startBaking ASSIGNED DELIVERY', 'markReady BAKING DELIVERY', 'dispatchOrder READY DELIVERY', 'completeOrder OUT_FOR_DELIVERY DELIVERY',
    ]);
    for (const fulfilment of ['PICKUP', 'DELIVERY'] as const) {
      for (const action of ACTIONS) {
        for (const status of STATUSES) {
          if (allowed.has(`${action} ${status} ${fulfilment}`)) assert.doesNotThrow(() => nextStep(action, at(status, fulfilment)));
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
  assert.deepEqual(STATUSES.filter(isOpen), ['ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY']);
});
