import { Schema, Types, type Connection, type Model } from 'mongoose';
import type { OutboxEvent } from '../../../../lib/events.js';
import { isDuplicateKey } from '../../../../lib/mongo.js';
import { OPEN_STATUSES, type DeliveryStatus, type Fulfilment, type Step } from '../domain/delivery.js';

/** One document per order: who bakes it and where it stands. */
interface DeliveryDocument {
  _id: Types.ObjectId;
  /** Unique: an order is assigned once, and a tombstone keeps a late assignment out. */
  orderId: string;
  /** Whose order it is, so a customer sees only their own (null on deliveries made before it was kept). */
  customerId: string | null;
  /** Null for a tombstone (cancelled before it was assigned). */
  bakerId: string | null;
  status: DeliveryStatus;
  fulfilment: Fulfilment;
  promisedBy: Date | null;
  /** The promise time passed before completion (set once, by the promise check). */
  delayed: boolean;
  /** Events caused by the last changes, not yet published (see lib/outbox.ts). */
  outbox: OutboxEvent[];
  createdAt: Date;
  updatedAt: Date;
}

/** A delivery as the rest of the context sees it: the document with its id as a string. */
export type DeliveryRecord = Omit<DeliveryDocument, '_id' | 'outbox'> & { id: string };

const toRecord = ({ _id, outbox: _outbox, ...fields }: DeliveryDocument): DeliveryRecord => ({ id: _id.toHexString(), ...fields });
const toRecordOrNull = (document: DeliveryDocument | null): DeliveryRecord | null => (document ? toRecord(document) : null);

const deliverySchema = new Schema<DeliveryDocument>(
  {
    orderId: { type: String, required: true, unique: true },
    customerId: { type: String, default: null },
    bakerId: { type: String, default: null },
    status: { type: String, required: true },
    fulfilment: { type: String, required: true },
    promisedBy: { type: Date, default: null },
    delayed: { type: Boolean, required: true, default: false },
    // Mixed (an array defaults to []), so elements are stored exactly as written and the relay's
    // $pullAll can match them.
    outbox: [Schema.Types.Mixed],
  },
  { collection: 'deliveries', timestamps: true, versionKey: false, minimize: false },
);
// Counting a baker's open orders (FerretDB scans anyway; MongoDB uses it).
deliverySchema.index({ bakerId: 1, status: 1 });

export type NewDelivery = Pick<DeliveryDocument, 'orderId' | 'customerId' | 'bakerId' | 'status' | 'fulfilment' | 'promisedBy' | 'outbox'> & { id: string };

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

  /** A fresh id, for events that must name the delivery before it is written. */
  static newId(): string {
    return new Types.ObjectId().toHexString();
  }

  async find(id: string): Promise<DeliveryRecord | null> {
    return toRecordOrNull(await this.model.findById(id).lean<DeliveryDocument>().exec());
  }

  async forOrder(orderId: string): Promise<DeliveryRecord | null> {
    return toRecordOrNull(await this.model.findOne({ orderId }).lean<DeliveryDocument>().exec());
  }

  /**
   * Inserts the order's delivery with its events in the outbox, in one write. When the order has
   * one already (a repeated event, a retried job, a tombstone), that one is returned unchanged.
   */
  async insertOrGet(delivery: NewDelivery): Promise<{ delivery: DeliveryRecord; inserted: boolean }> {
    const { id, ...fields } = delivery;
    try {
      const created = await this.model.create({ _id: new Types.ObjectId(id), ...fields, delayed: false });
      return { delivery: toRecord(created.toObject()), inserted: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.forOrder(delivery.orderId);
      if (!existing) throw error;
      return { delivery: existing, inserted: false };
    }
  }

  /** Open deliveries per baker id; a baker without any is left out. */
  async openOrders(): Promise<Map<string, number>> {
    const rows = await this.model.aggregate<{ _id: string | null; open: number }>([
      { $match: { status: { $in: OPEN_STATUSES } } },
      { $group: { _id: '$bakerId', open: { $sum: 1 } } },
    ]);
    return new Map(rows.flatMap((row) => (row._id ? [[row._id, row.open] as const] : [])));
  }

  async openOrdersOf(bakerId: string): Promise<number> {
    return this.model.countDocuments({ bakerId, status: { $in: OPEN_STATUSES } });
  }

  /**
   * Moves the order's delivery from `step.from` to `step.to` with its event in the outbox, in one
   * atomic update. Null when it was not in `step.from`: of racing changes exactly one wins.
   */
  async advance(orderId: string, step: Step, event: OutboxEvent): Promise<DeliveryRecord | null> {
    return toRecordOrNull(
      await this.model
        .findOneAndUpdate({ orderId, status: step.from }, { $set: { status: step.to }, $push: { outbox: { $each: [event] } } }, { new: true })
        .lean<DeliveryDocument>()
        .exec(),
    );
  }

  /** Cancels the order's delivery if it is still open; whether this call cancelled it. */
  async cancelOpen(orderId: string, event: OutboxEvent): Promise<boolean> {
    const result = await this.model.updateOne({ orderId, status: { $in: OPEN_STATUSES } }, { $set: { status: 'CANCELLED' }, $push: { outbox: { $each: [event] } } });
    return result.modifiedCount === 1;
  }

  /** Cancels the order's delivery only while it is still ASSIGNED (baking not started); whether this call did. */
  async cancelAssigned(orderId: string, event: OutboxEvent): Promise<DeliveryRecord | null> {
    return toRecordOrNull(
      await this.model
        .findOneAndUpdate({ orderId, status: 'ASSIGNED' }, { $set: { status: 'CANCELLED' }, $push: { outbox: { $each: [event] } } }, { new: true })
        .lean<DeliveryDocument>()
        .exec(),
    );
  }

  /** Marks an open delivery delayed, once, with its event in the outbox; whether this call did. */
  async markDelayed(orderId: string, event: OutboxEvent): Promise<boolean> {
    const result = await this.model.updateOne(
      { orderId, delayed: false, status: { $in: OPEN_STATUSES } },
      { $set: { delayed: true }, $push: { outbox: { $each: [event] } } },
    );
    return result.modifiedCount === 1;
  }
}
