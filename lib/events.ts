/**
 * The contract between contexts: every queue, every event, who consumes it (declared in
 * lib/contract.ts, re-exported here). Producers and consumers import their names and payload
 * types from here (domains, which must stay pure, from lib/contract.ts) and nowhere else.
 *
 * Events are BullMQ jobs, one queue per consuming context, job id = event id, so a repeat is
 * dropped while the job is kept. Delivery is at least once: every handler is idempotent.
 */
import { randomUUID } from 'node:crypto';
import { Queues, ROUTES, type EventDraft, type EventPayloads, type EventType, type QueueName } from './contract.js';
import { captureTrace, type TraceCarrier } from './telemetry.js';

export * from './contract.js';

/**
 * The queues one event goes to: its routes, less the consumers that would drop it unread. Delivery
 * acts on an order's confirmation (it assigns a baker) and on the end of a confirmed order (it
 * takes the delivery back); the moves in between are the delivery's own doing, and an order
 * refused or cancelled before it was ever confirmed has no delivery to take back. So delivery is
 * sent only those: in a drop, one job fewer for each of the hundreds of orders refused at once,
 * and for every order one fewer for each step from the oven to the door.
 */
export function routesOf(event: OutboxEvent): readonly QueueName[] {
  if (event.type !== 'OrderStatusChanged') return ROUTES[event.type];
  const { status, promisedBy } = (event as OutboxEvent<'OrderStatusChanged'>).payload;
  const deliveryActs = status === 'CONFIRMED' || ((status === 'CANCELLED' || status === 'REJECTED') && promisedBy !== null);
  return deliveryActs ? ROUTES.OrderStatusChanged : [Queues.notifications];
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

/** The outbox event of a domain's draft: the same type, payload and delay, with an id and the trace. */
export function fromDraft(draft: EventDraft): OutboxEvent {
  const trace = captureTrace();
  return { id: randomUUID(), type: draft.type, payload: draft.payload, at: new Date(), notBefore: draft.notBefore ?? null, ...(trace ? { trace } : {}) };
}

/** A job as a consumer receives it. */
export interface EventJob<T extends EventType = EventType> {
  eventId: string;
  type: T;
  payload: EventPayloads[T];
  trace?: TraceCarrier;
}

/**
 * The delayed job on `Queues.promiseChecks` that fires at an order's promise time. Only the delivery
 * context produces and consumes it, but its queue is part of the contract like every other.
 */
export interface PromiseCheckJob {
  orderId: string;
}

export const isPromiseCheckJob = (value: unknown): value is PromiseCheckJob =>
  typeof value === 'object' && value !== null && 'orderId' in value && typeof value.orderId === 'string';

/** One check per order however often it is scheduled: BullMQ drops a job whose id it holds. */
export const promiseCheckJobId = (orderId: string): string => `promise-${orderId}`;

/** Narrows a job to one event type. */
export const isEvent = <T extends EventType>(job: EventJob, type: T): job is EventJob<T> => job.type === type;
