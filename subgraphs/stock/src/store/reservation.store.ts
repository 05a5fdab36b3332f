import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from '../../../../lib/mongo.js';
import type { RejectionReason, ReservationStatus, StockLine } from '../domain/reservation.js';

export interface ReservedLineRecord extends StockLine {
  unitPrice: number;
  name: string;
}

/** One document per order: what it asked to hold and where that stands. `_id` is the order id. */
export interface ReservationRecord {
  _id: string;
  status: ReservationStatus;
  lines: ReservedLineRecord[];
  reason: RejectionReason | null;
  rejectedProductId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const reservationSchema = new Schema<ReservationRecord>(
  {
    _id: { type: String, required: true },
    status: { type: String, required: true },
    lines: {
      type: [{ _id: false, productId: String, quantity: Number, unitPrice: Number, name: String }],
      default: [],
    },
    reason: { type: String, default: null },
    rejectedProductId: { type: String, default: null },
  },
  { collection: 'reservations', timestamps: true, versionKey: false },
);

export class ReservationStore {
  readonly model: Model<ReservationRecord>;

  constructor(connection: Connection) {
    this.model = connection.model<ReservationRecord>('Reservation', reservationSchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  find(orderId: string): Promise<ReservationRecord | null> {
    return this.model.findById(orderId).lean<ReservationRecord>().exec();
  }

  /** Inserts the reservation, or returns the one that exists for the order already. */
  async insertOrGet(orderId: string, status: ReservationStatus, lines: ReservedLineRecord[]): Promise<ReservationRecord> {
    try {
      return (await this.model.create({ _id: orderId, status, lines })).toObject();
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.find(orderId);
      if (!existing) throw error;
      return existing;
    }
  }

  /** Moves the status on, only from one of `from`: the reservation as this call left it, or null when it did not move it. */
  settle(orderId: string, from: ReservationStatus[], to: ReservationStatus, extra: Partial<ReservationRecord> = {}): Promise<ReservationRecord | null> {
    return this.model
      .findOneAndUpdate({ _id: orderId, status: { $in: from } }, { $set: { ...extra, status: to } }, { returnDocument: 'after' })
      .lean<ReservationRecord>()
      .exec();
  }
}
