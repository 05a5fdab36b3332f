/**
 * The contract between contexts: every queue, every event and who consumes it, as names and types.
 * Pure (no I/O, no Node built-ins), so a domain may describe the events it causes as `EventDraft`s;
 * lib/events.ts re-exports all of it and turns drafts into outbox events.
 */
import type { DeliveryStatusName, OrderStatusName } from './statuses.js';

export const Queues = {
  /** Order context: what other contexts tell it (assignment, delivery progress, delays). */
  orderEvents: 'order-events',
  /** Order context: the saga's follow-up calls and compensations, retried until they succeed. */
  orderSaga: 'order-saga',
  /** Order context: a message to the customer for every status change they can see. */
  notifications: 'notifications',
  /** Delivery context: orders to assign, or to take back from their baker. */
  deliveryEvents: 'delivery-events',
  /** Delivery context: a delayed job per order at its promise time (a PromiseCheckJob, not an event). */
  promiseChecks: 'promise-checks',
  /** Payment context: the hourly clearing of settled payments from their wallets (a job scheduler's job, not an event). */
  walletClearing: 'wallet-clearing',
} as const;
export type QueueName = (typeof Queues)[keyof typeof Queues];

export interface EventPayloads {
  /** The order moved; the customer can see it. */
  OrderStatusChanged: {
    orderId: string;
    customerId: string;
    status: OrderStatusName;
    reason: string | null;
    fulfilment: 'PICKUP' | 'DELIVERY';
    /** ISO instant, once the order is confirmed. */
    promisedBy: string | null;
    at: string;
  };
  /** Delivery gave the order to a baker. */
  BakerAssigned: { orderId: string; deliveryId: string; bakerId: string; bakerName: string };
  /** Staff moved the order on in the kitchen or on the road. */
  DeliveryProgressed: { orderId: string; status: DeliveryStatusName };
  /** The promise time passed before the order was completed. */
  DeliveryDelayed: { orderId: string; promisedBy: string };
  /** Saga steps the order context owes other contexts; each is retried until it succeeds. */
  ReleaseStock: { orderId: string };
  CommitStock: { orderId: string };
  RefundPayment: { orderId: string };
  SettlePendingPayment: { orderId: string };
}
export type EventType = keyof EventPayloads;

/** Which queues each event goes to. */
export const ROUTES: { readonly [T in EventType]: readonly QueueName[] } = {
  OrderStatusChanged: [Queues.notifications, Queues.deliveryEvents],
  BakerAssigned: [Queues.orderEvents],
  DeliveryProgressed: [Queues.orderEvents],
  DeliveryDelayed: [Queues.orderEvents],
  ReleaseStock: [Queues.orderSaga],
  CommitStock: [Queues.orderSaga],
  RefundPayment: [Queues.orderSaga],
  SettlePendingPayment: [Queues.orderSaga],
};

/** An event a domain decides on, before it gets an id and a trace (see `fromDraft` in lib/events.ts). */
export type EventDraft = { [T in EventType]: { type: T; payload: EventPayloads[T]; notBefore?: Date } }[EventType];
