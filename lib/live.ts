/**
 * Live notices for subscriptions: small messages on Redis pub/sub that say what changed (ids, the
 * new status or level, when). Every gateway process listens and resolves what its own subscribers
 * selected. Notices may repeat (a relay retry) and carry no data a subscriber may not see.
 *
 * A live topic is declared once, by the context that owns it (see `LiveTopic`); the gateway serves
 * every declared topic alike, so a new topic is one new declaration.
 */
import type { Redis } from 'ioredis';
import type { Viewer } from './auth.js';

/** Every notice says when its change happened (ISO). */
export interface LiveNotice {
  at: string;
}

/** An entry of an entity's status history, as a live message reads it. */
export interface HistoryEntry {
  status: string;
  at: string;
}

/** Who may see a topic's notices. */
export type LiveAudience<N> =
  /** Anyone, signed in or not: a message is the same for every subscriber, so one read serves all. */
  | { public: true }
  /** Signed-in viewers the rule lets through; each message is read with the subscriber's own token. */
  | { public: false; signIn: string; mayFollow(notice: N, viewer: Viewer | null): boolean };

export interface LiveTopic<N extends LiveNotice = LiveNotice> {
  /** What the topic is about, in messages to clients (`order`, `product`). */
  name: string;
  /** The Redis pub/sub channel, under the deployment's prefix. */
  channel: string;
  /** The subscription field it serves, the argument naming one entity, and the query field that reads one by id. */
  subscription: { field: string; argument: string; query: string };
  /** The entity a notice is about. */
  entityId(notice: N): string;
  audience: LiveAudience<N>;
  /** Identifies the change, so subscribers who would read the same thing for it share one read. */
  changeKey(notice: N): string;
  /**
   * How a message is pinned to its change: these fields of the entity show the change itself
   * (`pin`), not what the read found (a later change may already show there).
   */
  pinned: readonly string[];
  pin(notice: N): Record<string, unknown>;
  /**
   * For an entity with a status history: each message shows the history up to its own entry, the
   * current state is pinned to the last entry, and an entry already sent is not sent again.
   */
  history?: {
    field: string;
    entryOf(notice: N): HistoryEntry;
    /** The pinned fields of the current state (sent first to a subscriber of one entity), from its last entry. */
    pinAt(entry: HistoryEntry): Record<string, unknown>;
  };
}

/** A notice of some topic, as a publisher hands it on. */
export interface Announcement<N extends LiveNotice = LiveNotice> {
  topic: LiveTopic<N>;
  notice: N;
}

export const liveChannelKey = (prefix: string, topic: Pick<LiveTopic, 'channel'>): string => `${prefix}:${topic.channel}`;

export async function publishNotice<N extends LiveNotice>(redis: Redis, prefix: string, { topic, notice }: Announcement<N>): Promise<void> {
  await redis.publish(liveChannelKey(prefix, topic), JSON.stringify(notice));
}
