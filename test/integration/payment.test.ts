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
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { startStack, type GraphQLResponse, type Stack } from '../support/stack.js';

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
    return (token ? Promise.resolve(token) : this.stack.customerToken(customerId)).then((bearer) =>
      this.stack.graphql<{ depositToWallet: { customerId: string; balance: number } }>(
        'mutation($amount: Int!) { depositToWallet(amount: $amount) { customerId balance } }',
        { url: this.url, token: bearer, variables: { amount } },
      ),
    );
  }

  async balanceOf(customerId: string): Promise<number> {
    const response = await this.stack.graphql<{ myWallet: { customerId: string; balance: number } }>('{ myWallet { customerId balance } }', {
      url: this.url,
      token: await this.stack.customerToken(customerId),
    });
    const { myWallet } = answer(response);
    assert.equal(myWallet.customerId, customerId);
    return myWallet.balance;
  }

  /** A customer whose wallet holds `balance`. */
  async customerWith(balance: number): Promise<string> {
    const customerId = newCustomer();
    if (balance > 0) assert.equal(answer(await this.deposit(customerId, balance)).depositToWallet.balance, balance);
    return customerId;
  }
}

function answer<T>(response: GraphQLResponse<T>): T {
  assert.equal(response.errors, undefined, JSON.stringify(response.errors));
  assert.ok(response.data);
  return response.data;
}

const errorCode = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.code;

describe('the payment subgraph with a reachable card provider', () => {
  let stack: Stack;
  let api: PaymentApi;

  before(async () => {
    stack = await startStack({ services: ['payment'] });
    api = await PaymentApi.on(stack);
  });
  after(() => stack?.stop());

  const card = (token: string | null, amount = 15_000): AuthorizeInput => ({ orderId: newOrderId(), customerId: newCustomer(), amount, method: 'CARD', token });
  const wallet = (customerId: string, amount: number): AuthorizeInput => ({ orderId: newOrderId(), customerId, amount, method: 'WALLET' });

  describe('authorizing a card', () => {
    test('tok_visa is authorized', async () => {
      const payment = await api.authorized(card('tok_visa'));
      assert.deepEqual({ ...payment, id: undefined }, { id: undefined, amount: 15_000, method: 'CARD', status: 'AUTHORIZED', declineReason: null });
    });

    test('tok_chargeDeclined is declined by the provider: CARD_DECLINED', async () => {
      const payment = await api.authorized(card('tok_chargeDeclined'));
      assert.equal(payment.status, 'DECLINED');
      assert.equal(payment.declineReason, 'CARD_DECLINED');
    });

    test('an unknown or missing token is declined: INVALID_TOKEN', async () => {
      for (const token of ['tok_bogus', null]) {
        const payment = await api.authorized(card(token));
        assert.equal(payment.status, 'DECLINED', String(token));
        assert.equal(payment.declineReason, 'INVALID_TOKEN', String(token));
      }
    });

    test('ten concurrent authorizes of one order answer one and the same authorized payment', async () => {
      const input = card('tok_visa');
      const payments = await Promise.all(Array.from({ length: 10 }, () => api.authorized(input)));
      assert.equal(new Set(payments.map((payment) => payment.id)).size, 1);
      for (const payment of payments) assert.equal(payment.status, 'AUTHORIZED');
    });

    test('a declined payment stays declined when repeated, even with a good token', async () => {
      const input = card('tok_chargeDeclined');
      const first = await api.authorized(input);
      const repeat = await api.authorized({ ...input, token: 'tok_visa' });
      assert.deepEqual(repeat, first);
    });

    test('a caller that gives up after 1 s on tok_timeout finds the payment PENDING, and its retry authorized', async () => {
      const input = card('tok_timeout');
      const impatient = fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${api.service}` },
        body: JSON.stringify({ query: AUTHORIZE, variables: { input } }),
        signal: AbortSignal.timeout(1_000),
      });
      await assert.rejects(impatient, { name: 'TimeoutError' });
      assert.equal((await api.paymentOf(input.orderId))?.status, 'PENDING', 'the provider is still deciding');
      const retried = await api.authorized(input);
      assert.equal(retried.status, 'AUTHORIZED');
      assert.equal((await api.paymentOf(input.orderId))?.id, retried.id);
    });

    test('an unreachable provider is SERVICE_UNAVAILABLE and leaves the payment PENDING; the retry authorizes it', async () => {
      const input = card('tok_unavailableOnce');
      const first = await api.authorize(input);
      assert.equal(errorCode(first), 'SERVICE_UNAVAILABLE');
      assert.equal(first.data, null);
      assert.equal((await api.paymentOf(input.orderId))?.status, 'PENDING');
      const retried = await api.authorized(input);
      assert.equal(retried.status, 'AUTHORIZED');
      assert.equal(retried.declineReason, null);
    });
  });

  describe('authorizing from a wallet', () => {
    test('a wallet that covers the amount is debited and the payment authorized', async () => {
      const customerId = await api.customerWith(20_000);
      const payment = await api.authorized(wallet(customerId, 12_000));
      assert.equal(payment.status, 'AUTHORIZED');
      assert.equal(payment.method, 'WALLET');
      assert.equal(await api.balanceOf(customerId), 8_000);
    });

    test('a wallet that holds too little is declined with INSUFFICIENT_FUNDS and keeps its balance', async () => {
      const customerId = await api.customerWith(5_000);
      const payment = await api.authorized(wallet(customerId, 5_001));
      assert.equal(payment.status, 'DECLINED');
      assert.equal(payment.declineReason, 'INSUFFICIENT_FUNDS');
      assert.equal(await api.balanceOf(customerId), 5_000);
      assert.equal((await api.authorized(wallet(customerId, 5_000))).status, 'AUTHORIZED', 'exactly the balance is enough');
      assert.equal(await api.balanceOf(customerId), 0);
    });

    test('a customer who never deposited has nothing to pay with', async () => {
      const payment = await api.authorized(wallet(newCustomer(), 1));
      assert.equal(payment.declineReason, 'INSUFFICIENT_FUNDS');
    });

    test('ten concurrent authorizes of one order debit the wallet once', async () => {
      const customerId = await api.customerWith(10_000);
      const input = wallet(customerId, 3_000);
      const payments = await Promise.all(Array.from({ length: 10 }, () => api.authorized(input)));
      assert.equal(new Set(payments.map((payment) => payment.id)).size, 1);
      for (const payment of payments) assert.equal(payment.status, 'AUTHORIZED');
      assert.equal(await api.balanceOf(customerId), 7_000);
    });

    test('50 concurrent orders against a balance for 20: exactly 20 are authorized and the balance ends at 0', async () => {
      const customerId = await api.customerWith(20 * 1_000);
      const payments = await Promise.all(Array.from({ length: 50 }, () => api.authorized(wallet(customerId, 1_000))));
      const statuses = payments.map((payment) => payment.status);
      assert.equal(statuses.filter((status) => status === 'AUTHORIZED').length, 20);
      assert.equal(payments.filter((payment) => payment.declineReason === 'INSUFFICIENT_FUNDS').length, 30);
      assert.equal(await api.balanceOf(customerId), 0);
    });

    test('a crash between the debit and the status write heals on retry without a second debit', async () => {
      const customerId = await api.customerWith(10_000);
      const orderId = newOrderId();
      // What a crashed authorize leaves: its PENDING payment, and its debit recorded on the wallet.
      await withPaymentDatabase(stack, async (db) => {
        const now = new Date();
        await db.collection('payments').insertOne({ orderId, customerId, amount: 4_000, method: 'WALLET', status: 'PENDING', declineReason: null, createdAt: now, updatedAt: now });
        const debit = await db.collection<{ _id: string }>('wallets').updateOne(
          { _id: customerId, balance: { $gte: 4_000 }, debits: { $ne: orderId } },
          { $inc: { balance: -4_000 }, $addToSet: { debits: orderId } },
        );
        assert.equal(debit.modifiedCount, 1);
      });
      const payment = await api.authorized({ orderId, customerId, amount: 4_000, method: 'WALLET' });
      assert.equal(payment.status, 'AUTHORIZED');
      assert.equal(await api.balanceOf(customerId), 6_000);
    });
  });

  describe('refunds', () => {
    test('an authorized card payment is refunded, and stays refunded when repeated', async () => {
      const input = card('tok_visa');
      const authorized = await api.authorized(input);
      const refunded = await api.refunded(input.orderId);
      assert.deepEqual(refunded, { ...authorized, status: 'REFUNDED' });
      assert.deepEqual(await api.refunded(input.orderId), refunded);
      assert.equal((await api.authorized(input)).status, 'REFUNDED', 'a late repeat of the authorize charges nothing');
    });

    test('five concurrent refunds of a wallet payment credit the wallet once', async () => {
      const customerId = await api.customerWith(10_000);
      const input = wallet(customerId, 2_500);
      await api.authorized(input);
      assert.equal(await api.balanceOf(customerId), 7_500);
      const refunds = await Promise.all(Array.from({ length: 5 }, () => api.refunded(input.orderId)));
      for (const refund of refunds) assert.equal(refund.status, 'REFUNDED');
      assert.equal(await api.balanceOf(customerId), 10_000);
      assert.equal((await api.authorized(input)).status, 'REFUNDED');
      assert.equal(await api.balanceOf(customerId), 10_000, 'a late authorize does not debit again');
    });

    test('a refund before any authorize voids the order, and the late authorize charges nothing', async () => {
      const customerId = await api.customerWith(10_000);
      const input = wallet(customerId, 3_000);
      const voided = await api.refunded(input.orderId);
      assert.deepEqual({ ...voided, id: undefined }, { id: undefined, amount: 0, method: null, status: 'VOIDED', declineReason: null });
      const late = await api.authorized(input);
      assert.deepEqual(late, voided);
      assert.equal(await api.balanceOf(customerId), 10_000);

      const lateCard = card('tok_visa');
      await api.refunded(lateCard.orderId);
      assert.equal((await api.authorized(lateCard)).status, 'VOIDED');
    });

    test('a pending card payment is voided, and its retry then charges nothing', async () => {
      const input = card('tok_unavailableOnce');
      assert.equal(errorCode(await api.authorize(input)), 'SERVICE_UNAVAILABLE');
      const voided = await api.refunded(input.orderId);
      assert.equal(voided.status, 'VOIDED');
      assert.equal(voided.method, 'CARD');
      assert.equal((await api.authorized(input)).status, 'VOIDED');
    });

    test('a declined payment stays declined and its wallet untouched', async () => {
      const customerId = await api.customerWith(1_000);
      const input = wallet(customerId, 2_000);
      assert.equal((await api.authorized(input)).status, 'DECLINED');
      const refund = await api.refunded(input.orderId);
      assert.equal(refund.status, 'DECLINED');
      assert.equal(refund.declineReason, 'INSUFFICIENT_FUNDS');
      assert.equal(await api.balanceOf(customerId), 1_000);
    });

    test('authorizes racing refunds of the same orders leave the wallet whole', async () => {
      const customerId = await api.customerWith(10_000);
      const orders = Array.from({ length: 8 }, () => wallet(customerId, 1_000));
      await Promise.all(orders.flatMap((input) => Array.from({ length: 4 }, (_, i) => (i % 2 === 0 ? api.authorized(input) : api.refunded(input.orderId)))));
      for (const input of orders) {
        const status = (await api.refunded(input.orderId)).status;
        assert.ok(status === 'REFUNDED' || status === 'VOIDED', status);
      }
      assert.equal(await api.balanceOf(customerId), 10_000);
    });

    test('a crash between marking a wallet payment refunded and crediting it heals on the next refund', async () => {
      const customerId = await api.customerWith(10_000);
      const input = wallet(customerId, 6_000);
      await api.authorized(input);
      await withPaymentDatabase(stack, async (db) => {
        const settled = await db.collection('payments').updateOne({ orderId: input.orderId, status: 'AUTHORIZED' }, { $set: { status: 'REFUNDED' } });
        assert.equal(settled.modifiedCount, 1);
      });
      assert.equal(await api.balanceOf(customerId), 4_000);
      assert.equal((await api.refunded(input.orderId)).status, 'REFUNDED');
      assert.equal(await api.balanceOf(customerId), 10_000);
      await api.refunded(input.orderId);
      assert.equal(await api.balanceOf(customerId), 10_000);
    });
  });

  describe('who may call what', () => {
    test('authorize and refund refuse every token but a service token, and change nothing', async () => {
      const customerId = await api.customerWith(5_000);
      const input = wallet(customerId, 1_000);
      for (const token of [await stack.customerToken(customerId), stack.staffToken, null]) {
        assert.equal(errorCode(await api.authorize(input, token)), 'FORBIDDEN', `authorize with ${token ? 'a user token' : 'no token'}`);
        assert.equal(errorCode(await api.refund(input.orderId, token)), 'FORBIDDEN', `refund with ${token ? 'a user token' : 'no token'}`);
      }
      assert.equal(await api.paymentOf(input.orderId), null);
      assert.equal(await api.balanceOf(customerId), 5_000);
    });

    test('bad authorize input is refused naming the field, and stores nothing', async () => {
      const input = { ...card('tok_visa'), amount: 0 };
      const response = await api.authorize(input);
      assert.deepEqual(response.errors?.[0]?.extensions, { code: 'BAD_USER_INPUT', field: 'input.amount' });
      assert.deepEqual((await api.authorize({ ...input, amount: 10_000_001 })).errors?.[0]?.extensions, { code: 'BAD_USER_INPUT', field: 'input.amount' });
      assert.equal(await api.paymentOf(input.orderId), null);
    });

    test('a customer deposits into an own wallet, in whole amounts from 1 to 1,000,000', async () => {
      const customerId = newCustomer();
      assert.equal(await api.balanceOf(customerId), 0);
      assert.deepEqual(answer(await api.deposit(customerId, 1_000_000)).depositToWallet, { customerId, balance: 1_000_000 });
      assert.deepEqual(answer(await api.deposit(customerId, 1)).depositToWallet, { customerId, balance: 1_000_001 });
      for (const amount of [0, -100, 1_000_001]) {
        assert.deepEqual((await api.deposit(customerId, amount)).errors?.[0]?.extensions, { code: 'BAD_USER_INPUT', field: 'amount' }, String(amount));
      }
      assert.equal(errorCode(await api.deposit(customerId, 2.5)), 'BAD_USER_INPUT', 'not an Int');
      assert.equal(await api.balanceOf(customerId), 1_000_001);
    });

    test('concurrent first deposits open one wallet and lose none', async () => {
      const customerId = newCustomer();
      const token = await stack.customerToken(customerId);
      await Promise.all(Array.from({ length: 10 }, () => api.deposit(customerId, 100, token).then(answer)));
      assert.equal(await api.balanceOf(customerId), 1_000);
    });

    test('staff cannot deposit, and an anonymous caller must sign in', async () => {
      assert.equal(errorCode(await api.deposit('staff-1', 1_000, stack.staffToken)), 'FORBIDDEN');
      const anonymous = await stack.graphql('mutation { depositToWallet(amount: 1000) { balance } }', { url: api.url });
      assert.equal(errorCode(anonymous), 'UNAUTHENTICATED');
      assert.equal(errorCode(await stack.graphql('{ myWallet { balance } }', { url: api.url, token: stack.staffToken })), 'FORBIDDEN');
    });
  });
});

describe('the payment subgraph when the card provider is unreachable (PAYMENT_PROVIDER_MODE=failing)', () => {
  let stack: Stack;
  let api: PaymentApi;
  const PROVIDER_DELAY_MS = 200;

  before(async () => {
    stack = await startStack({ services: ['payment'], env: { PAYMENT_PROVIDER_MODE: 'failing', PAYMENT_PROVIDER_DELAY_MS: String(PROVIDER_DELAY_MS) } });
    api = await PaymentApi.on(stack);
  });
  after(() => stack?.stop());

  test('a card authorize is SERVICE_UNAVAILABLE after the provider delay, and the payment stays PENDING however often it is tried', async () => {
    const input: AuthorizeInput = { orderId: newOrderId(), customerId: newCustomer(), amount: 9_000, method: 'CARD', token: 'tok_visa' };
    for (let attempt = 0; attempt < 2; attempt++) {
      const started = performance.now();
      const response = await api.authorize(input);
      assert.equal(errorCode(response), 'SERVICE_UNAVAILABLE');
      assert.ok(performance.now() - started >= PROVIDER_DELAY_MS, 'the provider was slow before it failed');
      assert.equal((await api.paymentOf(input.orderId))?.status, 'PENDING');
    }
  });

  test('a pending card payment cannot be voided until the provider has released it', async () => {
    const input: AuthorizeInput = { orderId: newOrderId(), customerId: newCustomer(), amount: 9_000, method: 'CARD', token: 'tok_visa' };
    assert.equal(errorCode(await api.authorize(input)), 'SERVICE_UNAVAILABLE');
    assert.equal(errorCode(await api.refund(input.orderId)), 'SERVICE_UNAVAILABLE');
    assert.equal((await api.paymentOf(input.orderId))?.status, 'PENDING');
  });

  test('wallet payments and voids of unpaid orders need no provider', async () => {
    const customerId = await api.customerWith(5_000);
    const input: AuthorizeInput = { orderId: newOrderId(), customerId, amount: 2_000, method: 'WALLET' };
    assert.equal((await api.authorized(input)).status, 'AUTHORIZED');
    assert.equal((await api.refunded(input.orderId)).status, 'REFUNDED');
    assert.equal(await api.balanceOf(customerId), 5_000);
    assert.equal((await api.refunded(newOrderId())).status, 'VOIDED');
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
