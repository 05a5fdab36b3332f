import { Schema, Types, type Connection, type Model } from 'mongoose';

export type PaymentMethod = 'CARD' | 'WALLET';
export type PaymentStatus = 'PENDING' | 'AUTHORIZED' | 'DECLINED' | 'REFUNDED' | 'VOIDED';

interface PaymentDocument {
  _id: Types.ObjectId;
  orderId: string;
  customerId: string;
  amount: number;
  method: PaymentMethod;
  status: PaymentStatus;
  declineReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type PaymentRecord = Omit<PaymentDocument, '_id'> & { id: string };
const toRecord = ({ _id, ...fields }: PaymentDocument): PaymentRecord => ({ id: _id.toHexString(), ...fields });

const paymentSchema = new Schema<PaymentDocument>(
  {
    orderId: { type: String, required: true, unique: true },
    customerId: { type: String, required: true },
    amount: { type: Number, required: true },
    method: { type: String, required: true },
    status: { type: String, required: true },
    declineReason: { type: String, default: null },
  },
  { collection: 'payments', timestamps: true, versionKey: false },
);

export class PaymentStore {
  readonly model: Model<PaymentDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<PaymentDocument>('Payment', paymentSchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  async find(id: string): Promise<PaymentRecord | null> {
    const document = await this.model.findById(id).lean<PaymentDocument>().exec();
    return document ? toRecord(document) : null;
  }

  async forOrder(orderId: string): Promise<PaymentRecord | null> {
    const document = await this.model.findOne({ orderId }).lean<PaymentDocument>().exec();
    return document ? toRecord(document) : null;
  }
}
