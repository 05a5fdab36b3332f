import { LRUCache } from 'lru-cache';
import type { BakerRecord, BakerStore } from '../store/baker.store.js';

export interface KnownBakersOptions {
  /** How long a baker read from the store is answered from memory; 0 reads every time. */
  maxAgeMs: number;
  /** At most this many bakers are kept (the least recently asked for go first). */
  max?: number;
  /** The clock the ages are measured on (tests move it by hand). */
  clock?: { now(): number };
}

/**
 * The bakers the delivery subgraph has read lately, by id, for the read path.
 *
 * Every delivery a page shows names its baker, and a bakery has a handful of them: they are added
 * now and then, and the product never edits one. So a baker read once is answered from memory for
 * `maxAgeMs` instead of costing a store query in every request (one of the five the order page
 * makes). A baker changed in the database by hand is seen within that time. An id that names no
 * baker is not remembered: a baker added later is found at once.
 *
 * Assignment does not use this: it reads who is active when it chooses (BakerAssignment).
 */
export class KnownBakers {
  private readonly known: LRUCache<string, BakerRecord> | undefined;

  constructor(
    private readonly bakers: BakerStore,
    { maxAgeMs, max = 1_000, clock }: KnownBakersOptions,
  ) {
    // A clock moved by hand is read at every lookup (lru-cache otherwise reuses a reading for 1 ms).
    this.known = maxAgeMs > 0 ? new LRUCache({ max, ttl: maxAgeMs, ...(clock ? { perf: clock, ttlResolution: 0 } : {}) }) : undefined;
  }

  /** The bakers with these ids that exist, once each, from memory while it is fresh; the others in one store query. */
  async findMany(ids: readonly string[]): Promise<BakerRecord[]> {
    if (!this.known) return this.bakers.findMany(ids);
    const found: BakerRecord[] = [];
    const unknown: string[] = [];
    for (const id of new Set(ids)) {
      const baker = this.known.get(id);
      if (baker) found.push(baker);
      else unknown.push(id);
    }
    if (unknown.length === 0) return found;
    for (const baker of await this.bakers.findMany(unknown)) {
      this.known.set(baker.id, baker);
      found.push(baker);
    }
    return found;
  }
}
