import DataLoader from 'dataloader';

/**
 * A request's loader of records by key (DataLoader): every key asked for in one tick of one
 * request, repeats included, is read in one store query, and each record is read once per
 * request. Make one per request (in the subgraph's context), never one per process: a loader
 * caches what it read, and what one caller may see is not what another may.
 *
 * `readMany` gets distinct keys and answers the records it found by key; a key it did not find
 * loads as null. Visibility is the caller's to apply to each record, as for a single lookup.
 */
export function recordLoader<TRecord>(readMany: (keys: readonly string[]) => Promise<ReadonlyMap<string, TRecord>>): DataLoader<string, TRecord | null> {
  return new DataLoader<string, TRecord | null>(async (keys) => {
    const found = await readMany(keys);
    return keys.map((key) => found.get(key) ?? null);
  });
}

/** Records by their `id`, for a `readMany` answer. */
export const byId = <TRecord extends { id: string }>(records: readonly TRecord[]): Map<string, TRecord> =>
  new Map(records.map((record) => [record.id, record]));
