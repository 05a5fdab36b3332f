import { Router } from 'express';

export type ReadinessCheck = () => Promise<void>;

export interface HealthOptions {
  /** @defaultValue 2000 */
  timeoutMs?: number;
  /** Added to the `/health/live` answer. */
  details?: () => Record<string, unknown>;
  /**
   * Checked and reported by `/health/ready` under `dependencies`, without deciding readiness: what
   * the process can serve partly without (the gateway's subgraphs).
   */
  reported?: Record<string, ReadinessCheck>;
}

/**
 * `/health/live` says the process runs; `/health/ready` says it can serve, by checking each
 * dependency it cannot work without (database, Redis) with a short timeout.
 */
export function healthRouter(checks: Record<string, ReadinessCheck>, options: HealthOptions = {}): Router {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok', ...options.details?.() });
  });
  const run = (list: Record<string, ReadinessCheck>) =>
    Promise.all(
      Object.entries(list).map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : 'failed'] as const;
        }
      }),
    );
  router.get('/health/ready', async (_req, res) => {
    const [results, reported] = await Promise.all([run(checks), run(options.reported ?? {})]);
    const ready = results.every(([, result]) => result === 'ok');
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ok' : 'unavailable',
      checks: Object.fromEntries(results),
      ...(options.reported ? { dependencies: Object.fromEntries(reported) } : {}),
    });
  });
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
