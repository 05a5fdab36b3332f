import { describe, expect, test } from '@jest/globals';
import type { PaymentStatus } from './payment.js';
import {
  creditNeedsDebitMark,
  isDueForClearing,
  LATE_REFUND_CREDIT_MS,
  listsToClear,
  mayGiveBack,
  WALLET_MARKS_KEPT_MS,
  type WalletMarks,
} from './wallet-marks.js';

const STATUSES: PaymentStatus[] = ['PENDING', 'AUTHORIZED', 'DECLINED', 'REFUNDED', 'VOIDED'];
const NOW = new Date('2026-12-03T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

describe('clearing a wallet payment from its wallet', () => {
  test('a status that has stood a day is due, however it ended; PENDING never is', () => {
    const due = (updatedAt: Date, walletMarks: WalletMarks | null = 'OPEN') =>
      STATUSES.filter((status) => isDueForClearing({ status, walletMarks, updatedAt }, NOW));
    expect(due(ago(WALLET_MARKS_KEPT_MS))).toStrictEqual(['AUTHORIZED', 'DECLINED', 'REFUNDED', 'VOIDED']);
    expect(due(ago(WALLET_MARKS_KEPT_MS - 1))).toStrictEqual([]);
    expect(due(ago(WALLET_MARKS_KEPT_MS), null)).toStrictEqual(['AUTHORIZED', 'DECLINED', 'REFUNDED', 'VOIDED']); // written before marks were cleared
    expect(due(ago(WALLET_MARKS_KEPT_MS), 'CLEARING')).toStrictEqual([]);
    expect(due(ago(WALLET_MARKS_KEPT_MS), 'CLEARED')).toStrictEqual([]);
  });

  test('an authorized payment has only its debit to clear; a final one its debit and its refund', () => {
    expect(Object.fromEntries(STATUSES.map((status) => [status, listsToClear(status)]))).toStrictEqual({
      PENDING: [],
      AUTHORIZED: ['debits'],
      DECLINED: ['debits', 'refunds'],
      REFUNDED: ['debits', 'refunds'],
      VOIDED: ['debits', 'refunds'],
    });
  });

  test('only a refunded payment proves its debit by its status', () => {
    expect(STATUSES.filter((status) => !creditNeedsDebitMark(status))).toStrictEqual(['REFUNDED']);
  });
});

describe('giving back a debit the status does not keep', () => {
  const owed = ['DECLINED', 'REFUNDED', 'VOIDED'] as const;

  test('an open declined, refunded or voided payment gives back; authorized and pending keep it', () => {
    expect(STATUSES.filter((status) => mayGiveBack({ status, walletMarks: 'OPEN', updatedAt: NOW }, NOW))).toStrictEqual([...owed]);
  });

  test('a payment being cleared or cleared has nothing left to give back', () => {
    for (const walletMarks of ['CLEARING', 'CLEARED'] as const) {
      for (const status of owed)
        expect({ status, walletMarks, gives: mayGiveBack({ status, walletMarks, updatedAt: NOW }, NOW) }).toStrictEqual({ status, walletMarks, gives: false });
    }
  });

  test('a late repeat of a refund leaves the credit to the clearing; declined and voided ones need their debit mark and may still give back', () => {
    const late = ago(LATE_REFUND_CREDIT_MS);
    expect(mayGiveBack({ status: 'REFUNDED', walletMarks: 'OPEN', updatedAt: ago(LATE_REFUND_CREDIT_MS - 1) }, NOW)).toBe(true);
    expect(mayGiveBack({ status: 'REFUNDED', walletMarks: 'OPEN', updatedAt: late }, NOW)).toBe(false);
    expect(mayGiveBack({ status: 'VOIDED', walletMarks: 'OPEN', updatedAt: late }, NOW)).toBe(true);
    expect(mayGiveBack({ status: 'DECLINED', walletMarks: null, updatedAt: late }, NOW)).toBe(true);
  });
});
