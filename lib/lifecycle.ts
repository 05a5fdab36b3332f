import type { Logger } from './logger.js';

type Step = { name: string; close: () => Promise<unknown> | unknown; force?: () => Promise<unknown> | unknown };

export interface StepOptions {
  /**
   * Run when `close` has not finished within its bound (say, Redis or the store is gone and a
   * graceful close would wait for it forever): drop whatever the close was waiting for.
   */
  force?: () => Promise<unknown> | unknown;
}

/**
 * How long one shutdown step may take before it is forced: time to finish a job or a request in
 * hand, not to wait for a server that is gone.
 */
export const SHUTDOWN_STEP_MS = 5_000;
/**
 * The bound of a whole shutdown: after SIGTERM a process has exited within this, whatever it was
 * waiting for. Below the 30 s Kubernetes and compose give before SIGKILL (less the 5 s preStop),
 * and below the launcher's own SIGKILL (scripts/services.ts).
 */
export const SHUTDOWN_DEADLINE_MS = 20_000;

/** Set by the launcher (scripts/services.ts): the process exits when its supervisor is gone. */
const SUPERVISOR_PID = 'SUPERVISOR_PID';

/**
 * Orderly shutdown for a process: steps run once, last registered first (stop taking work before
 * closing the connections that work needs), and a failing step never skips the others. Each step is
 * bounded (SHUTDOWN_STEP_MS, then its `force`), and the whole run by SHUTDOWN_DEADLINE_MS.
 */
export class Shutdown {
  private readonly steps: Step[] = [];
  private running?: Promise<void>;

  constructor(private readonly log: Logger) {}

  add(name: string, close: Step['close'], options: StepOptions = {}): void {
    this.steps.push({ name, close, ...(options.force ? { force: options.force } : {}) });
  }

  /** Safe to call more than once: later calls wait for the first. */
  run(reason: string): Promise<void> {
    this.running ??= (async () => {
      this.log.info({ reason }, 'shutting down');
      for (const step of [...this.steps].reverse()) await this.runStep(step);
      this.log.info('stopped');
    })();
    return this.running;
  }

  private async runStep(step: Step): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), SHUTDOWN_STEP_MS)));
    try {
      const outcome = await Promise.race([Promise.resolve().then(step.close), bound]);
      if (outcome !== 'late') return;
      this.log.warn(
        { step: step.name, boundMs: SHUTDOWN_STEP_MS },
        step.force ? 'shutdown step too slow: forcing it' : 'shutdown step too slow: going on without it',
      );
      if (step.force) await Promise.race([Promise.resolve().then(step.force), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_STEP_MS))]);
    } catch (error) {
      this.log.warn({ err: error, step: step.name }, 'shutdown step failed');
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Exit on SIGINT/SIGTERM after the steps have run, and within SHUTDOWN_DEADLINE_MS in any case.
   * A repeated signal changes nothing: Ctrl-C in a terminal reaches every process of the group and
   * the launcher sends SIGTERM after it. A process started by the launcher also stops when the
   * launcher is gone (killed, or its terminal closed), instead of running on as an orphan.
   */
  onSignals(): void {
    const stop = (reason: string) => {
      const deadline = setTimeout(() => {
        this.log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time: exiting anyway');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      void this.run(reason).then(() => {
        clearTimeout(deadline);
        process.exit(0);
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    // After the first, a signal must not kill the process in the middle of its shutdown.
    process.on('SIGINT', () => {});
    process.on('SIGTERM', () => {});
    const supervisor = Number(process.env[SUPERVISOR_PID]);
    if (supervisor > 0) {
      const watch = setInterval(() => {
        if (process.ppid !== supervisor) {
          clearInterval(watch);
          stop('the supervisor is gone');
        }
      }, 1_000);
      watch.unref();
    }
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
