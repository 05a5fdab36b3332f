import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Prepaid points, one document per customer (`_id` is the customer id). Never below zero.
 *
 * `debits` and `refunds` hold the ids of the orders this wallet paid for and was paid back for, so
 * each is done once whatever repeats and crashes come between (`refunds` is always a subset of
 * `debits`). They grow by one id per wallet order.
 */
export interface WalletRecord {
  _id: string;
  balance: number;
  debits: string[];
  refunds: string[];
  updatedAt: Date;
}

const walletSchema = new Schema<WalletRecord>(
  {
    _id: { type: String, required: true },
    balance: { type: Number, required: true, default: 0 },
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
    return wallet?.balance ?? 0;
  }

  /** Adds to the balance, opening the wallet on the first deposit; returns the new balance. */
  async deposit(customerId: string, amount: number): Promise<number> {
    const wallet = await this.model
      .findOneAndUpdate({ _id: customerId }, { $inc: { balance: amount } }, { upsert: true, new: true, setDefaultsOnInsert: true })
      .lean<WalletRecord>()
      .exec();
    if (!wallet) throw new Error(`the deposit to wallet ${customerId} returned no wallet`);
    return wallet.balance;
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

  /** Gives the order's debit back, once; a no-op when the order was never debited or is paid back already. */
  async creditBack(customerId: string, orderId: string, amount: number): Promise<void> {
    await this.model.updateOne(
      { _id: customerId, debits: orderId, refunds: { $ne: orderId } },
      { $inc: { balance: amount }, $addToSet: { refunds: orderId } },
    );
  }
}
