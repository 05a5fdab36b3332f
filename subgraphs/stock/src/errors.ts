import { AppError, badInput, ErrorCode, invalidTransition, notFound } from '../../../lib/errors.js';
import { MAX_STOCK } from './domain/product.js';

/** Every error the stock context raises, in one place. */
export const StockErrors = {
  productNotFound: (id: string) => notFound('product', id),
  skuTaken: (sku: string) => badInput('input.sku', `a product with SKU ${sku} already exists`),
  archived: (id: string) => badInput('id', `product ${id} is archived and cannot be restocked`),
  shelfFull: (available: number, quantity: number) =>
    badInput('quantity', `a product holds at most ${MAX_STOCK} units in stock; with ${available} available, ${quantity} more do not fit`),
  noChanges: () => badInput('input', 'input must change at least one field'),
  notHeld: (orderId: string, status: string) => invalidTransition(`stock for order ${orderId} is ${status}, not held`),
  reservationNotFound: (orderId: string) => new AppError(ErrorCode.NotFound, `no stock reservation for order ${orderId}`),
};
