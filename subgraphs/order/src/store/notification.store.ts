import { Schema, type Connection, type Model } from 'mongoose';
import { insertEachNew } from '../../../../lib/mongo.js';
import { GroupCommit } from '../../../../lib/group-commit.js';

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

/**
 * Most notifications in one insert. In a drop every refused customer gets one within the same
 * seconds: one insert each would be a third of the store's work while the drop is still being
 * answered.
 */
const NOTIFICATIONS_PER_WRITE = 100;

export class NotificationStore {
  readonly model: Model<NotificationRecord>;
  /**
   * Notifications stored together: those that arrive while an insert is in flight go in the next.
   * Nobody waits on them but a queue job, which retries a refusal, so the bounds are generous.
   */
  private readonly inserts = new GroupCommit<NotificationRecord, NotificationRecord | null>({
    maxBatch: NOTIFICATIONS_PER_WRITE,
    maxQueue: 10_000,
    maxWaitMs: 60_000,
    write: (batch) => this.insertMany(batch),
  });

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
    const record = { _id: id, ...fields, sentAt, pruneOn: isoDay(Date.now() + this.retentionDays * DAY_MS), createdAt: new Date() };
    const created = await this.inserts.add(record);
    if (created) return { notification: created, inserted: true };
    const existing = await this.model.findById(id).lean<NotificationRecord>().exec();
    if (!existing) throw new Error(`notification ${id} is neither new nor stored`);
    return { notification: existing, inserted: false };
  }

  /** Inserts each record that is new; null for one whose event already has its notification. */
  private async insertMany(records: NotificationRecord[]): Promise<Array<NotificationRecord | null>> {
    const repeats = await insertEachNew(this.model.db.collection<NotificationRecord>(this.model.collection.collectionName), records);
    return records.map((record, i) => (repeats.has(i) ? null : record));
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
