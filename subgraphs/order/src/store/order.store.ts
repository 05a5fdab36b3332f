import { Schema, Types, type Connection, type Model } from 'mongoose';
import type { OutboxEvent } from '../../../../lib/events.js';
import { isDuplicateKey } from '../../../../lib/mongo.js';
import { outboxFields, outboxUpdate } from '../../../../lib/outbox.js';
import {
  PUBLIC_STATUSES,
  type DeliveryStatus,
  type Fulfilment,
  type InternalStatus,
  type OrderStatus,
  type PaymentMethod,
  type RejectionReason,
  type StatusChange,
} from '../domain/order.js';

export interface OrderLineRecord {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

export type PaymentStatus = 'PENDING' | 'AUTHORIZED' | 'DECLINED' | 'REFUNDED' | 'VOIDED';

/** A saga step that has been done for the order, so a repeat records nothing twice. */
export type SagaStep = 'ReleaseStock' | 'CommitStock' | 'RefundPayment';

interface OrderDocument {
  _id: Types.ObjectId;
  customerId: string;
  idempotencyKey: string;
  lines: OrderLineRecord[];
  total: number;
  fulfilment: Fulfilment;
  deliveryAddress: string | null;
  paymentMethod: PaymentMethod;
  /** Kept only while payment may still be retried. */
  paymentToken: string | null;
  status: InternalStatus;
  rejectionReason: RejectionReason | null;
  history: StatusChange[];
  promisedBy: Date | null;
  holdDeadline: Date | null;
  // The customer's read model of the other contexts, kept current from events.
  paymentStatus: PaymentStatus | null;
  deliveryStatus: DeliveryStatus | null;
  bakerName: string | null;
  delayed: boolean;
  sagaSteps: SagaStep[];
  /**
   * Saga steps owed and not yet done (their events written, markStepDone not yet called), and
   * whether there are any: the recovery sweep finds unfinished compensations by this indexed flag,
   * an equality the store serves from an index, instead of reading every ended order.
   */
  sagaOwed: SagaStep[];
  sagaOwing: boolean;
  /** Events caused by the last changes, not yet published; only the relay reads them (see lib/outbox.ts). */
  outbox: unknown[];
  outboxPending: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** An order as the rest of the context sees it: the document with its id as a string. */
export type OrderRecord = Omit<OrderDocument, '_id' | 'outbox' | 'outboxPending'> & { id: string };

const toRecord = ({ _id, outbox: _outbox, outboxPending: _pending, ...fields }: OrderDocument): OrderRecord => ({ id: _id.toHexString(), ...fields });
const toRecordOrNull = (document: OrderDocument | null): OrderRecord | null => (document ? toRecord(document) : null);

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
  set?: Partial<Omit<OrderDocument, '_id' | 'outbox' | 'outboxPending' | 'history' | 'status'>>;
  /** Appended to the history; each entry's `at` is the one its OrderStatusChanged event carries. */
  history?: StatusChange[];
  events?: OutboxEvent[];
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

  /** Inserts a new order in PLACED; null when the customer used this key before. */
  insertPlaced(order: NewOrder): Promise<OrderRecord | null> {
    return this.insert({ ...order, _id: new Types.ObjectId(), status: 'PLACED', history: [], ...outboxFields([]) });
  }

  /**
   * Inserts a new order that is decided already (a sold-out product): its status, history and
   * events in one write. Null when the customer used this key before.
   */
  insertDecided(
    order: NewOrder & { id: string },
    change: Required<Pick<OrderChange, 'status' | 'history' | 'events'>> & Pick<OrderChange, 'set'>,
  ): Promise<OrderRecord | null> {
    const { id, ...fields } = order;
    const owed = owedBy(change.events);
    return this.insert({
      ...fields,
      ...change.set,
      _id: new Types.ObjectId(id),
      status: change.status,
      history: change.history,
      sagaOwed: owed,
      sagaOwing: owed.length > 0,
      ...outboxFields(change.events),
    });
  }

  /** A fresh id, for an order whose events must name it before it is written. */
  static newId(): string {
    return new Types.ObjectId().toHexString();
  }

  private async insert(document: Partial<OrderDocument>): Promise<OrderRecord | null> {
    try {
      const created = await this.model.create({ sagaSteps: [], ...document });
      return toRecord(created.toObject());
    } catch (error) {
      if (isDuplicateKey(error)) return null;
      throw error;
    }
  }

  async find(id: string): Promise<OrderRecord | null> {
    return toRecordOrNull(await this.model.findById(id).lean<OrderDocument>().exec());
  }

  async findByKey(customerId: string, idempotencyKey: string): Promise<OrderRecord | null> {
    return toRecordOrNull(await this.model.findOne({ customerId, idempotencyKey }).lean<OrderDocument>().exec());
  }

  async list(query: OrderListQuery): Promise<OrderRecord[]> {
    const filter: Record<string, unknown> = { status: query.status ?? { $in: PUBLIC_STATUSES } };
    if (query.customerId) filter.customerId = query.customerId;
    if (query.beforeId) filter._id = { $lt: new Types.ObjectId(query.beforeId) };
    return (await this.model.find(filter).sort({ _id: -1 }).limit(query.limit).lean<OrderDocument[]>().exec()).map(toRecord);
  }

  /**
   * Applies a change only while the order is in one of `from`: one atomic update that moves the
   * status, appends its history and puts its events in the outbox. Null when the order had moved
   * on: exactly one of any racing changes wins.
   */
  async change(id: string, from: readonly InternalStatus[], change: OrderChange): Promise<OrderRecord | null> {
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
    return toRecordOrNull(
      await this.model
        .findOneAndUpdate({ _id: id, status: { $in: from } }, update, { returnDocument: 'after' })
        .lean<OrderDocument>()
        .exec(),
    );
  }

  /** Records a saga step as done, with its history note, once however often it is repeated. */
  async markStepDone(id: string, step: SagaStep, note: StatusChange | null): Promise<boolean> {
    const update = note ? { $addToSet: { sagaSteps: step }, $push: { history: { $each: [note] } } } : { $addToSet: { sagaSteps: step } };
    const result = await this.model.updateOne({ _id: id, sagaSteps: { $ne: step } }, update);
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
  ): Promise<OrderRecord[]> {
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

  /** Orders that owe a saga step and last moved before `before` (see `sagaOwing`). */
  async owingSteps(before: Date, limit: number): Promise<OrderRecord[]> {
    return (
      await this.model
        .find({ sagaOwing: true, updatedAt: { $lt: before } })
        .limit(limit)
        .lean<OrderDocument[]>()
        .exec()
    ).map(toRecord);
  }

  /** Orders stuck in PLACED since before `before` (a process died in the middle of placing them). */
  async placedBefore(before: Date, limit: number): Promise<OrderRecord[]> {
    return (
      await this.model
        .find({ status: 'PLACED', createdAt: { $lt: before } })
        .limit(limit)
        .lean<OrderDocument[]>()
        .exec()
    ).map(toRecord);
  }
}
