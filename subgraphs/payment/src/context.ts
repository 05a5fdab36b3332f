import type { RequestContext } from '../../../lib/subgraph-server.js';
import type { Payments } from './application/payments.js';
import type { Wallets } from './application/wallets.js';
import type { PaymentLoaders } from './loaders.js';

export interface PaymentContext extends RequestContext {
  payments: Payments;
  wallets: Wallets;
  /** Made anew for each request. */
  loaders: PaymentLoaders;
}
