import type { Logger } from '../../../lib/logger.js';
import type { Connection } from 'mongoose';
import { Payments } from './application/payments.js';
import { WalletClearing } from './application/wallet-clearing.js';
import { Wallets } from './application/wallets.js';
import { SimulatedCardProvider } from './provider/simulated-card-provider.js';
import type { PaymentSettings } from './settings.js';
import { PaymentStore } from './store/payment.store.js';
import { WalletStore } from './store/wallet.store.js';

export interface PaymentParts {
  payments: Payments;
  wallets: Wallets;
  /** Takes settled payments off their wallets a day later (the workers run it). */
  clearing: WalletClearing;
  paymentStore: PaymentStore;
}

/** The payment context's parts on its own database; the subgraph and the workers build it alike. */
export async function buildPaymentParts({ settings, db, log }: { settings: PaymentSettings; db: Connection; log: Logger }): Promise<PaymentParts> {
  const paymentStore = new PaymentStore(db);
  const walletStore = new WalletStore(db);
  await Promise.all([paymentStore.init(), walletStore.init()]);
  return {
    payments: new Payments(paymentStore, walletStore, new SimulatedCardProvider(settings.provider), log),
    wallets: new Wallets(walletStore),
    clearing: new WalletClearing(paymentStore, walletStore, log),
    paymentStore,
  };
}
