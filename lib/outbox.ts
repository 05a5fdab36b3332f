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
import { Queues, routesOf, type EventJob, type OutboxEvent, type QueueName } from './events.js';
import { liveChannelKey, type Announcement } from './live.js';
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

/** The live notice a context announces for one of its events, if any (see `LiveTopic`). */
export type Announce = (event: OutboxEvent) => Announcement | null;

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

  private job(event: OutboxEvent): { data: EventJob; opts: JobsOptions } {
    const delay = event.notBefore ? Math.max(0, new Date(event.notBefore).getTime() - Date.now()) : 0;
    const data: EventJob = { eventId: event.id, type: event.type, payload: event.payload, ...(event.trace ? { trace: event.trace } : {}) };
    return { data, opts: { jobId: event.id, delay } };
  }

  /**
   * Publishes events to their consumers' queues, after the live notices they announce (a
   * consumer's reaction, say an assignment, must not overtake its notice): the notices in one
   * pipeline, then one bulk add per queue (job id = event id, so a repeat is dropped).
   */
  async publishMany(items: ReadonlyArray<{ event: OutboxEvent; announcement: Announcement | null }>): Promise<void> {
    const notices = this.connection.pipeline();
    for (const { announcement } of items) {
      if (announcement) notices.publish(liveChannelKey(this.prefix, announcement.topic), JSON.stringify(announcement.notice));
    }
    if (notices.length > 0) await notices.exec();
    const byQueue = new Map<QueueName, Array<{ name: string; data: EventJob; opts: JobsOptions }>>();
    for (const { event } of items) {
      const job = this.job(event);
      for (const name of routesOf(event)) {
        const jobs = byQueue.get(name) ?? [];
        jobs.push({ name: event.type, ...job }); // addBulk merges the queue's default options, as add does
        byQueue.set(name, jobs);
      }
    }
    await Promise.all([...byQueue].map(([name, jobs]) => this.queue(name).addBulk(jobs)));
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

/** Batches whose events are published in the background at once, at most. */
const BACKGROUND_FLUSHES = 8;

/** A batch older than this is left over from a crash: no writer takes this long between its two writes. */
const BATCH_GRACE_MS = 30_000;

/** The events of documents inserted many at a time, until published (see `insertWithEvents`). */
interface OutboxBatch extends mongo.Document {
  _id: Types.ObjectId;
  at: Date;
  items: Array<{ id: unknown; events: OutboxEvent[] }>;
}

export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly background = pLimit(BACKGROUND_FLUSHES);

  constructor(
    private readonly collection: mongo.Collection<WithOutbox>,
    private readonly publisher: EventPublisher,
    private readonly log: Logger,
    options: {
      /** What the owning context announces live for its events (nothing, by default). */
      announce?: Announce;
      /** Where `insertWithEvents` keeps its batches (a collection of their own); needed only by its writers. */
      batches?: mongo.Collection;
    } = {},
  ) {
    this.announce = options.announce ?? (() => null);
    this.batches = options.batches as mongo.Collection<OutboxBatch> | undefined;
  }

  private readonly announce: Announce;
  private readonly batches: mongo.Collection<OutboxBatch> | undefined;

  /**
   * Publishes the pending events of one document; the writer calls this right after its write.
   * `id` is the document's `_id`, or its hex string for ObjectId ids.
   *
   * One read, one publish of every pending event, one update: the outbox is emptied and its flag
   * cleared only if it still holds exactly what was published (on FerretDB every update rewrites
   * the whole document and all its indexes, so one per event would cost a write each). If an
   * event was pushed meanwhile, only what was published is taken out, and the next round
   * publishes the rest.
   *
   * `pending`: the outbox as the writer's own update returned it (raw, as stored), which saves the
   * read. Should it no longer be what is stored (another flush was quicker, or more was pushed),
   * the update matches nothing and the next round reads; a repeat publish is dropped by job id.
   */
  async flush(id: unknown, pending?: readonly OutboxEvent[]): Promise<void> {
    id = documentId(id);
    let known = pending !== undefined && pending.length > 0 ? pending : undefined;
    for (;;) {
      const document: WithOutbox | null = known
        ? { outbox: [...known], outboxPending: true }
        : await this.collection.findOne({ _id: id } as Document, { projection: { outbox: 1, outboxPending: 1 } });
      known = undefined;
      // Exactly the elements as stored (read raw, never re-cast), so the filter and $pullAll match them.
      const events = document?.outbox ?? [];
      if (events.length === 0) {
        // Only an empty outbox clears the flag: an event pushed meanwhile keeps it set.
        if (document?.outboxPending)
          await this.collection.updateOne({ _id: id, outboxPending: true, outbox: { $size: 0 } } as Document, { $set: { outboxPending: false } });
        return;
      }
      await this.publisher.publishMany(events.map((event) => ({ event, announcement: this.announce(event) })));
      const emptied = await this.collection.updateOne({ _id: id, outbox: events } as Document, { $set: { outbox: [], outboxPending: false } });
      if (emptied.matchedCount === 1) return;
      await this.collection.updateOne({ _id: id } as Document, { $pullAll: { outbox: events } } as Document);
    }
  }

  /** Same as flush, but a failure is only logged: the sweep will publish it later. */
  async flushSoon(id: unknown, pending?: readonly OutboxEvent[]): Promise<void> {
    try {
      await this.flush(id, pending);
    } catch (error) {
      this.log.warn({ err: error, id }, 'outbox publish failed; the sweep will retry');
    }
  }

  /**
   * Inserts documents whose events are decided with them and never followed by more, many at a
   * time (the hundreds of orders a drop refuses in a second), without an outbox each: every one
   * would cost an update afterwards to empty it, and on FerretDB an update rewrites the whole
   * document and all its indexes. Instead their events go first into one outbox *batch*
   * document (in `<collection>_outbox`); `insert` then writes the documents themselves, without
   * events, and says which it inserted (null for one it did not, such as a used key). Once the
   * caller has its answer, the events of those inserted are published and the batch deleted: two
   * writes for the lot. A crash in between leaves the batch, and the sweep, once the batch is
   * older than any writer takes, publishes the events of the documents that exist (one that was
   * never inserted had its caller told nothing was done) and deletes it. `id` is each document's
   * `_id`, or its hex string for ObjectId ids.
   */
  async insertWithEvents<Inserted extends ReadonlyArray<unknown>>(
    documents: ReadonlyArray<{ id: unknown; events: readonly OutboxEvent[] }>,
    insert: () => Promise<Inserted>,
  ): Promise<Inserted> {
    if (!this.batches) throw new Error('OutboxRelay: insertWithEvents needs the `batches` collection');
    const items = documents.map(({ id, events }) => ({ id: documentId(id), events: [...events] }));
    const batch = { _id: new Types.ObjectId(), at: new Date(), items };
    await this.batches.insertOne(batch);
    const inserted = await insert();
    const published = items.filter((_, i) => inserted[i] !== null && inserted[i] !== undefined);
    void this.background(() => this.publishBatch(batch._id, published));
    return inserted;
  }

  /** Publishes the events of a batch's documents that were inserted, then deletes the batch. */
  private async publishBatch(batchId: Types.ObjectId, items: ReadonlyArray<{ events: readonly OutboxEvent[] }>): Promise<void> {
    try {
      await this.publisher.publishMany(items.flatMap(({ events }) => events.map((event) => ({ event, announcement: this.announce(event) }))));
      await this.batches?.deleteOne({ _id: batchId });
    } catch (error) {
      this.log.warn({ err: error, batch: batchId.toHexString() }, 'outbox batch publish failed; the sweep will retry');
    }
  }

  /** Batches a crash left behind (older than any writer takes): the events of the documents that exist. */
  private async sweepBatches(limit: number): Promise<number> {
    if (!this.batches) return 0;
    const left = await this.batches
      .find({ at: { $lt: new Date(Date.now() - BATCH_GRACE_MS) } })
      .limit(limit)
      .toArray();
    for (const batch of left) {
      const ids = batch.items.map(({ id }) => id);
      const existing = new Set(
        (await this.collection.find({ _id: { $in: ids } } as Document, { projection: { _id: 1 } }).toArray()).map(({ _id }) => String(_id)),
      );
      await this.publishBatch(
        batch._id,
        batch.items.filter(({ id }) => existing.has(String(id))),
      );
    }
    return left.length;
  }

  /** Publishes whatever a crash or an outage left behind. */
  async sweep(limit = 100): Promise<number> {
    const pending = await this.collection
      .find({ outboxPending: true } as Document, { projection: { _id: 1 } })
      .limit(limit)
      .toArray();
    for (const { _id } of pending) await this.flush(_id);
    return pending.length + (await this.sweepBatches(limit));
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
