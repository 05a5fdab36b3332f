import type { Redis } from 'ioredis';
import { LiveChannels, publishNotice } from '../../../../lib/live.js';
import type { Logger } from '../../../../lib/logger.js';
import { isSoldOut } from '../domain/product.js';
import type { ProductStore } from '../store/product.store.js';

/**
 * Tells live subscribers that products' stock levels changed. Best effort: a lost notice costs a
 * subscriber nothing it cannot recover, since subscribing again starts with the current state.
 */
export class StockNotices {
  constructor(
    private readonly products: ProductStore,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  async changed(productIds: readonly string[]): Promise<void> {
    try {
      const at = new Date().toISOString();
      for (const product of await this.products.findMany(productIds)) {
        await publishNotice(this.redis, this.prefix, LiveChannels.stock, {
          productId: product.id,
          available: product.available,
          soldOut: isSoldOut(product),
          active: product.active,
          at,
        });
      }
    } catch (error) {
      this.log.warn({ err: error, productIds }, 'stock notice not published');
    }
  }
}
