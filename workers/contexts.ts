import type { ContextWorkers } from '../lib/worker-host.js';
import { deliveryWorkers } from '../subgraphs/delivery/src/workers.js';
import { orderWorkers } from '../subgraphs/order/src/workers.js';
import { paymentWorkers } from '../subgraphs/payment/src/workers.js';

/** Every context that runs handlers in the workers process. */
export const CONTEXT_WORKERS: ContextWorkers[] = [orderWorkers, deliveryWorkers, paymentWorkers];
