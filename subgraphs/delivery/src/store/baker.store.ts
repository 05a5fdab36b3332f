import { Schema, Types, type Connection, type Model } from 'mongoose';

interface BakerDocument {
  _id: Types.ObjectId;
  name: string;
  active: boolean;
  /** Orders assigned and not yet completed or cancelled; kept by the same update that assigns. */
  openOrders: number;
  createdAt: Date;
  updatedAt: Date;
}

export type BakerRecord = Omit<BakerDocument, '_id'> & { id: string };
const toRecord = ({ _id, ...fields }: BakerDocument): BakerRecord => ({ id: _id.toHexString(), ...fields });

const bakerSchema = new Schema<BakerDocument>(
  {
    name: { type: String, required: true },
    active: { type: Boolean, required: true, default: true },
    openOrders: { type: Number, required: true, default: 0 },
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

  /** Active bakers first, then by name. */
  async all(): Promise<BakerRecord[]> {
    return (await this.model.find().sort({ active: -1, name: 1 }).lean<BakerDocument[]>().exec()).map(toRecord);
  }

  async insert(name: string): Promise<BakerRecord> {
    return toRecord((await this.model.create({ name, active: true, openOrders: 0 })).toObject());
  }
}
