/**
 * The contract between contexts: every queue, every event, who consumes it. Producers and
 * consumers import their names and payload types from here and nowhere else.
 *
 * Events are BullMQ jobs, one queue per consuming context, job id = event id, so a repeat is
 * dropped while the job is kept. Delivery is at least once: every handler is idempotent.
 */
import { randomUUID } from 'node:crypto';
import { captureTrace, type TraceCarrier } from './telemetry.js';

export const Queues = {
  /** Order context: what other contexts tell it (assignment, delivery progress, delays). */
  orderEvents: 'order-events',
  /** Order context: the saga's follow-up calls and compensations, retried until they succeed. */
  orderSaga: 'order-saga',
  /** Order context: a message to the customer for every status change they can see. */
  notifications: 'notifications',
  /** Delivery context: orders to assign, or to take back from their baker. */
  deliveryEvents: 'delivery-events',
  /** Delivery context: a delayed job per order at its promise time. */
  promiseChecks: 'promise-checks',
} as const;
export type QueueName = (typeof Queues)[keyof typeof Queues];

export type OrderStatusName = 'PAYMENT_PENDING' | 'CONFIRMED' | 'ASSIGNED' | 'BAKING' | 'READY' | 'OUT_FOR_DELIVERY' | 'COMPLETED' | 'CANCELLED' | 'REJECTED';
export type DeliveryStatusName = 'ASSIGNED' | 'BAKING' | 'READY' | 'OUT_FOR_DELIVERY' | 'COMPLETED' | 'CANCELLED';

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

/**
 * The queues one event goes to: its routes, less the consumers that would drop it unread. Delivery
 * follows an order from its confirmation on (an order refused or cancelled before it was ever
 * confirmed has no delivery to take back), so it is not sent the moves of orders never confirmed:
 * in a drop, that is one job fewer for each of the hundreds of orders refused at once.
 */
export function routesOf(event: OutboxEvent): readonly QueueName[] {
  if (event.type !== 'OrderStatusChanged') return ROUTES[event.type];
  const { status, promisedBy } = (event as OutboxEvent<'OrderStatusChanged'>).payload;
  return status === 'CONFIRMED' || promisedBy !== null ? ROUTES.OrderStatusChanged : [Queues.notifications];
}

/** An event as it waits in an aggregate's outbox, written by the same update as the change. */
export interface OutboxEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  payload: EventPayloads[T];
  at: Date;
  /** Not to be handled before this instant (a delayed job). */
  notBefore: Date | null;
  /** The trace and request id of the work that caused the event, carried into its jobs. */
  trace?: TraceCarrier;
}

export function newEvent<T extends EventType>(type: T, payload: EventPayloads[T], notBefore: Date | null = null): OutboxEvent<T> {
  const trace = captureTrace();
  return { id: randomUUID(), type, payload, at: new Date(), notBefore, ...(trace ? { trace } : {}) };
}

/** A job as a consumer receives it. */
export interface EventJob<T extends EventType = EventType> {
  eventId: string;
  type: T;
  payload: EventPayloads[T];
  trace?: TraceCarrier;
}

/** Narrows a job to one event type. */
export const isEvent = <T extends EventType>(job: EventJob, type: T): job is EventJob<T> => job.type === type;
