import type { CatalogueEntry, StockClient } from '../clients/stock.client.js';

/** Units of products claimed by one placement under way, until its reservation is settled. */
export interface Claim {
  /** Stock held them: they are no longer available. */
  held(): void;
  /** The placement ended without holding them (refused, failed, or stock was short). Safe to call twice. */
  release(): void;
}

/**
 * What the order context knows of the products it sells: name, price, whether they are active and
 * how many are left, as the stock subgraph last said, for at most `maxAgeMs`, and how many of those
 * units placements under way in this process have claimed.
 *
 * In a drop, hundreds of placements ask about the same product in the same second. They share one
 * call to stock (one in flight per product). A placement goes on to stock and payment only with a
 * claim on units that nobody else has claimed; one that finds every unit claimed is refused at
 * once, as stock refuses a unit that other orders hold. So a drop of 50 units sends about 50
 * placements to stock and payment, and answers everyone else in one write. Stock stays the only
 * judge of a reservation: this view only decides who need not ask. A restock is seen within
 * `maxAgeMs`.
 */
export class Catalogue {
  private readonly entries = new Map<string, { entry: CatalogueEntry; fetchedAt: number }>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly claimed = new Map<string, number>();

  constructor(
    private readonly stock: StockClient,
    private readonly maxAgeMs: number,
  ) {}

  /** The named products; unknown ones are left out. Throws SERVICE_UNAVAILABLE when stock cannot answer. */
  async lookup(ids: readonly string[], requestId?: string): Promise<Map<string, CatalogueEntry>> {
    const now = Date.now();
    const wanted = ids.filter((id) => !this.inFlight.has(id) && !((this.entries.get(id)?.fetchedAt ?? -Infinity) > now - this.maxAgeMs));
    if (wanted.length > 0) {
      const fetching = this.fetch(wanted, requestId);
      for (const id of wanted) this.inFlight.set(id, fetching);
      void fetching
        .finally(() => {
          for (const id of wanted) if (this.inFlight.get(id) === fetching) this.inFlight.delete(id);
        })
        .catch(() => undefined); // the callers below see the failure
    }
    await Promise.all(ids.map((id) => this.inFlight.get(id)));
    return new Map(
      ids.flatMap((id) => {
        const known = this.entries.get(id);
        return known ? [[id, known.entry] as const] : [];
      }),
    );
  }

  /**
   * Claims the lines' units for one placement; null when, by what stock last said less what is
   * claimed already, some line cannot be filled. Call `lookup` first.
   */
  claim(lines: ReadonlyArray<{ productId: string; quantity: number }>): Claim | null {
    const short = lines.some(({ productId, quantity }) => (this.entries.get(productId)?.entry.available ?? 0) - (this.claimed.get(productId) ?? 0) < quantity);
    if (short) return null;
    for (const { productId, quantity } of lines) this.claimed.set(productId, (this.claimed.get(productId) ?? 0) + quantity);
    let open = true;
    const unclaim = () => {
      if (!open) return;
      open = false;
      for (const { productId, quantity } of lines) {
        const left = (this.claimed.get(productId) ?? 0) - quantity;
        if (left > 0) this.claimed.set(productId, left);
        else this.claimed.delete(productId);
      }
    };
    return {
      held: () => {
        if (!open) return;
        unclaim();
        for (const { productId, quantity } of lines) {
          const known = this.entries.get(productId);
          if (known) known.entry = { ...known.entry, available: Math.max(0, known.entry.available - quantity) };
        }
      },
      release: unclaim,
    };
  }

  /**
   * Stock refused to hold `wanted` units of this product: fewer are left, so nobody who wants as
   * many need ask again until the next look.
   */
  markShort(productId: string, wanted: number): void {
    const known = this.entries.get(productId);
    if (known) known.entry = { ...known.entry, available: Math.min(known.entry.available, wanted - 1) };
  }

  private async fetch(ids: string[], requestId?: string): Promise<void> {
    const entries = await this.stock.products(ids, requestId);
    const fetchedAt = Date.now();
    for (const entry of entries) this.entries.set(entry.id, { entry, fetchedAt });
  }
}
