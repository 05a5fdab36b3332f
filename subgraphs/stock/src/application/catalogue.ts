import { isObjectIdString, parseId } from '../../../../lib/ids.js';
import { decodeCursor, pageSize, toPage } from '../../../../lib/paging.js';
import { checkQuantity, MAX_STOCK, validateNewProduct, validateProductChanges, type CreateProductInput, type UpdateProductInput } from '../domain/product.js';
import { StockErrors } from '../errors.js';
import type { ProductRecord, ProductStore } from '../store/product.store.js';
import type { StockNotices } from './stock-notices.js';

/** What staff do to the catalogue, and what anyone may read of it. */
export class Catalogue {
  constructor(
    private readonly products: ProductStore,
    private readonly notices: StockNotices,
  ) {}

  async page(args: { availableOnly?: boolean | null; includeArchived?: boolean | null; first?: number | null; after?: string | null }) {
    const size = pageSize(args.first, 50);
    const afterId = decodeCursor(args.after, isObjectIdString);
    const items = await this.products.list({
      availableOnly: args.availableOnly ?? false,
      includeArchived: args.includeArchived ?? false,
      ...(afterId ? { afterId } : {}),
      limit: size + 1,
    });
    return toPage(items, size, (product) => product.id);
  }

  /** A well-formed id that names nothing is simply absent, like any lookup. */
  async product(id: string): Promise<ProductRecord | null> {
    return this.products.find(parseId(id, 'id'));
  }

  async create(input: CreateProductInput): Promise<ProductRecord> {
    const product = await this.products.insert(validateNewProduct(input));
    this.notices.changed([product.id]);
    return product;
  }

  async update(id: string, input: UpdateProductInput): Promise<ProductRecord> {
    const productId = parseId(id, 'id');
    const changes = validateProductChanges(input);
    if (Object.keys(changes).length === 0) throw StockErrors.noChanges();
    const changed = await this.products.change(productId, changes);
    if (!changed) throw StockErrors.productNotFound(id);
    return changed;
  }

  async archive(id: string): Promise<ProductRecord> {
    const productId = parseId(id, 'id');
    const archived = await this.products.archive(productId);
    if (!archived) throw StockErrors.productNotFound(id);
    this.notices.changed([productId]);
    return archived;
  }

  async restock(id: string, quantity: number): Promise<ProductRecord> {
    const productId = parseId(id, 'id');
    checkQuantity(quantity, 'quantity');
    const restocked = await this.products.restock(productId, quantity, MAX_STOCK);
    if (restocked) {
      this.notices.changed([productId]);
      return restocked;
    }
    // Nothing matched: tell a missing product from an archived or a full one.
    const product = await this.products.find(productId);
    if (!product) throw StockErrors.productNotFound(id);
    throw product.active ? StockErrors.shelfFull(product.available, quantity) : StockErrors.archived(id);
  }
}
