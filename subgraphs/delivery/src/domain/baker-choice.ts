/**
 * Who bakes the next order. Pure: no I/O.
 *
 * The active baker with the fewest open orders; ties go to the oldest baker (smallest id, and
 * ObjectId hex strings sort by creation time), so the same loads always give the same baker.
 */

export interface BakerCandidate {
  id: string;
  active: boolean;
}

/** `openOrders` maps baker id to open deliveries; a baker it does not name has none. Null: nobody is active. */
export function chooseBaker<T extends BakerCandidate>(bakers: readonly T[], openOrders: ReadonlyMap<string, number>): T | null {
  let chosen: { baker: T; load: number } | null = null;
  for (const baker of bakers) {
    if (!baker.active) continue;
    const load = openOrders.get(baker.id) ?? 0;
    if (!chosen || load < chosen.load || (load === chosen.load && baker.id < chosen.baker.id)) chosen = { baker, load };
  }
  return chosen?.baker ?? null;
}
