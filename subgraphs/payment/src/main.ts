import { runSubgraph } from '../../../lib/subgraph-main.js';
import type { PaymentContext } from './context.js';
import { resolvers } from './resolvers/index.js';
import { PaymentStore } from './store/payment.store.js';
import { WalletStore } from './store/wallet.store.js';

runSubgraph<PaymentContext>({
  name: 'payment',
  defaultPort: 4003,
  schema: new URL('../schema.graphql', import.meta.url),
  async build({ db }) {
    const payments = new PaymentStore(db);
    const wallets = new WalletStore(db);
    await Promise.all([payments.init(), wallets.init()]);
    return { resolvers, context: (base) => ({ ...base, payments, wallets }) };
  },
});
