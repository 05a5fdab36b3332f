/**
 * Admission control for work that must finish inside a caller's deadline. At most `concurrency`
 * tasks run at once; the others wait their turn in a bounded first-in-first-out queue, each for at
 * most `maxWaitMs`. A task that cannot start in time is refused *before it starts*, so a refusal
 * always means "nothing was done": the caller can truthfully answer "too busy, try again", and a
 * retry cannot double anything. A task that has started is never cut off by the gate.
 *
 * p-limit and friends queue without bound and without deadlines, which is what let a burst of
 * orders keep running long after their callers had been told they failed.
 */

export interface AdmissionGateOptions {
  /** Tasks that may run at once. */
  concurrency: number;
  /** Tasks that may wait; one more is refused at once. */
  maxQueue: number;
  /** How long a task may wait for its turn before it is refused. */
  maxWaitMs: number;
}

/** Why a task was not admitted, and when trying again is likely to be worth it. */
export class AdmissionRefused extends Error {
  override readonly name = 'AdmissionRefused';
  constructor(
    readonly reason: 'queue-full' | 'wait-expired' | 'closed',
    readonly retryAfterMs: number,
  ) {
    super(`not admitted: ${reason}`);
  }
}

interface Waiter {
  start: () => void;
  refuse: (error: AdmissionRefused) => void;
  timer: NodeJS.Timeout;
}

/** How much weight the newest duration gets in the running average (an EWMA). */
const SMOOTHING = 0.2;

export class AdmissionGate {
  private active = 0;
  private readonly queue: Waiter[] = [];
  private averageMs = 50;
  private closed = false;

  constructor(private readonly options: AdmissionGateOptions) {
    if (!(options.concurrency >= 1 && options.maxQueue >= 0 && options.maxWaitMs >= 0)) {
      throw new Error(`AdmissionGate: concurrency >= 1, maxQueue >= 0 and maxWaitMs >= 0, got ${JSON.stringify(options)}`);
    }
  }

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Runs `task` once admitted; rejects with AdmissionRefused, without running it, otherwise.
   * `maxWaitMs` shortens the wait for this task (its caller's deadline is nearer); zero or less
   * admits it only if it can start at once.
   */
  async run<T>(task: () => Promise<T>, maxWaitMs = this.options.maxWaitMs): Promise<T> {
    await this.admit(Math.min(maxWaitMs, this.options.maxWaitMs));
    const started = Date.now();
    try {
      return await task();
    } finally {
      this.averageMs += SMOOTHING * (Date.now() - started - this.averageMs);
      this.active--;
      this.next();
    }
  }

  /** Refuses everything waiting and everything after; running tasks finish. Safe to call twice. */
  close(): void {
    this.closed = true;
    for (const waiter of this.queue.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.refuse(new AdmissionRefused('closed', 1_000));
    }
  }

  /** How long until a newcomer would likely start: the queue ahead of it, drained `concurrency` at a time. */
  private retryAfterMs(): number {
    return Math.max(1_000, Math.ceil(((this.queue.length + 1) * this.averageMs) / this.options.concurrency));
  }

  private admit(maxWaitMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new AdmissionRefused('closed', 1_000));
    if (this.active < this.options.concurrency && this.queue.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    if (this.queue.length >= this.options.maxQueue) return Promise.reject(new AdmissionRefused('queue-full', this.retryAfterMs()));
    if (maxWaitMs <= 0) return Promise.reject(new AdmissionRefused('wait-expired', this.retryAfterMs()));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: resolve,
        refuse: reject,
        timer: setTimeout(() => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(new AdmissionRefused('wait-expired', this.retryAfterMs()));
        }, maxWaitMs),
      };
      this.queue.push(waiter);
    });
  }

  private next(): void {
    while (this.active < this.options.concurrency && this.queue.length > 0) {
      const waiter = this.queue.shift() as Waiter;
      clearTimeout(waiter.timer);
      this.active++;
      waiter.start();
    }
  }
}
