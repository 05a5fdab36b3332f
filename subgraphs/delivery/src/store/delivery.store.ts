import { Schema, Types, type Connection, type Model } from 'mongoose';

export type DeliveryStatus = 'ASSIGNED' | 'BAKING' | 'READY' | 'OUT_FOR_DELIVERY' | 'COMPLETED' | 'CANCELLED';

interface DeliveryDocument {
  _id: Types.ObjectId;
  orderId: string;
  bakerId: string | null;
  status: DeliveryStatus;
  delayed: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryRecord = Omit<DeliveryDocument, '_id'> & { id: string };
const toRecord = ({ _id, ...fields }: DeliveryDocument): DeliveryRecord => ({ id: _id.toHexString(), ...fields });

const deliverySchema = new Schema<DeliveryDocument>(
  {
    orderId: { type: String, required: true, unique: true },
    bakerId: { type: String, default: null },
    status: { type: String, required: true },
    delayed: { type: Boolean, required: true, default: false },
  },
  { collection: 'deliveries', timestamps: true, versionKey: false },
);

export class DeliveryStore {
  readonly model: Model<DeliveryDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<DeliveryDocument>('Delivery', deliverySchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  async find(id: string): Promise<DeliveryRecord | null> {
    const document = await this.model.findById(id).lean<DeliveryDocument>().exec();
    return document ? toRecord(document) : null;
  }

  async forOrder(orderId: string): Promise<DeliveryRecord | null> {
    const document = await this.model.findOne({ orderId }).lean<DeliveryDocument>().exec();
    return document ? toRecord(document) : null;
  }
}
