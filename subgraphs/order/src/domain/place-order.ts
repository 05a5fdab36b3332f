/**
 * What a valid order request is. Pure: no I/O. Every problem names the field as the client sent it.
 */
import { badInput } from '../../../../lib/errors.js';
import { isObjectIdString } from '../../../../lib/ids.js';
import type { Fulfilment, PaymentMethod } from './order.js';

export const MAX_LINES = 20;
export const MAX_QUANTITY = 50;
/** What one payment may be (KRW): the payment context refuses more. */
export const MAX_ORDER_TOTAL = 10_000_000;

export interface PlaceOrderInput {
  lines: ReadonlyArray<{ productId: string; quantity: number }>;
  fulfilment: Fulfilment;
  deliveryAddress?: string | null;
  paymentMethod: PaymentMethod;
  paymentToken?: string | null;
  idempotencyKey: string;
}

export interface OrderRequest {
  /** One line per product (repeats merged), in the order first given; `index` is where it was first given. */
  lines: Array<{ productId: string; quantity: number; index: number }>;
  fulfilment: Fulfilment;
  deliveryAddress: string | null;
  paymentMethod: PaymentMethod;
  paymentToken: string | null;
  idempotencyKey: string;
}

export function validateOrderRequest(input: PlaceOrderInput): OrderRequest {
  const idempotencyKey = input.idempotencyKey.trim();
  if (idempotencyKey.length < 1 || idempotencyKey.length > 128) {
    throw badInput('input.idempotencyKey', 'idempotencyKey must be 1 to 128 characters');
  }
  if (input.lines.length < 1 || input.lines.length > MAX_LINES) {
    throw badInput('input.lines', `an order has 1 to ${MAX_LINES} lines, got ${input.lines.length}`);
  }
  const merged = new Map<string, { quantity: number; index: number }>();
  input.lines.forEach((line, index) => {
    if (!isObjectIdString(line.productId)) {
      throw badInput(`input.lines[${index}].productId`, `productId must be a 24-character hex id, got "${line.productId}"`);
    }
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      throw badInput(`input.lines[${index}].quantity`, `quantity must be a whole number from 1 to ${MAX_QUANTITY}, got ${line.quantity}`);
    }
    const id = line.productId.toLowerCase();
    const first = merged.get(id);
    const quantity = (first?.quantity ?? 0) + line.quantity;
    if (quantity > MAX_QUANTITY) throw badInput(`input.lines[${index}].quantity`, `at most ${MAX_QUANTITY} of one product per order`);
    merged.set(id, { quantity, index: first?.index ?? index });
  });

  let deliveryAddress: string | null = null;
  if (input.fulfilment === 'DELIVERY') {
    deliveryAddress = input.deliveryAddress?.trim() ?? '';
    if (deliveryAddress.length < 5 || deliveryAddress.length > 300) {
      throw badInput('input.deliveryAddress', 'a delivery needs an address of 5 to 300 characters');
    }
  }

  let paymentToken: string | null = null;
  if (input.paymentMethod === 'CARD') {
    paymentToken = input.paymentToken?.trim() ?? '';
    if (paymentToken.length < 1 || paymentToken.length > 200) throw badInput('input.paymentToken', 'a card payment needs a paymentToken');
  }

  return {
    lines: [...merged].map(([productId, { quantity, index }]) => ({ productId, quantity, index })),
    fulfilment: input.fulfilment,
    deliveryAddress,
    paymentMethod: input.paymentMethod,
    paymentToken,
    idempotencyKey,
  };
}

/**
 * Whether a repeat with the same idempotency key asks for the same order as the one it found:
 * the same products and quantities, the same fulfilment, address and payment method. (The card
 * token is not kept once the order is paid, so it is not compared.) A different one is a reused
 * key, answered as a conflict rather than with an order the customer did not ask for.
 */
export function isSamePlacement(
  placed: {
    lines: ReadonlyArray<{ productId: string; quantity: number }>;
    fulfilment: Fulfilment;
    deliveryAddress: string | null;
    paymentMethod: PaymentMethod;
  },
  request: OrderRequest,
): boolean {
  const quantities = (lines: ReadonlyArray<{ productId: string; quantity: number }>) =>
    JSON.stringify([...lines].map((line) => [line.productId.toLowerCase(), line.quantity]).sort());
  return (
    quantities(placed.lines) === quantities(request.lines) &&
    placed.fulfilment === request.fulfilment &&
    (placed.deliveryAddress ?? null) === request.deliveryAddress &&
    placed.paymentMethod === request.paymentMethod
  );
}

/** A reason a customer or staff gives: trimmed, bounded, optional. */
export function validReason(reason: string | null | undefined, field: string): string | null {
  if (reason === null || reason === undefined) return null;
  const trimmed = reason.trim();
  if (trimmed.length > 300) throw badInput(field, `${field} must be at most 300 characters`);
  return trimmed === '' ? null : trimmed;
}
