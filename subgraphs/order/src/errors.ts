import { AppError, badInput, ErrorCode, invalidTransition, notFound, serviceUnavailable, tooBusy } from '../../../lib/errors.js';
import type { InternalStatus } from './domain/order.js';
import { MAX_ORDER_TOTAL } from './domain/place-order.js';

/** Every error the order context raises, in one place. */
export const OrderErrors = {
  orderNotFound: (id: string) => notFound('order', id),
  productUnavailable: (index: number, productId: string) => badInput(`input.lines[${index}].productId`, `product ${productId} is not available`),
  totalTooLarge: (total: number) => badInput('input.lines', `the order comes to ${total}; one order may come to at most ${MAX_ORDER_TOTAL}`),
  notCancellable: (id: string, status: InternalStatus) =>
    invalidTransition(`order ${id} is ${status}: it can only be cancelled while PAYMENT_PENDING, CONFIRMED or ASSIGNED`),
  notRejectable: (id: string, status: InternalStatus) => invalidTransition(`order ${id} is ${status}: only orders not yet completed can be rejected`),
  tooBusy: (retryAfterMs: number) =>
    tooBusy('the bakery is taking more orders than it can answer in time; nothing was placed, send the order again', retryAfterMs),
  idempotencyKeyReused: () =>
    new AppError(
      ErrorCode.IdempotencyKeyReused,
      'this idempotencyKey was already used for a different order; use a new key for a new order',
      'input.idempotencyKey',
    ),
  stillPlacing: () => serviceUnavailable('the order with this idempotency key is still being placed; send it again shortly'),
};
