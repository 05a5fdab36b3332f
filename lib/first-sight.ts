/**
 * The first sight of an operation. Apollo keeps every operation it has parsed and validated (and
 * the gateway every query plan) to serve its repeats, but it stores one only once it is done with
 * it: until then, every request that brings the same text parses, validates and plans it again.
 * In a rush of a text the server has not seen yet (a drop whose app release is new, a gateway
 * replica started in the middle of one), that is every request of the rush: in a drop of 1,000 it
 * was a fifth of the whole system's CPU (`npm run bench:drop` with and without the text seen
 * before).
 *
 * So the first request with a new text prepares it, and the others with that text wait until it
 * has, then find it prepared. Each waits at most `maxWaitMs` (a first request stuck before it got
 * that far), after which it prepares the text itself. A text that never gets prepared (it fails
 * validation) is tried by one request at a time. Texts are told apart by their operation name
 * and query; the last `maxKnown` prepared are remembered.
 */
export interface FirstSightOptions {
  maxKnown: number;
  maxWaitMs: number;
}

interface Preparing {
  done: Promise<void>;
  release(): void;
}

const nothing = () => {};

export class FirstSight {
  private readonly prepared = new Set<string>();
  private readonly preparing = new Map<string, Preparing>();

  constructor(private readonly options: FirstSightOptions = { maxKnown: 2_000, maxWaitMs: 2_000 }) {}

  /** The text a request brings, as the key it is known by; undefined when there is none (a GET, a malformed body). */
  static keyOf(body: unknown): string | undefined {
    if (typeof body !== 'object' || body === null) return undefined;
    const { query, operationName } = body as { query?: unknown; operationName?: unknown };
    return typeof query === 'string' ? `${typeof operationName === 'string' ? operationName : ''}\n${query}` : undefined;
  }

  /**
   * Waits while another request prepares this text; returns what to call when this request is
   * done (which lets the next one try, should this one not have prepared it).
   */
  async enter(key: string | undefined): Promise<() => void> {
    if (key === undefined || this.prepared.has(key)) return nothing;
    const giveUpAt = Date.now() + this.options.maxWaitMs;
    for (let first = this.preparing.get(key); first; first = this.preparing.get(key)) {
      await first.done;
      if (this.prepared.has(key) || Date.now() >= giveUpAt) return nothing;
    }
    let release = nothing;
    const done = new Promise<void>((resolve) => (release = resolve));
    // Those waiting go on by themselves should this request stall before it prepares the text.
    const timer = setTimeout(() => this.end(key, entry), this.options.maxWaitMs);
    timer.unref();
    const entry: Preparing = {
      done,
      release: () => {
        clearTimeout(timer);
        release();
      },
    };
    this.preparing.set(key, entry);
    return () => this.end(key, entry);
  }

  /** The text is parsed and validated (at the gateway: planned too): those waiting for it go on. */
  markPrepared(key: string): void {
    if (!this.prepared.has(key)) {
      if (this.prepared.size >= this.options.maxKnown) this.prepared.clear();
      this.prepared.add(key);
    }
    const entry = this.preparing.get(key);
    if (entry) this.end(key, entry);
  }

  private end(key: string, entry: Preparing): void {
    if (this.preparing.get(key) !== entry) return;
    this.preparing.delete(key);
    entry.release();
  }
}
