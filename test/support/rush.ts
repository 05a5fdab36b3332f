/**
 * A rush as real clients make it, for the fault tests and `npm run chaos`: customers place orders
 * (cards, a share of them declined; wallets; pickup and delivery), some cancel, and staff move
 * orders along in the kitchen. A client that sees a failure retries with the same idempotency key,
 * as a client must, until it has its answer: so every placement ends acknowledged, refused with a
 * final answer (declined, sold out), or given up after its retries. Every failure is recorded by
 * its code ("dropped" for a connection that gave no answer, "HTML" for anything not JSON).
 */
import { randomUUID } from 'node:crypto';
import type { Stack } from './stack.js';

export interface RushOptions {
  customers: number;
  staff: number;
  /** Products to order from, by id. */
  products: readonly string[];
  /** Share of card payments made with a card that is declined. @defaultValue 0.2 */
  declineShare?: number;
  /** Share of customers who pay from their wallet. @defaultValue 0.3 */
  walletShare?: number;
  /** Share of placed orders the customer cancels soon after. @defaultValue 0.15 */
  cancelShare?: number;
  /** Pause between one customer's orders. @defaultValue 300 */
  thinkMs?: number;
  /** How long one request may take before the client gives up on it (a hang). @defaultValue 15000 */
  requestTimeoutMs?: number;
}

export interface RushFigures {
  placements: number;
  /** Placements that ended with an order (whatever its status). */
  answered: number;
  /** Placements the client gave up on after all its retries. */
  givenUp: number;
  /** Placement attempts (including retries) that failed, by code. */
  failures: Map<string, number>;
  /** Other requests (cancels, staff moves, lists) that failed, by code. */
  otherFailures: Map<string, number>;
  /** Retries with the same key that then answered with an order. */
  retriesAnswered: number;
  /** Keys that ended with more than one order (must be none). */
  keysWithTwoOrders: number;
  cancels: number;
  staffMoves: number;
  /** Requests that took longer than the client's timeout. */
  hangs: number;
}

const MAX_ATTEMPTS = 30;
const RETRY_PAUSE_MS = 500;
const STAFF_MOVES: Record<string, string> = { ASSIGNED: 'startBaking', BAKING: 'markReady', READY: 'completeOrder' };
const DELIVERY_MOVES: Record<string, string> = { ASSIGNED: 'startBaking', BAKING: 'markReady', READY: 'dispatchOrder', OUT_FOR_DELIVERY: 'completeOrder' };

export class Rush {
  readonly acknowledged = new Set<string>();
  /** Each wallet customer's deposits, in minor units. */
  readonly deposits = new Map<string, number>();
  readonly figures: RushFigures = {
    placements: 0,
    answered: 0,
    givenUp: 0,
    failures: new Map(),
    otherFailures: new Map(),
    retriesAnswered: 0,
    keysWithTwoOrders: 0,
    cancels: 0,
    staffMoves: 0,
    hangs: 0,
  };
  private stopping = false;
  private readonly runs: Promise<void>[] = [];
  private readonly ordersByKey = new Map<string, Set<string>>();
  private readonly options: Required<RushOptions>;

  constructor(
    private readonly stack: Stack,
    options: RushOptions,
  ) {
    this.options = { declineShare: 0.2, walletShare: 0.3, cancelShare: 0.15, thinkMs: 300, requestTimeoutMs: 15_000, ...options };
  }

  /** Starts every customer and staff loop; they run until stop(). */
  async start(): Promise<void> {
    const runId = randomUUID().slice(0, 6);
    const customers = await Promise.all(
      Array.from({ length: this.options.customers }, async (_, index) => {
        const id = `rush-${runId}-${index}`;
        const token = await this.stack.customerToken(id);
        const wallet = index < Math.round(this.options.customers * this.options.walletShare);
        if (wallet) await this.deposit(id, token, 1_000_000);
        return { id, token, wallet, index };
      }),
    );
    for (const customer of customers) this.runs.push(this.customerLoop(customer));
    for (let index = 0; index < this.options.staff; index++) this.runs.push(this.staffLoop(index));
  }

  /** Stops taking new work and waits for every loop to finish what it has in hand. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.runs);
  }

  private async deposit(customerId: string, token: string, amount: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const answer = await this.request<{ depositToWallet: { balance: number } }>('mutation($amount: Int!) { depositToWallet(amount: $amount) { balance } }', {
        token,
        variables: { amount },
      });
      if (answer.data?.depositToWallet) {
        this.deposits.set(customerId, (this.deposits.get(customerId) ?? 0) + amount);
        return;
      }
      await pause(RETRY_PAUSE_MS);
    }
    throw new Error(`could not deposit into ${customerId}'s wallet`);
  }

  private async customerLoop(customer: { id: string; token: string; wallet: boolean; index: number }): Promise<void> {
    let n = 0;
    while (!this.stopping) {
      n++;
      const card = Math.random() < this.options.declineShare ? 'tok_chargeDeclined' : 'tok_visa';
      const delivery = (customer.index + n) % 2 === 0;
      const input = {
        idempotencyKey: randomUUID(),
        lines: [{ productId: pick(this.options.products), quantity: 1 + (n % 2) }],
        fulfilment: delivery ? 'DELIVERY' : 'PICKUP',
        ...(delivery ? { deliveryAddress: '1 Bakery Lane' } : {}),
        ...(customer.wallet ? { paymentMethod: 'WALLET' } : { paymentMethod: 'CARD', paymentToken: card }),
      };
      const order = await this.place(customer.token, input);
      if (order && ['CONFIRMED', 'PAYMENT_PENDING'].includes(order.status) && Math.random() < this.options.cancelShare) {
        await this.cancel(customer.token, order.id);
      }
      await pause(this.options.thinkMs);
    }
  }

  /** One placement, retried with the same key until it is answered: the safe retry a client makes. */
  private async place(token: string, input: Record<string, unknown>): Promise<{ id: string; status: string } | null> {
    this.figures.placements++;
    const key = String(input.idempotencyKey);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const answer = await this.request<{ placeOrder: { id: string; status: string } }>(
        'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }',
        { token, variables: { input } },
        'placement',
      );
      const order = answer.data?.placeOrder;
      if (order) {
        this.figures.answered++;
        if (attempt > 0) this.figures.retriesAnswered++;
        this.acknowledged.add(order.id);
        const orders = this.ordersByKey.get(key) ?? new Set();
        orders.add(order.id);
        this.ordersByKey.set(key, orders);
        if (orders.size === 2) this.figures.keysWithTwoOrders++;
        return order;
      }
      const code = answer.code;
      // A final answer about the request itself: not retried.
      if (code === 'BAD_USER_INPUT' || code === 'IDEMPOTENCY_KEY_REUSED' || code === 'FORBIDDEN') return null;
      if (this.stopping && attempt >= 3) break;
      await pause(RETRY_PAUSE_MS);
    }
    this.figures.givenUp++;
    return null;
  }

  private async cancel(token: string, id: string): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const answer = await this.request<{ cancelOrder: { status: string } }>('mutation($id: ID!) { cancelOrder(id: $id) { status } }', {
        token,
        variables: { id },
      });
      if (answer.data?.cancelOrder) {
        this.figures.cancels++;
        return;
      }
      if (answer.code === 'INVALID_TRANSITION' || answer.code === 'NOT_FOUND') return; // baking started, or ended
      await pause(RETRY_PAUSE_MS);
    }
  }

  private async staffLoop(index: number): Promise<void> {
    const statuses = ['ASSIGNED', 'BAKING', 'READY', 'OUT_FOR_DELIVERY'];
    let turn = index;
    while (!this.stopping) {
      const status = statuses[turn++ % statuses.length] ?? 'ASSIGNED';
      const answer = await this.request<{ orders: { nodes: Array<{ id: string; status: string; fulfilment: string }> } }>(
        'query($status: OrderStatus) { orders(status: $status, first: 20) { nodes { id status fulfilment } } }',
        { token: this.stack.staffToken, variables: { status } },
      );
      for (const order of answer.data?.orders.nodes ?? []) {
        if (this.stopping) break;
        const move = (order.fulfilment === 'DELIVERY' ? DELIVERY_MOVES : STAFF_MOVES)[order.status];
        if (!move) continue;
        const moved = await this.request(`mutation($id: ID!) { ${move}(orderId: $id) { id } }`, { token: this.stack.staffToken, variables: { id: order.id } });
        if (moved.data) this.figures.staffMoves++;
      }
      await pause(200);
    }
  }

  /**
   * A request as a client makes it, with its own timeout. The answer's first error code, or
   * `dropped` (no answer: refused, reset, timed out) or `HTML` (an answer that is not JSON).
   */
  private async request<T>(
    query: string,
    { token, variables }: { token: string; variables?: Record<string, unknown> },
    what: 'placement' | 'other' = 'other',
  ): Promise<{ data?: T; code?: string }> {
    const count = (code: string) => {
      const counts = what === 'placement' ? this.figures.failures : this.figures.otherFailures;
      counts.set(code, (counts.get(code) ?? 0) + 1);
    };
    const started = Date.now();
    let text: string;
    try {
      const response = await fetch(this.stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
      text = await response.text();
    } catch (error) {
      if (Date.now() - started >= this.options.requestTimeoutMs) this.figures.hangs++;
      count(error instanceof Error && error.name === 'TimeoutError' ? 'hang' : 'dropped');
      return { code: 'dropped' };
    }
    let body: { data?: T | null; errors?: Array<{ extensions?: { code?: string } }> };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      count('HTML');
      return { code: 'HTML' };
    }
    const code = body.errors?.[0]?.extensions?.code ?? (body.errors ? 'uncoded' : undefined);
    if (code) count(code);
    return { ...(body.data ? { data: body.data } : {}), ...(code ? { code } : {}) };
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)] as T;
