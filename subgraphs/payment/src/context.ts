import type { RequestContext } from '../../../lib/subgraph-server.js';
import type { PaymentStore } from './store/payment.store.js';
import type { WalletStore } from './store/wallet.store.js';

export interface PaymentContext extends RequestContext {
  payments: PaymentStore;
  wallets: WalletStore;
}
