/**
 * One Redis pub/sub connection per gateway process, fanned out in memory to its subscriptions.
 * Every gateway process gets every notice, and serves its own subscribers.
 */
import { Redis } from 'ioredis';
import { LiveChannels, liveChannelKey, type LiveChannel, type LiveNotices } from '../../../lib/live.js';
import type { Logger } from '../../../lib/logger.js';
import { closeRedis, reconnectSoon } from '../../../lib/redis.js';

type Listener<C extends LiveChannel> = (notice: LiveNotices[C]) => void;

export class LiveFeed {
  private readonly redis: Redis;
  private readonly listeners = new Map<LiveChannel, Set<Listener<LiveChannel>>>();
  private readonly channelByKey = new Map<string, LiveChannel>();

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    // A subscriber connection can do nothing else; ioredis re-subscribes after a reconnect.
    // Subscribed again by ioredis itself after a reconnection: live subscriptions resume.
    this.redis = new Redis(url, { connectionName: 'gateway-live', maxRetriesPerRequest: null, retryStrategy: reconnectSoon });
    this.redis.on('message', (key: string, message: string) => this.dispatch(key, message));
    this.redis.on('error', (error) => this.log.warn({ err: error }, 'live feed connection error'));
  }

  async start(): Promise<void> {
    for (const channel of Object.values(LiveChannels)) this.channelByKey.set(liveChannelKey(this.prefix, channel), channel);
    await this.redis.subscribe(...this.channelByKey.keys());
  }

  /** Listens to one channel; returns the function that stops listening. */
  on<C extends LiveChannel>(channel: C, listener: Listener<C>): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    const stored = listener as Listener<LiveChannel>;
    set.add(stored);
    return () => set.delete(stored);
  }

  /** For readiness: the subscriber connection is up. */
  async check(): Promise<void> {
    if (this.redis.status !== 'ready') throw new Error(`live feed connection is ${this.redis.status}`);
  }

  get subscriberCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await closeRedis(this.redis);
  }

  private dispatch(key: string, message: string): void {
    const channel = this.channelByKey.get(key);
    if (!channel) return;
    let notice: LiveNotices[LiveChannel];
    try {
      notice = JSON.parse(message) as LiveNotices[LiveChannel];
    } catch {
      this.log.warn({ channel }, 'unreadable live notice dropped');
      return;
    }
    for (const listener of this.listeners.get(channel) ?? []) listener(notice);
  }
}
