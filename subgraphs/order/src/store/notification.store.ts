import { Schema, type Connection, type Model } from 'mongoose';

/** A message sent to a customer about an order. `_id` is the event id that caused it, so a repeat is one message. */
export interface NotificationRecord {
  _id: string;
  customerId: string;
  orderId: string;
  kind: string;
  message: string;
  channel: string;
  sentAt: Date | null;
  createdAt: Date;
}

const notificationSchema = new Schema<NotificationRecord>(
  {
    _id: { type: String, required: true },
    customerId: { type: String, required: true },
    orderId: { type: String, required: true },
    kind: { type: String, required: true },
    message: { type: String, required: true },
    channel: { type: String, required: true },
    sentAt: { type: Date, default: null },
  },
  { collection: 'notifications', timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
notificationSchema.index({ customerId: 1, createdAt: -1 });

export class NotificationStore {
  readonly model: Model<NotificationRecord>;

  constructor(connection: Connection) {
    this.model = connection.model<NotificationRecord>('Notification', notificationSchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  forCustomer(customerId: string, limit: number): Promise<NotificationRecord[]> {
    return this.model.find({ customerId }).sort({ createdAt: -1 }).limit(limit).lean<NotificationRecord[]>().exec();
  }
}
