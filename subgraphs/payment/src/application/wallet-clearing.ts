import type { Logger } from '../../../../lib/logger.js';
import { walletDebitIsOwed } from '../domain/payment.js';
import { isDueForClearing, listsToClear } from '../domain/wallet-marks.js';
import type { PaymentRecord, PaymentStore } from '../store/payment.store.js';
import type { WalletStore } from '../store/wallet.store.js';
import { giveBack } from './payments.js';

export interface ClearingReport {
  cleared: number;
  /** Left OPEN: a refund moved the payment while it was being cleared; a later run clears it. */
  reopened: number;
}

/**
 * Takes settled payments' order ids off their wallets once the status has stood a day (see
 * domain/wallet-marks.ts). The workers run it hourly, one run at a time across all of them (a
 * BullMQ job scheduler on a queue of global concurrency 1): two clearings of the same refunded
 * payment could otherwise credit it twice.
 *
 * Each payment goes OPEN -> CLEARING -> CLEARED, and each step may be repeated after a crash:
 * 1. what is owed is given back (once: its marks are still there);
 * 2. CLEARING, only if the status and marks are still as read (a refund moving it wins);
 * 3. the order's id out of the wallet's lists;
 * 4. CLEARED. A run finds a payment a crash left CLEARING and finishes it from step 3.
 */
export class WalletClearing {
  constructor(
    private readonly payments: PaymentStore,
    private readonly wallets: WalletStore,
    private readonly log: Logger,
  ) {}

  async run(now = new Date()): Promise<ClearingReport> {
    const report: ClearingReport = { cleared: 0, reopened: 0 };
    for await (const payment of this.payments.withWalletMarks('CLEARING')) await this.finish(payment, report);
    for await (const payment of this.payments.withWalletMarks('OPEN')) {
      if (!isDueForClearing(payment, now)) continue;
      if (walletDebitIsOwed(payment.status)) await giveBack(this.wallets, payment);
      if (await this.payments.moveWalletMarks(payment.orderId, payment.status, 'OPEN', 'CLEARING')) await this.finish(payment, report);
    }
    if (report.cleared + report.reopened > 0) this.log.info(report, 'settled wallet payments cleared from their wallets');
    return report;
  }

  private async finish(payment: PaymentRecord, report: ClearingReport): Promise<void> {
    if (payment.customerId !== null) await this.wallets.clearMarks(payment.customerId, payment.orderId, listsToClear(payment.status));
    if (await this.payments.moveWalletMarks(payment.orderId, payment.status, 'CLEARING', 'CLEARED')) report.cleared++;
    else report.reopened++;
  }
}
