import type { CatalogueEntry, StockClient } from '../clients/stock.client.js';

/**
 * What the order context knows of the products it sells: name, price, whether they are active and
 * how many are left, as the stock subgraph last said, for at most `maxAgeMs`.
 *
 * In a drop, hundreds of placements ask about the same product in the same second; they share one
 * call to stock (one in flight per product), and once a reservation finds the product sold out,
 * every placement after it is refused at once without calling stock or payment. Stock stays the
 * only judge of a reservation: this view only decides who need not ask. A restock is seen within
 * `maxAgeMs`.
 */
export class Catalogue {
  private readonly entries = new Map<string, { entry: CatalogueEntry; fetchedAt: number }>();
  private readonly inFlight = new Map<string, Promise<void>>();

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
    return new Map(ids.flatMap((id) => {
      const known = this.entries.get(id);
      return known ? [[id, known.entry] as const] : [];
    }));
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
