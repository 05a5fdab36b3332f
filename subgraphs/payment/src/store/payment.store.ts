import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from '../../../../lib/mongo.js';
import type { DeclineReason, PaymentMethod, PaymentRequest, PaymentStatus } from '../domain/payment.js';
import type { WalletMarks } from '../domain/wallet-marks.js';

export type { PaymentMethod, PaymentStatus } from '../domain/payment.js';

/**
 * One document per order, keyed by the order's id, so every lookup and change is by `_id`. A VOIDED tombstone, left by a refund that came before
 * any authorize, knows neither customer nor method, and its amount is 0.
 */
interface PaymentDocument {
  /** The order's id. */
  _id: string;
  orderId: string;
  customerId: string | null;
  amount: number;
  method: PaymentMethod | null;
  status: PaymentStatus;
  declineReason: DeclineReason | null;
  /** Where the order's ids in the customer's wallet stand (domain/wallet-marks.ts); null for a card. */
  walletMarks: WalletMarks | null;
  createdAt: Date;
  updatedAt: Date;
}

export type PaymentRecord = Omit<PaymentDocument, '_id'> & { id: string };
const toRecord = ({ _id, ...fields }: PaymentDocument): PaymentRecord => ({ id: _id, ...fields });

const paymentSchema = new Schema<PaymentDocument>(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true },
    customerId: { type: String, default: null },
    amount: { type: Number, required: true },
    method: { type: String, default: null },
    status: { type: String, required: true },
    declineReason: { type: String, default: null },
    walletMarks: { type: String, default: null },
  },
  { collection: 'payments', timestamps: true, versionKey: false },
);
// The clearing finds the wallet payments whose marks are open, by equality (what FerretDB pushes down).
paymentSchema.index({ walletMarks: 1 });

/** Names the one-time opening of wallet payments written before `walletMarks` (see below). */
const WALLET_MARKS_UPGRADE = 'wallet-marks';

export class PaymentStore {
  readonly model: Model<PaymentDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<PaymentDocument>('Payment', paymentSchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  /** The payments with these ids (one query: `$in` on `_id`). */
  async findMany(ids: readonly string[]): Promise<PaymentRecord[]> {
    if (ids.length === 0) return [];
    return (
      await this.model
        .find({ _id: { $in: ids } })
        .lean<PaymentDocument[]>()
        .exec()
    ).map(toRecord);
  }

  async forOrder(orderId: string): Promise<PaymentRecord | null> {
    const document = await this.model.findById(orderId).lean<PaymentDocument>().exec();
    return document ? toRecord(document) : null;
  }

  /** Starts the order's payment as PENDING, or returns the one it has already (the first call wins). */
  insertPendingOrGet(request: PaymentRequest): Promise<PaymentRecord> {
    const { orderId, customerId, amount, method } = request;
    return this.insertOrGet({ orderId, customerId, amount, method, status: 'PENDING', declineReason: null, walletMarks: method === 'WALLET' ? 'OPEN' : null });
  }

  /** Leaves a VOIDED tombstone for an order with no payment yet, or returns the payment it has. */
  insertVoidedOrGet(orderId: string): Promise<PaymentRecord> {
    return this.insertOrGet({ orderId, customerId: null, amount: 0, method: null, status: 'VOIDED', declineReason: null, walletMarks: null });
  }

  /**
   * Moves the status on, only from `from`; returns the payment as this call moved it, or null when
   * it was no longer `from` (one write: the caller need not read it again). `reopenWalletMarks`:
   * the move may write to the wallet again (a refund of a cleared authorization), so the clearing
   * must come back for it.
   */
  async settle(
    orderId: string,
    from: PaymentStatus,
    to: PaymentStatus,
    declineReason: DeclineReason | null,
    reopenWalletMarks = false,
  ): Promise<PaymentRecord | null> {
    const document = await this.model
      .findOneAndUpdate(
        { _id: orderId, status: from },
        { $set: { status: to, declineReason, ...(reopenWalletMarks ? { walletMarks: 'OPEN' } : {}) } },
        { returnDocument: 'after' },
      )
      .lean<PaymentDocument>()
      .exec();
    return document ? toRecord(document) : null;
  }

  /** The wallet payments whose marks are `marks`, a batch at a time, as a cursor (the clearing reads them all). */
  withWalletMarks(marks: WalletMarks): AsyncIterable<PaymentRecord> {
    const cursor = this.model.find({ walletMarks: marks }).lean<PaymentDocument>().cursor({ batchSize: 500 });
    return (async function* () {
      for await (const document of cursor) yield toRecord(document as PaymentDocument);
    })();
  }

  /** Moves the payment's marks on, only while its status and marks are still as read; whether this call moved them. */
  async moveWalletMarks(orderId: string, status: PaymentStatus, from: WalletMarks, to: WalletMarks): Promise<boolean> {
    const result = await this.model.updateOne({ _id: orderId, status, walletMarks: from }, { $set: { walletMarks: to } });
    return result.modifiedCount === 1;
  }

  /**
   * Wallet payments written before their marks were cleared have no `walletMarks`: they are open.
   * That update reads every wallet payment, so it runs once for the database, not at every start:
   * a note in `upgrades` says it is done (written after it, so a crash between runs it again).
   */
  async openUnmarkedWalletPayments(): Promise<number> {
    const upgrades = this.model.db.collection<{ _id: string; at: Date }>('upgrades');
    if (await upgrades.findOne({ _id: WALLET_MARKS_UPGRADE })) return 0;
    const result = await this.model.updateMany({ method: 'WALLET', walletMarks: { $exists: false } }, { $set: { walletMarks: 'OPEN' } });
    await upgrades.insertOne({ _id: WALLET_MARKS_UPGRADE, at: new Date() }).catch((error: unknown) => {
      if (!isDuplicateKey(error)) throw error; // another worker finished it too
    });
    return result.modifiedCount;
  }

  // Uniqueness is enforced on insert, where both MongoDB and FerretDB answer 11000.
  private async insertOrGet(fields: Omit<PaymentDocument, '_id' | 'createdAt' | 'updatedAt'>): Promise<PaymentRecord> {
    try {
      return toRecord((await this.model.create({ _id: fields.orderId, ...fields })).toObject());
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.forOrder(fields.orderId);
      if (!existing) throw error;
      return existing;
    }
  }
}
