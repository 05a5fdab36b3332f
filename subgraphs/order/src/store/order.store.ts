import { Schema, Types, type Connection, type Model } from 'mongoose';
import type { Fulfilment, OrderStatus, RejectionReason, StatusChange } from '../domain/order.js';

export interface OrderLineRecord {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

interface OrderDocument {
  _id: Types.ObjectId;
  customerId: string;
  lines: OrderLineRecord[];
  total: number;
  fulfilment: Fulfilment;
  deliveryAddress: string | null;
  status: OrderStatus;
  rejectionReason: RejectionReason | null;
  history: StatusChange[];
  promisedBy: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** An order as the rest of the context sees it: the document with its id as a string. */
export type OrderRecord = Omit<OrderDocument, '_id'> & { id: string };

const toRecord = ({ _id, ...fields }: OrderDocument): OrderRecord => ({ id: _id.toHexString(), ...fields });

const orderSchema = new Schema<OrderDocument>(
  {
    customerId: { type: String, required: true },
    lines: { type: [{ _id: false, productId: String, name: String, quantity: Number, unitPrice: Number }], required: true },
    total: { type: Number, required: true },
    fulfilment: { type: String, required: true },
    deliveryAddress: { type: String, default: null },
    status: { type: String, required: true },
    rejectionReason: { type: String, default: null },
    history: { type: [{ _id: false, status: String, at: Date, reason: { type: String, default: null } }], default: [] },
    promisedBy: { type: Date, default: null },
  },
  { collection: 'orders', timestamps: true, versionKey: false },
);
orderSchema.index({ customerId: 1, _id: -1 });
orderSchema.index({ status: 1, _id: -1 });

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

  async find(id: string): Promise<OrderRecord | null> {
    const document = await this.model.findById(id).lean<OrderDocument>().exec();
    return document ? toRecord(document) : null;
  }

  async list(query: OrderListQuery): Promise<OrderRecord[]> {
    const filter: Record<string, unknown> = {};
    if (query.customerId) filter.customerId = query.customerId;
    if (query.status) filter.status = query.status;
    if (query.beforeId) filter._id = { $lt: new Types.ObjectId(query.beforeId) };
    return (await this.model.find(filter).sort({ _id: -1 }).limit(query.limit).lean<OrderDocument[]>().exec()).map(toRecord);
  }
}
