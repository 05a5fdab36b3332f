/** Building blocks for order tests through the gateway. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { GraphQLResponse, Stack } from './stack.js';
import { eventually } from './wait.js';

export const ORDER_FIELDS = `id customerId status rejectionReason total cancellable promisedBy fulfilment deliveryAddress createdAt
  lines { product { id name } quantity unitPrice }
  history { status at reason }
  paymentStatus deliveryStatus bakerName holdDeadline`;

export interface OrderView {
  id: string;
  customerId: string;
  status: string;
  rejectionReason: string | null;
  total: number;
  cancellable: boolean;
  promisedBy: string | null;
  fulfilment: string;
  history: Array<{ status: string; at: string; reason: string | null }>;
  lines: Array<{ product: { id: string; name: string }; quantity: number; unitPrice: number }>;
  paymentStatus: string | null;
  deliveryStatus: string | null;
  bakerName: string | null;
  holdDeadline: string | null;
  payment?: { status: string; amount: number; method: string } | null;
  delivery?: { status: string; delayed: boolean; baker: { name: string } | null } | null;
}

export class OrderDriver {
  constructor(private readonly stack: Stack) {}

  /** A product of the test's own, so its stock is the test's to count. */
  async product(stock: number, price = 1_000): Promise<string> {
    const { data, errors } = await this.stack.graphql<{ createProduct: { id: string } }>(
      'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      {
        token: this.stack.staffToken,
        variables: { input: { sku: `T-${randomUUID().slice(0, 8).toUpperCase()}`, name: 'Test bake', price, initialStock: stock } },
      },
    );
    assert.equal(errors, undefined, JSON.stringify(errors));
    assert.ok(data);
    return data.createProduct.id;
  }

  async available(productId: string): Promise<number> {
    const { data } = await this.stack.graphql<{ product: { available: number } }>('query($id: ID!) { product(id: $id) { available } }', {
      variables: { id: productId },
    });
    assert.ok(data?.product);
    return data.product.available;
  }

  place(token: string, input: Record<string, unknown>, fields = ORDER_FIELDS): Promise<GraphQLResponse<{ placeOrder: OrderView }>> {
    return this.stack.graphql(`mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${fields} } }`, {
      token,
      variables: { input: { fulfilment: 'PICKUP', paymentMethod: 'CARD', paymentToken: 'tok_visa', idempotencyKey: randomUUID(), ...input } },
    });
  }

  /** Places an order that must come back without errors. */
  async placed(token: string, input: Record<string, unknown>): Promise<OrderView> {
    const { data, errors } = await this.place(token, input);
    assert.equal(errors, undefined, JSON.stringify(errors));
    assert.ok(data);
    return data.placeOrder;
  }

  async order(token: string, id: string, fields = ORDER_FIELDS): Promise<OrderView | null> {
    const { data, errors } = await this.stack.graphql<{ order: OrderView | null }>(`query($id: ID!) { order(id: $id) { ${fields} } }`, {
      token,
      variables: { id },
    });
    assert.equal(errors, undefined, JSON.stringify(errors));
    return data?.order ?? null;
  }

  /** Waits until the order satisfies `done`. */
  async until(token: string, id: string, done: (order: OrderView) => boolean, what: string, fields = ORDER_FIELDS): Promise<OrderView> {
    return eventually(
      async () => {
        const order = await this.order(token, id, fields);
        return order && done(order) ? order : null;
      },
      { what: `order ${id} ${what}`, timeoutMs: 30_000 },
    );
  }

  untilStatus(token: string, id: string, status: string): Promise<OrderView> {
    return this.until(token, id, (order) => order.status === status, `to be ${status}`);
  }

  /** A staff transition through the gateway (startBaking, markReady, ...). */
  staff(operation: string, orderId: string): Promise<GraphQLResponse<Record<string, { id: string; status: string }>>> {
    return this.stack.graphql(`mutation($id: ID!) { ${operation}(orderId: $id) { id status } }`, { token: this.stack.staffToken, variables: { id: orderId } });
  }

  async cancel(token: string, id: string, reason?: string) {
    return this.stack.graphql<{ cancelOrder: OrderView }>(`mutation($id: ID!, $reason: String) { cancelOrder(id: $id, reason: $reason) { ${ORDER_FIELDS} } }`, {
      token,
      variables: { id, reason },
    });
  }

  async deposit(token: string, amount: number): Promise<number> {
    const { data, errors } = await this.stack.graphql<{ depositToWallet: { balance: number } }>(
      'mutation($amount: Int!) { depositToWallet(amount: $amount) { balance } }',
      {
        token,
        variables: { amount },
      },
    );
    assert.equal(errors, undefined, JSON.stringify(errors));
    assert.ok(data);
    return data.depositToWallet.balance;
  }
}

export const statuses = (order: OrderView): string[] => order.history.map((change) => change.status);
/** History without the compensation notes, which repeat the final status with a reason. */
export const path = (order: OrderView): string[] => statuses(order).filter((status, index, all) => index === 0 || status !== all[index - 1]);
export const notes = (order: OrderView): Array<string | null> => order.history.map((change) => change.reason);
export const errorCode = (response: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => response.errors?.[0]?.extensions?.code;
