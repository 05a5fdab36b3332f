import { invalidTransition, serviceUnavailable } from '../../../lib/errors.js';

/** Every error the delivery context raises, in one place. */
export const DeliveryErrors = {
  /**
   * No delivery for a well-formed order id. The delivery context cannot tell an unknown order from
   * one that is confirmed but not yet assigned (it never reads the order database), so both are
   * "not assigned yet": the staff member may try again in a moment.
   */
  notAssigned: (orderId: string) => invalidTransition(`order ${orderId} is not assigned to a baker yet`),
  wrongStatus: (orderId: string, action: string, status: string, expected: string) =>
    invalidTransition(`cannot ${action} order ${orderId}: it is ${status}, not ${expected}`),
  pickupNotDispatched: (orderId: string) => invalidTransition(`order ${orderId} is for pickup: only delivery orders are dispatched`),
  /** Thrown by the assignment job so BullMQ retries it with backoff until a baker is active. */
  noActiveBaker: (orderId: string) => serviceUnavailable(`no active baker to assign order ${orderId} to`),
};
