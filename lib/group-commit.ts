/**
 * Group commit: many small writes that arrive together become one write. Callers add an item and
 * await its own answer; items that arrive while a write is in flight wait and go together in the
 * next one, so a burst costs a few round trips to the store instead of one per item, and a lone
 * item waits for nothing but its own write. At most one write is in flight, so a burst of these
 * never crowds out the store's other work.
 *
 * Like the admission gate, it bounds what waits: an item that cannot be written in time is refused
 * with `AdmissionRefused` *before* it is written, so a refusal always means "nothing was done".
 */
import { AdmissionRefused } from './admission-gate.js';

export interface GroupCommitOptions<T, R> {
  /**
   * Writes a batch and answers each item, in order: a result, or an Error for that item alone.
   * A throw fails the whole batch.
   */
  write(items: T[]): Promise<Array<R | Error>>;
  /** Most items in one write. */
  maxBatch: number;
  /** Items that may wait; one more is refused at once. */
  maxQueue: number;
  /** How long an item may wait for its write to start before it is refused. */
  maxWaitMs: number;
}

interface Waiting<T, R> {
  item: T;
  deadline: number;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class GroupCommit<T, R> {
  private readonly queue: Array<Waiting<T, R>> = [];
  private writing = false;
  private closed = false;
  /** Running average of one write's duration, for a truthful retry-after. */
  private averageMs = 20;

  constructor(private readonly options: GroupCommitOptions<T, R>) {
    if (!(options.maxBatch >= 1 && options.maxQueue >= 1 && options.maxWaitMs >= 0)) {
      throw new Error(`GroupCommit: maxBatch >= 1, maxQueue >= 1 and maxWaitMs >= 0, got maxBatch ${options.maxBatch}, maxQueue ${options.maxQueue}`);
    }
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Writes `item` with whatever else is waiting; rejects with AdmissionRefused, having written nothing, if it cannot in time. */
  add(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new AdmissionRefused('closed', 1_000));
    if (this.queue.length >= this.options.maxQueue) return Promise.reject(new AdmissionRefused('queue-full', this.retryAfterMs()));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, deadline: Date.now() + this.options.maxWaitMs, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        // The rest of this turn of the event loop joins the first write.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Refuses everything still waiting and everything after; the write in flight finishes. */
  close(): void {
    this.closed = true;
    for (const waiting of this.queue.splice(0)) waiting.reject(new AdmissionRefused('closed', 1_000));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const now = Date.now();
      const batch = this.queue.splice(0, this.options.maxBatch).filter((waiting) => {
        if (waiting.deadline >= now) return true;
        waiting.reject(new AdmissionRefused('wait-expired', this.retryAfterMs()));
        return false;
      });
      if (batch.length === 0) continue;
      const started = Date.now();
      try {
        const results = await this.options.write(batch.map((waiting) => waiting.item));
        batch.forEach((waiting, i) => {
          const result = results[i];
          if (result instanceof Error) waiting.reject(result);
          else waiting.resolve(result as R);
        });
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
      this.averageMs += 0.2 * (Date.now() - started - this.averageMs);
    }
    this.writing = false;
  }

  /** How long until a newcomer would likely be written: the writes queued ahead of it. */
  private retryAfterMs(): number {
    return Math.max(1_000, Math.ceil((this.queue.length / this.options.maxBatch + 1) * this.averageMs));
  }
}
