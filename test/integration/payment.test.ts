/**
 * The payment subgraph as a real process: wallets for customers, and the internal operations the
 * order saga calls straight at the subgraph's /graphql with a service token (authorize, refund).
 *
 * The simulated card provider's test tokens (see subgraphs/payment/src/provider/): tok_visa is
 * approved, tok_chargeDeclined declined, tok_timeout approved after 2 s, tok_unavailableOnce
 * unreachable on an order's first attempt and approved on the next; anything else is an invalid
 * token. A second stack with PAYMENT_PROVIDER_MODE=failing covers an unreachable provider.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import mongoose from 'mongoose';
import type { Viewer } from '../../lib/auth.js';
import { startStack, type GraphQLResponse, type Stack } from '../support/stack.js';
import { storeCommands } from '../support/store-commands.js';

interface Payment {
  id: string;
  amount: number;
  method: 'CARD' | 'WALLET' | null;
  status: 'PENDING' | 'AUTHORIZED' | 'DECLINED' | 'REFUNDED' | 'VOIDED';
  declineReason: string | null;
}

interface AuthorizeInput {
  orderId: string;
  customerId: string;
  amount: number;
  method: 'CARD' | 'WALLET';
  token?: string | null;
}

const PAYMENT = 'id amount method status declineReason';
const AUTHORIZE = `mutation($input: AuthorizePaymentInput!) { authorizePayment(input: $input) { ${PAYMENT} } }`;
const REFUND = `mutation($orderId: ID!) { refundPayment(orderId: $orderId) { ${PAYMENT} } }`;

const newOrderId = () => `order-${randomUUID()}`;
const newCustomer = () => `customer-${randomUUID().slice(0, 8)}`;

/** Talks to one stack's payment subgraph the way the order saga and customers do. */
const STAFF: Viewer = { id: 'staff-1', roles: ['STAFF'] };
const customer = (id: string): Viewer => ({ id, roles: ['CUSTOMER'] });

class PaymentApi {
  readonly url: string;
  private constructor(
    readonly stack: Stack,
    readonly service: string,
  ) {
    this.url = stack.services.url('payment');
  }

  static async on(stack: Stack): Promise<PaymentApi> {
    return new PaymentApi(stack, await stack.serviceToken());
  }

  /** `token` null: an anonymous caller. */
  authorize(input: AuthorizeInput, token: string | null = this.service) {
    return this.stack.graphql<{ authorizePayment: Payment }>(AUTHORIZE, { url: this.url, token: token ?? undefined, variables: { input } });
  }

  /** Authorizes and insists on an answer: the payment. */
  async authorized(input: AuthorizeInput): Promise<Payment> {
    return answer(await this.authorize(input)).authorizePayment;
  }

  refund(orderId: string, token: string | null = this.service) {
    return this.stack.graphql<{ refundPayment: Payment }>(REFUND, { url: this.url, token: token ?? undefined, variables: { orderId } });
  }

  async refunded(orderId: string): Promise<Payment> {
    return answer(await this.refund(orderId)).refundPayment;
  }

  /** The order's payment as the supergraph reads it (Order.payment through an entity reference). */
  async paymentOf(orderId: string): Promise<Payment | null> {
    const response = await this.stack.graphql<{ _entities: Array<{ payment: Payment | null }> }>(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { payment { ${PAYMENT} } } } }`,
      { url: this.url, token: this.service, variables: { representations: [{ __typename: 'Order', id: orderId }] } },
    );
    return answer(response)._entities[0]?.payment ?? null;
  }

  deposit(customerId: string, amount: number, token?: string) {
    return (token ? Promise.resolve(token) : this.stack.callerToken(customer(customerId))).then((bearer) =>
      this.stack.graphql<{ depositToWallet: { customerId: string; balance: number } }>(
        'mutation($amount: Int!) { depositToWallet(amount: $amount) { customerId balance } }',
        { url: this.url, token: bearer, variables: { amount } },
      ),
    );
  }

  async balanceOf(customerId: string): Promise<number> {
    const response = await this.stack.graphql<{ myWallet: { customerId: string; balance: number } }>('{ myWallet { customerId balance } }', {
      url: this.url,
      token: await this.stack.callerToken(customer(customerId)),
    });
    const { myWallet } = answer(response);
    expect(myWallet.customerId).toBe(customerId);
    return myWallet.balance;
  }

  /** A customer whose wallet holds `balance`. */
  async customerWith(balance: number): Promise<string> {
    const customerId = newCustomer();
    if (balance > 0) expect(answer(await this.deposit(customerId, balance)).depositToWallet.balance).toBe(balance);
    return customerId;
  }
}

function answer<T>(response: GraphQLResponse<T>): T {
  expect(response.errors).toBeUndefined();
  assert.ok(response.data);
  return response.data;
}

const errorCode = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.code;

describe('the payment subgraph with a reachable card provider', () => {
  let stack: Stack;
  let api: PaymentApi;

  beforeAll(async () => {
    stack = await startStack({ services: ['payment'] });
    api = await PaymentApi.on(stack);
  });
  afterAll(() => stack?.stop());

  const card = (token: string | null, amount = 15_000): AuthorizeInput => ({ orderId: newOrderId(), customerId: newCustomer(), amount, method: 'CARD', token });
  const wallet = (customerId: string, amount: number): AuthorizeInput => ({ orderId: newOrderId(), customerId, amount, method: 'WALLET' });

  describe('authorizing a card', () => {
    test('tok_visa is authorized', async () => {
      const payment = await api.authorized(card('tok_visa'));
      expect({ ...payment, id: undefined }).toStrictEqual({ id: undefined, amount: 15_000, method: 'CARD', status: 'AUTHORIZED', declineReason: null });
    });

    test('an authorization is two writes to the store, its insert and its status, and no read after them', async () => {
      const before = await storeCommands(stack, 'payment');
      expect((await api.authorized(card('tok_visa'))).status).toBe('AUTHORIZED');
      const after = await storeCommands(stack, 'payment');
      const made = [...after].flatMap(([command, count]) => Array(count - (before.get(command) ?? 0)).fill(command) as string[]);
      expect(made.sort()).toStrictEqual(['findOneAndUpdate payments', 'insertOne payments']);
    });

    test('tok_chargeDeclined is declined by the provider: CARD_DECLINED', async () => {
      const payment = await api.authorized(card('tok_chargeDeclined'));
      expect(payment.status).toBe('DECLINED');
      expect(payment.declineReason).toBe('CARD_DECLINED');
    });

    test('an unknown or missing token is declined: INVALID_TOKEN', async () => {
      for (const token of ['tok_bogus', null]) {
        const { status, declineReason } = await api.authorized(card(token));
        expect({ token, status, declineReason }).toStrictEqual({ token, status: 'DECLINED', declineReason: 'INVALID_TOKEN' });
      }
    });

    test('ten concurrent authorizes of one order answer one and the same authorized payment', async () => {
      const input = card('tok_visa');
      const payments = await Promise.all(Array.from({ length: 10 }, () => api.authorized(input)));
      expect(new Set(payments.map((payment) => payment.id)).size).toBe(1);
      for (const payment of payments) expect(payment.status).toBe('AUTHORIZED');
    });

    test('a declined payment stays declined when repeated, even with a good token', async () => {
      const input = card('tok_chargeDeclined');
      const first = await api.authorized(input);
      const repeat = await api.authorized({ ...input, token: 'tok_visa' });
      expect(repeat).toStrictEqual(first);
    });

    test('a caller that gives up after 1 s on tok_timeout finds the payment PENDING, and its retry authorized', async () => {
      const input = card('tok_timeout');
      const impatient = fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${api.service}` },
        body: JSON.stringify({ query: AUTHORIZE, variables: { input } }),
        signal: AbortSignal.timeout(1_000),
      });
      await expect(impatient).rejects.toHaveProperty('name', 'TimeoutError');
      expect((await api.paymentOf(input.orderId))?.status).toBe('PENDING'); // the provider is still deciding
      const retried = await api.authorized(input);
      expect(retried.status).toBe('AUTHORIZED');
      expect((await api.paymentOf(input.orderId))?.id).toBe(retried.id);
    });

    test('an unreachable provider is SERVICE_UNAVAILABLE and leaves the payment PENDING; the retry authorizes it', async () => {
      const input = card('tok_unavailableOnce');
      const first = await api.authorize(input);
      expect(errorCode(first)).toBe('SERVICE_UNAVAILABLE');
      expect(first.data).toBeNull();
      expect((await api.paymentOf(input.orderId))?.status).toBe('PENDING');
      const retried = await api.authorized(input);
      expect(retried.status).toBe('AUTHORIZED');
      expect(retried.declineReason).toBeNull();
    });
  });

  describe('authorizing from a wallet', () => {
    test('a wallet that covers the amount is debited and the payment authorized', async () => {
      const customerId = await api.customerWith(20_000);
      const payment = await api.authorized(wallet(customerId, 12_000));
      expect(payment.status).toBe('AUTHORIZED');
      expect(payment.method).toBe('WALLET');
      expect(await api.balanceOf(customerId)).toBe(8_000);
    });

    test('a wallet that holds too little is declined with INSUFFICIENT_FUNDS and keeps its balance', async () => {
      const customerId = await api.customerWith(5_000);
      const payment = await api.authorized(wallet(customerId, 5_001));
      expect(payment.status).toBe('DECLINED');
      expect(payment.declineReason).toBe('INSUFFICIENT_FUNDS');
      expect(await api.balanceOf(customerId)).toBe(5_000);
      expect((await api.authorized(wallet(customerId, 5_000))).status).toBe('AUTHORIZED'); // exactly the balance is enough
      expect(await api.balanceOf(customerId)).toBe(0);
    });

    test('a customer who never deposited has nothing to pay with', async () => {
      const payment = await api.authorized(wallet(newCustomer(), 1));
      expect(payment.declineReason).toBe('INSUFFICIENT_FUNDS');
    });

    test('ten concurrent authorizes of one order debit the wallet once', async () => {
      const customerId = await api.customerWith(10_000);
      const input = wallet(customerId, 3_000);
      const payments = await Promise.all(Array.from({ length: 10 }, () => api.authorized(input)));
      expect(new Set(payments.map((payment) => payment.id)).size).toBe(1);
      for (const payment of payments) expect(payment.status).toBe('AUTHORIZED');
      expect(await api.balanceOf(customerId)).toBe(7_000);
    });

    test('50 concurrent orders against a balance for 20: exactly 20 are authorized and the balance ends at 0', async () => {
      const customerId = await api.customerWith(20 * 1_000);
      const payments = await Promise.all(Array.from({ length: 50 }, () => api.authorized(wallet(customerId, 1_000))));
      const statuses = payments.map((payment) => payment.status);
      expect(statuses.filter((status) => status === 'AUTHORIZED').length).toBe(20);
      expect(payments.filter((payment) => payment.declineReason === 'INSUFFICIENT_FUNDS').length).toBe(30);
      expect(await api.balanceOf(customerId)).toBe(0);
    });

    test('a crash between the debit and the status write heals on retry without a second debit', async () => {
      const customerId = await api.customerWith(10_000);
      const orderId = newOrderId();
      // What a crashed authorize leaves: its PENDING payment, and its debit recorded on the wallet.
      await withPaymentDatabase(stack, async (db) => {
        const now = new Date();
        await db
          .collection('payments')
          .insertOne({ orderId, customerId, amount: 4_000, method: 'WALLET', status: 'PENDING', declineReason: null, createdAt: now, updatedAt: now });
        const debit = await db
          .collection<{ _id: string }>('wallets')
          .updateOne({ _id: customerId, balance: { $gte: 4_000 }, debits: { $ne: orderId } }, { $inc: { balance: -4_000 }, $addToSet: { debits: orderId } });
        expect(debit.modifiedCount).toBe(1);
      });
      const payment = await api.authorized({ orderId, customerId, amount: 4_000, method: 'WALLET' });
      expect(payment.status).toBe('AUTHORIZED');
      expect(await api.balanceOf(customerId)).toBe(6_000);
    });
  });

  describe('refunds', () => {
    test('an authorized card payment is refunded, and stays refunded when repeated', async () => {
      const input = card('tok_visa');
      const authorized = await api.authorized(input);
      const refunded = await api.refunded(input.orderId);
      expect(refunded).toStrictEqual({ ...authorized, status: 'REFUNDED' });
      expect(await api.refunded(input.orderId)).toStrictEqual(refunded);
      expect((await api.authorized(input)).status).toBe('REFUNDED'); // a late repeat of the authorize charges nothing
    });

    test('five concurrent refunds of a wallet payment credit the wallet once', async () => {
      const customerId = await api.customerWith(10_000);
      const input = wallet(customerId, 2_500);
      await api.authorized(input);
      expect(await api.balanceOf(customerId)).toBe(7_500);
      const refunds = await Promise.all(Array.from({ length: 5 }, () => api.refunded(input.orderId)));
      for (const refund of refunds) expect(refund.status).toBe('REFUNDED');
      expect(await api.balanceOf(customerId)).toBe(10_000);
      expect((await api.authorized(input)).status).toBe('REFUNDED');
      expect(await api.balanceOf(customerId)).toBe(10_000); // a late authorize does not debit again
    });

    test('a refund before any authorize voids the order, and the late authorize charges nothing', async () => {
      const customerId = await api.customerWith(10_000);
      const input = wallet(customerId, 3_000);
      const voided = await api.refunded(input.orderId);
      expect({ ...voided, id: undefined }).toStrictEqual({ id: undefined, amount: 0, method: null, status: 'VOIDED', declineReason: null });
      const late = await api.authorized(input);
      expect(late).toStrictEqual(voided);
      expect(await api.balanceOf(customerId)).toBe(10_000);

      const lateCard = card('tok_visa');
      await api.refunded(lateCard.orderId);
      expect((await api.authorized(lateCard)).status).toBe('VOIDED');
    });

    test('a pending card payment is voided, and its retry then charges nothing', async () => {
      const input = card('tok_unavailableOnce');
      expect(errorCode(await api.authorize(input))).toBe('SERVICE_UNAVAILABLE');
      const voided = await api.refunded(input.orderId);
      expect(voided.status).toBe('VOIDED');
      expect(voided.method).toBe('CARD');
      expect((await api.authorized(input)).status).toBe('VOIDED');
    });

    test('a declined payment stays declined and its wallet untouched', async () => {
      const customerId = await api.customerWith(1_000);
      const input = wallet(customerId, 2_000);
      expect((await api.authorized(input)).status).toBe('DECLINED');
      const refund = await api.refunded(input.orderId);
      expect(refund.status).toBe('DECLINED');
      expect(refund.declineReason).toBe('INSUFFICIENT_FUNDS');
      expect(await api.balanceOf(customerId)).toBe(1_000);
    });

    test('authorizes racing refunds of the same orders leave the wallet whole', async () => {
      const customerId = await api.customerWith(10_000);
      const orders = Array.from({ length: 8 }, () => wallet(customerId, 1_000));
      await Promise.all(orders.flatMap((input) => Array.from({ length: 4 }, (_, i) => (i % 2 === 0 ? api.authorized(input) : api.refunded(input.orderId)))));
      for (const input of orders) {
        const status = (await api.refunded(input.orderId)).status;
        expect(['REFUNDED', 'VOIDED']).toContain(status);
      }
      expect(await api.balanceOf(customerId)).toBe(10_000);
    });

    test('a crash between marking a wallet payment refunded and crediting it heals on the next refund', async () => {
      const customerId = await api.customerWith(10_000);
      const input = wallet(customerId, 6_000);
      await api.authorized(input);
      await withPaymentDatabase(stack, async (db) => {
        const settled = await db.collection('payments').updateOne({ orderId: input.orderId, status: 'AUTHORIZED' }, { $set: { status: 'REFUNDED' } });
        expect(settled.modifiedCount).toBe(1);
      });
      expect(await api.balanceOf(customerId)).toBe(4_000);
      expect((await api.refunded(input.orderId)).status).toBe('REFUNDED');
      expect(await api.balanceOf(customerId)).toBe(10_000);
      await api.refunded(input.orderId);
      expect(await api.balanceOf(customerId)).toBe(10_000);
    });
  });

  describe('who may call what', () => {
    test('authorize and refund refuse every caller but a service, and change nothing', async () => {
      const customerId = await api.customerWith(5_000);
      const input = wallet(customerId, 1_000);
      // Through the gateway, as a customer, as staff or anonymously: the operation is not theirs.
      const callers = { customer: customer(customerId), staff: STAFF, anonymous: null };
      for (const [caller, viewer] of Object.entries(callers)) {
        const token = await stack.callerToken(viewer);
        const refused = { authorize: errorCode(await api.authorize(input, token)), refund: errorCode(await api.refund(input.orderId, token)) };
        expect({ caller, refused }).toStrictEqual({ caller, refused: { authorize: 'FORBIDDEN', refund: 'FORBIDDEN' } });
      }
      // Straight at the subgraph, with a user's own token or none: not even let in.
      const tokens = { customer: await stack.customerToken(customerId), staff: stack.staffToken, none: null };
      for (const [caller, token] of Object.entries(tokens)) {
        const refused = { authorize: errorCode(await api.authorize(input, token)), refund: errorCode(await api.refund(input.orderId, token)) };
        expect({ caller, refused }).toStrictEqual({ caller, refused: { authorize: 'UNAUTHENTICATED', refund: 'UNAUTHENTICATED' } });
      }
      expect(await api.paymentOf(input.orderId)).toBeNull();
      expect(await api.balanceOf(customerId)).toBe(5_000);
    });

    test('bad authorize input is refused naming the field, and stores nothing', async () => {
      const input = { ...card('tok_visa'), amount: 0 };
      const response = await api.authorize(input);
      expect(response.errors?.[0]?.extensions).toStrictEqual({ code: 'BAD_USER_INPUT', field: 'input.amount' });
      expect((await api.authorize({ ...input, amount: 10_000_001 })).errors?.[0]?.extensions).toStrictEqual({ code: 'BAD_USER_INPUT', field: 'input.amount' });
      expect(await api.paymentOf(input.orderId)).toBeNull();
    });

    test('a customer deposits into an own wallet, in whole amounts from 1 to 1,000,000', async () => {
      const customerId = newCustomer();
      expect(await api.balanceOf(customerId)).toBe(0);
      expect(answer(await api.deposit(customerId, 1_000_000)).depositToWallet).toStrictEqual({ customerId, balance: 1_000_000 });
      expect(answer(await api.deposit(customerId, 1)).depositToWallet).toStrictEqual({ customerId, balance: 1_000_001 });
      for (const amount of [0, -100, 1_000_001]) {
        const refused = (await api.deposit(customerId, amount)).errors?.[0]?.extensions;
        expect({ amount, refused }).toStrictEqual({ amount, refused: { code: 'BAD_USER_INPUT', field: 'amount' } });
      }
      expect(errorCode(await api.deposit(customerId, 2.5))).toBe('BAD_USER_INPUT'); // not an Int
      expect(await api.balanceOf(customerId)).toBe(1_000_001);
    });

    test('concurrent first deposits open one wallet and lose none', async () => {
      const customerId = newCustomer();
      const token = await stack.callerToken(customer(customerId));
      await Promise.all(Array.from({ length: 10 }, () => api.deposit(customerId, 100, token).then(answer)));
      expect(await api.balanceOf(customerId)).toBe(1_000);
    });

    test('staff cannot deposit, and an anonymous caller must sign in', async () => {
      expect(errorCode(await api.deposit('staff-1', 1_000, await stack.callerToken(STAFF)))).toBe('FORBIDDEN');
      const anonymous = await stack.graphql('mutation { depositToWallet(amount: 1000) { balance } }', { url: api.url, token: await stack.callerToken(null) });
      expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
      expect(errorCode(await stack.graphql('{ myWallet { balance } }', { url: api.url, token: await stack.callerToken(STAFF) }))).toBe('FORBIDDEN');
    });
  });
});

describe('the payment subgraph when the card provider is unreachable (PAYMENT_PROVIDER_MODE=failing)', () => {
  let stack: Stack;
  let api: PaymentApi;
  const PROVIDER_DELAY_MS = 200;

  beforeAll(async () => {
    stack = await startStack({ services: ['payment'], env: { PAYMENT_PROVIDER_MODE: 'failing', PAYMENT_PROVIDER_DELAY_MS: String(PROVIDER_DELAY_MS) } });
    api = await PaymentApi.on(stack);
  });
  afterAll(() => stack?.stop());

  test('a card authorize is SERVICE_UNAVAILABLE after the provider delay, and the payment stays PENDING however often it is tried', async () => {
    const input: AuthorizeInput = { orderId: newOrderId(), customerId: newCustomer(), amount: 9_000, method: 'CARD', token: 'tok_visa' };
    for (let attempt = 0; attempt < 2; attempt++) {
      const started = performance.now();
      const response = await api.authorize(input);
      expect(errorCode(response)).toBe('SERVICE_UNAVAILABLE');
      expect(performance.now() - started).toBeGreaterThanOrEqual(PROVIDER_DELAY_MS); // the provider was slow before it failed
      expect((await api.paymentOf(input.orderId))?.status).toBe('PENDING');
    }
  });

  test('a pending card payment cannot be voided until the provider has released it', async () => {
    const input: AuthorizeInput = { orderId: newOrderId(), customerId: newCustomer(), amount: 9_000, method: 'CARD', token: 'tok_visa' };
    expect(errorCode(await api.authorize(input))).toBe('SERVICE_UNAVAILABLE');
    expect(errorCode(await api.refund(input.orderId))).toBe('SERVICE_UNAVAILABLE');
    expect((await api.paymentOf(input.orderId))?.status).toBe('PENDING');
  });

  test('wallet payments and voids of unpaid orders need no provider', async () => {
    const customerId = await api.customerWith(5_000);
    const input: AuthorizeInput = { orderId: newOrderId(), customerId, amount: 2_000, method: 'WALLET' };
    expect((await api.authorized(input)).status).toBe('AUTHORIZED');
    expect((await api.refunded(input.orderId)).status).toBe('REFUNDED');
    expect(await api.balanceOf(customerId)).toBe(5_000);
    expect((await api.refunded(newOrderId())).status).toBe('VOIDED');
  });
});

/** Direct access to a stack's payment database, to set up what a crash would leave behind. */
async function withPaymentDatabase(stack: Stack, use: (db: mongoose.mongo.Db) => Promise<void>): Promise<void> {
  const url = process.env.MONGODB_URL;
  assert.ok(url, 'MONGODB_URL is set by npm test');
  const connection = await mongoose.createConnection(url, { dbName: `${stack.dbPrefix}_payment`, serverSelectionTimeoutMS: 5_000 }).asPromise();
  try {
    assert.ok(connection.db);
    await use(connection.db);
  } finally {
    await connection.close();
  }
}
