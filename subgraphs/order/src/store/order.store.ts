import { Schema, Types, type Connection, type Model } from 'mongoose';
import type { OutboxEvent } from '../../../../lib/events.js';
import { isObjectIdString } from '../../../../lib/ids.js';
import { insertEachNew, isDuplicateKey } from '../../../../lib/mongo.js';
import { outboxFields, outboxUpdate } from '../../../../lib/outbox.js';
import { INTERNAL_STATUSES, type InternalStatus, type Order, type OrderStatus, type SagaStep, type StatusChange } from '../domain/order.js';

/**
 * The stored document: the order with an ObjectId, the outbox only the relay reads (see
 * lib/outbox.ts), and the saga steps owed, which only the recovery sweep reads.
 */
interface OrderDocument extends Omit<Order, 'id'> {
  _id: Types.ObjectId;
  outbox: unknown[];
  outboxPending: boolean;
  /**
   * Saga steps owed and not yet done (their events written, markStepDone not yet called), and
   * whether there are any: the recovery sweep finds unfinished compensations by this indexed flag,
   * an equality the store serves from an index, instead of reading every ended order.
   */
  sagaOwed: SagaStep[];
  sagaOwing: boolean;
}

const toRecord = ({ _id, outbox: _outbox, outboxPending: _pending, sagaOwed: _owed, sagaOwing: _owing, ...fields }: OrderDocument): Order => ({
  id: _id.toHexString(),
  ...fields,
});
const toRecordOrNull = (document: OrderDocument | null): Order | null => (document ? toRecord(document) : null);

/** An order just changed, and the events waiting in its outbox, exactly as stored. */
export interface Changed {
  order: Order;
  pending: OutboxEvent[];
}

const orderSchema = new Schema<OrderDocument>(
  {
    customerId: { type: String, required: true },
    idempotencyKey: { type: String, required: true },
    lines: { type: [{ _id: false, productId: String, name: String, quantity: Number, unitPrice: Number }], required: true },
    total: { type: Number, required: true },
    fulfilment: { type: String, required: true },
    deliveryAddress: { type: String, default: null },
    paymentMethod: { type: String, required: true },
    paymentToken: { type: String, default: null },
    status: { type: String, required: true },
    rejectionReason: { type: String, default: null },
    history: { type: [{ _id: false, status: String, at: Date, reason: { type: String, default: null } }], default: [] },
    promisedBy: { type: Date, default: null },
    holdDeadline: { type: Date, default: null },
    paymentStatus: { type: String, default: null },
    deliveryStatus: { type: String, default: null },
    bakerName: { type: String, default: null },
    delayed: { type: Boolean, default: false },
    sagaSteps: { type: [String], default: [] },
    sagaOwed: { type: [String], default: [] },
    sagaOwing: { type: Boolean, default: false },
    // Mixed, so elements are stored exactly as written and the relay's $pullAll can match them.
    outbox: { type: [Schema.Types.Mixed], default: [] },
    outboxPending: { type: Boolean, default: false },
  },
  { collection: 'orders', timestamps: true, versionKey: false, minimize: false },
);
// One order per customer and key: the idempotency of placeOrder rests on this index.
orderSchema.index({ customerId: 1, idempotencyKey: 1 }, { unique: true });
orderSchema.index({ customerId: 1, _id: -1 });
orderSchema.index({ status: 1, _id: -1 });
orderSchema.index({ outboxPending: 1 });
orderSchema.index({ sagaOwing: 1 });

const SAGA_STEPS: readonly string[] = ['ReleaseStock', 'CommitStock', 'RefundPayment'] satisfies SagaStep[];

/** The saga steps a change's events ask for, to be recorded as owed by the same write. */
const owedBy = (events: readonly OutboxEvent[] = []): SagaStep[] =>
  events.flatMap((event) => (SAGA_STEPS.includes(event.type) ? [event.type as SagaStep] : []));

export type NewOrder = Pick<
  OrderDocument,
  'customerId' | 'idempotencyKey' | 'lines' | 'total' | 'fulfilment' | 'deliveryAddress' | 'paymentMethod' | 'paymentToken'
>;

export interface OrderChange {
  status?: InternalStatus;
  set?: Partial<Omit<OrderDocument, '_id' | 'outbox' | 'outboxPending' | 'sagaOwed' | 'sagaOwing' | 'history' | 'status'>>;
  /** Appended to the history; each entry's `at` is the one its OrderStatusChanged event carries. */
  history?: StatusChange[];
  events?: OutboxEvent[];
}

/** A new order with its verdict already given: inserted as it will stay. */
export interface DecidedOrder {
  order: NewOrder & { id: string };
  change: Required<Pick<OrderChange, 'status' | 'history' | 'events'>> & Pick<OrderChange, 'set'>;
}

/**
 * The stored form of a decided order, every field the schema declares with its default, written
 * without a mongoose document so that a burst of them costs one write and no per-order casting.
 * The store's tests compare it with what the schema itself makes of the same order.
 */
function decidedDocument({ order, change }: DecidedOrder, now: Date): OrderDocument {
  const { id, ...fields } = order;
  const owed = owedBy(change.events);
  return {
    _id: new Types.ObjectId(id),
    ...fields,
    lines: fields.lines.map(({ productId, name, quantity, unitPrice }) => ({ productId, name, quantity, unitPrice })),
    deliveryAddress: fields.deliveryAddress ?? null,
    paymentToken: fields.paymentToken ?? null,
    status: change.status,
    rejectionReason: null,
    history: change.history.map(({ status, at, reason }) => ({ status, at, reason: reason ?? null })),
    promisedBy: null,
    holdDeadline: null,
    paymentStatus: null,
    deliveryStatus: null,
    bakerName: null,
    delayed: false,
    sagaSteps: [],
    ...change.set,
    sagaOwed: owed,
    sagaOwing: owed.length > 0,
    // Its events are the relay's to keep until published (OutboxRelay.insertWithEvents).
    ...outboxFields([]),
    createdAt: now,
    updatedAt: now,
  };
}

export interface OrderListQuery {
  customerId?: string;
  status?: OrderStatus;
  /** Newest first: the page continues below this id. */
  beforeId?: string;
  limit: number;
}

export class OrderStore {
  readonly model: Model<OrderDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<OrderDocument>('Order', orderSchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  /** The raw collection, for the outbox relay. */
  get collection() {
    return this.model.collection;
  }

  /** The outbox batches of orders inserted many at a time (OutboxRelay.insertWithEvents). */
  get outboxBatches() {
    return this.model.db.collection('orders_outbox');
  }

  /** Inserts a new order in PLACED; null when the customer used this key before. */
  insertPlaced(order: NewOrder): Promise<Order | null> {
    return this.insert({ ...order, _id: new Types.ObjectId(), status: 'PLACED', history: [], ...outboxFields([]) });
  }

  /**
   * Inserts orders that are decided already (a sold-out product refuses them at once), each with
   * its status and history, all in one write; their events are written by the caller, through the
   * outbox relay's batch (OutboxRelay.insertWithEvents). Each answer is the order, or null where
   * its customer used that key before (the unique index refused it alone).
   */
  async insertDecidedMany(decided: readonly DecidedOrder[]): Promise<Array<Order | null>> {
    const now = new Date();
    const documents = decided.map((one) => decidedDocument(one, now));
    const refused = await insertEachNew(this.collection, documents);
    return documents.map((document, i) => (refused.has(i) ? null : toRecord(document)));
  }

  /** A fresh id, for an order whose events must name it before it is written. */
  static newId(): string {
    return new Types.ObjectId().toHexString();
  }

  private async insert(document: Partial<OrderDocument>): Promise<Order | null> {
    try {
      const created = await this.model.create({ sagaSteps: [], ...document });
      return toRecord(created.toObject());
    } catch (error) {
      if (isDuplicateKey(error)) return null;
      throw error;
    }
  }

  async find(id: string): Promise<Order | null> {
    return toRecordOrNull(await this.model.findById(id).lean<OrderDocument>().exec());
  }

  /** The orders with these ids (one query: `$in` on `_id`); ids that are not object ids name none. */
  async findMany(ids: readonly string[]): Promise<Order[]> {
    const wellFormed = ids.filter(isObjectIdString);
    if (wellFormed.length === 0) return [];
    return (
      await this.model
        .find({ _id: { $in: wellFormed.map((id) => new Types.ObjectId(id)) } })
        .lean<OrderDocument[]>()
        .exec()
    ).map(toRecord);
  }

  async findByKey(customerId: string, idempotencyKey: string): Promise<Order | null> {
    return toRecordOrNull(await this.model.findOne({ customerId, idempotencyKey }).lean<OrderDocument>().exec());
  }

  /**
   * A page of public orders, newest first. Without a status, the internal ones are left out with
   * `$nin` rather than the public ones listed with `$in`: the store pushes an `$in` down as one
   * condition per status that PostgreSQL checks on every order the customer's index found, and a
   * `$nin` of two statuses as two (measured: about a third less store CPU for the query). The
   * whole filter is pushed down, so the store also stops at the page's limit (FerretDB patch 0009).
   */
  async list(query: OrderListQuery): Promise<Order[]> {
    const filter: Record<string, unknown> = { status: query.status ?? { $nin: INTERNAL_STATUSES } };
    if (query.customerId) filter.customerId = query.customerId;
    if (query.beforeId) filter._id = { $lt: new Types.ObjectId(query.beforeId) };
    return (await this.model.find(filter).sort({ _id: -1 }).limit(query.limit).lean<OrderDocument[]>().exec()).map(toRecord);
  }

  /**
   * Applies a change only while the order is in one of `from`: one atomic update that moves the
   * status, appends its history and puts its events in the outbox. Null when the order had moved
   * on: exactly one of any racing changes wins. With the order comes its outbox as the update left
   * it, raw, for the relay's flush (which then need not read it again).
   */
  async change(id: string, from: readonly InternalStatus[], change: OrderChange): Promise<Changed | null> {
    const history = change.history ?? [];
    const outbox = outboxUpdate(change.events ?? []);
    const owed = owedBy(change.events);
    const update: Record<string, unknown> = {
      $set: { ...change.set, ...(change.status ? { status: change.status } : {}), ...outbox.$set, ...(owed.length > 0 ? { sagaOwing: true } : {}) },
    };
    const push: Record<string, unknown> = { ...outbox.$push };
    if (history.length > 0) push.history = { $each: history };
    if (owed.length > 0) push.sagaOwed = { $each: owed };
    if (Object.keys(push).length > 0) update.$push = push;
    const document = await this.model
      .findOneAndUpdate({ _id: id, status: { $in: from } }, update, { returnDocument: 'after' })
      .lean<OrderDocument>()
      .exec();
    return document ? { order: toRecord(document), pending: document.outbox as OutboxEvent[] } : null;
  }

  /** Records a saga step as done, with its history note, once however often it is repeated. */
  async markStepDone(id: string, step: SagaStep, note: StatusChange | null): Promise<boolean> {
    const history = note ? { $push: { history: { $each: [note] } } } : {};
    // Usually the step is done for the first time and is the last one owed: one update records it,
    // takes it off what is owed and clears the flag (on FerretDB each update rewrites the document).
    const last = await this.model.updateOne(
      { _id: id, sagaSteps: { $ne: step }, sagaOwed: [step] },
      { $addToSet: { sagaSteps: step }, $set: { sagaOwed: [], sagaOwing: false }, ...history },
    );
    if (last.modifiedCount === 1) return true;
    const result = await this.model.updateOne({ _id: id, sagaSteps: { $ne: step } }, { $addToSet: { sagaSteps: step }, ...history });
    // No longer owed (also after a repeat that found it done: a crash may have come in between).
    await this.model.updateOne({ _id: id }, { $pullAll: { sagaOwed: [step] } });
    await this.model.updateOne({ _id: id, sagaOwing: true, sagaOwed: { $size: 0 } }, { $set: { sagaOwing: false } });
    return result.modifiedCount === 1;
  }

  /** The promise time passed before completion: recorded once. */
  async markDelayed(id: string): Promise<boolean> {
    const result = await this.model.updateOne({ _id: id, delayed: false }, { $set: { delayed: true } });
    return result.modifiedCount === 1;
  }

  /** Keeps the read model current without touching the status. */
  async updateReadModel(id: string, set: Partial<Pick<OrderDocument, 'paymentStatus' | 'deliveryStatus' | 'bakerName' | 'delayed'>>): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: set });
  }

  /**
   * For the saga's recovery sweep: orders in one of `statuses` (and matching `where`, equalities
   * only) that last moved between `after` and `before`, resting in their step past its deadline;
   * oldest first. One query per status: the store serves an equality from its index, not `$in`.
   */
  async restingIn(
    statuses: readonly InternalStatus[],
    window: { before: Date; after?: Date },
    where: Record<string, string | boolean>,
    limit: number,
  ): Promise<Order[]> {
    const updatedAt = { $lt: window.before, ...(window.after ? { $gt: window.after } : {}) };
    const found = await Promise.all(
      statuses.map((status) =>
        this.model
          .find({ status, updatedAt, ...where })
          .sort({ updatedAt: 1 })
          .limit(limit)
          .lean<OrderDocument[]>()
          .exec(),
      ),
    );
    return found
      .flat()
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())
      .slice(0, limit)
      .map(toRecord);
  }

  /** Orders that owe a saga step and last moved before `before` (see `sagaOwing`), each with the steps it owes. */
  async owingSteps(before: Date, limit: number): Promise<Array<{ order: Order; owed: SagaStep[] }>> {
    return (
      await this.model
        .find({ sagaOwing: true, updatedAt: { $lt: before } })
        .limit(limit)
        .lean<OrderDocument[]>()
        .exec()
    ).map((document) => ({ order: toRecord(document), owed: document.sagaOwed }));
  }

  /** Orders stuck in PLACED since before `before` (a process died in the middle of placing them). */
  async placedBefore(before: Date, limit: number): Promise<Order[]> {
    return (
      await this.model
        .find({ status: 'PLACED', createdAt: { $lt: before } })
        .limit(limit)
        .lean<OrderDocument[]>()
        .exec()
    ).map(toRecord);
  }
}
