import type { Logger } from './logger.js';

type Step = { name: string; close: () => Promise<unknown> | unknown };

/**
 * Orderly shutdown for a process: steps run once, last registered first (stop taking work before
 * closing the connections that work needs), and a failing step never skips the others.
 */
export class Shutdown {
  private readonly steps: Step[] = [];
  private running?: Promise<void>;

  constructor(private readonly log: Logger) {}

  add(name: string, close: Step['close']): void {
    this.steps.push({ name, close });
  }

  /** Safe to call more than once: later calls wait for the first. */
  run(reason: string): Promise<void> {
    this.running ??= (async () => {
      this.log.info({ reason }, 'shutting down');
      for (const step of [...this.steps].reverse()) {
        try {
          await step.close();
        } catch (error) {
          this.log.warn({ err: error, step: step.name }, 'shutdown step failed');
        }
      }
      this.log.info('stopped');
    })();
    return this.running;
  }

  /**
   * Exit on SIGINT/SIGTERM after the steps have run. A repeated signal changes nothing: Ctrl-C in a
   * terminal reaches every process of the group and the launcher sends SIGTERM after it, and the
   * launcher kills a process that does not finish in time.
   */
  onSignals(): void {
    const handler = (signal: NodeJS.Signals) => {
      void this.run(signal).then(() => process.exit(0));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }
}

/** Runs a process's main; a failure to start is logged and exits non-zero. */
export function runMain(log: Logger, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    log.fatal({ err: error }, error instanceof Error ? error.message : 'failed to start');
    // Give pino a moment to flush to stdout before exiting.
    setTimeout(() => process.exit(1), 50);
  });
}
