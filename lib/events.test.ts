import { describe, expect, it } from '@jest/globals';
import { newEvent, Queues, routesOf } from './events.js';

const statusChanged = (status: 'CONFIRMED' | 'REJECTED' | 'CANCELLED' | 'BAKING', promisedBy: string | null) =>
  newEvent('OrderStatusChanged', { orderId: 'o', customerId: 'c', status, reason: null, fulfilment: 'PICKUP', promisedBy, at: '2026-12-03T10:00:00.000Z' });

describe('routesOf', () => {
  it('sends a confirmation, and the end of a confirmed order, to notifications and delivery', () => {
    expect(routesOf(statusChanged('CONFIRMED', '2026-12-03T10:30:00.000Z'))).toEqual([Queues.notifications, Queues.deliveryEvents]);
    expect(routesOf(statusChanged('CANCELLED', '2026-12-03T10:30:00.000Z'))).toEqual([Queues.notifications, Queues.deliveryEvents]);
    expect(routesOf(statusChanged('REJECTED', '2026-12-03T10:30:00.000Z'))).toEqual([Queues.notifications, Queues.deliveryEvents]);
  });

  it('spares delivery the moves it made itself: the customer is still told', () => {
    expect(routesOf(statusChanged('BAKING', '2026-12-03T10:30:00.000Z'))).toEqual([Queues.notifications]);
  });

  it('spares delivery the orders never confirmed: the customer is still told', () => {
    expect(routesOf(statusChanged('REJECTED', null))).toEqual([Queues.notifications]);
    expect(routesOf(statusChanged('CANCELLED', null))).toEqual([Queues.notifications]);
  });

  it('sends other events to their routes', () => {
    expect(routesOf(newEvent('ReleaseStock', { orderId: 'o' }))).toEqual([Queues.orderSaga]);
  });
});
