/**
 * Prepaid points. Pure: no I/O.
 *
 * A wallet's balance never goes below zero. Each order is debited at most once and credited back
 * at most once: the wallet records both order ids, so a repeated or concurrent call changes nothing.
 */
import { badInput } from '../../../../lib/errors.js';

/** The most a customer adds in one deposit (KRW). */
export const MAX_DEPOSIT = 1_000_000;
/**
 * The most a wallet may hold (KRW). Far above any bakery's needs, far below where any integer
 * type wraps; a deposit that would pass it is refused whole, never cut short.
 */
export const MAX_BALANCE = 100_000_000;

/** A deposit the wallet has no room for: nothing was added. */
export const balanceFull = (balance: number, amount: number) =>
  badInput('amount', `a wallet holds at most ${MAX_BALANCE}; with ${balance} in it, ${amount} more does not fit`);

export function checkDeposit(amount: number): number {
  if (!Number.isInteger(amount) || amount < 1 || amount > MAX_DEPOSIT) {
    throw badInput('amount', `amount must be a whole amount from 1 to ${MAX_DEPOSIT}, got ${amount}`);
  }
  return amount;
}
