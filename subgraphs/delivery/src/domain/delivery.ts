/**
 * A delivery's life, from the moment a baker has the order until it is handed over. Pure: no I/O.
 *
 *   ASSIGNED -> BAKING -> READY -> COMPLETED                       (pickup)
 *   ASSIGNED -> BAKING -> READY -> OUT_FOR_DELIVERY -> COMPLETED   (delivery)
 *   any open status -> CANCELLED                                   (the order was cancelled or rejected)
 *
 * A cancellation that arrives before the assignment leaves a CANCELLED tombstone, so the late
 * assignment gives the order to nobody.
 */
import type { DeliveryStatusName } from '../../../../lib/statuses.js';
import { DeliveryErrors } from '../errors.js';

export type DeliveryStatus = DeliveryStatusName;
export type Fulfilment = 'PICKUP' | 'DELIVERY';

/** A baker is busy with a delivery in one of these; they count towards the baker's open orders. */
export const OPEN_STATUSES: readonly DeliveryStatus[] = ['ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY'];

export const isOpen = (status: DeliveryStatus): boolean => OPEN_STATUSES.includes(status);

/**
 * Whether an order that ended had ever been confirmed, and so offered to a baker: an order gets its
 * promise time when it is confirmed, and keeps it. One that never was (refused at placement, or its
 * payment never came) has nothing to take back and no late assignment to keep out, so it needs no
 * tombstone. In a drop, most orders end this way.
 */
export const wasConfirmed = (order: { promisedBy: string | null }): boolean => order.promisedBy !== null;

/** What staff do to an order in the kitchen and on the road, named as the API names them. */
export type StaffAction = 'startBaking' | 'markReady' | 'dispatchOrder' | 'completeOrder';

export interface Step {
  from: DeliveryStatus;
  to: DeliveryStatus;
}

const VERBS: Record<StaffAction, string> = {
  startBaking: 'start baking',
  markReady: 'mark ready',
  dispatchOrder: 'dispatch',
  completeOrder: 'complete',
};

function plannedStep(action: StaffAction, fulfilment: Fulfilment): Step | null {
  switch (action) {
    case 'startBaking':
      return { from: 'ASSIGNED', to: 'BAKING' };
    case 'markReady':
      return { from: 'BAKING', to: 'READY' };
    case 'dispatchOrder':
      return fulfilment === 'DELIVERY' ? { from: 'READY', to: 'OUT_FOR_DELIVERY' } : null;
    case 'completeOrder':
      return { from: fulfilment === 'DELIVERY' ? 'OUT_FOR_DELIVERY' : 'READY', to: 'COMPLETED' };
  }
}

/**
 * The one status change a staff action makes to this delivery, or INVALID_TRANSITION naming where
 * the delivery stands. The caller applies it as a conditional update from `from`.
 */
export function nextStep(action: StaffAction, delivery: { orderId: string; status: DeliveryStatus; fulfilment: Fulfilment }): Step {
  const step = plannedStep(action, delivery.fulfilment);
  if (!step) throw DeliveryErrors.pickupNotDispatched(delivery.orderId);
  if (delivery.status !== step.from) throw DeliveryErrors.wrongStatus(delivery.orderId, VERBS[action], delivery.status, step.from);
  return step;
}
