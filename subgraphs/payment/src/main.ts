import { runSubgraph } from '../../../lib/subgraph-main.js';
import { Payments } from './application/payments.js';
import { Wallets } from './application/wallets.js';
import type { PaymentContext } from './context.js';
import { createPaymentLoaders } from './loaders.js';
import { SimulatedCardProvider } from './provider/simulated-card-provider.js';
import { resolvers } from './resolvers/index.js';
import { readPaymentSettings, type PaymentSettings } from './settings.js';
import { PaymentStore } from './store/payment.store.js';
import { WalletStore } from './store/wallet.store.js';

runSubgraph<PaymentContext, PaymentSettings>({
  name: 'payment',
  schema: new URL('../schema.graphql', import.meta.url),
  settings: readPaymentSettings,
  async build({ db, log, settings }) {
    const paymentStore = new PaymentStore(db);
    const walletStore = new WalletStore(db);
    await Promise.all([paymentStore.init(), walletStore.init()]);
    if (settings.provider.mode !== 'normal' || settings.provider.delayMs > 0) {
      log.warn(settings.provider, 'the simulated card provider is slowed or failing on purpose');
    }

    const payments = new Payments(paymentStore, walletStore, new SimulatedCardProvider(settings.provider), log);
    const wallets = new Wallets(walletStore);
    return { resolvers, context: (base) => ({ ...base, payments, wallets, loaders: createPaymentLoaders(payments) }) };
  },
});
