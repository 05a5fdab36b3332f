import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from '../../../../lib/mongo.js';

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

  /** Stores the notification, or returns the one stored for this event before. */
  async insertOrGet(notification: Pick<NotificationRecord, 'customerId' | 'orderId' | 'kind' | 'message' | 'channel'> & { id: string }): Promise<NotificationRecord> {
    const { id, ...fields } = notification;
    try {
      return (await this.model.create({ _id: id, ...fields, sentAt: null })).toObject();
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.model.findById(id).lean<NotificationRecord>().exec();
      if (!existing) throw error;
      return existing;
    }
  }

  async markSent(id: string): Promise<void> {
    await this.model.updateOne({ _id: id, sentAt: null }, { $set: { sentAt: new Date() } });
  }

  forCustomer(customerId: string, limit: number): Promise<NotificationRecord[]> {
    return this.model.find({ customerId }).sort({ createdAt: -1 }).limit(limit).lean<NotificationRecord[]>().exec();
  }
}
