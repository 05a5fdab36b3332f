import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from '../../../../lib/mongo.js';
import type { WalletList } from '../domain/wallet-marks.js';

/**
 * Prepaid points, one document per customer (`_id` is the customer id). Never below zero.
 *
 * `debits` and `refunds` hold the ids of the orders this wallet paid for and was paid back for, so
 * each is done once whatever repeats and crashes come between. An id stays a day after its payment
 * settles; then the clearing takes it out (domain/wallet-marks.ts), so the lists hold only the
 * orders of the last day and those still being paid.
 */
export interface WalletRecord {
  _id: string;
  /** A 64-bit integer in the store; the driver reads it back as a number (exact below 2^53). */
  balance: bigint | number;
  debits: string[];
  refunds: string[];
  updatedAt: Date;
}

const walletSchema = new Schema<WalletRecord>(
  {
    _id: { type: String, required: true },
    // A 64-bit integer in the store (read back as a plain number): a sum never wraps there.
    balance: { type: Schema.Types.BigInt, required: true, default: 0 },
    debits: { type: [String], default: [] },
    refunds: { type: [String], default: [] },
  },
  { collection: 'wallets', timestamps: { createdAt: false, updatedAt: true }, versionKey: false },
);

/** The queries the payment context needs of wallets, each one atomic on a single wallet document. */
export class WalletStore {
  readonly model: Model<WalletRecord>;

  constructor(connection: Connection) {
    this.model = connection.model<WalletRecord>('Wallet', walletSchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  /** A customer who never deposited has an empty wallet. */
  async balanceOf(customerId: string): Promise<number> {
    const wallet = await this.model.findById(customerId).lean<WalletRecord>().exec();
    return Number(wallet?.balance ?? 0);
  }

  /**
   * Adds to the balance, opening the wallet on the first deposit, only while the result stays at
   * most `maxBalance`: the limit is part of the one atomic update, so concurrent deposits cannot
   * pass it together. Returns the new balance, or `full` with the balance that left no room.
   */
  async deposit(customerId: string, amount: number, maxBalance: number): Promise<{ balance: number } | { full: number }> {
    for (;;) {
      const wallet = await this.model
        .findOneAndUpdate({ _id: customerId, balance: { $lte: maxBalance - amount } }, { $inc: { balance: amount } }, { returnDocument: 'after' })
        .lean<WalletRecord>()
        .exec();
      if (wallet) return { balance: Number(wallet.balance) };
      const existing = await this.model.findById(customerId).lean<WalletRecord>().exec();
      if (existing) {
        // Full now; or it had room again a moment later, and the loop tries once more.
        if (Number(existing.balance) > maxBalance - amount) return { full: Number(existing.balance) };
        continue;
      }
      try {
        // The first deposit opens the wallet; a concurrent first deposit makes this a duplicate.
        await this.model.create({ _id: customerId, balance: amount, debits: [], refunds: [] });
        return { balance: amount };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
  }

  /**
   * Takes the order's amount, only if the balance covers it and this order was never debited;
   * returns whether this call took it.
   */
  async debit(customerId: string, orderId: string, amount: number): Promise<boolean> {
    const result = await this.model.updateOne(
      { _id: customerId, balance: { $gte: amount }, debits: { $ne: orderId } },
      { $inc: { balance: -amount }, $addToSet: { debits: orderId } },
    );
    return result.modifiedCount === 1;
  }

  /** Whether the order was debited, by this call or an earlier one that did not get to record it. */
  async wasDebited(customerId: string, orderId: string): Promise<boolean> {
    return (await this.model.countDocuments({ _id: customerId, debits: orderId })) === 1;
  }

  /**
   * Gives the order's debit back, once; a no-op when the order is paid back already, or when
   * `needsDebitMark` and the wallet has no record of debiting it (it never was).
   */
  async creditBack(customerId: string, orderId: string, amount: number, needsDebitMark: boolean): Promise<void> {
    await this.model.updateOne(
      { _id: customerId, refunds: { $ne: orderId }, ...(needsDebitMark ? { debits: orderId } : {}) },
      { $inc: { balance: amount }, $addToSet: { refunds: orderId } },
    );
  }

  /** Takes the order's id out of these lists (the clearing of a settled payment). */
  async clearMarks(customerId: string, orderId: string, lists: readonly WalletList[]): Promise<void> {
    if (lists.length === 0) return;
    await this.model.updateOne({ _id: customerId }, { $pullAll: Object.fromEntries(lists.map((list) => [list, [orderId]])) });
  }
}
