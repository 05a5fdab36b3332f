/**
 * The books must balance after every saga test, once the saga has come to rest:
 * - money: authorized minus refunded equals the totals of orders neither rejected nor cancelled;
 * - stock: for every product, available + held + sold equals what was stocked, and what is held
 *   is what open reservations hold;
 * - no order is left PAYMENT_PENDING past its hold deadline.
 * Read straight from each context's database: a test may look where no service may.
 */
import assert from 'node:assert/strict';
import mongoose, { type Connection } from 'mongoose';
import type { Stack } from './stack.js';
import { eventually } from './wait.js';

export interface Books {
  authorized: number;
  refunded: number;
  owed: number;
  stockProblems: string[];
  overduePending: number;
}

export class Ledger {
  private constructor(
    private readonly connection: Connection,
    private readonly prefix: string,
  ) {}

  static async open(stack: Stack): Promise<Ledger> {
    const connection = await mongoose.createConnection(process.env.MONGODB_URL ?? '', { serverSelectionTimeoutMS: 5_000 }).asPromise();
    return new Ledger(connection, stack.dbPrefix);
  }

  db(name: 'stock' | 'order' | 'payment' | 'delivery') {
    const db = this.connection.useDb(`${this.prefix}_${name}`).db;
    assert.ok(db);
    return db;
  }

  async read(): Promise<Books> {
    const payments = await this.db('payment').collection('payments').find({}).toArray();
    const authorized = payments.filter((p) => p.status === 'AUTHORIZED' || p.status === 'REFUNDED').reduce((sum, p) => sum + Number(p.amount), 0);
    const refunded = payments.filter((p) => p.status === 'REFUNDED').reduce((sum, p) => sum + Number(p.amount), 0);
    const orders = await this.db('order').collection('orders').find({}).toArray();
    const owed = orders
      .filter((o) => !['REJECTED', 'CANCELLED', 'ABANDONED', 'PLACED'].includes(String(o.status)))
      .reduce((sum, o) => sum + Number(o.total), 0);
    const overduePending = orders.filter(
      (o) => o.status === 'PAYMENT_PENDING' && o.holdDeadline && new Date(o.holdDeadline).getTime() < Date.now() - 5_000,
    ).length;

    const stockProblems: string[] = [];
    const reservations = await this.db('stock').collection('reservations').find({ status: 'HELD' }).toArray();
    const heldByProduct = new Map<string, number>();
    for (const reservation of reservations) {
      for (const line of reservation.lines as Array<{ productId: string; quantity: number }>) {
        heldByProduct.set(line.productId, (heldByProduct.get(line.productId) ?? 0) + line.quantity);
      }
    }
    for (const product of await this.db('stock').collection('products').find({}).toArray()) {
      const id = String(product._id);
      if (product.available + product.held + product.sold !== product.stocked) {
        stockProblems.push(`${product.sku}: ${product.available} + ${product.held} + ${product.sold} != ${product.stocked}`);
      }
      if (product.available < 0 || product.held < 0) stockProblems.push(`${product.sku} went below zero`);
      if (product.held !== (heldByProduct.get(id) ?? 0))
        stockProblems.push(`${product.sku}: held ${product.held}, reservations hold ${heldByProduct.get(id) ?? 0}`);
    }
    return { authorized, refunded, owed, stockProblems, overduePending };
  }

  /** Waits for the saga to come to rest, then asserts the books balance. */
  async assertBalanced(): Promise<void> {
    let last: Books | undefined;
    try {
      await eventually(
        async () => {
          last = await this.read();
          return last.authorized - last.refunded === last.owed && last.stockProblems.length === 0 && last.overduePending === 0;
        },
        { timeoutMs: 20_000, what: 'the books to balance' },
      );
    } catch (error) {
      assert.fail(`the books do not balance: ${JSON.stringify(last)} (${error instanceof Error ? error.message : error})`);
    }
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
