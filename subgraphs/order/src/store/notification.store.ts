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
  /**
   * The day (YYYY-MM-DD, UTC) from which it may be deleted. Pruning deletes whole days by equality
   * on this indexed field, which both MongoDB and FerretDB serve from an index (a range on a date
   * would read every notification on FerretDB). FerretDB has no TTL index.
   */
  pruneOn: string;
  createdAt: Date;
}

const DAY_MS = 24 * 3_600_000;
const isoDay = (time: number): string => new Date(time).toISOString().slice(0, 10);

const notificationSchema = new Schema<NotificationRecord>(
  {
    _id: { type: String, required: true },
    customerId: { type: String, required: true },
    orderId: { type: String, required: true },
    kind: { type: String, required: true },
    message: { type: String, required: true },
    channel: { type: String, required: true },
    sentAt: { type: Date, default: null },
    pruneOn: { type: String, required: true },
  },
  { collection: 'notifications', timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
notificationSchema.index({ customerId: 1, createdAt: -1 });
notificationSchema.index({ pruneOn: 1 });

export class NotificationStore {
  readonly model: Model<NotificationRecord>;

  /** @param retentionDays how long a notification is kept (and a repeat of its event recognised). */
  constructor(
    connection: Connection,
    private readonly retentionDays = 90,
  ) {
    this.model = connection.model<NotificationRecord>('Notification', notificationSchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  /**
   * Stores the notification (already sent when `sentAt` is given), or finds the one stored for this
   * event before: `inserted` says which.
   */
  async insertOrGet(
    notification: Pick<NotificationRecord, 'customerId' | 'orderId' | 'kind' | 'message' | 'channel'> & { id: string },
    sentAt: Date | null = null,
  ): Promise<{ notification: NotificationRecord; inserted: boolean }> {
    const { id, ...fields } = notification;
    try {
      const created = await this.model.create({ _id: id, ...fields, sentAt, pruneOn: isoDay(Date.now() + this.retentionDays * DAY_MS) });
      return { notification: created.toObject(), inserted: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.model.findById(id).lean<NotificationRecord>().exec();
      if (!existing) throw error;
      return { notification: existing, inserted: false };
    }
  }

  async markSent(id: string): Promise<void> {
    await this.model.updateOne({ _id: id, sentAt: null }, { $set: { sentAt: new Date() } });
  }

  /**
   * Deletes the notifications due on `today` and on the `lookbackDays` before it (days a stopped
   * workers process missed); returns how many went.
   */
  async prune(today = new Date(), lookbackDays = 30): Promise<number> {
    let deleted = 0;
    for (let back = lookbackDays; back >= 0; back--) {
      deleted += (await this.model.deleteMany({ pruneOn: isoDay(today.getTime() - back * DAY_MS) })).deletedCount;
    }
    return deleted;
  }

  forCustomer(customerId: string, limit: number): Promise<NotificationRecord[]> {
    return this.model.find({ customerId }).sort({ createdAt: -1 }).limit(limit).lean<NotificationRecord[]>().exec();
  }
}
