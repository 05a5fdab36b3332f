/**
 * One Redis pub/sub connection per gateway process, fanned out in memory to its subscriptions.
 * Every gateway process gets every notice, and serves its own subscribers.
 */
import { Redis } from 'ioredis';
import { liveChannelKey, type LiveNotice, type LiveTopic } from '../../../lib/live.js';
import type { Logger } from '../../../lib/logger.js';
import { closeRedis, reconnectSoon } from '../../../lib/redis.js';

type Listener = (notice: LiveNotice) => void;

export class LiveFeed {
  private readonly redis: Redis;
  private readonly listeners = new Map<LiveTopic, Set<Listener>>();
  private readonly topicByKey = new Map<string, LiveTopic>();

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly topics: readonly LiveTopic[],
    private readonly log: Logger,
  ) {
    // A subscriber connection can do nothing else; ioredis re-subscribes after a reconnect.
    // Subscribed again by ioredis itself after a reconnection: live subscriptions resume.
    this.redis = new Redis(url, { connectionName: 'gateway-live', maxRetriesPerRequest: null, retryStrategy: reconnectSoon });
    this.redis.on('message', (key: string, message: string) => this.dispatch(key, message));
    this.redis.on('error', (error) => this.log.warn({ err: error }, 'live feed connection error'));
  }

  async start(): Promise<void> {
    for (const topic of this.topics) this.topicByKey.set(liveChannelKey(this.prefix, topic), topic);
    await this.redis.subscribe(...this.topicByKey.keys());
  }

  /** Listens to one topic; returns the function that stops listening. */
  on(topic: LiveTopic, listener: Listener): () => void {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(listener);
    return () => set.delete(listener);
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
    const topic = this.topicByKey.get(key);
    if (!topic) return;
    let notice: LiveNotice;
    try {
      // Published by the topic's own context (lib/live.ts publishNotice) as its notice type.
      notice = JSON.parse(message) as LiveNotice;
    } catch {
      this.log.warn({ channel: topic.channel }, 'unreadable live notice dropped');
      return;
    }
    for (const listener of this.listeners.get(topic) ?? []) listener(notice);
  }
}
