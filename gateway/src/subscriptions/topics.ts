import type { LiveTopic } from '../../../lib/live.js';
import { orderStatusTopic } from '../../../subgraphs/order/src/live-topic.js';
import { stockTopic } from '../../../subgraphs/stock/src/live-topic.js';

/** Every live topic the gateway serves, each declared by the context that owns it. */
export const LIVE_TOPICS: readonly LiveTopic[] = [orderStatusTopic, stockTopic];
