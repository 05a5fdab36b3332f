import type { Viewer } from '../../lib/auth.js';
import type { Logger } from '../../lib/logger.js';

/** What the gateway knows of a request; forwarded to every subgraph fetch. */
export interface GatewayContext {
  viewer: Viewer | null;
  authorization?: string;
  requestId: string;
  log: Logger;
}
