import { balanceFull, checkDeposit, MAX_BALANCE } from '../domain/wallet.js';
import type { WalletStore } from '../store/wallet.store.js';

/** A wallet as the API shows it. */
export interface WalletView {
  customerId: string;
  balance: number;
}

/** What customers do with their own prepaid points. */
export class Wallets {
  constructor(private readonly wallets: WalletStore) {}

  async of(customerId: string): Promise<WalletView> {
    return { customerId, balance: await this.wallets.balanceOf(customerId) };
  }

  async deposit(customerId: string, amount: number): Promise<WalletView> {
    const result = await this.wallets.deposit(customerId, checkDeposit(amount), MAX_BALANCE);
    if ('full' in result) throw balanceFull(result.full, amount);
    return { customerId, balance: result.balance };
  }
}
