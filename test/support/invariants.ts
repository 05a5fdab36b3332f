/**
 * The invariants of issue 14 ("no order, cent or cake is lost"), read straight from each context's
 * database once the system has come to rest. The chaos run and the fault tests check the same ones:
 * - every order that was acknowledged exists;
 * - no order is PLACED, PAYMENT_PENDING or CONFIRMED (waiting for a baker), or owes a saga step;
 * - for each product: available + units held by live orders (+ sold) = what was stocked;
 * - a paid order has one authorized payment for its total; an ended order holds no money; a
 *   wallet's balance is its deposits less its paid orders, to the cent;
 * - an order with a baker has a delivery in the same state; each baker's open-order count is the
 *   number of its open orders.
 */
import mongoose, { type Connection } from 'mongoose';
import { eventually } from './wait.js';

export interface InvariantInput {
  /** Orders whose placement a client saw answered (by id). */
  acknowledged: Iterable<string>;
  /** What each customer deposited into their wallet (customer id to minor units). */
  deposits?: ReadonlyMap<string, number>;
}

/** One line per invariant: its name, whether it holds, and its figures. */
export interface InvariantResult {
  name: string;
  holds: boolean;
  figures: string;
  /** A few offending ids or details, for a failure message. */
  examples: string[];
}

const LIVE = ['CONFIRMED', 'ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY'];
const PAID = [...LIVE, 'COMPLETED'];
const WITH_A_BAKER = ['ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY', 'COMPLETED'];
const ENDED_UNPAID = ['CANCELLED', 'REJECTED', 'ABANDONED'];

type Doc = Record<string, unknown> & { _id: unknown };

export class Invariants {
  private constructor(
    private readonly connection: Connection,
    private readonly prefix: string,
  ) {}

  static async open(mongoUrl: string, dbPrefix: string): Promise<Invariants> {
    const connection = await mongoose.createConnection(mongoUrl, { serverSelectionTimeoutMS: 10_000 }).asPromise();
    return new Invariants(connection, dbPrefix);
  }

  /** One context's database, for a test that looks where no service may. */
  db(context: 'order' | 'stock' | 'payment' | 'delivery') {
    const db = this.connection.useDb(`${this.prefix}_${context}`).db;
    if (!db) throw new Error('no database connection');
    return db;
  }

  private async all(context: 'order' | 'stock' | 'payment' | 'delivery', collection: string): Promise<Doc[]> {
    return (await this.db(context).collection(collection).find({}).toArray()) as Doc[];
  }

  async check(input: InvariantInput): Promise<InvariantResult[]> {
    const [orders, outboxBatches, products, reservations, payments, wallets, deliveries, bakers] = await Promise.all([
      this.all('order', 'orders'),
      this.all('order', 'orders_outbox'),
      this.all('stock', 'products'),
      this.all('stock', 'reservations'),
      this.all('payment', 'payments'),
      this.all('payment', 'wallets'),
      this.all('delivery', 'deliveries'),
      this.all('delivery', 'bakers'),
    ]);
    const id = (doc: Doc) => String(doc._id);
    const orderById = new Map(orders.map((order) => [id(order), order]));
    const results: InvariantResult[] = [];
    const add = (name: string, bad: string[], figures: string) => results.push({ name, holds: bad.length === 0, figures, examples: bad.slice(0, 5) });

    const acknowledged = [...new Set(input.acknowledged)];
    const missing = acknowledged.filter((orderId) => !orderById.has(orderId) || orderById.get(orderId)?.status === 'ABANDONED');
    add('every acknowledged order exists', missing, `${acknowledged.length - missing.length} of ${acknowledged.length} acknowledged orders found`);

    const unsettled = orders.filter((order) => ['PLACED', 'PAYMENT_PENDING', 'CONFIRMED'].includes(String(order.status)));
    add(
      'no order PAYMENT_PENDING or waiting for a baker',
      unsettled.map((order) => `${id(order)} ${order.status}`),
      `${unsettled.length} of ${orders.length} orders unsettled (${count(unsettled, 'status')})`,
    );

    const owing = orders.filter((order) => order.sagaOwing === true);
    add(
      'every compensation owed was done (stock released, money back, stock of completed orders sold)',
      owing.map((order) => `${id(order)} ${order.status} owes ${String(order.sagaOwed)}`),
      `${owing.length} orders still owe a saga step`,
    );

    const unpublished = [...orders, ...deliveries].filter((doc) => doc.outboxPending === true);
    add(
      'every event was published (no outbox pending, no outbox batch left)',
      [...unpublished.map((doc) => `${id(doc)} has events pending`), ...outboxBatches.map((batch) => `outbox batch ${id(batch)} left`)],
      `${unpublished.length} documents with events pending, ${outboxBatches.length} outbox batches left`,
    );

    // Stock: what live orders hold is what their reservations hold; nothing else is held.
    const stockBad: string[] = [];
    const heldByLive = new Map<string, number>();
    for (const reservation of reservations) {
      const order = orderById.get(id(reservation));
      const status = String(order?.status ?? 'none');
      const lines = reservation.lines as Array<{ productId: string; quantity: number }>;
      if (reservation.status === 'HELD') {
        if (!LIVE.includes(status) && status !== 'PAYMENT_PENDING') stockBad.push(`reservation ${id(reservation)} HELD for a ${status} order`);
        for (const line of lines) heldByLive.set(line.productId, (heldByLive.get(line.productId) ?? 0) + line.quantity);
      }
      if (reservation.status === 'COMMITTED' && status !== 'COMPLETED') stockBad.push(`reservation ${id(reservation)} COMMITTED for a ${status} order`);
    }
    let units = 0;
    for (const product of products) {
      const [available, held, sold, stocked] = (['available', 'held', 'sold', 'stocked'] as const).map((field) => Number(product[field] ?? 0)) as [
        number,
        number,
        number,
        number,
      ];
      units += stocked;
      const live = heldByLive.get(id(product)) ?? 0;
      if (available + live + sold !== stocked)
        stockBad.push(`${product.sku}: available ${available} + held by live orders ${live} + sold ${sold} != ${stocked}`);
      if (held !== live) stockBad.push(`${product.sku}: held ${held}, live orders hold ${live}`);
    }
    add('available + held by live orders = stocked, per product', stockBad, `${products.length} products, ${units} units stocked`);

    const paymentByOrder = new Map(payments.map((payment) => [String(payment.orderId), payment]));
    const moneyBad: string[] = [];
    let paid = 0;
    let ended = 0;
    for (const order of orders) {
      const payment = paymentByOrder.get(id(order));
      if (PAID.includes(String(order.status))) {
        paid++;
        if (payment?.status !== 'AUTHORIZED' || Number(payment.amount) !== Number(order.total)) {
          moneyBad.push(`${order.status} order ${id(order)}: payment ${payment?.status ?? 'none'} ${payment?.amount ?? ''} for total ${order.total}`);
        }
      } else if (ENDED_UNPAID.includes(String(order.status))) {
        ended++;
        if (payment?.status === 'AUTHORIZED') moneyBad.push(`${order.status} order ${id(order)} still holds an AUTHORIZED payment`);
      }
    }
    const orphans = payments.filter((payment) => payment.status === 'AUTHORIZED' && !orderById.has(String(payment.orderId)));
    for (const payment of orphans) moneyBad.push(`AUTHORIZED payment ${id(payment)} without an order`);
    add('a paid order has one authorized payment for its total; an ended order holds no money', moneyBad, `${paid} paid, ${ended} ended`);

    if (input.deposits) {
      const walletBad: string[] = [];
      const spent = new Map<string, number>();
      for (const order of orders) {
        if (order.paymentMethod === 'WALLET' && PAID.includes(String(order.status))) {
          spent.set(String(order.customerId), (spent.get(String(order.customerId)) ?? 0) + Number(order.total));
        }
      }
      for (const [customerId, deposited] of input.deposits) {
        const wallet = wallets.find((candidate) => id(candidate) === customerId);
        const balance = Number(wallet?.balance ?? 0);
        const expected = deposited - (spent.get(customerId) ?? 0);
        if (balance !== expected) walletBad.push(`${customerId}: balance ${balance}, deposits less paid orders ${expected}`);
      }
      add('each wallet: balance = deposits - paid orders', walletBad, `${input.deposits.size} wallets`);
    }

    const deliveryByOrder = new Map(deliveries.map((delivery) => [String(delivery.orderId), delivery]));
    const bakerBad: string[] = [];
    const openByBaker = new Map<string, number>();
    for (const order of orders) {
      if (!WITH_A_BAKER.includes(String(order.status))) continue;
      const delivery = deliveryByOrder.get(id(order));
      if (delivery?.status !== order.status) bakerBad.push(`order ${id(order)} ${order.status}, delivery ${delivery?.status ?? 'none'}`);
      if (order.status !== 'COMPLETED' && delivery?.bakerId) openByBaker.set(String(delivery.bakerId), (openByBaker.get(String(delivery.bakerId)) ?? 0) + 1);
    }
    for (const delivery of deliveries) {
      const order = orderById.get(String(delivery.orderId));
      if (delivery.open === true && !LIVE.includes(String(order?.status)))
        bakerBad.push(`delivery ${id(delivery)} open (${delivery.status}) for a ${order?.status ?? 'missing'} order`);
    }
    for (const baker of bakers) {
      const counted = deliveries.filter((delivery) => delivery.open === true && String(delivery.bakerId) === id(baker)).length;
      const expected = openByBaker.get(id(baker)) ?? 0;
      if (counted !== expected) bakerBad.push(`baker ${baker.name}: open-order count ${counted}, open orders ${expected}`);
    }
    add(
      'an order with a baker has a delivery in the same state; open-order counts match',
      bakerBad,
      `${deliveries.length} deliveries, ${bakers.length} bakers`,
    );
    return results;
  }

  /** Waits until every invariant holds (the system settles by itself); the last results either way. */
  async settle(input: InvariantInput, timeoutMs: number): Promise<{ results: InvariantResult[]; settledMs: number | null }> {
    const started = Date.now();
    let results: InvariantResult[] = [];
    try {
      await eventually(
        async () => {
          results = await this.check(input);
          return results.every((result) => result.holds);
        },
        { timeoutMs, intervalMs: 1_000, what: 'every invariant to hold' },
      );
      return { results, settledMs: Date.now() - started };
    } catch {
      return { results, settledMs: null };
    }
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** Failed invariants with their examples, for an assertion message. */
export const failures = (results: readonly InvariantResult[]): string =>
  results
    .filter((result) => !result.holds)
    .map((result) => `${result.name}: ${result.figures}; e.g. ${result.examples.join('; ')}`)
    .join('\n');

function count(docs: Doc[], field: string): string {
  const counts = new Map<string, number>();
  for (const doc of docs) counts.set(String(doc[field]), (counts.get(String(doc[field])) ?? 0) + 1);
  return [...counts].map(([value, n]) => `${value}: ${n}`).join(', ') || 'none';
}
