import mongoose, { mongo, type Connection } from 'mongoose';

/**
 * One connection per subgraph to its own database. `autoIndex` stays on: mongoose creates indexes
 * with `createIndexes`, which FerretDB and MongoDB both honour; callers await `Model.init()`.
 */
export async function connectDatabase(url: string, dbName: string): Promise<Connection> {
  const connection = mongoose.createConnection(url, {
    dbName,
    serverSelectionTimeoutMS: 5_000,
    // Sessions and retryable writes need a replica set; FerretDB has neither, and we use neither.
    retryWrites: false,
  });
  await connection.asPromise();
  return connection;
}

/** How long a graceful close may wait for operations in flight before it is forced. */
const CLOSE_BOUND_MS = 3_000;

/** Closes the connection, forcing it when the store does not let it close in time (it is gone). */
export async function closeDatabase(connection: Connection): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_BOUND_MS)));
  const outcome = await Promise.race([connection.close(), late]);
  clearTimeout(timer);
  if (outcome === 'late') await connection.close(true);
}

export async function pingDatabase(connection: Connection): Promise<void> {
  const db = connection.db;
  if (!db) throw new Error('database connection is not open');
  await db.command({ ping: 1 });
}

/**
 * Whether an error says the store cannot be reached (down, restarting, unreachable), as opposed to
 * a mistake in the request or the code. Such a request did nothing it can be sure of, and may be
 * sent again: it is answered SERVICE_UNAVAILABLE, not as an internal error.
 */
export function isStoreUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    /^Mongo(ose)?(ServerSelection|Network|NetworkTimeout|NotConnected|TopologyClosed|PoolCleared)Error$/.test(error.name) ||
    /buffering timed out|connection .* closed|Client must be connected/i.test(error.message)
  );
}

/** Duplicate key on insert (unique index). FerretDB reports it the same way for inserts only. */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

/**
 * Inserts every document that is new, in one command; returns the positions of those refused
 * because their key is taken (a repeat). Any other failure throws.
 */
export async function insertEachNew<T extends mongo.Document>(
  collection: mongo.Collection<T>,
  documents: mongo.OptionalUnlessRequiredId<T>[],
): Promise<Set<number>> {
  const repeats = new Set<number>();
  try {
    await collection.insertMany(documents, { ordered: false });
  } catch (error) {
    if (!(error instanceof mongo.MongoBulkWriteError)) throw error;
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    if (writeErrors.some((writeError) => writeError.code !== 11000)) throw error;
    for (const writeError of writeErrors) repeats.add(writeError.index);
  }
  return repeats;
}
