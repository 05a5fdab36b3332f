/**
 * The clearing of settled wallet payments from their wallets, against the real store: a wallet's
 * `debits` and `refunds` lists hold only the orders of the last day (and those still being paid),
 * and nothing a clearing takes away lets a repeat, a late refund or a crash pay or charge twice.
 * The clearing runs with a clock a day ahead, as the workers' hourly job would a day later.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Connection } from 'mongoose';
import { createLogger } from '../../lib/logger.js';
import { connectDatabase } from '../../lib/mongo.js';
import { Payments } from '../../subgraphs/payment/src/application/payments.js';
import { WalletClearing } from '../../subgraphs/payment/src/application/wallet-clearing.js';
import { LATE_REFUND_CREDIT_MS, WALLET_MARKS_KEPT_MS } from '../../subgraphs/payment/src/domain/wallet-marks.js';
import { SimulatedCardProvider } from '../../subgraphs/payment/src/provider/simulated-card-provider.js';
import { PaymentStore } from '../../subgraphs/payment/src/store/payment.store.js';
import { WalletStore } from '../../subgraphs/payment/src/store/wallet.store.js';

let db: Connection;
let paymentStore: PaymentStore;
let wallets: WalletStore;
let payments: Payments;
let clearing: WalletClearing;
const log = createLogger('wallet-clearing-test', 'warn');

beforeAll(async () => {
  db = await connectDatabase(process.env.MONGODB_URL ?? '', `t${randomUUID().slice(0, 8)}_walletclearing`);
  paymentStore = new PaymentStore(db);
  wallets = new WalletStore(db);
  await Promise.all([paymentStore.init(), wallets.init()]);
  payments = new Payments(paymentStore, wallets, new SimulatedCardProvider({ delayMs: 0, mode: 'normal' }), log);
  clearing = new WalletClearing(paymentStore, wallets, log);
});

afterAll(async () => {
  await db?.dropDatabase();
  await db?.close();
});

const dayLater = () => new Date(Date.now() + WALLET_MARKS_KEPT_MS + 60_000);

async function customerWith(balance: number): Promise<string> {
  const customerId = `customer-${randomUUID().slice(0, 8)}`;
  await wallets.deposit(customerId, balance, 10_000_000);
  return customerId;
}

const pay = (customerId: string, amount: number, orderId = `order-${randomUUID()}`) => payments.authorize({ orderId, customerId, amount, method: 'WALLET' });

async function walletOf(customerId: string) {
  const wallet = await wallets.model.findById(customerId).lean().exec();
  return { balance: Number(wallet?.balance), debits: [...(wallet?.debits ?? [])].sort(), refunds: [...(wallet?.refunds ?? [])].sort() };
}

const marksOf = async (orderId: string) => (await paymentStore.forOrder(orderId))?.walletMarks;

/** Sets a payment's fields in the store as a crash or time would have left them, without touching updatedAt unless given. */
const rewrite = (orderId: string, fields: Record<string, unknown>) => paymentStore.model.collection.updateOne({ _id: orderId } as never, { $set: fields });

/** One wallet payment settled each way a customer's can: kept (1,000), refunded (2,000), declined (too much). */
async function settledOfEveryKind(customerId: string) {
  const kept = await pay(customerId, 1_000);
  const refunded = await pay(customerId, 2_000);
  await payments.refund(refunded.orderId);
  const declined = await pay(customerId, 50_000);
  return { kept, refunded, declined };
}

describe('clearing settled wallet payments', () => {
  test('a day after they settle, a wallet holds none of its payments, and its balance is what it was', async () => {
    const customerId = await customerWith(10_000);
    const { kept, refunded, declined } = await settledOfEveryKind(customerId);
    const voided = await payments.refund(`order-${randomUUID()}`); // a refund before any authorize: a tombstone, no wallet
    const pending = `order-${randomUUID()}`;
    await paymentStore.insertPendingOrGet({ orderId: pending, customerId, amount: 500, method: 'WALLET', token: null });
    expect(declined.status).toBe('DECLINED');

    const before = await walletOf(customerId);
    expect(before).toStrictEqual({ balance: 9_000, debits: [kept.orderId, refunded.orderId].sort(), refunds: [refunded.orderId] });

    await clearing.run(new Date()); // nothing has stood a day yet
    expect(await walletOf(customerId)).toStrictEqual(before);

    const report = await clearing.run(dayLater());
    expect(report.cleared).toBeGreaterThanOrEqual(3);
    expect(await walletOf(customerId)).toStrictEqual({ balance: 9_000, debits: [], refunds: [] });
    for (const orderId of [kept.orderId, refunded.orderId, declined.orderId])
      expect({ orderId, marks: await marksOf(orderId) }).toStrictEqual({ orderId, marks: 'CLEARED' });
    expect(await marksOf(pending)).toBe('OPEN'); // a pending payment may still be finished: it keeps its marks
    expect(await marksOf(voided.orderId)).toBeNull();
  });

  test('after the clearing, repeats of every call charge and pay back nothing', async () => {
    const customerId = await customerWith(10_000);
    const { kept, refunded, declined } = await settledOfEveryKind(customerId);
    await clearing.run(dayLater());
    expect((await walletOf(customerId)).balance).toBe(9_000);

    for (const payment of [kept, refunded, declined]) await pay(customerId, payment.amount, payment.orderId);
    await payments.refund(refunded.orderId);
    await payments.refund(declined.orderId);
    expect(await walletOf(customerId)).toStrictEqual({ balance: 9_000, debits: [], refunds: [] });
  });

  test('a refund of a cleared authorization credits once, however often it comes, and is cleared a day later', async () => {
    const customerId = await customerWith(10_000);
    const kept = await pay(customerId, 3_000);
    await clearing.run(dayLater());
    expect(await walletOf(customerId)).toStrictEqual({ balance: 7_000, debits: [], refunds: [] });

    const refunds = await Promise.all(Array.from({ length: 5 }, () => payments.refund(kept.orderId)));
    for (const refund of refunds) expect(refund.status).toBe('REFUNDED');
    expect(await walletOf(customerId)).toStrictEqual({ balance: 10_000, debits: [], refunds: [kept.orderId] });
    expect(await marksOf(kept.orderId)).toBe('OPEN');
    await pay(customerId, 3_000, kept.orderId); // a late authorize charges nothing
    expect((await walletOf(customerId)).balance).toBe(10_000);

    await clearing.run(dayLater());
    expect(await walletOf(customerId)).toStrictEqual({ balance: 10_000, debits: [], refunds: [] });
    await payments.refund(kept.orderId);
    expect((await walletOf(customerId)).balance).toBe(10_000);
  });

  test('a refund that lands while its authorization is being cleared credits once, and the payment is cleared again later', async () => {
    const customerId = await customerWith(10_000);
    const kept = await pay(customerId, 4_000);
    // The clearing has claimed the authorization (step 2) when the refund comes.
    expect(await paymentStore.moveWalletMarks(kept.orderId, 'AUTHORIZED', 'OPEN', 'CLEARING')).toBe(true);
    await payments.refund(kept.orderId);
    expect(await marksOf(kept.orderId)).toBe('OPEN');

    await clearing.run(new Date()); // the claimed payment is OPEN again: the run leaves it for later
    expect(await walletOf(customerId)).toStrictEqual({ balance: 10_000, debits: [kept.orderId], refunds: [kept.orderId] });
    await clearing.run(dayLater());
    expect(await walletOf(customerId)).toStrictEqual({ balance: 10_000, debits: [], refunds: [] });
  });

  test('the clearing gives back a credit a crash left owed before it clears, once', async () => {
    const customerId = await customerWith(10_000);
    const refunded = await pay(customerId, 2_500);
    const voided = `order-${randomUUID()}`;
    // Crashes: one refund marked REFUNDED and died before crediting; one authorize debited, and a refund voided the payment before it was told.
    await rewrite(refunded.orderId, { status: 'REFUNDED' });
    await paymentStore.insertPendingOrGet({ orderId: voided, customerId, amount: 1_500, method: 'WALLET', token: null });
    expect(await wallets.debit(customerId, voided, 1_500)).toBe(true);
    await rewrite(voided, { status: 'VOIDED' });
    expect((await walletOf(customerId)).balance).toBe(6_000);

    await clearing.run(dayLater());
    expect(await walletOf(customerId)).toStrictEqual({ balance: 10_000, debits: [], refunds: [] });
    await clearing.run(dayLater());
    await payments.refund(refunded.orderId);
    await payments.refund(voided);
    expect((await walletOf(customerId)).balance).toBe(10_000);
  });

  test('a clearing that died between its steps is finished by the next run, without a second credit', async () => {
    const customerId = await customerWith(10_000);
    const refunded = await pay(customerId, 2_000);
    await payments.refund(refunded.orderId);
    // Died after claiming (the credit was done before the claim), before taking the ids out.
    await rewrite(refunded.orderId, { walletMarks: 'CLEARING' });

    await payments.refund(refunded.orderId); // a repeat meanwhile leaves it to the clearing
    expect(await clearing.run(new Date())).toStrictEqual({ cleared: 1, reopened: 0 });
    expect(await walletOf(customerId)).toStrictEqual({ balance: 10_000, debits: [], refunds: [] });
    expect(await marksOf(refunded.orderId)).toBe('CLEARED');
  });

  test('a late repeat of a refund whose credit never came leaves it to the clearing, which credits once', async () => {
    const customerId = await customerWith(10_000);
    const refunded = await pay(customerId, 3_000);
    await rewrite(refunded.orderId, { status: 'REFUNDED', updatedAt: new Date(Date.now() - LATE_REFUND_CREDIT_MS - 60_000) });

    await payments.refund(refunded.orderId);
    expect((await walletOf(customerId)).balance).toBe(7_000);
    await clearing.run(dayLater());
    expect(await walletOf(customerId)).toStrictEqual({ balance: 10_000, debits: [], refunds: [] });
  });

  test('wallet payments written before marks were cleared are opened once for the database, and then cleared like the others', async () => {
    const customerId = await customerWith(10_000);
    const old = await pay(customerId, 1_000);
    await paymentStore.model.collection.updateOne({ _id: old.orderId } as never, { $unset: { walletMarks: '' } });

    expect(await paymentStore.openUnmarkedWalletPayments()).toBe(1);
    // Done once for the database: a later start reads no payment for it.
    expect(await db.collection('upgrades').countDocuments({ _id: 'wallet-marks' } as never)).toBe(1);
    expect(await paymentStore.openUnmarkedWalletPayments()).toBe(0);
    await clearing.run(dayLater());
    expect(await walletOf(customerId)).toStrictEqual({ balance: 9_000, debits: [], refunds: [] });
  });
});
