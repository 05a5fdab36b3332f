import type { Redis } from 'ioredis';
import { publishNotice } from '../../../../lib/live.js';
import type { Logger } from '../../../../lib/logger.js';
import { isSoldOut } from '../domain/product.js';
import { stockTopic } from '../live-topic.js';
import type { ProductStore } from '../store/product.store.js';

/** How often, at most, one product's level is announced while it keeps changing. */
export const STOCK_NOTICE_INTERVAL_MS = 200;

/**
 * Tells live subscribers that products' stock levels changed. Best effort: a lost notice costs a
 * subscriber nothing it cannot recover, since subscribing again starts with the current state.
 *
 * Coalesced: changes are gathered for up to `intervalMs` and each changed product is announced
 * once with its level at that moment. In a drop, a thousand reservations of one product in a few
 * seconds make a few dozen notices, not a thousand (each of which every watcher would receive),
 * and the count still visibly falls to zero.
 */
export class StockNotices {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private publishing: Promise<void> | undefined;

  constructor(
    private readonly products: ProductStore,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly intervalMs = STOCK_NOTICE_INTERVAL_MS,
  ) {}

  changed(productIds: readonly string[]): void {
    for (const id of productIds) this.pending.add(id);
    this.timer ??= setTimeout(() => {
      this.publishing = this.publishPending().finally(() => {
        this.publishing = undefined;
        this.timer = undefined;
        if (this.pending.size > 0) this.changed([]);
      });
    }, this.intervalMs);
  }

  /** Announces what is pending now; safe to call twice. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.publishing;
    if (this.pending.size > 0) await this.publishPending();
  }

  private async publishPending(): Promise<void> {
    const productIds = [...this.pending];
    this.pending.clear();
    try {
      const at = new Date().toISOString();
      for (const product of await this.products.findMany(productIds)) {
        await publishNotice(this.redis, this.prefix, {
          topic: stockTopic,
          notice: { productId: product.id, available: product.available, soldOut: isSoldOut(product), active: product.active, at },
        });
      }
    } catch (error) {
      this.log.warn({ err: error, productIds }, 'stock notice not published');
    }
  }
}
