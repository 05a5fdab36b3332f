import type { ContextWorkers } from '../lib/worker-host.js';

/** Every context that runs handlers in the workers process. */
export const CONTEXT_WORKERS: ContextWorkers[] = [];
