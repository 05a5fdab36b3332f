import { Schema, type Connection, type Model } from 'mongoose';

/** Prepaid points, one document per customer (`_id` is the customer id). Never below zero. */
export interface WalletRecord {
  _id: string;
  balance: number;
  updatedAt: Date;
}

const walletSchema = new Schema<WalletRecord>(
  {
    _id: { type: String, required: true },
    balance: { type: Number, required: true, default: 0 },
  },
  { collection: 'wallets', timestamps: { createdAt: false, updatedAt: true }, versionKey: false },
);

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
}
