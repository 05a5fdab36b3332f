/**
 * The outbox relay. A state change and the events it causes are written by one atomic update of
 * the aggregate's document (its `outbox` array, and `outboxPending: true`). The relay publishes
 * each pending event to the queues of its consumers (job id = event id) and then removes exactly
 * that element with `$pullAll`. A crash between the two publishes again later: consumers drop or
 * ignore repeats.
 *
 * `outboxPending` is what the sweep looks for: an equality on an indexed top-level field, which
 * both MongoDB and FerretDB serve from an index, so the sweep costs what is pending, not the
 * collection's whole history.
 */
import { Queue, type JobsOptions } from 'bullmq';
import pLimit from 'p-limit';
import type { Redis } from 'ioredis';
import { Types, type mongo } from 'mongoose';
import { isObjectIdString } from './ids.js';
import { Queues, ROUTES, type EventJob, type EventType, type OutboxEvent, type QueueName } from './events.js';
import { LiveChannels, publishNotice } from './live.js';
import type { Logger } from './logger.js';

/** Jobs keep their id long enough to drop repeats; failed ones stay for inspection. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: false,
};

/**
 * The saga's steps are retried until they succeed: many attempts, with a backoff that grows to a
 * ceiling the consuming worker sets (see `capped` in lib/queue-worker.ts).
 */
const QUEUE_JOB_OPTIONS: Partial<Record<QueueName, JobsOptions>> = {
  [Queues.orderSaga]: { attempts: 100_000, backoff: { type: 'capped', delay: 500 } },
  // Assignment waits for an active baker however long that takes.
  [Queues.deliveryEvents]: { attempts: 100_000, backoff: { type: 'capped', delay: 1_000 } },
  // What the delivery context tells the order (a baker, a step in the kitchen) is state the order
  // must not miss: an outage of the store longer than eight attempts must not drop it.
  [Queues.orderEvents]: { attempts: 100_000, backoff: { type: 'capped', delay: 1_000 } },
};

const isEvent = <T extends EventType>(event: OutboxEvent, type: T): event is OutboxEvent<T> => event.type === type;

export class EventPublisher {
  private readonly queues = new Map<QueueName, Queue<EventJob>>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  queue(name: QueueName): Queue<EventJob> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue<EventJob>(name, {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, ...QUEUE_JOB_OPTIONS[name] },
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async publish(event: OutboxEvent): Promise<void> {
    // The live notice first: a consumer's reaction (say, an assignment) must not overtake it.
    if (isEvent(event, 'OrderStatusChanged')) {
      const { orderId, customerId, status, at } = event.payload;
      await publishNotice(this.connection, this.prefix, LiveChannels.orderStatus, { orderId, customerId, status, at });
    }
    const delay = event.notBefore ? Math.max(0, new Date(event.notBefore).getTime() - Date.now()) : 0;
    const job: EventJob = { eventId: event.id, type: event.type, payload: event.payload, ...(event.trace ? { trace: event.trace } : {}) };
    await Promise.all(ROUTES[event.type].map((name) => this.queue(name).add(event.type, job, { jobId: event.id, delay })));
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}

type Document = mongo.Document;

/** A document's `_id` as stored: ObjectId ids may be given as their hex string. */
const documentId = (id: unknown): unknown => (typeof id === 'string' && isObjectIdString(id) ? new Types.ObjectId(id) : id);

/**
 * The update operators that put `events` in a document's outbox, to merge into the update of the
 * state change that causes them.
 */
export function outboxUpdate(events: readonly OutboxEvent[]): { $push?: { outbox: { $each: OutboxEvent[] } }; $set?: { outboxPending: true } } {
  return events.length > 0 ? { $push: { outbox: { $each: [...events] } }, $set: { outboxPending: true } } : {};
}

/** The outbox fields of a document inserted with `events` already pending. */
export const outboxFields = (events: readonly OutboxEvent[]) => ({ outbox: [...events], outboxPending: events.length > 0 });

interface WithOutbox extends mongo.Document {
  outbox?: OutboxEvent[];
  outboxPending?: boolean;
}

/** Documents whose events are published in the background at once, at most. */
const BACKGROUND_FLUSHES = 8;

export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly background = pLimit(BACKGROUND_FLUSHES);

  constructor(
    private readonly collection: mongo.Collection<WithOutbox>,
    private readonly publisher: EventPublisher,
    private readonly log: Logger,
  ) {}

  /**
   * Publishes the pending events of one document; the writer calls this right after its write.
   * `id` is the document's `_id`, or its hex string for ObjectId ids.
   */
  async flush(id: unknown): Promise<void> {
    id = documentId(id);
    const document = await this.collection.findOne({ _id: id } as Document, { projection: { outbox: 1, outboxPending: 1 } });
    for (const event of document?.outbox ?? []) {
      await this.publisher.publish(event);
      // Exactly the element as stored (read raw, never re-cast), so $pullAll matches it.
      await this.collection.updateOne({ _id: id } as Document, { $pullAll: { outbox: [event] } } as Document);
    }
    // Only an empty outbox clears the flag: an event pushed meanwhile keeps it set.
    if (document?.outboxPending)
      await this.collection.updateOne({ _id: id, outboxPending: true, outbox: { $size: 0 } } as Document, { $set: { outboxPending: false } });
  }

  /** Same as flush, but a failure is only logged: the sweep will publish it later. */
  async flushSoon(id: unknown): Promise<void> {
    try {
      await this.flush(id);
    } catch (error) {
      this.log.warn({ err: error, id }, 'outbox publish failed; the sweep will retry');
    }
  }

  /**
   * Publishes `events`, which the caller has just written to the document's outbox, after the
   * caller has answered, a few documents at a time. For writers whose answer need not wait for the
   * publish, such as the hundreds of orders a drop refuses in a second: the events are safe in the
   * document already, and the sweep publishes whatever a crash leaves behind. Knowing the events,
   * it reads nothing; when they are all the outbox holds, one update removes them and the flag.
   */
  flushInBackground(id: unknown, events: readonly OutboxEvent[]): void {
    id = documentId(id);
    void this.background(async () => {
      try {
        for (const event of events) await this.publisher.publish(event);
        const filter = { _id: id, outbox: { $size: events.length } } as Document;
        const removed = await this.collection.updateOne(filter, { $pullAll: { outbox: [...events] }, $set: { outboxPending: false } } as Document);
        if (removed.modifiedCount === 0) await this.flush(id); // more was pushed meanwhile, or a sweep got there first
      } catch (error) {
        this.log.warn({ err: error, id }, 'outbox publish failed; the sweep will retry');
      }
    });
  }

  /** Publishes whatever a crash or an outage left behind. */
  async sweep(limit = 100): Promise<number> {
    const pending = await this.collection
      .find({ outboxPending: true } as Document, { projection: { _id: 1 } })
      .limit(limit)
      .toArray();
    for (const { _id } of pending) await this.flush(_id);
    return pending.length;
  }

  /** Sweeps every `intervalMs` until stopped. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .then((count) => {
          if (count > 0) this.log.info({ count, collection: this.collection.collectionName }, 'outbox sweep published left-over events');
        })
        .catch((error: unknown) => this.log.warn({ err: error }, 'outbox sweep failed'))
        .finally(() => (this.sweeping = undefined));
    }, intervalMs);
  }

  /** Stops sweeping; background publishes not yet started are left to the next sweep. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.background.clearQueue();
    await this.sweeping;
    while (this.background.activeCount > 0) await new Promise((resolve) => setImmediate(resolve));
  }
}
