import { Schema, Types, type Connection, type Model } from 'mongoose';
import { isObjectIdString } from '../../../../lib/ids.js';

/**
 * A baker as stored. Open orders are not stored here: they are counted from the deliveries
 * (DeliveryStore.openOrders), because keeping a counter in step would need a second document in
 * the same write, and there are no multi-document transactions.
 */
interface BakerDocument {
  _id: Types.ObjectId;
  name: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type BakerRecord = Omit<BakerDocument, '_id'> & { id: string };
const toRecord = ({ _id, ...fields }: BakerDocument): BakerRecord => ({ id: _id.toHexString(), ...fields });

const bakerSchema = new Schema<BakerDocument>(
  {
    name: { type: String, required: true },
    active: { type: Boolean, required: true, default: true },
  },
  { collection: 'bakers', timestamps: true, versionKey: false },
);

export class BakerStore {
  readonly model: Model<BakerDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<BakerDocument>('Baker', bakerSchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  async find(id: string): Promise<BakerRecord | null> {
    const document = await this.model.findById(id).lean<BakerDocument>().exec();
    return document ? toRecord(document) : null;
  }

  /** The bakers with these ids (one query: `$in` on `_id`); ids that are not object ids name none. */
  async findMany(ids: readonly string[]): Promise<BakerRecord[]> {
    const wellFormed = ids.filter(isObjectIdString);
    if (wellFormed.length === 0) return [];
    return (
      await this.model
        .find({ _id: { $in: wellFormed.map((id) => new Types.ObjectId(id)) } })
        .lean<BakerDocument[]>()
        .exec()
    ).map(toRecord);
  }

  /** Active bakers first, then by name. */
  async all(): Promise<BakerRecord[]> {
    return (await this.model.find().sort({ active: -1, name: 1 }).lean<BakerDocument[]>().exec()).map(toRecord);
  }

  /** Everyone who can take an order now, oldest first. */
  async active(): Promise<BakerRecord[]> {
    return (await this.model.find({ active: true }).sort({ _id: 1 }).lean<BakerDocument[]>().exec()).map(toRecord);
  }

  async insert(name: string): Promise<BakerRecord> {
    return toRecord((await this.model.create({ name, active: true })).toObject());
  }
}
