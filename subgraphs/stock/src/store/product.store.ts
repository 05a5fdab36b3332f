import { Schema, Types, type Connection, type Model } from 'mongoose';
import { isObjectIdString } from '../../../../lib/ids.js';
import { isDuplicateKey } from '../../../../lib/mongo.js';
import type { NewProduct, ProductChanges } from '../domain/product.js';
import { StockErrors } from '../errors.js';

/** A product as stored. Stock counts always satisfy `available + held + sold === stocked`. */
interface ProductDocument {
  _id: Types.ObjectId;
  sku: string;
  name: string;
  description: string | null;
  price: number;
  limitedEdition: boolean;
  active: boolean;
  available: number;
  held: number;
  /** Running totals only ever grow: 64-bit integers in the store, so they never wrap. */
  sold: bigint | number;
  stocked: bigint | number;
  /** Ids of the orders holding this product: makes a repeated hold or release a no-op. */
  holds: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** A product as the rest of the context sees it: the document with its id as a string. */
export type ProductRecord = Omit<ProductDocument, '_id' | 'sold' | 'stocked'> & { id: string; sold: number; stocked: number };

const toRecord = ({ _id, sold, stocked, ...fields }: ProductDocument): ProductRecord => ({
  id: _id.toHexString(),
  ...fields,
  sold: Number(sold),
  stocked: Number(stocked),
});
const toRecordOrNull = (document: ProductDocument | null): ProductRecord | null => (document ? toRecord(document) : null);

const productSchema = new Schema<ProductDocument>(
  {
    sku: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    description: { type: String, default: null },
    price: { type: Number, required: true },
    limitedEdition: { type: Boolean, required: true },
    active: { type: Boolean, required: true, default: true },
    available: { type: Number, required: true },
    held: { type: Number, required: true, default: 0 },
    sold: { type: Schema.Types.BigInt, required: true, default: 0 },
    stocked: { type: Schema.Types.BigInt, required: true },
    holds: { type: [String], default: [] },
  },
  { collection: 'products', timestamps: true, versionKey: false },
);

export interface ProductListQuery {
  availableOnly: boolean;
  includeArchived: boolean;
  afterId?: string;
  limit: number;
}

/** The queries the stock context needs, each one atomic on a single product document. */
export class ProductStore {
  readonly model: Model<ProductDocument>;

  constructor(connection: Connection) {
    this.model = connection.model<ProductDocument>('Product', productSchema);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  async insert(product: NewProduct): Promise<ProductRecord> {
    const { initialStock, ...fields } = product;
    try {
      const created = await this.model.create({ ...fields, active: true, available: initialStock, held: 0, sold: 0, stocked: initialStock, holds: [] });
      return toRecord(created.toObject());
    } catch (error) {
      if (isDuplicateKey(error)) throw StockErrors.skuTaken(product.sku);
      throw error;
    }
  }

  async find(id: string): Promise<ProductRecord | null> {
    return toRecordOrNull(await this.model.findById(id).lean<ProductDocument>().exec());
  }

  /** The products among `ids` (one query: `$in` on `_id`); ids that are not object ids name none. */
  async findMany(ids: readonly string[]): Promise<ProductRecord[]> {
    const wellFormed = ids.filter(isObjectIdString);
    if (wellFormed.length === 0) return [];
    return (
      await this.model
        .find({ _id: { $in: wellFormed } })
        .lean<ProductDocument[]>()
        .exec()
    ).map(toRecord);
  }

  async list(query: ProductListQuery): Promise<ProductRecord[]> {
    const filter: Record<string, unknown> = {};
    if (!query.includeArchived) filter.active = true;
    if (query.availableOnly) Object.assign(filter, { active: true, available: { $gt: 0 } });
    if (query.afterId) filter._id = { $gt: new Types.ObjectId(query.afterId) };
    return (await this.model.find(filter).sort({ _id: 1 }).limit(query.limit).lean<ProductDocument[]>().exec()).map(toRecord);
  }

  async change(id: string, changes: ProductChanges): Promise<ProductRecord | null> {
    return toRecordOrNull(await this.model.findOneAndUpdate({ _id: id }, { $set: changes }, { returnDocument: 'after' }).lean<ProductDocument>().exec());
  }

  async archive(id: string): Promise<ProductRecord | null> {
    return toRecordOrNull(
      await this.model
        .findOneAndUpdate({ _id: id }, { $set: { active: false } }, { returnDocument: 'after' })
        .lean<ProductDocument>()
        .exec(),
    );
  }

  /** Adds stock to an active product; null when it is missing or archived. */
  /**
   * Adds to an active product's stock only while what is on the shelf stays at most `maxStock`:
   * the limit is part of the one atomic update, so concurrent restocks cannot pass it together.
   */
  async restock(id: string, quantity: number, maxStock: number): Promise<ProductRecord | null> {
    return toRecordOrNull(
      await this.model
        .findOneAndUpdate(
          { _id: id, active: true, available: { $lte: maxStock - quantity } },
          { $inc: { available: quantity, stocked: quantity } },
          { returnDocument: 'after' },
        )
        .lean<ProductDocument>()
        .exec(),
    );
  }

  /** Moves `quantity` from available to held for the order, unless it holds this product already. */
  async hold(productId: string, orderId: string, quantity: number): Promise<boolean> {
    const result = await this.model.updateOne(
      { _id: productId, active: true, available: { $gte: quantity }, holds: { $ne: orderId } },
      { $inc: { available: -quantity, held: quantity }, $addToSet: { holds: orderId } },
    );
    return result.modifiedCount === 1;
  }

  async isHeldBy(productId: string, orderId: string): Promise<boolean> {
    return (await this.model.countDocuments({ _id: productId, holds: orderId })) === 1;
  }

  /** Gives the order's hold back to available; false (a no-op) when the order holds nothing here. */
  async returnHold(productId: string, orderId: string, quantity: number): Promise<boolean> {
    const result = await this.model.updateOne(
      { _id: productId, holds: orderId },
      { $inc: { available: quantity, held: -quantity }, $pullAll: { holds: [orderId] } },
    );
    return result.modifiedCount === 1;
  }

  /** The order's hold has left the shop: held becomes sold; a no-op when already done. */
  async sellHold(productId: string, orderId: string, quantity: number): Promise<void> {
    await this.model.updateOne({ _id: productId, holds: orderId }, { $inc: { held: -quantity, sold: quantity }, $pullAll: { holds: [orderId] } });
  }
}
