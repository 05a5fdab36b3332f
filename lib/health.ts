import { Router } from 'express';

export type ReadinessCheck = () => Promise<void>;

/**
 * `/health/live` says the process runs; `/health/ready` says it can serve, by checking each
 * dependency (database, Redis) with a short timeout.
 */
export function healthRouter(checks: Record<string, ReadinessCheck>, options: { timeoutMs?: number; details?: () => Record<string, unknown> } = {}): Router {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok', ...options.details?.() });
  });
  router.get('/health/ready', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : 'failed'] as const;
        }
      }),
    );
    const ready = results.every(([, result]) => result === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks: Object.fromEntries(results) });
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
