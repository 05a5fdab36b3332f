import { Redis } from 'ioredis';

/** The longest pause between two attempts to reconnect (ioredis's own grows to 2 s). */
const RECONNECT_MAX_MS = 500;

/** ioredis's `retryStrategy` for every connection: reconnect forever, at most RECONNECT_MAX_MS apart. */
export const reconnectSoon = (attempt: number): number => Math.min(attempt * 50, RECONNECT_MAX_MS);

/**
 * A Redis connection. It reconnects by itself, forever, at most RECONNECT_MAX_MS apart, so a
 * restarted Redis is found again within half a second. `maxRetriesPerRequest: null` is what BullMQ
 * requires of the connections its workers block on; other uses fail fast instead: a command issued
 * while Redis is away fails after two reconnection attempts (about a second), and its caller falls
 * back (an event stays in its outbox, the rate limit counts in memory) instead of holding a request.
 */
export function connectRedis(url: string, name: string, options: { forWorkers?: boolean } = {}): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: options.forWorkers ? null : 2,
    retryStrategy: reconnectSoon,
    enableReadyCheck: true,
    lazyConnect: false,
  });
}

/** How long a graceful QUIT may wait for its answer before the connection is dropped. */
const QUIT_BOUND_MS = 2_000;

/**
 * Closes a connection: QUIT when Redis answers, else drop it. With Redis gone a bare quit() waits
 * for a reconnection that may never come, and a shutdown must not.
 */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, QUIT_BOUND_MS)));
  await Promise.race([redis.quit().catch(() => undefined), late]);
  clearTimeout(timer);
  redis.disconnect();
}

export async function pingRedis(redis: Redis): Promise<void> {
  const answer = await redis.ping();
  if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
}
