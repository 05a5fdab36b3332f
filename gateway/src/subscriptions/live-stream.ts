/**
 * One subscription's messages, as the async iterator graphql-ws pulls from. Notices are handled
 * one at a time in arrival order (each may need a query), and results wait here until the client
 * takes them: a slow client only ever waits for itself. Past `maxBacklog` unsent messages the
 * client is too slow to serve and `onOverflow` is called.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';

export class LiveStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly ready: ExecutionResult[] = [];
  private waiting: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  private work: Promise<void> = Promise.resolve();
  private done = false;

  constructor(
    private readonly onClose: () => void,
    private readonly onOverflow: () => void,
    private readonly maxBacklog = 256,
  ) {}

  /** Queues work behind what came before; what it returns (if anything) becomes a message. */
  enqueue(produce: () => Promise<ExecutionResult | null>): void {
    this.work = this.work.then(async () => {
      if (this.done) return;
      const result = await produce().catch(
        (): ExecutionResult => ({
          errors: [new GraphQLError('the change could not be resolved', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })],
        }),
      );
      if (result) this.push(result);
    });
  }

  push(result: ExecutionResult): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: result, done: false });
      return;
    }
    this.ready.push(result);
    if (this.ready.length > this.maxBacklog) this.onOverflow();
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const value = this.ready.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The client completed, disconnected, or the server is closing. */
  return(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.done) {
      this.done = true;
      this.ready.length = 0;
      this.onClose();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Resolves once every queued notice is handled and every message taken, or after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await Promise.race([this.work, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
    while (this.ready.length > 0 && !this.done && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
