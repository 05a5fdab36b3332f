import { Schema, Types, type Connection, type Model } from 'mongoose';
import type { OutboxEvent } from '../../../../lib/events.js';
import { isObjectIdString } from '../../../../lib/ids.js';
import { isDuplicateKey } from '../../../../lib/mongo.js';
import { outboxFields } from '../../../../lib/outbox.js';
import { isOpen, type DeliveryStatus, type Fulfilment, type Step } from '../domain/delivery.js';

/**
 * One document per order, keyed by the order's id: who bakes it and where it stands. Keyed so,
 * an order is assigned once (a tombstone keeps a late assignment out), and every lookup and
 * change is by `_id`.
 */
interface DeliveryDocument {
  _id: Types.ObjectId;
  orderId: string;
  /** Whose order it is, so a customer sees only their own (null on deliveries made before it was kept). */
  customerId: string | null;
  /** Null for a tombstone (cancelled before it was assigned). */
  bakerId: string | null;
  status: DeliveryStatus;
  /**
   * Whether the status is one of the open ones, kept with every status change: a baker's open
   * orders are found by equality on indexed fields, never by reading the baker's whole history.
   */
  open: boolean;
  fulfilment: Fulfilment;
  promisedBy: Date | null;
  /** The promise time passed before completion (set once, by the promise check). */
  delayed: boolean;
  /** Events caused by the last changes, not yet published (see lib/outbox.ts). */
  outbox: OutboxEvent[];
  outboxPending: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A delivery as the rest of the context sees it: the document with its id as a string. */
export type DeliveryRecord = Omit<DeliveryDocument, '_id' | 'outbox' | 'outboxPending' | 'open'> & { id: string };

const toRecord = ({ _id, outbox: _outbox, outboxPending: _pending, open: _open, ...fields }: DeliveryDocument): DeliveryRecord => ({
  id: _id.toHexString(),
  ...fields,
});
const toRecordOrNull = (document: DeliveryDocument | null): DeliveryRecord | null => (document ? toRecord(document) : null);

const deliverySchema = new Schema<DeliveryDocument>(
  {
    orderId: { type: String, required: true },
    customerId: { type: String, default: null },
    bakerId: { type: String, default: null },
    status: { type: String, required: true },
    open: { type: Boolean, required: true },
    fulfilment: { type: String, required: true },
    promisedBy: { type: Date, default: null },
    delayed: { type: Boolean, required: true, default: false },
    // Mixed, so elements are stored exactly as written and the relay's $pullAll can match them.
    outbox: [Schema.Types.Mixed],
    outboxPending: { type: Boolean, default: false },
  },
  { collection: 'deliveries', timestamps: true, versionKey: false, minimize: false },
);
// Counting open orders, per baker and in all.
deliverySchema.index({ open: 1, bakerId: 1 });
deliverySchema.index({ outboxPending: 1 });

export type NewDelivery = Pick<DeliveryDocument, 'orderId' | 'customerId' | 'bakerId' | 'status' | 'fulfilment' | 'promisedBy' | 'outbox'>;

const byOrder = (orderId: string) => ({ _id: new Types.ObjectId(orderId) });

export class DeliveryStore {
  readonly model: Model<DeliveryDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<DeliveryDocument>('Delivery', deliverySchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  /** The raw collection, for the outbox relay. */
  get collection() {
    return this.model.collection;
  }

  async find(id: string): Promise<DeliveryRecord | null> {
    return toRecordOrNull(await this.model.findById(id).lean<DeliveryDocument>().exec());
  }

  /** The deliveries with these ids (one query: `$in` on `_id`); ids that are not object ids name none. */
  async findMany(ids: readonly string[]): Promise<DeliveryRecord[]> {
    const wellFormed = ids.filter(isObjectIdString);
    if (wellFormed.length === 0) return [];
    return (
      await this.model
        .find({ _id: { $in: wellFormed.map((id) => new Types.ObjectId(id)) } })
        .lean<DeliveryDocument[]>()
        .exec()
    ).map(toRecord);
  }

  async forOrder(orderId: string): Promise<DeliveryRecord | null> {
    if (!isObjectIdString(orderId)) return null;
    return toRecordOrNull(await this.model.findOne(byOrder(orderId)).lean<DeliveryDocument>().exec());
  }

  /**
   * Inserts the order's delivery with its events in the outbox, in one write. When the order has
   * one already (a repeated event, a retried job, a tombstone), that one is returned unchanged.
   */
  async insertOrGet(delivery: NewDelivery): Promise<{ delivery: DeliveryRecord; inserted: boolean; pending: OutboxEvent[] }> {
    const { outbox, ...fields } = delivery;
    try {
      const created = await this.model.create({
        ...byOrder(delivery.orderId),
        ...fields,
        ...outboxFields(outbox),
        open: isOpen(fields.status),
        delayed: false,
      });
      const stored = created.toObject();
      return { delivery: toRecord(stored), inserted: true, pending: stored.outbox };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.forOrder(delivery.orderId);
      if (!existing) throw error;
      return { delivery: existing, inserted: false, pending: [] };
    }
  }

  /** Open deliveries per baker id; a baker without any is left out. */
  async openOrders(): Promise<Map<string, number>> {
    const rows = await this.model.aggregate<{ _id: string | null; open: number }>([
      { $match: { open: true } },
      { $group: { _id: '$bakerId', open: { $sum: 1 } } },
    ]);
    return new Map(rows.flatMap((row) => (row._id ? [[row._id, row.open] as const] : [])));
  }

  /** Open deliveries of each of these bakers, in one query; a baker without any is left out. */
  async openOrdersOf(bakerIds: readonly string[]): Promise<Map<string, number>> {
    if (bakerIds.length === 0) return new Map();
    const rows = await this.model.aggregate<{ _id: string; open: number }>([
      { $match: { open: true, bakerId: { $in: bakerIds } } },
      { $group: { _id: '$bakerId', open: { $sum: 1 } } },
    ]);
    return new Map(rows.map((row) => [row._id, row.open]));
  }

  /**
   * Moves the order's delivery from `step.from` to `step.to` with its event in the outbox, in one
   * atomic update. Null when it was not in `step.from`: of racing changes exactly one wins.
   */
  async advance(orderId: string, step: Step, event: OutboxEvent): Promise<DeliveryRecord | null> {
    return toRecordOrNull(
      await this.model
        .findOneAndUpdate(
          { ...byOrder(orderId), status: step.from },
          { $set: { status: step.to, open: isOpen(step.to), outboxPending: true }, $push: { outbox: { $each: [event] } } },
          { returnDocument: 'after' },
        )
        .lean<DeliveryDocument>()
        .exec(),
    );
  }

  /** Cancels the order's delivery if it is still open; whether this call cancelled it. */
  async cancelOpen(orderId: string, event: OutboxEvent): Promise<boolean> {
    const result = await this.model.updateOne(
      { ...byOrder(orderId), open: true },
      { $set: { status: 'CANCELLED', open: false, outboxPending: true }, $push: { outbox: { $each: [event] } } },
    );
    return result.modifiedCount === 1;
  }

  /** Cancels the order's delivery only while it is still ASSIGNED (baking not started); whether this call did. */
  async cancelAssigned(orderId: string, event: OutboxEvent): Promise<DeliveryRecord | null> {
    return toRecordOrNull(
      await this.model
        .findOneAndUpdate(
          { ...byOrder(orderId), status: 'ASSIGNED' },
          { $set: { status: 'CANCELLED', open: false, outboxPending: true }, $push: { outbox: { $each: [event] } } },
          { returnDocument: 'after' },
        )
        .lean<DeliveryDocument>()
        .exec(),
    );
  }

  /** Marks an open delivery delayed, once, with its event in the outbox; whether this call did. */
  async markDelayed(orderId: string, event: OutboxEvent): Promise<boolean> {
    const result = await this.model.updateOne(
      { ...byOrder(orderId), delayed: false, open: true },
      { $set: { delayed: true, outboxPending: true }, $push: { outbox: { $each: [event] } } },
    );
    return result.modifiedCount === 1;
  }
}
